/* tests/abi/abi_layout.c
 * Compile-only test: the ABI layout as seen by a C11 compiler (a plugin written in plain C).
 */
#define DC_LAYOUT_ASSERT(condition, message) _Static_assert(condition, message)
#include "abi_layout_assertions.h"

/* ISO C wants at least one declaration in a translation unit besides the assertions. */
typedef int dotcompute_abi_layout_c_is_compiled;
