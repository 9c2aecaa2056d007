# python/dotcompute/_broadcasting.py
# The binary built-ins and Array operators on arrays of different shapes: numpy's broadcasting.
"""``dc.add(a, b)``, ``a - b`` and the rest when the shapes differ but broadcast (numpy's rules:
aligned on the right, each dimension equal or 1 in one of them), e.g. ``x - dc.mean(x, axis=0,
keepdims=True)``. The C++ built-ins take equal shapes; bind_ops.cpp sends any other pair here,
which checks as the built-ins do (one dtype, one device, the dtype's operations, the output)
and runs the kernels of ``algorithm_kernels/broadcast.py`` (Note [Broadcast layouts]). They are
kernels, so they run on every backend and are recorded inside ``dc.capture``.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._scalar_operands import check_operation
from .errors import DeviceError, DTypeError, InvalidArgumentError, ShapeError, UnsupportedError


def binary(op: str, a: _core.Array, b: _core.Array, out: _core.Array | None) -> _core.Array:
    """a (op) b for arrays whose shapes differ; into out when given (of the broadcast shape)."""
    from .algorithm_kernels import broadcast  # defined on first use (_algorithm_paths)

    try:
        shape = tuple(np.broadcast_shapes(a.shape, b.shape))
    except ValueError:
        raise ShapeError(
            f"{op}: input shapes {a.shape} and {b.shape} do not broadcast (aligned on the "
            "right, each dimension must be equal or 1 in one of them)"
        ) from None
    if a.dtype != b.dtype:
        raise DTypeError(
            f"{op}: input dtypes differ ({a.dtype} and {b.dtype}); convert one with .astype()"
        )
    if a.device != b.device:
        raise DeviceError(
            f"{op}: arrays are on different devices ('{a.device.spec}' and '{b.device.spec}'); "
            "move one with .to(device)"
        )
    check_operation(op, a.dtype)
    if out is None:
        out = _core.empty(shape, a.dtype, a.device)
    else:
        _check_output(op, out, shape, a)
    try:
        broadcast.run(op, a, b, out)
    except ValueError:
        raise UnsupportedError(
            f"{op}: broadcasting {a.shape} with {b.shape} needs more than "
            f"{broadcast.MAX_DIMENSIONS} dimensions that cannot be merged; reshape the "
            "operands so fewer dimensions alternate between broadcast and not"
        ) from None
    return out


def _check_output(op: str, out: _core.Array, shape: tuple[int, ...], a: _core.Array) -> None:
    if out.shape != shape:
        raise ShapeError(f"{op}: out has shape {out.shape}, the broadcast result has shape {shape}")
    if out.dtype != a.dtype:
        raise DTypeError(f"{op}: input and output dtypes differ ({a.dtype} and {out.dtype})")
    if out.device != a.device:
        raise DeviceError(f"{op}: out is on '{out.device.spec}', the inputs on '{a.device.spec}'")
    if out.readonly:
        raise InvalidArgumentError(f"{op}: the output array is read-only")
