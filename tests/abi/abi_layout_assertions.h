/* tests/abi/abi_layout_assertions.h
 * Every offset, size and enum value of backend_abi.h on 64-bit targets, as DC_LAYOUT_ASSERT.
 *
 * Included by abi_layout.c (C11 _Static_assert) and abi_layout.cpp (C++ static_assert), which
 * define DC_LAYOUT_ASSERT first: compiling both is the test. When an assertion fails, the ABI
 * changed: appending a slot is a minor bump (add its assertion and update the struct size);
 * anything else is a major bump (see the rules at the top of backend_abi.h).
 */
#ifndef DOTCOMPUTE_TESTS_ABI_LAYOUT_ASSERTIONS_H
#define DOTCOMPUTE_TESTS_ABI_LAYOUT_ASSERTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "dotcompute/backend_abi.h"

#ifndef DC_LAYOUT_ASSERT
#error "define DC_LAYOUT_ASSERT(condition, message) before including this file"
#endif

#define DC_ASSERT_OFFSET(type, field, offset) \
  DC_LAYOUT_ASSERT(offsetof(type, field) == (offset), "offset of " #type "." #field " changed")
#define DC_ASSERT_SIZE(type, size) \
  DC_LAYOUT_ASSERT(sizeof(type) == (size), "size of " #type " changed")
#define DC_ASSERT_VALUE(name, value) DC_LAYOUT_ASSERT((name) == (value), #name " changed")

/* Versions: a new DC_ABI_MAJOR means every plugin must be rebuilt; update this on purpose. */
DC_ASSERT_VALUE(DC_ABI_MAJOR, 1);
DC_LAYOUT_ASSERT(DC_ABI_MINOR >= 0, "DC_ABI_MINOR only grows");

/* Scalar typedefs. */
DC_ASSERT_SIZE(dc_status, 4);
DC_ASSERT_SIZE(dc_dtype, 4);
DC_ASSERT_SIZE(dc_binary_op, 4);
DC_ASSERT_SIZE(dc_reduce_op, 4);

/* Status codes. */
DC_ASSERT_VALUE(DC_STATUS_OK, 0);
DC_ASSERT_VALUE(DC_STATUS_INVALID_ARGUMENT, 1);
DC_ASSERT_VALUE(DC_STATUS_OUT_OF_MEMORY, 2);
DC_ASSERT_VALUE(DC_STATUS_UNSUPPORTED, 3);
DC_ASSERT_VALUE(DC_STATUS_UNAVAILABLE, 4);
DC_ASSERT_VALUE(DC_STATUS_COMPILATION_FAILED, 5);
DC_ASSERT_VALUE(DC_STATUS_LAUNCH_FAILED, 6);
DC_ASSERT_VALUE(DC_STATUS_DEVICE_LOST, 7);
DC_ASSERT_VALUE(DC_STATUS_INTERNAL, 8);

/* Element types. */
DC_ASSERT_VALUE(DC_DTYPE_BOOL, 0);
DC_ASSERT_VALUE(DC_DTYPE_INT8, 1);
DC_ASSERT_VALUE(DC_DTYPE_INT16, 2);
DC_ASSERT_VALUE(DC_DTYPE_INT32, 3);
DC_ASSERT_VALUE(DC_DTYPE_INT64, 4);
DC_ASSERT_VALUE(DC_DTYPE_UINT8, 5);
DC_ASSERT_VALUE(DC_DTYPE_UINT16, 6);
DC_ASSERT_VALUE(DC_DTYPE_UINT32, 7);
DC_ASSERT_VALUE(DC_DTYPE_UINT64, 8);
DC_ASSERT_VALUE(DC_DTYPE_FLOAT16, 9);
DC_ASSERT_VALUE(DC_DTYPE_FLOAT32, 10);
DC_ASSERT_VALUE(DC_DTYPE_FLOAT64, 11);
DC_ASSERT_VALUE(DC_DTYPE_COMPLEX64, 12);
DC_ASSERT_VALUE(DC_DTYPE_COMPLEX128, 13);
DC_ASSERT_VALUE(DC_DTYPE_COUNT, 14);

/* Operations and argument kinds. */
DC_ASSERT_VALUE(DC_BINARY_ADD, 0);
DC_ASSERT_VALUE(DC_BINARY_SUBTRACT, 1);
DC_ASSERT_VALUE(DC_BINARY_MULTIPLY, 2);
DC_ASSERT_VALUE(DC_BINARY_DIVIDE, 3);
DC_ASSERT_VALUE(DC_BINARY_FLOOR_DIVIDE, 4);
DC_ASSERT_VALUE(DC_REDUCE_SUM, 0);
DC_ASSERT_VALUE(DC_REDUCE_MIN, 1);
DC_ASSERT_VALUE(DC_REDUCE_MAX, 2);
DC_ASSERT_VALUE(DC_ARG_BUFFER, 0);
DC_ASSERT_VALUE(DC_ARG_SCALAR, 1);

/* Struct layouts. The offsets hold for every 64-bit data model (LP64 and LLP64): the structs
 * use only fixed-width integers, pointers and size_t. */
#if UINTPTR_MAX == 0xffffffffffffffffu
DC_ASSERT_OFFSET(dc_buffer_view, buffer, 0);
DC_ASSERT_OFFSET(dc_buffer_view, offset, 8);
DC_ASSERT_SIZE(dc_buffer_view, 16);

DC_ASSERT_OFFSET(dc_device_info, struct_size, 0);
DC_ASSERT_OFFSET(dc_device_info, compute_units, 4);
DC_ASSERT_OFFSET(dc_device_info, memory_total, 8);
DC_ASSERT_OFFSET(dc_device_info, memory_alignment, 16);
DC_ASSERT_OFFSET(dc_device_info, host_visible, 24);
DC_ASSERT_OFFSET(dc_device_info, max_work_group_size, 28);
DC_ASSERT_OFFSET(dc_device_info, name, 32);
DC_ASSERT_OFFSET(dc_device_info, vendor, 288);
DC_ASSERT_SIZE(dc_device_info, 416);

DC_ASSERT_OFFSET(dc_kernel_arg, kind, 0);
DC_ASSERT_OFFSET(dc_kernel_arg, size, 4);
DC_ASSERT_OFFSET(dc_kernel_arg, value, 8);
DC_ASSERT_SIZE(dc_kernel_arg, 24);

DC_ASSERT_OFFSET(dc_launch_config, dimensions, 0);
DC_ASSERT_OFFSET(dc_launch_config, shared_memory_bytes, 4);
DC_ASSERT_OFFSET(dc_launch_config, global_size, 8);
DC_ASSERT_OFFSET(dc_launch_config, local_size, 32);
DC_ASSERT_SIZE(dc_launch_config, 56);

DC_ASSERT_OFFSET(dc_device_iface, struct_size, 0);
DC_ASSERT_OFFSET(dc_device_iface, count, 8);
DC_ASSERT_OFFSET(dc_device_iface, info, 16);
DC_ASSERT_OFFSET(dc_device_iface, capabilities, 24);
DC_ASSERT_OFFSET(dc_device_iface, synchronize, 32);
DC_ASSERT_SIZE(dc_device_iface, 40);

DC_ASSERT_OFFSET(dc_memory_iface, struct_size, 0);
DC_ASSERT_OFFSET(dc_memory_iface, allocate, 8);
DC_ASSERT_OFFSET(dc_memory_iface, release, 16);
DC_ASSERT_OFFSET(dc_memory_iface, host_pointer, 24);
DC_ASSERT_OFFSET(dc_memory_iface, copy_from_host, 32);
DC_ASSERT_OFFSET(dc_memory_iface, copy_to_host, 40);
DC_ASSERT_OFFSET(dc_memory_iface, copy, 48);
DC_ASSERT_OFFSET(dc_memory_iface, fill, 56);
DC_ASSERT_OFFSET(dc_memory_iface, wrap_host, 64);
DC_ASSERT_OFFSET(dc_memory_iface, unwrap_host, 72);
DC_ASSERT_OFFSET(dc_memory_iface, device_address, 80); /* ABI 1.1 */
DC_ASSERT_OFFSET(dc_memory_iface, wrap_device, 88);    /* ABI 1.2 */
DC_ASSERT_OFFSET(dc_memory_iface, unwrap_device, 96);  /* ABI 1.2 */
DC_ASSERT_OFFSET(dc_memory_iface, host_allocate, 104); /* ABI 1.2 */
DC_ASSERT_OFFSET(dc_memory_iface, host_release, 112);  /* ABI 1.2 */
DC_ASSERT_SIZE(dc_memory_iface, 120);

DC_ASSERT_OFFSET(dc_stream_iface, struct_size, 0);
DC_ASSERT_OFFSET(dc_stream_iface, create, 8);
DC_ASSERT_OFFSET(dc_stream_iface, destroy, 16);
DC_ASSERT_OFFSET(dc_stream_iface, synchronize, 24);
DC_ASSERT_OFFSET(dc_stream_iface, event_create, 32);
DC_ASSERT_OFFSET(dc_stream_iface, event_destroy, 40);
DC_ASSERT_OFFSET(dc_stream_iface, event_record, 48);
DC_ASSERT_OFFSET(dc_stream_iface, event_wait, 56);
DC_ASSERT_OFFSET(dc_stream_iface, event_synchronize, 64);
DC_ASSERT_OFFSET(dc_stream_iface, event_elapsed_ms, 72);
DC_ASSERT_OFFSET(dc_stream_iface, event_query, 80); /* ABI 1.2 */
DC_ASSERT_SIZE(dc_stream_iface, 88);

DC_ASSERT_OFFSET(dc_module_iface, struct_size, 0);
DC_ASSERT_OFFSET(dc_module_iface, compile, 8);
DC_ASSERT_OFFSET(dc_module_iface, free_blob, 16);
DC_ASSERT_OFFSET(dc_module_iface, load, 24);
DC_ASSERT_OFFSET(dc_module_iface, unload, 32);
DC_ASSERT_OFFSET(dc_module_iface, get_kernel, 40);
DC_ASSERT_OFFSET(dc_module_iface, launch, 48);
DC_ASSERT_SIZE(dc_module_iface, 56);

DC_ASSERT_OFFSET(dc_graph_iface, struct_size, 0);
DC_ASSERT_OFFSET(dc_graph_iface, begin_capture, 8);
DC_ASSERT_OFFSET(dc_graph_iface, end_capture, 16);
DC_ASSERT_OFFSET(dc_graph_iface, launch, 24);
DC_ASSERT_OFFSET(dc_graph_iface, destroy, 32);
DC_ASSERT_SIZE(dc_graph_iface, 40);

DC_ASSERT_OFFSET(dc_ops_iface, struct_size, 0);
DC_ASSERT_OFFSET(dc_ops_iface, binary, 8);
DC_ASSERT_OFFSET(dc_ops_iface, axpy, 16);
DC_ASSERT_OFFSET(dc_ops_iface, reduce, 24);
DC_ASSERT_OFFSET(dc_ops_iface, matmul, 32);      /* ABI 1.2 */
DC_ASSERT_OFFSET(dc_ops_iface, fft, 40);         /* ABI 1.2 */
DC_ASSERT_OFFSET(dc_ops_iface, reduce_axis, 48); /* ABI 1.2 */
DC_ASSERT_OFFSET(dc_ops_iface, cumsum, 56);      /* ABI 1.2 */
DC_ASSERT_OFFSET(dc_ops_iface, sort, 64);        /* ABI 1.2 */
DC_ASSERT_SIZE(dc_ops_iface, 72);

DC_ASSERT_OFFSET(dc_backend_iface, abi_major, 0);
DC_ASSERT_OFFSET(dc_backend_iface, abi_minor, 4);
DC_ASSERT_OFFSET(dc_backend_iface, struct_size, 8);
DC_ASSERT_OFFSET(dc_backend_iface, reserved, 12);
DC_ASSERT_OFFSET(dc_backend_iface, name, 16);
DC_ASSERT_OFFSET(dc_backend_iface, version, 24);
DC_ASSERT_OFFSET(dc_backend_iface, description, 32);
DC_ASSERT_OFFSET(dc_backend_iface, probe, 40);
DC_ASSERT_OFFSET(dc_backend_iface, initialize, 48);
DC_ASSERT_OFFSET(dc_backend_iface, shutdown, 56);
DC_ASSERT_OFFSET(dc_backend_iface, last_error, 64);
DC_ASSERT_OFFSET(dc_backend_iface, device, 72);
DC_ASSERT_OFFSET(dc_backend_iface, memory, 80);
DC_ASSERT_OFFSET(dc_backend_iface, stream, 88);
DC_ASSERT_OFFSET(dc_backend_iface, module, 96);
DC_ASSERT_OFFSET(dc_backend_iface, graph, 104);
DC_ASSERT_OFFSET(dc_backend_iface, ops, 112);
DC_ASSERT_SIZE(dc_backend_iface, 120);

DC_ASSERT_SIZE(((dc_device_info*)0)->name, 256);
DC_ASSERT_SIZE(((dc_device_info*)0)->vendor, 128);
DC_ASSERT_SIZE(((dc_kernel_arg*)0)->value, 16);
DC_ASSERT_SIZE(((dc_kernel_arg*)0)->value.scalar, 16);
#endif /* 64-bit */

#endif /* DOTCOMPUTE_TESTS_ABI_LAYOUT_ASSERTIONS_H */
