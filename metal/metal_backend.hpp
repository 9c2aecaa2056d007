// metal/metal_backend.hpp
// Shared state of the Metal plugin in plain C++: errors, per-device state, handles, the tables.
//
// Objective-C++ lives only in the *.mm files. Metal objects cross into this header as opaque
// handles: `void*` holding a retained Objective-C object (made with __bridge_retained, given
// back with CFBridgingRelease in the .mm that owns it), so the plain C++ entry table
// (metal_backend.cpp) and the state below compile without Metal's headers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dotcompute/backend_abi.h"
#include "plugin_support/buffer_checks.hpp"
#include "plugin_support/device_queries.hpp"
#include "plugin_support/last_error.hpp"

namespace dotcompute::metal {

// fail() keeps the calling thread's message (read by last_error); shared by every plugin.
using plugin_support::fail;
using plugin_support::last_error_text;

struct MetalStream;

/// Everything the plugin keeps per device, made at initialize and released at shutdown.
struct DeviceState {
  int32_t index = 0;
  void* device = nullptr;                    ///< id<MTLDevice>, retained
  void* binary_archive = nullptr;            ///< id<MTLBinaryArchive> or nullptr, retained
  std::string binary_archive_path;           ///< where the archive is serialized at shutdown
  std::atomic<bool> archive_changed{false};  ///< pipelines were added since it was loaded
  MetalStream* default_stream = nullptr;     ///< the queue behind a NULL dc_stream

  std::string name;
  std::string msl_version;        ///< the newest MSL the OS compiles ("3.1"), see metal_devices.mm
  uint32_t language_version = 0;  ///< MTLLanguageVersion value matching msl_version
  uint64_t registry_id = 0;
  uint64_t recommended_working_set = 0;
  uint64_t max_buffer_length = 0;
  uint64_t threadgroup_memory = 0;
  uint32_t max_threads_per_threadgroup[3] = {1, 1, 1};
  bool unified_memory = false;  ///< buffers are MTLResourceStorageModeShared (host visible)
  bool low_power = false;
  bool removable = false;
  std::vector<std::string> gpu_families;  ///< "apple7", "mac2", "metal3" ...
  std::string os_version;

  std::mutex streams_mutex;                  ///< guards streams
  std::unordered_set<MetalStream*> streams;  ///< streams created on the device

  std::mutex libraries_mutex;  ///< guards compiled_libraries
  /// Libraries compiled by the compile slot, by source, handed to the load that follows
  /// (Note [Metal images] in metal_library.mm). Values are retained id<MTLLibrary>.
  std::unordered_map<std::string, void*> compiled_libraries;
};

/// Sets *out to the state of a device; fails (message set) for a bad index or a plugin that is
/// not initialized.
dc_status find_device(int32_t device, DeviceState** out) noexcept;

/// A command queue and the command buffer being filled (Note [Launch batches] in
/// metal_queues.mm). Handles start with a tag so a stale or foreign one is refused.
struct MetalStream {
  uint64_t tag;
  int32_t device;
  void* queue = nullptr;           ///< id<MTLCommandQueue>, retained
  void* open_buffer = nullptr;     ///< id<MTLCommandBuffer> being encoded, or nullptr
  void* last_committed = nullptr;  ///< id<MTLCommandBuffer> committed last, or nullptr
  uint32_t encoded = 0;            ///< commands in open_buffer
  std::mutex mutex;                ///< guards the three fields above
  /// The first failure a completion handler saw since the last sync point, reported there.
  std::shared_ptr<std::string> failure = std::make_shared<std::string>();
  std::shared_ptr<std::mutex> failure_mutex = std::make_shared<std::mutex>();
};

/// Devices of this machine (metal_devices.mm): probe's reason when there are none.
dc_status probe_devices(std::string* reason) noexcept;
/// Makes the state of every device (facts, default queue, binary archive).
dc_status create_devices(std::vector<std::unique_ptr<DeviceState>>* out) noexcept;
/// Waits for the device's work, saves its binary archive and releases what create_devices made.
void release_device(DeviceState& state) noexcept;

/// The stream behind a dc_stream (NULL: the default stream); message on failure.
dc_status resolve_stream(DeviceState& state, dc_stream stream, MetalStream** out) noexcept;
/// Commits the open command buffer of a stream, if any (stream->mutex held by the caller).
void commit_locked(MetalStream& stream) noexcept;
/// The stream's open command buffer (an id<MTLCommandBuffer>, borrowed: the stream keeps it),
/// made when there is none; nullptr when Metal could not make one. stream->mutex is held.
void* open_command_buffer_locked(MetalStream& stream) noexcept;
/// Counts one command encoded into the open buffer and commits a full batch (Note [Launch
/// batches] in metal_queues.mm). stream->mutex is held.
void count_command_locked(MetalStream& stream) noexcept;
/// Commits and waits for everything submitted to the stream; a failure a command buffer
/// reported becomes DC_STATUS_LAUNCH_FAILED with its message.
dc_status finish_stream(MetalStream& stream) noexcept;
/// Makes a stream on a queue of the device (metal_queues.mm).
dc_status make_stream(DeviceState& state, MetalStream** out) noexcept;
/// Finishes and releases a stream.
void destroy_stream(MetalStream* stream) noexcept;

/// The MTLBuffer (an id<MTLBuffer>, borrowed; nullptr for an empty buffer) and byte offset of a
/// view passed to a kernel (metal_memory.mm); message on failure.
dc_status argument_buffer(DeviceState& state, dc_buffer_view view, void** out_buffer,
                          uint64_t* out_offset) noexcept;

/// Releases the libraries compiled but never loaded (shutdown).
void release_libraries(DeviceState& state) noexcept;
/// Serializes the device's binary archive when pipelines were added (shutdown).
void save_binary_archive(DeviceState& state) noexcept;

extern const dc_device_iface device_iface;
extern const dc_memory_iface memory_iface;
extern const dc_stream_iface stream_iface;
extern const dc_module_iface module_iface;

}  // namespace dotcompute::metal
