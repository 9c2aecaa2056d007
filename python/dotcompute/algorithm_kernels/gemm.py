# python/dotcompute/algorithm_kernels/gemm.py
# Tiled shared-memory GEMM, real and complex (complex operands seen as float pairs).
"""out[b] = a[b] @ b[b] with tiles of both operands staged in shared memory.

Note [Register blocks]: gemm_tiled computes one output per work-item, so every multiply-add
reads two shared values. gemm_blocked gives each work-item a 4 x 4 block of a 64 x 64 output
tile (rows ty + 16 i, columns tx + 16 j: neighbouring work-items read neighbouring shared
entries), accumulated in a private array, so 16 multiply-adds share 8 shared reads, and the k
tiles are staged once per 64 x 64 outputs instead of once per 16 x 16. Real products take it
when they have at least 64 rows and columns and at least as many groups (64 x 64 tiles times k
splits) as the device has compute units: with fewer, the 16 times more groups of gemm_tiled keep
more of a GPU busy (H200, 256^3 float32: gemm_blocked 0.065 ms on 16 groups, gemm_tiled 0.033
ms; 1024^3: 0.226 against 0.369 ms).

CPU devices (PoCL) take gemm_blocked_wide instead: the same tiles, 8 x 8 work-items of 8 x 8
outputs each. Their compilers run a group's work-items as vectorized loops, so fewer, fatter
work-items pay there, where on GPUs they cost occupancy. Measured with each kernel written with
private arrays: PoCL here, 256^3 float32, 4 x 4 blocks 5.8-10.4 ms, 8 x 8 blocks 1.8-2.7 ms
(15-19 GFLOP/s); H200 CUDA, 1024^3, 4 x 4 blocks 0.134 ms, 8 x 8 blocks on 8 x 8 work-items
0.288 ms. The private arrays themselves (the kernel had sixteen named accumulators before) made
gemm_blocked faster on CUDA, 0.155 -> 0.134 ms at 1024^3 and 8.68 -> 7.73 ms at 4096^3, and
changed nothing through NVIDIA's OpenCL (0.234 -> 0.222 ms, 17.5 -> 17.7 ms). Larger blocks did
not pay on GPUs: 128 x 128 tiles of 8 x 8 outputs on 16 x 16 work-items ran 0.62-1.12x
gemm_blocked's speed through CUDA on an H100 (float32 1024^3 0.159 against 0.139 ms, 4096^3
7.15 against 7.64 ms; float64 0.87-0.95x) and 0.58-0.98x through OpenCL; on PoCL they matched
gemm_blocked_wide (512^3 13.0 against 13.9 ms).

Note [Split k]: an output of few tiles over a long k (a dot product of two long vectors,
(8, 1M) @ (1M, 8), (256, 32K) @ (32K, 256)) gave a GPU a handful of groups each walking all of
k. Every GEMM kernel therefore also splits k: grid dimension 2 counts batch * splits, split s of
a batch covers the k tiles s * split_tiles up to (s + 1) * split_tiles and writes its own
partial product, and the axis reduction (reduce.py) sums the partials into the output (in
float64 where the device has it). An output of fewer than SPLIT_BELOW_TILES groups gets
splits until the groups reach TARGET_GROUPS, each covering at least MIN_SPLIT_TILES k tiles;
larger outputs keep one split and write no partials. Measured on an H200 (CUDA, float32, no
split against these constants): 1024^3 with gemm_blocked split 4 ways took 0.244 ms against
0.153 unsplit, so outputs of 256 groups and more stay whole; (512, 2048) @ (2048, 512) 0.184
-> 0.121 ms, (128, 8192) @ (8192, 128) 0.216 -> 0.073 ms, (8, 1M) @ (1M, 8) 42.7 -> 0.151 ms.

Note [Complex products as real ones]: gemm_tiled_complex computes one complex output per
work-item. On CPU devices a complex product large enough for the blocked kernels
(_blocked_pays) instead runs as four real ones on the parts: split_parts copies a and b into
real and imaginary arrays, and join_part writes re = a_re b_re - a_im b_im, then im = a_re b_im
+ a_im b_re, into the complex output (two real m x n temporaries, reused). The same flops at
gemm_blocked_wide's rate, plus O(mk + kn + mn) copies: PoCL here, complex64 256^3 11.3-16.7 ->
6.6-9.7 ms, 512^3 92.3 -> 72.4 ms. GPUs keep gemm_tiled_complex: on the H200 the four real
products were 1.1-1.2x faster through CUDA at 1024^2 and 2048^2 but 0.7-0.8x through OpenCL, and
0.5-0.6x for (1000, 333) @ (333, 777) on both.
"""

from __future__ import annotations

import dotcompute as dc

from .. import _core
from .._dtypes import REAL_OF, dtype_name
from .gemv import run_vector_product
from .reduce import is_cpu_device, run_reduce_axis

TILE = 16
BLOCK_TILE = 64  # gemm_blocked(_wide): output tile edge
BLOCK_K = TILE  # gemm_blocked(_wide): inner-dimension tile (the same k tiles: Note [Split k])
BLOCK_GROUP_EDGE = 16  # gemm_blocked: work-items per tile edge, 4 outputs each way
WIDE_GROUP_EDGE = 8  # gemm_blocked_wide: work-items per tile edge, 8 outputs each way
SPLIT_BELOW_TILES = 256  # split k only for outputs of fewer groups (Note [Split k])
TARGET_GROUPS = 1024  # and then up to this many groups, splits included
MIN_SPLIT_TILES = 16  # each split covering at least this many k tiles (256 of k)


@dc.func
def split_k_range(z, batches, layers, split_tiles, inner, tile):
    """(batch, first k tile, end k tile) of layer z of c = [batches * splits, m, n]: the k
    tiles that layer sums (Note [Split k])."""
    splits = layers // batches
    first = (z % splits) * split_tiles
    return z // splits, first, min(first + split_tiles, (inner + tile - 1) // tile)


@dc.kernel
def gemm_tiled(a: dc.Array, b: dc.Array, c: dc.Array, split_tiles: int):
    """Real GEMM over [batch, m, k] @ [batch, k, n]; dimension 0 is the column, 1 the row,
    2 the batch and the k split (Note [Split k]): c is [batch * splits, m, n]."""
    tile_a = dc.shared_array((TILE, TILE), a.dtype)
    tile_b = dc.shared_array((TILE, TILE), a.dtype)
    col = dc.global_id(0)
    row = dc.global_id(1)
    z = dc.global_id(2)
    tx = dc.local_id(0)
    ty = dc.local_id(1)
    m = a.shape[1]
    inner = a.shape[2]
    n = b.shape[2]
    batch, first_tile, last_tile = split_k_range(
        z, a.shape[0], c.shape[0], split_tiles, inner, TILE
    )
    acc = c.dtype(0)
    for t in range(first_tile, last_tile):  # uniform over the group
        ka = t * TILE + tx
        kb = t * TILE + ty
        tile_a[ty, tx] = a[batch, row, ka] if row < m and ka < inner else a.dtype(0)
        tile_b[ty, tx] = b[batch, kb, col] if kb < inner and col < n else a.dtype(0)
        dc.barrier()
        for p in range(TILE):
            acc += tile_a[ty, p] * tile_b[p, tx]
        dc.barrier()
    if row < m and col < n:
        c[z, row, col] = acc


def _blocked_kernel(item_rows: int, item_columns: int, group_rows: int, group_columns: int):
    """A register-blocked real GEMM (Note [Register blocks]): groups of group_rows x
    group_columns work-items, each computing item_rows x item_columns outputs of a BLOCK_TILE x
    BLOCK_TILE tile (rows ty + group_rows * i, columns tx + group_columns * j), one group per
    tile and k split (Note [Split k]); c is [batch * splits, m, n]."""
    group_size = group_rows * group_columns

    @dc.kernel
    def gemm_blocked(a: dc.Array, b: dc.Array, c: dc.Array, split_tiles: int):
        tile_a = dc.shared_array((BLOCK_TILE, BLOCK_K), a.dtype)
        tile_b = dc.shared_array((BLOCK_K, BLOCK_TILE), a.dtype)
        acc = dc.private_array((item_rows, item_columns), c.dtype)
        a_column = dc.private_array(item_rows, a.dtype)
        b_row = dc.private_array(item_columns, a.dtype)
        tx = dc.local_id(0)
        ty = dc.local_id(1)
        first_col = dc.group_id(0) * BLOCK_TILE
        first_row = dc.group_id(1) * BLOCK_TILE
        z = dc.global_id(2)
        m = a.shape[1]
        inner = a.shape[2]
        n = b.shape[2]
        batch, first_tile, last_tile = split_k_range(
            z, a.shape[0], c.shape[0], split_tiles, inner, BLOCK_K
        )
        rank = ty * group_columns + tx
        for t in range(first_tile, last_tile):  # uniform over the group
            k0 = t * BLOCK_K
            for part in range(BLOCK_TILE * BLOCK_K // group_size):  # a tile: parts group loads
                entry = rank + part * group_size
                a_row = first_row + entry // BLOCK_K
                a_k = k0 + entry % BLOCK_K
                inside_a = a_row < m and a_k < inner
                tile_a[entry // BLOCK_K, entry % BLOCK_K] = (
                    a[batch, a_row, a_k] if inside_a else a.dtype(0)
                )
                b_k = k0 + entry // BLOCK_TILE
                b_col = first_col + entry % BLOCK_TILE
                inside_b = b_k < inner and b_col < n
                tile_b[entry // BLOCK_TILE, entry % BLOCK_TILE] = (
                    b[batch, b_k, b_col] if inside_b else a.dtype(0)
                )
            dc.barrier()
            for p in range(BLOCK_K):
                for i in range(item_rows):
                    a_column[i] = tile_a[ty + group_rows * i, p]
                for j in range(item_columns):
                    b_row[j] = tile_b[p, tx + group_columns * j]
                for i in range(item_rows):
                    for j in range(item_columns):
                        acc[i, j] += a_column[i] * b_row[j]
            dc.barrier()
        for i in range(item_rows):
            row = first_row + ty + group_rows * i
            for j in range(item_columns):
                col = first_col + tx + group_columns * j
                if row < m and col < n:
                    c[z, row, col] = acc[i, j]

    return gemm_blocked


gemm_blocked = _blocked_kernel(4, 4, BLOCK_GROUP_EDGE, BLOCK_GROUP_EDGE)
gemm_blocked_wide = _blocked_kernel(8, 8, WIDE_GROUP_EDGE, WIDE_GROUP_EDGE)


@dc.kernel
def gemm_tiled_complex(a: dc.Array, b: dc.Array, c: dc.Array, split_tiles: int):
    """Complex GEMM on float views: a [batch, m, 2k], b [batch, k, 2n], c [batch * splits, m,
    2n] (Note [Split k])."""
    a_re = dc.shared_array((TILE, TILE), a.dtype)
    a_im = dc.shared_array((TILE, TILE), a.dtype)
    b_re = dc.shared_array((TILE, TILE), a.dtype)
    b_im = dc.shared_array((TILE, TILE), a.dtype)
    col = dc.global_id(0)
    row = dc.global_id(1)
    z = dc.global_id(2)
    tx = dc.local_id(0)
    ty = dc.local_id(1)
    m = a.shape[1]
    inner = b.shape[1]
    n = b.shape[2] // 2
    batch, first_tile, last_tile = split_k_range(
        z, a.shape[0], c.shape[0], split_tiles, inner, TILE
    )
    acc_re = c.dtype(0)
    acc_im = c.dtype(0)
    for t in range(first_tile, last_tile):  # uniform over the group
        ka = t * TILE + tx
        kb = t * TILE + ty
        a_ok = row < m and ka < inner
        b_ok = kb < inner and col < n
        a_re[ty, tx] = a[batch, row, 2 * ka] if a_ok else a.dtype(0)
        a_im[ty, tx] = a[batch, row, 2 * ka + 1] if a_ok else a.dtype(0)
        b_re[ty, tx] = b[batch, kb, 2 * col] if b_ok else a.dtype(0)
        b_im[ty, tx] = b[batch, kb, 2 * col + 1] if b_ok else a.dtype(0)
        dc.barrier()
        for p in range(TILE):
            acc_re += a_re[ty, p] * b_re[p, tx] - a_im[ty, p] * b_im[p, tx]
            acc_im += a_re[ty, p] * b_im[p, tx] + a_im[ty, p] * b_re[p, tx]
        dc.barrier()
    if row < m and col < n:
        c[z, row, 2 * col] = acc_re
        c[z, row, 2 * col + 1] = acc_im


@dc.kernel
def split_parts(pairs: dc.Array, re: dc.Array, im: dc.Array):
    """re[i], im[i] = pairs[2 i], pairs[2 i + 1]: a complex array's parts as two real arrays
    (Note [Complex products as real ones])."""
    i = dc.global_id(0)
    if i < re.shape[0]:
        re[i] = pairs[2 * i]
        im[i] = pairs[2 * i + 1]


@dc.kernel
def join_part(first: dc.Array, second: dc.Array, pairs: dc.Array, part: int, sign: int):
    """pairs[2 i + part] = first[i] + sign * second[i] (sign is 1 or -1)."""
    i = dc.global_id(0)
    if i < first.shape[0]:
        pairs[2 * i + part] = first[i] + pairs.dtype(sign) * second[i]


def _rounded(extent: int) -> int:
    return -(-extent // TILE) * TILE


def _groups(extent: int) -> int:
    """gemm_blocked's groups along an output extent."""
    return -(-extent // BLOCK_TILE)


def _split_count(output_tiles: int, k: int) -> tuple[int, int]:
    """(k tiles a split covers, splits) for an output of output_tiles groups (Note [Split k]);
    k tiles are TILE = BLOCK_K of k each. One split covers them all when there is nothing to
    split."""
    k_tiles = -(-k // TILE)
    if k_tiles == 0 or output_tiles >= SPLIT_BELOW_TILES:
        return k_tiles, 1
    wanted_splits = -(-TARGET_GROUPS // output_tiles)
    split_tiles = min(k_tiles, max(MIN_SPLIT_TILES, -(-k_tiles // wanted_splits)))
    return split_tiles, -(-k_tiles // split_tiles)


def _blocked_pays(m: int, n: int, k: int, batch: int, device) -> bool:
    """Whether gemm_blocked beats gemm_tiled here (Note [Register blocks]): its groups, k
    splits included, fill the device's compute units."""
    if min(m, n) < BLOCK_TILE:
        return False
    tiles = _groups(m) * _groups(n) * batch
    return tiles * _split_count(tiles, k)[1] >= device.compute_units


def run_matmul(a: dc.Array, b: dc.Array, out: dc.Array, kernel: str | None = None) -> None:
    """Writes a @ b into out (shapes [..., m, k], [..., k, n], [..., m, n], checked by the core).
    kernel: for real dtypes, force "tiled", "blocked" or "blocked_wide". None chooses: the
    vector kernels of gemv.py for one output row or column, the blocked kernels when they pay,
    and on CPU devices four real products for a large complex one."""
    m, k = a.shape[-2], a.shape[-1]
    n = b.shape[-1]
    batch = out.size // (m * n)
    # gemm_tiled's (and gemm_tiled_complex's) grid plane, group shape and group count.
    tiled = ((_rounded(n), _rounded(m)), (TILE, TILE), -(-m // TILE) * -(-n // TILE) * batch)
    real = REAL_OF.get(dtype_name(a.dtype))
    if (
        real is not None
        and kernel is None
        and is_cpu_device(a.device)
        and _blocked_pays(m, n, k, batch, a.device)
    ):
        _complex_as_real(a, b, out, real, (batch, m, k, n))  # Note [Complex products as ...]
        return
    if real is not None:
        a = _core._reinterpret(a, real, (batch, m, 2 * k))
        b = _core._reinterpret(b, real, (batch, k, 2 * n))
        out = _core._reinterpret(out, real, (batch, m, 2 * n))
        _launch_split(gemm_tiled_complex, a, b, out, k, *tiled)
        return
    a, b, out = a.reshape((batch, m, k)), b.reshape((batch, k, n)), out.reshape((batch, m, n))
    if kernel is None and (m == 1 or n == 1) and k > 0:
        run_vector_product(a, b, out)  # Note [Products with a vector]
        return
    if kernel is None:
        kernel = "tiled"
        if _blocked_pays(m, n, k, batch, a.device):
            kernel = "blocked_wide" if is_cpu_device(a.device) else "blocked"
    if kernel == "tiled":
        _launch_split(gemm_tiled, a, b, out, k, *tiled)
        return
    blocked, edge = {
        "blocked": (gemm_blocked, BLOCK_GROUP_EDGE),
        "blocked_wide": (gemm_blocked_wide, WIDE_GROUP_EDGE),
    }[kernel]
    groups = (_groups(n) * edge, _groups(m) * edge)
    tiles = _groups(m) * _groups(n) * batch
    _launch_split(blocked, a, b, out, k, groups, (edge, edge), tiles)


def _complex_as_real(a: dc.Array, b: dc.Array, out: dc.Array, real: str, sizes: tuple) -> None:
    """out = a @ b for complex a and b through four real products (Note [Complex products as
    real ones])."""
    batch, m, k, n = sizes
    device = a.device
    a_re, a_im, b_re, b_im = (
        dc.empty(shape, dtype=real, device=device)
        for shape in [(batch, m, k)] * 2 + [(batch, k, n)] * 2
    )
    for pairs, re, im in ((a, a_re, a_im), (b, b_re, b_im)):
        flat = (re.size,)
        split_parts[re.size](
            _core._reinterpret(pairs, real, (2 * re.size,)), re.reshape(flat), im.reshape(flat)
        )
    first, second = (dc.empty((batch, m, n), dtype=real, device=device) for _ in range(2))
    pairs = _core._reinterpret(out, real, (2 * batch * m * n,))
    for part, sign, (x, y), (z, w) in (
        (0, -1, (a_re, b_re), (a_im, b_im)),  # re = a_re b_re - a_im b_im
        (1, 1, (a_re, b_im), (a_im, b_re)),  # im = a_re b_im + a_im b_re
    ):
        run_matmul(x, y, first)
        run_matmul(z, w, second)
        join_part[first.size](
            first.reshape((first.size,)), second.reshape((first.size,)), pairs, part, sign
        )


def _launch_split(kernel, a, b, out: dc.Array, k: int, plane, local, tiles: int) -> None:
    """One GEMM kernel over [batch, ...] operands; with k splits it writes partial products
    that the axis reduction sums into out (Note [Split k])."""
    batch = out.shape[0]
    split_tiles, splits = _split_count(tiles, k)
    target = out
    if splits > 1:
        target = dc.empty((batch * splits, *out.shape[1:]), dtype=out.dtype, device=out.device)
    kernel.launch((*plane, batch * splits), a, b, target, split_tiles, local_size=(*local, 1))
    if splits > 1:
        row = out.size // batch
        partials = target.reshape((batch, splits, row))
        run_reduce_axis("sum", partials, out.reshape((batch, row)), batch, splits, row)
