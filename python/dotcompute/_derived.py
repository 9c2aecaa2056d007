# python/dotcompute/_derived.py
# numpy functions composed of dc operations on the device: diff, outer, count_nonzero,
# argwhere, isclose, allclose.
"""Each is a few of dc's elementwise operations, reductions and selections, so it runs on every
backend and (but for ``argwhere`` and ``allclose``, which need a host count or answer) records
inside ``dc.capture``."""

from __future__ import annotations

import numpy as np

from . import _core
from ._algorithm_paths import as_array
from ._astype import astype
from ._axes import checked_axis
from ._elementwise import apply
from .errors import InvalidArgumentError


def diff(a, n: int = 1, axis: int = -1) -> _core.Array:
    """The n-th differences along axis (numpy's ``diff``; bools compare with ``!=``)."""
    x = as_array(a)
    if n < 0:
        raise InvalidArgumentError(f"order must be non-negative but got {n}")
    axis = checked_axis(axis, x.ndim, "diff")
    operation = "not_equal" if x.dtype == np.bool_ else "subtract"
    before = tuple(slice(None, -1) if d == axis else slice(None) for d in range(x.ndim))
    after = tuple(slice(1, None) if d == axis else slice(None) for d in range(x.ndim))
    for _ in range(n):
        x = apply(operation, x[after], x[before])
    return x


def outer(a, b) -> _core.Array:
    """Every element of a times every element of b, a (a.size, b.size) matrix (numpy's
    ``outer``)."""
    x, y = as_array(a), as_array(b)
    return apply("multiply", x.reshape((x.size, 1)), y.reshape((1, y.size)))


def count_nonzero(a, axis=None, keepdims: bool = False) -> _core.Array:
    """How many elements are not zero (numpy's ``count_nonzero``), an int64 array (0-d for
    axis=None, where numpy gives an int)."""
    from .algorithms import sum as total

    x = as_array(a)
    return total(apply("not_equal", x, x.dtype.type(0)), axis, keepdims)


def argwhere(a) -> _core.Array:
    """The indices of the elements that are not zero, one row each (numpy's ``argwhere``)."""
    from ._nonzero import nonzero
    from ._shapes import stack

    x = as_array(a)
    return stack(list(nonzero(x)), axis=1)


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Where a and b are equal within atol + rtol * |b| (numpy's ``isclose``: infinities only
    close to themselves, NaNs never unless equal_nan)."""
    x = as_array(a) if isinstance(a, _core.Array) else a
    y = b
    if isinstance(y, _core.Array) and y.dtype.kind not in "fc":
        y = astype(y, np.result_type(y.dtype, 1.0))
    distance = np.absolute(apply("subtract", x, y))
    if isinstance(y, _core.Array):
        allowed = apply("add", apply("multiply", np.absolute(y), rtol), atol)
    else:
        allowed = atol + rtol * abs(y)
    result = apply("bitwise_and", apply("less_equal", distance, allowed), np.isfinite(y))
    result = apply("bitwise_or", result, apply("equal", x, y))
    if equal_nan:
        both = apply("bitwise_and", np.isnan(x), np.isnan(y))
        result = apply("bitwise_or", result, both)
    return result


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element of a is close to b's (numpy's ``allclose``), a Python bool (a
    wait for the device)."""
    from .algorithms import all as every

    return bool(every(isclose(a, b, rtol, atol, equal_nan)).item())
