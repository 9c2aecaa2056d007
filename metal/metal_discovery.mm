// metal/metal_discovery.mm
// Device discovery (Objective-C++): MTLCopyAllDevices, the facts of each device, its default
// command queue and binary archive, and their release at shutdown.
//
// Note [MSL version]
// Kernels are compiled for the newest MSL the running macOS offers (MTLLanguageVersion3_1 on
// macOS 14 and later, 3_0 on macOS 13, 2_4 on macOS 12, 2_3 on macOS 11). Generated MSL picks
// features by __METAL_VERSION__ (atomic_float from 3.0), so it needs no other knowledge of
// the version; the version is part of the capabilities' compiler_identity, so a cached image
// never outlives an OS update that changes it.
//
// Note [Binary archive]
// Compiled pipelines are kept on disk in an MTLBinaryArchive per device (macOS 11 and later):
// <cache dir>/metal/pipelines-<registryID>.binarchive, where the cache dir follows the Python
// kernel cache (DOTCOMPUTE_CACHE_DIR, else $XDG_CACHE_HOME/dotcompute, else
// ~/.cache/dotcompute). Pipeline creation looks in the archive first and adds what it had to
// compile (metal_library.mm); the archive is serialized at shutdown when it changed. An archive
// that fails to load (another OS version, a damaged file) is replaced by an empty one.
#import <Foundation/Foundation.h>
#import <Metal/Metal.h>

#include <cstdio>
#include <cstdlib>

#include "metal_backend.hpp"

namespace dotcompute::metal {
namespace {

/// The newest MSL the running OS compiles (Note [MSL version]).
void choose_language(DeviceState& state) {
  if (@available(macOS 14.0, *)) {
    state.language_version = static_cast<uint32_t>(MTLLanguageVersion3_1);
    state.msl_version = "3.1";
  } else if (@available(macOS 13.0, *)) {
    state.language_version = static_cast<uint32_t>(MTLLanguageVersion3_0);
    state.msl_version = "3.0";
  } else if (@available(macOS 12.0, *)) {
    state.language_version = static_cast<uint32_t>(MTLLanguageVersion2_4);
    state.msl_version = "2.4";
  } else {
    state.language_version = static_cast<uint32_t>(MTLLanguageVersion2_3);
    state.msl_version = "2.3";
  }
}

void read_families(id<MTLDevice> device, DeviceState& state) {
  if ([device supportsFamily:MTLGPUFamilyMac2]) state.gpu_families.push_back("mac2");
  if ([device supportsFamily:MTLGPUFamilyApple6]) state.gpu_families.push_back("apple6");
  if (@available(macOS 11.0, *)) {
    if ([device supportsFamily:MTLGPUFamilyApple7]) state.gpu_families.push_back("apple7");
  }
  if (@available(macOS 13.0, *)) {
    if ([device supportsFamily:MTLGPUFamilyApple8]) state.gpu_families.push_back("apple8");
    if ([device supportsFamily:MTLGPUFamilyMetal3]) state.gpu_families.push_back("metal3");
  }
  if (@available(macOS 14.0, *)) {
    if ([device supportsFamily:MTLGPUFamilyApple9]) state.gpu_families.push_back("apple9");
  }
}

void read_facts(id<MTLDevice> device, DeviceState& state) {
  state.name = device.name.UTF8String != nullptr ? device.name.UTF8String : "Apple GPU";
  state.registry_id = device.registryID;
  state.recommended_working_set = device.recommendedMaxWorkingSetSize;
  state.max_buffer_length = device.maxBufferLength;
  state.threadgroup_memory = device.maxThreadgroupMemoryLength;
  const MTLSize threads = device.maxThreadsPerThreadgroup;
  state.max_threads_per_threadgroup[0] = static_cast<uint32_t>(threads.width);
  state.max_threads_per_threadgroup[1] = static_cast<uint32_t>(threads.height);
  state.max_threads_per_threadgroup[2] = static_cast<uint32_t>(threads.depth);
  state.unified_memory = device.hasUnifiedMemory;
  state.low_power = device.isLowPower;
  state.removable = device.isRemovable;
  NSString* os = [NSProcessInfo processInfo].operatingSystemVersionString;
  state.os_version = os.UTF8String != nullptr ? os.UTF8String : "unknown";
  read_families(device, state);
  choose_language(state);
}

/// The cache directory of Note [Binary archive].
std::string cache_directory() {
  if (const char* explicit_dir = std::getenv("DOTCOMPUTE_CACHE_DIR")) {
    if (explicit_dir[0] != '\0') return explicit_dir;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME")) {
    if (xdg[0] != '\0') return std::string(xdg) + "/dotcompute";
  }
  if (const char* home = std::getenv("HOME")) return std::string(home) + "/.cache/dotcompute";
  return "";
}

void open_binary_archive(id<MTLDevice> device, DeviceState& state) {
  if (@available(macOS 11.0, *)) {
    const std::string directory = cache_directory();
    if (directory.empty()) return;  // no place to keep it: pipelines are compiled each run
    NSString* folder = [NSString stringWithUTF8String:(directory + "/metal").c_str()];
    [[NSFileManager defaultManager] createDirectoryAtPath:folder
                              withIntermediateDirectories:YES
                                               attributes:nil
                                                    error:nil];
    state.binary_archive_path =
        directory + "/metal/pipelines-" + std::to_string(state.registry_id) + ".binarchive";
    NSString* path = [NSString stringWithUTF8String:state.binary_archive_path.c_str()];
    MTLBinaryArchiveDescriptor* descriptor = [[MTLBinaryArchiveDescriptor alloc] init];
    NSError* error = nil;
    id<MTLBinaryArchive> archive = nil;
    if ([[NSFileManager defaultManager] fileExistsAtPath:path]) {
      descriptor.url = [NSURL fileURLWithPath:path];
      archive = [device newBinaryArchiveWithDescriptor:descriptor error:&error];
      if (archive == nil) [[NSFileManager defaultManager] removeItemAtPath:path error:nil];
    }
    if (archive == nil) {  // none yet, or one this OS cannot read: start empty
      descriptor.url = nil;
      error = nil;
      archive = [device newBinaryArchiveWithDescriptor:descriptor error:&error];
    }
    if (archive != nil) state.binary_archive = (__bridge_retained void*)archive;
  }
}

}  // namespace

dc_status probe_devices(std::string* reason) noexcept {
  @autoreleasepool {
    NSArray<id<MTLDevice>>* all = MTLCopyAllDevices();
    if (all == nil || all.count == 0) {
      *reason = "no Metal device: MTLCopyAllDevices returned none (a virtual machine or a Mac "
                "without a Metal-capable GPU)";
      return DC_STATUS_UNAVAILABLE;
    }
    return DC_STATUS_OK;
  }
}

dc_status create_devices(std::vector<std::unique_ptr<DeviceState>>* out) noexcept {
  @autoreleasepool {
    try {
      NSArray<id<MTLDevice>>* all = MTLCopyAllDevices();
      if (all == nil || all.count == 0) {
        return fail(DC_STATUS_UNAVAILABLE, "metal backend: no Metal device (MTLCopyAllDevices)");
      }
      std::vector<std::unique_ptr<DeviceState>> created;
      for (NSUInteger index = 0; index < all.count; ++index) {
        id<MTLDevice> device = all[index];
        created.push_back(std::make_unique<DeviceState>());
        DeviceState& state = *created.back();
        state.index = static_cast<int32_t>(index);
        state.device = (__bridge_retained void*)device;
        read_facts(device, state);
        if (dc_status status = make_stream(state, &state.default_stream)) {
          for (auto& made : created) release_device(*made);
          return status;
        }
        open_binary_archive(device, state);
      }
      *out = std::move(created);
      return DC_STATUS_OK;
    } catch (const std::exception& error) {
      return fail(DC_STATUS_OUT_OF_MEMORY, "metal backend: %s while initializing", error.what());
    }
  }
}

void release_device(DeviceState& state) noexcept {
  @autoreleasepool {
    {
      std::lock_guard<std::mutex> lock(state.streams_mutex);
      for (MetalStream* stream : state.streams) destroy_stream(stream);
      state.streams.clear();
    }
    if (state.default_stream != nullptr) destroy_stream(state.default_stream);
    state.default_stream = nullptr;
    release_libraries(state);
    save_binary_archive(state);
    if (state.binary_archive != nullptr) CFBridgingRelease(state.binary_archive);
    state.binary_archive = nullptr;
    if (state.device != nullptr) CFBridgingRelease(state.device);
    state.device = nullptr;
  }
}

void save_binary_archive(DeviceState& state) noexcept {
  if (state.binary_archive == nullptr || !state.archive_changed.load()) return;
  if (@available(macOS 11.0, *)) {
    @autoreleasepool {
      id<MTLBinaryArchive> archive = (__bridge id<MTLBinaryArchive>)state.binary_archive;
      NSString* path = [NSString stringWithUTF8String:state.binary_archive_path.c_str()];
      // Written beside the entry and moved over it, so a reader never sees half a file.
      NSString* temporary =
          [path stringByAppendingFormat:@".tmp-%d", [NSProcessInfo processInfo].processIdentifier];
      NSError* error = nil;
      if ([archive serializeToURL:[NSURL fileURLWithPath:temporary] error:&error]) {
        std::rename(temporary.UTF8String, path.UTF8String);
      } else {
        [[NSFileManager defaultManager] removeItemAtPath:temporary error:nil];
      }
      state.archive_changed = false;
    }
  }
}

}  // namespace dotcompute::metal
