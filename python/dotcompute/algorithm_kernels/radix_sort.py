# python/dotcompute/algorithm_kernels/radix_sort.py
# Stable LSD radix sort of contiguous rows (the last axis) for 32- and 64-bit dtypes.
"""Note [Generated radix sort]: the input's bits (seen as uint32/uint64 through
_core._reinterpret) become keys whose unsigned order is numpy's order (signed: sign bit flipped;
floats: positives with the sign bit flipped, negatives with every bit flipped, every NaN all ones,
-0.0 the key of +0.0). Each pass sorts by RADIX_BITS bits, stably:

1. ``radix_count``: each work-group counts the digits of its TILE elements in shared memory and
   writes them digit-major, ``counts[row, digit * tiles + tile]``;
2. a scan of those counts (scan.py) gives every (digit, tile) its first output position;
3. ``radix_scatter``: each work-item finds its rank among the earlier elements of its tile with
   the same digit by one shared-memory scan of packed counters (16 bits per digit in an int64),
   and writes its key and source position there.

Equal digits keep the order of tiles and, inside a tile, of positions, so every pass is stable.
The values are finally gathered from the input by position, which keeps NaN payloads and -0.0
exactly. 32-bit keys take 16 passes, 64-bit ones 32.
"""

from __future__ import annotations

import dotcompute as dc

from .. import _core
from .._dtypes import dtype_name
from .scan import _scan, inclusive_group_scan

TILE = 256
RADIX_BITS = 2
DIGITS = 4

# dtype -> (unsigned view, key kind: 0 unsigned, 1 signed, 2 floating)
RADIX_DTYPES = {
    "uint32": ("uint32", 0),
    "uint64": ("uint64", 0),
    "int32": ("uint32", 1),
    "int64": ("uint64", 1),
    "float32": ("uint32", 2),
    "float64": ("uint64", 2),
}


@dc.kernel
def radix_keys(
    bits: dc.Array, keys: dc.Array, index: dc.Array, kind: int, width: int, infinity_bits: int
):
    """keys = the order-preserving key of each element; index = its position. infinity_bits is
    +inf's bit pattern, passed in rather than written as a constant expression: the generators
    print a small unsigned 64-bit constant as a 32-bit literal, so `uint64(0x7FF) << 52` folds
    to a shift past the literal's width."""
    p = dc.global_id(0)
    row = dc.global_id(1)
    if p >= bits.shape[1]:
        return
    b = bits[row, p]
    zero = b ^ b
    ones = ~zero
    sign = keys.dtype(1) << keys.dtype(width - 1)
    key = b
    if kind == 1:
        key = b ^ sign
    elif kind == 2:
        magnitude = b & ~sign
        infinity = keys.dtype(infinity_bits)
        if magnitude > infinity:
            key = ones
        elif magnitude == zero:
            key = sign
        elif (b & sign) != zero:
            key = ~b
        else:
            key = b ^ sign
    keys[row, p] = key
    index[row, p] = p


@dc.kernel
def radix_count(keys: dc.Array, counts: dc.Array, shift: int):
    counters = dc.shared_array(DIGITS, dc.int32)
    p = dc.global_id(0)
    row = dc.global_id(1)
    lid = dc.local_id(0)
    tile = dc.group_id(0)
    tiles = dc.num_groups(0)
    if lid < DIGITS:
        counters[lid] = 0
    dc.barrier()
    if p < keys.shape[1]:
        digit = (keys[row, p] >> keys.dtype(shift)) & keys.dtype(DIGITS - 1)
        dc.atomic_add(counters, digit, 1)
    dc.barrier()
    if lid < DIGITS:
        counts[row, lid * tiles + tile, 0] = counters[lid]


@dc.kernel
def radix_scatter(
    keys: dc.Array,
    index: dc.Array,
    keys_out: dc.Array,
    index_out: dc.Array,
    counts: dc.Array,
    scanned: dc.Array,
    shift: int,
):
    packed = dc.shared_array(TILE, dc.int64)
    p = dc.global_id(0)
    row = dc.global_id(1)
    lid = dc.local_id(0)
    tile = dc.group_id(0)
    tiles = dc.num_groups(0)
    valid = p < keys.shape[1]
    digit: dc.int64 = 0
    one: dc.int64 = 1
    flag: dc.int64 = 0
    if valid:
        digit = dc.int64((keys[row, p] >> keys.dtype(shift)) & keys.dtype(DIGITS - 1))
        flag = one << (16 * digit)
    packed[lid] = flag
    dc.barrier()
    inclusive_group_scan(packed, lid)
    if valid:
        rank = ((packed[lid] - flag) >> (16 * digit)) & 65535
        slot = digit * tiles + tile
        destination = scanned[row, slot, 0] - counts[row, slot, 0] + rank
        keys_out[row, destination] = keys[row, p]
        index_out[row, destination] = index[row, p]


@dc.kernel
def gather_rows(x: dc.Array, index: dc.Array, values: dc.Array):
    p = dc.global_id(0)
    row = dc.global_id(1)
    if p < x.shape[1]:
        values[row, p] = x[row, index[row, p]]


def radix_sort_rows(x: dc.Array, values, indices, rows: int, length: int) -> None:
    """Sorts the rows of x ([rows, length], a RADIX_DTYPES dtype) into values and/or indices."""
    unsigned, kind = RADIX_DTYPES[dtype_name(x.dtype)]
    width = 32 if unsigned == "uint32" else 64
    device = x.device
    bits = _core._reinterpret(x, unsigned, (rows, length))
    keys = [dc.empty((rows, length), dtype=unsigned, device=device) for _ in range(2)]
    index = [dc.empty((rows, length), dtype="int64", device=device) for _ in range(2)]
    tiles = -(-length // TILE)
    counts = dc.empty((rows, DIGITS * tiles, 1), dtype="int64", device=device)
    scanned = dc.empty((rows, DIGITS * tiles, 1), dtype="int64", device=device)
    infinity_bits = 0x7F800000 if width == 32 else 0x7FF0000000000000
    radix_keys.launch((length, rows), bits, keys[0], index[0], kind, width, infinity_bits)
    geometry, local = (tiles * TILE, rows), (TILE, 1)
    current = 0
    for shift in range(0, width, RADIX_BITS):
        radix_count.launch(geometry, keys[current], counts, shift, local_size=local)
        _scan(counts, scanned)
        radix_scatter.launch(
            geometry,
            keys[current],
            index[current],
            keys[1 - current],
            index[1 - current],
            counts,
            scanned,
            shift,
            local_size=local,
        )
        current = 1 - current
    if indices is not None:
        sorted_index = index[current]
        flat = indices.reshape((rows * length,))
        from .sort import _copy

        _copy(sorted_index, flat.reshape((rows, length)))
    if values is not None:
        gather_rows.launch(
            (length, rows),
            x.reshape((rows, length)),
            index[current],
            values.reshape((rows, length)),
        )
