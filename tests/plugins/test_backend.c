/* tests/plugins/test_backend.c
 * A minimal but working backend ("testbackend") for the registry tests; compile definitions turn
 * it into each broken variant the tests need (see tests/plugins/CMakeLists.txt). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotcompute/backend_abi.h"

#ifndef TEST_BACKEND_VERSION
#define TEST_BACKEND_VERSION "1"
#endif
#ifndef TEST_BACKEND_ABI_MAJOR
#define TEST_BACKEND_ABI_MAJOR DC_ABI_MAJOR
#endif

/* One device of host memory: a buffer is a malloc'd block with its size in front (16 bytes of
 * header keep data as aligned as malloc's result). */
typedef struct test_buffer {
  uint64_t bytes;
  uint64_t padding;
  unsigned char data[];
} test_buffer;

static _Thread_local char last_error_text[256] = "no error";
static int initialized = 0;

static dc_status fail(dc_status status, const char* message) {
  snprintf(last_error_text, sizeof(last_error_text), "%s", message);
  return status;
}

static int bad_device(int32_t device) { return device != 0 || !initialized; }

static unsigned char* view_pointer(dc_buffer_view view, uint64_t bytes) {
  test_buffer* buffer = (test_buffer*)view.buffer;
  if (buffer == NULL || view.offset + bytes > buffer->bytes) return NULL;
  return buffer->data + view.offset;
}

/* ---- device ---- */

static dc_status device_count(int32_t* out_count) {
  *out_count = 1;
  return DC_STATUS_OK;
}

static dc_status device_info(int32_t device, dc_device_info* out_info) {
  if (bad_device(device)) return fail(DC_STATUS_INVALID_ARGUMENT, "no such device");
  out_info->compute_units = 1;
  out_info->memory_total = 1u << 30;
  out_info->memory_alignment = 16;
  out_info->host_visible = 1;
  out_info->max_work_group_size = 1;
  snprintf(out_info->name, sizeof(out_info->name), "test device v%s", TEST_BACKEND_VERSION);
  snprintf(out_info->vendor, sizeof(out_info->vendor), "dotcompute tests");
  return DC_STATUS_OK;
}

static dc_status device_capabilities(int32_t device, char* buffer, size_t capacity,
                                     size_t* out_required) {
  static const char json[] = "{\"version\": \"" TEST_BACKEND_VERSION "\"}";
  if (bad_device(device)) return fail(DC_STATUS_INVALID_ARGUMENT, "no such device");
  *out_required = sizeof(json);
  if (buffer != NULL && capacity > 0) {
    snprintf(buffer, capacity, "%s", json);
  }
  return DC_STATUS_OK;
}

static dc_status device_synchronize(int32_t device) {
  return bad_device(device) ? fail(DC_STATUS_INVALID_ARGUMENT, "no such device") : DC_STATUS_OK;
}

static const dc_device_iface device_table = {sizeof(dc_device_iface), device_count, device_info,
                                             device_capabilities, device_synchronize};

/* ---- memory ---- */

static dc_status memory_allocate(int32_t device, uint64_t bytes, dc_buffer* out_buffer) {
  if (bad_device(device)) return fail(DC_STATUS_INVALID_ARGUMENT, "no such device");
  test_buffer* buffer = (test_buffer*)malloc(sizeof(test_buffer) + (bytes ? bytes : 1));
  if (buffer == NULL) return fail(DC_STATUS_OUT_OF_MEMORY, "malloc failed");
  buffer->bytes = bytes;
  *out_buffer = (dc_buffer)buffer;
  return DC_STATUS_OK;
}

static dc_status memory_release(int32_t device, dc_buffer buffer) {
  if (bad_device(device)) return fail(DC_STATUS_INVALID_ARGUMENT, "no such device");
  free(buffer);
  return DC_STATUS_OK;
}

static void* memory_host_pointer(int32_t device, dc_buffer buffer) {
  (void)device;
  return buffer != NULL ? ((test_buffer*)buffer)->data : NULL;
}

static dc_status memory_copy_from_host(int32_t device, dc_stream stream, dc_buffer_view destination,
                                       const void* source, uint64_t bytes) {
  unsigned char* target = view_pointer(destination, bytes);
  (void)stream;
  if (bad_device(device) || target == NULL) return fail(DC_STATUS_INVALID_ARGUMENT, "bad view");
  memcpy(target, source, bytes);
  return DC_STATUS_OK;
}

static dc_status memory_copy_to_host(int32_t device, dc_stream stream, void* destination,
                                     dc_buffer_view source, uint64_t bytes) {
  const unsigned char* origin = view_pointer(source, bytes);
  (void)stream;
  if (bad_device(device) || origin == NULL) return fail(DC_STATUS_INVALID_ARGUMENT, "bad view");
  memcpy(destination, origin, bytes);
  return DC_STATUS_OK;
}

static dc_status memory_copy(int32_t device, dc_stream stream, dc_buffer_view destination,
                             dc_buffer_view source, uint64_t bytes) {
  unsigned char* target = view_pointer(destination, bytes);
  const unsigned char* origin = view_pointer(source, bytes);
  (void)stream;
  if (bad_device(device) || target == NULL || origin == NULL) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "bad view");
  }
  memmove(target, origin, bytes);
  return DC_STATUS_OK;
}

static dc_status memory_fill(int32_t device, dc_stream stream, dc_buffer_view destination,
                             const void* pattern, uint32_t pattern_size, uint64_t bytes) {
  unsigned char* target = view_pointer(destination, bytes);
  uint64_t i;
  (void)stream;
  if (bad_device(device) || target == NULL || pattern_size == 0 || bytes % pattern_size != 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "bad fill");
  }
  for (i = 0; i < bytes; i += pattern_size) memcpy(target + i, pattern, pattern_size);
  return DC_STATUS_OK;
}

static const dc_memory_iface memory_table = {
    sizeof(dc_memory_iface),
    memory_allocate,
    memory_release,
    memory_host_pointer,
    memory_copy_from_host,
    memory_copy_to_host,
    memory_copy,
    memory_fill,
    NULL, /* wrap_host */
    NULL  /* unwrap_host */
};

/* ---- streams and events: work runs synchronously, so they only need to exist ---- */

static dc_status handle_create(int32_t device, void** out_handle) {
  if (bad_device(device)) return fail(DC_STATUS_INVALID_ARGUMENT, "no such device");
  *out_handle = malloc(1);
  return *out_handle != NULL ? DC_STATUS_OK : fail(DC_STATUS_OUT_OF_MEMORY, "malloc failed");
}

static dc_status stream_create(int32_t device, dc_stream* out_stream) {
  return handle_create(device, (void**)out_stream);
}
static dc_status stream_destroy(int32_t device, dc_stream stream) {
  (void)device;
  free(stream);
  return DC_STATUS_OK;
}
static dc_status stream_synchronize(int32_t device, dc_stream stream) {
  (void)stream;
  return device_synchronize(device);
}
static dc_status event_create(int32_t device, dc_event* out_event) {
  return handle_create(device, (void**)out_event);
}
static dc_status event_destroy(int32_t device, dc_event event) {
  (void)device;
  free(event);
  return DC_STATUS_OK;
}
static dc_status event_record(int32_t device, dc_event event, dc_stream stream) {
  (void)event;
  (void)stream;
  return device_synchronize(device);
}
static dc_status event_wait(int32_t device, dc_stream stream, dc_event event) {
  (void)event;
  (void)stream;
  return device_synchronize(device);
}
static dc_status event_synchronize(int32_t device, dc_event event) {
  (void)event;
  return device_synchronize(device);
}

static const dc_stream_iface stream_table = {
    sizeof(dc_stream_iface),
    stream_create,
    stream_destroy,
    stream_synchronize,
    event_create,
    event_destroy,
    event_record,
    event_wait,
    event_synchronize,
    NULL /* event_elapsed_ms */
};

/* ---- ops: float32 add only, enough for the health check ---- */

static dc_status ops_binary(int32_t device, dc_stream stream, dc_binary_op op, dc_dtype dtype,
                            dc_buffer_view a, dc_buffer_view b, dc_buffer_view out,
                            uint64_t count) {
  const float* left = (const float*)view_pointer(a, count * sizeof(float));
  const float* right = (const float*)view_pointer(b, count * sizeof(float));
  float* result = (float*)view_pointer(out, count * sizeof(float));
  uint64_t i;
  (void)stream;
  if (op != DC_BINARY_ADD || dtype != DC_DTYPE_FLOAT32) {
    return fail(DC_STATUS_UNSUPPORTED, "testbackend only adds float32");
  }
  if (bad_device(device) || !left || !right || !result) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "bad view");
  }
  for (i = 0; i < count; ++i) result[i] = left[i] + right[i];
  return DC_STATUS_OK;
}

static dc_status ops_axpy(int32_t device, dc_stream stream, dc_dtype dtype, const void* alpha,
                          dc_buffer_view x, dc_buffer_view y, dc_buffer_view out, uint64_t count) {
  (void)device, (void)stream, (void)dtype, (void)alpha, (void)x, (void)y, (void)out, (void)count;
  return fail(DC_STATUS_UNSUPPORTED, "testbackend has no axpy");
}

static dc_status ops_reduce(int32_t device, dc_stream stream, dc_reduce_op op, dc_dtype dtype,
                            dc_buffer_view input, uint64_t count, dc_buffer_view out) {
  (void)device, (void)stream, (void)op, (void)dtype, (void)input, (void)count, (void)out;
  return fail(DC_STATUS_UNSUPPORTED, "testbackend has no reductions");
}

static const dc_ops_iface ops_table = {sizeof(dc_ops_iface), ops_binary, ops_axpy, ops_reduce};

/* ---- backend ---- */

#ifdef TEST_BACKEND_PROBE_FAILS
static dc_status backend_probe(char* reason, size_t reason_capacity) {
  snprintf(reason, reason_capacity, "test probe: no such device");
  return DC_STATUS_UNAVAILABLE;
}
#else
#define backend_probe NULL
#endif

static dc_status backend_initialize(void) {
#if defined(TEST_BACKEND_CRASH_IN_INIT)
  /* A real invalid write (volatile keeps the compiler from removing it). */
  volatile int* nowhere = NULL;
  *nowhere = 1;
#elif defined(TEST_BACKEND_ABORT_IN_INIT)
  abort();
#endif
  initialized = 1;
  return DC_STATUS_OK;
}

static void backend_shutdown(void) { initialized = 0; }

static const char* backend_last_error(void) { return last_error_text; }

static const dc_backend_iface backend_table = {
    TEST_BACKEND_ABI_MAJOR,
    DC_ABI_MINOR,
    sizeof(dc_backend_iface),
    0,
    "testbackend",
    TEST_BACKEND_VERSION,
    "registry test backend (host memory)",
    backend_probe,
    backend_initialize,
    backend_shutdown,
    backend_last_error,
    &device_table,
    &memory_table,
    &stream_table,
    NULL, /* module */
    NULL, /* graph */
    &ops_table,
};

#ifdef TEST_BACKEND_NO_ENTRY
/* Exported, but not under DC_PLUGIN_ENTRY_SYMBOL: the registry must say so. */
DC_PLUGIN_EXPORT const dc_backend_iface* dc_plugin_entry_misspelled(void) { return &backend_table; }
#else
DC_PLUGIN_EXPORT const dc_backend_iface* dc_plugin_entry(void) { return &backend_table; }
#endif
