// metal/metal_queues.mm
// Streams and events (Objective-C++): a command queue per stream, the command buffer being
// filled, MTLSharedEvent-based events fed by completion handlers.
//
// Note [Launch batches]
// A stream owns an MTLCommandQueue and at most one open MTLCommandBuffer. Launches, blits and
// staged copies each encode into the open buffer (one encoder each, ended at once), so a burst
// of launches becomes one command buffer: the GPU gets work in batches rather than one submit
// per kernel. The buffer is committed at a sync point (stream or device synchronize,
// copy_to_host, a CPU access of shared memory), when an event is recorded, and when it holds
// kBatchLimit commands, so a long stream of launches starts running without waiting for a
// sync point. waitUntilCompleted is called only at sync points, on the last committed buffer
// (a queue runs its command buffers in order, so that one finishing means all have).
//
// Every committed buffer gets a completion handler that records the first failure
// (MTLCommandBufferStatusError, with the error's description) for the stream; the next sync
// point reports it as DC_STATUS_LAUNCH_FAILED, so an asynchronous fault is never lost.
//
// Note [Events]
// An event is an MTLSharedEvent and a counter. Recording commits the stream's open buffer (an
// empty one if there is none) with encodeSignalEvent:value: for the next count, and a
// completion handler that marks the record done and keeps the buffer's GPUEndTime (seconds;
// the host's uptime when the GPU gave none), which event_query and event_elapsed_ms read.
// event_wait encodes encodeWaitForEvent:value: into the waiting stream's open buffer, so the
// wait happens on the GPU; event_synchronize waits for the recorded command buffer.
#import <Foundation/Foundation.h>
#import <Metal/Metal.h>

#include <new>

#include "metal_backend.hpp"

namespace dotcompute::metal {
namespace {

constexpr uint64_t kStreamTag = 0x64632d6d746c732dULL;  // "dc-mtls-"
constexpr uint64_t kEventTag = 0x64632d6d746c652dULL;   // "dc-mtle-"
constexpr uint64_t kDestroyedTag = 0x64632d6d746c7878ULL;
/// Commands in one command buffer before it is committed (Note [Launch batches]).
constexpr uint32_t kBatchLimit = 64;

/// What a completion handler learns about one recorded event.
struct EventRecord {
  std::atomic<bool> done{false};
  std::atomic<double> end_seconds{0.0};
  void* command_buffer = nullptr;  ///< id<MTLCommandBuffer>, retained until the record dies
  ~EventRecord() {
    if (command_buffer != nullptr) CFBridgingRelease(command_buffer);
  }
};

struct MetalEvent {
  uint64_t tag;
  int32_t device;
  void* shared_event;  ///< id<MTLSharedEvent>, retained
  uint64_t value;      ///< the value the last record signals
  std::shared_ptr<EventRecord> record;
  std::mutex mutex;
};

id<MTLCommandBuffer> open_buffer_locked(MetalStream& stream) {
  if (stream.open_buffer == nullptr) {
    id<MTLCommandQueue> queue = (__bridge id<MTLCommandQueue>)stream.queue;
    id<MTLCommandBuffer> buffer = [queue commandBuffer];
    if (buffer == nil) return nil;
    stream.open_buffer = (__bridge_retained void*)buffer;
    stream.encoded = 0;
  }
  return (__bridge id<MTLCommandBuffer>)stream.open_buffer;
}

void watch_for_failure(MetalStream& stream, id<MTLCommandBuffer> buffer) {
  std::shared_ptr<std::string> failure = stream.failure;
  std::shared_ptr<std::mutex> failure_mutex = stream.failure_mutex;
  [buffer addCompletedHandler:^(id<MTLCommandBuffer> done) {
    if (done.status != MTLCommandBufferStatusError) return;
    NSString* text = done.error.localizedDescription;
    std::lock_guard<std::mutex> lock(*failure_mutex);
    if (failure->empty()) {
      *failure = text.UTF8String != nullptr ? text.UTF8String : "a command buffer failed";
    }
  }];
}

dc_status take_failure(MetalStream& stream) {
  std::lock_guard<std::mutex> lock(*stream.failure_mutex);
  if (stream.failure->empty()) return DC_STATUS_OK;
  const std::string text = *stream.failure;
  stream.failure->clear();
  return fail(DC_STATUS_LAUNCH_FAILED, "metal:%d: work on the stream failed: %s",
              static_cast<int>(stream.device), text.c_str());
}

MetalStream* as_stream(dc_stream stream) { return reinterpret_cast<MetalStream*>(stream); }
MetalEvent* as_event(dc_event event) { return reinterpret_cast<MetalEvent*>(event); }

dc_status check_event(const DeviceState& state, dc_event event, const char* what) {
  if (event == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: event is NULL", what);
  const MetalEvent* header = as_event(event);
  if (header->tag != kEventTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: not a live metal event (destroyed already?)",
                what);
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the event belongs to metal:%d, not metal:%d", what,
                static_cast<int>(header->device), static_cast<int>(state.index));
  }
  return DC_STATUS_OK;
}

// ----- the stream table ---------------------------------------------------------------------

dc_status create(int32_t device, dc_stream* out_stream) {
  if (out_stream == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_stream is NULL");
  *out_stream = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  MetalStream* stream = nullptr;
  if (dc_status status = make_stream(*state, &stream)) return status;
  try {
    std::lock_guard<std::mutex> lock(state->streams_mutex);
    state->streams.insert(stream);
  } catch (const std::exception& error) {
    destroy_stream(stream);
    return fail(DC_STATUS_OUT_OF_MEMORY, "stream create: %s", error.what());
  }
  *out_stream = reinterpret_cast<dc_stream>(stream);
  return DC_STATUS_OK;
}

dc_status destroy(int32_t device, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (stream == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "the default stream cannot be destroyed");
  }
  MetalStream* resolved = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
  {
    std::lock_guard<std::mutex> lock(state->streams_mutex);
    state->streams.erase(resolved);
  }
  destroy_stream(resolved);
  return DC_STATUS_OK;
}

dc_status synchronize(int32_t device, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  MetalStream* resolved = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
  return finish_stream(*resolved);
}

dc_status event_create(int32_t device, dc_event* out_event) {
  if (out_event == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_event is NULL");
  *out_event = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  @autoreleasepool {
    id<MTLDevice> metal_device = (__bridge id<MTLDevice>)state->device;
    id<MTLSharedEvent> shared = [metal_device newSharedEvent];
    if (shared == nil) return fail(DC_STATUS_OUT_OF_MEMORY, "newSharedEvent returned nil");
    void* retained = (__bridge_retained void*)shared;
    auto* event = new (std::nothrow) MetalEvent{kEventTag, device, retained, 0, nullptr, {}};
    if (event == nullptr) {
      CFBridgingRelease(retained);
      return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
    }
    *out_event = reinterpret_cast<dc_event>(event);
  }
  return DC_STATUS_OK;
}

dc_status event_destroy(int32_t device, dc_event event) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_destroy")) return status;
  MetalEvent* header = as_event(event);
  CFBridgingRelease(header->shared_event);
  header->tag = kDestroyedTag;
  delete header;
  return DC_STATUS_OK;
}

dc_status event_record(int32_t device, dc_event event, dc_stream stream) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_record")) return status;
  MetalStream* resolved = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
  MetalEvent& target = *as_event(event);
  @autoreleasepool {
    std::shared_ptr<EventRecord> record;
    try {
      record = std::make_shared<EventRecord>();
    } catch (const std::exception& error) {
      return fail(DC_STATUS_OUT_OF_MEMORY, "event_record: %s", error.what());
    }
    std::lock_guard<std::mutex> event_lock(target.mutex);
    std::lock_guard<std::mutex> lock(resolved->mutex);
    id<MTLCommandBuffer> buffer = open_buffer_locked(*resolved);
    if (buffer == nil) return fail(DC_STATUS_OUT_OF_MEMORY, "commandBuffer returned nil");
    const uint64_t value = target.value + 1;
    [buffer encodeSignalEvent:(__bridge id<MTLSharedEvent>)target.shared_event value:value];
    // The record keeps the command buffer and the buffer keeps this handler, so the handler
    // holds the record weakly: a strong reference would be a cycle that never frees either.
    std::weak_ptr<EventRecord> seen = record;
    [buffer addCompletedHandler:^(id<MTLCommandBuffer> done) {
      std::shared_ptr<EventRecord> alive = seen.lock();
      if (alive == nullptr) return;  // the event was recorded again or destroyed meanwhile
      double end = done.GPUEndTime;
      alive->end_seconds = end > 0.0 ? end : [NSProcessInfo processInfo].systemUptime;
      alive->done = true;
    }];
    record->command_buffer = (__bridge_retained void*)buffer;
    commit_locked(*resolved);
    target.value = value;
    target.record = record;
  }
  return DC_STATUS_OK;
}

dc_status event_wait(int32_t device, dc_stream stream, dc_event event) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_wait")) return status;
  MetalStream* resolved = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
  MetalEvent& target = *as_event(event);
  std::lock_guard<std::mutex> event_lock(target.mutex);
  if (target.value == 0) return DC_STATUS_OK;  // never recorded: nothing to wait for
  @autoreleasepool {
    std::lock_guard<std::mutex> lock(resolved->mutex);
    id<MTLCommandBuffer> buffer = open_buffer_locked(*resolved);
    if (buffer == nil) return fail(DC_STATUS_OUT_OF_MEMORY, "commandBuffer returned nil");
    [buffer encodeWaitForEvent:(__bridge id<MTLSharedEvent>)target.shared_event value:target.value];
    ++resolved->encoded;
  }
  return DC_STATUS_OK;
}

std::shared_ptr<EventRecord> current_record(MetalEvent& event) {
  std::lock_guard<std::mutex> lock(event.mutex);
  return event.record;
}

dc_status event_synchronize(int32_t device, dc_event event) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_synchronize")) return status;
  std::shared_ptr<EventRecord> record = current_record(*as_event(event));
  if (record == nullptr) return DC_STATUS_OK;
  @autoreleasepool {
    id<MTLCommandBuffer> buffer = (__bridge id<MTLCommandBuffer>)record->command_buffer;
    [buffer waitUntilCompleted];
    if (buffer.status == MTLCommandBufferStatusError) {
      NSString* text = buffer.error.localizedDescription;
      return fail(DC_STATUS_LAUNCH_FAILED, "metal:%d: work before the event failed: %s",
                  static_cast<int>(device), text.UTF8String != nullptr ? text.UTF8String : "?");
    }
  }
  return DC_STATUS_OK;
}

dc_status event_elapsed_ms(int32_t device, dc_event start, dc_event end, float* out_ms) {
  if (out_ms == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_ms is NULL");
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, start, "event_elapsed_ms")) return status;
  if (dc_status status = check_event(*state, end, "event_elapsed_ms")) return status;
  std::shared_ptr<EventRecord> first = current_record(*as_event(start));
  std::shared_ptr<EventRecord> second = current_record(*as_event(end));
  if (first == nullptr || second == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "event_elapsed_ms: both events must be recorded");
  }
  if (!first->done || !second->done) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "event_elapsed_ms: the events have not completed yet (synchronize first)");
  }
  *out_ms = static_cast<float>((second->end_seconds - first->end_seconds) * 1000.0);
  return DC_STATUS_OK;
}

dc_status event_query(int32_t device, dc_event event, int32_t* out_done) {
  if (out_done == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_done is NULL");
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_event(*state, event, "event_query")) return status;
  std::shared_ptr<EventRecord> record = current_record(*as_event(event));
  *out_done = record == nullptr || record->done ? 1 : 0;
  return DC_STATUS_OK;
}

}  // namespace

dc_status make_stream(DeviceState& state, MetalStream** out) noexcept {
  *out = nullptr;
  @autoreleasepool {
    id<MTLDevice> device = (__bridge id<MTLDevice>)state.device;
    id<MTLCommandQueue> queue = [device newCommandQueue];
    if (queue == nil) {
      return fail(DC_STATUS_OUT_OF_MEMORY, "metal:%d: newCommandQueue returned nil",
                  static_cast<int>(state.index));
    }
    auto* stream = new (std::nothrow) MetalStream{kStreamTag, state.index};
    if (stream == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
    stream->queue = (__bridge_retained void*)queue;
    *out = stream;
  }
  return DC_STATUS_OK;
}

void destroy_stream(MetalStream* stream) noexcept {
  if (stream == nullptr) return;
  finish_stream(*stream);
  @autoreleasepool {
    if (stream->last_committed != nullptr) CFBridgingRelease(stream->last_committed);
    if (stream->queue != nullptr) CFBridgingRelease(stream->queue);
  }
  stream->tag = kDestroyedTag;
  delete stream;
}

dc_status resolve_stream(DeviceState& state, dc_stream stream, MetalStream** out) noexcept {
  *out = nullptr;
  if (stream == nullptr) {
    *out = state.default_stream;
    return DC_STATUS_OK;
  }
  MetalStream* header = as_stream(stream);
  if (header->tag != kStreamTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "not a live metal stream (destroyed already?)");
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "the stream belongs to metal:%d, not metal:%d",
                static_cast<int>(header->device), static_cast<int>(state.index));
  }
  *out = header;
  return DC_STATUS_OK;
}

void commit_locked(MetalStream& stream) noexcept {
  if (stream.open_buffer == nullptr) return;
  @autoreleasepool {
    id<MTLCommandBuffer> buffer = (__bridge_transfer id<MTLCommandBuffer>)stream.open_buffer;
    stream.open_buffer = nullptr;
    stream.encoded = 0;
    watch_for_failure(stream, buffer);
    [buffer commit];
    if (stream.last_committed != nullptr) CFBridgingRelease(stream.last_committed);
    stream.last_committed = (__bridge_retained void*)buffer;
  }
}

void count_command_locked(MetalStream& stream) noexcept {
  if (++stream.encoded >= kBatchLimit) commit_locked(stream);
}

dc_status finish_stream(MetalStream& stream) noexcept {
  @autoreleasepool {
    id<MTLCommandBuffer> last = nil;
    {
      std::lock_guard<std::mutex> lock(stream.mutex);
      commit_locked(stream);
      if (stream.last_committed != nullptr) {
        last = (__bridge id<MTLCommandBuffer>)stream.last_committed;
      }
    }
    [last waitUntilCompleted];  // a message to nil does nothing: no work was ever committed
    return take_failure(stream);
  }
}

void* open_command_buffer_locked(MetalStream& stream) noexcept {
  @autoreleasepool {
    return (__bridge void*)open_buffer_locked(stream);
  }
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

}  // namespace dotcompute::metal
