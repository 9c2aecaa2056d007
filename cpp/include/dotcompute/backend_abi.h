/* cpp/include/dotcompute/backend_abi.h
 * The C ABI between the dotcompute core and its backend plugins (CPU, CUDA, OpenCL, Metal, ...).
 *
 * Compatibility rules
 * -------------------
 * - The entry table starts with abi_major, abi_minor and struct_size, in that order, forever.
 * - Appending a slot at the end of any table is a MINOR bump (DC_ABI_MINOR + 1). Every table
 *   carries struct_size, so a core reads a slot only when the plugin's table is long enough to
 *   hold it, and an older plugin simply lacks the newer slots (they count as NULL).
 * - Anything else (removing, reordering or retyping a slot, changing an enum value or a struct
 *   layout) is a MAJOR bump. The core refuses a plugin whose abi_major differs from its own, and
 *   one whose abi_minor is newer than its own is accepted (the extra slots are ignored).
 * - tests/abi/abi_layout.c freezes every offset and size with static_assert: if it stops
 *   compiling, the change is a major bump or the assertion must be extended (minor bump).
 *
 * Conventions
 * -----------
 * - Plain C: no C++ types, no exceptions cross this boundary. Every fallible call returns a
 *   dc_status; on failure the plugin keeps a message for the calling thread, read with
 *   dc_backend_iface.last_error. Messages are English sentences a user can act on.
 * - Slots marked "(optional)" may be NULL; the core then supplies a fallback or reports the
 *   feature as unsupported. Every other slot must be set, or the core rejects the plugin.
 * - Devices are numbered 0..count-1 inside a plugin. Streams, events, buffers, modules, kernels
 *   and graphs are opaque handles owned by the plugin. A NULL stream is the device's default
 *   stream. Work on a stream runs in order; synchronize/copy_to_host are the sync points.
 * - Memory is addressed as (buffer, byte offset) views so the core's caching pool can carve
 *   blocks out of large segments.
 *
 * A plugin exports exactly one symbol:
 *
 *     DC_PLUGIN_EXPORT const dc_backend_iface* dc_plugin_entry(void) { return &my_backend; }
 *
 * The core then checks the versions, calls probe (if set), then initialize, and keeps the
 * plugin until it is unloaded; shutdown is called before dlclose.
 */
#ifndef DOTCOMPUTE_BACKEND_ABI_H
#define DOTCOMPUTE_BACKEND_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DC_ABI_MAJOR 1
#define DC_ABI_MINOR 2

/** Name of the single symbol every plugin exports. */
#define DC_PLUGIN_ENTRY_SYMBOL "dc_plugin_entry"

#if defined(_WIN32)
#define DC_PLUGIN_EXPORT __declspec(dllexport)
#else
#define DC_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------------
 * Status codes, data types, operations
 * ------------------------------------------------------------------------------------------- */

typedef int32_t dc_status;
enum {
  DC_STATUS_OK = 0,
  DC_STATUS_INVALID_ARGUMENT = 1,   /* bad handle, size, dtype or index */
  DC_STATUS_OUT_OF_MEMORY = 2,      /* the device could not allocate */
  DC_STATUS_UNSUPPORTED = 3,        /* the operation or dtype is not available on this backend */
  DC_STATUS_UNAVAILABLE = 4,        /* driver, library or device missing */
  DC_STATUS_COMPILATION_FAILED = 5, /* compile: the log is in the out_log argument */
  DC_STATUS_LAUNCH_FAILED = 6,      /* kernel launch or execution failed */
  DC_STATUS_DEVICE_LOST = 7,        /* the device stopped answering; its objects are gone */
  DC_STATUS_INTERNAL = 8            /* a bug in the plugin */
};

/** Element types; the values are part of the ABI. */
typedef int32_t dc_dtype;
enum {
  DC_DTYPE_BOOL = 0,
  DC_DTYPE_INT8 = 1,
  DC_DTYPE_INT16 = 2,
  DC_DTYPE_INT32 = 3,
  DC_DTYPE_INT64 = 4,
  DC_DTYPE_UINT8 = 5,
  DC_DTYPE_UINT16 = 6,
  DC_DTYPE_UINT32 = 7,
  DC_DTYPE_UINT64 = 8,
  DC_DTYPE_FLOAT16 = 9, /* IEEE binary16 */
  DC_DTYPE_FLOAT32 = 10,
  DC_DTYPE_FLOAT64 = 11,
  DC_DTYPE_COMPLEX64 = 12,  /* two float32: real, imaginary */
  DC_DTYPE_COMPLEX128 = 13, /* two float64 */
  DC_DTYPE_COUNT = 14
};

/** Elementwise binary operations of dc_ops_iface.binary. */
typedef int32_t dc_binary_op;
enum {
  DC_BINARY_ADD = 0,
  DC_BINARY_SUBTRACT = 1,
  DC_BINARY_MULTIPLY = 2,
  DC_BINARY_DIVIDE = 3,      /* floating and complex dtypes only */
  DC_BINARY_FLOOR_DIVIDE = 4 /* integer dtypes only; Python // semantics, x // 0 == 0 */
};

/** Reductions of dc_ops_iface.reduce. */
typedef int32_t dc_reduce_op;
enum { DC_REDUCE_SUM = 0, DC_REDUCE_MIN = 1, DC_REDUCE_MAX = 2 };

/* ---------------------------------------------------------------------------------------------
 * Opaque handles and small value types
 * ------------------------------------------------------------------------------------------- */

typedef struct dc_buffer_s* dc_buffer;
typedef struct dc_stream_s* dc_stream;
typedef struct dc_event_s* dc_event;
typedef struct dc_module_s* dc_module;
typedef struct dc_kernel_s* dc_kernel;
typedef struct dc_graph_s* dc_graph;

/** A byte position inside a buffer. */
typedef struct dc_buffer_view {
  dc_buffer buffer;
  uint64_t offset;
} dc_buffer_view;

/** Fixed facts about one device; free-form ones go through dc_device_iface.capabilities. */
typedef struct dc_device_info {
  uint32_t struct_size;         /* set by the core to sizeof(dc_device_info) before the call */
  uint32_t compute_units;       /* cores, SMs, compute units */
  uint64_t memory_total;        /* bytes */
  uint64_t memory_alignment;    /* bytes every buffer returned by allocate is aligned to */
  uint32_t host_visible;        /* 1 when memory.host_pointer gives CPU-usable pointers */
  uint32_t max_work_group_size; /* largest local size (product over dimensions) */
  char name[256];               /* "AMD EPYC 7B13", "NVIDIA H100 80GB HBM3" */
  char vendor[128];
} dc_device_info;

enum { DC_ARG_BUFFER = 0, DC_ARG_SCALAR = 1 };

/** One kernel argument: a buffer view or a scalar of up to 16 bytes (little-endian bits). */
typedef struct dc_kernel_arg {
  uint32_t kind; /* DC_ARG_BUFFER or DC_ARG_SCALAR */
  uint32_t size; /* bytes of the scalar; 0 for buffers */
  union {
    dc_buffer_view buffer;
    uint8_t scalar[16];
  } value;
} dc_kernel_arg;

/** Launch geometry: global and local sizes in work-items per dimension (1 to 3 used). */
typedef struct dc_launch_config {
  uint32_t dimensions;
  uint32_t shared_memory_bytes; /* dynamic shared/local memory per work-group */
  uint64_t global_size[3];
  uint64_t local_size[3]; /* 0 in every dimension: the backend chooses */
} dc_launch_config;

/* ---------------------------------------------------------------------------------------------
 * Tables, one per layer
 * ------------------------------------------------------------------------------------------- */

/** Device layer. */
typedef struct dc_device_iface {
  uint32_t struct_size;
  dc_status (*count)(int32_t* out_count);
  dc_status (*info)(int32_t device, dc_device_info* out_info);
  /** A JSON object with free-form facts ({"simd": "avx2", "threads": 2}). Writes at most
   *  capacity bytes including the NUL; *out_required gets the full size including the NUL. */
  dc_status (*capabilities)(int32_t device, char* buffer, size_t capacity, size_t* out_required);
  /** Waits for all work on every stream of the device. */
  dc_status (*synchronize)(int32_t device);
} dc_device_iface;

/** Memory layer: raw allocation (the core pools on top of it) and transfers. */
typedef struct dc_memory_iface {
  uint32_t struct_size;
  dc_status (*allocate)(int32_t device, uint64_t bytes, dc_buffer* out_buffer);
  dc_status (*release)(int32_t device, dc_buffer buffer);
  /** The CPU address of the buffer's first byte, or NULL where memory is not host visible. */
  void* (*host_pointer)(int32_t device, dc_buffer buffer);
  dc_status (*copy_from_host)(int32_t device, dc_stream stream, dc_buffer_view destination,
                              const void* source, uint64_t bytes);
  dc_status (*copy_to_host)(int32_t device, dc_stream stream, void* destination,
                            dc_buffer_view source, uint64_t bytes);
  dc_status (*copy)(int32_t device, dc_stream stream, dc_buffer_view destination,
                    dc_buffer_view source, uint64_t bytes);
  /** Repeats a pattern of 1, 2, 4, 8 or 16 bytes over bytes (a multiple of pattern_size). */
  dc_status (*fill)(int32_t device, dc_stream stream, dc_buffer_view destination,
                    const void* pattern, uint32_t pattern_size, uint64_t bytes);
  /** (optional) Wraps caller-owned host memory as a buffer without copying. */
  dc_status (*wrap_host)(int32_t device, void* pointer, uint64_t bytes, dc_buffer* out_buffer);
  /** (optional, set with wrap_host) Forgets a wrapped buffer; the memory stays the caller's. */
  dc_status (*unwrap_host)(int32_t device, dc_buffer buffer);
  /** (optional, ABI 1.1) The device address of the buffer's first byte (a CUdeviceptr on CUDA),
   *  or 0 when the backend has none. Used for __cuda_array_interface__ and DLPack. */
  uint64_t (*device_address)(int32_t device, dc_buffer buffer);
  /** (optional, ABI 1.2) Wraps device memory that another library owns (a CUdeviceptr from CuPy
   *  or PyTorch) as a buffer without copying. The memory must stay alive while wrapped. */
  dc_status (*wrap_device)(int32_t device, uint64_t address, uint64_t bytes, dc_buffer* out_buffer);
  /** (optional, ABI 1.2, set with wrap_device) Forgets a wrapped device buffer; the memory stays
   *  its owner's. */
  dc_status (*unwrap_device)(int32_t device, dc_buffer buffer);
  /** (optional, ABI 1.2) Page-locked host memory that the device reaches by DMA, for fast
   *  transfers; the core pools it. */
  dc_status (*host_allocate)(int32_t device, uint64_t bytes, void** out_pointer);
  /** (optional, ABI 1.2, set with host_allocate) Frees memory from host_allocate. */
  dc_status (*host_release)(int32_t device, void* pointer);
} dc_memory_iface;

/** Stream (queue) and event layer. */
typedef struct dc_stream_iface {
  uint32_t struct_size;
  dc_status (*create)(int32_t device, dc_stream* out_stream);
  dc_status (*destroy)(int32_t device, dc_stream stream);
  dc_status (*synchronize)(int32_t device, dc_stream stream);
  dc_status (*event_create)(int32_t device, dc_event* out_event);
  dc_status (*event_destroy)(int32_t device, dc_event event);
  dc_status (*event_record)(int32_t device, dc_event event, dc_stream stream);
  /** Makes later work on stream wait until event has completed. */
  dc_status (*event_wait)(int32_t device, dc_stream stream, dc_event event);
  dc_status (*event_synchronize)(int32_t device, dc_event event);
  /** (optional) Milliseconds between two recorded, completed events. */
  dc_status (*event_elapsed_ms)(int32_t device, dc_event start, dc_event end, float* out_ms);
  /** (optional, ABI 1.2) Without blocking: *out_done = 1 when all work before the recorded event
   *  has completed, else 0. */
  dc_status (*event_query)(int32_t device, dc_event event, int32_t* out_done);
} dc_stream_iface;

/** Module and kernel layer: device code in, launchable kernels out. */
typedef struct dc_module_iface {
  uint32_t struct_size;
  /** (optional) Compiles backend source to a loadable image (CUBIN, program binary, shared
   *  object). NULL when the core compiles for this backend. On DC_STATUS_COMPILATION_FAILED the
   *  compiler log is returned in *out_log. Free *out_image and *out_log with free_blob. */
  dc_status (*compile)(int32_t device, const char* source, const char* options, void** out_image,
                       uint64_t* out_image_size, char** out_log);
  /** (optional, set with compile) Frees memory returned by compile. */
  void (*free_blob)(void* blob);
  dc_status (*load)(int32_t device, const void* image, uint64_t image_size, dc_module* out_module);
  dc_status (*unload)(int32_t device, dc_module module);
  dc_status (*get_kernel)(int32_t device, dc_module module, const char* name,
                          dc_kernel* out_kernel);
  dc_status (*launch)(int32_t device, dc_stream stream, dc_kernel kernel,
                      const dc_launch_config* config, const dc_kernel_arg* args,
                      uint32_t arg_count);
} dc_module_iface;

/** (optional layer) Capture of the work submitted to a stream, replayed as one unit. */
typedef struct dc_graph_iface {
  uint32_t struct_size;
  dc_status (*begin_capture)(int32_t device, dc_stream stream);
  dc_status (*end_capture)(int32_t device, dc_stream stream, dc_graph* out_graph);
  dc_status (*launch)(int32_t device, dc_graph graph, dc_stream stream);
  dc_status (*destroy)(int32_t device, dc_graph graph);
} dc_graph_iface;

/** (optional layer) Built-in operations over contiguous elements.
 *  Result types: sum of bool and signed integers is int64, of unsigned integers uint64, of
 *  floating and complex types the input type (accumulated in at least float32 / pairwise so the
 *  result is accurate); min and max keep the input type. out holds one element. */
typedef struct dc_ops_iface {
  uint32_t struct_size;
  dc_status (*binary)(int32_t device, dc_stream stream, dc_binary_op op, dc_dtype dtype,
                      dc_buffer_view a, dc_buffer_view b, dc_buffer_view out, uint64_t count);
  /** out = alpha * x + y; alpha points at one element of dtype. */
  dc_status (*axpy)(int32_t device, dc_stream stream, dc_dtype dtype, const void* alpha,
                    dc_buffer_view x, dc_buffer_view y, dc_buffer_view out, uint64_t count);
  dc_status (*reduce)(int32_t device, dc_stream stream, dc_reduce_op op, dc_dtype dtype,
                      dc_buffer_view input, uint64_t count, dc_buffer_view out);

  /* Algorithms (all optional, ABI 1.2). Every operand is contiguous and row-major. A slot may
   * return DC_STATUS_UNSUPPORTED for a dtype or size it does not handle; the core then runs its
   * own generated kernels on the device, so a NULL slot or UNSUPPORTED is never a user error.
   * A plugin with a graph table may see these slots called on a stream it is capturing: a slot
   * then queues only work the graph can replay, keeping what that work needs (workspaces, plans)
   * until the graph is destroyed, or returns DC_STATUS_UNSUPPORTED. */

  /** out[i] = a[i] @ b[i] for i < batch; a is m x k, b is k x n, out is m x n. */
  dc_status (*matmul)(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view a,
                      dc_buffer_view b, dc_buffer_view out, uint64_t batch, uint64_t m, uint64_t n,
                      uint64_t k);
  /** Discrete Fourier transform of batch rows of n complex elements (complex64 or complex128).
   *  inverse = 0 matches numpy.fft.fft; inverse = 1 matches numpy.fft.ifft (scaled by 1/n). */
  dc_status (*fft)(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                   dc_buffer_view out, uint64_t batch, uint64_t n, int32_t inverse);
  /** Reduces the middle axis of input viewed as [outer, length, inner] into out [outer, inner];
   *  result dtypes as for reduce. */
  dc_status (*reduce_axis)(int32_t device, dc_stream stream, dc_reduce_op op, dc_dtype dtype,
                           dc_buffer_view input, uint64_t outer, uint64_t length, uint64_t inner,
                           dc_buffer_view out);
  /** Inclusive prefix sum of batch rows of count elements; out has the dtype reduce's sum gives. */
  dc_status (*cumsum)(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                      dc_buffer_view out, uint64_t batch, uint64_t count);
  /** Stable ascending sort of batch rows of count elements (NaN last, as numpy). Writes the sorted
   *  values to out_values and the int64 source positions to out_indices; either view may have a
   *  NULL buffer when not wanted. */
  dc_status (*sort)(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                    dc_buffer_view out_values, dc_buffer_view out_indices, uint64_t batch,
                    uint64_t count);
} dc_ops_iface;

/** The entry table a plugin returns from dc_plugin_entry. */
typedef struct dc_backend_iface {
  uint32_t abi_major;   /* DC_ABI_MAJOR the plugin was built with */
  uint32_t abi_minor;   /* DC_ABI_MINOR the plugin was built with */
  uint32_t struct_size; /* sizeof(dc_backend_iface) the plugin was built with */
  uint32_t reserved;    /* zero */
  const char* name;     /* backend name used in device specs: "cpu", "cuda", "opencl" */
  const char* version;  /* the plugin's own version, free text */
  const char* description;
  /** (optional) Whether the plugin can run here. On failure writes the reason ("libcuda.so.1
   *  not found") into reason (NUL-terminated, at most capacity bytes) and returns
   *  DC_STATUS_UNAVAILABLE. Called before initialize. */
  dc_status (*probe)(char* reason, size_t reason_capacity);
  dc_status (*initialize)(void);
  void (*shutdown)(void);
  /** The message of the calling thread's last failed call; never NULL. */
  const char* (*last_error)(void);
  const dc_device_iface* device;
  const dc_memory_iface* memory;
  const dc_stream_iface* stream;
  const dc_module_iface* module; /* (optional) NULL: the backend runs no user kernels */
  const dc_graph_iface* graph;   /* (optional) NULL: the core replays work op by op */
  const dc_ops_iface* ops;       /* (optional) NULL: built-ins raise UnsupportedError */
} dc_backend_iface;

/** Signature of the exported entry symbol. */
typedef const dc_backend_iface* (*dc_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DOTCOMPUTE_BACKEND_ABI_H */
