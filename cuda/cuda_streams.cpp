// cuda/cuda_streams.cpp
// Streams and events over CUstream/CUevent.
//
// Note [Default stream]
// A NULL dc_stream is not CUDA's legacy NULL stream but a stream the plugin creates per device
// at initialize with CU_STREAM_NON_BLOCKING. The legacy stream synchronizes with every blocking
// stream of the context, so other libraries' work (CuPy, PyTorch, which use it by default) would
// serialize with ours and ours with theirs. The price is that work handed between dotcompute
// and such a library must be ordered explicitly (synchronize, or the stream field of
// __cuda_array_interface__ / DLPack), which those protocols exist for.
#include <new>

#include "cuda_backend.hpp"

namespace dotcompute::cuda {
namespace {

constexpr uint64_t kStreamTag = 0x64632d6375646173ULL;  // "dc-cudas"
constexpr uint64_t kEventTag = 0x64632d6375646165ULL;   // "dc-cudae"
constexpr uint64_t kDestroyedTag = 0x64632d6375646164ULL;

struct CudaEvent {
  uint64_t tag;
  int32_t device;
  CUevent handle;
  bool recorded;
};

CudaStream* as_stream(dc_stream stream) { return reinterpret_cast<CudaStream*>(stream); }
CudaEvent* as_event(dc_event event) { return reinterpret_cast<CudaEvent*>(event); }

dc_status check_event(const DeviceState& state, dc_event event, const char* what) {
  if (event == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: event is NULL", what);
  const CudaEvent* header = as_event(event);
  if (header->tag != kEventTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: not a live cuda event (destroyed twice?)", what);
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the event belongs to cuda:%d, not cuda:%d", what,
                static_cast<int>(header->device), static_cast<int>(state.index));
  }
  return DC_STATUS_OK;
}

dc_status create(int32_t device, dc_stream* out_stream) {
  if (out_stream == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_stream is NULL");
  *out_stream = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  auto* stream = new (std::nothrow) CudaStream{};
  if (stream == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  stream->tag = kStreamTag;
  stream->device = device;
  if (dc_status status = check(driver().cuStreamCreate(&stream->handle, CU_STREAM_NON_BLOCKING),
                               "cuStreamCreate")) {
    delete stream;
    return status;
  }
  *out_stream = reinterpret_cast<dc_stream>(stream);
  return DC_STATUS_OK;
}

dc_status destroy(int32_t device, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (stream == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "the default (NULL) stream cannot be destroyed");
  }
  CUstream handle = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &handle)) return status;
  CudaStream* header = as_stream(stream);
  // cuStreamDestroy returns at once and lets queued work finish; the scratch, cuBLAS handle and
  // cuFFT plans it may still use are freed by calls that wait for the device.
  release_stream_scratch(*header);
  release_blas(device, stream, false);
  release_fft(device, stream, false);
  const dc_status status = check(driver().cuStreamDestroy(handle), "cuStreamDestroy");
  header->tag = kDestroyedTag;
  delete header;
  return status;
}

dc_status synchronize(int32_t device, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream handle = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &handle)) return status;
  const RelaxedCaptureScope relaxed;  // Note [Allocation during a capture]
  return check(driver().cuStreamSynchronize(handle), "cuStreamSynchronize");
}

dc_status event_create(int32_t device, dc_event* out_event) {
  if (out_event == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_event is NULL");
  *out_event = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  auto* event = new (std::nothrow) CudaEvent{kEventTag, device, nullptr, false};
  if (event == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  // Timing stays enabled: event_elapsed_ms is how benchmarks read device time.
  if (dc_status status =
          check(driver().cuEventCreate(&event->handle, CU_EVENT_DEFAULT), "cuEventCreate")) {
    delete event;
    return status;
  }
  *out_event = reinterpret_cast<dc_event>(event);
  return DC_STATUS_OK;
}

dc_status event_destroy(int32_t device, dc_event event) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_destroy")) return status;
  CudaEvent* header = as_event(event);
  const dc_status status = check(driver().cuEventDestroy(header->handle), "cuEventDestroy");
  header->tag = kDestroyedTag;
  delete header;
  return status;
}

dc_status event_record(int32_t device, dc_event event, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_record")) return status;
  CUstream handle = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &handle)) return status;
  if (dc_status status =
          check(driver().cuEventRecord(as_event(event)->handle, handle), "cuEventRecord")) {
    return status;
  }
  as_event(event)->recorded = true;
  return DC_STATUS_OK;
}

dc_status event_wait(int32_t device, dc_stream stream, dc_event event) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_wait")) return status;
  CUstream handle = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &handle)) return status;
  return check(driver().cuStreamWaitEvent(handle, as_event(event)->handle, 0), "cuStreamWaitEvent");
}

dc_status event_synchronize(int32_t device, dc_event event) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_synchronize")) return status;
  const RelaxedCaptureScope relaxed;  // Note [Allocation during a capture]
  return check(driver().cuEventSynchronize(as_event(event)->handle), "cuEventSynchronize");
}

dc_status event_elapsed_ms(int32_t device, dc_event start, dc_event end, float* out_ms) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_event(*state, start, "event_elapsed_ms start")) return status;
  if (dc_status status = check_event(*state, end, "event_elapsed_ms end")) return status;
  if (out_ms == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_ms is NULL");
  if (!as_event(start)->recorded || !as_event(end)->recorded) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "event_elapsed_ms: both events must be recorded before timing them");
  }
  return check(driver().cuEventElapsedTime(out_ms, as_event(start)->handle, as_event(end)->handle),
               "cuEventElapsedTime");
}

}  // namespace

CudaStream* capturing_stream(dc_stream stream) noexcept {
  CudaStream* header = stream == nullptr ? nullptr : as_stream(stream);
  return header != nullptr && header->capturing ? header : nullptr;
}

dc_status resolve_stream(const DeviceState& state, dc_stream stream, CUstream* out) noexcept {
  if (stream == nullptr) {
    *out = state.default_stream;
    return DC_STATUS_OK;
  }
  const CudaStream* header = as_stream(stream);
  if (header->tag != kStreamTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "not a live cuda stream (destroyed already?)");
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "the stream belongs to cuda:%d, not cuda:%d",
                static_cast<int>(header->device), static_cast<int>(state.index));
  }
  *out = header->handle;
  return DC_STATUS_OK;
}

dc_status stream_scratch(DeviceState& state, dc_stream stream, uint64_t bytes,
                         CUdeviceptr* out) noexcept {
  CUdeviceptr* slot = stream == nullptr ? &state.default_scratch : &as_stream(stream)->scratch;
  if (*slot == 0) {
    if (dc_status status = check(driver().cuMemAlloc(slot, static_cast<size_t>(bytes)),
                                 "cuMemAlloc (reduction scratch)")) {
      *slot = 0;
      return status;
    }
  }
  *out = *slot;
  return DC_STATUS_OK;
}

void release_stream_scratch(CudaStream& stream) noexcept {
  for (CUdeviceptr block : {stream.scratch, stream.work}) {
    // cuMemFree waits for the device: not during a capture (Note [Releases during a capture]).
    if (block != 0) release_outside_captures(stream.device, [block] { driver().cuMemFree(block); });
  }
  stream.scratch = 0;
  stream.work = 0;
  stream.work_bytes = 0;
}

dc_status event_query(int32_t device, dc_event event, int32_t* out_done) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_query")) return status;
  if (out_done == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_done is NULL");
  *out_done = 1;  // an event never recorded counts as complete, as with cuEventQuery
  if (!as_event(event)->recorded) return DC_STATUS_OK;
  const CUresult result = driver().cuEventQuery(as_event(event)->handle);
  if (result == CUDA_ERROR_NOT_READY) {
    *out_done = 0;
    return DC_STATUS_OK;
  }
  return check(result, "cuEventQuery");
}

const dc_stream_iface stream_iface = {
    sizeof(dc_stream_iface),
    create,
    destroy,
    synchronize,
    event_create,
    event_destroy,
    event_record,
    event_wait,
    event_synchronize,
    event_elapsed_ms,
    event_query,
};

}  // namespace dotcompute::cuda
