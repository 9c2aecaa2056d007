# python/dotcompute/algorithm_kernels/arg_extreme.py
# argmax and argmin along one axis of [outer, length, inner]: the position of the extreme.
"""``run(x, out, largest, outer, length, inner)``: out[o, c] = the position along the axis of
the largest (or smallest) of x[o, :, c]; the first of equal ones, and the first NaN where there
is one (numpy's argmax / argmin).

GPUs: each pass reduces [outer, length, inner] to [outer, parts, inner] pairs of (value,
position), and passes repeat over the pairs until one part is left (as Note [Reduction
segments] in reduce.py). Contiguous rows take a group per row segment (``arg_extreme_rows``:
strided reads, a tree in shared memory; two passes for 16M elements); other axes a work-item
per column and part, walking the axis with a stride of ``parts`` (``arg_extreme_columns``; at
least GPU_MIN_SEGMENT elements each, many work-items to keep loads in flight). Pairs combine
by value, then by position, so the order in which they meet does not matter.

Note [Extreme, then its first place]: on CPU devices a running (value, position) pair is a
chain the compiler does not vectorize: 16M float32 took 9.9 ms (20 ms with LANES running pairs
in a private array), numpy's hand-vectorized argmax 2.2 ms. There the extremes come from the
plugin's SIMD reduction (``dc.max`` / ``dc.min`` along the axis), and ``first_match`` finds the
first place of each: ``min(first, i if hit else length)`` is a loop gcc vectorizes. Contiguous
rows that split into whole ROW_SEGMENTs first reduce each segment, so only the first segment
that holds its row's extreme is searched (``first_match_in``): one read of the data instead of
two. 16M float32: 2.9 ms with the search over everything, about 1.7 ms by segments.

Loops run over a count with a unit step: a ``range`` with a step known only at run time tests
the step's sign on every iteration (23 ms against 9.9 for the running pair above).
"""

from __future__ import annotations

import numpy as np

import dotcompute as dc

from .. import _core
from .reduce import GROUP, TARGET_GROUPS, is_cpu_device

#: Work-items a pass aims for, and the fewest elements a work-item takes: CPU devices, and GPUs,
#: which need many loads in flight (65536 work-items of 256 elements: 16M float32 in 266 us on
#: an H100, CuPy's argmax 75 us).
TARGET_ITEMS = 65536
MIN_SEGMENT = 256
GPU_TARGET_ITEMS = 1 << 20
GPU_MIN_SEGMENT = 16
#: Elements each work-item of arg_extreme_rows reads at least (a group's segment: GROUP times).
ROW_GROUP_LOADS = 16
#: Elements of a contiguous row's segment on CPU devices (Note [Extreme, then its first place]).
ROW_SEGMENT = 4096


@dc.func
def better(v, k: dc.int64, best, at: dc.int64, largest: dc.bool_) -> dc.bool_:
    """Whether (v, k) replaces (best, at): a NaN beats any number, then the larger (smaller)
    value, then the earlier position."""
    v_nan = v != v
    best_nan = best != best
    wins = v < best
    if largest:
        wins = v > best
    earlier = k < at
    return (v_nan and (not best_nan or earlier)) or (
        not v_nan and not best_nan and (wins or (v == best and earlier))
    )


@dc.func
def place(w: dc.int64, inner: dc.int64, parts: dc.int64):
    """(row, part, column) of work-item w over [outer, parts, inner]."""
    rest = w // inner
    return rest // parts, rest % parts, w % inner


@dc.kernel
def arg_extreme_columns(
    x: dc.Array, positions_in: dc.Array[dc.int64], values: dc.Array,
    positions: dc.Array[dc.int64], length: dc.int64, inner: dc.int64, parts: dc.int64,
    first: dc.bool_, largest: dc.bool_, count: dc.int64,
):  # fmt: skip
    """GPUs, any axis: a work-item per (row, part, column) pair, walking the axis with a stride
    of parts. On the first pass the positions are the elements' own; later ones read them from
    positions_in."""
    w = dc.global_id(0)
    if w < count:
        o, p, c = place(w, inner, parts)
        base = o * length * inner + c
        best = x[base + p * inner]
        at = p
        if not first:
            at = positions_in[base + p * inner]
        for k in range(1, (length - p + parts - 1) // parts):
            i = p + k * parts
            v = x[base + i * inner]
            position = i
            if not first:
                position = positions_in[base + i * inner]
            if better(v, position, best, at, largest):
                best = v
                at = position
        slot = (o * parts + p) * inner + c
        values[slot] = best
        positions[slot] = at


@dc.kernel
def arg_extreme_rows(
    x: dc.Array, positions_in: dc.Array[dc.int64], values: dc.Array,
    positions: dc.Array[dc.int64], length: dc.int64, parts: dc.int64, segment: dc.int64,
    first: dc.bool_, largest: dc.bool_,
):  # fmt: skip
    """GPUs, contiguous rows: a group of GROUP work-items per row segment, reading it with a
    stride of GROUP (coalesced), then a tree of pairs in shared memory. On the first pass the
    positions are the elements' own; later ones read them from positions_in."""
    group_values = dc.shared_array(GROUP, x.dtype)
    group_positions = dc.shared_array(GROUP, dc.int64)
    lid = dc.local_id(0)
    o = dc.group_id(0) // parts
    g = dc.group_id(0) % parts
    begin = g * segment
    end = min(begin + segment, length)
    base = o * length
    best = x[base + begin]
    at = begin
    if not first:
        at = positions_in[base + begin]
    for k in range((end - begin - lid + GROUP - 1) // GROUP):
        i = begin + lid + k * GROUP
        v = x[base + i]
        position = i
        if not first:
            position = positions_in[base + i]
        if better(v, position, best, at, largest):
            best = v
            at = position
    group_values[lid] = best
    group_positions[lid] = at
    dc.barrier()
    s = GROUP // 2
    while s > 0:
        if lid < s and better(
            group_values[lid + s], group_positions[lid + s], group_values[lid],
            group_positions[lid], largest,
        ):  # fmt: skip
            group_values[lid] = group_values[lid + s]
            group_positions[lid] = group_positions[lid + s]
        dc.barrier()
        s //= 2
    if lid == 0:
        values[o * parts + g] = group_values[0]
        positions[o * parts + g] = group_positions[0]


@dc.kernel
def first_match(
    x: dc.Array, tops: dc.Array, firsts: dc.Array[dc.int64], length: dc.int64, inner: dc.int64,
    parts: dc.int64, segment: dc.int64, count: dc.int64,
):  # fmt: skip
    """The first position in the segment whose element equals its row's extreme (tops[o, c]),
    or is a NaN where the extreme is; length if there is none."""
    w = dc.global_id(0)
    if w < count:
        o, p, c = place(w, inner, parts)
        begin = p * segment
        end = min(begin + segment, length)
        top = tops[o * inner + c]
        unordered = top != top
        base = o * length * inner + c
        first = length
        for i in range(begin, end):
            v = x[base + i * inner]
            hit = (v == top) | (unordered & (v != v))
            first = min(first, i if hit else length)
        firsts[(o * parts + p) * inner + c] = first


@dc.kernel
def first_match_in(
    x: dc.Array, tops: dc.Array, segments: dc.Array[dc.int64], out: dc.Array[dc.int64],
    length: dc.int64, segment: dc.int64,
):  # fmt: skip
    """Contiguous rows: the first place of row o's extreme, searched in its segments[o]."""
    o = dc.global_id(0)
    if o < out.shape[0]:
        begin = segments[o] * segment
        top = tops[o]
        unordered = top != top
        base = o * length
        first = length
        for i in range(begin, begin + segment):
            v = x[base + i]
            hit = (v == top) | (unordered & (v != v))
            first = min(first, i if hit else length)
        out[o] = first


def run(
    x: _core.Array, out: _core.Array, largest: bool, outer: int, length: int, inner: int
) -> None:  # fmt: skip
    """out (int64, outer * inner elements) = the extreme's positions along the axis."""
    source = x.reshape((x.size,))
    if source.dtype == np.bool_:  # compared as 0 and 1
        source = _core._reinterpret(source, "uint8", source.shape)
    if is_cpu_device(x.device):
        _extreme_then_first(source, out, largest, outer, length, inner)
        return
    if inner == 1:
        _row_groups(source, out, largest, outer, length)
        return
    positions_in = out.reshape((out.size,))  # not read on the first pass
    first = True
    while True:
        parts = _parts(outer * inner, length, GPU_TARGET_ITEMS, GPU_MIN_SEGMENT)
        count = outer * parts * inner
        values = _core.empty((count,), source.dtype, x.device)
        positions = (
            out.reshape((count,)) if parts == 1 else _core.empty((count,), np.int64, x.device)
        )
        arg_extreme_columns[count](
            source, positions_in, values, positions, length, inner, parts, first, largest, count
        )
        if parts == 1:
            return
        source, positions_in, length, first = values, positions, parts, False


def _row_groups(
    source: _core.Array, out: _core.Array, largest: bool, outer: int, length: int
) -> None:  # fmt: skip
    """GPUs, contiguous rows: arg_extreme_rows passes until one part per row is left."""
    positions_in = out.reshape((out.size,))  # not read on the first pass
    first = True
    while True:
        parts = _parts(outer, length, TARGET_GROUPS, GROUP * ROW_GROUP_LOADS)
        segment = -(-length // parts)
        parts = -(-length // segment)  # no empty part at the end
        count = outer * parts
        values = _core.empty((count,), source.dtype, source.device)
        positions = (
            out.reshape((count,)) if parts == 1 else _core.empty((count,), np.int64, source.device)
        )
        arg_extreme_rows.launch(
            (count * GROUP,), source, positions_in, values, positions, length, parts, segment,
            first, largest, local_size=(GROUP,),
        )  # fmt: skip
        if parts == 1:
            return
        source, positions_in, length, first = values, positions, parts, False


def _parts(outputs: int, length: int, target: int, least: int) -> int:
    """Work-items per output: target in all, least elements each at least."""
    return max(1, min(-(-target // outputs), length // least))


def _extreme_then_first(
    source: _core.Array, out: _core.Array, largest: bool, outer: int, length: int, inner: int
) -> None:  # fmt: skip
    """CPU devices (Note [Extreme, then its first place])."""
    from ..algorithms import max as maximum
    from ..algorithms import min as minimum

    extreme = maximum if largest else minimum
    if inner == 1 and length % ROW_SEGMENT == 0 and length > ROW_SEGMENT:
        per_row = length // ROW_SEGMENT
        segment_tops = extreme(source.reshape((outer, per_row, ROW_SEGMENT)), axis=2)
        tops = extreme(segment_tops, axis=1)
        segments = _core.empty((outer,), np.int64, source.device)
        flat_tops = segment_tops.reshape((outer * per_row,))
        first_match[outer](flat_tops, tops, segments, per_row, 1, 1, per_row, outer)
        first_match_in[outer](source, tops, segments, out.reshape((outer,)), length, ROW_SEGMENT)
        return
    tops = extreme(source.reshape((outer, length, inner)), axis=1).reshape((outer * inner,))
    parts = _parts(outer * inner, length, TARGET_ITEMS, MIN_SEGMENT)
    segment = -(-length // parts)
    parts = -(-length // segment)  # no empty part at the end
    count = outer * parts * inner
    if parts == 1:
        first_match[count](source, tops, out.reshape((count,)), length, inner, 1, segment, count)
        return
    firsts = _core.empty((count,), np.int64, source.device)
    first_match[count](source, tops, firsts, length, inner, parts, segment, count)
    minimum(firsts.reshape((outer, parts, inner)), axis=1, out=out.reshape((outer, inner)))
