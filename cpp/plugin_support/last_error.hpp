// cpp/plugin_support/last_error.hpp
// The calling thread's last error message of a plugin, set printf-style by fail().
#pragma once

#include "dotcompute/backend_abi.h"

namespace dotcompute::plugin_support {

/// Keeps a printf-style message for the calling thread (read by last_error) and returns status.
/// The message is cut at the plugin's DOTCOMPUTE_PLUGIN_ERROR_CAPACITY bytes.
dc_status fail(dc_status status, const char* format, ...) noexcept
    __attribute__((format(printf, 2, 3)));

/// The calling thread's last message set by fail ("no error" before the first).
const char* last_error_text() noexcept;

}  // namespace dotcompute::plugin_support
