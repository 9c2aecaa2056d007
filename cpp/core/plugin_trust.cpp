// cpp/core/plugin_trust.cpp
// Ownership/permission checks on plugin files and the optional SHA-256 allow-list (Note [Plugin
// trust]).
#include "dotcompute/plugin_trust.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace dotcompute {

namespace {

constexpr const char* kAllowlistVariable = "DOTCOMPUTE_PLUGIN_ALLOWLIST";

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

bool trusted_owner(uid_t owner) {
  if (owner == 0 || owner == geteuid()) return true;
  // The _core module's owner already runs code in this process; trusting its plugins adds no
  // exposure (a shared environment installed by an administrator account).
  static const uid_t core_owner = [] {
    struct stat info;
    const std::string core = core_module_path();
    if (!core.empty() && ::stat(core.c_str(), &info) == 0) return info.st_uid;
    return static_cast<uid_t>(0);
  }();
  return owner == core_owner;
}

/// Empty when the object at path (a file or a directory) passes, else the reason.
std::string object_problem(const std::string& path, const char* what) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return std::string("cannot inspect ") + what + " " + path + ": " + std::strerror(errno);
  }
  if (info.st_mode & S_IWOTH) {
    return std::string(what) + " " + path + " is writable by other users (mode " +
           octal_mode(info.st_mode) + "); plugins load only from places other users cannot " +
           "change (chmod o-w it)";
  }
  if (!trusted_owner(info.st_uid)) {
    return std::string(what) + " " + path + " is owned by another user (uid " +
           std::to_string(info.st_uid) + "); plugins load only from files and directories " +
           "owned by root or by you";
  }
  return {};
}

std::string trim(const std::string& text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

bool is_hex_digest(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string core_module_path() {
  Dl_info info;
  // Any function of this library names the shared object the core is linked into.
  if (dladdr(reinterpret_cast<void*>(&core_module_path), &info) == 0 || info.dli_fname == nullptr) {
    return {};
  }
  // The path as the interpreter loaded it, symbolic links kept: "next to _core" means next to
  // the module Python imported, which is where the package installs its backends.
  std::string path = info.dli_fname;
  if (!path.empty() && path[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof(cwd)) != nullptr) path = std::string(cwd) + "/" + path;
  }
  return path;
}

std::string plugin_trust_problem(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return "cannot open " + path + ": " + std::strerror(errno);
  }
  if (!S_ISREG(info.st_mode)) return path + " is not a regular file";

  // The directory as named: whoever can write it can swap the file (or the link) for another.
  std::string problem = object_problem(directory_of(path), "directory");
  if (!problem.empty()) return problem;

  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) {
    return "cannot resolve " + path + ": " + std::strerror(errno);
  }
  const std::string real_path = resolved;
  problem = object_problem(real_path, "plugin file");
  if (!problem.empty()) return problem;
  if (directory_of(real_path) != directory_of(path)) {
    problem = object_problem(directory_of(real_path), "directory");
    if (!problem.empty()) return problem;
  }
  return {};
}

std::string plugin_allowlist_problem(const std::string& path, const std::string& sha256) {
  const char* list_path = std::getenv(kAllowlistVariable);
  if (list_path == nullptr || *list_path == '\0') return {};

  std::ifstream list(list_path);
  if (!list) {
    return std::string("cannot read the plugin allow-list ") + list_path + " (" +
           kAllowlistVariable + "): " + std::strerror(errno);
  }
  std::string line;
  while (std::getline(list, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    // `sha256sum` lines: "<64 hex> <space or *><name>"; the name is informative only.
    const std::string digest = line.substr(0, line.find_first_of(" \t"));
    if (!is_hex_digest(digest)) continue;
    std::string lower;
    for (char c : digest)
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower == sha256) return {};
  }
  return "SHA-256 " + sha256 + " of " + path + " is not in the plugin allow-list " + list_path +
         " (" + kAllowlistVariable + ")";
}

}  // namespace dotcompute
