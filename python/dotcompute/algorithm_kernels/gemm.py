# python/dotcompute/algorithm_kernels/gemm.py
# Tiled shared-memory GEMM, real and complex (complex operands seen as float pairs).
"""out[b] = a[b] @ b[b] with TILE x TILE tiles of both operands staged in shared memory."""

from __future__ import annotations

import dotcompute as dc

from .. import _core
from .._dtypes import dtype_name

TILE = 16


@dc.kernel
def gemm_tiled(a: dc.Array, b: dc.Array, c: dc.Array):
    """Real GEMM over [batch, m, k] @ [batch, k, n]; dimension 0 is the column, 1 the row."""
    tile_a = dc.shared_array((TILE, TILE), a.dtype)
    tile_b = dc.shared_array((TILE, TILE), a.dtype)
    col = dc.global_id(0)
    row = dc.global_id(1)
    batch = dc.global_id(2)
    tx = dc.local_id(0)
    ty = dc.local_id(1)
    m = a.shape[1]
    inner = a.shape[2]
    n = b.shape[2]
    acc = c.dtype(0)
    for t in range((inner + TILE - 1) // TILE):  # uniform over the group
        ka = t * TILE + tx
        kb = t * TILE + ty
        tile_a[ty, tx] = a[batch, row, ka] if row < m and ka < inner else a.dtype(0)
        tile_b[ty, tx] = b[batch, kb, col] if kb < inner and col < n else a.dtype(0)
        dc.barrier()
        for p in range(TILE):
            acc += tile_a[ty, p] * tile_b[p, tx]
        dc.barrier()
    if row < m and col < n:
        c[batch, row, col] = acc


@dc.kernel
def gemm_tiled_complex(a: dc.Array, b: dc.Array, c: dc.Array):
    """Complex GEMM on float views: a [batch, m, 2k], b [batch, k, 2n], c [batch, m, 2n]."""
    a_re = dc.shared_array((TILE, TILE), a.dtype)
    a_im = dc.shared_array((TILE, TILE), a.dtype)
    b_re = dc.shared_array((TILE, TILE), a.dtype)
    b_im = dc.shared_array((TILE, TILE), a.dtype)
    col = dc.global_id(0)
    row = dc.global_id(1)
    batch = dc.global_id(2)
    tx = dc.local_id(0)
    ty = dc.local_id(1)
    m = a.shape[1]
    inner = b.shape[1]
    n = b.shape[2] // 2
    acc_re = c.dtype(0)
    acc_im = c.dtype(0)
    for t in range((inner + TILE - 1) // TILE):
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
        c[batch, row, 2 * col] = acc_re
        c[batch, row, 2 * col + 1] = acc_im


_REAL_OF = {"complex64": "float32", "complex128": "float64"}


def _rounded(extent: int) -> int:
    return -(-extent // TILE) * TILE


def run_matmul(a: dc.Array, b: dc.Array, out: dc.Array) -> None:
    """Writes a @ b into out (shapes [..., m, k], [..., k, n], [..., m, n], checked by the core)."""
    m, k = a.shape[-2], a.shape[-1]
    n = b.shape[-1]
    batch = out.size // (m * n)
    geometry = (_rounded(n), _rounded(m), batch)
    real = _REAL_OF.get(dtype_name(a.dtype))
    if real is None:
        gemm_tiled.launch(
            geometry,
            a.reshape((batch, m, k)),
            b.reshape((batch, k, n)),
            out.reshape((batch, m, n)),
            local_size=(TILE, TILE, 1),
        )
        return
    gemm_tiled_complex.launch(
        geometry,
        _core._reinterpret(a, real, (batch, m, 2 * k)),
        _core._reinterpret(b, real, (batch, k, 2 * n)),
        _core._reinterpret(out, real, (batch, m, 2 * n)),
        local_size=(TILE, TILE, 1),
    )
