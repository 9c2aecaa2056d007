// cpp/cpu/cpu_modules.cpp
// The module table: host-compiled kernel shared objects loaded with dlopen, run over the pool.
//
// Policy. A module is a shared object built by the core from generated C (cpu_kernel_abi.h); the
// image handed to load is its NUL-terminated path. A launch maps every dc_kernel_arg to one void*
// slot (a buffer to its host address, a scalar to its bytes), then runs the flattened range of
// work-groups. Launches of fewer than kGrainItems work-items run inline on the calling thread
// with no pool involvement, which keeps a tiny launch at a few hundred nanoseconds; larger ones
// are split into chunks of whole groups claimed dynamically by the pool's threads, so uneven
// work (a Mandelbrot row) still keeps every core busy. Each chunk gets scratch memory
// (shared arrays, barrier state) from a small lock-free cache of blocks, so after the first
// launch of a size no launch allocates.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#include <elf.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "cpu_backend.hpp"
#include "dotcompute/cpu_kernel_abi.h"

namespace dotcompute::cpu {
namespace {

/// Work-items a chunk should hold at least: below this, waking a worker costs more than the
/// work it would take over (about 10 µs of simple arithmetic on one core).
constexpr uint64_t kGrainItems = uint64_t{1} << 14;
/// Upper bound on chunks per thread, so very large launches do not claim chunks by the million.
constexpr uint64_t kMaxChunksPerThread = 64;
/// Argument slots kept on the stack; kernels with more arguments use the heap.
constexpr uint32_t kStackArgumentSlots = 32;
/// Scratch blocks kept for reuse (more than any realistic count of concurrent chunks).
constexpr int kScratchCacheSlots = 64;
constexpr uint64_t kScratchAlignment = 64;

struct CpuKernel {
  dc_cpu_kernel_fn function;
  std::string name;
};

struct CpuModule {
  void* library;
  std::string path;
  std::mutex mutex;  // guards kernels: two threads may look kernels up at once
  std::vector<CpuKernel*> kernels;
};

// ---------------------------------------------------------------------------------------------
// Scratch memory
// ---------------------------------------------------------------------------------------------

struct ScratchBlock {
  uint64_t capacity;
  void* data;
};

/// Note [Scratch cache]: blocks are parked in a fixed array of atomic slots. Taking one is an
/// exchange with nullptr and returning one a compare-exchange into an empty slot, so no slot can
/// hand the same block to two chunks and there is no ABA problem. A chunk takes a block for its
/// whole group range, so each running thread holds exactly one; blocks are freed at shutdown.
std::atomic<ScratchBlock*> scratch_cache[kScratchCacheSlots] = {};

void free_block(ScratchBlock* block) noexcept {
  std::free(block->data);
  delete block;
}

/// A block of at least bytes (a multiple of kScratchAlignment), or nullptr when out of memory.
ScratchBlock* acquire_scratch(uint64_t bytes) noexcept {
  for (auto& slot : scratch_cache) {
    if (slot.load(std::memory_order_relaxed) == nullptr) continue;
    ScratchBlock* block = slot.exchange(nullptr, std::memory_order_acquire);
    if (block == nullptr) continue;
    if (block->capacity >= bytes) return block;
    free_block(block);  // too small for this launch; a bigger one replaces it
    break;
  }
  auto* block =
      new (std::nothrow) ScratchBlock{bytes, std::aligned_alloc(kScratchAlignment, bytes)};
  if (block == nullptr) return nullptr;
  if (block->data == nullptr) {
    delete block;
    return nullptr;
  }
  return block;
}

void release_scratch(ScratchBlock* block) noexcept {
  for (auto& slot : scratch_cache) {
    ScratchBlock* expected = nullptr;
    if (slot.compare_exchange_strong(expected, block, std::memory_order_release,
                                     std::memory_order_relaxed)) {
      return;
    }
  }
  free_block(block);
}

// ---------------------------------------------------------------------------------------------
// Launch geometry
// ---------------------------------------------------------------------------------------------

/// The local size when the caller leaves it to us: a long dimension-0 row (the innermost loop
/// of the generated code, so it vectorizes), then dimensions 1 and 2 fill the rest of the group.
void choose_local_size(const uint64_t global[3], uint64_t local[3]) {
  uint64_t remaining = kMaxWorkGroupSize;
  for (int d = 0; d < 3; ++d) {
    local[d] = std::max<uint64_t>(1, std::min(global[d], remaining));
    remaining /= local[d];
    if (remaining == 0) remaining = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Checking a file before dlopen
// ---------------------------------------------------------------------------------------------

/// Note [Damaged modules]: dlopen maps a shared object's segments as its headers describe them.
/// A truncated file (a copy cut short, a full disk) still has intact headers, so the loader maps
/// pages past the end of the file and the process dies of SIGBUS while relocating. The kernel
/// cache must survive such files (it deletes and rebuilds them), so before dlopen the headers are
/// checked against the file size; a file that fails is reported as damaged.
bool read_exact(int descriptor, void* buffer, size_t bytes, off_t offset) {
  uint8_t* position = static_cast<uint8_t*>(buffer);
  while (bytes > 0) {
    const ssize_t got = pread(descriptor, position, bytes, offset);
    if (got <= 0) return false;
    position += got;
    bytes -= static_cast<size_t>(got);
    offset += got;
  }
  return true;
}

/// DC_STATUS_OK when path looks like a complete shared object; else the message is set.
dc_status check_module_file(const char* path) {
  const int descriptor = open(path, O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "cannot load kernel module %s: %s", path,
                std::strerror(errno));
  }
  struct stat status{};
  dc_status result = DC_STATUS_OK;
  if (fstat(descriptor, &status) != 0 || status.st_size == 0) {
    result =
        fail(DC_STATUS_INVALID_ARGUMENT, "kernel module %s is damaged: the file is empty", path);
  }
#if defined(__linux__) && defined(__LP64__)
  const uint64_t size = static_cast<uint64_t>(status.st_size);
  Elf64_Ehdr header{};
  if (result == DC_STATUS_OK &&
      (!read_exact(descriptor, &header, sizeof(header), 0) ||
       std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
       header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_phentsize != sizeof(Elf64_Phdr))) {
    result = fail(DC_STATUS_INVALID_ARGUMENT,
                  "kernel module %s is damaged: it is not a 64-bit ELF shared object", path);
  }
  if (result == DC_STATUS_OK &&
      (header.e_phoff + uint64_t{header.e_phnum} * sizeof(Elf64_Phdr) > size ||
       header.e_shoff + uint64_t{header.e_shnum} * header.e_shentsize > size)) {
    result = fail(DC_STATUS_INVALID_ARGUMENT,
                  "kernel module %s is damaged: truncated to %llu bytes (its headers lie beyond)",
                  path, static_cast<unsigned long long>(size));
  }
  for (uint16_t i = 0; result == DC_STATUS_OK && i < header.e_phnum; ++i) {
    Elf64_Phdr segment{};
    if (!read_exact(descriptor, &segment, sizeof(segment),
                    static_cast<off_t>(header.e_phoff + i * sizeof(Elf64_Phdr)))) {
      result = fail(DC_STATUS_INVALID_ARGUMENT, "kernel module %s is damaged: unreadable", path);
    } else if (segment.p_type == PT_LOAD && segment.p_offset + segment.p_filesz > size) {
      result = fail(DC_STATUS_INVALID_ARGUMENT,
                    "kernel module %s is damaged: truncated to %llu bytes, but a segment ends at "
                    "byte %llu",
                    path, static_cast<unsigned long long>(size),
                    static_cast<unsigned long long>(segment.p_offset + segment.p_filesz));
    }
  }
#endif
  close(descriptor);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The table's slots
// ---------------------------------------------------------------------------------------------

dc_status load(int32_t device, const void* image, uint64_t image_size, dc_module* out_module) {
  if (dc_status status = check_device(device)) return status;
  if (out_module == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "load: out_module is NULL");
  *out_module = nullptr;
  if (image == nullptr || image_size == 0 ||
      std::memchr(image, '\0', static_cast<size_t>(image_size)) == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "load: the cpu backend takes as image the NUL-terminated path of a kernel "
                "shared object");
  }
  const char* path = static_cast<const char*>(image);
  if (dc_status status = check_module_file(path)) return status;
  dlerror();
  void* library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* reason = dlerror();
    return fail(DC_STATUS_INVALID_ARGUMENT, "cannot load kernel module %s: %s", path,
                reason != nullptr ? reason : "dlopen failed");
  }
  const auto* version =
      static_cast<const uint32_t*>(dlsym(library, DC_CPU_KERNEL_ABI_VERSION_SYMBOL));
  if (version == nullptr) {
    dlclose(library);
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "kernel module %s does not export %s: it was not built as a dotcompute CPU "
                "kernel module (or the file is damaged)",
                path, DC_CPU_KERNEL_ABI_VERSION_SYMBOL);
  }
  if (*version != DC_CPU_KERNEL_ABI_VERSION) {
    const unsigned found = *version;
    dlclose(library);
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "kernel module %s was built for CPU kernel ABI version %u, but this plugin runs "
                "version %u; rebuild it (python -m dotcompute cache clear)",
                path, found, DC_CPU_KERNEL_ABI_VERSION);
  }
  auto* module = new (std::nothrow) CpuModule{library, path, {}, {}};
  if (module == nullptr) {
    dlclose(library);
    return fail(DC_STATUS_OUT_OF_MEMORY, "load: out of memory");
  }
  *out_module = reinterpret_cast<dc_module>(module);
  return DC_STATUS_OK;
}

dc_status unload(int32_t device, dc_module handle) {
  if (dc_status status = check_device(device)) return status;
  if (handle == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "unload: module is NULL");
  auto* module = reinterpret_cast<CpuModule*>(handle);
  for (CpuKernel* kernel : module->kernels) delete kernel;
  dlclose(module->library);
  delete module;
  return DC_STATUS_OK;
}

dc_status get_kernel(int32_t device, dc_module handle, const char* name, dc_kernel* out_kernel) {
  if (dc_status status = check_device(device)) return status;
  if (handle == nullptr || name == nullptr || out_kernel == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "get_kernel: module, name and out_kernel must be set");
  }
  *out_kernel = nullptr;
  auto* module = reinterpret_cast<CpuModule*>(handle);
  dlerror();
  void* symbol = dlsym(module->library, name);
  if (symbol == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "kernel module %s has no kernel '%s' (no such symbol)",
                module->path.c_str(), name);
  }
  try {
    std::lock_guard<std::mutex> lock(module->mutex);
    // One CpuKernel per (module, name): looking a kernel up twice yields the same handle.
    for (CpuKernel* kernel : module->kernels) {
      if (kernel->name == name) {
        *out_kernel = reinterpret_cast<dc_kernel>(kernel);
        return DC_STATUS_OK;
      }
    }
    auto* kernel = new CpuKernel{reinterpret_cast<dc_cpu_kernel_fn>(symbol), name};
    module->kernels.push_back(kernel);
    *out_kernel = reinterpret_cast<dc_kernel>(kernel);
  } catch (const std::bad_alloc&) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "get_kernel: out of memory");
  }
  return DC_STATUS_OK;
}

/// Runs groups [begin, end) with a scratch block; false when scratch could not be allocated.
bool run_groups(dc_cpu_kernel_fn function, const dc_cpu_launch& geometry, void* const* slots,
                uint64_t begin, uint64_t end) noexcept {
  dc_cpu_launch launch = geometry;
  launch.group_begin = begin;
  launch.group_end = end;
  if (geometry.scratch_bytes == 0) {
    function(&launch, slots);
    return true;
  }
  ScratchBlock* block = acquire_scratch(geometry.scratch_bytes);
  if (block == nullptr) return false;
  launch.scratch = block->data;
  function(&launch, slots);
  release_scratch(block);
  return true;
}

dc_status launch(int32_t device, dc_stream stream, dc_kernel handle, const dc_launch_config* config,
                 const dc_kernel_arg* args, uint32_t arg_count) {
  if (device != 0) return check_device(device);
  if (stream != nullptr) {
    if (dc_status status = check_stream(stream)) return status;
  }
  if (handle == nullptr || config == nullptr || (args == nullptr && arg_count > 0)) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "launch: kernel, config and args must be set");
  }
  const auto* kernel = reinterpret_cast<const CpuKernel*>(handle);
  if (config->dimensions < 1 || config->dimensions > 3) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "launch: %u dimensions; kernels have 1 to 3",
                config->dimensions);
  }

  dc_cpu_launch geometry{};
  geometry.dimensions = config->dimensions;
  bool local_given = false;
  uint64_t items = 1;
  for (uint32_t d = 0; d < 3; ++d) {
    const bool used = d < config->dimensions;
    geometry.global_size[d] = used ? config->global_size[d] : 1;
    geometry.local_size[d] = used ? config->local_size[d] : 0;
    if (geometry.local_size[d] != 0) local_given = true;
    if (geometry.global_size[d] == 0) return DC_STATUS_OK;  // an empty index space: no work
    if (items > UINT64_MAX / geometry.global_size[d]) {
      return fail(DC_STATUS_INVALID_ARGUMENT, "launch: the global size overflows 64 bits");
    }
    items *= geometry.global_size[d];
  }
  if (!local_given) {
    choose_local_size(geometry.global_size, geometry.local_size);
  } else {
    uint64_t group_items = 1;
    for (uint32_t d = 0; d < 3; ++d) {
      if (d >= config->dimensions) geometry.local_size[d] = 1;
      if (geometry.local_size[d] == 0 || geometry.local_size[d] > kMaxWorkGroupSize) {
        return fail(DC_STATUS_INVALID_ARGUMENT,
                    "launch: local size %llu in dimension %u; each must be 1 to %u",
                    static_cast<unsigned long long>(geometry.local_size[d]), d, kMaxWorkGroupSize);
      }
      group_items *= geometry.local_size[d];
    }
    if (group_items > kMaxWorkGroupSize) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "launch: %llu work-items per group; the cpu device allows at most %u",
                  static_cast<unsigned long long>(group_items), kMaxWorkGroupSize);
    }
  }
  uint64_t groups = 1;
  for (int d = 0; d < 3; ++d) {
    geometry.group_count[d] =
        (geometry.global_size[d] + geometry.local_size[d] - 1) / geometry.local_size[d];
    groups *= geometry.group_count[d];
  }
  geometry.scratch_bytes = (uint64_t{config->shared_memory_bytes} + kScratchAlignment - 1) /
                           kScratchAlignment * kScratchAlignment;

  // One void* per dc_kernel_arg (cpu_kernel_abi.h): a buffer becomes its host address, a scalar
  // a pointer to its bytes, which stay valid because the launch is synchronous.
  void* stack_slots[kStackArgumentSlots];
  std::vector<void*> heap_slots;
  void** slots = stack_slots;
  if (arg_count > kStackArgumentSlots) {
    try {
      heap_slots.resize(arg_count);
    } catch (const std::bad_alloc&) {
      return fail(DC_STATUS_OUT_OF_MEMORY, "launch: out of memory");
    }
    slots = heap_slots.data();
  }
  for (uint32_t i = 0; i < arg_count; ++i) {
    const dc_kernel_arg& arg = args[i];
    if (arg.kind == DC_ARG_BUFFER) {
      uint8_t* address = view_address(arg.value.buffer, 0, "launch: buffer argument");
      if (address == nullptr) return DC_STATUS_INVALID_ARGUMENT;
      slots[i] = address;
    } else if (arg.kind == DC_ARG_SCALAR && arg.size >= 1 && arg.size <= 16) {
      slots[i] = const_cast<uint8_t*>(arg.value.scalar);
    } else {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "launch: argument %u has kind %u and size %u; expected a buffer, or a scalar "
                  "of 1 to 16 bytes",
                  i, arg.kind, arg.size);
    }
  }

  const dc_cpu_kernel_fn function = kernel->function;
  ThreadPool* pool = thread_pool();
  const uint64_t group_items =
      geometry.local_size[0] * geometry.local_size[1] * geometry.local_size[2];
  uint64_t grain = std::max<uint64_t>(1, (kGrainItems + group_items - 1) / group_items);
  if (pool == nullptr || groups <= grain) {
    if (!run_groups(function, geometry, slots, 0, groups)) {
      return fail(DC_STATUS_OUT_OF_MEMORY, "launch: cannot allocate %llu bytes of scratch",
                  static_cast<unsigned long long>(geometry.scratch_bytes));
    }
    return DC_STATUS_OK;
  }
  const uint64_t max_chunks = kMaxChunksPerThread * pool->thread_count();
  grain = std::max(grain, (groups + max_chunks - 1) / max_chunks);
  std::atomic<bool> out_of_memory{false};
  pool->parallel_for(groups, grain, [&](uint64_t begin, uint64_t end) {
    if (!run_groups(function, geometry, slots, begin, end)) {
      out_of_memory.store(true, std::memory_order_relaxed);
    }
  });
  if (out_of_memory.load()) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "launch: cannot allocate %llu bytes of scratch",
                static_cast<unsigned long long>(geometry.scratch_bytes));
  }
  return DC_STATUS_OK;
}

}  // namespace

void release_kernel_scratch() noexcept {
  for (auto& slot : scratch_cache) {
    if (ScratchBlock* block = slot.exchange(nullptr)) free_block(block);
  }
}

const dc_module_iface module_iface = {
    sizeof(dc_module_iface),
    nullptr,  // compile: the core drives the host C compiler for this backend
    nullptr,  // free_blob
    load,
    unload,
    get_kernel,
    launch,
};

}  // namespace dotcompute::cpu
