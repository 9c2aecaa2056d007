// cuda/cuda_declarations.hpp
// The few CUDA driver and NVRTC types, constants and signatures the plugin uses, declared here.
//
// Note [No CUDA headers]
// The plugin builds on machines without the CUDA toolkit (CI, wheels), so it includes no cuda.h or
// nvrtc.h. Everything below is written from NVIDIA's public API documentation (CUDA Driver API
// and NVRTC reference); the numeric values are part of NVIDIA's stable ABI. The signatures are
// those of the CUDA 12.0 headers, which is why every driver entry point is requested from
// cuGetProcAddress with cudaVersion = min(kDeclaredCudaVersion, the driver's version)
// (Note [Driver entry points] in cuda_driver.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dotcompute::cuda {

// ---------------------------------------------------------------------------------------------
// Driver API types
// ---------------------------------------------------------------------------------------------

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using cuuint64_t = uint64_t;
using CUcontext = struct CUctx_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUstream = struct CUstream_st*;
using CUevent = struct CUevent_st*;
using CUgraph = struct CUgraph_st*;
using CUgraphExec = struct CUgraphExec_st*;

/// The CUDA version whose header signatures this file declares (1000 * major + 10 * minor).
constexpr int kDeclaredCudaVersion = 12000;

// CUresult values the plugin tests for; every other code is named through cuGetErrorName.
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_INVALID_VALUE = 1;
constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr CUresult CUDA_ERROR_NOT_INITIALIZED = 3;
constexpr CUresult CUDA_ERROR_DEINITIALIZED = 4;
constexpr CUresult CUDA_ERROR_INSUFFICIENT_DRIVER = 35;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr CUresult CUDA_ERROR_INVALID_DEVICE = 101;
constexpr CUresult CUDA_ERROR_NO_BINARY_FOR_GPU = 209;
constexpr CUresult CUDA_ERROR_INVALID_PTX = 218;
constexpr CUresult CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;
constexpr CUresult CUDA_ERROR_NOT_FOUND = 500;
constexpr CUresult CUDA_ERROR_NOT_READY = 600;
constexpr CUresult CUDA_ERROR_ILLEGAL_ADDRESS = 700;
constexpr CUresult CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701;
constexpr CUresult CUDA_ERROR_LAUNCH_TIMEOUT = 702;
constexpr CUresult CUDA_ERROR_ASSERT = 710;
constexpr CUresult CUDA_ERROR_HARDWARE_STACK_ERROR = 714;
constexpr CUresult CUDA_ERROR_ILLEGAL_INSTRUCTION = 715;
constexpr CUresult CUDA_ERROR_MISALIGNED_ADDRESS = 716;
constexpr CUresult CUDA_ERROR_INVALID_ADDRESS_SPACE = 717;
constexpr CUresult CUDA_ERROR_INVALID_PC = 718;
constexpr CUresult CUDA_ERROR_LAUNCH_FAILED = 719;

/// CUdevice_attribute values.
enum CUdevice_attribute : int {
  CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
  CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X = 2,
  CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y = 3,
  CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z = 4,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y = 6,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z = 7,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
  CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY = 9,
  CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
  CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK = 12,
  CU_DEVICE_ATTRIBUTE_CLOCK_RATE = 13,
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_INTEGRATED = 18,
  CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS = 31,
  CU_DEVICE_ATTRIBUTE_ECC_ENABLED = 32,
  CU_DEVICE_ATTRIBUTE_PCI_BUS_ID = 33,
  CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID = 34,
  CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36,
  CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37,
  CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,
  CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR = 39,
  CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT = 40,
  CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING = 41,
  CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID = 50,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81,
  CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY = 83,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
  CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED = 115,
};

/// CUfunction_attribute values.
enum CUfunction_attribute : int {
  CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
  CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
  CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
};

/// CUstreamCaptureMode values.
enum CUstreamCaptureMode : int {
  CU_STREAM_CAPTURE_MODE_GLOBAL = 0,
  CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
  CU_STREAM_CAPTURE_MODE_RELAXED = 2,
};

/// CUdriverProcAddressQueryResult values (CUDA 12.0+ cuGetProcAddress).
enum CUdriverProcAddressQueryResult : int {
  CU_GET_PROC_ADDRESS_SUCCESS = 0,
  CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND = 1,
  CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT = 2,
};

constexpr cuuint64_t CU_GET_PROC_ADDRESS_DEFAULT = 0;
constexpr unsigned int CU_STREAM_NON_BLOCKING = 0x1;
constexpr unsigned int CU_EVENT_DEFAULT = 0x0;
constexpr unsigned int CU_EVENT_DISABLE_TIMING = 0x2;
/// Markers of cuLaunchKernel's `extra` array (cuda.h defines them as these pointer values).
inline void* const CU_LAUNCH_PARAM_END = reinterpret_cast<void*>(0x00);
inline void* const CU_LAUNCH_PARAM_BUFFER_POINTER = reinterpret_cast<void*>(0x01);
inline void* const CU_LAUNCH_PARAM_BUFFER_SIZE = reinterpret_cast<void*>(0x02);
/// cuMemHostAlloc flag: the page-locked memory is usable from every context, not just this one.
constexpr unsigned int CU_MEMHOSTALLOC_PORTABLE = 0x1;

/// CUpointer_attribute values used to check memory other libraries hand us.
enum CUpointer_attribute : int {
  CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2,
  CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL = 9,
};

/// CUmemorytype values.
enum CUmemorytype : unsigned int {
  CU_MEMORYTYPE_HOST = 1,
  CU_MEMORYTYPE_DEVICE = 2,
  CU_MEMORYTYPE_ARRAY = 3,
  CU_MEMORYTYPE_UNIFIED = 4,
};

// Function types of the entry points (CUDA 12.0 header signatures).
using cuGetProcAddress_v1_signature = CUresult(const char* symbol, void** pfn, int cudaVersion,
                                               cuuint64_t flags);
using cuGetProcAddress_v2_signature = CUresult(const char* symbol, void** pfn, int cudaVersion,
                                               cuuint64_t flags,
                                               CUdriverProcAddressQueryResult* symbolStatus);
using cuInit_signature = CUresult(unsigned int flags);
using cuDriverGetVersion_signature = CUresult(int* driverVersion);
using cuGetErrorName_signature = CUresult(CUresult error, const char** name);
using cuGetErrorString_signature = CUresult(CUresult error, const char** text);
using cuDeviceGetCount_signature = CUresult(int* count);
using cuDeviceGet_signature = CUresult(CUdevice* device, int ordinal);
using cuDeviceGetName_signature = CUresult(char* name, int length, CUdevice device);
using cuDeviceTotalMem_signature = CUresult(size_t* bytes, CUdevice device);
using cuDeviceGetAttribute_signature = CUresult(int* value, CUdevice_attribute attribute,
                                                CUdevice device);
using cuDevicePrimaryCtxRetain_signature = CUresult(CUcontext* context, CUdevice device);
using cuDevicePrimaryCtxRelease_signature = CUresult(CUdevice device);
using cuCtxSetCurrent_signature = CUresult(CUcontext context);
using cuCtxSynchronize_signature = CUresult();
using cuMemAlloc_signature = CUresult(CUdeviceptr* pointer, size_t bytes);
using cuMemFree_signature = CUresult(CUdeviceptr pointer);
using cuMemHostAlloc_signature = CUresult(void** pointer, size_t bytes, unsigned int flags);
using cuMemFreeHost_signature = CUresult(void* pointer);
using cuPointerGetAttribute_signature = CUresult(void* data, CUpointer_attribute attribute,
                                                 CUdeviceptr pointer);
using cuEventQuery_signature = CUresult(CUevent event);
using cuFuncGetParamInfo_signature = CUresult(CUfunction function, size_t index, size_t* offset,
                                              size_t* size);
using cuMemGetInfo_signature = CUresult(size_t* free_bytes, size_t* total_bytes);
using cuMemcpyHtoDAsync_signature = CUresult(CUdeviceptr destination, const void* source,
                                             size_t bytes, CUstream stream);
using cuMemcpyDtoHAsync_signature = CUresult(void* destination, CUdeviceptr source, size_t bytes,
                                             CUstream stream);
using cuMemcpyDtoDAsync_signature = CUresult(CUdeviceptr destination, CUdeviceptr source,
                                             size_t bytes, CUstream stream);
using cuMemsetD8Async_signature = CUresult(CUdeviceptr destination, unsigned char value,
                                           size_t count, CUstream stream);
using cuMemsetD16Async_signature = CUresult(CUdeviceptr destination, unsigned short value,
                                            size_t count, CUstream stream);
using cuMemsetD32Async_signature = CUresult(CUdeviceptr destination, unsigned int value,
                                            size_t count, CUstream stream);
using cuMemsetD2D32Async_signature = CUresult(CUdeviceptr destination, size_t pitch,
                                              unsigned int value, size_t width, size_t height,
                                              CUstream stream);
using cuStreamCreate_signature = CUresult(CUstream* stream, unsigned int flags);
using cuStreamDestroy_signature = CUresult(CUstream stream);
using cuStreamSynchronize_signature = CUresult(CUstream stream);
using cuStreamWaitEvent_signature = CUresult(CUstream stream, CUevent event, unsigned int flags);
using cuEventCreate_signature = CUresult(CUevent* event, unsigned int flags);
using cuEventDestroy_signature = CUresult(CUevent event);
using cuEventRecord_signature = CUresult(CUevent event, CUstream stream);
using cuEventSynchronize_signature = CUresult(CUevent event);
using cuEventElapsedTime_signature = CUresult(float* milliseconds, CUevent start, CUevent end);
using cuModuleLoadData_signature = CUresult(CUmodule* module, const void* image);
using cuModuleUnload_signature = CUresult(CUmodule module);
using cuModuleGetFunction_signature = CUresult(CUfunction* function, CUmodule module,
                                               const char* name);
using cuFuncSetAttribute_signature = CUresult(CUfunction function, CUfunction_attribute attribute,
                                              int value);
using cuFuncGetAttribute_signature = CUresult(int* value, CUfunction_attribute attribute,
                                              CUfunction function);
using cuLaunchKernel_signature = CUresult(CUfunction function, unsigned int grid_x,
                                          unsigned int grid_y, unsigned int grid_z,
                                          unsigned int block_x, unsigned int block_y,
                                          unsigned int block_z, unsigned int shared_bytes,
                                          CUstream stream, void** parameters, void** extra);
using cuStreamBeginCapture_signature = CUresult(CUstream stream, CUstreamCaptureMode mode);
using cuStreamEndCapture_signature = CUresult(CUstream stream, CUgraph* graph);
using cuThreadExchangeStreamCaptureMode_signature = CUresult(CUstreamCaptureMode* mode);
using cuGraphInstantiateWithFlags_signature = CUresult(CUgraphExec* executable, CUgraph graph,
                                                       unsigned long long flags);
using cuGraphLaunch_signature = CUresult(CUgraphExec executable, CUstream stream);
using cuGraphExecDestroy_signature = CUresult(CUgraphExec executable);
using cuGraphDestroy_signature = CUresult(CUgraph graph);

// ---------------------------------------------------------------------------------------------
// NVRTC
// ---------------------------------------------------------------------------------------------

using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram*;

constexpr nvrtcResult NVRTC_SUCCESS = 0;
constexpr nvrtcResult NVRTC_ERROR_OUT_OF_MEMORY = 1;
constexpr nvrtcResult NVRTC_ERROR_INVALID_OPTION = 5;
constexpr nvrtcResult NVRTC_ERROR_COMPILATION = 6;

using nvrtcVersion_signature = nvrtcResult(int* major, int* minor);
using nvrtcGetErrorString_signature = const char*(nvrtcResult result);
using nvrtcGetNumSupportedArchs_signature = nvrtcResult(int* count);
using nvrtcGetSupportedArchs_signature = nvrtcResult(int* architectures);
using nvrtcCreateProgram_signature = nvrtcResult(nvrtcProgram* program, const char* source,
                                                 const char* name, int header_count,
                                                 const char* const* headers,
                                                 const char* const* include_names);
using nvrtcDestroyProgram_signature = nvrtcResult(nvrtcProgram* program);
using nvrtcCompileProgram_signature = nvrtcResult(nvrtcProgram program, int option_count,
                                                  const char* const* options);
using nvrtcGetPTXSize_signature = nvrtcResult(nvrtcProgram program, size_t* size);
using nvrtcGetPTX_signature = nvrtcResult(nvrtcProgram program, char* ptx);
using nvrtcGetCUBINSize_signature = nvrtcResult(nvrtcProgram program, size_t* size);
using nvrtcGetCUBIN_signature = nvrtcResult(nvrtcProgram program, char* cubin);
using nvrtcGetProgramLogSize_signature = nvrtcResult(nvrtcProgram program, size_t* size);
using nvrtcGetProgramLog_signature = nvrtcResult(nvrtcProgram program, char* log);

}  // namespace dotcompute::cuda
