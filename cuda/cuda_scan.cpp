// cuda/cuda_scan.cpp
// The cumsum slot: three kernel launches per chunk of rows on the caller's stream (Note
// [Reduce-then-scan] in cuda_scan_source.cpp), with the tile sums in the stream's algorithm
// scratch. Nothing waits on the host.
#include <mutex>
#include <string>

#include "cuda_backend.hpp"
#include "cuda_builtin_sources.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cuda {
namespace {

size_t sum_size(dc_dtype dtype) {
  if (dtype == DC_DTYPE_BOOL || dtype_is_integer(dtype)) return 8;
  return dtype_size(dtype);
}

dc_status launch(CUfunction function, unsigned int blocks, unsigned int rows, CUstream stream,
                 void** parameters, const char* what) {
  return check(driver().cuLaunchKernel(function, blocks, rows, 1, kAlgorithmThreads, 1, 1, 0,
                                       stream, parameters, nullptr),
               what);
}

}  // namespace

dc_status scan_rows(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                    dc_buffer_view out, uint64_t batch, uint64_t count) {
  if (!dtype_is_valid(dtype)) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "cumsum: %d is not a dtype code",
                static_cast<int>(dtype));
  }
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  try {
    const std::string source = scan_source(dtype);
    if (source.empty()) {
      return fail(DC_STATUS_UNSUPPORTED, "cumsum: no CUDA scan for dtype %s", dtype_name(dtype));
    }
    if (count != 0 && batch > UINT64_MAX / count / 16) {
      return fail(DC_STATUS_INVALID_ARGUMENT, "cumsum: batch * count overflows");
    }
    const uint64_t total = batch * count;
    const size_t in_size = dtype_size(dtype), out_size = sum_size(dtype);
    CUdeviceptr in_address = 0, out_address = 0;
    if (dc_status status =
            view_elements(*state, input, total, in_size, in_size, "cumsum input", &in_address)) {
      return status;
    }
    if (dc_status status =
            view_elements(*state, out, total, out_size, out_size, "cumsum output", &out_address)) {
      return status;
    }
    if (total == 0) return DC_STATUS_OK;
    const uint64_t tile = scan_tile_elements(in_size);
    uint64_t tiles = (count + tile - 1) / tile;
    if (tiles > static_cast<uint64_t>(state->max_grid_dim[0])) {
      return fail(DC_STATUS_UNSUPPORTED, "cumsum: rows of %llu elements are too long",
                  static_cast<unsigned long long>(count));
    }
    BuiltinModule module;
    if (dc_status status =
            builtin(*state, "cumsum/" + std::to_string(dtype), source, "dc_cumsum_tiles",
                    "dc_cumsum_carry", &module, "dc_cumsum_rows")) {
      return status;
    }
    const uint64_t chunk_rows = batch < kMaxGridRows ? batch : kMaxGridRows;
    std::lock_guard<std::mutex> lock(state->work_mutex);  // Note [Algorithm scratch]
    CUdeviceptr tile_sums = 0;
    if (dc_status status = algorithm_scratch(
            *state, stream, scan_scratch_layout(dtype, chunk_rows, count).bytes, &tile_sums)) {
      return status;
    }
    // Rows beyond one grid's y range go in chunks; chunks reuse the tile sums in stream order.
    for (uint64_t row = 0; row < batch; row += chunk_rows) {
      const uint64_t rows = batch - row < chunk_rows ? batch - row : chunk_rows;
      CUdeviceptr chunk_in = in_address + row * count * in_size;
      CUdeviceptr chunk_out = out_address + row * count * out_size;
      const auto blocks = static_cast<unsigned int>(tiles);
      const auto grid_rows = static_cast<unsigned int>(rows);
      void* tile_parameters[] = {&chunk_in, &count, &tiles, &tile_sums};
      if (dc_status status = launch(module.first, blocks, grid_rows, queue, tile_parameters,
                                    "cuLaunchKernel (cumsum tiles)")) {
        return status;
      }
      void* carry_parameters[] = {&tile_sums, &tiles};
      if (dc_status status = launch(module.second, 1, grid_rows, queue, carry_parameters,
                                    "cuLaunchKernel (cumsum carry)")) {
        return status;
      }
      void* row_parameters[] = {&chunk_in, &chunk_out, &count, &tiles, &tile_sums};
      if (dc_status status = launch(module.third, blocks, grid_rows, queue, row_parameters,
                                    "cuLaunchKernel (cumsum rows)")) {
        return status;
      }
    }
    return DC_STATUS_OK;
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "cumsum: %s", error.what());
  }
}

}  // namespace dotcompute::cuda
