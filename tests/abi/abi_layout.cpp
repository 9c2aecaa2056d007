// tests/abi/abi_layout.cpp
// Compile-only test: the same ABI layout as seen through C++ (the core and C++ plugins).
#define DC_LAYOUT_ASSERT(condition, message) static_assert(condition, message)
#include "abi_layout_assertions.h"

// The header must also be usable as plain data from C++: no hidden padding or vtables.
#include <type_traits>
static_assert(std::is_standard_layout_v<dc_backend_iface> && std::is_trivial_v<dc_backend_iface>,
              "dc_backend_iface must stay a plain C struct");
static_assert(std::is_standard_layout_v<dc_kernel_arg> && std::is_trivial_v<dc_kernel_arg>,
              "dc_kernel_arg must stay a plain C struct");
static_assert(std::is_standard_layout_v<dc_device_info> && std::is_trivial_v<dc_device_info>,
              "dc_device_info must stay a plain C struct");
