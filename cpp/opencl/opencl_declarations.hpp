// cpp/opencl/opencl_declarations.hpp
// The few OpenCL types, constants and entry-point signatures the plugin uses, declared here so
// the plugin builds without OpenCL headers and links no OpenCL library (the ICD loader is
// opened at run time, opencl_library.cpp). Values are those of the Khronos headers (cl.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dotcompute::opencl {

using cl_int = int32_t;
using cl_uint = uint32_t;
using cl_ulong = uint64_t;
using cl_bool = cl_uint;
using cl_bitfield = cl_ulong;

using cl_platform_id = struct _cl_platform_id*;
using cl_device_id = struct _cl_device_id*;
using cl_context = struct _cl_context*;
using cl_command_queue = struct _cl_command_queue*;
using cl_mem = struct _cl_mem*;
using cl_program = struct _cl_program*;
using cl_kernel = struct _cl_kernel*;
using cl_event = struct _cl_event*;

using cl_device_type = cl_bitfield;
using cl_device_fp_config = cl_bitfield;
using cl_mem_flags = cl_bitfield;
using cl_command_queue_properties = cl_bitfield;
using cl_context_properties = intptr_t;
using cl_platform_info = cl_uint;
using cl_device_info = cl_uint;
using cl_program_info = cl_uint;
using cl_program_build_info = cl_uint;
using cl_kernel_work_group_info = cl_uint;
using cl_event_info = cl_uint;
using cl_profiling_info = cl_uint;

// Error codes.
constexpr cl_int CL_SUCCESS = 0;
constexpr cl_int CL_DEVICE_NOT_FOUND = -1;
constexpr cl_int CL_DEVICE_NOT_AVAILABLE = -2;
constexpr cl_int CL_COMPILER_NOT_AVAILABLE = -3;
constexpr cl_int CL_MEM_OBJECT_ALLOCATION_FAILURE = -4;
constexpr cl_int CL_OUT_OF_RESOURCES = -5;
constexpr cl_int CL_OUT_OF_HOST_MEMORY = -6;
constexpr cl_int CL_MEM_COPY_OVERLAP = -8;
constexpr cl_int CL_BUILD_PROGRAM_FAILURE = -11;
constexpr cl_int CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST = -14;
constexpr cl_int CL_INVALID_VALUE = -30;
constexpr cl_int CL_INVALID_DEVICE = -33;
constexpr cl_int CL_INVALID_MEM_OBJECT = -38;
constexpr cl_int CL_INVALID_BINARY = -42;
constexpr cl_int CL_INVALID_BUILD_OPTIONS = -43;
constexpr cl_int CL_INVALID_PROGRAM_EXECUTABLE = -45;
constexpr cl_int CL_INVALID_KERNEL_NAME = -46;
constexpr cl_int CL_INVALID_ARG_INDEX = -49;
constexpr cl_int CL_INVALID_ARG_SIZE = -51;
constexpr cl_int CL_INVALID_KERNEL_ARGS = -52;
constexpr cl_int CL_INVALID_WORK_GROUP_SIZE = -54;
constexpr cl_int CL_INVALID_WORK_ITEM_SIZE = -55;
constexpr cl_int CL_INVALID_BUFFER_SIZE = -61;
constexpr cl_int CL_PLATFORM_NOT_FOUND_KHR = -1001;

// Platform and device queries.
constexpr cl_platform_info CL_PLATFORM_VERSION = 0x0901;
constexpr cl_platform_info CL_PLATFORM_NAME = 0x0902;
constexpr cl_platform_info CL_PLATFORM_VENDOR = 0x0903;
constexpr cl_device_type CL_DEVICE_TYPE_CPU = 1 << 1;
constexpr cl_device_type CL_DEVICE_TYPE_GPU = 1 << 2;
constexpr cl_device_type CL_DEVICE_TYPE_ACCELERATOR = 1 << 3;
constexpr cl_device_type CL_DEVICE_TYPE_ALL = 0xFFFFFFFF;
constexpr cl_device_info CL_DEVICE_TYPE = 0x1000;
constexpr cl_device_info CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002;
constexpr cl_device_info CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
constexpr cl_device_info CL_DEVICE_MAX_WORK_ITEM_SIZES = 0x1005;
constexpr cl_device_info CL_DEVICE_MAX_CLOCK_FREQUENCY = 0x100C;
constexpr cl_device_info CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010;
constexpr cl_device_info CL_DEVICE_MEM_BASE_ADDR_ALIGN = 0x1019;
constexpr cl_device_info CL_DEVICE_SINGLE_FP_CONFIG = 0x101B;
constexpr cl_device_info CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F;
constexpr cl_device_info CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
constexpr cl_device_info CL_DEVICE_AVAILABLE = 0x1027;
constexpr cl_device_info CL_DEVICE_COMPILER_AVAILABLE = 0x1028;
constexpr cl_device_info CL_DEVICE_NAME = 0x102B;
constexpr cl_device_info CL_DEVICE_VENDOR = 0x102C;
constexpr cl_device_info CL_DRIVER_VERSION = 0x102D;
constexpr cl_device_info CL_DEVICE_VERSION = 0x102F;
constexpr cl_device_info CL_DEVICE_EXTENSIONS = 0x1030;
constexpr cl_device_info CL_DEVICE_DOUBLE_FP_CONFIG = 0x1032;
constexpr cl_device_info CL_DEVICE_OPENCL_C_VERSION = 0x103D;
constexpr cl_device_fp_config CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT = 1 << 7;

// Contexts, queues, memory.
constexpr cl_context_properties CL_CONTEXT_PLATFORM = 0x1084;
constexpr cl_command_queue_properties CL_QUEUE_PROFILING_ENABLE = 1 << 1;
constexpr cl_mem_flags CL_MEM_READ_WRITE = 1 << 0;
constexpr cl_bool CL_FALSE = 0;
constexpr cl_bool CL_TRUE = 1;

// Programs, kernels, events.
constexpr cl_program_info CL_PROGRAM_BINARY_SIZES = 0x1165;
constexpr cl_program_info CL_PROGRAM_BINARIES = 0x1166;
constexpr cl_program_build_info CL_PROGRAM_BUILD_LOG = 0x1183;
constexpr cl_kernel_work_group_info CL_KERNEL_WORK_GROUP_SIZE = 0x11B0;
constexpr cl_kernel_work_group_info CL_KERNEL_LOCAL_MEM_SIZE = 0x11B2;
constexpr cl_event_info CL_EVENT_COMMAND_EXECUTION_STATUS = 0x11D3;
constexpr cl_int CL_COMPLETE = 0;
constexpr cl_profiling_info CL_PROFILING_COMMAND_START = 0x1282;
constexpr cl_profiling_info CL_PROFILING_COMMAND_END = 0x1283;

// Entry points (OpenCL 1.2 signatures; every function is exported by the ICD loader).
using clGetPlatformIDs_signature = cl_int(cl_uint, cl_platform_id*, cl_uint*);
using clGetPlatformInfo_signature = cl_int(cl_platform_id, cl_platform_info, size_t, void*,
                                           size_t*);
using clGetDeviceIDs_signature = cl_int(cl_platform_id, cl_device_type, cl_uint, cl_device_id*,
                                        cl_uint*);
using clGetDeviceInfo_signature = cl_int(cl_device_id, cl_device_info, size_t, void*, size_t*);
using clCreateContext_signature = cl_context(const cl_context_properties*, cl_uint,
                                             const cl_device_id*,
                                             void (*)(const char*, const void*, size_t, void*),
                                             void*, cl_int*);
using clReleaseContext_signature = cl_int(cl_context);
using clCreateCommandQueue_signature = cl_command_queue(cl_context, cl_device_id,
                                                        cl_command_queue_properties, cl_int*);
using clReleaseCommandQueue_signature = cl_int(cl_command_queue);
using clFlush_signature = cl_int(cl_command_queue);
using clFinish_signature = cl_int(cl_command_queue);
using clCreateBuffer_signature = cl_mem(cl_context, cl_mem_flags, size_t, void*, cl_int*);
using clReleaseMemObject_signature = cl_int(cl_mem);
using clEnqueueReadBuffer_signature = cl_int(cl_command_queue, cl_mem, cl_bool, size_t, size_t,
                                             void*, cl_uint, const cl_event*, cl_event*);
using clEnqueueWriteBuffer_signature = cl_int(cl_command_queue, cl_mem, cl_bool, size_t, size_t,
                                              const void*, cl_uint, const cl_event*, cl_event*);
using clEnqueueCopyBuffer_signature = cl_int(cl_command_queue, cl_mem, cl_mem, size_t, size_t,
                                             size_t, cl_uint, const cl_event*, cl_event*);
using clEnqueueFillBuffer_signature = cl_int(cl_command_queue, cl_mem, const void*, size_t, size_t,
                                             size_t, cl_uint, const cl_event*, cl_event*);
using clEnqueueMarkerWithWaitList_signature = cl_int(cl_command_queue, cl_uint, const cl_event*,
                                                     cl_event*);
using clEnqueueBarrierWithWaitList_signature = cl_int(cl_command_queue, cl_uint, const cl_event*,
                                                      cl_event*);
using clWaitForEvents_signature = cl_int(cl_uint, const cl_event*);
using clReleaseEvent_signature = cl_int(cl_event);
using clGetEventInfo_signature = cl_int(cl_event, cl_event_info, size_t, void*, size_t*);
using clGetEventProfilingInfo_signature = cl_int(cl_event, cl_profiling_info, size_t, void*,
                                                 size_t*);
using clCreateProgramWithSource_signature = cl_program(cl_context, cl_uint, const char**,
                                                       const size_t*, cl_int*);
using clCreateProgramWithBinary_signature = cl_program(cl_context, cl_uint, const cl_device_id*,
                                                       const size_t*, const unsigned char**,
                                                       cl_int*, cl_int*);
using clBuildProgram_signature = cl_int(cl_program, cl_uint, const cl_device_id*, const char*,
                                        void (*)(cl_program, void*), void*);
using clGetProgramInfo_signature = cl_int(cl_program, cl_program_info, size_t, void*, size_t*);
using clGetProgramBuildInfo_signature = cl_int(cl_program, cl_device_id, cl_program_build_info,
                                               size_t, void*, size_t*);
using clReleaseProgram_signature = cl_int(cl_program);
using clCreateKernel_signature = cl_kernel(cl_program, const char*, cl_int*);
using clReleaseKernel_signature = cl_int(cl_kernel);
using clSetKernelArg_signature = cl_int(cl_kernel, cl_uint, size_t, const void*);
using clGetKernelWorkGroupInfo_signature = cl_int(cl_kernel, cl_device_id,
                                                  cl_kernel_work_group_info, size_t, void*,
                                                  size_t*);
using clEnqueueNDRangeKernel_signature = cl_int(cl_command_queue, cl_kernel, cl_uint, const size_t*,
                                                const size_t*, const size_t*, cl_uint,
                                                const cl_event*, cl_event*);

}  // namespace dotcompute::opencl
