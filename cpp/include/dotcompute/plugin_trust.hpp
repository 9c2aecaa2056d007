// cpp/include/dotcompute/plugin_trust.hpp
// Which plugin files the registry may load at all: ownership, permissions and the allow-list.
#pragma once

#include <string>

namespace dotcompute {

/// Note [Plugin trust]
/// Loading a plugin runs its code with the caller's rights, so the registry refuses a file that
/// someone else could have replaced:
/// - the file must be a regular file, and neither it nor its directory (the directory of the
///   path as given, and of the resolved file when the path goes through a symbolic link) may be
///   writable by other users (S_IWOTH; group write is accepted, since user-private groups and
///   umask 002 are common and the group is chosen by the owner);
/// - the file and those directories must be owned by root, by the current user, or by the owner
///   of the _core module (whose code this process already runs, e.g. a shared environment);
/// - when DOTCOMPUTE_PLUGIN_ALLOWLIST names a file in `sha256sum` format, the file's SHA-256
///   must be listed there. This applies to every plugin, the built-in ones included.
/// Only the file's own directory is checked, not every ancestor: that matches what the
/// interpreter itself trusts when it imports _core.

/// Empty when path passes the ownership and permission rules, else the reason (a sentence).
std::string plugin_trust_problem(const std::string& path);

/// Empty when DOTCOMPUTE_PLUGIN_ALLOWLIST is unset or lists sha256, else the reason.
std::string plugin_allowlist_problem(const std::string& path, const std::string& sha256);

/// The file of the shared object holding the core (the _core module), found with dladdr;
/// empty when unknown.
std::string core_module_path();

}  // namespace dotcompute
