// cuda/cuda_sort.cpp
// The sort slot: a stable LSD radix sort (Notes [Radix sort keys] and [Radix sort passes] in
// cuda_sort_source.cpp), one pass per key byte: a clear, a histogram launch, then one launch per
// pass on the caller's stream, temporaries in the stream's algorithm scratch. Nothing waits on
// the host.
#include <mutex>
#include <string>

#include "cuda_backend.hpp"
#include "cuda_builtin_sources.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cuda {
namespace {

dc_status launch(CUfunction function, unsigned int blocks, unsigned int rows, CUstream stream,
                 void** parameters, const char* what) {
  return check(driver().cuLaunchKernel(function, blocks, rows, 1, kAlgorithmThreads, 1, 1, 0,
                                       stream, parameters, nullptr),
               what);
}

/// The buffers of one chunk of rows and the kernels that sort it.
struct SortJob {
  BuiltinModule module;
  CUstream queue = nullptr;
  size_t key_size = 0;
  uint64_t count = 0;
  uint32_t tiles = 0;
  CUdeviceptr keys[2] = {0, 0};
  CUdeviceptr positions[2] = {0, 0};  ///< 0 when no indices are wanted
  CUdeviceptr histogram = 0;          ///< rows x passes x 256 digit counts
  CUdeviceptr tile_counters = 0;      ///< rows x passes
  CUdeviceptr status = 0;             ///< rows x tiles x 256 look-back words
  uint64_t cleared_words = 0;         ///< u32 words from histogram to the end of status
};

/// Sorts rows x job.count keys from input into values (0: not wanted) and indices (0: not
/// wanted).
dc_status sort_chunk(const SortJob& job, unsigned int rows, CUdeviceptr input, CUdeviceptr values,
                     CUdeviceptr indices) {
  // Counts, tile counters and look-back words start at zero once per sort (Note [Decoupled
  // look-back] in cuda_sort_source.cpp).
  if (dc_status status =
          check(driver().cuMemsetD32Async(job.histogram, 0, job.cleared_words, job.queue),
                "cuMemsetD32Async (sort counts)")) {
    return status;
  }
  uint64_t count = job.count;
  uint32_t tiles = job.tiles;
  CUdeviceptr histogram = job.histogram, tile_counters = job.tile_counters, status = job.status;
  void* histogram_parameters[] = {&input, &count, &histogram};
  const unsigned int histogram_blocks = (tiles + kSortHistogramTiles - 1) / kSortHistogramTiles;
  if (dc_status result = launch(job.module.first, histogram_blocks, rows, job.queue,
                                histogram_parameters, "cuLaunchKernel (sort histogram)")) {
    return result;
  }
  const unsigned int passes = static_cast<unsigned int>(job.key_size);  // 8-bit digits
  for (unsigned int pass = 0; pass < passes; ++pass) {
    const bool first = pass == 0, last = pass == passes - 1;
    CUdeviceptr keys_in = first ? input : job.keys[(pass - 1) % 2];
    CUdeviceptr positions_in = first ? 0 : job.positions[(pass - 1) % 2];
    CUdeviceptr keys_out = last ? values : job.keys[pass % 2];
    CUdeviceptr positions_out = last ? 0 : job.positions[pass % 2];
    CUdeviceptr indices_out = last ? indices : 0;
    unsigned int pass_index = pass;
    void* pass_parameters[] = {&keys_in,     &positions_in,  &keys_out, &positions_out,
                               &indices_out, &count,         &tiles,    &pass_index,
                               &histogram,   &tile_counters, &status};
    if (dc_status result = launch(job.module.second, tiles, rows, job.queue, pass_parameters,
                                  "cuLaunchKernel (sort pass)")) {
      return result;
    }
  }
  return DC_STATUS_OK;
}

}  // namespace

dc_status sort_rows(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                    dc_buffer_view out_values, dc_buffer_view out_indices, uint64_t batch,
                    uint64_t count) {
  if (!dtype_is_valid(dtype)) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "sort: %d is not a dtype code",
                static_cast<int>(dtype));
  }
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  try {
    // Note [Sorts without positions] in cuda_sort_source.cpp.
    const bool positions = out_indices.buffer != nullptr;
    const std::string source = sort_source(dtype, positions);
    if (source.empty()) {
      return fail(DC_STATUS_UNSUPPORTED, "sort: no CUDA sort for dtype %s", dtype_name(dtype));
    }
    // The warp ranking and the look-back are written for (and tested on) the thread model of Volta
    // (sm_70) and newer; older cards take the generated fallback.
    if (state->compute_major < 7) {
      return fail(DC_STATUS_UNSUPPORTED, "sort: the CUDA radix sort needs compute capability 7.0");
    }
    if (count > UINT32_MAX) {
      return fail(DC_STATUS_UNSUPPORTED, "sort: rows over 2^32 elements");
    }
    if (count != 0 && batch > UINT64_MAX / count / 16) {
      return fail(DC_STATUS_INVALID_ARGUMENT, "sort: batch * count overflows");
    }
    const uint64_t total = batch * count;
    const size_t size = dtype_size(dtype);
    CUdeviceptr input_address = 0, values = 0, indices = 0;
    if (dc_status status =
            view_elements(*state, input, total, size, size, "sort input", &input_address)) {
      return status;
    }
    if (out_values.buffer != nullptr) {
      if (dc_status status =
              view_elements(*state, out_values, total, size, size, "sort values", &values)) {
        return status;
      }
    }
    if (out_indices.buffer != nullptr) {
      if (dc_status status =
              view_elements(*state, out_indices, total, 8, 8, "sort indices", &indices)) {
        return status;
      }
    }
    if (total == 0 || (values == 0 && indices == 0)) return DC_STATUS_OK;
    SortJob job;
    if (dc_status status =
            builtin(*state, "sort/" + std::to_string(dtype) + (positions ? "/indexed" : ""), source,
                    "dc_sort_histogram", "dc_sort_pass", &job.module)) {
      return status;
    }
    const uint64_t tile = sort_tile_elements(size, positions);
    job.queue = queue;
    job.key_size = size;
    job.count = count;
    job.tiles = static_cast<uint32_t>((count + tile - 1) / tile);
    const uint64_t chunk_rows = batch < kMaxGridRows ? batch : kMaxGridRows;
    const ScratchLayout layout = sort_scratch_layout(size, chunk_rows, count, indices != 0);
    std::lock_guard<std::mutex> lock(state->work_mutex);  // Note [Algorithm scratch]
    CUdeviceptr scratch = 0;
    if (dc_status status = algorithm_scratch(*state, stream, layout.bytes, &scratch)) {
      return status;
    }
    job.keys[0] = scratch + layout.parts[0];
    job.keys[1] = scratch + layout.parts[1];
    if (indices != 0) {
      job.positions[0] = scratch + layout.parts[2];
      job.positions[1] = scratch + layout.parts[3];
    }
    job.histogram = scratch + layout.parts[4];
    job.tile_counters = scratch + layout.parts[5];
    job.status = scratch + layout.parts[6];
    job.cleared_words = (layout.bytes - layout.parts[4]) / 4;
    // Rows beyond one grid's y range go in chunks that reuse the scratch in stream order.
    for (uint64_t row = 0; row < batch; row += chunk_rows) {
      const uint64_t rows = batch - row < chunk_rows ? batch - row : chunk_rows;
      const uint64_t first = row * count;
      if (dc_status status = sort_chunk(
              job, static_cast<unsigned int>(rows), input_address + first * size,
              values != 0 ? values + first * size : 0, indices != 0 ? indices + first * 8 : 0)) {
        return status;
      }
    }
    return DC_STATUS_OK;
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "sort: %s", error.what());
  }
}

}  // namespace dotcompute::cuda
