// cpp/include/dotcompute/errors.hpp
// The core's C++ exception type; the bindings map each ErrorKind to a dotcompute.errors class.
#pragma once

#include <stdexcept>
#include <string>

#include "dotcompute/backend_abi.h"

namespace dotcompute {

/// One value per Python exception class in python/dotcompute/errors.py.
enum class ErrorKind {
  Generic,             ///< DotComputeError
  BackendUnavailable,  ///< BackendUnavailableError
  Plugin,              ///< PluginError
  Device,              ///< DeviceError: unknown or unloaded device
  InvalidArgument,     ///< InvalidArgumentError (also a ValueError)
  Shape,               ///< ShapeError
  DType,               ///< DTypeError (also a TypeError)
  OutOfMemory,         ///< OutOfMemoryError (also a MemoryError)
  Released,            ///< ReleasedArrayError: the array's memory was given back
  Unsupported,         ///< UnsupportedError
  Compilation,         ///< CompilationError
  Launch,              ///< LaunchError
  Pipeline,            ///< PipelineError
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

[[noreturn]] inline void raise(ErrorKind kind, const std::string& message) {
  throw Error(kind, message);
}

/// The ErrorKind a plugin status code maps to.
ErrorKind error_kind_for_status(dc_status status) noexcept;

/// Short name of a status code ("out of memory").
const char* status_name(dc_status status) noexcept;

}  // namespace dotcompute
