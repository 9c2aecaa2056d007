# python/dotcompute/kernel/annotations.py
# Kernel parameter annotations: ``dc.Array[dtype, ndim]`` and the mapping of annotations to types.
"""Annotations of kernel parameters.

``dc.Array`` is the native array class; :func:`install` gives it a ``__class_getitem__`` so that
``dc.Array[dc.float32]`` and ``dc.Array[dc.float32, 2]`` make an :class:`ArrayAnnotation`.
A bare ``dc.Array`` means a generic array whose element type comes at launch.

:func:`to_kernel_type` turns an annotation object into a kernel type. Accepted: numpy scalar
types (``dc.float32`` is ``np.float32``), ``np.dtype`` objects, the strings ``"float32"``,
``"Array"``, ``"Array[float32]"``, ``"Array[float32, 2]"``, the Python types ``int``
(int64), ``float`` (float64) and ``bool``.
"""

from __future__ import annotations

import numpy as np

from .types import SCALAR_TYPES, ArrayType, ScalarType

_PYTHON_TYPES = {int: "int64", float: "float64", bool: "bool"}


class ArrayAnnotation:
    """What ``dc.Array[dtype]`` or ``dc.Array[dtype, ndim]`` evaluates to."""

    __slots__ = ("dtype", "ndim")

    def __init__(self, dtype: ScalarType | None, ndim: int | None) -> None:
        self.dtype = dtype
        self.ndim = ndim

    def __repr__(self) -> str:
        inner = str(self.dtype or "generic") + (f", {self.ndim}" if self.ndim else "")
        return f"dc.Array[{inner}]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArrayAnnotation) and (self.dtype, self.ndim) == (
            other.dtype,
            other.ndim,
        )

    def __hash__(self) -> int:
        return hash((self.dtype, self.ndim))


class AnnotationError(TypeError):
    """An annotation is not a kernel type; the frontend adds the source location."""


def scalar_type(obj: object) -> ScalarType:
    """The kernel scalar type named by a numpy type, dtype or string; AnnotationError else."""
    if isinstance(obj, ScalarType):
        return obj
    if obj in _PYTHON_TYPES:
        return SCALAR_TYPES[_PYTHON_TYPES[obj]]
    try:
        dtype = np.dtype(obj)  # type: ignore[call-overload]
    except TypeError:
        raise AnnotationError(f"{obj!r} is not a kernel element type") from None
    if dtype.kind == "c":
        raise AnnotationError(
            f"complex dtype {dtype} is not a kernel type; pass the real and imaginary parts as "
            "two float arrays (e.g. x.real and x.imag)"
        )
    if dtype.name not in SCALAR_TYPES:
        raise AnnotationError(f"dtype {dtype} is not a kernel type")
    return SCALAR_TYPES[dtype.name]


def array_class_getitem(cls: type, item: object) -> ArrayAnnotation:
    """``dc.Array[dtype]`` / ``dc.Array[dtype, ndim]``."""
    ndim = None
    if isinstance(item, tuple):
        if len(item) != 2 or not isinstance(item[1], int) or not 1 <= item[1] <= 8:
            raise TypeError("use dc.Array[dtype] or dc.Array[dtype, ndim] with ndim 1 to 8")
        item, ndim = item
    try:
        dtype = None if item is None else scalar_type(item)
    except AnnotationError as error:
        raise TypeError(str(error)) from None
    return ArrayAnnotation(dtype, ndim)


def install(array_class: type) -> None:
    """Give the native array class its ``__class_getitem__`` (idempotent)."""
    array_class.__class_getitem__ = classmethod(array_class_getitem)  # type: ignore[attr-defined]


def _array_class() -> type:
    from .. import _core

    return _core.Array


def _parse_string(text: str) -> ScalarType | ArrayAnnotation:
    # Annotations under `from __future__ import annotations` that were not resolvable as
    # expressions: accept the bare spellings "float32", "Array", "Array[float32, 2]".
    text = text.strip()
    for prefix in ("dc.", "dotcompute.", "np.", "numpy."):
        text = text.removeprefix(prefix)
    if text == "Array":
        return ArrayAnnotation(None, None)
    if text.startswith("Array[") and text.endswith("]"):
        parts = [p.strip() for p in text[6:-1].split(",")]
        dtype = scalar_type(_strip_module(parts[0]))
        ndim = int(parts[1]) if len(parts) == 2 and parts[1].isdigit() else None
        if len(parts) > 2 or (len(parts) == 2 and ndim is None):
            raise AnnotationError(f"cannot read annotation {text!r}")
        return ArrayAnnotation(dtype, ndim)
    return scalar_type(_strip_module(text))


def _strip_module(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def to_kernel_type(annotation: object) -> ScalarType | ArrayType:
    """The kernel type an annotation object stands for; ArrayType ndim 0 means 'not given'
    (the frontend infers it). Raises AnnotationError."""
    if isinstance(annotation, ArrayAnnotation):
        return ArrayType(annotation.dtype, annotation.ndim or 0)
    if isinstance(annotation, str):
        parsed = _parse_string(annotation)
        return to_kernel_type(parsed)
    if isinstance(annotation, type) and annotation is _array_class():
        return ArrayType(None, 0)
    if isinstance(annotation, np.ndarray | list | tuple):
        raise AnnotationError(f"{type(annotation).__name__} is not a kernel type")
    return scalar_type(annotation)


install(_array_class())
