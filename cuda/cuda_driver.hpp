// cuda/cuda_driver.hpp
// The CUDA driver API as one struct of function pointers, loaded once from libcuda.so.1.
#pragma once

#include <string>

#include "cuda_declarations.hpp"

namespace dotcompute::cuda {

/// Entry points the plugin cannot work without: (name, suffix of the ABI symbol that dlsym finds
/// on drivers older than CUDA 11.3, which have no cuGetProcAddress).
#define DOTCOMPUTE_CUDA_REQUIRED_DRIVER_ENTRIES(_) \
  _(cuDeviceGetCount, "")                          \
  _(cuDeviceGet, "")                               \
  _(cuDeviceGetName, "")                           \
  _(cuDeviceTotalMem, "_v2")                       \
  _(cuDeviceGetAttribute, "")                      \
  _(cuDevicePrimaryCtxRetain, "")                  \
  _(cuDevicePrimaryCtxRelease, "_v2")              \
  _(cuCtxSetCurrent, "")                           \
  _(cuCtxSynchronize, "")                          \
  _(cuMemAlloc, "_v2")                             \
  _(cuMemFree, "_v2")                              \
  _(cuMemcpyHtoDAsync, "_v2")                      \
  _(cuMemcpyDtoHAsync, "_v2")                      \
  _(cuMemcpyDtoDAsync, "_v2")                      \
  _(cuMemsetD8Async, "")                           \
  _(cuMemsetD16Async, "")                          \
  _(cuMemsetD32Async, "")                          \
  _(cuMemsetD2D32Async, "")                        \
  _(cuStreamCreate, "")                            \
  _(cuStreamDestroy, "_v2")                        \
  _(cuStreamSynchronize, "")                       \
  _(cuStreamWaitEvent, "")                         \
  _(cuEventCreate, "")                             \
  _(cuEventDestroy, "_v2")                         \
  _(cuEventRecord, "")                             \
  _(cuEventSynchronize, "")                        \
  _(cuEventQuery, "")                              \
  _(cuEventElapsedTime, "")                        \
  _(cuModuleLoadData, "")                          \
  _(cuModuleUnload, "")                            \
  _(cuModuleGetFunction, "")                       \
  _(cuFuncSetAttribute, "")                        \
  _(cuFuncGetAttribute, "")                        \
  _(cuLaunchKernel, "")

/// Entry points the plugin uses when the driver has them; nullptr otherwise.
#define DOTCOMPUTE_CUDA_OPTIONAL_DRIVER_ENTRIES(_) \
  _(cuGetErrorName, "")                            \
  _(cuGetErrorString, "")                          \
  _(cuMemGetInfo, "_v2")                           \
  _(cuMemHostAlloc, "")                            \
  _(cuMemFreeHost, "")                             \
  _(cuPointerGetAttribute, "")                     \
  _(cuFuncGetParamInfo, "")                        \
  _(cuStreamBeginCapture, "_v2")                   \
  _(cuStreamEndCapture, "")                        \
  _(cuThreadExchangeStreamCaptureMode, "")         \
  _(cuGraphInstantiateWithFlags, "")               \
  _(cuGraphLaunch, "")                             \
  _(cuGraphExecDestroy, "")                        \
  _(cuGraphDestroy, "")

struct DriverApi {
  cuInit_signature* cuInit = nullptr;
  cuDriverGetVersion_signature* cuDriverGetVersion = nullptr;
#define DOTCOMPUTE_CUDA_DECLARE_ENTRY(name, suffix) name##_signature* name = nullptr;
  DOTCOMPUTE_CUDA_REQUIRED_DRIVER_ENTRIES(DOTCOMPUTE_CUDA_DECLARE_ENTRY)
  DOTCOMPUTE_CUDA_OPTIONAL_DRIVER_ENTRIES(DOTCOMPUTE_CUDA_DECLARE_ENTRY)
#undef DOTCOMPUTE_CUDA_DECLARE_ENTRY

  /// 1000 * major + 10 * minor of the driver (12040 for CUDA 12.4).
  int driver_version = 0;
};

/// Loads libcuda.so.1, resolves every entry point and calls cuInit(0), once per process (later
/// calls return the first outcome). Returns nullptr and sets *reason when the driver is missing,
/// too old, lacks a required entry point or cuInit fails.
const DriverApi* load_driver(std::string* reason);

/// The loaded driver; only valid after load_driver succeeded.
const DriverApi& driver() noexcept;

/// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)", or "CUresult 123" when the driver cannot name it.
std::string describe_result(CUresult result);

}  // namespace dotcompute::cuda
