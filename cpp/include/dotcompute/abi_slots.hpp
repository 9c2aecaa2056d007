// cpp/include/dotcompute/abi_slots.hpp
// Reading optional slots of the plugin ABI tables safely across minor versions.
#pragma once

#include <cstddef>
#include <type_traits>

#include "dotcompute/backend_abi.h"

/// The slot `member` of an ABI table, or nullptr when the plugin's table is too short to hold it
/// (a plugin built against an older minor version, see backend_abi.h). Every slot appended after
/// ABI 1.0 must be read through this, never directly.
#define DC_OPTIONAL_SLOT(table, member)                                                   \
  ((table).struct_size >=                                                                 \
           offsetof(std::remove_cv_t<std::remove_reference_t<decltype(table)>>, member) + \
               sizeof((table).member)                                                     \
       ? (table).member                                                                   \
       : nullptr)
