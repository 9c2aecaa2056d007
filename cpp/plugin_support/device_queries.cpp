// cpp/plugin_support/device_queries.cpp
// dc_device_info checks, the string-out convention of capabilities, JSON string quoting.
#include "plugin_support/device_queries.hpp"

#include <cstring>

#include "plugin_support/last_error.hpp"

namespace dotcompute::plugin_support {

dc_status check_device_info(const dc_device_info* out_info) noexcept {
  if (out_info == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_info is NULL");
  // Only the fields the caller's struct has room for: an older core passes a shorter struct.
  const uint32_t caller_size = out_info->struct_size;
  if (caller_size != 0 && caller_size < sizeof(dc_device_info)) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "dc_device_info.struct_size %u is smaller than this plugin's %zu", caller_size,
                sizeof(dc_device_info));
  }
  return DC_STATUS_OK;
}

void copy_string_out(const char* text, size_t length, char* buffer, size_t capacity,
                     size_t* out_required) noexcept {
  const size_t required = length + 1;
  if (out_required != nullptr) *out_required = required;
  if (buffer != nullptr && capacity > 0) {
    const size_t copied = required < capacity ? required : capacity;
    std::memcpy(buffer, text, copied - 1);
    buffer[copied - 1] = '\0';
  }
}

std::string json_string(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) quoted += c;
  }
  return quoted + "\"";
}

}  // namespace dotcompute::plugin_support
