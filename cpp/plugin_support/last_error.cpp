// cpp/plugin_support/last_error.cpp
// The per-thread message buffer behind fail() and last_error_text().
#include "plugin_support/last_error.hpp"

#include <cstdarg>
#include <cstddef>
#include <cstdio>

// Each plugin chooses its buffer's size (CMake sets it on the plugin's target).
#ifndef DOTCOMPUTE_PLUGIN_ERROR_CAPACITY
#error "the plugin's target must define DOTCOMPUTE_PLUGIN_ERROR_CAPACITY (bytes of a message)"
#endif

namespace dotcompute::plugin_support {
namespace {

constexpr size_t kErrorCapacity = DOTCOMPUTE_PLUGIN_ERROR_CAPACITY;
/// A fixed buffer rather than std::string, so reporting an error never allocates.
thread_local char last_error_message[kErrorCapacity] = "no error";

}  // namespace

dc_status fail(dc_status status, const char* format, ...) noexcept {
  va_list arguments;
  va_start(arguments, format);
  std::vsnprintf(last_error_message, kErrorCapacity, format, arguments);
  va_end(arguments);
  return status;
}

const char* last_error_text() noexcept { return last_error_message; }

}  // namespace dotcompute::plugin_support
