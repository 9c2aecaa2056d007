# python/dotcompute/__init__.py
# The public API: re-exports of the native core and the Python front ends (DESIGN §7).
"""dotcompute: compute kernels written once in Python, run on CPUs, CUDA, OpenCL and Metal.

>>> import numpy as np, dotcompute as dc
>>> x = dc.asarray(np.arange(4, dtype=np.float32))
>>> float(dc.sum(dc.add(x, x)))
12.0
"""

from __future__ import annotations

import os as _os
from pathlib import Path as _Path

import numpy as _np

from . import (
    _array_function,
    _complex_parts,
    _core,
    _indexing,
    _operators,
    _rearrange,
    _shapes,
    _ufuncs,
    errors,
    plugins,
)
from ._arrays import asarray, copyto, from_dlpack
from ._astype import astype
from ._complex_parts import angle, conj, imag, real
from ._core import (
    Array,
    Device,
    add,
    default_device,
    devices,
    divide,
    empty,
    empty_cache,
    empty_pinned,
    floor_divide,
    full,
    get_device,
    memory_stats,
    multiply,
    ones,
    pinned_memory_stats,
    reset_peak_memory_stats,
    saxpy,
    set_default_device,
    set_memory_limit,
    subtract,
    synchronize,
    zeros,
)
from ._derived import allclose, argwhere, count_nonzero, diff, isclose, outer
from ._like import copy, empty_like, eye, full_like, identity, ones_like, zeros_like
from ._nonzero import flatnonzero, nonzero
from ._operators import (
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    maximum,
    minimum,
    not_equal,
    power,
    remainder,
)
from ._ranges import arange, linspace
from ._rearrange import expand_dims, flip, moveaxis, reshape, squeeze, swapaxes
from ._shapes import broadcast_to, concatenate, stack, transpose
from ._take_along_axis import take_along_axis
from ._where import where
from .errors import (
    BackendUnavailableError,
    CompilationError,
    DeviceError,
    DotComputeError,
    DTypeError,
    InvalidArgumentError,
    KernelSyntaxError,
    KernelTypeError,
    LaunchError,
    OutOfMemoryError,
    PipelineError,
    PluginError,
    ReleasedArrayError,
    ShapeError,
    UnsupportedError,
)
from .kernel import annotations as _kernel_annotations  # noqa: F401  (dc.Array[dtype, ndim])
from .kernel.function import func

# Kernel built-ins. The reductions dc.min / dc.max double as the math min / max in kernels.
from .kernel.intrinsics import (
    abs,
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    atomic_add,
    atomic_cas,
    atomic_exchange,
    atomic_max,
    atomic_min,
    atomic_sub,
    barrier,
    cbrt,
    ceil,
    copysign,
    cos,
    cosh,
    erf,
    erfc,
    exp,
    exp2,
    expm1,
    fabs,
    floor,
    fma,
    fmax,
    fmin,
    fmod,
    global_id,
    global_size,
    group_id,
    hypot,
    isfinite,
    isinf,
    isnan,
    local_id,
    local_size,
    log,
    log1p,
    log2,
    log10,
    num_groups,
    pow,
    private_array,
    rsqrt,
    shared_array,
    sin,
    sinh,
    sqrt,
    tan,
    tanh,
    trunc,
)
from .kernel.intrinsics import reduce_or_max as max
from .kernel.intrinsics import reduce_or_min as min
from .kernel.kernel import Kernel, kernel
from .pipeline import ErrorStrategy, PipelineBuilder
from .streams import Event, Graph, Stream, capture, current_stream

__version__ = _core.__version__

# Methods written in Python, since their kernels are generated ones, on the core's class:
# x.astype(dtype), the operators of _operators.py (x < y, x % 2, 2.0 * x, -x, ~x, ...), and
# numpy's ufuncs.
Array.astype = astype
_operators.install(Array)
Array.__getitem__ = _indexing.getitem  # x[2:9] (a view), x[:, 0] (a copy)
Array.__setitem__ = _indexing.setitem  # x[:, 0] = v, in place
Array.__array_ufunc__ = _ufuncs.array_ufunc  # np.sqrt(x), dc.exp(x), np.float32(2) * x
Array.__abs__ = _ufuncs.absolute  # abs(x)
Array.T = property(transpose, doc="The array with its axes reversed (a copy for 2-D and more).")
Array.transpose = _shapes.transpose_method  # x.transpose(1, 0, 2)
Array.real = property(real, _complex_parts.set_real, doc="The real parts (a copy if complex).")
Array.imag = property(imag, _complex_parts.set_imag, doc="The imaginary parts (a copy).")
Array.conj = Array.conjugate = conj  # x.conj(): the complex conjugates, a new array
Array.__array_function__ = _array_function.array_function  # np.sum(x), np.sort(x), ...
Array.squeeze = _rearrange.squeeze_method  # x.squeeze(), x.squeeze(axis=1): views
Array.swapaxes = _rearrange.swapaxes_method  # x.swapaxes(0, 1): a copy
conjugate = conj

# Element types: numpy's scalar types, so they work as dtype arguments and annotations alike.
bool_ = _np.bool_
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
float16, float32, float64 = _np.float16, _np.float32, _np.float64
complex64, complex128 = _np.complex64, _np.complex128

# The algorithm library; imported last: its generated kernels (loaded on first use) need dc.kernel.
from . import _methods, algorithms  # noqa: E402
from ._methods import clip  # noqa: E402

_methods.install(Array)  # x.sum(), x.argmax(axis=1), x.cumsum(), x.ravel(), x.sort(), x.clip()
from .algorithms import (  # noqa: E402
    all,
    any,
    argmax,
    argmin,
    argsort,
    cumsum,
    fft,
    fft2,
    fftn,
    hfft,
    ifft,
    ifft2,
    ifftn,
    ihfft,
    irfft,
    irfft2,
    irfftn,
    matmul,
    mean,
    rfft,
    rfft2,
    rfftn,
    sort,
    std,
    sum,
    var,
)


def get_include() -> str:
    """Directory holding ``dotcompute/backend_abi.h``, for building third-party plugins."""
    installed = _Path(__file__).parent / "include"
    if (installed / "dotcompute" / "backend_abi.h").exists():
        return str(installed)
    # Editable installs redirect this package to the source tree; the header lives in cpp/.
    return str(_Path(__file__).resolve().parents[2] / "cpp" / "include")


if _os.environ.get("DOTCOMPUTE_NO_AUTOLOAD", "") not in ("1", "true", "yes"):
    plugins._autoload()

__all__ = [
    "Array",
    "BackendUnavailableError",
    "CompilationError",
    "DTypeError",
    "Device",
    "DeviceError",
    "DotComputeError",
    "ErrorStrategy",
    "Event",
    "Graph",
    "InvalidArgumentError",
    "Kernel",
    "KernelSyntaxError",
    "KernelTypeError",
    "LaunchError",
    "OutOfMemoryError",
    "PipelineBuilder",
    "PipelineError",
    "PluginError",
    "ReleasedArrayError",
    "ShapeError",
    "Stream",
    "UnsupportedError",
    "__version__",
    "abs",
    "acos",
    "acosh",
    "add",
    "algorithms",
    "all",
    "allclose",
    "angle",
    "annotations",
    "any",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "argwhere",
    "asarray",
    "asin",
    "asinh",
    "astype",
    "atan",
    "atan2",
    "atanh",
    "atomic_add",
    "atomic_cas",
    "atomic_exchange",
    "atomic_max",
    "atomic_min",
    "atomic_sub",
    "barrier",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bool_",
    "broadcast_to",
    "capture",
    "cbrt",
    "ceil",
    "clip",
    "complex64",
    "complex128",
    "concatenate",
    "conj",
    "conjugate",
    "copy",
    "copysign",
    "copyto",
    "cos",
    "cosh",
    "count_nonzero",
    "cumsum",
    "current_stream",
    "default_device",
    "devices",
    "diff",
    "divide",
    "empty",
    "empty_cache",
    "empty_like",
    "empty_pinned",
    "equal",
    "erf",
    "erfc",
    "errors",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "eye",
    "fabs",
    "fft",
    "fft2",
    "fftn",
    "flatnonzero",
    "flip",
    "float16",
    "float32",
    "float64",
    "floor",
    "floor_divide",
    "fma",
    "fmax",
    "fmin",
    "fmod",
    "from_dlpack",
    "full",
    "full_like",
    "func",
    "get_device",
    "get_include",
    "global_id",
    "global_size",
    "greater",
    "greater_equal",
    "group_id",
    "hfft",
    "hypot",
    "identity",
    "ifft",
    "ifft2",
    "ifftn",
    "ihfft",
    "imag",
    "int8",
    "int16",
    "int32",
    "int64",
    "irfft",
    "irfft2",
    "irfftn",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "kernel",
    "less",
    "less_equal",
    "linspace",
    "local_id",
    "local_size",
    "log",
    "log1p",
    "log2",
    "log10",
    "matmul",
    "max",
    "maximum",
    "mean",
    "memory_stats",
    "min",
    "minimum",
    "moveaxis",
    "multiply",
    "nonzero",
    "not_equal",
    "num_groups",
    "ones",
    "ones_like",
    "outer",
    "pinned_memory_stats",
    "plugins",
    "pow",
    "power",
    "private_array",
    "real",
    "remainder",
    "reset_peak_memory_stats",
    "reshape",
    "rfft",
    "rfft2",
    "rfftn",
    "rsqrt",
    "saxpy",
    "set_default_device",
    "set_memory_limit",
    "shared_array",
    "sin",
    "sinh",
    "sort",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "synchronize",
    "take_along_axis",
    "tan",
    "tanh",
    "transpose",
    "trunc",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "var",
    "where",
    "zeros",
    "zeros_like",
]
