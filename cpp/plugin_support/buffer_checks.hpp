// cpp/plugin_support/buffer_checks.hpp
// Argument checks of the memory calls that read the same on every device plugin.
#pragma once

#include <cstdint>

#include "dotcompute/backend_abi.h"

namespace dotcompute::plugin_support {

/// DC_STATUS_OK when `bytes` at `offset` lie inside a buffer of `buffer_bytes`; else the message
/// "<what>: N bytes at offset O exceed the buffer's B bytes" (via fail) and INVALID_ARGUMENT.
dc_status check_view_range(const char* what, uint64_t offset, uint64_t bytes,
                           uint64_t buffer_bytes) noexcept;

/// DC_STATUS_OK for a fill of `bytes` with a non-NULL pattern of 1, 2, 4, 8 or 16 bytes that
/// divides `bytes`; else a message naming the fault and INVALID_ARGUMENT.
dc_status check_fill_pattern(const void* pattern, uint32_t pattern_size, uint64_t bytes) noexcept;

}  // namespace dotcompute::plugin_support
