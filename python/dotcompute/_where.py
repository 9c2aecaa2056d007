# python/dotcompute/_where.py
# dc.where(condition, x, y): numpy's where on the device.
"""``dc.where(condition, x, y)``: x's element where the condition holds, else y's, as
``numpy.where``: the three broadcast together, x and y are dc arrays or numbers whose dtypes
combine by numpy's ``result_type`` (a Python number is weak, NEP 50), and the condition counts
as its elements' truth (``!= 0``, converted on the device unless it is bool). It runs the
kernels of ``algorithm_kernels/select.py`` on the condition's device, on the current stream,
and is recorded inside ``dc.capture``. ``dc.where(condition)`` alone is ``dc.nonzero``
(``_nonzero.py``).
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._astype import astype
from ._elementwise import is_scalar
from ._nonzero import nonzero
from ._shapes import fitting_operands
from .errors import DeviceError, DTypeError, InvalidArgumentError, ShapeError


def where(condition, x=None, y=None) -> _core.Array | tuple[_core.Array, ...]:
    """Elements of x where condition is true, else of y (numpy's ``where``); with the condition
    alone, ``dc.nonzero(condition)``.

    >>> v = dc.asarray(np.array([-2.0, 3.0, -1.0]))
    >>> dc.where(v > 0, v, 0.0).tolist()
    [0.0, 3.0, 0.0]
    """
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise InvalidArgumentError("where takes x and y together, or neither (numpy's nonzero)")
    if not isinstance(condition, _core.Array):
        raise DTypeError(
            f"where: condition must be a dc array, got {type(condition).__name__} (convert "
            "with dc.asarray)"
        )
    for name, value in (("x", x), ("y", y)):
        if not (isinstance(value, _core.Array) or is_scalar(value)):
            raise DTypeError(
                f"where: {name} must be a dc array or a number, got {type(value).__name__} "
                "(convert with dc.asarray)"
            )
        if isinstance(value, _core.Array) and value.device != condition.device:
            raise DeviceError(
                f"where: {name} is on '{value.device.spec}', the condition on "
                f"'{condition.device.spec}'; move one with .to(device)"
            )
    arrays = [v for v in (condition, x, y) if isinstance(v, _core.Array)]
    try:
        shape = tuple(np.broadcast_shapes(*(v.shape for v in arrays)))
    except ValueError:
        shapes = ", ".join(str(v.shape) for v in arrays)
        raise ShapeError(f"where: shapes {shapes} do not broadcast") from None
    dtype = np.result_type(*(v.dtype if isinstance(v, _core.Array) else v for v in (x, y)))
    device = condition.device
    out = _core.empty(shape, dtype, device)
    if out.size == 0:
        return out
    truth = condition if condition.dtype == np.bool_ else astype(condition, np.bool_)
    x, y = (_operand(v, dtype, device) for v in (x, y))
    _run(truth, x, y, out)
    return out


def _operand(value, dtype: np.dtype, device: _core.Device) -> _core.Array:
    if isinstance(value, _core.Array):
        return value if value.dtype == dtype else astype(value, dtype)
    return _core.full((1,), value, dtype, device)


def _run(condition: _core.Array, x: _core.Array, y: _core.Array, out: _core.Array) -> None:
    from .algorithm_kernels import broadcast, select  # defined on first use (_algorithm_paths)

    try:
        select.run(condition, x, y, out)
    except broadcast.TooManyDimensionsError:  # Note [Wide broadcasts] in _shapes.py
        select.run(*fitting_operands(out.shape, [condition, x, y]), out)
