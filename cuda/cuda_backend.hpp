// cuda/cuda_backend.hpp
// Shared state of the CUDA plugin: errors, per-device state, handle checks, the tables.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda_declarations.hpp"
#include "cuda_driver.hpp"
#include "dotcompute/backend_abi.h"
#include "plugin_support/buffer_checks.hpp"
#include "plugin_support/device_queries.hpp"
#include "plugin_support/last_error.hpp"

namespace dotcompute::cuda {

/// cuMemAlloc returns addresses aligned to at least this many bytes.
constexpr uint64_t kMemoryAlignment = 256;

// fail() keeps the calling thread's message (read by last_error); shared by every plugin.
using plugin_support::fail;
using plugin_support::last_error_text;
/// DC_STATUS_OK for CUDA_SUCCESS; else a message "<what> failed: CUDA_ERROR_..." and the
/// matching status (out of memory, launch failure, invalid argument, ...).
dc_status check(CUresult result, const char* what) noexcept;

/// A compiled built-in (cuda_ops.cpp): the module and the kernels the ops layer launches.
struct BuiltinModule {
  CUmodule module = nullptr;
  CUfunction first = nullptr;   ///< dc_binary, dc_axpy or dc_reduce_partial
  CUfunction second = nullptr;  ///< dc_reduce_final (reductions only)
};

/// Everything the plugin keeps per device, created at initialize and released at shutdown.
struct DeviceState {
  int32_t index = 0;
  CUdevice handle = 0;
  CUcontext context = nullptr;  ///< the primary context, retained until shutdown
  /// The stream behind a NULL dc_stream (Note [Default stream] in cuda_streams.cpp).
  CUstream default_stream = nullptr;
  /// Partials of reductions on default_stream (Note [Reduction scratch] in cuda_ops.cpp).
  CUdeviceptr default_scratch = 0;

  std::string name;
  uint64_t total_memory = 0;
  int compute_major = 0;
  int compute_minor = 0;
  int sm_count = 1;
  int max_threads_per_block = 1024;
  int warp_size = 32;
  int max_shared_per_block = 48 << 10;
  int max_shared_per_block_optin = 48 << 10;
  int max_block_dim[3] = {1024, 1024, 64};
  int max_grid_dim[3] = {2147483647, 65535, 65535};

  std::mutex builtins_mutex;  ///< guards builtins
  std::unordered_map<std::string, BuiltinModule> builtins;
};

/// Sets *out to the state of a device after cuCtxSetCurrent(its primary context) on the calling
/// thread; fails (message set) for a bad index or a plugin that is not initialized.
dc_status activate(int32_t device, DeviceState** out) noexcept;
/// Devices found at initialize (0 before).
int32_t device_total() noexcept;

/// Handles of this plugin.
struct CudaBuffer {
  uint64_t tag;
  int32_t device;
  CUdeviceptr address;
  uint64_t bytes;
  bool borrowed;  ///< wrapped from another library (wrap_device): never freed by the plugin
};

struct CudaStream {
  uint64_t tag;
  int32_t device;
  CUstream handle;
  CUdeviceptr scratch;  ///< reduction partials of work on this stream, allocated on first use
};

/// The CUstream behind stream (NULL: the device's default stream); message set on failure.
dc_status resolve_stream(const DeviceState& state, dc_stream stream, CUstream* out) noexcept;
/// Where reduction partials on this stream go (allocated on first use).
dc_status stream_scratch(DeviceState& state, dc_stream stream, uint64_t bytes,
                         CUdeviceptr* out) noexcept;

/// The device address of a view with at least bytes in range; message set on failure.
dc_status view_address(const DeviceState& state, dc_buffer_view view, uint64_t bytes,
                       const char* what, CUdeviceptr* out) noexcept;
/// Like view_address for count elements of element_size bytes, checking the product and that the
/// address is aligned to `alignment` (a misaligned access would fault the whole context).
dc_status view_elements(const DeviceState& state, dc_buffer_view view, uint64_t count,
                        size_t element_size, size_t alignment, const char* what,
                        CUdeviceptr* out) noexcept;

/// Compiles CUDA C++ for the device with NVRTC: CUBIN for its exact architecture, or PTX for the
/// newest one NVRTC knows when the device is newer (Note [Target architecture] in
/// cuda_modules.cpp). On failure the message is set and *log holds the compiler log.
dc_status compile_source(const DeviceState& state, const std::string& source,
                         const std::vector<std::string>& options, std::string* image,
                         std::string* log) noexcept;

/// "<driver major>" for load_nvrtc; then the loaded NVRTC or nullptr (message set).
const struct NvrtcApi* require_nvrtc() noexcept;

/// Unloads the built-in modules of a device (shutdown).
void release_builtins(DeviceState& state) noexcept;
/// Multiplies count complex elements (complex64/complex128) at data by a real factor, in place,
/// on stream (a built-in kernel; the inverse FFT's 1/n).
dc_status scale_in_place(DeviceState& state, CUstream stream, dc_dtype dtype, CUdeviceptr data,
                         uint64_t count, double factor) noexcept;
/// Destroys the cuBLAS handle and cuFFT plans of a device (shutdown).
void release_blas(int32_t device) noexcept;
void release_fft(int32_t device) noexcept;
/// Frees the scratch of a stream being destroyed.
void release_stream_scratch(CudaStream& stream) noexcept;

extern const dc_device_iface device_iface;
extern const dc_memory_iface memory_iface;
extern const dc_stream_iface stream_iface;
extern const dc_module_iface module_iface;
extern const dc_graph_iface graph_iface;
extern const dc_ops_iface ops_iface;

/// Fills the per-device facts of state from the driver (cuda_devices.cpp).
dc_status query_device(DeviceState& state) noexcept;

}  // namespace dotcompute::cuda
