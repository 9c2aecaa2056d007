// cpp/opencl/opencl_programs.cpp
// The module table: OpenCL C built with clBuildProgram, program binaries as images, kernels
// launched with clEnqueueNDRangeKernel.
//
// Note [Build options]
// Every build gets -cl-fp32-correctly-rounded-divide-sqrt where the device offers it (float /
// and sqrt then round like numpy and the CPU backend), then the caller's options. Generated
// sources turn contraction off themselves (#pragma OPENCL FP_CONTRACT OFF).
//
// Note [Program images]
// compile returns "DCOCLBIN" followed by the device's program binary (CL_PROGRAM_BINARIES),
// which the kernel cache stores keyed with the platform, device and driver versions (the
// capabilities' compiler_identity), so a later process skips the OpenCL C front end. load
// accepts such an image (clCreateProgramWithBinary + clBuildProgram) or plain OpenCL C source.
// A binary the driver no longer accepts fails load with DC_STATUS_INVALID_ARGUMENT, and the
// cache then compiles the source again.
//
// Note [Buffer arguments]
// A dc_kernel_arg buffer view becomes two kernel arguments: the cl_mem, then the byte offset
// as a cl_ulong; kernels add the offset to the pointer themselves (generated code and the
// built-ins both do). Scalars are passed from their bytes. Arrays take the slots the core lays
// out (the view, then one int64 extent per dimension).
//
// Note [Work-group sizes]
// OpenCL 1.2 needs the global size to be a multiple of the local size, so the global size is
// rounded up per dimension and kernels retire the extra work-items themselves (the generator
// passes the real global size as three hidden trailing arguments, as on CUDA). A local size of
// 0 lets the plugin choose: up to 256 in 1-D, 16 x 16 in 2-D, 8 x 8 x 4 in 3-D, clamped to the
// global size and to the kernel's CL_KERNEL_WORK_GROUP_SIZE. On CPU devices (PoCL) a 1-D kernel
// that uses no local memory gets groups of up to 4096: a CPU driver runs a group as one loop
// over its work-items, vectorized across them, so fewer, larger groups cost less scheduling
// (vector add of 1M floats ran about 1.3x faster than with 256 on PoCL). A local size the
// caller gives is left to the driver up to the device's maximum: NVIDIA's driver reports a
// CL_KERNEL_WORK_GROUP_SIZE of 256 for every kernel on an H100 (driver 580) yet runs groups of
// 1024; a driver that refuses the group gets the same error as an early check would give.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <new>

#include "opencl_backend.hpp"

namespace dotcompute::opencl {
namespace {

constexpr uint64_t kModuleTag = 0x64632d6f636c6d2dULL;  // "dc-oclm-"
constexpr uint64_t kKernelTag = 0x64632d6f636c6b2dULL;  // "dc-oclk-"
constexpr uint64_t kDestroyedTag = 0x64632d6f636c7878ULL;
/// Default 1-D work-group sizes (Note [Work-group sizes]).
constexpr size_t kGpuGroup = 256;
constexpr size_t kCpuGroup = 4096;
constexpr char kBinaryMagic[8] = {'D', 'C', 'O', 'C', 'L', 'B', 'I', 'N'};

struct OpenclKernel {
  uint64_t tag;
  cl_kernel kernel;
  std::string name;
  size_t work_group_limit;  ///< CL_KERNEL_WORK_GROUP_SIZE
  size_t default_group;     ///< the 1-D local size chosen when the caller gives none
  std::mutex mutex;         ///< arguments and enqueue of one launch stay together
};

struct OpenclModule {
  uint64_t tag;
  int32_t device;
  cl_program program;
  std::string options;
  std::mutex mutex;  // guards kernels
  std::vector<OpenclKernel*> kernels;
};

std::string build_log(const DeviceState& state, cl_program program) {
  size_t size = 0;
  if (api().clGetProgramBuildInfo(program, state.device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size) !=
          CL_SUCCESS ||
      size <= 1) {
    return "";
  }
  std::string log(size, '\0');
  if (api().clGetProgramBuildInfo(program, state.device, CL_PROGRAM_BUILD_LOG, size, &log[0],
                                  nullptr) != CL_SUCCESS) {
    return "";
  }
  log.resize(std::strlen(log.c_str()));
  return log;
}

std::string full_options(const DeviceState& state, const std::string& options) {
  std::string all =
      state.correctly_rounded_divide_sqrt ? "-cl-fp32-correctly-rounded-divide-sqrt" : "";
  // Generated kernels unroll loops over private arrays on GPUs only (codegen_opencl.py).
  if ((state.type & CL_DEVICE_TYPE_CPU) != 0)
    all += all.empty() ? "-D DC_CPU_DEVICE" : " -D DC_CPU_DEVICE";
  if (!options.empty()) all += (all.empty() ? "" : " ") + options;
  return all;
}

/// Builds program for the device; the log on failure.
dc_status build(const DeviceState& state, cl_program program, const std::string& options,
                std::string* log) {
  const std::string all = full_options(state, options);
  const cl_int code =
      api().clBuildProgram(program, 1, &state.device, all.c_str(), nullptr, nullptr);
  *log = build_log(state, program);
  if (code == CL_BUILD_PROGRAM_FAILURE) {
    return fail(DC_STATUS_COMPILATION_FAILED,
                "the OpenCL C compiler of %s (%s) rejected the program (options: %s):\n%s",
                state.name.c_str(), state.platform_version.c_str(),
                all.empty() ? "none" : all.c_str(), log->c_str());
  }
  return check(code, "clBuildProgram");
}

char* copy_to_blob(const std::string& text) {
  char* blob = static_cast<char*>(std::malloc(text.size() + 1));
  if (blob != nullptr) std::memcpy(blob, text.c_str(), text.size() + 1);
  return blob;
}

/// The device's binary of a built program, behind the image magic.
dc_status program_binary(cl_program program, std::string* image) {
  size_t size = 0;
  if (dc_status status = check(
          api().clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof(size), &size, nullptr),
          "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)")) {
    return status;
  }
  if (size == 0) {
    return fail(DC_STATUS_INTERNAL, "the OpenCL driver returned an empty program binary");
  }
  image->assign(sizeof(kBinaryMagic) + size, '\0');
  std::memcpy(&(*image)[0], kBinaryMagic, sizeof(kBinaryMagic));
  unsigned char* binary = reinterpret_cast<unsigned char*>(&(*image)[sizeof(kBinaryMagic)]);
  return check(
      api().clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof(binary), &binary, nullptr),
      "clGetProgramInfo(CL_PROGRAM_BINARIES)");
}

dc_status compile(int32_t device, const char* source, const char* options, void** out_image,
                  uint64_t* out_image_size, char** out_log) {
  if (out_image == nullptr || out_image_size == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "compile: out_image and out_image_size are required");
  }
  *out_image = nullptr;
  *out_image_size = 0;
  if (out_log != nullptr) *out_log = nullptr;
  if (source == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "compile: source is NULL");
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  try {
    cl_program program = nullptr;
    std::string log, image;
    const dc_status status =
        build_source(*state, source, options != nullptr ? options : "", &program, &log);
    if (out_log != nullptr && !log.empty()) *out_log = copy_to_blob(log);
    if (status != DC_STATUS_OK) return status;
    const dc_status binary_status = program_binary(program, &image);
    api().clReleaseProgram(program);
    if (binary_status != DC_STATUS_OK) return binary_status;
    void* blob = std::malloc(image.size());
    if (blob == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "compile: out of host memory");
    std::memcpy(blob, image.data(), image.size());
    *out_image = blob;
    *out_image_size = image.size();
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "compile: %s", error.what());
  }
  return DC_STATUS_OK;
}

void free_blob(void* blob) { std::free(blob); }

dc_status load_checked(DeviceState& state, const void* image, uint64_t image_size,
                       dc_module* out_module) {
  const auto* bytes = static_cast<const unsigned char*>(image);
  cl_program program = nullptr;
  if (image_size > sizeof(kBinaryMagic) &&
      std::memcmp(bytes, kBinaryMagic, sizeof(kBinaryMagic)) == 0) {
    const unsigned char* binary = bytes + sizeof(kBinaryMagic);
    const size_t size = static_cast<size_t>(image_size - sizeof(kBinaryMagic));
    cl_int binary_status = CL_SUCCESS, code = CL_SUCCESS;
    program = api().clCreateProgramWithBinary(state.context, 1, &state.device, &size, &binary,
                                              &binary_status, &code);
    if (code != CL_SUCCESS || binary_status != CL_SUCCESS) {
      if (program != nullptr) api().clReleaseProgram(program);
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "load: %s does not accept the program binary (%s); it was built for another "
                  "device or driver",
                  state.name.c_str(),
                  describe_error(code != CL_SUCCESS ? code : binary_status).c_str());
    }
    std::string log;
    if (build(state, program, "", &log) != DC_STATUS_OK) {
      api().clReleaseProgram(program);
      return fail(DC_STATUS_INVALID_ARGUMENT, "load: the program binary does not build on %s: %s",
                  state.name.c_str(), log.c_str());
    }
  } else {
    const std::string source(static_cast<const char*>(image), static_cast<size_t>(image_size));
    std::string log;
    if (dc_status status = build_source(state, source.c_str(), "", &program, &log)) return status;
  }
  auto* module = new (std::nothrow) OpenclModule{kModuleTag, state.index, program, {}, {}, {}};
  if (module == nullptr) {
    api().clReleaseProgram(program);
    return fail(DC_STATUS_OUT_OF_MEMORY, "load: out of host memory");
  }
  *out_module = reinterpret_cast<dc_module>(module);
  return DC_STATUS_OK;
}

dc_status load(int32_t device, const void* image, uint64_t image_size, dc_module* out_module) {
  if (out_module == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "load: out_module is NULL");
  *out_module = nullptr;
  if (image == nullptr || image_size == 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "load: the image (program binary or source) is empty");
  }
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  try {
    return load_checked(*state, image, image_size, out_module);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "load: %s", error.what());
  }
}

dc_status check_module(const DeviceState& state, dc_module module, const char* what) {
  if (module == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: module is NULL", what);
  const auto* header = reinterpret_cast<const OpenclModule*>(module);
  if (header->tag != kModuleTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: not a live opencl module (unloaded already?)",
                what);
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the module is loaded on opencl:%d, not opencl:%d",
                what, static_cast<int>(header->device), static_cast<int>(state.index));
  }
  return DC_STATUS_OK;
}

dc_status unload(int32_t device, dc_module module) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_module(*state, module, "unload")) return status;
  auto* header = reinterpret_cast<OpenclModule*>(module);
  for (OpenclKernel* kernel : header->kernels) {
    api().clReleaseKernel(kernel->kernel);
    kernel->tag = kDestroyedTag;
    delete kernel;
  }
  const dc_status status = check(api().clReleaseProgram(header->program), "clReleaseProgram");
  header->tag = kDestroyedTag;
  delete header;
  return status;
}

dc_status get_kernel(int32_t device, dc_module module, const char* name, dc_kernel* out_kernel) {
  if (out_kernel == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_kernel is NULL");
  *out_kernel = nullptr;
  if (name == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "get_kernel: name is NULL");
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_module(*state, module, "get_kernel")) return status;
  auto* header = reinterpret_cast<OpenclModule*>(module);
  std::lock_guard<std::mutex> lock(header->mutex);
  for (OpenclKernel* kernel : header->kernels) {
    if (kernel->name == name) {
      *out_kernel = reinterpret_cast<dc_kernel>(kernel);
      return DC_STATUS_OK;
    }
  }
  cl_int code = CL_SUCCESS;
  cl_kernel handle = api().clCreateKernel(header->program, name, &code);
  if (code == CL_INVALID_KERNEL_NAME) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "the program has no kernel named '%s' (declare it __kernel void %s(...))", name,
                name);
  }
  if (dc_status status = check(code, "clCreateKernel")) return status;
  size_t limit = state->max_work_group_size;
  if (api().clGetKernelWorkGroupInfo(handle, state->device, CL_KERNEL_WORK_GROUP_SIZE,
                                     sizeof(limit), &limit, nullptr) != CL_SUCCESS ||
      limit == 0) {
    limit = state->max_work_group_size;
  }
  cl_ulong local_bytes = 0;
  api().clGetKernelWorkGroupInfo(handle, state->device, CL_KERNEL_LOCAL_MEM_SIZE,
                                 sizeof(local_bytes), &local_bytes, nullptr);
  // Note [Work-group sizes]: large groups on CPU devices for kernels without local memory.
  size_t group = (state->type & CL_DEVICE_TYPE_CPU) && local_bytes == 0 ? kCpuGroup : kGpuGroup;
  group = std::min(group, limit);
  try {
    auto* kernel = new OpenclKernel{kKernelTag, handle, name, limit, group, {}};
    header->kernels.push_back(kernel);
    *out_kernel = reinterpret_cast<dc_kernel>(kernel);
  } catch (const std::exception& error) {
    api().clReleaseKernel(handle);
    return fail(DC_STATUS_OUT_OF_MEMORY, "get_kernel: %s", error.what());
  }
  return DC_STATUS_OK;
}

dc_status group_too_large(const DeviceState& state, const OpenclKernel& kernel, uint64_t items,
                          size_t limit) {
  return fail(DC_STATUS_INVALID_ARGUMENT,
              "launch of %s: %llu work-items per group exceed the %zu this kernel can run on %s",
              kernel.name.c_str(), static_cast<unsigned long long>(items), limit,
              state.name.c_str());
}

/// Local and (rounded) global sizes per Note [Work-group sizes].
dc_status choose_sizes(const DeviceState& state, const OpenclKernel& kernel,
                       const dc_launch_config& config, size_t local[3], size_t global[3]) {
  const uint64_t defaults[3][3] = {{kernel.default_group, 1, 1}, {16, 16, 1}, {8, 8, 4}};
  const uint32_t dimensions = config.dimensions;
  const bool chosen =
      config.local_size[0] == 0 && config.local_size[1] == 0 && config.local_size[2] == 0;
  uint64_t items = 1;
  for (uint32_t d = 0; d < dimensions; ++d) {
    const uint64_t extent = config.global_size[d];
    uint64_t size = config.local_size[d];
    if (chosen) {
      size = std::min<uint64_t>(defaults[dimensions - 1][d], extent);
      size = std::min<uint64_t>(size, state.max_work_item_sizes[d]);
      size = std::max<uint64_t>(size, 1);
    }
    if (size == 0)
      return fail(DC_STATUS_INVALID_ARGUMENT, "launch: local_size is 0 in dimension %u", d);
    if (size > state.max_work_item_sizes[d]) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "launch of %s: local_size %llu in dimension %u exceeds the device's %zu",
                  kernel.name.c_str(), static_cast<unsigned long long>(size), d,
                  state.max_work_item_sizes[d]);
    }
    local[d] = static_cast<size_t>(size);
    items *= size;
  }
  if (chosen) {  // shrink the largest dimension until the group fits the kernel
    while (items > kernel.work_group_limit) {
      uint32_t largest = 0;
      for (uint32_t d = 1; d < dimensions; ++d) largest = local[d] > local[largest] ? d : largest;
      items /= local[largest];
      local[largest] = std::max<size_t>(1, local[largest] / 2);
      items *= local[largest];
    }
  } else if (items > state.max_work_group_size) {
    return group_too_large(state, kernel, items, state.max_work_group_size);
  }
  for (uint32_t d = 0; d < dimensions; ++d) {
    const uint64_t groups = (config.global_size[d] + local[d] - 1) / local[d];
    global[d] = static_cast<size_t>(groups * local[d]);
  }
  return DC_STATUS_OK;
}

dc_status launch(int32_t device, dc_stream stream, dc_kernel kernel_handle,
                 const dc_launch_config* config, const dc_kernel_arg* args, uint32_t arg_count) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (kernel_handle == nullptr ||
      reinterpret_cast<OpenclKernel*>(kernel_handle)->tag != kKernelTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "launch: not a live opencl kernel");
  }
  OpenclKernel& kernel = *reinterpret_cast<OpenclKernel*>(kernel_handle);
  if (config == nullptr || config->dimensions < 1 || config->dimensions > 3) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "launch: the configuration needs 1 to 3 dimensions");
  }
  if (args == nullptr && arg_count > 0) return fail(DC_STATUS_INVALID_ARGUMENT, "args is NULL");
  if (config->shared_memory_bytes != 0) {
    return fail(DC_STATUS_UNSUPPORTED,
                "launch of %s: dynamic local memory is not supported by the opencl backend; "
                "declare __local arrays in the kernel",
                kernel.name.c_str());
  }
  cl_command_queue queue = nullptr;
  std::atomic<cl_event>* last = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue, &last)) return status;
  for (uint32_t d = 0; d < config->dimensions; ++d) {
    if (config->global_size[d] == 0) return DC_STATUS_OK;  // nothing to run
  }
  size_t local[3] = {1, 1, 1}, global[3] = {1, 1, 1};
  if (dc_status status = choose_sizes(*state, kernel, *config, local, global)) return status;

  const OpenclApi& cl = api();
  std::lock_guard<std::mutex> lock(kernel.mutex);
  cl_uint index = 0;
  for (uint32_t i = 0; i < arg_count; ++i) {
    const dc_kernel_arg& arg = args[i];
    cl_int code = CL_SUCCESS;
    if (arg.kind == DC_ARG_BUFFER) {
      cl_mem memory = nullptr;
      uint64_t offset = 0;
      if (dc_status status = view_memory(*state, arg.value.buffer, 0, "buffer", &memory, &offset)) {
        char detail[256];
        std::snprintf(detail, sizeof(detail), "%s", last_error_text());
        return fail(status, "launch of %s, argument %u: %s", kernel.name.c_str(), i, detail);
      }
      code = cl.clSetKernelArg(kernel.kernel, index++, sizeof(cl_mem),
                               memory != nullptr ? &memory : nullptr);
      const cl_ulong byte_offset = offset;
      if (code == CL_SUCCESS) {
        code = cl.clSetKernelArg(kernel.kernel, index++, sizeof(byte_offset), &byte_offset);
      }
    } else if (arg.kind == DC_ARG_SCALAR && arg.size >= 1 && arg.size <= 16) {
      code = cl.clSetKernelArg(kernel.kernel, index++, arg.size, arg.value.scalar);
    } else {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "launch of %s: argument %u is neither a buffer nor a scalar of 1 to 16 bytes",
                  kernel.name.c_str(), i);
    }
    if (code != CL_SUCCESS) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "launch of %s: clSetKernelArg of argument %u failed: %s (the arguments do not "
                  "match the kernel's parameters)",
                  kernel.name.c_str(), i, describe_error(code).c_str());
    }
  }
  cl_event done = nullptr;
  const cl_int code = cl.clEnqueueNDRangeKernel(queue, kernel.kernel, config->dimensions, nullptr,
                                                global, local, 0, nullptr, &done);
  if (code == CL_SUCCESS) remember_kernel(last, done);  // Note [Short waits]
  if (code == CL_INVALID_WORK_GROUP_SIZE || code == CL_OUT_OF_RESOURCES) {
    const uint64_t items = uint64_t{local[0]} * local[1] * local[2];
    if (items > kernel.work_group_limit) {
      return group_too_large(*state, kernel, items, kernel.work_group_limit);
    }
  }
  if (code == CL_INVALID_KERNEL_ARGS) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "launch of %s: clEnqueueNDRangeKernel failed: %s (%u argument(s) given for more "
                "kernel parameters)",
                kernel.name.c_str(), describe_error(code).c_str(), arg_count);
  }
  return check(code, "clEnqueueNDRangeKernel");
}

}  // namespace

dc_status build_source(const DeviceState& state, const std::string& source,
                       const std::string& options, cl_program* program, std::string* log) noexcept {
  *program = nullptr;
  try {
    const char* text = source.c_str();
    const size_t length = source.size();
    cl_int code = CL_SUCCESS;
    cl_program made = api().clCreateProgramWithSource(state.context, 1, &text, &length, &code);
    if (dc_status status = check(code, "clCreateProgramWithSource")) return status;
    if (dc_status status = build(state, made, options, log)) {
      api().clReleaseProgram(made);
      return status;
    }
    *program = made;
    return DC_STATUS_OK;
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "compile: %s", error.what());
  }
}

const dc_module_iface module_iface = {
    sizeof(dc_module_iface), compile, free_blob, load, unload, get_kernel, launch,
};

}  // namespace dotcompute::opencl
