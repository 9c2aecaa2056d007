# python/dotcompute/algorithm_kernels/sort.py
# Stable merge sort by ranks, along one axis of [outer, length, inner].
"""Note [Merge by rank]: pass w merges neighbouring sorted runs of w elements. An element of a
left run lands at its offset in the run plus the number of right-run elements strictly less
than it; an element of a right run at its offset plus the number of left-run elements less than
or equal to it. Ties therefore keep the left (earlier) element first, so the sort is stable, and
every element finds its place by a binary search of its own: one work-item per element, no
barriers, ceil(log2(length)) passes. NaN counts as larger than every number and equal to
other NaNs (numpy's order); -0.0 equals 0.0.
"""

from __future__ import annotations

import dotcompute as dc

from .._dtypes import dtype_name


@dc.func
def ordered_before(a, b) -> bool:
    """a < b in numpy's sort order: NaN after every number."""
    return a < b or (b != b and a == a)


@dc.kernel
def sort_init(x: dc.Array, keys: dc.Array, index: dc.Array):
    p = dc.global_id(0) % x.shape[1]  # one dimension: Note [Flat grids] in reduce.py
    row = dc.global_id(0) // x.shape[1]
    inner = x.shape[2]
    o = row // inner
    c = row % inner
    keys[o, p, c] = x[o, p, c]
    index[o, p, c] = p


@dc.kernel
def merge_pass(
    keys: dc.Array, index: dc.Array, keys_out: dc.Array, index_out: dc.Array, width: int
):
    length = keys.shape[1]
    inner = keys.shape[2]
    p = dc.global_id(0) % length  # one dimension: Note [Flat grids] in reduce.py
    row = dc.global_id(0) // length
    o = row // inner
    c = row % inner
    key = keys[o, p, c]
    start = (p // (2 * width)) * 2 * width
    left = p - start < width
    lo = start + width if left else start
    hi = min(start + 2 * width, length) if left else start + width
    own = p - start if left else p - start - width
    while lo < hi:
        mid = (lo + hi) // 2
        other = keys[o, mid, c]
        goes_before = ordered_before(other, key) if left else not ordered_before(key, other)
        if goes_before:
            lo = mid + 1
        else:
            hi = mid
    first = start + width if left else start
    destination = start + own + (lo - first)
    keys_out[o, destination, c] = key
    index_out[o, destination, c] = index[o, p, c]


# Rows at least this long sort by radix passes (radix_sort.py) when their dtype allows; the merge
# passes cost log2(length) binary searches per element, the radix passes a fixed count.
RADIX_MIN_LENGTH = 4096


def run_sort(x: dc.Array, values, indices, outer: int, length: int, inner: int) -> None:
    """Sorts x along the middle axis of [outer, length, inner] into values and/or indices."""
    from .radix_sort import RADIX_DTYPES, radix_sort_rows

    if inner == 1 and length >= RADIX_MIN_LENGTH and dtype_name(x.dtype) in RADIX_DTYPES:
        radix_sort_rows(x, values, indices, outer, length)
        return
    shape = (outer, length, inner)
    rows = outer * inner
    device = x.device
    keys = [dc.empty(shape, dtype=x.dtype, device=device) for _ in range(2)]
    index = [dc.empty(shape, dtype="int64", device=device) for _ in range(2)]
    sort_init.launch((rows * length,), x.reshape(shape), keys[0], index[0])
    width, current = 1, 0
    while width < length:
        merge_pass.launch(
            (rows * length,),
            keys[current],
            index[current],
            keys[1 - current],
            index[1 - current],
            width,
        )
        current = 1 - current
        width *= 2
    if values is not None:
        _copy(keys[current], values.reshape(shape))
    if indices is not None:
        _copy(index[current], indices.reshape(shape))


@dc.kernel
def copy_elements(src: dc.Array, dst: dc.Array):
    i = dc.global_id(0)
    if i < dst.shape[0]:
        dst[i] = src[i]


def _copy(src: dc.Array, dst: dc.Array) -> None:
    copy_elements[dst.size](src.reshape((src.size,)), dst.reshape((dst.size,)))
