// cpp/opencl/opencl_library.hpp
// The OpenCL API as one struct of function pointers, resolved once from the ICD loader.
#pragma once

#include <string>

#include "opencl_declarations.hpp"

namespace dotcompute::opencl {

/// Every entry point the plugin calls; all are required (OpenCL 1.2).
#define DOTCOMPUTE_OPENCL_ENTRIES(_) \
  _(clGetPlatformIDs)                \
  _(clGetPlatformInfo)               \
  _(clGetDeviceIDs)                  \
  _(clGetDeviceInfo)                 \
  _(clCreateContext)                 \
  _(clReleaseContext)                \
  _(clCreateCommandQueue)            \
  _(clReleaseCommandQueue)           \
  _(clFlush)                         \
  _(clFinish)                        \
  _(clCreateBuffer)                  \
  _(clReleaseMemObject)              \
  _(clEnqueueReadBuffer)             \
  _(clEnqueueWriteBuffer)            \
  _(clEnqueueCopyBuffer)             \
  _(clEnqueueFillBuffer)             \
  _(clEnqueueMarkerWithWaitList)     \
  _(clEnqueueBarrierWithWaitList)    \
  _(clWaitForEvents)                 \
  _(clReleaseEvent)                  \
  _(clGetEventInfo)                  \
  _(clGetEventProfilingInfo)         \
  _(clCreateProgramWithSource)       \
  _(clCreateProgramWithBinary)       \
  _(clBuildProgram)                  \
  _(clGetProgramInfo)                \
  _(clGetProgramBuildInfo)           \
  _(clReleaseProgram)                \
  _(clCreateKernel)                  \
  _(clReleaseKernel)                 \
  _(clSetKernelArg)                  \
  _(clGetKernelWorkGroupInfo)        \
  _(clEnqueueNDRangeKernel)

struct OpenclApi {
#define DOTCOMPUTE_OPENCL_DECLARE_ENTRY(name) name##_signature* name = nullptr;
  DOTCOMPUTE_OPENCL_ENTRIES(DOTCOMPUTE_OPENCL_DECLARE_ENTRY)
#undef DOTCOMPUTE_OPENCL_DECLARE_ENTRY
  std::string path;  ///< the library the entry points come from
};

/// Opens the ICD loader (DOTCOMPUTE_OPENCL_LIBRARY, else libOpenCL.so.1, libOpenCL.so, or the
/// macOS framework) and resolves every entry point, once per process. Returns nullptr and sets
/// *reason when no library is found or one lacks an entry point.
const OpenclApi* load_opencl(std::string* reason);

/// The loaded API; only valid after load_opencl succeeded.
const OpenclApi& api() noexcept;

/// "CL_OUT_OF_RESOURCES (-5)"; "OpenCL error -123" for codes it does not know.
std::string describe_error(cl_int code);

}  // namespace dotcompute::opencl
