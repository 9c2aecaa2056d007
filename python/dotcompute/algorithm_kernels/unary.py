# python/dotcompute/algorithm_kernels/unary.py
# numpy's elementwise math ufuncs (np.sqrt, dc.exp, ...) on dc arrays, as generated kernels.
"""One kernel per math function, ``out[i] = f(x[i])``: the function is a constant of its
kernel (the closure of ``_kernel_for``), so each compiles to its own math call. The caller
converts x to the result's dtype first where numpy computes in it (``np.sqrt`` of int32 is
computed in float64), so the kernel language's own promotion (float32 for 32-bit integers)
never decides a result.
"""

from __future__ import annotations

import functools

import numpy as np

import dotcompute as dc

from .. import _core

#: numpy ufunc -> the kernel language's function of the same meaning (dc.sqrt is np.sqrt; the
#: language knows the numpy objects by identity, kernel/intrinsics.py).
FUNCTIONS = (
    np.sqrt, np.cbrt, np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p,
    np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.tanh,
    np.arcsinh, np.arccosh, np.arctanh, np.floor, np.ceil, np.trunc, np.fabs, np.absolute,
    np.isnan, np.isinf, np.isfinite,
)  # fmt: skip


def _kernel_for(function):
    @dc.kernel
    def apply(x: dc.Array, out: dc.Array):
        i = dc.global_id(0)
        if i < out.shape[0]:
            out[i] = out.dtype(function(x[i]))

    return apply


@functools.cache
def kernel(function):
    """The kernel applying function (one of FUNCTIONS), made on first use."""
    return _kernel_for(function)


def run(function, x: _core.Array, out: _core.Array) -> None:
    """out = function(x) elementwise; x already in the dtype numpy computes in."""
    if out.size:
        flat_x = x if x.ndim == 1 else x.reshape((x.size,))
        flat_out = out if out.ndim == 1 else out.reshape((out.size,))
        kernel(function)[out.size](flat_x, flat_out)


@dc.kernel
def conjugate_pairs(x: dc.Array, out: dc.Array):
    """out = the complex conjugates of x, both as [n, 2] (real, imaginary) pairs."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i, 0] = x[i, 0]
        out[i, 1] = -x[i, 1]


@dc.kernel
def negate(x: dc.Array, out: dc.Array):
    """out = -x of floating elements (complex ones as their parts): the sign bit flipped, so
    -0.0 and infinities come out as numpy's (NaNs keep a NaN; GPUs give their own sign)."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = -x[i]


@dc.kernel
def modulus_pairs(x: dc.Array, out: dc.Array):
    """out = |x| of complex x as [n, 2] (real, imaginary) pairs: hypot of the parts (no
    overflow of their squares; inf where a part is infinite, as numpy's)."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = dc.hypot(x[i, 0], x[i, 1])
