# python/dotcompute/algorithm_kernels/broadcast.py
# Binary elementwise operations on operands of different shapes that broadcast (numpy's rules).
"""Kernels for ``a (op) b`` where a and b broadcast to a common shape, e.g. ``x - m`` with x of
shape (n, k) and m of shape (1, k).

Note [Broadcast layouts]: the result's dimensions of extent 1 are dropped and neighbouring ones
merged wherever both operands run on contiguously (an operand broadcast along both has stride 0
in both), so every broadcast numpy users write, a row, a column, a vector over a batch, comes
down to at most three dimensions [n0, n1, n2] with a stride per operand and dimension (0 where
it is broadcast). GPUs run a 2-D grid [n0 n1 rows, n2], a work-item a result element: i2 is its
grid column, and its row gives i0 and i1 without a division where n0 is 1 (two dimensions) and
with 32-bit ones otherwise (a GPU runs a 64-bit division as a long instruction sequence). With
more rows than CUDA's grid takes, a flat grid finds all three indices by division. CPU devices
give a work-item a row of n2 elements, so the divisions are per row and the inner loop runs
over memory. Each operation has its own kernels (its device function of operations.py a
constant of the kernel, so they compile to it alone: with an operation code as a parameter,
the CPU's row loops were not vectorized and took 3.5x numpy's time).
"""

from __future__ import annotations

import functools

import dotcompute as dc

from .. import _core
from .._dtypes import REAL_OF, dtype_name
from .._strides import element_strides
from . import operations
from .operations import combine_complex, compare_complex
from .reduce import is_cpu_device

MAX_DIMENSIONS = 3
GRID_GROUP = 256  # work-items of a group of broadcast_grid
MAX_GRID_ROWS = 65535  # groups along grid dimension 1 (CUDA's limit; Note [Flat grids])


@dc.func
def split3(g, n1, n2, narrow):
    """Result element g of [n0, n1, n2] as its three indices (int64). With narrow (every index
    below 2^31) the divisions are 32-bit: a GPU runs a 64-bit one as a long instruction
    sequence, and with them ``x - row`` over 4096 x 4096 float32 took 1.9x CuPy's time."""
    if narrow:
        h, m1, m2 = dc.uint32(g), dc.uint32(n1), dc.uint32(n2)
        rest = h // m2
        return dc.int64(rest // m1), dc.int64(rest % m1), dc.int64(h % m2)
    rows = g // n2
    return rows // n1, rows % n1, g % n2


@dc.func
def split_row(row, n1, single, narrow):
    """Row ``row`` of [n0, n1] rows as (i0, i1), int64; no division where n0 is 1 (``single``:
    two merged dimensions), 32-bit ones where narrow."""
    if single:
        return dc.int64(0), row
    if narrow:
        r, m1 = dc.uint32(row), dc.uint32(n1)
        return dc.int64(r // m1), dc.int64(r % m1)
    return row // n1, row % n1


@dc.func
def offsets(g, n1, n2, a0, a1, a2, b0, b1, b2, narrow):
    """Where result element g of [n0, n1, n2] reads a and b."""
    i0, i1, i2 = split3(g, n1, n2, narrow)
    return i0 * a0 + i1 * a1 + i2 * a2, i0 * b0 + i1 * b1 + i2 * b2


def _kernels(name: str):
    """The kernels of one operation (its device functions constants in them, so each compiles
    to that operation alone): per element and on a grid (GPUs), per row (CPU devices), complex
    pairs giving pairs or (comparisons) bools."""
    combine = operations.REAL[name]
    code = operations.PAIRS.get(name, operations.COMPARISONS.get(name, -1))

    @dc.kernel
    def broadcast_elements(
        a: dc.Array, b: dc.Array, out: dc.Array, loop: dc.Array, n1: dc.int64, n2: dc.int64,
        a0: dc.int64, a1: dc.int64, a2: dc.int64, b0: dc.int64, b1: dc.int64, b2: dc.int64,
        narrow: dc.bool_,
    ):  # fmt: skip
        """A work-item a result element of [n0, n1, n2]."""
        g = dc.global_id(0)
        if g < out.shape[0]:
            j, k = offsets(g, n1, n2, a0, a1, a2, b0, b1, b2, narrow)
            out[g] = combine(loop.dtype(a[j]), loop.dtype(b[k]), out)

    @dc.kernel
    def broadcast_grid(
        a: dc.Array, b: dc.Array, out: dc.Array, loop: dc.Array, n1: dc.int64, n2: dc.int64,
        a0: dc.int64, a1: dc.int64, a2: dc.int64, b0: dc.int64, b1: dc.int64, b2: dc.int64,
        single: dc.bool_, narrow: dc.bool_,
    ):  # fmt: skip
        """Result element (row, i2) of a 2-D grid [rows, n2]: no division for i2, and none at
        all for two merged dimensions (GPUs, when the rows fit the grid)."""
        i2 = dc.global_id(0)
        row = dc.global_id(1)
        i0, i1 = split_row(row, n1, single, narrow)
        x = loop.dtype(a[i0 * a0 + i1 * a1 + i2 * a2])
        y = loop.dtype(b[i0 * b0 + i1 * b1 + i2 * b2])
        out[row * n2 + i2] = combine(x, y, out)

    @dc.kernel
    def broadcast_rows(
        a: dc.Array, b: dc.Array, out: dc.Array, loop: dc.Array, n1: dc.int64, n2: dc.int64,
        a0: dc.int64, a1: dc.int64, a2: dc.int64, b0: dc.int64, b1: dc.int64, b2: dc.int64,
    ):  # fmt: skip
        """A work-item a row of n2 result elements. Along a row each operand is contiguous or
        one repeated element (its stride 1 or 0, not both 0), so each case is its own loop,
        which the C compiler vectorizes."""
        row = dc.global_id(0)
        if row < out.shape[0] // n2:
            i1 = row % n1
            i0 = row // n1
            first, first_a, first_b = row * n2, i0 * a0 + i1 * a1, i0 * b0 + i1 * b1
            if a2 == 1 and b2 == 1:
                for k in range(n2):
                    x = loop.dtype(a[first_a + k])
                    out[first + k] = combine(x, loop.dtype(b[first_b + k]), out)
            elif b2 == 0:
                y = loop.dtype(b[first_b])
                for k in range(n2):
                    out[first + k] = combine(loop.dtype(a[first_a + k]), y, out)
            else:
                x = loop.dtype(a[first_a])
                for k in range(n2):
                    out[first + k] = combine(x, loop.dtype(b[first_b + k]), out)

    @dc.kernel
    def broadcast_complex(
        a: dc.Array, b: dc.Array, out: dc.Array, n1: dc.int64, n2: dc.int64,
        a0: dc.int64, a1: dc.int64, a2: dc.int64, b0: dc.int64, b1: dc.int64, b2: dc.int64,
        narrow: dc.bool_,
    ):  # fmt: skip
        """broadcast_elements on [n, 2] pairs of complex arrays (every device)."""
        g = dc.global_id(0)
        if g < out.shape[0]:
            j, k = offsets(g, n1, n2, a0, a1, a2, b0, b1, b2, narrow)
            out[g, 0], out[g, 1] = combine_complex(code, a[j, 0], a[j, 1], b[k, 0], b[k, 1])

    @dc.kernel
    def broadcast_compared(
        a: dc.Array, b: dc.Array, out: dc.Array, n1: dc.int64, n2: dc.int64,
        a0: dc.int64, a1: dc.int64, a2: dc.int64, b0: dc.int64, b1: dc.int64, b2: dc.int64,
        narrow: dc.bool_,
    ):  # fmt: skip
        """broadcast_complex for a comparison: [n, 2] pairs in, bools out."""
        g = dc.global_id(0)
        if g < out.shape[0]:
            j, k = offsets(g, n1, n2, a0, a1, a2, b0, b1, b2, narrow)
            out[g] = compare_complex(code, a[j, 0], a[j, 1], b[k, 0], b[k, 1])

    return broadcast_elements, broadcast_grid, broadcast_rows, broadcast_complex, broadcast_compared


#: The kernels of each operation, made on first use.
kernels_of = functools.cache(_kernels)


def layout(shape, *operands) -> list[tuple[int, ...]]:
    """(extent, each operand's stride) per dimension after Note [Broadcast layouts]'s merging,
    outermost first; one entry at least."""
    strides = [element_strides(shape, operand) for operand in operands]
    return merge_dimensions(zip(shape, *strides, strict=True), len(operands))


def merge_dimensions(dimensions, width: int) -> list[tuple[int, ...]]:
    """(extent, *strides) entries (width strides each), outermost first, with extents of 1
    dropped and neighbours merged where every stride runs on contiguously (the outer stride is
    the inner one times the inner extent); one entry at least."""
    merged: list[tuple[int, ...]] = []
    for extent, *steps in dimensions:
        if extent == 1:
            continue
        if merged and all(s == x * extent for s, x in zip(merged[-1][1:], steps, strict=True)):
            merged[-1] = (merged[-1][0] * extent, *steps)
        else:
            merged.append((extent, *steps))
    return merged or [(1,) + (0,) * width]


class TooManyDimensionsError(Exception):
    """A broadcast that needs more than MAX_DIMENSIONS after merging (the caller's to word)."""


@functools.lru_cache(maxsize=4096)
def padded_layout(shape, *operands) -> tuple[tuple[int, ...], ...]:
    """layout() as exactly MAX_DIMENSIONS entries, the missing outer ones of extent 1;
    TooManyDimensionsError past MAX_DIMENSIONS. Cached by shapes: a program repeats a few, and
    working the layout out was about a third of a small broadcast's time in Python."""
    dims = layout(shape, *operands)
    if len(dims) > MAX_DIMENSIONS:
        raise TooManyDimensionsError(f"{len(dims)} dimensions after merging")
    return tuple([(1,) + (0,) * len(operands)] * (MAX_DIMENSIONS - len(dims)) + dims)


def run(
    op: str, a: _core.Array, b: _core.Array, out: _core.Array, loop: _core.Array = None
) -> None:
    """out = a (op) b, a and b broadcasting to out's shape, out of the result's dtype (checked
    by the caller); the operation computes in loop's dtype (a's by default; real operands of
    other dtypes are converted in the kernels, complex ones must have it). At most
    MAX_DIMENSIONS after merging (else TooManyDimensionsError, the caller's to word)."""
    loop = a if loop is None else loop
    dims = padded_layout(out.shape, a.shape, b.shape)
    single = dims[0][0] == 1  # n0 is 1
    (_, a0, b0), (n1, a1, b1), (n2, a2, b2) = dims
    arguments = (n1, n2, a0, a1, a2, b0, b1, b2)
    n = out.size
    if n == 0:
        return
    narrow = n < 2**31
    per_element, per_grid, per_row, per_pair, per_pair_compared = kernels_of(op)
    dtype = dtype_name(loop.dtype)
    if dtype in REAL_OF:
        a, b = (_core._reinterpret(x, REAL_OF[dtype], (x.size, 2)) for x in (a, b))
        if op in operations.COMPARISONS:
            per_pair_compared[n](a, b, out.reshape((n,)), *arguments, narrow)
        else:
            per_pair[n](a, b, _core._reinterpret(out, REAL_OF[dtype], (n, 2)), *arguments, narrow)
        return
    flat = [x.reshape((x.size,)) for x in (a, b, out, loop)]
    rows = n // n2
    if is_cpu_device(out.device):
        per_row[rows](*flat, *arguments)
        return
    across = min(GRID_GROUP, 1 << (n2 - 1).bit_length())  # a group: rows of `across`
    down = GRID_GROUP // across
    if -(-rows // down) <= MAX_GRID_ROWS:
        per_grid.launch((n2, rows), *flat, *arguments, single, narrow, local_size=(across, down))
    else:
        per_element[n](*flat, *arguments, narrow)
