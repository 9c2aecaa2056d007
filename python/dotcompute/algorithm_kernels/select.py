# python/dotcompute/algorithm_kernels/select.py
# dc.where's kernels: an element of x where the condition holds, else of y, with numpy's
# broadcasting of the three operands.
"""Kernels for ``dc.where(condition, x, y)`` on operands already of the result's dtype (the
condition bool). Operands of the result's size, or of one element, take ``select_elements``
(no index arithmetic, so a CPU compiler vectorizes it); any other broadcast takes
``select_broadcast``, a work-item per element of the result's merged [n0, n1, n2] layout (Note
[Broadcast layouts] in broadcast.py), with each operand's strides. Complex operands come as
[n, 2] pairs of their real dtype and take ``select_pairs``, select_broadcast on pairs, for
every layout.

Note [Branch-free select]: select_elements reads both operands and chooses with a conditional
expression. gcc 12 vectorizes that loop; it does not vectorize the branch (one store on each
side), and a branch on random conditions mispredicts about every other element. Nor does it
vectorize a choice on a C ``bool`` loaded from memory ("no vectype" for the float loads), which
is why the C generator stores bool elements as uint8_t (codegen_c.py ``storage_type``). CPU, 4M
float32 with random conditions: 9.5 ms as a branch, 0.73 ms as a vector select (numpy's
where: 15 ms).
"""

from __future__ import annotations

import dotcompute as dc

from .. import _core
from .._dtypes import REAL_OF, dtype_name
from .broadcast import padded_layout, split3
from .elementwise import operand_index


@dc.kernel
def select_elements(condition: dc.Array, x: dc.Array, y: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        # Both read, then chosen (Note [Branch-free select]).
        a, b = x[operand_index(x, i, n)], y[operand_index(y, i, n)]
        out[i] = a if condition[operand_index(condition, i, n)] else b


@dc.kernel
def select_broadcast(
    condition: dc.Array, x: dc.Array, y: dc.Array, out: dc.Array, n1: dc.int64, n2: dc.int64,
    c0: dc.int64, c1: dc.int64, c2: dc.int64, x0: dc.int64, x1: dc.int64, x2: dc.int64,
    y0: dc.int64, y1: dc.int64, y2: dc.int64, narrow: dc.bool_,
):  # fmt: skip
    g = dc.global_id(0)
    if g < out.shape[0]:
        i0, i1, i2 = split3(g, n1, n2, narrow)
        if condition[i0 * c0 + i1 * c1 + i2 * c2]:
            out[g] = x[i0 * x0 + i1 * x1 + i2 * x2]
        else:
            out[g] = y[i0 * y0 + i1 * y1 + i2 * y2]


@dc.kernel
def select_pairs(
    condition: dc.Array, x: dc.Array, y: dc.Array, out: dc.Array, n1: dc.int64, n2: dc.int64,
    c0: dc.int64, c1: dc.int64, c2: dc.int64, x0: dc.int64, x1: dc.int64, x2: dc.int64,
    y0: dc.int64, y1: dc.int64, y2: dc.int64, narrow: dc.bool_,
):  # fmt: skip
    g = dc.global_id(0)
    if g < out.shape[0]:
        i0, i1, i2 = split3(g, n1, n2, narrow)
        if condition[i0 * c0 + i1 * c1 + i2 * c2]:
            j = i0 * x0 + i1 * x1 + i2 * x2
            out[g, 0], out[g, 1] = x[j, 0], x[j, 1]
        else:
            j = i0 * y0 + i1 * y1 + i2 * y2
            out[g, 0], out[g, 1] = y[j, 0], y[j, 1]


def run(condition: _core.Array, x: _core.Array, y: _core.Array, out: _core.Array) -> None:
    """out = condition ? x : y, the operands broadcasting to out's shape; at most
    MAX_DIMENSIONS after merging (else broadcast.TooManyDimensionsError, the caller's to word)."""
    n = out.size
    if n == 0:
        return
    operands = (condition, x, y)
    dims = padded_layout(out.shape, *(v.shape for v in operands))
    (_, c0, x0, y0), (n1, c1, x1, y1), (n2, c2, x2, y2) = dims
    arguments = (n1, n2, c0, c1, c2, x0, x1, x2, y0, y1, y2, n < 2**31)
    name = dtype_name(out.dtype)
    if name in REAL_OF:
        pairs = [_core._reinterpret(v, REAL_OF[name], (v.size, 2)) for v in (x, y, out)]
        select_pairs[n](condition.reshape((condition.size,)), *pairs, *arguments)
        return
    flat = [v.reshape((v.size,)) for v in (*operands, out)]
    if all(v.shape == out.shape or v.size == 1 for v in operands):
        select_elements[n](*flat)
    else:
        select_broadcast[n](*flat, *arguments)
