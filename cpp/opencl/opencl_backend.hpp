// cpp/opencl/opencl_backend.hpp
// Shared state of the OpenCL plugin: errors, per-device state, handles, the tables.
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
#include "opencl_declarations.hpp"
#include "opencl_library.hpp"
#include "plugin_support/buffer_checks.hpp"
#include "plugin_support/device_queries.hpp"
#include "plugin_support/last_error.hpp"

namespace dotcompute::opencl {

// fail() keeps the calling thread's message (read by last_error); shared by every plugin.
using plugin_support::fail;
using plugin_support::last_error_text;
/// DC_STATUS_OK for CL_SUCCESS; else the message "<what> failed: CL_..." and the matching status.
dc_status check(cl_int code, const char* what) noexcept;

/// A compiled built-in (opencl_ops.cpp): the program and the kernels the ops layer launches.
/// Each kernel has its own mutex: clSetKernelArg + clEnqueueNDRangeKernel must not interleave
/// between threads on one cl_kernel.
struct BuiltinProgram {
  cl_program program = nullptr;
  cl_kernel first = nullptr;   ///< dc_binary, dc_axpy or dc_reduce_partial
  cl_kernel second = nullptr;  ///< dc_reduce_final (reductions only)
  std::unique_ptr<std::mutex> mutex = std::make_unique<std::mutex>();
};

/// Everything the plugin keeps per device, made at initialize and released at shutdown.
struct DeviceState {
  int32_t index = 0;
  cl_platform_id platform = nullptr;
  cl_device_id device = nullptr;
  cl_context context = nullptr;
  /// The in-order queue behind a NULL dc_stream.
  cl_command_queue default_queue = nullptr;
  /// The event of the last kernel queued on default_queue (Note [Short waits]).
  mutable std::atomic<cl_event> default_last{nullptr};
  /// Reduction partials of work on default_queue (Note [Reduction scratch] in opencl_ops.cpp).
  cl_mem default_scratch = nullptr;

  std::string name, vendor, platform_name, platform_version, device_version, driver_version,
      opencl_c_version, extensions;
  cl_device_type type = 0;
  uint64_t global_memory = 0;
  uint64_t max_allocation = 0;
  uint64_t local_memory = 0;
  uint64_t base_alignment = 128;  ///< bytes (CL_DEVICE_MEM_BASE_ADDR_ALIGN is in bits)
  uint32_t compute_units = 1;
  uint32_t clock_mhz = 0;
  size_t max_work_group_size = 1;
  size_t max_work_item_sizes[3] = {1, 1, 1};
  bool fp64 = false;
  bool fp16 = false;
  bool int64_atomics = false;
  bool correctly_rounded_divide_sqrt = false;

  std::mutex queues_mutex;                         ///< guards queues
  std::unordered_set<struct OpenclQueue*> queues;  ///< streams created on the device

  std::mutex builtins_mutex;  ///< guards builtins
  std::unordered_map<std::string, BuiltinProgram> builtins;
};

/// Sets *out to the state of a device; fails (message set) for a bad index or a plugin that is
/// not initialized.
dc_status find_device(int32_t device, DeviceState** out) noexcept;
/// Devices found at initialize (0 before).
int32_t device_total() noexcept;

/// Handles of this plugin. Every handle starts with a tag so a stale or foreign one is refused
/// with a message rather than dereferenced blindly.
struct OpenclBuffer {
  uint64_t tag;
  int32_t device;
  cl_mem memory;  ///< nullptr for an empty buffer
  uint64_t bytes;
};

struct OpenclQueue {
  uint64_t tag;
  int32_t device;
  cl_command_queue queue;
  cl_mem scratch;  ///< reduction partials of work on this queue, allocated on first use
  std::atomic<cl_event> last{nullptr};  ///< the last kernel queued here (Note [Short waits])
};

/// The cl_command_queue behind stream (NULL: the device's default queue) and, when last is not
/// NULL, where the queue's last kernel event is kept; message on failure.
dc_status resolve_queue(const DeviceState& state, dc_stream stream, cl_command_queue* out,
                        std::atomic<cl_event>** last = nullptr) noexcept;
/// Keeps event as the queue's last kernel (releasing the one before); event may be NULL.
void remember_kernel(std::atomic<cl_event>* last, cl_event event) noexcept;
/// Waits until every command queued on queue has completed (Note [Short waits] in
/// opencl_queues.cpp); message on failure.
dc_status finish_queue(cl_command_queue queue, std::atomic<cl_event>* last,
                       const char* what) noexcept;
/// Where reduction partials of work on this stream go (allocated on first use).
dc_status queue_scratch(DeviceState& state, dc_stream stream, uint64_t bytes, cl_mem* out) noexcept;

/// The memory object and byte offset of a view with at least bytes in range; message on failure.
/// An empty buffer gives a null memory object.
dc_status view_memory(const DeviceState& state, dc_buffer_view view, uint64_t bytes,
                      const char* what, cl_mem* memory, uint64_t* offset) noexcept;

/// Builds OpenCL C for the device (with the plugin's standard options, Note [Build options] in
/// opencl_programs.cpp). On failure the message is set and *log holds the build log.
dc_status build_source(const DeviceState& state, const std::string& source,
                       const std::string& options, cl_program* program, std::string* log) noexcept;

/// Releases the built-in programs of a device (shutdown).
void release_builtins(DeviceState& state) noexcept;

extern const dc_device_iface device_iface;
extern const dc_memory_iface memory_iface;
extern const dc_stream_iface stream_iface;
extern const dc_module_iface module_iface;
extern const dc_ops_iface ops_iface;

/// Fills the per-device facts of state from the driver (opencl_devices.cpp).
dc_status query_device(DeviceState& state) noexcept;

}  // namespace dotcompute::opencl
