// cpp/include/dotcompute/stream.hpp
// Streams (in-order queues of device work), events (points in a stream) and graphs (captured
// stream work replayed as one unit), over the plugin's stream and graph tables.
//
//     auto stream = Stream::create(DeviceSpec{"cuda", 0});
//     auto graph = Graph::begin_capture(stream);     // work on stream is now captured
//     launch_on_stream(*stream, plan, config, args, storages);
//     graph->end_capture();
//     graph->replay(nullptr);                        // on the device's default stream
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dotcompute/backend_abi.h"
#include "dotcompute/device.hpp"
#include "dotcompute/kernel_launch.hpp"
#include "dotcompute/plugin.hpp"
#include "dotcompute/storage.hpp"

namespace dotcompute {

class Event;
class Graph;

/// A queue of device work on one device. Work on one stream runs in order; work on two streams
/// is unordered unless joined by an event. The default stream (a NULL dc_stream, the one every
/// built-in and transfer uses) is a Stream too, one that is never destroyed.
class Stream {
 public:
  /// A new stream of the device's plugin.
  static std::shared_ptr<Stream> create(const DeviceSpec& device);
  /// The device's default stream.
  static std::shared_ptr<Stream> default_stream(const DeviceSpec& device);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  dc_stream handle() const noexcept { return handle_; }
  bool is_default() const noexcept { return handle_ == nullptr; }
  Plugin& plugin() const noexcept { return object_.plugin(); }
  const std::shared_ptr<Plugin>& plugin_shared() const noexcept { return object_.shared(); }
  int device_index() const noexcept { return spec_.index; }
  const DeviceSpec& device() const noexcept { return spec_; }
  /// Whether this stream and that (plugin, device) are the same device.
  bool is_on(const Plugin& plugin, int device) const noexcept {
    return &object_.plugin() == &plugin && spec_.index == device;
  }

  /// Blocks until all work submitted to this stream has finished.
  void synchronize() const;
  /// Storage::allocate tagged a pool block with this stream (Note [Stream-tagged blocks]).
  void note_tagged_allocation() noexcept { tagged_.store(true, std::memory_order_relaxed); }
  /// Later work on this stream waits until event has completed. Throws Device when the event
  /// belongs to another device.
  void wait_event(const Event& event) const;

  /// The graph capturing this stream's work, or nullptr.
  std::shared_ptr<Graph> capturing() const;

 private:
  friend class Graph;
  Stream(std::shared_ptr<Plugin> plugin, DeviceSpec spec, dc_stream handle);

  PluginObject object_;
  DeviceSpec spec_;
  dc_stream handle_;
  std::atomic<bool> tagged_{false};  // pool blocks carry this stream's tag
  mutable std::mutex mutex_;
  std::shared_ptr<Graph> capture_;
};

using StreamPtr = std::shared_ptr<Stream>;

/// A marker in a stream: completes when the work submitted before it has finished.
class Event {
 public:
  static std::shared_ptr<Event> create(const DeviceSpec& device);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  dc_event handle() const noexcept { return handle_; }
  Plugin& plugin() const noexcept { return object_.plugin(); }
  int device_index() const noexcept { return spec_.index; }
  const DeviceSpec& device() const noexcept { return spec_; }
  bool recorded() const noexcept { return recorded_; }

  /// Marks the current end of stream's work. Throws Device when the stream is another device's.
  void record(const Stream& stream);
  /// Blocks until the recorded work has finished.
  void synchronize() const;
  /// Without blocking: whether the recorded work has finished (ABI 1.2 event_query). Throws
  /// Unsupported when the plugin cannot tell without blocking.
  bool query() const;
  /// Milliseconds from this event to end (both recorded and complete).
  float elapsed_ms(const Event& end) const;

 private:
  Event(std::shared_ptr<Plugin> plugin, DeviceSpec spec);
  void check_recorded(const char* what) const;

  PluginObject object_;
  DeviceSpec spec_;
  dc_event handle_ = nullptr;
  bool recorded_ = false;
};

using EventPtr = std::shared_ptr<Event>;

/// Note [Graphs]
/// A graph is the work one stream received between begin_capture and end_capture, replayed as
/// one unit. Where the plugin has a graph table (CUDA), capture goes through it: the plugin
/// records what the stream receives and replay is one plugin call. Where it has none (the CPU,
/// whose work runs synchronously), the core records each kernel launch (plan, configuration and
/// argument values) instead of running it, and replay launches them again in order: DESIGN's
/// "no graph capture: plain replay". Either way the graph keeps the memory of every array the
/// captured launches used alive, because replay writes to the same addresses; replay after one
/// of them was released explicitly is an error. Only kernel launches given the stream (or made
/// while it is current) are captured; built-ins and transfers run on the default stream.
class Graph {
 public:
  /// Starts capturing stream's work. Throws InvalidArgument when it is already being captured.
  static std::shared_ptr<Graph> begin_capture(const std::shared_ptr<Stream>& stream);
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  /// Stops capturing and makes the graph replayable. Idempotent.
  void end_capture();
  /// Ends a capture that failed half way: the plugin's partial graph is dropped, the stream is
  /// free again, and the graph cannot be replayed.
  void abandon() noexcept;
  /// Runs the captured work again on stream (nullptr: the device's default stream).
  void replay(const Stream* stream) const;

  bool is_capturing() const noexcept { return state_ == State::Capturing; }
  bool is_native() const noexcept { return native_; }
  /// Kernel launches captured.
  size_t launch_count() const noexcept { return launch_count_; }
  const DeviceSpec& device() const noexcept { return spec_; }
  Plugin& plugin() const noexcept { return object_.plugin(); }

  /// Called for a launch on a stream this graph captures: keeps storages alive and, for a
  /// recorded (non-native) graph, stores the launch. Returns true when the launch must still be
  /// submitted to the plugin (native capture), false when recording replaces it.
  bool add_launch(const KernelPlanPtr& plan, const dc_launch_config& config,
                  const dc_kernel_arg* args, const std::vector<std::shared_ptr<Storage>>& storages);
  /// Keeps the memory of a plugin slot's operands that ran in this (native) capture alive.
  void keep_alive(std::vector<std::shared_ptr<Storage>> storages);

 private:
  enum class State { Capturing, Ready, Abandoned };
  struct RecordedLaunch {
    KernelPlanPtr plan;
    dc_launch_config config;
    std::vector<dc_kernel_arg> args;
  };
  Graph(std::shared_ptr<Plugin> plugin, DeviceSpec spec, bool native);
  void detach_stream() noexcept;

  PluginObject object_;
  DeviceSpec spec_;
  bool native_;
  State state_ = State::Capturing;
  std::shared_ptr<Stream> stream_;  // while capturing
  dc_graph handle_ = nullptr;
  std::vector<RecordedLaunch> launches_;
  std::vector<std::shared_ptr<Storage>> storages_;
  size_t launch_count_ = 0;
  std::mutex mutex_;  // launches may be captured from several threads
};

using GraphPtr = std::shared_ptr<Graph>;

/// Launches plan on stream, or records it when a graph captures the stream (Note [Graphs]).
/// storages are the memory of the launch's arrays (kept by a capturing graph).
void launch_on_stream(const Stream& stream, const KernelPlanPtr& plan,
                      const dc_launch_config& config, const dc_kernel_arg* args,
                      const std::vector<std::shared_ptr<Storage>>& storages);

/// Note [Current stream]
/// Each thread has a stack of current streams (`with stream:` pushes and pops). A kernel launch
/// given no stream uses the top of the stack when it is on the kernel's device, else the
/// device's default stream. The stack is a thread_local vector, so the launch fast path pays one
/// emptiness test when no stream was ever made current.
void push_current_stream(std::shared_ptr<Stream> stream);
/// Pops the top; throws InvalidArgument when stream is not the top (unbalanced `with`).
void pop_current_stream(const Stream& stream);
/// The current stream for (plugin, device), or nullptr when it is the default stream.
const Stream* current_stream_for(const Plugin& plugin, int device) noexcept;
/// The top of this thread's stack, or nullptr.
std::shared_ptr<Stream> current_stream_top() noexcept;

}  // namespace dotcompute
