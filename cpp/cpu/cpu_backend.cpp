// cpp/cpu/cpu_backend.cpp
// The plugin's entry table: initialize/shutdown, the thread pool, and per-thread error messages.
#include <atomic>
#include <cstdio>
#include <new>

#include "cpu_backend.hpp"

namespace dotcompute::cpu {
namespace {

std::atomic<ThreadPool*> pool{nullptr};
size_t pool_threads = 1;
std::atomic<const KernelTable*> active_kernels{nullptr};
SimdLevel active_level = SimdLevel::Scalar;

dc_status probe(char* reason, size_t reason_capacity) {
  SimdLevel level, requested;
  const dc_status status = choose_simd_level(&level, &requested);
  if (status != DC_STATUS_OK && reason != nullptr && reason_capacity > 0) {
    std::snprintf(reason, reason_capacity, "%s", last_error_text());
  }
  return status;
}

dc_status initialize() {
  if (pool.load() != nullptr) return DC_STATUS_OK;  // already initialized
  SimdLevel level, requested;
  const dc_status status = choose_simd_level(&level, &requested);
  if (status != DC_STATUS_OK) return status;
  try {
    ThreadPool* created = new ThreadPool();
    pool_threads = created->thread_count();
    active_level = level;
    active_kernels.store(&kernel_table_for(level));
    pool.store(created);
  } catch (const std::bad_alloc&) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "cpu backend: out of memory while starting threads");
  } catch (const std::exception& error) {
    return fail(DC_STATUS_UNAVAILABLE, "cpu backend: could not start its worker threads: %s",
                error.what());
  }
  return DC_STATUS_OK;
}

void shutdown() {
  // Workers must be joined before dlclose unmaps the code they run.
  ThreadPool* stopping = pool.exchange(nullptr);
  if (stopping != nullptr) {
    stopping->shutdown();
    delete stopping;
  }
  pool_threads = 1;
  release_kernel_scratch();
}

const char* last_error() { return last_error_text(); }

}  // namespace

ThreadPool* thread_pool() noexcept { return pool.load(std::memory_order_acquire); }
size_t thread_count() noexcept { return pool_threads; }

const KernelTable& kernels() noexcept {
  const KernelTable* table = active_kernels.load(std::memory_order_acquire);
  return table != nullptr ? *table : kernel_table_scalar();
}

SimdLevel active_simd_level() noexcept { return active_level; }

namespace {

const dc_backend_iface backend_iface = {
    DC_ABI_MAJOR,
    DC_ABI_MINOR,
    sizeof(dc_backend_iface),
    0,
    "cpu",
    "0.1.0",
    "Host CPU: SIMD built-in ops (chosen at run time) and host-compiled kernels over a thread "
    "pool",
    probe,
    initialize,
    shutdown,
    last_error,
    &device_iface,
    &memory_iface,
    &stream_iface,
    &module_iface,
    nullptr,  // graph: work runs synchronously, so plain replay is all a graph could do
    &ops_iface,
};

}  // namespace
}  // namespace dotcompute::cpu

extern "C" DC_PLUGIN_EXPORT const dc_backend_iface* dc_plugin_entry(void) {
  return &dotcompute::cpu::backend_iface;
}
