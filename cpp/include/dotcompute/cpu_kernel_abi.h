/* cpp/include/dotcompute/cpu_kernel_abi.h
 * The calling convention between the CPU plugin and kernels compiled from generated C.
 *
 * The core compiles generated C into a shared object and passes the CPU plugin, as the module
 * image of dc_module_iface.load, the NUL-terminated UTF-8 path of that file. The shared object
 * exports:
 *
 *   const uint32_t dc_cpu_kernel_abi_version;      equal to DC_CPU_KERNEL_ABI_VERSION
 *   void <kernel symbol>(const dc_cpu_launch* launch, void* const* args);   one per kernel
 *
 * A kernel function runs every work-item of the work-groups [group_begin, group_end) of the
 * launch, groups numbered with dimension 0 fastest. Work-items whose global id is outside
 * global_size (the last, partial groups) do not run. The plugin calls it from several threads at
 * once with disjoint group ranges, each with its own scratch memory.
 *
 * args[i] is, for an array argument, the array's data pointer itself (void*), followed by one
 * argument per dimension pointing at the int64_t extent; for a scalar argument, a pointer to its
 * value (the C type of its dtype). This mirrors dc_kernel_arg of backend_abi.h, where arrays are
 * DC_ARG_BUFFER views (resolved to host pointers by the plugin) and extents are int64 scalars.
 *
 * Generated sources declare this struct themselves (they include no dotcompute header, so they
 * compile fast and stand alone); the version constant guards the two copies.
 */
#ifndef DOTCOMPUTE_CPU_KERNEL_ABI_H
#define DOTCOMPUTE_CPU_KERNEL_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DC_CPU_KERNEL_ABI_VERSION 1u
#define DC_CPU_KERNEL_ABI_VERSION_SYMBOL "dc_cpu_kernel_abi_version"

typedef struct dc_cpu_launch {
  uint32_t dimensions; /* 1 to 3 */
  uint32_t reserved;
  uint64_t global_size[3]; /* 1 in unused dimensions */
  uint64_t local_size[3];
  uint64_t group_count[3]; /* ceil(global_size / local_size) per dimension */
  uint64_t group_begin;    /* first flattened group index to run */
  uint64_t group_end;      /* one past the last */
  void* scratch;           /* this thread's scratch: shared arrays and barrier state */
  uint64_t scratch_bytes;  /* at least dc_launch_config.shared_memory_bytes, 64-byte aligned */
} dc_cpu_launch;

typedef void (*dc_cpu_kernel_fn)(const dc_cpu_launch* launch, void* const* args);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DOTCOMPUTE_CPU_KERNEL_ABI_H */
