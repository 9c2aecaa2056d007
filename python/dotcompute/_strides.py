# python/dotcompute/_strides.py
# Element strides of contiguous arrays, read as themselves or broadcast to a larger shape:
# shared by broadcasting (algorithm_kernels/broadcast.py), indexing and transposes.
"""Pure shape arithmetic, importable without defining any kernel."""

from __future__ import annotations

from .errors import ShapeError


def element_strides(shape: tuple[int, ...], operand: tuple[int, ...]) -> list[int]:
    """The operand's element stride along each dimension of the result's shape, 0 where it is
    broadcast (its extent 1, or the dimension missing on its left)."""
    padded = (1,) * (len(shape) - len(operand)) + tuple(operand)
    strides, step = [0] * len(shape), 1
    for d in reversed(range(len(shape))):
        strides[d] = step if padded[d] == shape[d] else 0
        step *= padded[d]
    return strides


def row_major(shape: tuple[int, ...]) -> list[int]:
    """The element strides of a contiguous array of shape."""
    return element_strides(shape, shape)


def broadcast_strides(shape: tuple[int, ...], target: tuple[int, ...]) -> list[int]:
    """element_strides of an array of shape read as target's shape; a ShapeError, numpy's
    words, where it does not broadcast to target (assignment's value)."""
    padded = (1,) * (len(target) - len(shape)) + tuple(shape)
    if len(padded) > len(target) or any(
        size not in (1, want) for size, want in zip(padded, target, strict=True)
    ):
        raise ShapeError(f"could not broadcast input array from shape {shape} into shape {target}")
    return element_strides(target, shape)
