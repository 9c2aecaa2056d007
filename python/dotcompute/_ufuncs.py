# python/dotcompute/_ufuncs.py
# numpy's ufunc protocol (__array_ufunc__) for dc arrays: np.sqrt(x), dc.exp(x), np.add(x, y),
# np.float32(2) * x run on the array's device.
"""``Array.__array_ufunc__``: numpy calls it for every ufunc with a dc array among its operands.

Calls that dotcompute runs on the device, returning dc arrays:
- the math ufuncs of ``algorithm_kernels/unary.py`` (``np.sqrt``, ``dc.exp`` and the others,
  ``np.absolute``, ``np.isnan``/``isinf``/``isfinite``) on one real dc array, with numpy's result
  dtype (``np.sqrt`` of int32 is float64: the array is converted first, on the device);
- ``np.isnan``, ``np.isinf``, ``np.isfinite`` and ``np.absolute`` of complex arrays, from
  their parts; ``np.floor``, ``np.ceil``, ``np.trunc`` of integers are the integers (numpy 2);
- ``np.negative``, ``np.invert``, ``np.conjugate`` (``_complex_parts.py``), and the binary
  ufuncs of ``_elementwise.py`` (``np.add`` ... ``np.floor_divide``, ``np.remainder``,
  ``np.power``, ``np.maximum``/``minimum``, the bitwise ones, the comparisons) on dc arrays
  and numbers, which are dc's own operations (numpy's dtypes, broadcasting, NEP 50 numbers);
- with ``out=`` a dc array, converted into when its dtype differs (numpy's same_kind rule).

Everything else (other ufuncs, ``reduce``/``accumulate``, other complex math, ``where=``,
``dtype=``, numpy arrays among the operands) goes to numpy as before this protocol existed:
each dc array through ``np.asarray`` (a zero-copy view on the CPU; device memory is a
BufferError that says to copy with ``x.numpy()``) and a numpy result. So ``ndarray + x`` and
``np.power(x, 2)`` behave as they always did.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _core
from ._astype import astype
from ._complex_parts import conj, pairs
from ._elementwise import UFUNCS, apply, is_scalar
from ._operators import function, invert, negative
from ._outputs import direct_out, written_to
from .errors import InvalidArgumentError

#: The binary ufuncs dc runs, by their operation's name.
_BINARY = {ufunc: name for name, ufunc in UFUNCS.items()}
#: Math ufuncs that give integers (and bools) back unchanged, as numpy 2's do (through a float
#: they would round 2^32 - 2 or 2^63 - 1).
_IDENTITY_ON_INTEGERS = frozenset((np.floor, np.ceil, np.trunc))


def _conjugate(x: _core.Array) -> _core.Array:
    """np.conjugate: numpy's has no bool loop and gives int8 for bools."""
    return astype(x, np.int8) if x.dtype == np.bool_ else conj(x)


_UNARY_OPERATORS = {np.negative: negative, np.invert: invert, np.conjugate: _conjugate}


@functools.cache
def _result_dtype(ufunc: np.ufunc, dtype: np.dtype) -> np.dtype:
    """The dtype numpy's ufunc gives for one operand of dtype (numpy decides, on one element;
    arctanh(1) and the like warn, which does not matter here)."""
    with np.errstate(all="ignore"):
        return ufunc(np.ones(1, dtype)).dtype


def array_ufunc(self, ufunc: np.ufunc, method: str, *inputs, **kwargs):
    """numpy's entry point (bound as Array.__array_ufunc__)."""
    if method == "__call__" and set(kwargs) <= {"out"}:
        out = _single_out(kwargs.get("out"))
        if out is not NotImplemented:
            result = _on_device(ufunc, inputs, out)
            if result is not NotImplemented:
                return result
    return _with_numpy(ufunc, method, inputs, kwargs)


def absolute(self) -> _core.Array:
    """abs(x) (Array.__abs__): np.absolute, which comes back through array_ufunc."""
    return np.absolute(self)


def _single_out(out):
    """out= as one dc array or None; NotImplemented for anything else (numpy's to handle)."""
    if out is None:
        return None
    if len(out) == 1 and isinstance(out[0], _core.Array):
        return out[0]
    return NotImplemented


def _on_device(ufunc: np.ufunc, inputs: tuple, out: _core.Array | None):
    """The call run by dotcompute, or NotImplemented where numpy keeps it."""
    # numpy's scalars compare (np.float32(2) < x) by turning themselves into 0-d arrays.
    inputs = tuple(x[()] if isinstance(x, np.ndarray) and x.ndim == 0 else x for x in inputs)
    if not all(isinstance(x, _core.Array) or is_scalar(x) for x in inputs):
        return NotImplemented
    if ufunc in _BINARY:
        a, b = inputs
        return function(_BINARY[ufunc], a, b, out)
    from .algorithm_kernels import unary  # defined on first use (_algorithm_paths)

    x = inputs[0]
    if not isinstance(x, _core.Array):
        return NotImplemented
    if ufunc in _UNARY_OPERATORS:
        name = ufunc.__name__
        direct_out(out, x.shape, x.dtype, x.device, (), name, "same_kind")  # the checks
        return written_to(out, _UNARY_OPERATORS[ufunc](x))
    if x.dtype.kind == "c":
        return _complex_function(ufunc, x, out)
    if ufunc not in unary.FUNCTIONS:
        return NotImplemented
    if ufunc in _IDENTITY_ON_INTEGERS and x.dtype.kind in "biu":
        target = direct_out(out, x.shape, x.dtype, x.device, (), ufunc.__name__, "same_kind")
        if target is None:
            return written_to(out, x.copy())
        _core._copy_into(target, x)
        return written_to(out, target)
    dtype = _result_dtype(ufunc, x.dtype)
    target = direct_out(out, x.shape, dtype, x.device, (), ufunc.__name__, "same_kind")
    source = x if x.dtype == dtype or dtype.kind == "b" else astype(x, dtype)
    result = target if target is not None else _core.empty(x.shape, dtype, x.device)
    unary.run(ufunc, source, result)
    return written_to(out, result)


def _complex_function(ufunc: np.ufunc, x: _core.Array, out: _core.Array | None):
    """np.isnan / isinf / isfinite / absolute of complex x, from its parts on the device;
    NotImplemented for other complex math (the kernel language has no complex functions)."""
    from .algorithm_kernels import unary  # defined on first use (_algorithm_paths)
    from .algorithms import all as all_of
    from .algorithms import any as any_of

    if ufunc not in (np.isnan, np.isinf, np.isfinite, np.absolute):
        return NotImplemented
    parts_of_x = pairs(x)
    dtype = np.dtype(np.bool_) if ufunc is not np.absolute else parts_of_x.dtype
    direct_out(out, x.shape, dtype, x.device, (), ufunc.__name__, "same_kind")  # the checks
    if ufunc is np.isnan:
        return written_to(out, apply("not_equal", x, x))  # a NaN in either part
    if ufunc is np.absolute:
        result = _core.empty(x.shape, dtype, x.device)
        if x.size:
            modulus = unary.modulus_pairs[x.size]
            modulus(parts_of_x.reshape((x.size, 2)), result.reshape((x.size,)))
        return written_to(out, result)
    parts = _core.empty(parts_of_x.shape, dtype, x.device)
    unary.run(ufunc, parts_of_x, parts)
    reduce = any_of if ufunc is np.isinf else all_of  # either part infinite / both finite
    return written_to(out, reduce(parts, axis=-1))


def _with_numpy(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict):
    """The call as numpy ran it before: dc arrays through __array__, a numpy result."""
    out = kwargs.get("out")
    if out is not None and any(isinstance(x, _core.Array) for x in out):
        host = all(x.device.backend == "cpu" for x in out if isinstance(x, _core.Array))
        if not host:
            raise InvalidArgumentError(
                f"numpy's {ufunc.__name__} cannot write into a device array; write into a "
                "numpy array and copy it with dc.copyto"
            )
        kwargs = {**kwargs, "out": tuple(_host(x) for x in out)}
    converted = [_host(x) for x in inputs]
    return getattr(ufunc, method)(*converted, **kwargs)


def _host(x):
    return np.asarray(x) if isinstance(x, _core.Array) else x
