// cpp/cpu/cpu_streams.cpp
// Streams and events of a device that runs every call synchronously, in order.
//
// Work submitted to any stream has finished when the call returns, so a stream needs no queue
// and an event completes when it is recorded; they are still real objects so the core can treat
// the CPU like any other device (and get clear errors for bad handles). Events remember the
// steady-clock time of their last record for event_elapsed_ms.
#include <chrono>
#include <new>

#include "cpu_backend.hpp"

namespace dotcompute::cpu {
namespace {

constexpr uint64_t kStreamTag = 0x64632d6370752d73ULL;  // "dc-cpu-s"
constexpr uint64_t kEventTag = 0x64632d6370752d65ULL;   // "dc-cpu-e"
constexpr uint64_t kDestroyedTag = 0x64632d6370752d64ULL;

struct CpuStream {
  uint64_t tag = kStreamTag;
};

struct CpuEvent {
  uint64_t tag = kEventTag;
  bool recorded = false;
  std::chrono::steady_clock::time_point time;
};

CpuStream* as_stream(dc_stream stream) { return reinterpret_cast<CpuStream*>(stream); }
CpuEvent* as_event(dc_event event) { return reinterpret_cast<CpuEvent*>(event); }

dc_status check_event(dc_event event, const char* what) {
  if (event == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: event is NULL", what);
  if (as_event(event)->tag != kEventTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: not a live cpu event (destroyed twice?)", what);
  }
  return DC_STATUS_OK;
}

dc_status create(int32_t device, dc_stream* out_stream) {
  if (dc_status status = check_device(device)) return status;
  if (out_stream == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_stream is NULL");
  CpuStream* stream = new (std::nothrow) CpuStream;
  if (stream == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of memory creating a stream");
  *out_stream = reinterpret_cast<dc_stream>(stream);
  return DC_STATUS_OK;
}

dc_status destroy(int32_t device, dc_stream stream) {
  if (dc_status status = check_device(device)) return status;
  if (stream == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "the default (NULL) stream cannot be destroyed");
  }
  if (dc_status status = check_stream(stream)) return status;
  as_stream(stream)->tag = kDestroyedTag;
  delete as_stream(stream);
  return DC_STATUS_OK;
}

dc_status synchronize(int32_t device, dc_stream stream) {
  if (dc_status status = check_device(device)) return status;
  return check_stream(stream);
}

dc_status event_create(int32_t device, dc_event* out_event) {
  if (dc_status status = check_device(device)) return status;
  if (out_event == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_event is NULL");
  CpuEvent* event = new (std::nothrow) CpuEvent;
  if (event == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of memory creating an event");
  *out_event = reinterpret_cast<dc_event>(event);
  return DC_STATUS_OK;
}

dc_status event_destroy(int32_t device, dc_event event) {
  if (dc_status status = check_device(device)) return status;
  if (dc_status status = check_event(event, "event_destroy")) return status;
  as_event(event)->tag = kDestroyedTag;
  delete as_event(event);
  return DC_STATUS_OK;
}

dc_status event_record(int32_t device, dc_event event, dc_stream stream) {
  if (dc_status status = check_device(device)) return status;
  if (dc_status status = check_event(event, "event_record")) return status;
  if (dc_status status = check_stream(stream)) return status;
  as_event(event)->recorded = true;
  as_event(event)->time = std::chrono::steady_clock::now();
  return DC_STATUS_OK;
}

/// Everything recorded has already run, so waiting is only a check of the arguments.
dc_status event_wait(int32_t device, dc_stream stream, dc_event event) {
  if (dc_status status = check_device(device)) return status;
  if (dc_status status = check_stream(stream)) return status;
  return check_event(event, "event_wait");
}

dc_status event_synchronize(int32_t device, dc_event event) {
  if (dc_status status = check_device(device)) return status;
  return check_event(event, "event_synchronize");
}

dc_status event_elapsed_ms(int32_t device, dc_event start, dc_event end, float* out_ms) {
  if (dc_status status = check_device(device)) return status;
  if (dc_status status = check_event(start, "event_elapsed_ms start")) return status;
  if (dc_status status = check_event(end, "event_elapsed_ms end")) return status;
  if (out_ms == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_ms is NULL");
  if (!as_event(start)->recorded || !as_event(end)->recorded) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "event_elapsed_ms: both events must be recorded before timing them");
  }
  const std::chrono::duration<float, std::milli> elapsed =
      as_event(end)->time - as_event(start)->time;
  *out_ms = elapsed.count();
  return DC_STATUS_OK;
}

}  // namespace

dc_status check_stream(dc_stream stream) noexcept {
  if (stream == nullptr || as_stream(stream)->tag == kStreamTag) return DC_STATUS_OK;
  return fail(DC_STATUS_INVALID_ARGUMENT, "not a live cpu stream (destroyed already?)");
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
    nullptr,  // event_query: work runs synchronously, so a recorded event is always done
};

}  // namespace dotcompute::cpu
