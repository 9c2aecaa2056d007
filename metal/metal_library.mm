// metal/metal_library.mm
// The module table (Objective-C++): MSL compiled with newLibraryWithSource:options:error:,
// pipeline states per kernel (looked up in and added to the binary archive), launches encoded
// into the stream's command buffer.
//
// Note [Metal images]
// Metal has no API that turns a library compiled from source into bytes (metallib files come
// from the offline `metal` tool only), so compile returns an image that is the magic
// "DCMETAL1" followed by the MSL source, after compiling it once: a compiler error surfaces at
// compile with its log (dc.CompilationError), and the compiled MTLLibrary is kept for the load
// that follows, so a kernel is compiled once per process. The kernel cache stores the image
// (keyed with the capabilities' compiler_identity); what makes a later process fast is the
// binary archive (Note [Binary archive] in metal_discovery.mm): pipeline creation finds the
// GPU binary there and skips the backend compiler, though the MSL front end still runs.
//
// Note [Compile options]
// Every library is compiled for the device's newest MSL (Note [MSL version]) with fast math
// off (MTLMathModeSafe from macOS 15, fastMathEnabled = NO before): Metal's default fast math
// would flush denormals and reassociate, and results must match numpy's within the suite's
// tolerances. The options string of the compile slot may add preprocessor macros
// (-DNAME or -DNAME=VALUE, space separated); nothing else is accepted.
#import <Foundation/Foundation.h>
#import <Metal/Metal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>

#include "metal_backend.hpp"
#include "metal_launch.hpp"

namespace dotcompute::metal {
namespace {

constexpr uint64_t kModuleTag = 0x64632d6d746c6d2dULL;  // "dc-mtlm-"
constexpr uint64_t kKernelTag = 0x64632d6d746c6b2dULL;  // "dc-mtlk-"
constexpr uint64_t kDestroyedTag = 0x64632d6d746c7879ULL;
constexpr char kImageMagic[8] = {'D', 'C', 'M', 'E', 'T', 'A', 'L', '1'};
/// Metal's buffer argument table has 31 entries; the argument struct takes one.
constexpr uint32_t kMaxBufferArguments = 30;
/// setBytes:length:atIndex: takes at most 4 KB; larger argument structs go in a buffer.
constexpr size_t kMaxInlineBytes = 4096;

struct MetalKernel {
  uint64_t tag;
  std::string name;
  void* pipeline;      ///< id<MTLComputePipelineState>, retained
  uint64_t max_total;  ///< maxTotalThreadsPerThreadgroup
};

struct MetalModule {
  uint64_t tag;
  int32_t device;
  void* library;     ///< id<MTLLibrary>, retained
  std::mutex mutex;  // guards kernels
  std::vector<MetalKernel*> kernels;
};

std::string describe(NSError* error) {
  if (error == nil) return "";
  NSString* text = error.localizedDescription;
  return text.UTF8String != nullptr ? text.UTF8String : "";
}

char* copy_to_blob(const std::string& text) {
  char* blob = static_cast<char*>(std::malloc(text.size() + 1));
  if (blob != nullptr) std::memcpy(blob, text.c_str(), text.size() + 1);
  return blob;
}

/// The compile options of Note [Compile options]; message on a bad option.
dc_status compile_options(const DeviceState& state, const std::string& text,
                          MTLCompileOptions** out) {
  MTLCompileOptions* options = [[MTLCompileOptions alloc] init];
  options.languageVersion = static_cast<MTLLanguageVersion>(state.language_version);
#if defined(__MAC_15_0) && __MAC_OS_X_VERSION_MAX_ALLOWED >= __MAC_15_0
  if (@available(macOS 15.0, *)) {
    options.mathMode = MTLMathModeSafe;
  } else
#endif
  {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
    options.fastMathEnabled = NO;
#pragma clang diagnostic pop
  }
  NSMutableDictionary<NSString*, NSObject*>* macros = [NSMutableDictionary dictionary];
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    if (word.size() < 3 || word.compare(0, 2, "-D") != 0) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "compile: the metal backend accepts only -DNAME[=VALUE] options, got '%s'",
                  word.c_str());
    }
    const size_t equals = word.find('=');
    const std::string name = word.substr(2, equals == std::string::npos ? equals : equals - 2);
    const std::string value = equals == std::string::npos ? "1" : word.substr(equals + 1);
    macros[[NSString stringWithUTF8String:name.c_str()]] =
        [NSString stringWithUTF8String:value.c_str()];
  }
  if (macros.count > 0) options.preprocessorMacros = macros;
  *out = options;
  return DC_STATUS_OK;
}

/// Compiles MSL for the device; on failure the message is set and *log holds the compiler's.
dc_status compile_library(const DeviceState& state, const std::string& source,
                          const std::string& option_text, id<MTLLibrary>* out, std::string* log) {
  *out = nil;
  MTLCompileOptions* options = nil;
  if (dc_status status = compile_options(state, option_text, &options)) return status;
  id<MTLDevice> device = (__bridge id<MTLDevice>)state.device;
  NSString* text = [[NSString alloc] initWithBytes:source.data()
                                            length:source.size()
                                          encoding:NSUTF8StringEncoding];
  if (text == nil) return fail(DC_STATUS_INVALID_ARGUMENT, "compile: the source is not UTF-8");
  NSError* error = nil;
  id<MTLLibrary> library = [device newLibraryWithSource:text options:options error:&error];
  *log = describe(error);  // warnings come with a library, errors without one
  if (library == nil) {
    return fail(DC_STATUS_COMPILATION_FAILED,
                "the Metal compiler of %s (MSL %s) rejected the library:\n%s", state.name.c_str(),
                state.msl_version.c_str(), log->c_str());
  }
  *out = library;
  return DC_STATUS_OK;
}

/// Keeps a compiled library for the load of the same source (Note [Metal images]).
void keep_library(DeviceState& state, const std::string& source, id<MTLLibrary> library) {
  std::lock_guard<std::mutex> lock(state.libraries_mutex);
  auto found = state.compiled_libraries.find(source);
  if (found != state.compiled_libraries.end()) CFBridgingRelease(found->second);
  state.compiled_libraries[source] = (__bridge_retained void*)library;
}

id<MTLLibrary> take_library(DeviceState& state, const std::string& source) {
  std::lock_guard<std::mutex> lock(state.libraries_mutex);
  auto found = state.compiled_libraries.find(source);
  if (found == state.compiled_libraries.end()) return nil;
  id<MTLLibrary> library = (__bridge_transfer id<MTLLibrary>)found->second;
  state.compiled_libraries.erase(found);
  return library;
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
  @autoreleasepool {
    try {
      const std::string text(source);
      id<MTLLibrary> library = nil;
      std::string log;
      const dc_status status =
          compile_library(*state, text, options != nullptr ? options : "", &library, &log);
      if (out_log != nullptr && !log.empty()) *out_log = copy_to_blob(log);
      if (status != DC_STATUS_OK) return status;
      keep_library(*state, text, library);
      void* blob = std::malloc(sizeof(kImageMagic) + text.size());
      if (blob == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "compile: out of host memory");
      std::memcpy(blob, kImageMagic, sizeof(kImageMagic));
      std::memcpy(static_cast<char*>(blob) + sizeof(kImageMagic), text.data(), text.size());
      *out_image = blob;
      *out_image_size = sizeof(kImageMagic) + text.size();
    } catch (const std::exception& error) {
      return fail(DC_STATUS_OUT_OF_MEMORY, "compile: %s", error.what());
    }
  }
  return DC_STATUS_OK;
}

void free_blob(void* blob) { std::free(blob); }

dc_status load(int32_t device, const void* image, uint64_t image_size, dc_module* out_module) {
  if (out_module == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "load: out_module is NULL");
  *out_module = nullptr;
  if (image == nullptr || image_size == 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "load: the image is empty");
  }
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  const auto* bytes = static_cast<const char*>(image);
  // An image from compile, or plain MSL source.
  const bool tagged = image_size >= sizeof(kImageMagic) &&
                      std::memcmp(bytes, kImageMagic, sizeof(kImageMagic)) == 0;
  const size_t skip = tagged ? sizeof(kImageMagic) : 0;
  @autoreleasepool {
    try {
      const std::string source(bytes + skip, static_cast<size_t>(image_size) - skip);
      id<MTLLibrary> library = take_library(*state, source);
      if (library == nil) {
        std::string log;
        if (dc_status status = compile_library(*state, source, "", &library, &log)) return status;
      }
      auto* module = new (std::nothrow) MetalModule{kModuleTag, device, nullptr, {}, {}};
      if (module == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "load: out of host memory");
      module->library = (__bridge_retained void*)library;
      *out_module = reinterpret_cast<dc_module>(module);
    } catch (const std::exception& error) {
      return fail(DC_STATUS_OUT_OF_MEMORY, "load: %s", error.what());
    }
  }
  return DC_STATUS_OK;
}

dc_status check_module(const DeviceState& state, dc_module module, const char* what) {
  if (module == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: module is NULL", what);
  const auto* header = reinterpret_cast<const MetalModule*>(module);
  if (header->tag != kModuleTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: not a live metal module (unloaded already?)",
                what);
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the module is loaded on metal:%d, not metal:%d",
                what, static_cast<int>(header->device), static_cast<int>(state.index));
  }
  return DC_STATUS_OK;
}

dc_status unload(int32_t device, dc_module module) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_module(*state, module, "unload")) return status;
  auto* header = reinterpret_cast<MetalModule*>(module);
  @autoreleasepool {
    for (MetalKernel* kernel : header->kernels) {
      CFBridgingRelease(kernel->pipeline);
      kernel->tag = kDestroyedTag;
      delete kernel;
    }
    CFBridgingRelease(header->library);
  }
  header->tag = kDestroyedTag;
  delete header;
  return DC_STATUS_OK;
}

/// A pipeline from the binary archive when it holds one, else compiled and added to it.
id<MTLComputePipelineState> make_pipeline(DeviceState& state, id<MTLFunction> function,
                                          NSError** error) {
  id<MTLDevice> device = (__bridge id<MTLDevice>)state.device;
  MTLComputePipelineDescriptor* descriptor = [[MTLComputePipelineDescriptor alloc] init];
  descriptor.computeFunction = function;
  if (@available(macOS 11.0, *)) {
    if (state.binary_archive != nullptr) {
      id<MTLBinaryArchive> archive = (__bridge id<MTLBinaryArchive>)state.binary_archive;
      descriptor.binaryArchives = @[ archive ];
      id<MTLComputePipelineState> cached =
          [device newComputePipelineStateWithDescriptor:descriptor
                                                options:MTLPipelineOptionFailOnBinaryArchiveMiss
                                             reflection:nil
                                                  error:nil];
      if (cached != nil) return cached;
      id<MTLComputePipelineState> made =
          [device newComputePipelineStateWithDescriptor:descriptor
                                                options:MTLPipelineOptionNone
                                             reflection:nil
                                                  error:error];
      if (made != nil && [archive addComputePipelineFunctionsWithDescriptor:descriptor error:nil]) {
        state.archive_changed = true;
      }
      return made;
    }
  }
  return [device newComputePipelineStateWithDescriptor:descriptor
                                               options:MTLPipelineOptionNone
                                            reflection:nil
                                                 error:error];
}

dc_status get_kernel(int32_t device, dc_module module, const char* name, dc_kernel* out_kernel) {
  if (out_kernel == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_kernel is NULL");
  *out_kernel = nullptr;
  if (name == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "get_kernel: name is NULL");
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_module(*state, module, "get_kernel")) return status;
  auto* header = reinterpret_cast<MetalModule*>(module);
  std::lock_guard<std::mutex> lock(header->mutex);
  for (MetalKernel* kernel : header->kernels) {  // pipeline states are made once per kernel
    if (kernel->name == name) {
      *out_kernel = reinterpret_cast<dc_kernel>(kernel);
      return DC_STATUS_OK;
    }
  }
  @autoreleasepool {
    id<MTLLibrary> library = (__bridge id<MTLLibrary>)header->library;
    id<MTLFunction> function = [library newFunctionWithName:@(name)];
    if (function == nil) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "the library has no kernel named '%s' (declare it kernel void %s(...))", name,
                  name);
    }
    NSError* error = nil;
    id<MTLComputePipelineState> pipeline = make_pipeline(*state, function, &error);
    if (pipeline == nil) {
      return fail(DC_STATUS_COMPILATION_FAILED, "metal:%d: no compute pipeline for %s: %s",
                  static_cast<int>(device), name, describe(error).c_str());
    }
    try {
      auto* kernel = new MetalKernel{kKernelTag, name, nullptr,
                                     static_cast<uint64_t>(pipeline.maxTotalThreadsPerThreadgroup)};
      kernel->pipeline = (__bridge_retained void*)pipeline;
      header->kernels.push_back(kernel);
      *out_kernel = reinterpret_cast<dc_kernel>(kernel);
    } catch (const std::exception& error_object) {
      return fail(DC_STATUS_OUT_OF_MEMORY, "get_kernel: %s", error_object.what());
    }
  }
  return DC_STATUS_OK;
}

/// The buffers of a launch, in argument order, checked before anything is encoded.
dc_status collect_buffers(DeviceState& state, const MetalKernel& kernel, const dc_kernel_arg* args,
                          uint32_t arg_count, std::vector<std::pair<void*, uint64_t>>* buffers) {
  for (uint32_t i = 0; i < arg_count; ++i) {
    if (args[i].kind != DC_ARG_BUFFER) continue;
    void* buffer = nullptr;
    uint64_t offset = 0;
    if (dc_status status = argument_buffer(state, args[i].value.buffer, &buffer, &offset)) {
      char detail[256];
      std::snprintf(detail, sizeof(detail), "%s", last_error_text());
      return fail(status, "launch of %s, argument %u: %s", kernel.name.c_str(), i, detail);
    }
    buffers->emplace_back(buffer, offset);
  }
  if (buffers->size() > kMaxBufferArguments) {
    return fail(DC_STATUS_UNSUPPORTED,
                "launch of %s: %zu array arguments; a Metal kernel takes at most %u",
                kernel.name.c_str(), buffers->size(), kMaxBufferArguments);
  }
  return DC_STATUS_OK;
}

dc_status launch(int32_t device, dc_stream stream, dc_kernel kernel_handle,
                 const dc_launch_config* config, const dc_kernel_arg* args, uint32_t arg_count) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (kernel_handle == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "launch: kernel is NULL");
  const MetalKernel& kernel = *reinterpret_cast<const MetalKernel*>(kernel_handle);
  if (kernel.tag != kKernelTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "launch: not a live metal kernel (module unloaded?)");
  }
  if (config == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "launch: config is NULL");
  if (arg_count > 0 && args == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "args is NULL");
  if (config->shared_memory_bytes != 0) {
    return fail(DC_STATUS_UNSUPPORTED,
                "launch of %s: dynamic threadgroup memory is not supported by the metal backend; "
                "declare threadgroup arrays in the kernel",
                kernel.name.c_str());
  }
  for (uint32_t d = 0; d < config->dimensions && d < 3; ++d) {
    if (config->global_size[d] == 0) return DC_STATUS_OK;  // nothing to run
  }
  Threadgroups groups;
  if (dc_status status = choose_threadgroups(kernel.name.c_str(), *config, kernel.max_total,
                                             state->max_threads_per_threadgroup, &groups)) {
    return status;
  }
  MetalStream* resolved = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
  try {
    std::vector<std::pair<void*, uint64_t>> buffers;
    if (dc_status status = collect_buffers(*state, kernel, args, arg_count, &buffers)) {
      return status;
    }
    std::vector<uint8_t> scalars;
    if (dc_status status = pack_scalar_arguments(kernel.name.c_str(), args, arg_count, &scalars)) {
      return status;
    }
    @autoreleasepool {
      id<MTLBuffer> large_arguments = nil;
      if (scalars.size() > kMaxInlineBytes) {
        id<MTLDevice> metal_device = (__bridge id<MTLDevice>)state->device;
        large_arguments = [metal_device newBufferWithBytes:scalars.data()
                                                    length:scalars.size()
                                                   options:MTLResourceStorageModeShared];
        if (large_arguments == nil) {
          return fail(DC_STATUS_OUT_OF_MEMORY, "launch: no buffer for the arguments");
        }
      }
      std::lock_guard<std::mutex> lock(resolved->mutex);
      id<MTLCommandBuffer> command_buffer =
          (__bridge id<MTLCommandBuffer>)open_command_buffer_locked(*resolved);
      if (command_buffer == nil) return fail(DC_STATUS_OUT_OF_MEMORY, "commandBuffer returned nil");
      id<MTLComputeCommandEncoder> encoder = [command_buffer computeCommandEncoder];
      if (encoder == nil) return fail(DC_STATUS_INTERNAL, "computeCommandEncoder returned nil");
      [encoder setComputePipelineState:(__bridge id<MTLComputePipelineState>)kernel.pipeline];
      NSUInteger index = 0;
      for (const auto& [buffer, offset] : buffers) {
        [encoder setBuffer:(__bridge id<MTLBuffer>)buffer
                    offset:static_cast<NSUInteger>(offset)
                   atIndex:index++];
      }
      if (large_arguments != nil) {
        [encoder setBuffer:large_arguments offset:0 atIndex:index];
      } else if (!scalars.empty()) {
        [encoder setBytes:scalars.data() length:scalars.size() atIndex:index];
      }
      [encoder dispatchThreadgroups:MTLSizeMake(static_cast<NSUInteger>(groups.count[0]),
                                                static_cast<NSUInteger>(groups.count[1]),
                                                static_cast<NSUInteger>(groups.count[2]))
              threadsPerThreadgroup:MTLSizeMake(static_cast<NSUInteger>(groups.size[0]),
                                                static_cast<NSUInteger>(groups.size[1]),
                                                static_cast<NSUInteger>(groups.size[2]))];
      [encoder endEncoding];
      count_command_locked(*resolved);
    }
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "launch of %s: %s", kernel.name.c_str(), error.what());
  }
  return DC_STATUS_OK;
}

}  // namespace

void release_libraries(DeviceState& state) noexcept {
  @autoreleasepool {
    std::lock_guard<std::mutex> lock(state.libraries_mutex);
    for (auto& entry : state.compiled_libraries) CFBridgingRelease(entry.second);
    state.compiled_libraries.clear();
  }
}

const dc_module_iface module_iface = {
    sizeof(dc_module_iface), compile, free_blob, load, unload, get_kernel, launch,
};

}  // namespace dotcompute::metal
