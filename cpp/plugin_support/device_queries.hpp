// cpp/plugin_support/device_queries.hpp
// Pieces of the device table's info and capabilities calls that read the same on every plugin.
#pragma once

#include <cstddef>
#include <string>

#include "dotcompute/backend_abi.h"

namespace dotcompute::plugin_support {

/// DC_STATUS_OK when out_info may be filled: not NULL, and its struct_size 0 or at least this
/// plugin's sizeof(dc_device_info); else a message (via fail) and INVALID_ARGUMENT.
dc_status check_device_info(const dc_device_info* out_info) noexcept;

/// The ABI's way to return a string: `*out_required` (when not NULL) gets length + 1, and
/// `buffer` (when not NULL and capacity > 0) the first capacity - 1 bytes, NUL-terminated.
void copy_string_out(const char* text, size_t length, char* buffer, size_t capacity,
                     size_t* out_required) noexcept;

/// `text` as a JSON string: quotes and backslashes escaped, control characters dropped (device
/// names and paths have none, so nothing is lost in practice).
std::string json_string(const std::string& text);

}  // namespace dotcompute::plugin_support
