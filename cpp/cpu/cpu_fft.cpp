// cpp/cpu/cpu_fft.cpp
// The fft slot: power-of-two lengths by Stockham radix-4/2 passes on lane blocks (Note [Lane
// FFT]), long ones by the four-step split, every other length by Bluestein's chirp-z.
//
// Note [Four-step]: n = n1 * n2 with x viewed as [n1][n2] (x[a n2 + b]). Step 1 transforms the
// n2 columns (length n1; kLanes neighbouring columns form one lane block, read as contiguous
// runs of each row) and multiplies element (k1, b) by exp(-/+ 2 pi i b k1 / n). Step 2
// transforms each of the n1 rows (length n2; kLanes rows per block) and writes X[k1 + n1 k2],
// where the kLanes rows of a block are again contiguous. Every lane block fits in L2, so a
// transform of any size reads and writes memory twice, and both steps split over the pool.
#include <cmath>
#include <complex>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "cpu_algorithms.hpp"
#include "cpu_backend.hpp"
#include "cpu_fft.hpp"

namespace dotcompute::cpu {
namespace {

/// Lengths up to this run as one lane block per kLanes rows; longer ones use the four-step.
constexpr uint64_t kDirectMaxLength = uint64_t{1} << 12;
constexpr double kTwoPi = 6.283185307179586476925286766559;

const FftKernelTable& fft_kernels() noexcept {
  switch (active_simd_level()) {
#if defined(__x86_64__)
    case SimdLevel::Avx512:
      return fft_kernels_avx512();
    case SimdLevel::Avx2:
      return fft_kernels_avx2();
#endif
    default:
      return fft_kernels_scalar();
  }
}

template <typename T>
const FftKernels<T>& kernels_for() {
  if constexpr (sizeof(T) == 4) {
    return fft_kernels().f32;
  } else {
    return fft_kernels().f64;
  }
}

/// 64-byte aligned storage, for arrays the lane kernels read as whole vectors.
template <typename T>
struct AlignedArray {
  std::vector<T> storage;
  T* data = nullptr;
  explicit AlignedArray(size_t count) : storage(count + 64 / sizeof(T)) {
    data = storage.data();
    while (reinterpret_cast<uintptr_t>(data) % 64 != 0) ++data;
  }
};

template <typename T>
std::shared_ptr<const LanePlan<T>> make_lane_plan(uint64_t n) {
  auto plan = std::make_shared<LanePlan<T>>();
  plan->n = n;
  uint64_t span = 1;
  const auto add_pass = [&](uint32_t radix) {
    plan->passes.push_back({radix, span, plan->twiddle_re.size()});
    for (uint32_t r = 1; r < radix; ++r) {
      for (uint64_t k = 0; k < span; ++k) {
        const double angle =
            -kTwoPi * static_cast<double>(r * k) / static_cast<double>(radix * span);
        plan->twiddle_re.push_back(static_cast<T>(std::cos(angle)));
        plan->twiddle_im.push_back(static_cast<T>(std::sin(angle)));
      }
    }
    span *= radix;
  };
  int bits = 0;
  while ((uint64_t{1} << bits) < n) ++bits;
  if (bits % 2 == 1) add_pass(2);
  while (span < n) add_pass(4);
  return plan;
}

/// exp(-2 pi i m / n) for every m, as two tables of about sqrt(n) entries in double:
/// w(m) = high[m >> shift] * low[m & mask].
struct SplitTwiddles {
  uint64_t n = 0;
  int shift = 0;
  std::vector<std::complex<double>> high, low;
  std::complex<double> at(uint64_t m) const {
    m %= n;
    return high[m >> shift] * low[m & ((uint64_t{1} << shift) - 1)];
  }
};

std::shared_ptr<const SplitTwiddles> make_split_twiddles(uint64_t n) {
  auto table = std::make_shared<SplitTwiddles>();
  table->n = n;
  int bits = 0;
  while ((uint64_t{1} << bits) < n) ++bits;
  table->shift = (bits + 1) / 2;
  const uint64_t low_count = uint64_t{1} << table->shift;
  const uint64_t high_count = (n + low_count - 1) / low_count;
  for (uint64_t i = 0; i < low_count; ++i) {
    table->low.push_back(
        std::polar(1.0, -kTwoPi * static_cast<double>(i) / static_cast<double>(n)));
  }
  for (uint64_t i = 0; i < high_count; ++i) {
    table->high.push_back(
        std::polar(1.0, -kTwoPi * static_cast<double>(i * low_count) / static_cast<double>(n)));
  }
  return table;
}

/// The four-step split of one length (Note [Four-step]) with its forward twiddles: per lane
/// exp(-2 pi i l k1 / n) as [k1][l], per block of kLanes columns exp(-2 pi i b0 k1 / n) as
/// [block][k1].
template <typename T>
struct FourStepPlan {
  uint64_t n1 = 0, n2 = 0;
  std::shared_ptr<const LanePlan<T>> columns, rows;
  AlignedArray<T> lane_re, lane_im;
  std::vector<T> block_re, block_im;
  FourStepPlan(uint64_t n1_, uint64_t n2_)
      : n1(n1_), n2(n2_), lane_re(n1_ * kLanes<T>), lane_im(n1_ * kLanes<T>) {}
};

/// Plans shared by all calls; built once per length and precision.
template <typename T>
struct PlanCache {
  std::mutex mutex;
  std::map<uint64_t, std::shared_ptr<const LanePlan<T>>> lanes;
  std::map<std::pair<uint64_t, int>, std::shared_ptr<const std::vector<std::complex<T>>>> bluestein;

  std::shared_ptr<const LanePlan<T>> lane_plan(uint64_t n) {
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = lanes[n];
    if (!slot) slot = make_lane_plan<T>(n);
    return slot;
  }
  std::map<uint64_t, std::shared_ptr<const FourStepPlan<T>>> four_step;

  std::shared_ptr<const FourStepPlan<T>> four_step_plan(uint64_t n);
};

template <typename T>
PlanCache<T>& plan_cache() {
  static PlanCache<T>* cache = new PlanCache<T>();  // never destroyed: plugin lifetime
  return *cache;
}

template <typename T>
std::shared_ptr<const FourStepPlan<T>> PlanCache<T>::four_step_plan(uint64_t n) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = four_step.find(n);
    if (found != four_step.end()) return found->second;
  }
  constexpr size_t L = kLanes<T>;
  int bits = 0;
  while ((uint64_t{1} << bits) < n) ++bits;
  const uint64_t n1 = uint64_t{1} << (bits / 2), n2 = n / n1;
  auto plan = std::make_shared<FourStepPlan<T>>(n1, n2);
  plan->columns = lane_plan(n1);
  plan->rows = lane_plan(n2);
  const std::shared_ptr<const SplitTwiddles> twiddles = make_split_twiddles(n);
  for (uint64_t k1 = 0; k1 < n1; ++k1) {
    for (size_t l = 0; l < L; ++l) {
      const std::complex<double> w = twiddles->at(k1 * l);
      plan->lane_re.data[k1 * L + l] = static_cast<T>(w.real());
      plan->lane_im.data[k1 * L + l] = static_cast<T>(w.imag());
    }
  }
  const uint64_t blocks = n2 / L;
  plan->block_re.resize(blocks * n1);
  plan->block_im.resize(blocks * n1);
  for (uint64_t block = 0; block < blocks; ++block) {
    for (uint64_t k1 = 0; k1 < n1; ++k1) {
      const std::complex<double> w = twiddles->at(block * L * k1);
      plan->block_re[block * n1 + k1] = static_cast<T>(w.real());
      plan->block_im[block * n1 + k1] = static_cast<T>(w.imag());
    }
  }
  std::lock_guard<std::mutex> lock(mutex);
  four_step[n] = plan;
  return plan;
}

/// A lane block and its scratch pair, per thread, reused across calls.
template <typename T>
struct LaneBuffers {
  std::vector<T> storage;
  T *re, *im, *scratch_re, *scratch_im;
  void reserve(uint64_t n) {
    const size_t part = n * kLanes<T>;
    if (storage.size() < 4 * part + 64) storage.assign(4 * part + 64, T(0));
    T* base = storage.data();
    while (reinterpret_cast<uintptr_t>(base) % 64 != 0) ++base;
    re = base;
    im = re + part;
    scratch_re = im + part;
    scratch_im = scratch_re + part;
  }
};

template <typename T>
LaneBuffers<T>& lane_buffers(uint64_t n) {
  thread_local LaneBuffers<T> buffers;
  buffers.reserve(n);
  return buffers;
}

template <typename Body>
void parallel_blocks(uint64_t blocks, bool parallel, Body&& body) {
  ThreadPool* pool = thread_pool();
  if (!parallel || pool == nullptr || blocks < 2) {
    for (uint64_t b = 0; b < blocks; ++b) body(b);
    return;
  }
  pool->parallel_for(blocks, 1, [&](uint64_t begin, uint64_t end) {
    for (uint64_t b = begin; b < end; ++b) body(b);
  });
}

/// Transforms rows [row0, row0 + kLanes) of a [rows][n] batch (rows past `rows` are zeros).
template <typename T>
void transform_row_block(const std::complex<T>* input, std::complex<T>* out, uint64_t rows,
                         uint64_t row0, uint64_t n, const LanePlan<T>& plan, bool inverse) {
  constexpr size_t L = kLanes<T>;
  LaneBuffers<T>& buffers = lane_buffers<T>(n);
  const uint64_t lanes = rows - row0 < L ? rows - row0 : L;
  for (uint64_t p = 0; p < n; ++p) {
    for (size_t l = 0; l < L; ++l) {
      const std::complex<T> v = l < lanes ? input[(row0 + l) * n + p] : std::complex<T>();
      buffers.re[p * L + l] = v.real();
      buffers.im[p * L + l] = v.imag();
    }
  }
  const bool in_scratch = kernels_for<T>().lane_fft(
      plan, buffers.re, buffers.im, buffers.scratch_re, buffers.scratch_im, inverse);
  const T* re = in_scratch ? buffers.scratch_re : buffers.re;
  const T* im = in_scratch ? buffers.scratch_im : buffers.im;
  for (uint64_t l = 0; l < lanes; ++l) {
    for (uint64_t p = 0; p < n; ++p) {
      out[(row0 + l) * n + p] = std::complex<T>(re[p * L + l], im[p * L + l]);
    }
  }
}

/// One row of length n = n1 * n2 by the four-step (Note [Four-step]); temp holds n elements.
template <typename T>
void four_step(const std::complex<T>* input, std::complex<T>* out, std::complex<T>* temp,
               uint64_t n, bool inverse, bool parallel) {
  constexpr size_t L = kLanes<T>;
  const auto plan = plan_cache<T>().four_step_plan(n);
  const FftKernels<T>& kernels = kernels_for<T>();
  const uint64_t n1 = plan->n1, n2 = plan->n2;
  const T* in_values = reinterpret_cast<const T*>(input);
  T* temp_values = reinterpret_cast<T*>(temp);
  T* out_values = reinterpret_cast<T*>(out);
  // Step 1: columns [b0, b0 + L) of every row, then the twiddles, into temp[k1][b].
  parallel_blocks(n2 / L, parallel, [&](uint64_t block) {
    const uint64_t b0 = block * L;
    LaneBuffers<T>& buffers = lane_buffers<T>(n1);
    kernels.load_lanes(in_values + 2 * b0, n2, n1, buffers.re, buffers.im);
    const bool in_scratch = kernels.lane_fft(*plan->columns, buffers.re, buffers.im,
                                             buffers.scratch_re, buffers.scratch_im, inverse);
    T* re = in_scratch ? buffers.scratch_re : buffers.re;
    T* im = in_scratch ? buffers.scratch_im : buffers.im;
    kernels.twiddle(re, im, n1, plan->lane_re.data, plan->lane_im.data,
                    plan->block_re.data() + block * n1, plan->block_im.data() + block * n1,
                    inverse);
    kernels.store_lanes(re, im, n1, temp_values + 2 * b0, n2);
  });
  // Step 2: rows [k0, k0 + L) of temp, written to out[k1 + n1 k2].
  parallel_blocks(n1 / L, parallel, [&](uint64_t block) {
    const uint64_t k0 = block * L;
    LaneBuffers<T>& buffers = lane_buffers<T>(n2);
    for (uint64_t b = 0; b < n2; ++b) {
      for (size_t l = 0; l < L; ++l) {
        const std::complex<T> v = temp[(k0 + l) * n2 + b];
        buffers.re[b * L + l] = v.real();
        buffers.im[b * L + l] = v.imag();
      }
    }
    const bool in_scratch = kernels.lane_fft(*plan->rows, buffers.re, buffers.im,
                                             buffers.scratch_re, buffers.scratch_im, inverse);
    const T* re = in_scratch ? buffers.scratch_re : buffers.re;
    const T* im = in_scratch ? buffers.scratch_im : buffers.im;
    kernels.store_lanes(re, im, n2, out_values + 2 * k0, n1);
  });
}

/// Unscaled transforms of `rows` rows of a power-of-two length n.
template <typename T>
void power_of_two(const std::complex<T>* input, std::complex<T>* out, uint64_t rows, uint64_t n,
                  bool inverse, bool parallel) {
  constexpr size_t L = kLanes<T>;
  if (n <= kDirectMaxLength || n < L * L) {
    const auto plan = plan_cache<T>().lane_plan(n);
    parallel_blocks((rows + L - 1) / L, parallel, [&](uint64_t block) {
      transform_row_block(input, out, rows, block * L, n, *plan, inverse);
    });
    return;
  }
  // The intermediate array, kept per thread between calls (page faults and zeroing of a fresh
  // one would cost as much as a pass over the data); very long ones are given back.
  thread_local std::vector<std::complex<T>> kept;
  std::vector<std::complex<T>> own;
  std::vector<std::complex<T>>& temp = n <= (uint64_t{1} << 23) ? kept : own;
  if (temp.size() < n) temp.resize(n);
  for (uint64_t row = 0; row < rows; ++row) {
    four_step(input + row * n, out + row * n, temp.data(), n, inverse, parallel);
  }
}

/// Bluestein's chirp w_k = exp(-/+ pi i k^2 / n) (k^2 reduced mod 2n first, exactly).
std::complex<double> chirp(uint64_t k, uint64_t n, bool inverse) {
  const uint64_t k2 = static_cast<uint64_t>((static_cast<unsigned __int128>(k) * k) % (2 * n));
  const double angle =
      (inverse ? 1.0 : -1.0) * kTwoPi / 2 * static_cast<double>(k2) / static_cast<double>(n);
  return std::polar(1.0, angle);
}

/// The transform of the chirp filter conj(w) laid out circularly over m points, times 1/m.
template <typename T>
std::shared_ptr<const std::vector<std::complex<T>>> bluestein_filter(uint64_t n, uint64_t m,
                                                                     bool inverse) {
  PlanCache<T>& cache = plan_cache<T>();
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    auto found = cache.bluestein.find({n, inverse ? 1 : 0});
    if (found != cache.bluestein.end()) return found->second;
  }
  std::vector<std::complex<T>> filter(m), spectrum(m);
  for (uint64_t k = 0; k < n; ++k) {
    const std::complex<T> value(std::conj(chirp(k, n, inverse)));
    filter[k] = value;
    if (k > 0) filter[m - k] = value;
  }
  power_of_two(filter.data(), spectrum.data(), 1, m, false, false);
  for (auto& v : spectrum) v /= static_cast<T>(m);
  auto shared = std::make_shared<const std::vector<std::complex<T>>>(std::move(spectrum));
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.bluestein[{n, inverse ? 1 : 0}] = shared;
  return shared;
}

template <typename T>
void bluestein(const std::complex<T>* input, std::complex<T>* out, uint64_t rows, uint64_t n,
               bool inverse) {
  uint64_t m = 1;
  while (m < 2 * n - 1) m *= 2;
  const auto filter = bluestein_filter<T>(n, m, inverse);
  std::vector<std::complex<T>> chirps(n);
  for (uint64_t k = 0; k < n; ++k) chirps[k] = std::complex<T>(chirp(k, n, inverse));
  const T scale = inverse ? T(1) / static_cast<T>(n) : T(1);
  const auto one_row = [&](uint64_t row, bool parallel) {
    std::vector<std::complex<T>> a(m), spectrum(m);
    for (uint64_t k = 0; k < n; ++k) a[k] = input[row * n + k] * chirps[k];
    power_of_two(a.data(), spectrum.data(), 1, m, false, parallel);
    for (uint64_t k = 0; k < m; ++k) spectrum[k] *= (*filter)[k];
    power_of_two(spectrum.data(), a.data(), 1, m, true, parallel);
    for (uint64_t k = 0; k < n; ++k) out[row * n + k] = a[k] * chirps[k] * scale;
  };
  // Many rows: one row per task; few rows: each transform uses the pool itself.
  if (rows >= thread_count() * 2) {
    parallel_blocks(rows, true, [&](uint64_t row) { one_row(row, false); });
  } else {
    for (uint64_t row = 0; row < rows; ++row) one_row(row, true);
  }
}

template <typename T>
void transform(const void* input_bytes, void* out_bytes, uint64_t batch, uint64_t n, bool inverse) {
  const auto* input = static_cast<const std::complex<T>*>(input_bytes);
  auto* out = static_cast<std::complex<T>*>(out_bytes);
  if ((n & (n - 1)) != 0) {
    bluestein(input, out, batch, n, inverse);
    return;
  }
  power_of_two(input, out, batch, n, inverse, true);
  if (inverse) {
    const T scale = T(1) / static_cast<T>(n);
    T* values = reinterpret_cast<T*>(out);
    const uint64_t count = 2 * batch * n;
    ThreadPool* pool = thread_pool();
    const auto body = [=](uint64_t begin, uint64_t end) {
      for (uint64_t i = begin; i < end; ++i) values[i] *= scale;
    };
    if (pool != nullptr) {
      pool->parallel_for(count, 1 << 16, body);
    } else {
      body(0, count);
    }
  }
}

}  // namespace

dc_status fft(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
              dc_buffer_view out, uint64_t batch, uint64_t n, int32_t inverse) {
  if (device != 0) return check_device(device);
  if (dc_status status = check_stream(stream)) return status;
  if (dtype != DC_DTYPE_COMPLEX64 && dtype != DC_DTYPE_COMPLEX128) {
    return fail(DC_STATUS_UNSUPPORTED, "fft: dtype %d is not complex64 or complex128",
                static_cast<int>(dtype));
  }
  if (n == 0 || batch > UINT64_MAX / n) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "fft: bad length %llu or batch %llu",
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(batch));
  }
  const size_t size = dtype == DC_DTYPE_COMPLEX64 ? 8 : 16;
  const uint8_t* input_data = view_elements(input, batch * n, size, "fft input");
  if (input_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  uint8_t* out_data = view_elements(out, batch * n, size, "fft output");
  if (out_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  if (out_data < input_data + batch * n * size && input_data < out_data + batch * n * size) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "fft: out overlaps the input");
  }
  try {
    if (dtype == DC_DTYPE_COMPLEX64) {
      transform<float>(input_data, out_data, batch, n, inverse != 0);
    } else {
      transform<double>(input_data, out_data, batch, n, inverse != 0);
    }
  } catch (const std::bad_alloc&) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "fft: out of memory for the work buffers");
  }
  return DC_STATUS_OK;
}

}  // namespace dotcompute::cpu
