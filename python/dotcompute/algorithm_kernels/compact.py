# python/dotcompute/algorithm_kernels/compact.py
# Stream compaction: the positions, or the values, of the elements whose flag is true, in
# order. Behind dc.nonzero and boolean-mask indexing.
"""``positions(flags)`` and ``values(flags, x)``: 1-D, in increasing order, on the flags'
device. The result's length is the number of true flags, read on the host (one
synchronization: it sizes the result).

Note [Compaction on GPUs and CPUs]: a GPU scans the flags (``dc.cumsum``: ``ends[g]`` true flags
in ``flags[0..g]``) and a work-item per element writes a true one to slot ``ends[g] - 1``:
every slot is written by one work-item, reads and writes are coalesced, no atomics. On a CPU
device that per-element kernel is a branch per element and a scattered store the compiler
cannot vectorize, after a scan that writes 8 bytes per flag. There a work-item takes a CHUNK of
elements: one kernel counts each chunk's true flags, the counts are scanned, and a second walks
its chunk writing every element at the next slot and moving on only past true ones (no branch
on the flag; the guard against writing into the next chunk's slots is taken only at the
chunk's end). CPU, 16M float32 with half the flags true: positions 40.8 -> 10.7 ms, values
41.0 -> 8.2 ms (numpy's flatnonzero 14.4 ms, x[mask] 79 ms). The chunk counts vectorize because
the C generator stores bool elements as uint8_t: gcc vectorizes no sum of C bools loaded from
memory (1.6 -> 0.8 ms).
"""

from __future__ import annotations

import numpy as np

import dotcompute as dc

from .. import _core
from .reduce import is_cpu_device
from .strided import BITS

#: Elements a work-item walks on CPU devices (Note [Compaction on GPUs and CPUs]).
CHUNK = 8192


@dc.kernel
def compact_positions(
    flags: dc.Array[dc.bool_], ends: dc.Array[dc.int64], out: dc.Array[dc.int64], count: dc.int64
):
    g = dc.global_id(0)
    if g < count and flags[g]:
        out[ends[g] - 1] = g


@dc.kernel
def compact_values(flags: dc.Array[dc.bool_], ends: dc.Array[dc.int64], x: dc.Array, out: dc.Array):
    g = dc.global_id(0)
    if g < flags.shape[0] and flags[g]:
        out[ends[g] - 1] = x[g]


@dc.kernel
def count_chunks(flags: dc.Array[dc.bool_], counts: dc.Array[dc.int64], chunk: dc.int64):
    w = dc.global_id(0)
    if w < counts.shape[0]:
        begin = w * chunk
        end = min(begin + chunk, flags.shape[0])
        total = dc.int32(0)  # a chunk's count fits; 32-bit lanes vectorize twice as wide
        for i in range(begin, end):
            total += dc.int32(flags[i])
        counts[w] = dc.int64(total)


@dc.func
def chunk_slots(w: dc.int64, ends: dc.Array[dc.int64], chunk: dc.int64, count: dc.int64):
    """(begin, end) of chunk w's elements and (first, last) of the slots its true ones take."""
    begin = w * chunk
    first = dc.int64(0)
    if w > 0:
        first = ends[w - 1]
    return begin, min(begin + chunk, count), first, ends[w]


@dc.kernel
def chunk_positions(
    flags: dc.Array[dc.bool_], ends: dc.Array[dc.int64], out: dc.Array[dc.int64],
    chunk: dc.int64,
):  # fmt: skip
    w = dc.global_id(0)
    if w < ends.shape[0]:
        begin, end, slot, last = chunk_slots(w, ends, chunk, flags.shape[0])
        for i in range(begin, end):
            if slot < last:
                out[slot] = i
            slot += dc.int64(flags[i])


@dc.kernel
def chunk_values(
    flags: dc.Array[dc.bool_], ends: dc.Array[dc.int64], x: dc.Array, out: dc.Array,
    chunk: dc.int64,
):  # fmt: skip
    w = dc.global_id(0)
    if w < ends.shape[0]:
        begin, end, slot, last = chunk_slots(w, ends, chunk, flags.shape[0])
        for i in range(begin, end):
            if slot < last:
                out[slot] = x[i]
            slot += dc.int64(flags[i])


def positions(flags: _core.Array) -> _core.Array:
    """The positions (int64) of the true elements of the 1-D bool array flags."""
    if flags.size == 0:
        return _core.empty((0,), np.int64, flags.device)
    ends, chunked = _running_counts(flags)
    out = _core.empty((_total(ends),), np.int64, flags.device)
    if out.size:
        if chunked:
            chunk_positions[ends.size](flags, ends, out, CHUNK)
        else:
            compact_positions[flags.size](flags, ends, out, flags.size)
    return out


def values(flags: _core.Array, x: _core.Array) -> _core.Array:
    """The elements of x (1-D, flags' length, items of at most 8 bytes) whose flag is true.
    They move as their bits (strided.BITS), so one kernel per item size serves every dtype."""
    if flags.size == 0:
        return _core.empty((0,), x.dtype, flags.device)
    ends, chunked = _running_counts(flags)
    out = _core.empty((_total(ends),), x.dtype, flags.device)
    if out.size:
        bits = BITS[x.dtype.itemsize]
        source = _core._reinterpret(x, bits, x.shape)
        target = _core._reinterpret(out, bits, out.shape)
        if chunked:
            chunk_values[ends.size](flags, ends, source, target, CHUNK)
        else:
            compact_values[flags.size](flags, ends, source, target)
    return out


def _running_counts(flags: _core.Array) -> tuple[_core.Array, bool]:
    """The inclusive scan of the flags, or on CPU devices of their counts per CHUNK; flags of
    one element at least."""
    from ..algorithms import cumsum

    if not is_cpu_device(flags.device):
        return cumsum(flags), False
    counts = _core.empty((-(-flags.size // CHUNK),), np.int64, flags.device)
    count_chunks[counts.size](flags, counts, CHUNK)
    return cumsum(counts), True


def _total(ends: _core.Array) -> int:
    return int(ends[ends.size - 1].item())
