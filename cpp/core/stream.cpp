// cpp/core/stream.cpp
// Streams and events over the plugin's stream table, and the per-thread current stream.
#include "dotcompute/stream.hpp"

#include <utility>

#include "dotcompute/abi_slots.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {

std::string quoted(const std::string& text) { return "'" + text + "'"; }

[[noreturn]] void different_devices(const char* what, const DeviceSpec& first,
                                    const DeviceSpec& second) {
  raise(ErrorKind::Device, std::string(what) + ": the event is on " + quoted(first.str()) +
                               " and the stream on " + quoted(second.str()) +
                               "; events join streams of one device only");
}

/// Note [Current stream] in stream.hpp.
thread_local std::vector<std::shared_ptr<Stream>> current_streams;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

Stream::Stream(std::shared_ptr<Plugin> plugin, DeviceSpec spec, dc_stream handle)
    : object_(std::move(plugin), ObjectKind::Stream), spec_(std::move(spec)), handle_(handle) {}

std::shared_ptr<Stream> Stream::create(const DeviceSpec& device) {
  ResolvedDevice resolved = resolve_device(device);
  Plugin& plugin = *resolved.plugin;
  std::shared_ptr<Stream> stream(
      new Stream(resolved.plugin, DeviceSpec{plugin.name(), resolved.index}, nullptr));
  dc_stream handle = nullptr;
  plugin.check(plugin.iface().stream->create(resolved.index, &handle), "create stream");
  stream->handle_ = handle;
  return stream;
}

std::shared_ptr<Stream> Stream::default_stream(const DeviceSpec& device) {
  ResolvedDevice resolved = resolve_device(device);
  return std::shared_ptr<Stream>(
      new Stream(resolved.plugin, DeviceSpec{resolved.plugin->name(), resolved.index}, nullptr));
}

Stream::~Stream() {
  if (handle_ == nullptr) return;
  Plugin& owner = object_.plugin();
  const dc_stream_iface& streams = *owner.iface_unchecked().stream;
  // No caller to report a failure to; the plugin keeps the message for last_error.
  if (tagged_.load(std::memory_order_relaxed) && owner.is_open()) {
    // Note [Stream-tagged blocks] in storage.cpp: the blocks go to the default stream once the
    // work that used them has finished.
    streams.synchronize(spec_.index, handle_);
    try {
      owner.pool(spec_.index).retire_stream(handle_);
    } catch (const Error&) {
      // The plugin is closing: its pools are going away with it.
    }
  }
  streams.destroy(spec_.index, handle_);
}

void Stream::synchronize() const {
  Plugin& owner = plugin();
  owner.check(owner.iface().stream->synchronize(spec_.index, handle_), "stream synchronize");
}

void Stream::wait_event(const Event& event) const {
  if (&event.plugin() != &plugin() || event.device_index() != spec_.index) {
    different_devices("wait_event", event.device(), spec_);
  }
  Plugin& owner = plugin();
  owner.check(owner.iface().stream->event_wait(spec_.index, handle_, event.handle()),
              "stream wait for event");
}

std::shared_ptr<Graph> Stream::capturing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return capture_;
}

// ---------------------------------------------------------------------------------------------
// Event
// ---------------------------------------------------------------------------------------------

Event::Event(std::shared_ptr<Plugin> plugin, DeviceSpec spec)
    : object_(std::move(plugin), ObjectKind::Event), spec_(std::move(spec)) {}

std::shared_ptr<Event> Event::create(const DeviceSpec& device) {
  ResolvedDevice resolved = resolve_device(device);
  Plugin& plugin = *resolved.plugin;
  std::shared_ptr<Event> event(
      new Event(resolved.plugin, DeviceSpec{plugin.name(), resolved.index}));
  dc_event handle = nullptr;
  plugin.check(plugin.iface().stream->event_create(resolved.index, &handle), "create event");
  event->handle_ = handle;
  return event;
}

Event::~Event() {
  if (handle_ == nullptr) return;
  object_.plugin().iface_unchecked().stream->event_destroy(spec_.index, handle_);
}

void Event::record(const Stream& stream) {
  if (!stream.is_on(plugin(), spec_.index)) different_devices("record", spec_, stream.device());
  Plugin& owner = plugin();
  owner.check(owner.iface().stream->event_record(spec_.index, handle_, stream.handle()),
              "event record");
  recorded_ = true;
}

void Event::check_recorded(const char* what) const {
  if (!recorded_) {
    raise(ErrorKind::InvalidArgument, std::string(what) +
                                          ": the event was never recorded; call "
                                          "event.record(stream) first");
  }
}

void Event::synchronize() const {
  check_recorded("Event.synchronize");
  Plugin& owner = plugin();
  owner.check(owner.iface().stream->event_synchronize(spec_.index, handle_), "event synchronize");
}

bool Event::query() const {
  check_recorded("Event.query");
  Plugin& owner = plugin();
  const dc_stream_iface& table = *owner.iface().stream;
  const auto event_query = DC_OPTIONAL_SLOT(table, event_query);  // ABI 1.2
  if (event_query == nullptr) {
    raise(ErrorKind::Unsupported, "backend " + quoted(owner.name()) +
                                      " cannot tell whether an event completed without waiting "
                                      "(its plugin has no event_query slot); use "
                                      "event.synchronize()");
  }
  int32_t done = 0;
  owner.check(event_query(spec_.index, handle_, &done), "event query");
  return done != 0;
}

float Event::elapsed_ms(const Event& end) const {
  if (&end.plugin() != &plugin() || end.device_index() != spec_.index) {
    raise(ErrorKind::Device, "elapsed_ms: the events are on " + quoted(spec_.str()) + " and " +
                                 quoted(end.device().str()) + "; time events of one device");
  }
  check_recorded("Event.elapsed_ms (start)");
  end.check_recorded("Event.elapsed_ms (end)");
  Plugin& owner = plugin();
  const dc_stream_iface& table = *owner.iface().stream;
  if (table.event_elapsed_ms == nullptr) {
    raise(ErrorKind::Unsupported, "backend " + quoted(owner.name()) +
                                      " cannot time events (its plugin has no event_elapsed_ms)");
  }
  float milliseconds = 0.0f;
  owner.check(table.event_elapsed_ms(spec_.index, handle_, end.handle(), &milliseconds),
              "event elapsed time");
  return milliseconds;
}

// ---------------------------------------------------------------------------------------------
// Current stream (Note [Current stream])
// ---------------------------------------------------------------------------------------------

void push_current_stream(std::shared_ptr<Stream> stream) {
  current_streams.push_back(std::move(stream));
}

void pop_current_stream(const Stream& stream) {
  if (current_streams.empty() || current_streams.back().get() != &stream) {
    raise(ErrorKind::InvalidArgument,
          "this stream is not the current one of this thread; `with stream:` blocks must nest");
  }
  current_streams.pop_back();
}

const Stream* current_stream_for(const Plugin& plugin, int device) noexcept {
  if (current_streams.empty()) return nullptr;
  const Stream* top = current_streams.back().get();
  return top->is_on(plugin, device) ? top : nullptr;
}

std::shared_ptr<Stream> current_stream_top() noexcept {
  return current_streams.empty() ? nullptr : current_streams.back();
}

}  // namespace dotcompute
