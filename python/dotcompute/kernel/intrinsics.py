# python/dotcompute/kernel/intrinsics.py
# The built-in functions of the kernel language: Python objects users call, and their IR meaning.
"""Intrinsics of the kernel language.

Inside a kernel the frontend recognizes these objects by identity (however they were imported):
the work-item queries (``dc.global_id(d)`` ...), ``dc.barrier()``, ``dc.shared_array``,
``dc.private_array``, the atomics,
the math functions (``dc.sqrt``, the same names from :mod:`math`, the matching numpy ufuncs, and
the builtins ``abs``, ``min``, ``max``), and the numpy scalar types as casts.

Outside kernels they are plain Python, so ``@dc.func`` functions run as Python too. The work-item
queries, ``barrier`` and ``shared_array`` then ask the *current work item*, set by the debug
runner (``DOTCOMPUTE_DEBUG=1``) with :func:`set_work_item`: any object with tuple attributes
``global_id, local_id, group_id, local_size, global_size, num_groups`` and methods
``barrier()`` and ``shared_array(shape, dtype)``. The atomics here are read-modify-writes under
a lock (the debug runner runs the work-items of a kernel with barriers as threads).
"""

from __future__ import annotations

import builtins
import functools
import math
import threading

import numpy as np

from .. import _core

WORK_ITEM_QUERIES = ("global_id", "local_id", "group_id", "local_size", "global_size", "num_groups")

# name -> (number of arguments, kind). "float": computes in a floating type (integer arguments
# convert, see promotion.float_type_for); "numeric": abs/min/max keep integer types;
# "predicate": isnan/isinf/isfinite, bool result.
MATH_FUNCTIONS: dict[str, tuple[int, str]] = {
    **{
        name: (1, "float")
        for name in [
            "sqrt",
            "rsqrt",
            "cbrt",
            "exp",
            "exp2",
            "expm1",
            "log",
            "log2",
            "log10",
            "log1p",
            "sin",
            "cos",
            "tan",
            "asin",
            "acos",
            "atan",
            "sinh",
            "cosh",
            "tanh",
            "asinh",
            "acosh",
            "atanh",
            "erf",
            "erfc",
            "floor",
            "ceil",
            "trunc",
            "fabs",
        ]
    },
    **{
        name: (2, "float") for name in ("atan2", "pow", "copysign", "hypot", "fmod", "fmin", "fmax")
    },
    "fma": (3, "float"),
    "abs": (1, "numeric"),
    "min": (2, "numeric"),
    "max": (2, "numeric"),
    "isnan": (1, "predicate"),
    "isinf": (1, "predicate"),
    "isfinite": (1, "predicate"),
}

ATOMIC_OPERATIONS = ("add", "sub", "min", "max", "exchange", "cas")


class _Current(threading.local):
    work_item: object | None = None


_current = _Current()


def set_work_item(work_item: object | None) -> None:
    """Make ``work_item`` answer the work-item queries on this thread (debug runner)."""
    _current.work_item = work_item


def _work_item(name: str):
    item = _current.work_item
    if item is None:
        raise RuntimeError(
            f"dc.{name}() only works inside a kernel, or while a kernel runs as Python "
            "(DOTCOMPUTE_DEBUG=1)"
        )
    return item


def global_id(dim: int = 0) -> int:
    """Index of this work-item in the whole launch along ``dim`` (0, 1 or 2)."""
    return _work_item("global_id").global_id[dim]


def local_id(dim: int = 0) -> int:
    """Index of this work-item in its work-group along ``dim``."""
    return _work_item("local_id").local_id[dim]


def group_id(dim: int = 0) -> int:
    """Index of this work-item's work-group along ``dim``."""
    return _work_item("group_id").group_id[dim]


def local_size(dim: int = 0) -> int:
    """Work-group size along ``dim``."""
    return _work_item("local_size").local_size[dim]


def global_size(dim: int = 0) -> int:
    """Launch size along ``dim``."""
    return _work_item("global_size").global_size[dim]


def num_groups(dim: int = 0) -> int:
    """Number of work-groups along ``dim``."""
    return _work_item("num_groups").num_groups[dim]


def barrier() -> None:
    """Wait until every work-item of the work-group reaches this barrier (kernels, and device
    functions, which are then inlined)."""
    _work_item("barrier").barrier()


def shared_array(shape, dtype):
    """Work-group-local scratch array of constant ``shape`` (kernels, and device functions,
    which are then inlined)."""
    return _work_item("shared_array").shared_array(shape, dtype)


def private_array(shape, dtype):
    """The work-item's own zeroed array of constant ``shape`` (kernels and device functions).

    Outside a compiled kernel (debug runs, device functions called as Python) it is a fresh
    ``np.zeros``: every call gives the caller its own array, as every work-item has its own."""
    return np.zeros(shape, dtype=dtype)


#: Work-items of a debug run with barriers are Python threads: the read-modify-write of the
#: atomics below holds this lock so it stays atomic there.
_atomic_lock = threading.Lock()


def _atomic(function):
    @functools.wraps(function)
    def locked(*args):
        with _atomic_lock:
            return function(*args)

    return locked


@_atomic
def atomic_add(array, index, value):
    """``array[index] += value`` atomically; returns the old value."""
    old = array[index]
    array[index] = old + value
    return old


@_atomic
def atomic_sub(array, index, value):
    """``array[index] -= value`` atomically; returns the old value."""
    old = array[index]
    array[index] = old - value
    return old


@_atomic
def atomic_min(array, index, value):
    """``array[index] = min(array[index], value)`` atomically; returns the old value."""
    old = array[index]
    array[index] = builtins.min(old, value)
    return old


@_atomic
def atomic_max(array, index, value):
    """``array[index] = max(array[index], value)`` atomically; returns the old value."""
    old = array[index]
    array[index] = builtins.max(old, value)
    return old


@_atomic
def atomic_exchange(array, index, value):
    """Store ``value`` in ``array[index]`` atomically; returns the old value."""
    old = array[index]
    array[index] = value
    return old


@_atomic
def atomic_cas(array, index, compare, value):
    """If ``array[index] == compare`` store ``value``, atomically; returns the old value."""
    old = array[index]
    if old == compare:
        array[index] = value
    return old


# Math, as plain Python on scalars (and numpy arrays) outside kernels.
sqrt, cbrt, exp, exp2, expm1 = np.sqrt, np.cbrt, np.exp, np.exp2, np.expm1
log, log2, log10, log1p = np.log, np.log2, np.log10, np.log1p
sin, cos, tan, asin, acos, atan = np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan
sinh, cosh, tanh, asinh, acosh, atanh = (
    np.sinh,
    np.cosh,
    np.tanh,
    np.arcsinh,
    np.arccosh,
    np.arctanh,
)
atan2, copysign, hypot, fmod, fmin, fmax = (
    np.arctan2,
    np.copysign,
    np.hypot,
    np.fmod,
    np.fmin,
    np.fmax,
)
floor, ceil, trunc, fabs, pow = np.floor, np.ceil, np.trunc, np.fabs, np.power
abs, min, max = np.abs, np.minimum, np.maximum
isnan, isinf, isfinite = np.isnan, np.isinf, np.isfinite


def rsqrt(x):
    """``1 / sqrt(x)``."""
    return 1 / np.sqrt(x)


def erf(x):
    """The error function."""
    return math.erf(x)


def erfc(x):
    """The complementary error function."""
    return math.erfc(x)


def fma(a, b, c):
    """``a * b + c`` rounded once."""
    return a * b + c


def reduce_or_min(*values, axis=None, keepdims=False, out=None):
    """``dc.min``: on one array, its smallest element (a reduction, as numpy's ``min``; along
    axes with ``axis=``, ``keepdims=``, ``out=``); on two or more numbers, the smallest of them
    as kernels compute it, so the same call works in a kernel, in a debug run and in plain
    Python."""
    if len(values) == 1 and isinstance(values[0], _core.Array):
        from .. import algorithms  # the algorithm library imports the kernel package

        return algorithms.min(values[0], axis, keepdims, out)
    if len(values) < 2:
        raise TypeError("dc.min takes one dc.Array (a reduction) or two or more numbers")
    result = values[0]
    for value in values[1:]:
        result = value if value < result else result  # Python's min: keeps a NaN first operand
    return result


def reduce_or_max(*values, axis=None, keepdims=False, out=None):
    """``dc.max``: the largest element of one array (along axes with ``axis=``, ``keepdims=``,
    ``out=``), or the largest of two or more numbers."""
    if len(values) == 1 and isinstance(values[0], _core.Array):
        from .. import algorithms

        return algorithms.max(values[0], axis, keepdims, out)
    if len(values) < 2:
        raise TypeError("dc.max takes one dc.Array (a reduction) or two or more numbers")
    result = values[0]
    for value in values[1:]:
        result = value if value > result else result
    return result


def _intrinsic_table() -> dict[object, tuple[str, str]]:
    """Python object -> (kind, name); kinds: query, barrier, shared_array, private_array,
    atomic, math."""
    table: dict[object, tuple[str, str]] = {}
    for name in WORK_ITEM_QUERIES:
        table[globals()[name]] = ("query", name)
    table[barrier] = ("barrier", "barrier")
    table[shared_array] = ("shared_array", "shared_array")
    table[private_array] = ("private_array", "private_array")
    for op in ATOMIC_OPERATIONS:
        table[globals()[f"atomic_{op}"]] = ("atomic", op)
    numpy_names = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2"}
    numpy_names |= {"asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh"}
    numpy_names |= {"pow": "power", "min": "minimum", "max": "maximum", "abs": "absolute"}
    module = globals()
    for name in MATH_FUNCTIONS:
        for obj in (
            module.get(name),
            getattr(math, name, None),
            getattr(np, numpy_names.get(name, name), None),
            getattr(builtins, name, None),
        ):
            if obj is not None:
                table[obj] = ("math", name)
    table[reduce_or_min] = ("math", "min")
    table[reduce_or_max] = ("math", "max")
    return table


INTRINSICS = _intrinsic_table()
