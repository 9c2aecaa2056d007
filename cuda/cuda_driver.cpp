// cuda/cuda_driver.cpp
// Opens libcuda.so.1 and fills the DriverApi struct: required entries fail loudly, optional may
// be null.
//
// Note [Driver entry points]
// Driver symbols are versioned (cuMemAlloc_v2, cuStreamDestroy_v2, ...) and the versions change
// signatures from one CUDA release to the next. Each entry point is therefore requested by its
// base name from cuGetProcAddress with cudaVersion = min(kDeclaredCudaVersion, driver version):
// the driver then returns the variant whose signature matches cuda_declarations.hpp, whatever
// newer variants it also has. cuGetProcAddress itself changed in CUDA 12.0 (a fifth argument,
// exported as cuGetProcAddress_v2), so it is looked up with dlsym under both names. Drivers older
// than CUDA 11.3 have neither; there the ABI symbol names of the X-macro lists are used with
// dlsym. libcuda stays loaded until the process exits: unloading the driver while any library
// (CuPy, PyTorch) may share it is never safe.
#include "cuda_driver.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace dotcompute::cuda {
namespace {

constexpr const char* kDriverLibrary = "libcuda.so.1";

DriverApi api;
const DriverApi* loaded = nullptr;
std::string load_failure;

std::string version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

/// One entry point, by base name through cuGetProcAddress, else by ABI name through dlsym.
void* resolve(void* library, cuGetProcAddress_v2_signature* get_v2,
              cuGetProcAddress_v1_signature* get_v1, int version, const char* name,
              const char* suffix) {
  void* function = nullptr;
  if (get_v2 != nullptr) {
    CUdriverProcAddressQueryResult status = CU_GET_PROC_ADDRESS_SUCCESS;
    if (get_v2(name, &function, version, CU_GET_PROC_ADDRESS_DEFAULT, &status) != CUDA_SUCCESS ||
        status != CU_GET_PROC_ADDRESS_SUCCESS) {
      function = nullptr;
    }
    return function;
  }
  if (get_v1 != nullptr) {
    if (get_v1(name, &function, version, CU_GET_PROC_ADDRESS_DEFAULT) != CUDA_SUCCESS) {
      function = nullptr;
    }
    return function;
  }
  const std::string symbol = std::string(name) + suffix;
  return dlsym(library, symbol.c_str());
}

void load_once() {
  dlerror();
  void* library = dlopen(kDriverLibrary, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* detail = dlerror();
    load_failure = std::string(kDriverLibrary) + " not found (no NVIDIA driver)";
    if (detail != nullptr) load_failure += ": " + std::string(detail);
    return;
  }
  api.cuInit = reinterpret_cast<cuInit_signature*>(dlsym(library, "cuInit"));
  api.cuDriverGetVersion =
      reinterpret_cast<cuDriverGetVersion_signature*>(dlsym(library, "cuDriverGetVersion"));
  if (api.cuInit == nullptr || api.cuDriverGetVersion == nullptr) {
    load_failure = std::string(kDriverLibrary) +
                   " does not export cuInit and cuDriverGetVersion: not an NVIDIA driver library";
    return;
  }
  if (api.cuDriverGetVersion(&api.driver_version) != CUDA_SUCCESS) {
    load_failure = "cuDriverGetVersion failed: the NVIDIA driver is not usable";
    return;
  }
  auto* get_v2 =
      reinterpret_cast<cuGetProcAddress_v2_signature*>(dlsym(library, "cuGetProcAddress_v2"));
  auto* get_v1 =
      get_v2 != nullptr
          ? nullptr
          : reinterpret_cast<cuGetProcAddress_v1_signature*>(dlsym(library, "cuGetProcAddress"));
  const int version = std::min(kDeclaredCudaVersion, api.driver_version);

  std::string missing;
#define DOTCOMPUTE_CUDA_RESOLVE_REQUIRED(name, suffix)           \
  api.name = reinterpret_cast<name##_signature*>(                \
      resolve(library, get_v2, get_v1, version, #name, suffix)); \
  if (api.name == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(#name suffix);
  DOTCOMPUTE_CUDA_REQUIRED_DRIVER_ENTRIES(DOTCOMPUTE_CUDA_RESOLVE_REQUIRED)
#undef DOTCOMPUTE_CUDA_RESOLVE_REQUIRED
#define DOTCOMPUTE_CUDA_RESOLVE_OPTIONAL(name, suffix) \
  api.name = reinterpret_cast<name##_signature*>(      \
      resolve(library, get_v2, get_v1, version, #name, suffix));
  DOTCOMPUTE_CUDA_OPTIONAL_DRIVER_ENTRIES(DOTCOMPUTE_CUDA_RESOLVE_OPTIONAL)
#undef DOTCOMPUTE_CUDA_RESOLVE_OPTIONAL
  if (!missing.empty()) {
    load_failure = "the NVIDIA driver (CUDA " + version_text(api.driver_version) +
                   ") lacks required entry points: " + missing + "; update the driver";
    return;
  }

  const CUresult status = api.cuInit(0);
  if (status != CUDA_SUCCESS) {
    load_failure = "cuInit failed: " + describe_result(status);
    return;
  }
  loaded = &api;
}

}  // namespace

const DriverApi* load_driver(std::string* reason) {
  static std::once_flag once;
  std::call_once(once, load_once);
  if (loaded == nullptr && reason != nullptr) *reason = load_failure;
  return loaded;
}

const DriverApi& driver() noexcept { return api; }

std::string describe_result(CUresult result) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (api.cuGetErrorName != nullptr) api.cuGetErrorName(result, &name);
  if (api.cuGetErrorString != nullptr) api.cuGetErrorString(result, &text);
  std::string description = name != nullptr ? name : "CUresult " + std::to_string(result);
  if (text != nullptr) description += std::string(" (") + text + ")";
  return description;
}

}  // namespace dotcompute::cuda
