# python/dotcompute/algorithm_kernels/gemv.py
# Matrix-vector and vector-matrix products as reductions of products.
"""Note [Products with a vector]: with one output column (a @ x, and the dot product of two
vectors) or one output row (x @ b), a 16 x 16 GEMM tile keeps one row or column of its
work-items busy. These kernels are the axis reductions of reduce.py with a multiply in the
load: ``gemv_rows`` gives a work-group each segment of a row of ``a`` (strided loads, a tree in
shared memory), ``gemv_columns`` a work-item each segment of a column of ``b`` (neighbouring
work-items read neighbouring addresses). Segments follow Note [Reduction segments]; products
and partials stay in the input dtype, and the partials of a cut axis are summed by the axis
reduction (in float64 where the device has it).
"""

from __future__ import annotations

import dotcompute as dc

from .reduce import GROUP, group_tree_sum, run_reduce_axis, segment_parts


@dc.kernel
def gemv_rows(a: dc.Array, x: dc.Array, out: dc.Array, segment: int):
    """out[b, i, g] = sum of a[b, i, p] * x[b, p, 0] over segment g of p."""
    partial = dc.shared_array(GROUP, a.dtype)
    lid = dc.local_id(0)
    g = dc.group_id(0) % out.shape[2]  # one dimension: Note [Flat grids] in reduce.py
    row = dc.group_id(0) // out.shape[2]
    m = a.shape[1]
    b = row // m
    i = row % m
    begin = g * segment
    acc = a.dtype(0)
    for p in range(begin + lid, min(begin + segment, a.shape[2]), GROUP):
        acc += a[b, i, p] * x[b, p, 0]
    group_tree_sum(partial, lid, acc)
    if lid == 0:
        out[b, i, g] = partial[0]


@dc.kernel
def gemv_columns(x: dc.Array, b: dc.Array, out: dc.Array, segment: int):
    """out[z, g, j] = sum of x[z, 0, p] * b[z, p, j] over segment g of p."""
    w = dc.global_id(0)  # one dimension: Note [Flat grids] in reduce.py
    j = w % b.shape[2]
    z = w // b.shape[2] % b.shape[0]
    g = w // b.shape[2] // b.shape[0]
    begin = g * segment
    acc = b.dtype(0)
    for p in range(begin, min(begin + segment, b.shape[1])):
        acc += x[z, 0, p] * b[z, p, j]
    out[z, g, j] = acc


def run_vector_product(a: dc.Array, b: dc.Array, out: dc.Array) -> None:
    """a [batch, m, k] @ b [batch, k, n] into out [batch, m, n] where n == 1 or m == 1 (real
    dtypes, k >= 1)."""
    batch, m, k = a.shape
    n = b.shape[2]
    if n == 1:
        segment, parts = segment_parts(batch * m, k, 1)
        target = out if parts == 1 else dc.empty((batch, m, parts), a.dtype, device=out.device)
        gemv_rows.launch((batch * m * parts * GROUP,), a, b, target, segment, local_size=(GROUP,))
        if parts > 1:
            flat = target.reshape((batch * m, parts, 1))
            run_reduce_axis("sum", flat, out.reshape((batch * m, 1)), batch * m, parts, 1)
        return
    segment, parts = segment_parts(batch, k, n)
    target = out if parts == 1 else dc.empty((batch, parts, n), a.dtype, device=out.device)
    gemv_columns.launch((n * batch * parts,), a, b, target, segment)
    if parts > 1:
        run_reduce_axis("sum", target, out.reshape((batch, n)), batch, parts, n)
