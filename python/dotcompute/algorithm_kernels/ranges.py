# python/dotcompute/algorithm_kernels/ranges.py
# The fills behind dc.arange and dc.linspace (python/dotcompute/_ranges.py says what they compute).
"""Kernels writing evenly spaced values the way numpy's arange and linspace compute them."""

from __future__ import annotations

import dotcompute as dc


@dc.kernel
def arange_floats(ends: dc.Array, out: dc.Array):
    """out[i] = ends[0] + i * (ends[1] - ends[0]) in out's dtype; ends[1] itself at 1."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        if i < 2:
            out[i] = ends[i]
        else:
            out[i] = out.dtype(ends[0] + out.dtype(i) * (ends[1] - ends[0]))


@dc.kernel
def arange_integers(ends: dc.Array, out: dc.Array):
    """As arange_floats, in int64 (so narrower types wrap as numpy's)."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        first = dc.int64(ends[0])
        out[i] = out.dtype(first + i * (dc.int64(ends[1]) - first))


@dc.kernel
def linspace_fill(
    start: dc.float64, step: dc.float64, stop: dc.float64, last_is_stop: dc.bool_,
    floored: dc.bool_, out: dc.Array,
):  # fmt: skip
    """out[i] = i * step + start in float64, stop itself at the last index of an endpoint run,
    floored first for integer dtypes (``floored``), as numpy's."""
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        value = dc.float64(i) * step + start
        if last_is_stop and i == n - 1:
            value = stop
        out[i] = out.dtype(dc.floor(value) if floored else value)
