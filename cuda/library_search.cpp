// cuda/library_search.cpp
// Candidate files of a CUDA library, in the order of Note [Finding CUDA libraries].
#include "library_search.hpp"

#include <dirent.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace dotcompute::cuda {
namespace {

/// stem, stem.12, stem.12.4.127 match; stem-builtins.so or stem.alt do not.
bool is_versioned_file(const std::string& name, const std::string& stem) {
  if (name.compare(0, stem.size(), stem) != 0) return false;
  for (size_t i = stem.size(); i < name.size(); ++i) {
    if (name[i] != '.' && (name[i] < '0' || name[i] > '9')) return false;
  }
  return true;
}

std::vector<std::string> files_in(const std::string& directory, const std::string& stem,
                                  int preferred_major) {
  std::vector<std::string> names;
  if (DIR* listing = opendir(directory.c_str())) {
    while (const dirent* entry = readdir(listing)) {
      if (is_versioned_file(entry->d_name, stem)) names.emplace_back(entry->d_name);
    }
    closedir(listing);
  }
  const std::string preferred = stem + "." + std::to_string(preferred_major);
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

}  // namespace

std::vector<std::string> library_candidates(const std::string& stem,
                                            const char* directories_variable, int preferred_major,
                                            std::string* missing) {
  std::vector<std::string> directories = split_directories(std::getenv(directories_variable));
  for (const char* variable : {"CUDA_HOME", "CUDA_PATH"}) {
    const char* root = std::getenv(variable);
    if (root != nullptr && *root != '\0') directories.push_back(std::string(root) + "/lib64");
  }
  directories.emplace_back("/usr/local/cuda/lib64");
  std::vector<std::string> candidates;
  for (const std::string& directory : directories) {
    const std::vector<std::string> files = files_in(directory, stem, preferred_major);
    if (files.empty() && missing != nullptr) *missing += "\n  " + directory + "/" + stem + "*";
    candidates.insert(candidates.end(), files.begin(), files.end());
  }
  std::vector<std::string> names;
  if (preferred_major > 0) names.push_back(stem + "." + std::to_string(preferred_major));
  for (const std::string& name : {stem + ".13", stem + ".12", stem}) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  candidates.insert(candidates.end(), names.begin(), names.end());
  return candidates;
}

void* open_candidate(const std::string& candidate, std::string* tried) {
  dlerror();
  void* library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library != nullptr) return library;
  const char* detail = dlerror();
  // A missing file is the common case; only a file that exists but fails is worth the detail.
  const bool absent = detail == nullptr || std::strstr(detail, "No such file") != nullptr ||
                      std::strstr(detail, "cannot open shared object file") != nullptr;
  *tried += "\n  " + candidate + (absent ? " (not found)" : std::string(" (") + detail + ")");
  return nullptr;
}

}  // namespace dotcompute::cuda
