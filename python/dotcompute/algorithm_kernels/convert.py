# python/dotcompute/algorithm_kernels/convert.py
# Element-type conversions on the device: Array.astype, dc.copyto between dtypes, out= of another
# dtype, real input of the FFTs.
"""Kernels that convert every element of an array to another dtype.

The kernel language has no complex type, so a complex array is seen as pairs of its real dtype
(``_core._reinterpret`` to shape ``(n, 2)``): a real-to-complex conversion writes the pair
(value, 0), a complex-to-real one reads the real part, and complex-to-complex converts the
flat parts. Every scalar conversion is the language's cast (docs/kernels.md §Casts): float to
integer truncates toward zero and saturates, NaN to 0; integers to narrower ones wrap; bool is
``x != 0``.
"""

from __future__ import annotations

import dotcompute as dc


@dc.kernel
def cast_elements(src: dc.Array, dst: dc.Array):
    """dst[i] = src[i] converted to dst's dtype (both flat, of one length)."""
    i = dc.global_id(0)
    if i < dst.shape[0]:
        dst[i] = dst.dtype(src[i])


@dc.kernel
def real_to_complex(x: dc.Array, pairs: dc.Array):
    """pairs[i] = (x[i], 0): a real array converted to complex, on a float view."""
    i = dc.global_id(0)
    if i < x.shape[0]:
        pairs[i, 0] = pairs.dtype(x[i])
        pairs[i, 1] = pairs.dtype(0)


@dc.kernel
def complex_real_part(pairs: dc.Array, dst: dc.Array):
    """dst[i] = the real part of the complex element i (numpy drops the imaginary part too)."""
    i = dc.global_id(0)
    if i < dst.shape[0]:
        dst[i] = dst.dtype(pairs[i, 0])


@dc.kernel
def complex_nonzero(pairs: dc.Array, dst: dc.Array[dc.bool_]):
    """dst[i] = whether the complex element i is not zero (either part)."""
    i = dc.global_id(0)
    if i < dst.shape[0]:
        dst[i] = pairs[i, 0] != 0 or pairs[i, 1] != 0
