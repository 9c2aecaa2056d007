// cuda/nvrtc_library.cpp
// Finds libnvrtc and resolves its entry points.
//
// Note [Finding NVRTC]
// NVRTC is looked for, first match wins, in:
//   1. DOTCOMPUTE_NVRTC, the path of a libnvrtc file: when set, it is the only candidate, so a
//      user who names a file never silently gets another one;
//   2. every directory of DOTCOMPUTE_NVRTC_DIRS (':' separated). The Python package sets it to
//      the lib directories of the nvidia-cuda-nvrtc wheels before it loads plugins (a C++ plugin
//      cannot ask Python where site-packages is);
//   3. $CUDA_HOME/lib64, $CUDA_PATH/lib64, /usr/local/cuda/lib64;
//   4. the system loader: libnvrtc.so.<driver major>, .so.13, .so.12, .so.
// Steps 2 to 4 and the order inside a directory are Note [Finding CUDA libraries]
// (library_search.hpp). NVRTC is opened on first
// use, not at plugin load: it is large, and a process that never compiles should not pay for it.
// Without NVRTC the plugin still works for memory, copies and streams; compiling fails with the
// list of places searched.
#include "nvrtc_library.hpp"

#include "library_search.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace dotcompute::cuda {
namespace {

NvrtcApi api;
std::atomic<const NvrtcApi*> loaded{nullptr};
std::string load_failure;

/// Opens one candidate; on failure appends why to *tried and returns false.
bool try_open(const std::string& candidate, std::string* tried) {
  void* library = open_candidate(candidate, tried);
  if (library == nullptr) return false;
  NvrtcApi found;
  std::string missing;
#define DOTCOMPUTE_NVRTC_RESOLVE_REQUIRED(name)                            \
  found.name = reinterpret_cast<name##_signature*>(dlsym(library, #name)); \
  if (found.name == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(#name);
  DOTCOMPUTE_NVRTC_REQUIRED_ENTRIES(DOTCOMPUTE_NVRTC_RESOLVE_REQUIRED)
#undef DOTCOMPUTE_NVRTC_RESOLVE_REQUIRED
#define DOTCOMPUTE_NVRTC_RESOLVE_OPTIONAL(name) \
  found.name = reinterpret_cast<name##_signature*>(dlsym(library, #name));
  DOTCOMPUTE_NVRTC_OPTIONAL_ENTRIES(DOTCOMPUTE_NVRTC_RESOLVE_OPTIONAL)
#undef DOTCOMPUTE_NVRTC_RESOLVE_OPTIONAL
  if (!missing.empty() || found.nvrtcVersion(&found.major, &found.minor) != NVRTC_SUCCESS) {
    *tried += "\n  " + candidate + " (not a usable NVRTC: missing " +
              (missing.empty() ? std::string("a working nvrtcVersion") : missing) + ")";
    dlclose(library);
    return false;
  }
  int count = 0;
  if (found.nvrtcGetNumSupportedArchs != nullptr && found.nvrtcGetSupportedArchs != nullptr &&
      found.nvrtcGetNumSupportedArchs(&count) == NVRTC_SUCCESS && count > 0) {
    found.architectures.resize(static_cast<size_t>(count));
    if (found.nvrtcGetSupportedArchs(found.architectures.data()) != NVRTC_SUCCESS) {
      found.architectures.clear();
    }
    std::sort(found.architectures.begin(), found.architectures.end());
  }
  found.path = candidate;
  api = std::move(found);
  loaded.store(&api, std::memory_order_release);
  return true;  // the library stays open for the life of the process
}

/// Where Note [Finding NVRTC] looks, in order; `missing` collects the empty directories.
std::vector<std::string> search_order(int preferred_major, std::string* missing) {
  return library_candidates("libnvrtc.so", "DOTCOMPUTE_NVRTC_DIRS", preferred_major, missing);
}

const char* explicit_nvrtc() {
  const char* path = std::getenv("DOTCOMPUTE_NVRTC");
  return path != nullptr && *path != '\0' ? path : nullptr;
}

void load_once(int preferred_major) {
  std::string tried;
  if (const char* explicit_path = explicit_nvrtc()) {
    if (!try_open(explicit_path, &tried)) {
      load_failure = "NVRTC named by DOTCOMPUTE_NVRTC could not be loaded:" + tried;
    }
    return;
  }
  for (const std::string& candidate : search_order(preferred_major, &tried)) {
    if (try_open(candidate, &tried)) return;
  }
  load_failure =
      "NVRTC (libnvrtc) was not found; install it with `pip install nvidia-cuda-nvrtc-cu12` (or "
      "the CUDA toolkit), or set DOTCOMPUTE_NVRTC to its path. Searched:" +
      tried;
}

}  // namespace

const NvrtcApi* loaded_nvrtc() noexcept { return loaded.load(std::memory_order_acquire); }

std::string nvrtc_candidate(int preferred_major) {
  if (const char* explicit_path = explicit_nvrtc()) return explicit_path;
  const std::vector<std::string> candidates = search_order(preferred_major, nullptr);
  return candidates.empty() ? std::string() : candidates.front();
}

const NvrtcApi* load_nvrtc(int preferred_major, std::string* reason) {
  static std::once_flag once;
  std::call_once(once, load_once, preferred_major);
  const NvrtcApi* result = loaded.load(std::memory_order_acquire);
  if (result == nullptr && reason != nullptr) *reason = load_failure;
  return result;
}

}  // namespace dotcompute::cuda
