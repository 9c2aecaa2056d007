// cpp/opencl/opencl_queues.cpp
// Streams as in-order command queues, events as markers.
//
// A dc_event records a marker (clEnqueueMarkerWithWaitList) on a queue; event_wait enqueues a
// barrier that waits for that marker on another queue, which is how pipeline stages on
// different streams are ordered. Re-recording an event replaces its marker. Queues are made
// with profiling on, so event_elapsed_ms can read the markers' device timestamps.
//
// Note [Short waits]
// clFinish sleeps until the driver signals completion, and on a CPU driver (PoCL) waking the
// sleeping thread costs as much as a small kernel. Each queue therefore keeps the event of the
// last kernel queued on it, and finish_queue flushes and polls that event's status for up to
// kSpin (yielding the core between polls, so the driver's workers get it when they need it)
// before the blocking clFinish, which then returns at once when the queue is done. Short
// launches return without a sleep; long ones pay one poll period at most.
#include <chrono>
#include <new>
#include <thread>

#include "opencl_backend.hpp"

namespace dotcompute::opencl {
namespace {

constexpr auto kSpin = std::chrono::microseconds(200);
constexpr uint64_t kQueueTag = 0x64632d6f636c712dULL;  // "dc-oclq-"
constexpr uint64_t kEventTag = 0x64632d6f636c652dULL;  // "dc-ocle-"
constexpr uint64_t kDestroyedTag = 0x64632d6f636c7878ULL;

struct OpenclEvent {
  uint64_t tag;
  int32_t device;
  cl_event marker;  ///< nullptr until recorded
};

OpenclQueue* as_queue(dc_stream stream) { return reinterpret_cast<OpenclQueue*>(stream); }
OpenclEvent* as_event(dc_event event) { return reinterpret_cast<OpenclEvent*>(event); }

dc_status check_event(const DeviceState& state, dc_event event, const char* what) {
  if (event == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: event is NULL", what);
  const OpenclEvent* header = as_event(event);
  if (header->tag != kEventTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: not a live opencl event (destroyed twice?)", what);
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the event belongs to opencl:%d, not opencl:%d",
                what, static_cast<int>(header->device), static_cast<int>(state.index));
  }
  return DC_STATUS_OK;
}

dc_status create(int32_t device, dc_stream* out_stream) {
  if (out_stream == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_stream is NULL");
  *out_stream = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  cl_int code = CL_SUCCESS;
  cl_command_queue queue =
      api().clCreateCommandQueue(state->context, state->device, CL_QUEUE_PROFILING_ENABLE, &code);
  if (code != CL_SUCCESS) return check(code, "clCreateCommandQueue");
  auto* stream = new (std::nothrow) OpenclQueue{kQueueTag, device, queue, nullptr, {nullptr}};
  if (stream == nullptr) {
    api().clReleaseCommandQueue(queue);
    return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  }
  try {
    std::lock_guard<std::mutex> lock(state->queues_mutex);
    state->queues.insert(stream);
  } catch (const std::exception&) {
    api().clReleaseCommandQueue(queue);
    delete stream;
    return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  }
  *out_stream = reinterpret_cast<dc_stream>(stream);
  return DC_STATUS_OK;
}

dc_status destroy(int32_t device, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (stream == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "the default (NULL) stream cannot be destroyed");
  }
  cl_command_queue queue = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue)) return status;
  OpenclQueue* header = as_queue(stream);
  {
    std::lock_guard<std::mutex> lock(state->queues_mutex);
    state->queues.erase(header);
  }
  // Releasing a queue lets its queued work finish first; the scratch is released after it.
  const dc_status status = check(api().clFinish(queue), "clFinish (destroying a stream)");
  if (header->scratch != nullptr) api().clReleaseMemObject(header->scratch);
  remember_kernel(&header->last, nullptr);
  api().clReleaseCommandQueue(queue);
  header->tag = kDestroyedTag;
  delete header;
  return status;
}

dc_status synchronize(int32_t device, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  cl_command_queue queue = nullptr;
  std::atomic<cl_event>* last = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue, &last)) return status;
  return finish_queue(queue, last, "synchronize");
}

dc_status event_create(int32_t device, dc_event* out_event) {
  if (out_event == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_event is NULL");
  *out_event = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  auto* event = new (std::nothrow) OpenclEvent{kEventTag, device, nullptr};
  if (event == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  *out_event = reinterpret_cast<dc_event>(event);
  return DC_STATUS_OK;
}

dc_status event_destroy(int32_t device, dc_event event) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_destroy")) return status;
  OpenclEvent* header = as_event(event);
  if (header->marker != nullptr) api().clReleaseEvent(header->marker);
  header->tag = kDestroyedTag;
  delete header;
  return DC_STATUS_OK;
}

dc_status event_record(int32_t device, dc_event event, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_record")) return status;
  cl_command_queue queue = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue)) return status;
  cl_event marker = nullptr;
  if (dc_status status = check(api().clEnqueueMarkerWithWaitList(queue, 0, nullptr, &marker),
                               "clEnqueueMarkerWithWaitList")) {
    return status;
  }
  // Markers reach the device only once the queue is flushed; another queue may wait for it.
  api().clFlush(queue);
  OpenclEvent* header = as_event(event);
  if (header->marker != nullptr) api().clReleaseEvent(header->marker);
  header->marker = marker;
  return DC_STATUS_OK;
}

dc_status event_wait(int32_t device, dc_stream stream, dc_event event) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_wait")) return status;
  cl_command_queue queue = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue)) return status;
  const cl_event marker = as_event(event)->marker;
  if (marker == nullptr) return DC_STATUS_OK;  // never recorded: nothing to wait for, as CUDA
  return check(api().clEnqueueBarrierWithWaitList(queue, 1, &marker, nullptr),
               "clEnqueueBarrierWithWaitList");
}

dc_status event_synchronize(int32_t device, dc_event event) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_synchronize")) return status;
  const cl_event marker = as_event(event)->marker;
  if (marker == nullptr) return DC_STATUS_OK;
  return check(api().clWaitForEvents(1, &marker), "clWaitForEvents");
}

dc_status event_elapsed_ms(int32_t device, dc_event start, dc_event end, float* out_ms) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, start, "event_elapsed_ms start")) return status;
  if (dc_status status = check_event(*state, end, "event_elapsed_ms end")) return status;
  if (out_ms == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_ms is NULL");
  const cl_event first = as_event(start)->marker, last = as_event(end)->marker;
  if (first == nullptr || last == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "event_elapsed_ms: both events must be recorded before timing them");
  }
  const cl_event both[2] = {first, last};
  if (dc_status status = check(api().clWaitForEvents(2, both), "clWaitForEvents")) return status;
  cl_ulong begin = 0, finish = 0;
  const cl_int code = api().clGetEventProfilingInfo(first, CL_PROFILING_COMMAND_END, sizeof(begin),
                                                    &begin, nullptr);
  const cl_int code_end = api().clGetEventProfilingInfo(last, CL_PROFILING_COMMAND_END,
                                                        sizeof(finish), &finish, nullptr);
  if (code != CL_SUCCESS || code_end != CL_SUCCESS) {
    return fail(DC_STATUS_UNSUPPORTED,
                "event_elapsed_ms: the events were recorded on the default stream, which has no "
                "profiling; record them on a created stream (%s)",
                describe_error(code != CL_SUCCESS ? code : code_end).c_str());
  }
  *out_ms = static_cast<float>(static_cast<double>(static_cast<int64_t>(finish - begin)) * 1e-6);
  return DC_STATUS_OK;
}

dc_status event_query(int32_t device, dc_event event, int32_t* out_done) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_query")) return status;
  if (out_done == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_done is NULL");
  const cl_event marker = as_event(event)->marker;
  if (marker == nullptr) {
    *out_done = 1;
    return DC_STATUS_OK;
  }
  cl_int execution = 0;
  if (dc_status status = check(api().clGetEventInfo(marker, CL_EVENT_COMMAND_EXECUTION_STATUS,
                                                    sizeof(execution), &execution, nullptr),
                               "clGetEventInfo")) {
    return status;
  }
  if (execution < 0) {
    return fail(DC_STATUS_LAUNCH_FAILED, "the work before the event failed: %s",
                describe_error(execution).c_str());
  }
  *out_done = execution == CL_COMPLETE ? 1 : 0;
  return DC_STATUS_OK;
}

}  // namespace

void remember_kernel(std::atomic<cl_event>* last, cl_event event) noexcept {
  if (last == nullptr) {
    if (event != nullptr) api().clReleaseEvent(event);
    return;
  }
  const cl_event previous = last->exchange(event);
  if (previous != nullptr) api().clReleaseEvent(previous);
}

dc_status finish_queue(cl_command_queue queue, std::atomic<cl_event>* last,
                       const char* what) noexcept {
  const OpenclApi& cl = api();
  const cl_event kernel = last != nullptr ? last->exchange(nullptr) : nullptr;
  cl_int execution = CL_COMPLETE;
  if (kernel != nullptr && cl.clFlush(queue) == CL_SUCCESS) {
    const auto start = std::chrono::steady_clock::now();
    while (cl.clGetEventInfo(kernel, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(execution),
                             &execution, nullptr) == CL_SUCCESS &&
           execution > CL_COMPLETE && std::chrono::steady_clock::now() - start < kSpin) {
      std::this_thread::yield();
    }
  }
  if (kernel != nullptr) cl.clReleaseEvent(kernel);
  if (execution < 0) {
    return fail(DC_STATUS_LAUNCH_FAILED, "%s: queued work failed: %s", what,
                describe_error(execution).c_str());
  }
  // Complete or still running: clFinish returns at once for the former and reports any error.
  return check(cl.clFinish(queue), what);
}

dc_status resolve_queue(const DeviceState& state, dc_stream stream, cl_command_queue* out,
                        std::atomic<cl_event>** last) noexcept {
  if (stream == nullptr) {
    *out = state.default_queue;
    if (last != nullptr) *last = &state.default_last;
    return DC_STATUS_OK;
  }
  const OpenclQueue* header = as_queue(stream);
  if (header->tag != kQueueTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "not a live opencl stream (destroyed already?)");
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "the stream belongs to opencl:%d, not opencl:%d",
                static_cast<int>(header->device), static_cast<int>(state.index));
  }
  *out = header->queue;
  if (last != nullptr) *last = &as_queue(stream)->last;
  return DC_STATUS_OK;
}

dc_status queue_scratch(DeviceState& state, dc_stream stream, uint64_t bytes,
                        cl_mem* out) noexcept {
  cl_mem* slot = stream == nullptr ? &state.default_scratch : &as_queue(stream)->scratch;
  if (*slot == nullptr) {
    cl_int code = CL_SUCCESS;
    cl_mem made = api().clCreateBuffer(state.context, CL_MEM_READ_WRITE, static_cast<size_t>(bytes),
                                       nullptr, &code);
    if (dc_status status = check(code, "clCreateBuffer (reduction scratch)")) return status;
    *slot = made;
  }
  *out = *slot;
  return DC_STATUS_OK;
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

}  // namespace dotcompute::opencl
