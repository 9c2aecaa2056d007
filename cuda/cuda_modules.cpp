// cuda/cuda_modules.cpp
// The module table: NVRTC compilation to CUBIN (or PTX), cuModuleLoadData, cuLaunchKernel.
//
// Note [Target architecture]
// compile targets the device's own architecture: --gpu-architecture=sm_XY gives a CUBIN that
// loads with no JIT step. When NVRTC is older than the device (sm_XY is not in
// nvrtcGetSupportedArchs) it compiles PTX for the newest compute_XY it knows instead, and
// cuModuleLoadData JIT-compiles that PTX for the device. A device older than every architecture
// of this NVRTC cannot be served and says so. Options the caller passes come after the
// architecture; a caller's own --gpu-architecture / -arch replaces it (sm_* gives a CUBIN,
// compute_* gives PTX).
//
// Note [Launch arguments]
// dc_kernel_arg slots map one to one to kernel parameters: a buffer view becomes a CUdeviceptr
// (buffer address + offset), a scalar is passed from its bytes. Arrays take the slots the core
// lays out (the pointer, then one int64 extent per dimension), exactly as on the CPU ABI.
// Note [Packed launch arguments]: cuLaunchKernel gets the arguments as one buffer laid out like
// the kernel's parameter list (CU_LAUNCH_PARAM_BUFFER_POINTER), not as an array of pointers to
// each (kernelParams): the driver then copies one block instead of looking up every parameter's
// size, which measured about 1.4 us less per launch on an H100 host (bench/cuda_launch_profile.py,
// through ctypes, same run). The layout comes from cuFuncGetParamInfo (CUDA 12.4+), which also
// lets the plugin refuse an argument whose size is not the parameter's; with older drivers it is
// the C layout (each parameter at a multiple of its size, 1 to 8 bytes), and a 16-byte scalar,
// whose alignment the plugin cannot know, goes through kernelParams.
// The grid is ceil(global / local) per dimension, so the last block of a dimension may run past
// the global size: kernels guard their index. A local size of 0 lets the plugin choose: 256 in
// 1-D, 16 x 16 in 2-D, 8 x 8 x 4 in 3-D, each clamped to the global size.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "cuda_backend.hpp"
#include "nvrtc_library.hpp"

namespace dotcompute::cuda {
namespace {

constexpr uint64_t kModuleTag = 0x64632d637564616dULL;  // "dc-cudam"
constexpr uint64_t kKernelTag = 0x64632d637564616bULL;  // "dc-cudak"
constexpr uint64_t kDestroyedTag = 0x64632d6375646164ULL;
/// Dynamic shared memory above this needs CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.
constexpr uint32_t kDefaultDynamicSharedLimit = 48 << 10;
/// Argument slots kept on the stack; kernels with more use the heap.

/// Where one parameter sits in the packed argument buffer.
struct ParamSlot {
  uint32_t offset;
  uint32_t size;
};

struct CudaKernel {
  uint64_t tag;
  CUfunction function;
  std::string name;
  /// The dynamic shared memory limit already set on the function (0: the default 48 KiB).
  std::atomic<uint32_t> shared_limit{0};
  /// The parameter layout from cuFuncGetParamInfo; empty when the driver cannot tell.
  std::vector<ParamSlot> params{};
};

/// Bytes of the packed argument buffer on the stack; CUDA's classic limit for parameters.
constexpr size_t kPackedArgumentBytes = 4096;

/// The kernel's parameter layout, when the driver can report it (Note [Packed launch arguments]).
std::vector<ParamSlot> query_param_layout(CUfunction function) {
  std::vector<ParamSlot> params;
  const DriverApi& api = driver();
  if (api.cuFuncGetParamInfo == nullptr) return params;
  for (size_t index = 0;; ++index) {
    size_t offset = 0, size = 0;
    if (api.cuFuncGetParamInfo(function, index, &offset, &size) != CUDA_SUCCESS) break;
    params.push_back({static_cast<uint32_t>(offset), static_cast<uint32_t>(size)});
  }
  return params;
}

struct CudaModule {
  uint64_t tag;
  int32_t device;
  CUmodule module;
  std::mutex mutex;  // guards kernels
  std::vector<CudaKernel*> kernels;
};

std::vector<std::string> split_options(const char* options) {
  std::vector<std::string> tokens;
  if (options == nullptr) return tokens;
  std::string token;
  for (const char* c = options;; ++c) {
    if (*c == '\0' || std::isspace(static_cast<unsigned char>(*c))) {
      if (!token.empty()) tokens.push_back(token);
      token.clear();
      if (*c == '\0') break;
    } else {
      token += *c;
    }
  }
  return tokens;
}

/// The architecture given in options ("sm_90", "compute_90"), or "" when none is.
std::string requested_architecture(const std::vector<std::string>& options) {
  for (size_t i = 0; i < options.size(); ++i) {
    const std::string& option = options[i];
    for (const char* prefix : {"--gpu-architecture=", "-arch="}) {
      const size_t length = std::strlen(prefix);
      if (option.compare(0, length, prefix) == 0) return option.substr(length);
    }
    if ((option == "--gpu-architecture" || option == "-arch") && i + 1 < options.size()) {
      return options[i + 1];
    }
  }
  return "";
}

std::string program_log(const NvrtcApi& nvrtc, nvrtcProgram program) {
  size_t size = 0;
  if (nvrtc.nvrtcGetProgramLogSize(program, &size) != NVRTC_SUCCESS || size <= 1) return "";
  std::string log(size, '\0');
  if (nvrtc.nvrtcGetProgramLog(program, &log[0]) != NVRTC_SUCCESS) return "";
  log.resize(std::strlen(log.c_str()));
  return log;
}

dc_status compile_checked(const DeviceState& state, const std::string& source,
                          const std::vector<std::string>& options, std::string* image,
                          std::string* log) {
  const NvrtcApi* nvrtc = require_nvrtc();
  if (nvrtc == nullptr) return DC_STATUS_UNAVAILABLE;
  const int capability = state.compute_major * 10 + state.compute_minor;
  std::vector<std::string> arguments;
  std::string architecture = requested_architecture(options);
  if (architecture.empty()) {
    const std::vector<int>& known = nvrtc->architectures;
    if (known.empty() || std::find(known.begin(), known.end(), capability) != known.end()) {
      architecture = "sm_" + std::to_string(capability);
    } else if (capability > known.back()) {
      architecture = "compute_" + std::to_string(known.back());
    } else {
      return fail(DC_STATUS_UNSUPPORTED,
                  "NVRTC %d.%d (%s) compiles for sm_%d to sm_%d, but %s is sm_%d; install an "
                  "NVRTC that supports it (DOTCOMPUTE_NVRTC names the file)",
                  nvrtc->major, nvrtc->minor, nvrtc->path.c_str(), known.front(), known.back(),
                  state.name.c_str(), capability);
    }
    arguments.push_back("--gpu-architecture=" + architecture);
  }
  // CUBIN needs nvrtcGetCUBIN (NVRTC 11.1+); otherwise PTX of the same architecture.
  const bool cubin = architecture.compare(0, 3, "sm_") == 0 && nvrtc->nvrtcGetCUBIN != nullptr &&
                     nvrtc->nvrtcGetCUBINSize != nullptr;
  if (!cubin && architecture.compare(0, 3, "sm_") == 0 && arguments.size() == 1) {
    arguments.back() = "--gpu-architecture=compute_" + architecture.substr(3);
  }
  arguments.insert(arguments.end(), options.begin(), options.end());
  std::vector<const char*> pointers;
  for (const std::string& argument : arguments) pointers.push_back(argument.c_str());

  nvrtcProgram program = nullptr;
  nvrtcResult result = nvrtc->nvrtcCreateProgram(&program, source.c_str(), "dotcompute_kernel.cu",
                                                 0, nullptr, nullptr);
  if (result != NVRTC_SUCCESS) {
    return fail(result == NVRTC_ERROR_OUT_OF_MEMORY ? DC_STATUS_OUT_OF_MEMORY : DC_STATUS_INTERNAL,
                "nvrtcCreateProgram failed: %s", nvrtc->nvrtcGetErrorString(result));
  }
  result = nvrtc->nvrtcCompileProgram(program, static_cast<int>(pointers.size()), pointers.data());
  *log = program_log(*nvrtc, program);
  if (result != NVRTC_SUCCESS) {
    std::string joined;
    for (const std::string& argument : arguments) joined += " " + argument;
    nvrtc->nvrtcDestroyProgram(&program);
    return fail(DC_STATUS_COMPILATION_FAILED,
                "NVRTC %d.%d could not compile the kernel (%s; options:%s):\n%s", nvrtc->major,
                nvrtc->minor, nvrtc->nvrtcGetErrorString(result), joined.c_str(), log->c_str());
  }
  size_t size = 0;
  result =
      cubin ? nvrtc->nvrtcGetCUBINSize(program, &size) : nvrtc->nvrtcGetPTXSize(program, &size);
  if (result == NVRTC_SUCCESS) {
    image->assign(size, '\0');
    result = cubin ? nvrtc->nvrtcGetCUBIN(program, &(*image)[0])
                   : nvrtc->nvrtcGetPTX(program, &(*image)[0]);
  }
  nvrtc->nvrtcDestroyProgram(&program);
  if (result != NVRTC_SUCCESS) {
    return fail(DC_STATUS_INTERNAL, "NVRTC could not return the compiled %s: %s",
                cubin ? "CUBIN" : "PTX", nvrtc->nvrtcGetErrorString(result));
  }
  return DC_STATUS_OK;
}

char* copy_to_blob(const std::string& text) {
  char* blob = static_cast<char*>(std::malloc(text.size() + 1));
  if (blob != nullptr) std::memcpy(blob, text.c_str(), text.size() + 1);
  return blob;
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
  if (dc_status status = activate(device, &state)) return status;
  try {
    std::string image, log;
    const dc_status status = compile_source(*state, source, split_options(options), &image, &log);
    if (out_log != nullptr && !log.empty()) *out_log = copy_to_blob(log);
    if (status != DC_STATUS_OK) return status;
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

dc_status load(int32_t device, const void* image, uint64_t image_size, dc_module* out_module) {
  if (out_module == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "load: out_module is NULL");
  *out_module = nullptr;
  if (image == nullptr || image_size == 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "load: the image (CUBIN, PTX or fatbin) is empty");
  }
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  const auto* bytes = static_cast<const unsigned char*>(image);
  const bool elf = image_size >= 4 && std::memcmp(bytes,
                                                  "\x7f"
                                                  "ELF",
                                                  4) == 0;
  const bool fatbin = image_size >= 4 && bytes[0] == 0x50 && bytes[1] == 0xed && bytes[2] == 0x55 &&
                      bytes[3] == 0xba;
  CUmodule handle = nullptr;
  CUresult result;
  const RelaxedCaptureScope relaxed;  // Note [Allocation during a capture]
  if (elf || fatbin || bytes[image_size - 1] == '\0') {
    result = driver().cuModuleLoadData(&handle, image);
  } else {
    // PTX is text that the driver reads up to its NUL; add one when the image lacks it.
    try {
      const std::string text(static_cast<const char*>(image), static_cast<size_t>(image_size));
      result = driver().cuModuleLoadData(&handle, text.c_str());
    } catch (const std::exception& error) {
      return fail(DC_STATUS_OUT_OF_MEMORY, "load: %s", error.what());
    }
  }
  if (result == CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
    const int version = driver().driver_version;
    return fail(DC_STATUS_UNSUPPORTED,
                "cuModuleLoadData failed: the PTX is newer than this driver (CUDA %d.%d) can "
                "JIT; use an NVRTC no newer than the driver (DOTCOMPUTE_NVRTC) or update the "
                "driver",
                version / 1000, version % 1000 / 10);
  }
  if (dc_status status = check(result, "cuModuleLoadData")) return status;
  auto* module = new (std::nothrow) CudaModule{kModuleTag, device, handle, {}, {}};
  if (module == nullptr) {
    driver().cuModuleUnload(handle);
    return fail(DC_STATUS_OUT_OF_MEMORY, "load: out of host memory");
  }
  *out_module = reinterpret_cast<dc_module>(module);
  return DC_STATUS_OK;
}

dc_status check_module(const DeviceState& state, dc_module module, const char* what) {
  if (module == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: module is NULL", what);
  const auto* header = reinterpret_cast<const CudaModule*>(module);
  if (header->tag != kModuleTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: not a live cuda module (unloaded already?)", what);
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the module is loaded on cuda:%d, not cuda:%d",
                what, static_cast<int>(header->device), static_cast<int>(state.index));
  }
  return DC_STATUS_OK;
}

dc_status unload(int32_t device, dc_module module) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_module(*state, module, "unload")) return status;
  auto* header = reinterpret_cast<CudaModule*>(module);
  const dc_status status = check(driver().cuModuleUnload(header->module), "cuModuleUnload");
  for (CudaKernel* kernel : header->kernels) {
    kernel->tag = kDestroyedTag;
    delete kernel;
  }
  header->tag = kDestroyedTag;
  delete header;
  return status;
}

dc_status get_kernel(int32_t device, dc_module module, const char* name, dc_kernel* out_kernel) {
  if (out_kernel == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_kernel is NULL");
  *out_kernel = nullptr;
  if (name == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "get_kernel: name is NULL");
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_module(*state, module, "get_kernel")) return status;
  auto* header = reinterpret_cast<CudaModule*>(module);
  std::lock_guard<std::mutex> lock(header->mutex);
  for (CudaKernel* kernel : header->kernels) {
    if (kernel->name == name) {
      *out_kernel = reinterpret_cast<dc_kernel>(kernel);
      return DC_STATUS_OK;
    }
  }
  CUfunction function = nullptr;
  const CUresult result = driver().cuModuleGetFunction(&function, header->module, name);
  if (result == CUDA_ERROR_NOT_FOUND) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "the module has no kernel named '%s' (declare it extern \"C\" __global__)", name);
  }
  if (dc_status status = check(result, "cuModuleGetFunction")) return status;
  try {
    auto* kernel = new CudaKernel{kKernelTag, function, name, {0}, query_param_layout(function)};
    header->kernels.push_back(kernel);
    *out_kernel = reinterpret_cast<dc_kernel>(kernel);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "get_kernel: %s", error.what());
  }
  return DC_STATUS_OK;
}

/// Block size per Note [Launch arguments]; fails for a group the device cannot run.
dc_status choose_block(const DeviceState& state, const dc_launch_config& config,
                       unsigned int block[3], unsigned int grid[3]) {
  static const uint64_t defaults[3][3] = {{256, 1, 1}, {16, 16, 1}, {8, 8, 4}};
  const uint32_t dimensions = config.dimensions;
  const bool chosen =
      config.local_size[0] == 0 && config.local_size[1] == 0 && config.local_size[2] == 0;
  uint64_t threads = 1;
  for (uint32_t d = 0; d < 3; ++d) {
    const uint64_t global = d < dimensions ? config.global_size[d] : 1;
    uint64_t local = d < dimensions ? config.local_size[d] : 1;
    if (chosen) local = std::max<uint64_t>(1, std::min(defaults[dimensions - 1][d], global));
    if (local == 0) {
      return fail(DC_STATUS_INVALID_ARGUMENT, "launch: local_size is 0 in dimension %u", d);
    }
    if (local > static_cast<uint64_t>(state.max_block_dim[d])) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "launch: local_size %llu in dimension %u exceeds the device's %d",
                  static_cast<unsigned long long>(local), d, state.max_block_dim[d]);
    }
    const uint64_t groups = (global + local - 1) / local;
    if (groups > static_cast<uint64_t>(state.max_grid_dim[d])) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "launch: %llu groups in dimension %u exceed the device's grid limit %d; use a "
                  "larger local_size",
                  static_cast<unsigned long long>(groups), d, state.max_grid_dim[d]);
    }
    threads *= local;
    block[d] = static_cast<unsigned int>(local);
    grid[d] = static_cast<unsigned int>(groups);
  }
  if (threads > static_cast<uint64_t>(state.max_threads_per_block)) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "launch: %llu work-items per group exceed the device's %d",
                static_cast<unsigned long long>(threads), state.max_threads_per_block);
  }
  return DC_STATUS_OK;
}

dc_status set_shared_limit(const DeviceState& state, CudaKernel& kernel, uint32_t bytes) {
  if (bytes <= kDefaultDynamicSharedLimit || bytes <= kernel.shared_limit.load()) {
    return DC_STATUS_OK;
  }
  if (bytes > static_cast<uint32_t>(state.max_shared_per_block_optin)) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "launch of %s: %u bytes of shared memory per group exceed the device's %d",
                kernel.name.c_str(), bytes, state.max_shared_per_block_optin);
  }
  if (dc_status status = check(driver().cuFuncSetAttribute(
                                   kernel.function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                   static_cast<int>(bytes)),
                               "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)")) {
    return status;
  }
  kernel.shared_limit.store(bytes);
  return DC_STATUS_OK;
}

/// The kernelParams form of a launch, for argument lists the packed form cannot lay out (Note
/// [Packed launch arguments]).
dc_status launch_unpacked(const DeviceState& state, const CudaKernel& kernel,
                          const dc_launch_config& config, const dc_kernel_arg* args,
                          uint32_t arg_count, CUstream queue, const unsigned int block[3],
                          const unsigned int grid[3]) {
  std::vector<void*> parameters(arg_count);
  std::vector<CUdeviceptr> addresses(arg_count);
  for (uint32_t i = 0; i < arg_count; ++i) {
    if (args[i].kind == DC_ARG_BUFFER) {
      if (dc_status status =
              view_address(state, args[i].value.buffer, 0, "buffer", &addresses[i])) {
        return status;
      }
      parameters[i] = &addresses[i];
    } else {
      parameters[i] = const_cast<uint8_t*>(args[i].value.scalar);
    }
  }
  return check(driver().cuLaunchKernel(kernel.function, grid[0], grid[1], grid[2], block[0],
                                       block[1], block[2], config.shared_memory_bytes, queue,
                                       parameters.data(), nullptr),
               "cuLaunchKernel");
}

dc_status launch(int32_t device, dc_stream stream, dc_kernel kernel_handle,
                 const dc_launch_config* config, const dc_kernel_arg* args, uint32_t arg_count) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (kernel_handle == nullptr || reinterpret_cast<CudaKernel*>(kernel_handle)->tag != kKernelTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "launch: not a live cuda kernel");
  }
  CudaKernel& kernel = *reinterpret_cast<CudaKernel*>(kernel_handle);
  if (config == nullptr || config->dimensions < 1 || config->dimensions > 3) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "launch: the configuration needs 1 to 3 dimensions");
  }
  if (args == nullptr && arg_count > 0) return fail(DC_STATUS_INVALID_ARGUMENT, "args is NULL");
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  for (uint32_t d = 0; d < config->dimensions; ++d) {
    if (config->global_size[d] == 0) return DC_STATUS_OK;  // nothing to run
  }
  unsigned int block[3], grid[3];
  if (dc_status status = choose_block(*state, *config, block, grid)) return status;
  if (dc_status status = set_shared_limit(*state, kernel, config->shared_memory_bytes)) {
    return status;
  }

  // Note [Packed launch arguments]: lay the arguments out as the kernel's parameters.
  const bool known_layout = !kernel.params.empty() || arg_count == 0;
  if (known_layout && kernel.params.size() != arg_count) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "launch of %s: %u arguments for %zu parameters",
                kernel.name.c_str(), arg_count, kernel.params.size());
  }
  alignas(16) unsigned char packed[kPackedArgumentBytes];
  size_t packed_size = 0;
  for (uint32_t i = 0; i < arg_count; ++i) {
    const dc_kernel_arg& arg = args[i];
    CUdeviceptr address = 0;
    const void* bytes = nullptr;
    size_t size = 0;
    if (arg.kind == DC_ARG_BUFFER) {
      // The message names the kernel and argument only on failure: formatting it for every
      // argument of every launch would cost more than the rest of this loop.
      if (dc_status status = view_address(*state, arg.value.buffer, 0, "buffer", &address)) {
        char detail[256];
        std::snprintf(detail, sizeof(detail), "%s", last_error_text());
        return fail(status, "launch of %s, argument %u: %s", kernel.name.c_str(), i, detail);
      }
      bytes = &address;
      size = sizeof(address);
    } else if (arg.kind == DC_ARG_SCALAR && arg.size >= 1 && arg.size <= 16) {
      bytes = arg.value.scalar;
      size = arg.size;
    } else {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "launch of %s: argument %u is neither a buffer nor a scalar of 1 to 16 bytes",
                  kernel.name.c_str(), i);
    }
    size_t offset = 0;
    if (known_layout) {
      if (kernel.params[i].size != size) {
        return fail(DC_STATUS_INVALID_ARGUMENT,
                    "launch of %s: argument %u has %zu bytes, the kernel's parameter %u",
                    kernel.name.c_str(), i, size, kernel.params[i].size);
      }
      offset = kernel.params[i].offset;
    } else {
      if (size > 8 || (size & (size - 1)) != 0)
        return launch_unpacked(*state, kernel, *config, args, arg_count, queue, block, grid);
      offset = (packed_size + size - 1) / size * size;
    }
    if (offset + size > sizeof(packed)) {
      return launch_unpacked(*state, kernel, *config, args, arg_count, queue, block, grid);
    }
    std::memcpy(packed + offset, bytes, size);
    if (offset + size > packed_size) packed_size = offset + size;
  }
  void* extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, packed, CU_LAUNCH_PARAM_BUFFER_SIZE,
                   &packed_size, CU_LAUNCH_PARAM_END};
  return check(driver().cuLaunchKernel(kernel.function, grid[0], grid[1], grid[2], block[0],
                                       block[1], block[2], config->shared_memory_bytes, queue,
                                       nullptr, arg_count > 0 ? extra : nullptr),
               "cuLaunchKernel");
}

}  // namespace

dc_status compile_source(const DeviceState& state, const std::string& source,
                         const std::vector<std::string>& options, std::string* image,
                         std::string* log) noexcept {
  try {
    return compile_checked(state, source, options, image, log);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "compile: %s", error.what());
  }
}

const dc_module_iface module_iface = {
    sizeof(dc_module_iface), compile, free_blob, load, unload, get_kernel, launch,
};

}  // namespace dotcompute::cuda
