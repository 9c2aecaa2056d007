# python/dotcompute/_methods.py
# numpy's ndarray methods on dc.Array that are the library's functions: x.sum(), x.max(axis=0),
# x.argmax(), x.cumsum(), x.ravel(), x.sort(), x.clip(lo, hi), ...
"""Methods of dc.Array that call the dc function of the same name with the array first, as
numpy's ndarray methods do (``x.sum(axis=0)`` is ``dc.sum(x, axis=0)``). Set on the class by
``install``. ``x.sort()`` sorts in place, as numpy's; ``x.ravel()`` is a view (dc arrays are
contiguous) and ``x.flatten()`` a copy, as numpy's.
"""

from __future__ import annotations

import numpy as np

from . import _core, _nonzero, algorithms
from ._operators import maximum, minimum


def _forward(function, name: str):
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``dc.{name}(x, ...)`` with x this array (numpy's ``ndarray.{name}``)."
    return method


def ravel(self: _core.Array) -> _core.Array:
    """The elements as one dimension: a view, as numpy's for a contiguous array."""
    return self.reshape((self.size,))


def flatten(self: _core.Array) -> _core.Array:
    """The elements as one dimension, copied."""
    return self.reshape((self.size,)).copy()


def sort(self: _core.Array, axis: int = -1) -> None:
    """Sorts the array in place along axis (stable, NaN last), as numpy's ``ndarray.sort``."""
    self[...] = algorithms.sort(self, axis)


def clip(self: _core.Array, min=None, max=None, out=None) -> _core.Array:
    """Elements limited to [min, max] (either may be None), as numpy's ``clip``: maximum with
    min, then minimum with max."""
    if min is None and max is None:
        raise ValueError("One of max or min must be given")
    min, max = _bound(self, min, True), _bound(self, max, False)
    if min is None and max is None:  # bounds beyond the dtype on their own sides
        if out is None:
            return self.copy()
        out[...] = self
        return out
    result = self
    if min is not None:
        result = maximum(result, min, out if max is None else None)
    if max is not None:
        result = minimum(result, max, out)
    return result


def _bound(self: _core.Array, value, lower: bool):
    """A clip bound as numpy 2 takes it: a Python int beyond an integer dtype's range on its
    own side (below the minimum for min) clips nothing, so None; one beyond the other side is
    numpy's OverflowError."""
    if type(value) is not int or self.dtype.kind not in "iu":
        return value
    info = np.iinfo(self.dtype)
    if value < info.min if lower else value > info.max:
        return None
    if not info.min <= value <= info.max:
        raise OverflowError(f"Python integer {value} out of bounds for {self.dtype}")
    return value


_FORWARDED = {
    "sum": algorithms.sum, "mean": algorithms.mean, "min": algorithms.min,
    "max": algorithms.max, "any": algorithms.any, "all": algorithms.all,
    "argmax": algorithms.argmax, "argmin": algorithms.argmin, "cumsum": algorithms.cumsum,
    "argsort": algorithms.argsort, "nonzero": _nonzero.nonzero, "var": algorithms.var,
    "std": algorithms.std,
}  # fmt: skip


def install(array_class: type) -> None:
    """Sets the methods on dc.Array."""
    for name, function in _FORWARDED.items():
        setattr(array_class, name, _forward(function, name))
    array_class.ravel = ravel
    array_class.flatten = flatten
    array_class.sort = sort
    array_class.clip = clip
