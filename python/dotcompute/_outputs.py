# python/dotcompute/_outputs.py
# out= of the algorithms: checks, and the write through a temporary where out cannot take the
# result directly.
"""``out=`` for dc.matmul, dc.sum/min/max/mean and dc.cumsum, with numpy's rules (also of the
operations with a number, _scalar_operands.py, and of numpy's ufuncs, _ufuncs.py).

The result goes straight into ``out`` when it has the result's dtype and shares no memory with
an input (the core and the plugin slots or generated kernels write it there). Otherwise the
result is computed into a temporary and converted into ``out`` on the device with a kernel, so
that an in-place ``dc.cumsum(x, out=x)`` or a float64 sum into a float32 array work as in numpy,
and inside ``dc.capture`` the write is recorded like the rest. ``casting`` is numpy's rule for
the operation: "unsafe" for reductions and scans, "same_kind" for matmul.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._astype import convert_into
from .errors import DeviceError, DTypeError, InvalidArgumentError, ShapeError


def direct_out(
    out,
    shape: tuple[int, ...],
    dtype: np.dtype,
    device: _core.Device,
    inputs: tuple[_core.Array, ...],
    operation: str,
    casting: str,
) -> _core.Array | None:
    """Checks ``out`` against the result (shape, dtype, device); returns it when the result can
    be written into it directly, None when there is no out= or it needs a temporary."""
    if out is None:
        return None
    if not isinstance(out, _core.Array):
        raise InvalidArgumentError(f"{operation}: out must be a dc.Array, got {type(out).__name__}")
    if out.device != device:
        raise DeviceError(
            f"{operation}: out is on '{out.device.spec}' but the result is on '{device.spec}'"
        )
    if out.shape != shape:
        raise ShapeError(f"{operation}: out has shape {out.shape}, the result has shape {shape}")
    if out.readonly:
        raise InvalidArgumentError(f"{operation}: out is read-only")
    if out.dtype != dtype and not np.can_cast(dtype, out.dtype, casting):
        raise DTypeError(
            f"{operation}: cannot write a {dtype} result into out of dtype {out.dtype} "
            f"(casting rule {casting!r})"
        )
    if out.dtype != dtype or any(_core._shares_memory(out, x) for x in inputs):
        return None
    return out


def written_to(out, result: _core.Array) -> _core.Array:
    """The call's return value: result without out=, else out, after converting result into it
    when it went through a temporary."""
    if out is None or _core._shares_memory(out, result):
        return result if out is None else out
    convert_into(result, out)
    return out
