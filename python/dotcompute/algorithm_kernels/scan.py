# python/dotcompute/algorithm_kernels/scan.py
# Blocked inclusive scan along one axis of [outer, length, inner].
"""cumsum in three steps: each work-group scans GROUP elements of a row in shared memory and
writes its total; the totals (a [rows, blocks] array) are scanned the same way, recursively;
then every block but the first adds the inclusive total of the blocks before it."""

from __future__ import annotations

import dotcompute as dc

from .._dtypes import REAL_OF, dtype_name

GROUP = 256


@dc.func
def inclusive_group_scan(buffer, lid):
    """buffer[i] becomes buffer[0] + ... + buffer[i], one work-item an entry (Hillis-Steele;
    every work-item of the group calls it; inlined: Note [Inlined device functions])."""
    offset = dc.int64(1)
    while offset < buffer.shape[0]:  # uniform over the group
        value = buffer[lid]
        if lid >= offset:
            value += buffer[lid - offset]
        dc.barrier()
        buffer[lid] = value
        dc.barrier()
        offset *= 2


@dc.kernel
def scan_blocks(x: dc.Array, out: dc.Array, totals: dc.Array):
    """x, out: [outer, length, inner]; totals: [outer * inner, blocks, 1]."""
    buffer = dc.shared_array(GROUP, out.dtype)
    lid = dc.local_id(0)
    block = dc.group_id(0) % totals.shape[1]  # one dimension: Note [Flat grids] in reduce.py
    row = dc.group_id(0) // totals.shape[1]
    position = block * GROUP + lid
    length = x.shape[1]
    inner = x.shape[2]
    o = row // inner
    c = row % inner
    buffer[lid] = out.dtype(x[o, position, c]) if position < length else out.dtype(0)
    dc.barrier()
    inclusive_group_scan(buffer, lid)
    if position < length:
        out[o, position, c] = buffer[lid]
    if lid == GROUP - 1:
        totals[row, block, 0] = buffer[lid]


@dc.kernel
def add_block_offsets(out: dc.Array, scanned_totals: dc.Array):
    length = out.shape[1]
    inner = out.shape[2]
    position = dc.global_id(0) % length  # one dimension: Note [Flat grids] in reduce.py
    row = dc.global_id(0) // length
    block = position // GROUP
    if block == 0:
        return
    o = row // inner
    c = row % inner
    out[o, position, c] += scanned_totals[row, block - 1, 0]


def _scan(x: dc.Array, out: dc.Array) -> None:
    outer, length, inner = x.shape
    rows = outer * inner
    blocks = -(-length // GROUP)
    totals = dc.empty((rows, blocks, 1), dtype=out.dtype, device=out.device)
    scan_blocks.launch((rows * blocks * GROUP,), x, out, totals, local_size=(GROUP,))
    if blocks > 1:
        scanned = dc.empty((rows, blocks, 1), dtype=out.dtype, device=out.device)
        _scan(totals, scanned)
        add_block_offsets.launch((rows * length,), out, scanned)


def run_cumsum(x: dc.Array, out: dc.Array, outer: int, length: int, inner: int) -> None:
    """Inclusive prefix sums of x along the middle axis of [outer, length, inner] into out."""
    real = REAL_OF.get(dtype_name(x.dtype))
    if real is not None:  # complex: the real and imaginary parts are two interleaved scans
        from .. import _core

        x = _core._reinterpret(x, real, (outer, length, 2 * inner))
        out = _core._reinterpret(out, real, (outer, length, 2 * inner))
        _scan(x, out)
        return
    _scan(x.reshape((outer, length, inner)), out.reshape((outer, length, inner)))
