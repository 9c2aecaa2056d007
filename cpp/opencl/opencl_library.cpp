// cpp/opencl/opencl_library.cpp
// Opens the OpenCL ICD loader with dlopen and fills the OpenclApi struct.
//
// The ICD loader (libOpenCL.so.1) dispatches every call to the vendor driver (PoCL, NVIDIA,
// ROCm, Intel) that owns the object, so one set of entry points serves every platform. It stays
// loaded until the process exits: drivers keep threads and atexit handlers that must not
// outlive their code.
#include "opencl_library.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <vector>

namespace dotcompute::opencl {
namespace {

OpenclApi loaded_api;
const OpenclApi* loaded = nullptr;
std::string load_failure;

void load_once() {
  std::vector<std::string> candidates;
  if (const char* explicit_path = std::getenv("DOTCOMPUTE_OPENCL_LIBRARY")) {
    if (*explicit_path != '\0') candidates.push_back(explicit_path);
  }
  if (candidates.empty()) {
#if defined(__APPLE__)
    candidates = {"/System/Library/Frameworks/OpenCL.framework/OpenCL"};
#else
    candidates = {"libOpenCL.so.1", "libOpenCL.so"};
#endif
  }
  void* library = nullptr;
  std::string errors;
  for (const std::string& candidate : candidates) {
    dlerror();
    library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library != nullptr) {
      loaded_api.path = candidate;
      break;
    }
    const char* detail = dlerror();
    errors += (errors.empty() ? "" : "; ") + std::string(detail != nullptr ? detail : candidate);
  }
  if (library == nullptr) {
    load_failure =
        "no OpenCL ICD loader (" + candidates.front() +
        " not found; on Debian/Ubuntu: apt-get install ocl-icd-libopencl1 and a driver such as "
        "pocl-opencl-icd): " +
        errors;
    return;
  }
  std::string missing;
#define DOTCOMPUTE_OPENCL_RESOLVE(name)                                         \
  loaded_api.name = reinterpret_cast<name##_signature*>(dlsym(library, #name)); \
  if (loaded_api.name == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(#name);
  DOTCOMPUTE_OPENCL_ENTRIES(DOTCOMPUTE_OPENCL_RESOLVE)
#undef DOTCOMPUTE_OPENCL_RESOLVE
  if (!missing.empty()) {
    load_failure = loaded_api.path + " lacks OpenCL 1.2 entry points: " + missing +
                   "; install an OpenCL 1.2 (or newer) ICD loader";
    return;
  }
  loaded = &loaded_api;
}

const char* error_name(cl_int code) {
  switch (code) {
    case CL_DEVICE_NOT_FOUND:
      return "CL_DEVICE_NOT_FOUND";
    case CL_DEVICE_NOT_AVAILABLE:
      return "CL_DEVICE_NOT_AVAILABLE";
    case CL_COMPILER_NOT_AVAILABLE:
      return "CL_COMPILER_NOT_AVAILABLE";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
      return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case CL_OUT_OF_RESOURCES:
      return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY:
      return "CL_OUT_OF_HOST_MEMORY";
    case CL_MEM_COPY_OVERLAP:
      return "CL_MEM_COPY_OVERLAP";
    case CL_BUILD_PROGRAM_FAILURE:
      return "CL_BUILD_PROGRAM_FAILURE";
    case CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST:
      return "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST";
    case CL_INVALID_VALUE:
      return "CL_INVALID_VALUE";
    case CL_INVALID_DEVICE:
      return "CL_INVALID_DEVICE";
    case CL_INVALID_MEM_OBJECT:
      return "CL_INVALID_MEM_OBJECT";
    case CL_INVALID_BINARY:
      return "CL_INVALID_BINARY";
    case CL_INVALID_BUILD_OPTIONS:
      return "CL_INVALID_BUILD_OPTIONS";
    case CL_INVALID_PROGRAM_EXECUTABLE:
      return "CL_INVALID_PROGRAM_EXECUTABLE";
    case CL_INVALID_KERNEL_NAME:
      return "CL_INVALID_KERNEL_NAME";
    case CL_INVALID_ARG_INDEX:
      return "CL_INVALID_ARG_INDEX";
    case CL_INVALID_ARG_SIZE:
      return "CL_INVALID_ARG_SIZE";
    case CL_INVALID_KERNEL_ARGS:
      return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_WORK_GROUP_SIZE:
      return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_WORK_ITEM_SIZE:
      return "CL_INVALID_WORK_ITEM_SIZE";
    case CL_INVALID_BUFFER_SIZE:
      return "CL_INVALID_BUFFER_SIZE";
    case CL_PLATFORM_NOT_FOUND_KHR:
      return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
      return nullptr;
  }
}

}  // namespace

const OpenclApi* load_opencl(std::string* reason) {
  static std::once_flag once;
  std::call_once(once, load_once);
  if (loaded == nullptr && reason != nullptr) *reason = load_failure;
  return loaded;
}

const OpenclApi& api() noexcept { return loaded_api; }

std::string describe_error(cl_int code) {
  const char* name = error_name(code);
  if (name == nullptr) return "OpenCL error " + std::to_string(code);
  return std::string(name) + " (" + std::to_string(code) + ")";
}

}  // namespace dotcompute::opencl
