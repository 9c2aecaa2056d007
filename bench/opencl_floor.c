/* bench/opencl_floor.c
 * The OpenCL driver's own floor for "launch a one-work-item kernel and wait for it", with no
 * Python and no library in between: bench/opencl_floor.py builds this file into a shared
 * library, loads it with ctypes and times it next to dotcompute and pyopencl in one process
 * (so all three share the driver's worker threads and the machine's state).
 *
 * floor_poll:   clEnqueueNDRangeKernel (arguments set once, at init) and a spin on the
 *               event's status: the least a launch that waits for its result can cost.
 * floor_finish: clEnqueueNDRangeKernel and clFinish: what pyopencl's kernel call followed by
 *               queue.finish() does underneath, without its Python.
 * floor_poll_wide: floor_poll for the same kernel with the 12 parameters dotcompute's OpenCL C
 *               generator gives it (a byte offset per buffer, an extent per array dimension and
 *               the three real global sizes): what the extra arguments cost the driver.
 * floor_enqueue, floor_enqueue_wide, floor_wait: the enqueue alone (no event, no wait) of the
 *               small and the 12-parameter kernel, and a clFinish, to time the launch call by
 *               itself when launches queue up.
 * floor_phases: one launch of the small kernel on a queue with profiling, waited for by polling
 *               or by clFinish, split into phases: the enqueue call itself, QUEUED -> SUBMIT,
 *               SUBMIT -> START (the driver handing the command to a worker thread, which it
 *               may have to wake), START -> END (the kernel), and END -> return (noticing
 *               completion and returning: for clFinish, waking the caller).
 *
 * No OpenCL headers are needed: the few entry points are declared here and looked up in the
 * ICD loader (libOpenCL.so.1) with dlopen, like the plugin does. */
#include <dlfcn.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef int32_t cl_int;
typedef uint32_t cl_uint;
typedef uint64_t cl_ulong;
typedef void* handle;

#define CL_DEVICE_TYPE_ALL 0xFFFFFFFFull
#define CL_EVENT_COMMAND_EXECUTION_STATUS 0x11D3
#define CL_MEM_READ_WRITE 1ull
#define CL_QUEUE_PROFILING_ENABLE 2ull
#define CL_PROFILING_COMMAND_QUEUED 0x1280
#define CL_PROFILING_COMMAND_SUBMIT 0x1281
#define CL_PROFILING_COMMAND_START 0x1282
#define CL_PROFILING_COMMAND_END 0x1283

static cl_int (*GetPlatformIDs)(cl_uint, handle*, cl_uint*);
static cl_int (*GetDeviceIDs)(handle, cl_ulong, cl_uint, handle*, cl_uint*);
static handle (*CreateContext)(const intptr_t*, cl_uint, const handle*, void*, void*, cl_int*);
static handle (*CreateCommandQueue)(handle, handle, cl_ulong, cl_int*);
static handle (*CreateProgramWithSource)(handle, cl_uint, const char**, const size_t*, cl_int*);
static cl_int (*BuildProgram)(handle, cl_uint, const handle*, const char*, void*, void*);
static handle (*CreateKernel)(handle, const char*, cl_int*);
static handle (*CreateBuffer)(handle, cl_ulong, size_t, void*, cl_int*);
static cl_int (*SetKernelArg)(handle, cl_uint, size_t, const void*);
static cl_int (*EnqueueNDRangeKernel)(handle, handle, cl_uint, const size_t*, const size_t*,
                                      const size_t*, cl_uint, const handle*, handle*);
static cl_int (*GetEventInfo)(handle, cl_uint, size_t, void*, size_t*);
static cl_int (*ReleaseEvent)(handle);
static cl_int (*Finish)(handle);
static cl_int (*GetEventProfilingInfo)(handle, cl_uint, size_t, void*, size_t*);

static handle queue, profiled_queue, kernel, wide_kernel;
static const size_t one = 1;

static const char* source =
    "__kernel void vector_add(__global const float* a, __global const float* b,\n"
    "                         __global float* out)\n"
    "{ const size_t i = get_global_id(0); out[i] = a[i] + b[i]; }\n"
    "__kernel void vector_add_wide(__global const float* a, ulong a_offset,\n"
    "    __global const float* b, ulong b_offset, __global float* out, ulong out_offset,\n"
    "    long a_n, long b_n, long out_n, long size0, long size1, long size2)\n"
    "{ const size_t i = get_global_id(0); if ((long)i >= size0) return;\n"
    "  __global float* o = (__global float*)((__global uchar*)out + out_offset);\n"
    "  o[i] = ((__global const float*)((__global const uchar*)a + a_offset))[i]\n"
    "       + ((__global const float*)((__global const uchar*)b + b_offset))[i]; }\n";

#define LOOK_UP(name)                              \
  do {                                             \
    *(void**)(&name) = dlsym(library, "cl" #name); \
    if (name == NULL) return -100;                 \
  } while (0)

/* 0 on success; a negative OpenCL or look-up error otherwise. device_index counts devices
 * across platforms in the ICD loader's order (as dotcompute's opencl:N). */
int floor_init(int device_index) {
  void* library = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) return -101;
  LOOK_UP(GetPlatformIDs);
  LOOK_UP(GetDeviceIDs);
  LOOK_UP(CreateContext);
  LOOK_UP(CreateCommandQueue);
  LOOK_UP(CreateProgramWithSource);
  LOOK_UP(BuildProgram);
  LOOK_UP(CreateKernel);
  LOOK_UP(CreateBuffer);
  LOOK_UP(SetKernelArg);
  LOOK_UP(EnqueueNDRangeKernel);
  LOOK_UP(GetEventInfo);
  LOOK_UP(ReleaseEvent);
  LOOK_UP(Finish);
  LOOK_UP(GetEventProfilingInfo);
  handle platforms[16], devices[64], device = NULL;
  cl_uint platform_count = 0, seen = 0;
  if (GetPlatformIDs(16, platforms, &platform_count) != 0) return -102;
  for (cl_uint p = 0; p < platform_count && device == NULL; ++p) {
    cl_uint count = 0;
    if (GetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 64, devices, &count) != 0) continue;
    if ((int)(seen + count) > device_index) device = devices[device_index - (int)seen];
    seen += count;
  }
  if (device == NULL) return -103;
  cl_int code = 0;
  handle context = CreateContext(NULL, 1, &device, NULL, NULL, &code);
  if (code != 0) return code;
  queue = CreateCommandQueue(context, device, 0, &code);
  if (code != 0) return code;
  profiled_queue = CreateCommandQueue(context, device, CL_QUEUE_PROFILING_ENABLE, &code);
  if (code != 0) return code;
  handle program = CreateProgramWithSource(context, 1, &source, NULL, &code);
  if (code != 0) return code;
  if ((code = BuildProgram(program, 1, &device, "", NULL, NULL)) != 0) return code;
  kernel = CreateKernel(program, "vector_add", &code);
  if (code != 0) return code;
  wide_kernel = CreateKernel(program, "vector_add_wide", &code);
  if (code != 0) return code;
  const cl_ulong offset = 0, extent = 1;
  for (cl_uint i = 0; i < 3; ++i) {
    handle buffer = CreateBuffer(context, CL_MEM_READ_WRITE, 64, NULL, &code);
    if (code != 0) return code;
    if ((code = SetKernelArg(kernel, i, sizeof(buffer), &buffer)) != 0 ||
        (code = SetKernelArg(wide_kernel, 2 * i, sizeof(buffer), &buffer)) != 0 ||
        (code = SetKernelArg(wide_kernel, 2 * i + 1, sizeof(offset), &offset)) != 0) {
      return code;
    }
  }
  for (cl_uint i = 6; i < 12; ++i) {
    if ((code = SetKernelArg(wide_kernel, i, sizeof(extent), &extent)) != 0) return code;
  }
  return 0;
}

static int wait_polling(handle done) {
  cl_int code = 0, status = 1;
  for (;;) {
    if ((code = GetEventInfo(done, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(status), &status,
                             NULL)) != 0 ||
        status <= 0) {
      break;
    }
    sched_yield(); /* let the driver's workers have this core if they need it (as the plugin) */
  }
  return code != 0 ? code : status;
}

static int poll(handle launched) {
  handle done = NULL;
  cl_int code = EnqueueNDRangeKernel(queue, launched, 1, NULL, &one, NULL, 0, NULL, &done);
  if (code != 0) return code;
  code = wait_polling(done);
  ReleaseEvent(done);
  return code;
}

int floor_poll(void) { return poll(kernel); }

int floor_poll_wide(void) { return poll(wide_kernel); }

int floor_enqueue(void) {
  return EnqueueNDRangeKernel(queue, kernel, 1, NULL, &one, NULL, 0, NULL, NULL);
}

int floor_enqueue_wide(void) {
  return EnqueueNDRangeKernel(queue, wide_kernel, 1, NULL, &one, NULL, 0, NULL, NULL);
}

int floor_wait(void) { return Finish(queue); }

int floor_finish(void) {
  cl_int code = EnqueueNDRangeKernel(queue, kernel, 1, NULL, &one, NULL, 0, NULL, NULL);
  return code != 0 ? code : Finish(queue);
}

static double microseconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec * 1e6 + (double)now.tv_nsec * 1e-3;
}

/* phases[5]: enqueue call, QUEUED -> SUBMIT, SUBMIT -> START, START -> END, and END -> return
 * (the host-side total less QUEUED -> END); all in microseconds. */
int floor_phases(int use_finish, double* phases) {
  handle done = NULL;
  const double start = microseconds();
  cl_int code = EnqueueNDRangeKernel(profiled_queue, kernel, 1, NULL, &one, NULL, 0, NULL, &done);
  const double enqueued = microseconds();
  if (code != 0) return code;
  code = use_finish ? Finish(profiled_queue) : wait_polling(done);
  const double total = microseconds() - start;
  cl_ulong stamps[4] = {0, 0, 0, 0};
  for (cl_uint i = 0; i < 4 && code == 0; ++i) {
    code = GetEventProfilingInfo(done, CL_PROFILING_COMMAND_QUEUED + i, sizeof(stamps[i]),
                                 &stamps[i], NULL);
  }
  ReleaseEvent(done);
  if (code != 0) return code;
  phases[0] = enqueued - start;
  for (int i = 1; i < 4; ++i) phases[i] = (double)(stamps[i] - stamps[i - 1]) * 1e-3;
  /* QUEUED is stamped inside the enqueue call, so what the total has beyond QUEUED -> END is
   * (nearly all) the time from the kernel's end until the caller returns */
  phases[4] = total - (double)(stamps[3] - stamps[0]) * 1e-3;
  return 0;
}
