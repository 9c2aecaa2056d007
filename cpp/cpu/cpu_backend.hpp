// cpp/cpu/cpu_backend.hpp
// Shared state of the CPU plugin: error reporting, the thread pool, handle checks, the tables.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu_kernels.hpp"
#include "dotcompute/backend_abi.h"
#include "dotcompute/thread_pool.hpp"
#include "plugin_support/buffer_checks.hpp"
#include "plugin_support/device_queries.hpp"
#include "plugin_support/last_error.hpp"

namespace dotcompute::cpu {

/// Every buffer starts 64-byte aligned: a cache line, and a full AVX-512 vector.
constexpr uint64_t kMemoryAlignment = 64;
constexpr uint32_t kMaxWorkGroupSize = 1024;

// fail() keeps the calling thread's message (read by last_error); shared by every plugin.
using plugin_support::fail;
using plugin_support::last_error_text;

/// The thread pool of the plugin; nullptr before initialize and after shutdown (run inline).
ThreadPool* thread_pool() noexcept;
/// Threads parallel ops use, the caller included.
size_t thread_count() noexcept;

/// The kernels of the SIMD level chosen at initialize (scalar before it).
const KernelTable& kernels() noexcept;
SimdLevel active_simd_level() noexcept;

/// Reads DOTCOMPUTE_CPU_SIMD and the CPU: the level to use, clamped to what the CPU supports.
/// Fails (message set) when the variable names no level.
dc_status choose_simd_level(SimdLevel* out_level, SimdLevel* out_requested) noexcept;
/// The best level this CPU and this build support.
SimdLevel detected_simd_level() noexcept;
/// "avx512", "avx2", "sse4", "neon", "scalar".
const char* simd_level_name(SimdLevel level) noexcept;
/// The kernel table compiled for level (the scalar one if level was not built).
const KernelTable& kernel_table_for(SimdLevel level) noexcept;

/// Checks the device index (only device 0 exists); sets the error message when it is not.
dc_status check_device(int32_t device) noexcept;
/// Checks that stream is NULL (the default stream) or a live stream of this plugin.
dc_status check_stream(dc_stream stream) noexcept;

/// The resolved address of a buffer view with at least `bytes` bytes in range, or nullptr
/// (message set: `what` names the argument) for a bad handle or an out-of-range view.
uint8_t* view_address(dc_buffer_view view, uint64_t bytes, const char* what) noexcept;
/// Like view_address for `count` elements of `element_size` bytes (checks the product too).
uint8_t* view_elements(dc_buffer_view view, uint64_t count, size_t element_size,
                       const char* what) noexcept;

extern const dc_device_iface device_iface;
extern const dc_memory_iface memory_iface;
extern const dc_stream_iface stream_iface;
extern const dc_ops_iface ops_iface;
extern const dc_module_iface module_iface;

/// Frees the scratch blocks kept for kernel launches (cpu_modules.cpp); called at shutdown.
void release_kernel_scratch() noexcept;

}  // namespace dotcompute::cpu
