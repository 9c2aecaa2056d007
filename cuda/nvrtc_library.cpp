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
// In a directory, libnvrtc.so.<driver major>* comes first (an NVRTC newer than the driver emits
// code the driver cannot load), then the other versions, newest first. NVRTC is opened on first
// use, not at plugin load: it is large, and a process that never compiles should not pay for it.
// Without NVRTC the plugin still works for memory, copies and streams; compiling fails with the
// list of places searched.
#include "nvrtc_library.hpp"

#include <dirent.h>
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

bool is_nvrtc_file_name(const std::string& name) {
  // libnvrtc.so, libnvrtc.so.12, libnvrtc.so.12.4.127; never libnvrtc-builtins.so.
  const std::string stem = "libnvrtc.so";
  if (name.compare(0, stem.size(), stem) != 0) return false;
  for (size_t i = stem.size(); i < name.size(); ++i) {
    if (name[i] != '.' && (name[i] < '0' || name[i] > '9')) return false;
  }
  return true;
}

/// The libnvrtc files of a directory in the order of Note [Finding NVRTC].
std::vector<std::string> nvrtc_files_in(const std::string& directory, int preferred_major) {
  std::vector<std::string> names;
  if (DIR* listing = opendir(directory.c_str())) {
    while (const dirent* entry = readdir(listing)) {
      if (is_nvrtc_file_name(entry->d_name)) names.emplace_back(entry->d_name);
    }
    closedir(listing);
  }
  const std::string preferred = "libnvrtc.so." + std::to_string(preferred_major);
  auto rank = [&](const std::string& name) {
    const bool matches = name.compare(0, preferred.size(), preferred) == 0 &&
                         (name.size() == preferred.size() || name[preferred.size()] == '.');
    return matches ? 0 : 1;
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a > b;  // newest first
  });
  std::vector<std::string> paths;
  for (const std::string& name : names) paths.push_back(directory + "/" + name);
  return paths;
}

std::vector<std::string> split_directories(const char* text) {
  std::vector<std::string> directories;
  if (text == nullptr) return directories;
  std::string entry;
  for (const char* c = text;; ++c) {
    if (*c == ':' || *c == '\0') {
      if (!entry.empty()) directories.push_back(entry);
      entry.clear();
      if (*c == '\0') break;
    } else {
      entry += *c;
    }
  }
  return directories;
}

/// Opens one candidate; on failure appends why to *tried and returns false.
bool try_open(const std::string& candidate, std::string* tried) {
  dlerror();
  void* library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* detail = dlerror();
    // A missing file is the common case; only a file that exists but fails is worth the detail.
    const bool absent = detail == nullptr || std::strstr(detail, "No such file") != nullptr ||
                        std::strstr(detail, "cannot open shared object file") != nullptr;
    *tried += "\n  " + candidate + (absent ? " (not found)" : std::string(" (") + detail + ")");
    return false;
  }
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

/// Where Note [Finding NVRTC] looks, in order: files found in the directories, then the names
/// the system loader resolves. `missing` collects the directories that held no libnvrtc.
std::vector<std::string> search_order(int preferred_major, std::string* missing) {
  std::vector<std::string> candidates;
  std::vector<std::string> directories = split_directories(std::getenv("DOTCOMPUTE_NVRTC_DIRS"));
  for (const char* variable : {"CUDA_HOME", "CUDA_PATH"}) {
    const char* root = std::getenv(variable);
    if (root != nullptr && *root != '\0') directories.push_back(std::string(root) + "/lib64");
  }
  directories.emplace_back("/usr/local/cuda/lib64");
  for (const std::string& directory : directories) {
    const std::vector<std::string> files = nvrtc_files_in(directory, preferred_major);
    if (files.empty() && missing != nullptr) {
      *missing += "\n  " + directory + "/libnvrtc.so* (not found)";
    }
    candidates.insert(candidates.end(), files.begin(), files.end());
  }
  std::vector<std::string> names;
  if (preferred_major > 0) names.push_back("libnvrtc.so." + std::to_string(preferred_major));
  for (const char* name : {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
  }
  candidates.insert(candidates.end(), names.begin(), names.end());
  return candidates;
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
