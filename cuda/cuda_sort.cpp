// cuda/cuda_sort.cpp
// The sort slot: a stable LSD radix sort (Notes [Radix sort keys] and [Radix sort passes] in
// cuda_sort_source.cpp), one pass per key byte, three launches per pass on the caller's stream,
// temporaries in the stream's algorithm scratch. Nothing waits on the host.
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
  CUdeviceptr counts = 0;
  CUdeviceptr totals = 0;
};

/// Sorts rows x job.count keys from input into values (0: not wanted) and indices (0: not
/// wanted).
dc_status sort_chunk(const SortJob& job, unsigned int rows, CUdeviceptr input, CUdeviceptr values,
                     CUdeviceptr indices) {
  const int passes = static_cast<int>(job.key_size);  // 8-bit digits
  uint64_t count = job.count;
  uint32_t tiles = job.tiles;
  for (int pass = 0; pass < passes; ++pass) {
    const bool first = pass == 0, last = pass == passes - 1;
    unsigned int shift = static_cast<unsigned int>(8 * pass);
    CUdeviceptr keys_in = first ? input : job.keys[(pass - 1) % 2];
    CUdeviceptr positions_in = first ? 0 : job.positions[(pass - 1) % 2];
    CUdeviceptr keys_out = last ? values : job.keys[pass % 2];
    CUdeviceptr positions_out = last ? 0 : job.positions[pass % 2];
    CUdeviceptr indices_out = last ? indices : 0;
    CUdeviceptr counts = job.counts, totals = job.totals;
    void* count_parameters[] = {&keys_in, &count, &tiles, &shift, &counts};
    if (dc_status status = launch(job.module.first, tiles, rows, job.queue, count_parameters,
                                  "cuLaunchKernel (sort count)")) {
      return status;
    }
    void* offset_parameters[] = {&counts, &tiles, &totals};
    const unsigned int offset_blocks = tiles <= kSerialOffsetTiles ? 1 : kAlgorithmThreads;
    if (dc_status status = launch(job.module.second, offset_blocks, rows, job.queue,
                                  offset_parameters, "cuLaunchKernel (sort offsets)")) {
      return status;
    }
    void* scatter_parameters[] = {&keys_in, &positions_in, &keys_out, &positions_out, &indices_out,
                                  &count,   &tiles,        &shift,    &counts,        &totals};
    if (dc_status status = launch(job.module.third, tiles, rows, job.queue, scatter_parameters,
                                  "cuLaunchKernel (sort scatter)")) {
      return status;
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
    const std::string source = sort_source(dtype);
    if (source.empty()) {
      return fail(DC_STATUS_UNSUPPORTED, "sort: no CUDA sort for dtype %s", dtype_name(dtype));
    }
    // __match_any_sync needs Volta (sm_70) or newer.
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
    if (dc_status status = builtin(*state, "sort/" + std::to_string(dtype), source, "dc_sort_count",
                                   "dc_sort_offsets", &job.module, "dc_sort_scatter")) {
      return status;
    }
    const uint64_t tile = sort_tile_elements(size);
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
    job.counts = scratch + layout.parts[4];
    job.totals = scratch + layout.parts[5];
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
