// cuda/cuda_backend.hpp
// Shared state of the CUDA plugin: errors, per-device state, handle checks, the tables.
#pragma once

#include <cstdint>
#include <functional>
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
  CUfunction third = nullptr;   ///< the third kernel of a scan or sort
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
  /// Temporaries of scans and sorts on default_stream (Note [Algorithm scratch]).
  CUdeviceptr default_work = 0;
  uint64_t default_work_bytes = 0;
  /// Held by a scan or sort from taking its scratch until its last launch is queued.
  std::mutex work_mutex;

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

/// Note [Allocation during a capture]
/// While a stream is captured in THREAD_LOCAL mode, CUDA refuses this thread's cuMemAlloc,
/// cuMemFree, cuMemHostAlloc, cuModuleLoadData and waits on other streams or events: they are
/// not stream work, so a graph that needed them to happen again at each replay would be wrong.
/// Ours need not: a pool block or a module is made once, now, and the core's graph keeps the
/// memory its launches use alive for as long as it lives (Note [Graphs] in stream.hpp); a wait is
/// for eager work on another stream, a transfer that makes an array the captured work reads
/// (Note [Work on the current stream]). So those calls run in RELAXED mode, which lets a capture
/// allocate its temporaries, load a kernel on its first launch and upload its inputs. Waiting on
/// the captured stream itself stays an error. Drivers without cuThreadExchangeStreamCaptureMode
/// keep the mode (and the refusals).
class RelaxedCaptureScope {
 public:
  RelaxedCaptureScope() noexcept;
  ~RelaxedCaptureScope();
  RelaxedCaptureScope(const RelaxedCaptureScope&) = delete;
  RelaxedCaptureScope& operator=(const RelaxedCaptureScope&) = delete;

 private:
  CUstreamCaptureMode previous_ = CU_STREAM_CAPTURE_MODE_RELAXED;
  bool exchanged_ = false;
};

/// Handles of this plugin.
struct CudaBuffer {
  uint64_t tag;
  int32_t device;
  CUdeviceptr address;
  uint64_t bytes;
  bool borrowed;  ///< wrapped from another library (wrap_device): never freed by the plugin
};

struct CudaStream {
  uint64_t tag = 0;
  int32_t device = 0;
  CUstream handle = nullptr;
  CUdeviceptr scratch = 0;  ///< reduction partials of work on this stream, allocated on first use
  CUdeviceptr work = 0;     ///< scan and sort temporaries (Note [Algorithm scratch])
  uint64_t work_bytes = 0;  ///< the size of work
  bool capturing = false;   ///< between begin_capture and end_capture
  /// What library calls made for the capture in progress (Note [Library calls in a capture]);
  /// the graph the capture becomes runs them when it is destroyed.
  std::vector<std::function<void()>> capture_releases;
  void* capture_blas = nullptr;  ///< the capture's cuBLAS handle, made on its first matmul
};

/// Note [Library calls in a capture]
/// cuBLAS and cuFFT calls can be captured into a CUDA graph, but the workspace of a stream's
/// handle or plan is shared with the stream's later eager calls, which could run while the
/// graph replays (on another stream, or after the stream died). So on a capturing stream the
/// matmul and fft slots make a handle or plan of their own (in RELAXED mode, Note [Allocation
/// during a capture]) and hand its destruction to the graph. The scan and sort slots take their
/// temporaries from a block of the graph's own for the same reason (Note [Algorithm scratch]).
/// The capturing stream of work queued on stream now, or nullptr (not captured; the default
/// stream is never captured).
CudaStream* capturing_stream(dc_stream stream) noexcept;

/// Note [Releases during a capture]
/// cuGraphExecDestroy invalidates a capture in progress, even in RELAXED mode (measured on an
/// H100: the capture's next cuBLAS call failed with CUBLAS_STATUS_INTERNAL_ERROR, its next
/// launch with CUDA_ERROR_STREAM_CAPTURE_INVALIDATED), and cublasDestroy, cufftDestroy and
/// cuMemFree wait for the device, which a capture forbids too. Python destroys a
/// graph or stream whenever its last reference goes, which may be inside another capture block. So
/// such releases go through release_outside_captures: run at once when no capture is in progress,
/// else kept until the last capture ends (or shutdown). The objects leave their caches at once, so
/// a new stream that reuses a dead one's address never finds them.
void release_outside_captures(int32_t device, std::function<void()> release) noexcept;
/// Runs the releases kept for the end of the captures (at shutdown).
void run_deferred_releases() noexcept;

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

/// The module of a built-in, compiled from source (with --fmad=false) on first use and cached in
/// state under key; looks up first_name and, when not null, second_name and third_name.
dc_status builtin(DeviceState& state, const std::string& key, const std::string& source,
                  const char* first_name, const char* second_name, BuiltinModule* out,
                  const char* third_name = nullptr);
/// Device memory for the temporaries of one algorithm on stream (NULL: the default stream), at
/// least bytes; kept per stream and grown when a call needs more (Note [Algorithm scratch] in
/// cuda_algorithm_scratch.cpp); on a capturing stream a block the graph frees. The caller holds
/// state.work_mutex until its launches are queued.
dc_status algorithm_scratch(DeviceState& state, dc_stream stream, uint64_t bytes,
                            CUdeviceptr* out) noexcept;
/// Frees a device's default-stream algorithm scratch (shutdown).
void release_algorithm_scratch(DeviceState& state) noexcept;
/// The cumsum and sort slots (cuda_scan.cpp, cuda_sort.cpp).
dc_status scan_rows(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                    dc_buffer_view out, uint64_t batch, uint64_t count);
dc_status sort_rows(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                    dc_buffer_view out_values, dc_buffer_view out_indices, uint64_t batch,
                    uint64_t count);

/// Unloads the built-in modules of a device (shutdown).
void release_builtins(DeviceState& state) noexcept;
/// Multiplies count complex elements (complex64/complex128) at data by a real factor, in place,
/// on stream (a built-in kernel; the inverse FFT's 1/n).
dc_status scale_in_place(DeviceState& state, CUstream stream, dc_dtype dtype, CUdeviceptr data,
                         uint64_t count, double factor) noexcept;
/// Destroys the cuBLAS handles and cuFFT plans a device keeps for stream (NULL: the default
/// stream), or for every stream (shutdown).
void release_blas(int32_t device, dc_stream stream, bool every_stream) noexcept;
void release_fft(int32_t device, dc_stream stream, bool every_stream) noexcept;
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
