// cpp/plugin_support/buffer_checks.cpp
// Range and fill-pattern checks shared by the device plugins' memory calls.
#include "plugin_support/buffer_checks.hpp"

#include "plugin_support/last_error.hpp"

namespace dotcompute::plugin_support {

dc_status check_view_range(const char* what, uint64_t offset, uint64_t bytes,
                           uint64_t buffer_bytes) noexcept {
  // Written so that no sum can overflow: offset and bytes come from the caller unchecked.
  if (offset > buffer_bytes || bytes > buffer_bytes - offset) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "%s: %llu bytes at offset %llu exceed the buffer's %llu bytes", what,
                static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(offset),
                static_cast<unsigned long long>(buffer_bytes));
  }
  return DC_STATUS_OK;
}

dc_status check_fill_pattern(const void* pattern, uint32_t pattern_size, uint64_t bytes) noexcept {
  if (pattern_size != 1 && pattern_size != 2 && pattern_size != 4 && pattern_size != 8 &&
      pattern_size != 16) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "fill: pattern_size %u is not 1, 2, 4, 8 or 16",
                pattern_size);
  }
  if (bytes % pattern_size != 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "fill: %llu bytes is not a multiple of the %u-byte pattern",
                static_cast<unsigned long long>(bytes), pattern_size);
  }
  if (pattern == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "fill: pattern is NULL");
  return DC_STATUS_OK;
}

}  // namespace dotcompute::plugin_support
