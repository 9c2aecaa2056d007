# python/dotcompute/_axes.py
# Axis arguments of the algorithm fronts: checks in the core's words, tuples, splits.
"""Helpers for ``axis=`` of the reductions, scans, sorts and FFTs."""

from __future__ import annotations

import math

from .errors import InvalidArgumentError


def split(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    outer = math.prod(shape[:axis])
    inner = math.prod(shape[axis + 1 :])
    return outer, shape[axis], inner


def normalized_axis(axis: int, ndim: int) -> int:
    return axis + ndim if axis < 0 else axis


def checked_axis(axis, ndim: int, operation: str) -> int:
    """axis as a non-negative int, or InvalidArgumentError in the core's words."""
    axis = int(axis)
    if ndim == 0 or not -ndim <= axis < ndim:
        where = (
            "is out of range for a 0-d array; use axis=None"
            if ndim == 0
            else f"is out of range for an array of {ndim} dimensions; use -{ndim} to {ndim - 1}"
        )
        raise InvalidArgumentError(f"{operation}: axis {axis} {where}")
    return normalized_axis(axis, ndim)


def distinct_axes(axis, ndim: int, operation: str) -> tuple[int, ...]:
    """axis (an int, or a tuple or list of them) as non-negative axes in the order given;
    InvalidArgumentError for one out of range or repeated."""
    if not isinstance(axis, tuple | list):
        return (checked_axis(axis, ndim, operation),)
    axes = tuple(checked_axis(a, ndim, operation) for a in axis)
    repeated = next((a for a in axes if axes.count(a) > 1), None)
    if repeated is not None:
        raise InvalidArgumentError(
            f"{operation}: axis {repeated} appears twice in axis={tuple(axis)}"
        )
    return axes


def reduced_axes(axis, ndim: int, operation: str) -> tuple[int, ...] | None:
    """The axes a reduction folds, ascending, or None for all of them (axis=None)."""
    if axis is None:
        return None
    if isinstance(axis, tuple | list) and not axis:
        raise InvalidArgumentError(
            f"{operation}: axis=() reduces nothing; pass None (every axis) or at least one axis"
        )
    return tuple(sorted(distinct_axes(axis, ndim, operation)))
