// cuda/cuda_algorithm_scratch.cpp
// Device memory for the temporaries of scans and sorts.
//
// Note [Algorithm scratch]
// A scan needs its tile sums and a sort its key, position and digit-count buffers, all sized by
// the input. Each stream (and a device's default stream) keeps one allocation that grows to the
// largest request seen: work queued on one stream runs in order, so consecutive calls reuse it
// without waiting. Growing frees the old block first; cuMemFree waits until the device is done
// with it, so only a call that needs more than any before it synchronizes. The block is freed
// when its stream is destroyed or at shutdown.
// A call holds the device's work_mutex from taking the block until its last kernel is queued:
// otherwise another thread could grow (free) the block between the two. Kernels still running
// after the lock is released are safe, because growing waits for them in cuMemFree.
// Inside a capture a call gets a block of the graph's own instead (capture_scratch): the stream's
// block may grow, and so be freed, or be written by the stream's eager calls while the graph
// replays (Note [Library calls in a capture]).
#include <new>

#include "cuda_backend.hpp"

namespace dotcompute::cuda {
namespace {

/// Requests are rounded up to this, so sizes that differ a little share one allocation.
constexpr uint64_t kGranularity = uint64_t{2} << 20;

/// A block for one captured call, freed with the graph the capture becomes.
dc_status capture_scratch(CudaStream& captured, uint64_t bytes, CUdeviceptr* out) noexcept {
  const DriverApi& api = driver();
  const RelaxedCaptureScope relaxed;  // Note [Allocation during a capture]
  CUdeviceptr block = 0;
  if (dc_status status = check(api.cuMemAlloc(&block, static_cast<size_t>(bytes)),
                               "cuMemAlloc (scan / sort scratch of a graph)")) {
    return status;
  }
  try {
    captured.capture_releases.push_back([block] { driver().cuMemFree(block); });
  } catch (const std::bad_alloc&) {
    release_outside_captures(captured.device, [block] { driver().cuMemFree(block); });
    return fail(DC_STATUS_OUT_OF_MEMORY, "scan / sort scratch of a graph: out of host memory");
  }
  *out = block;
  return DC_STATUS_OK;
}

}  // namespace

dc_status algorithm_scratch(DeviceState& state, dc_stream stream, uint64_t bytes,
                            CUdeviceptr* out) noexcept {
  if (bytes == 0) bytes = 1;
  if (CudaStream* captured = capturing_stream(stream))
    return capture_scratch(*captured, bytes, out);
  CudaStream* owner = stream == nullptr ? nullptr : reinterpret_cast<CudaStream*>(stream);
  CUdeviceptr* block = owner == nullptr ? &state.default_work : &owner->work;
  uint64_t* size = owner == nullptr ? &state.default_work_bytes : &owner->work_bytes;
  if (*block == 0 || *size < bytes) {
    const DriverApi& api = driver();
    if (*block != 0) api.cuMemFree(*block);
    *block = 0;
    *size = 0;
    const uint64_t rounded = (bytes + kGranularity - 1) / kGranularity * kGranularity;
    if (dc_status status = check(api.cuMemAlloc(block, static_cast<size_t>(rounded)),
                                 "cuMemAlloc (scan / sort scratch)")) {
      *block = 0;
      return status;
    }
    *size = rounded;
  }
  *out = *block;
  return DC_STATUS_OK;
}

void release_algorithm_scratch(DeviceState& state) noexcept {
  if (state.default_work != 0) driver().cuMemFree(state.default_work);
  state.default_work = 0;
  state.default_work_bytes = 0;
}

}  // namespace dotcompute::cuda
