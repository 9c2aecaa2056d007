# python/dotcompute/_dtypes.py
# The name of an array's dtype without numpy's slow str(dtype).
"""``dtype_name(x.dtype)``: "float32" and the like, for code on the launch path.

``str(np.dtype)`` and ``np.dtype.name`` are computed in Python by numpy (about 5 and 3.5 us
each); a dictionary keyed by the dtype object answers in about 0.15 us. The algorithm fronts
look the name up on every call, several times for some, so the difference shows on small
arrays (``dc.mean`` of 16K float32 spent a third of its time there).
"""

from __future__ import annotations

import numpy as np

_ARRAY_DTYPES = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
)  # fmt: skip
_NAMES = {np.dtype(name): name for name in _ARRAY_DTYPES}

#: The numpy dtypes a dc.Array can hold.
ARRAY_DTYPES = frozenset(_NAMES)


#: The real dtype of each complex one (a complex element is two of them) and back.
REAL_OF = {"complex64": "float32", "complex128": "float64"}
COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


def dtype_name(dtype: np.dtype) -> str:
    """The dtype's numpy name, e.g. "float32" (any dtype; the 14 array dtypes are the fast ones)."""
    name = _NAMES.get(dtype)
    return name if name is not None else str(dtype)
