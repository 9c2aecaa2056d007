# python/dotcompute/_index_keys.py
# A key of x[key] as a list of items, one per axis it consumes: what basic and advanced
# indexing (_indexing.py, _advanced_indexing.py) both start from.
"""``expand(key, ndim, device)``: the items of a key with ``...`` replaced by whole slices and
numpy's IndexErrors for malformed keys. An item is ``None`` (a new axis), a slice, an int, an
``IndexArray`` (an integer array, on the host or the array's device) or a ``Mask`` (a bool
array over as many axes as it has dimensions). A 0-d integer array counts as an integer, as in
numpy.
"""

from __future__ import annotations

import operator

import numpy as np

from . import _core
from .errors import UnsupportedError


class IndexArray:
    """An integer-array index of one axis: a numpy array of an integer dtype (checked on the
    host, then copied to the device) or a dc array of one on the indexed array's device."""

    consumed = 1

    def __init__(self, values: np.ndarray | _core.Array):
        self.values = values


class Mask:
    """A boolean-mask index of as many axes as it has dimensions, on the array's device."""

    def __init__(self, values: _core.Array):
        self.values = values
        self.consumed = values.ndim


class _Gap:
    """An Ellipsis that stood for no axes in a key with integer arrays or masks. numpy decides
    whether advanced items are next to each other on the key as written, so such an Ellipsis
    still parts them (x[:, idx, ..., 0] of a 3-D x puts idx's dimensions first); the advanced
    path keeps it as a gap of no axes."""

    consumed = 0

    def __repr__(self) -> str:
        return "GAP"


GAP = _Gap()


def is_advanced(item) -> bool:
    return isinstance(item, IndexArray | Mask)


def expand(key, ndim: int, device: _core.Device) -> list:
    """The key's items, `...` replaced by whole slices and whole slices added for the axes the
    key leaves out; IndexErrors as numpy's."""
    items = list(key) if isinstance(key, tuple) else [key]
    normalized = [_item(item, device) for item in items]
    if sum(item is Ellipsis for item in normalized) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(_axes_consumed(item) for item in normalized)
    if used > ndim:
        raise IndexError(
            f"too many indices for array: array is {ndim}-dimensional, but {used} were indexed"
        )
    rest = [slice(None)] * (ndim - used)
    for at, item in enumerate(normalized):
        if item is Ellipsis:
            if not rest and any(is_advanced(other) for other in normalized):
                rest = [GAP]
            return normalized[:at] + rest + normalized[at + 1 :]
    return normalized + rest


def wrap_index(index: int, size: int, axis: int) -> int:
    """index counted from the end when negative; numpy's IndexError when out of range."""
    wrapped = index + size if index < 0 else index
    if not 0 <= wrapped < size:
        raise IndexError(f"index {index} is out of bounds for axis {axis} with size {size}")
    return wrapped


def _axes_consumed(item) -> int:
    if item is None or item is Ellipsis:
        return 0
    return item.consumed if is_advanced(item) else 1


def _item(item, device: _core.Device):
    if item is None or item is Ellipsis or isinstance(item, slice):
        return item
    if isinstance(item, bool | np.bool_):
        raise UnsupportedError(
            "indexing with a bool (numpy's 0-d boolean index) is not supported; use a bool array"
        )
    if isinstance(item, _core.Array | np.ndarray | list | tuple):
        return _array_item(item, device)
    try:
        return operator.index(item)
    except TypeError:
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), None and integer or boolean arrays "
            f"are valid indices, got {type(item).__name__}"
        ) from None


def _array_item(item, device: _core.Device):
    """A dc array key item as an IndexArray, a Mask, or an int (0-d integer arrays)."""
    if not isinstance(item, _core.Array):
        return _host_item(item, device)
    values = item if item.device == device else item.to(device)
    kind = _index_kind(values.dtype, values.ndim)
    if kind == "integer":
        return int(values.item())
    if kind == "mask":
        return Mask(values)
    return IndexArray(values)


def _host_item(item, device: _core.Device):
    """A numpy array, list or tuple key item, as _array_item's, copied to the device."""
    try:
        host = np.asarray(item)
    except ValueError as error:  # ragged lists
        raise IndexError(f"an index array must be rectangular: {error}") from None
    if isinstance(item, list | tuple) and host.size == 0:
        host = host.astype(np.int64)  # numpy reads [] as an empty integer index
    kind = _index_kind(host.dtype, host.ndim)
    if kind == "integer":
        return int(host)
    if kind == "mask":
        return Mask(_core._from_numpy(host, device, True))
    return IndexArray(host)


def _index_kind(dtype: np.dtype, ndim: int) -> str:
    """ "integer" (0-d integer: an int, as in numpy), "mask" or "array"; numpy's IndexError for
    other dtypes."""
    if dtype == np.bool_:
        if ndim == 0:
            raise UnsupportedError(
                "indexing with a 0-d bool array (numpy's 0-d boolean index) is not supported"
            )
        return "mask"
    if dtype.kind not in "iu":
        raise IndexError(
            f"arrays used as indices must be of integer (or boolean) type, got {dtype}"
        )
    return "integer" if ndim == 0 else "array"
