// cpp/core/errors.cpp
// Mapping of plugin status codes to the core's error kinds and names.
#include "dotcompute/errors.hpp"

namespace dotcompute {

ErrorKind error_kind_for_status(dc_status status) noexcept {
  switch (status) {
    case DC_STATUS_INVALID_ARGUMENT:
      return ErrorKind::InvalidArgument;
    case DC_STATUS_OUT_OF_MEMORY:
      return ErrorKind::OutOfMemory;
    case DC_STATUS_UNSUPPORTED:
      return ErrorKind::Unsupported;
    case DC_STATUS_UNAVAILABLE:
      return ErrorKind::BackendUnavailable;
    case DC_STATUS_COMPILATION_FAILED:
      return ErrorKind::Compilation;
    case DC_STATUS_LAUNCH_FAILED:
      return ErrorKind::Launch;
    case DC_STATUS_DEVICE_LOST:
      return ErrorKind::Device;
    default:
      return ErrorKind::Generic;
  }
}

const char* status_name(dc_status status) noexcept {
  switch (status) {
    case DC_STATUS_OK:
      return "ok";
    case DC_STATUS_INVALID_ARGUMENT:
      return "invalid argument";
    case DC_STATUS_OUT_OF_MEMORY:
      return "out of memory";
    case DC_STATUS_UNSUPPORTED:
      return "unsupported";
    case DC_STATUS_UNAVAILABLE:
      return "unavailable";
    case DC_STATUS_COMPILATION_FAILED:
      return "compilation failed";
    case DC_STATUS_LAUNCH_FAILED:
      return "launch failed";
    case DC_STATUS_DEVICE_LOST:
      return "device lost";
    case DC_STATUS_INTERNAL:
      return "internal error";
    default:
      return "unknown status";
  }
}

}  // namespace dotcompute
