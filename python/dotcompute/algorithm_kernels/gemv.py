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

Note [Lanes on CPU devices]: a CPU device vectorizes a group's work-items as one loop, which
the tree of gemv_rows (barriers) and the strided walk of gemv_columns (a row apart per step)
defeat; PoCL took 18.6 ms for (4096, 4096) @ (4096,) and 24.5 ms for (4096,) @ (4096, 4096)
(numpy 1.6 and 1.5 ms). There, gemv_rows_lanes gives a work-item a row segment with
COLUMN_LANES running sums along it (the compiler may not reorder one sum's additions, so the
lanes are written out), and gemv_columns_lanes COLUMN_LANES neighbouring columns, as the
column sums do (Note [Column lanes] in reduce.py): 3.4 and 3.4 ms, a dot product of 4M
float32 6.2 -> 1.0 ms (numpy 0.63).
"""

from __future__ import annotations

import dotcompute as dc

from .reduce import (
    COLUMN_LANES,
    GROUP,
    group_tree_sum,
    is_cpu_device,
    lane_block,
    run_reduce_axis,
    segment_parts,
)


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


@dc.kernel
def gemv_rows_lanes(a: dc.Array, x: dc.Array, out: dc.Array, segment: int):
    """gemv_rows for CPU devices: a work-item per row segment, COLUMN_LANES running sums
    along the row (Note [Lanes on CPU devices])."""
    w = dc.global_id(0)  # one dimension: Note [Flat grids] in reduce.py
    g = w % out.shape[2]
    row = w // out.shape[2]
    m = a.shape[1]
    b = row // m
    i = row % m
    begin = g * segment
    end = min(begin + segment, a.shape[2])
    acc = dc.private_array(COLUMN_LANES, a.dtype)
    whole = begin + (end - begin) // COLUMN_LANES * COLUMN_LANES
    for p in range(begin, whole, COLUMN_LANES):
        for lane in range(COLUMN_LANES):
            acc[lane] += a[b, i, p + lane] * x[b, p + lane, 0]
    total = a.dtype(0)
    for p in range(whole, end):
        total += a[b, i, p] * x[b, p, 0]
    for lane in range(COLUMN_LANES):
        total += acc[lane]
    out[b, i, g] = total


@dc.kernel
def gemv_columns_lanes(x: dc.Array, b: dc.Array, out: dc.Array, segment: int):
    """gemv_columns for CPU devices: a work-item sums COLUMN_LANES neighbouring columns, its
    inner loop running along a row of b (Note [Lanes on CPU devices])."""
    first, z, g, begin, end = lane_block(b.shape[2], b.shape[0], b.shape[1], segment)
    acc = dc.private_array(COLUMN_LANES, b.dtype)
    if first + COLUMN_LANES <= b.shape[2]:  # a whole block: no test in the inner loop
        for p in range(begin, end):
            for lane in range(COLUMN_LANES):
                acc[lane] += x[z, 0, p] * b[z, p, first + lane]
        for lane in range(COLUMN_LANES):
            out[z, g, first + lane] = acc[lane]
    else:
        for p in range(begin, end):
            for lane in range(COLUMN_LANES):
                if first + lane < b.shape[2]:
                    acc[lane] += x[z, 0, p] * b[z, p, first + lane]
        for lane in range(COLUMN_LANES):
            if first + lane < b.shape[2]:
                out[z, g, first + lane] = acc[lane]


def run_vector_product(a: dc.Array, b: dc.Array, out: dc.Array) -> None:
    """a [batch, m, k] @ b [batch, k, n] into out [batch, m, n] where n == 1 or m == 1 (real
    dtypes, k >= 1)."""
    batch, m, k = a.shape
    n = b.shape[2]
    if n == 1:
        segment, parts = segment_parts(batch * m, k, 1)
        target = out if parts == 1 else dc.empty((batch, m, parts), a.dtype, device=out.device)
        if is_cpu_device(a.device):  # Note [Lanes on CPU devices]
            gemv_rows_lanes.launch((batch * m * parts,), a, b, target, segment)
        else:
            gemv_rows.launch(
                (batch * m * parts * GROUP,), a, b, target, segment, local_size=(GROUP,)
            )
        if parts > 1:
            flat = target.reshape((batch * m, parts, 1))
            run_reduce_axis("sum", flat, out.reshape((batch * m, 1)), batch * m, parts, 1)
        return
    segment, parts = segment_parts(batch, k, n)
    target = out if parts == 1 else dc.empty((batch, parts, n), a.dtype, device=out.device)
    if n >= COLUMN_LANES and is_cpu_device(a.device):  # Note [Lanes on CPU devices]
        blocks = -(-n // COLUMN_LANES)
        gemv_columns_lanes.launch((blocks * batch * parts,), a, b, target, segment)
    else:
        gemv_columns.launch((n * batch * parts,), a, b, target, segment)
    if parts > 1:
        run_reduce_axis("sum", target, out.reshape((batch, n)), batch, parts, n)
