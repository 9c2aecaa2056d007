// cpp/cpu/cpu_scan.cpp
// The cumsum slot: inclusive prefix sums of rows, in two passes over the thread pool.
//
// Note [Two-pass scan]: a long row is cut into kChunksPerThread chunks per thread. Pass 1 sums
// every chunk (a vectorized reduction; floating sums in double), a short serial scan of the
// chunk sums gives each chunk its starting offset, and pass 2 scans kInterleave chunks at once
// per task, one dependency chain per chunk, so the adds of neighbouring chunks overlap instead of
// waiting on each other's latency. Results equal numpy's exactly for integers and within rounding
// of the same sums for floats (numpy adds left to right; chunks start from rounded offsets).
#include <complex>
#include <cstring>
#include <vector>

#include "cpu_algorithms.hpp"
#include "cpu_backend.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cpu {
namespace {

constexpr uint64_t kChunksPerThread = 8;
constexpr uint64_t kInterleave = 4;
/// Rows shorter than this scan serially (one row per task).
constexpr uint64_t kParallelRowLength = uint64_t{1} << 16;

/// The wider type chunk sums accumulate in.
template <typename Out>
struct Wide {
  using type = Out;
};
template <>
struct Wide<float> {
  using type = double;
};
template <>
struct Wide<std::complex<float>> {
  using type = std::complex<double>;
};

template <typename In, typename Out>
void scan_serial(const In* x, Out* y, uint64_t count, Out acc) {
  for (uint64_t i = 0; i < count; ++i) {
    acc += static_cast<Out>(x[i]);
    y[i] = acc;
  }
}

template <typename In, typename Out>
void scan_interleaved(const In* const* x, Out* const* y, uint64_t count, Out* acc) {
  Out a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const In *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  Out *y0 = y[0], *y1 = y[1], *y2 = y[2], *y3 = y[3];
  for (uint64_t i = 0; i < count; ++i) {
    a0 += static_cast<Out>(x0[i]);
    a1 += static_cast<Out>(x1[i]);
    a2 += static_cast<Out>(x2[i]);
    a3 += static_cast<Out>(x3[i]);
    y0[i] = a0;
    y1[i] = a1;
    y2[i] = a2;
    y3[i] = a3;
  }
}

template <typename In, typename Out>
void scan_parallel(const In* x, Out* y, uint64_t count, ThreadPool* pool) {
  using Acc = typename Wide<Out>::type;
  const uint64_t chunks = thread_count() * kChunksPerThread;
  const uint64_t length = (count + chunks - 1) / chunks;
  std::vector<Acc> offsets(chunks + 1, Acc());
  pool->parallel_for(chunks, 1, [&](uint64_t begin, uint64_t end) {
    for (uint64_t c = begin; c < end; ++c) {
      const uint64_t first = c * length < count ? c * length : count;
      const uint64_t last = first + length < count ? first + length : count;
      Acc sum = Acc();
      for (uint64_t i = first; i < last; ++i) sum += static_cast<Acc>(static_cast<Out>(x[i]));
      offsets[c + 1] = sum;
    }
  });
  for (uint64_t c = 1; c <= chunks; ++c) offsets[c] += offsets[c - 1];
  const uint64_t groups = chunks / kInterleave;  // chunks is a multiple of kInterleave
  pool->parallel_for(groups, 1, [&](uint64_t begin, uint64_t end) {
    for (uint64_t g = begin; g < end; ++g) {
      const In* xs[kInterleave];
      Out* ys[kInterleave];
      Out acc[kInterleave];
      uint64_t common = length;
      for (uint64_t lane = 0; lane < kInterleave; ++lane) {
        const uint64_t c = g * kInterleave + lane;
        const uint64_t first = c * length < count ? c * length : count;
        const uint64_t last = first + length < count ? first + length : count;
        if (last - first < common) common = last - first;
        xs[lane] = x + first;
        ys[lane] = y + first;
        acc[lane] = static_cast<Out>(offsets[c]);
      }
      scan_interleaved(xs, ys, common, acc);
      for (uint64_t lane = 0; lane < kInterleave; ++lane) {  // the short last chunks
        const uint64_t c = g * kInterleave + lane;
        const uint64_t first = c * length < count ? c * length : count;
        const uint64_t last = first + length < count ? first + length : count;
        scan_serial(x + first + common, y + first + common, last - first - common,
                    common > 0 ? y[first + common - 1] : static_cast<Out>(offsets[c]));
      }
    }
  });
}

template <typename In, typename Out>
void scan_rows(const void* input, void* output, uint64_t batch, uint64_t count) {
  const In* x = static_cast<const In*>(input);
  Out* y = static_cast<Out*>(output);
  ThreadPool* pool = thread_pool();
  if (pool != nullptr && count >= kParallelRowLength) {
    for (uint64_t row = 0; row < batch; ++row)
      scan_parallel(x + row * count, y + row * count, count, pool);
    return;
  }
  const auto rows = [&](uint64_t begin, uint64_t end) {
    for (uint64_t row = begin; row < end; ++row) {
      scan_serial(x + row * count, y + row * count, count, Out());
    }
  };
  const uint64_t grain = (kParallelRowLength + count - 1) / count;
  if (pool != nullptr) {
    pool->parallel_for(batch, grain, rows);
  } else {
    rows(0, batch);
  }
}

using ScanFunction = void (*)(const void*, void*, uint64_t, uint64_t);

ScanFunction scan_for(dc_dtype dtype) {
  switch (dtype) {
    case DC_DTYPE_BOOL:
      return scan_rows<bool, int64_t>;
    case DC_DTYPE_INT8:
      return scan_rows<int8_t, int64_t>;
    case DC_DTYPE_INT16:
      return scan_rows<int16_t, int64_t>;
    case DC_DTYPE_INT32:
      return scan_rows<int32_t, int64_t>;
    case DC_DTYPE_INT64:
      return scan_rows<int64_t, int64_t>;
    case DC_DTYPE_UINT8:
      return scan_rows<uint8_t, uint64_t>;
    case DC_DTYPE_UINT16:
      return scan_rows<uint16_t, uint64_t>;
    case DC_DTYPE_UINT32:
      return scan_rows<uint32_t, uint64_t>;
    case DC_DTYPE_UINT64:
      return scan_rows<uint64_t, uint64_t>;
    case DC_DTYPE_FLOAT32:
      return scan_rows<float, float>;
    case DC_DTYPE_FLOAT64:
      return scan_rows<double, double>;
    case DC_DTYPE_COMPLEX64:
      return scan_rows<std::complex<float>, std::complex<float>>;
    case DC_DTYPE_COMPLEX128:
      return scan_rows<std::complex<double>, std::complex<double>>;
    default:
      return nullptr;  // float16: the generated kernels
  }
}

size_t sum_dtype_size(dc_dtype dtype) {
  if (dtype == DC_DTYPE_BOOL || dtype_is_integer(dtype)) return 8;
  return dtype_size(dtype);
}

}  // namespace

dc_status cumsum(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                 dc_buffer_view out, uint64_t batch, uint64_t count) {
  if (device != 0) return check_device(device);
  if (dc_status status = check_stream(stream)) return status;
  const ScanFunction scan = dtype_is_valid(dtype) ? scan_for(dtype) : nullptr;
  if (scan == nullptr) {
    return fail(DC_STATUS_UNSUPPORTED, "cumsum: no CPU scan for dtype %d", static_cast<int>(dtype));
  }
  if (count != 0 && batch > UINT64_MAX / count) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "cumsum: batch * count overflows");
  }
  const uint8_t* x = view_elements(input, batch * count, dtype_size(dtype), "cumsum input");
  if (x == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  uint8_t* y = view_elements(out, batch * count, sum_dtype_size(dtype), "cumsum output");
  if (y == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  if (batch * count == 0) return DC_STATUS_OK;
  try {
    scan(x, y, batch, count);
  } catch (const std::bad_alloc&) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "cumsum: out of memory");
  }
  return DC_STATUS_OK;
}

}  // namespace dotcompute::cpu
