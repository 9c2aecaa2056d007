# python/dotcompute/algorithm_kernels/transpose.py
# Swapping the last two axes of a [batch, m, n] array in tiles: behind x.T and transposes that
# exchange the innermost axis.
"""``run(x, out)``: out[b, j, i] = x[b, i, j] for contiguous x of shape [batch, m, n] and out of
shape [batch, n, m], items of at most 8 bytes (moved as their bits, strided.BITS).

Note [Transpose tiles]: the strided copy reads one side a whole row apart per element, so every
element is a cache miss on a CPU (4096 x 4096 float32: 116 ms, numpy's copy of x.T 129 ms) and an
uncoalesced access on a GPU. On GPUs a group loads a TILE x TILE block into shared memory with
coalesced reads along rows and writes it out transposed, again along rows
(``transpose_tiles``; the extra column of the shared tile keeps the column reads off one
memory bank). On CPU devices a work-item copies a BLOCK x BLOCK block (``transpose_blocks``),
writing each output row of it contiguously, so the block's lines stay in the L1 cache while it
is copied. Measured on the CPU, (4096, 4096) and (64, 256, 255) float32: blocks of 8, 16, 32
and 64: 14.1 / 1.9, 8.0 / 4.7, 34.9 / 4.5, 47.9 / 4.4 ms, and 27.7 / 3.5 ms for blocks of 8
written a column at a time (numpy's copy of the transpose: 131 / 3.5 ms). Blocks of 16: a
4096-float row apart, larger blocks' lines fall into too few cache sets.
"""

from __future__ import annotations

import dotcompute as dc

from .. import _core
from .reduce import is_cpu_device
from .strided import BITS

TILE = 32
#: The side of transpose_blocks' blocks (CPU devices).
BLOCK = 16
#: Rows of a tile each work-item of transpose_tiles moves (a group is TILE x ROWS work-items).
ROWS = 8
MAX_BATCH = 65535  # groups along grid dimension 2 (CUDA's limit)


@dc.kernel
def transpose_tiles(src: dc.Array, dst: dc.Array, m: dc.int64, n: dc.int64):
    tile = dc.shared_array((TILE, TILE + 1), src.dtype)
    b = dc.group_id(2)
    row0 = dc.group_id(1) * TILE
    column0 = dc.group_id(0) * TILE
    tx = dc.local_id(0)
    ty = dc.local_id(1)
    for k in range(0, TILE, ROWS):
        r = row0 + ty + k
        c = column0 + tx
        if r < m and c < n:
            tile[ty + k, tx] = src[(b * m + r) * n + c]
    dc.barrier()
    for k in range(0, TILE, ROWS):
        r = column0 + ty + k  # a row of the output: a column of the input
        c = row0 + tx
        if r < n and c < m:
            dst[(b * n + r) * m + c] = tile[tx, ty + k]


@dc.kernel
def transpose_blocks(
    src: dc.Array, dst: dc.Array, m: dc.int64, n: dc.int64, row_blocks: dc.int64,
    column_blocks: dc.int64, count: dc.int64,
):  # fmt: skip
    """A work-item per BLOCK x BLOCK block of count (Note [Transpose tiles])."""
    w = dc.global_id(0)
    if w < count:
        per_matrix = row_blocks * column_blocks
        b = w // per_matrix
        t = w % per_matrix
        row0 = t // column_blocks * BLOCK
        column0 = t % column_blocks * BLOCK
        rows = min(BLOCK, m - row0)
        columns = min(BLOCK, n - column0)
        for j in range(columns):  # output rows, each written contiguously
            target = (b * n + column0 + j) * m + row0
            source = (b * m + row0) * n + column0 + j
            for i in range(rows):
                dst[target + i] = src[source + i * n]


def handles(x: _core.Array) -> bool:
    return x.dtype.itemsize <= 8


def run(x: _core.Array, out: _core.Array, batch: int, m: int, n: int) -> bool:
    """out = x[b] transposed for each of batch matrices m x n; False (nothing done) where the
    batch exceeds the grid, for the caller's strided copy."""
    bits = BITS[x.dtype.itemsize]
    src = _core._reinterpret(x, bits, (x.size,))
    dst = _core._reinterpret(out, bits, (out.size,))
    if is_cpu_device(x.device):
        row_blocks, column_blocks = -(-m // BLOCK), -(-n // BLOCK)
        count = batch * row_blocks * column_blocks
        transpose_blocks[count](src, dst, m, n, row_blocks, column_blocks, count)
        return True
    row_tiles, column_tiles = -(-m // TILE), -(-n // TILE)
    if batch > MAX_BATCH:
        return False
    transpose_tiles.launch(
        (column_tiles * TILE, row_tiles * ROWS, batch), src, dst, m, n, local_size=(TILE, ROWS, 1)
    )
    return True
