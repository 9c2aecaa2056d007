# python/dotcompute/algorithm_kernels/fft_blocks.py
# Stockham passes of radix 2^bits done in shared memory, several bits of log2(n) a pass on GPUs.
"""Note [Block passes]: a radix-M Stockham pass (M = 2^bits, Note [Stockham passes] with r = M)
done by a work-group in shared memory. The group takes C = BLOCK_POINTS / M consecutive columns
(a column is one butterfly: the M points j + q n / M of a row, j < n / M); it loads them, turned
by exp(sign 2 pi i q k / (M L)), into shared memory, does their M-point DFTs there as Stockham
sub-passes of radix 4 (one radix-2 sub-pass first when bits is odd) with barriers between, and
writes point p of column j to d + p L, d = (j // L) M L + k.

Lengths up to 2^10 take one pass; longer ones passes of at most 2^8 points, so 2^20 points take
3 passes over global memory (bits 7, 7, 6; radix-16 passes in registers took 5). On an H100,
1000 x 1024 complex64 took 0.038 ms in two passes of 2^5 and 0.029 ms in one of 2^10, while
2^20 in two passes of 2^10 (C = 2) was 1.04-1.12x slower than in three. Every pass moves whole
segments of consecutive points: loads walk the columns fastest while a row has 8 or more
(n / M >= 8; else the points of a column, which lie together when n / M is 1), stores walk the
columns fastest after the first pass and the points in it (L = 1), where each column's outputs
are contiguous.

Shared memory holds a column every M + PAD entries, PAD = max(1, 32 / C): lanes that walk the
columns then fall on distinct banks. BLOCK_POINTS = 2048 points and the sub-passes' twiddles
(exp(2 pi i u / M), u < M / 2, copied in first) come to 21 KiB (float32) or 42 KiB (float64),
under the 48 KiB every CUDA and OpenCL GPU gives without asking. Each of the BLOCK_GROUP = 256
work-items handles 8 points a load and a store and 2 radix-4 butterflies a sub-pass. A load
reads the global table only where its turn is not 1 (not in the first pass). Indices are
32-bit and use shifts and masks: every size is a power of two, and 64-bit integer arithmetic
and divisions by run-time values are long instruction sequences on GPUs.
"""

from __future__ import annotations

import functools

import dotcompute as dc

from . import reduce
from .fft_butterflies import dft4, turned

BLOCK_POINTS = 2048  # complex points a work-group holds
BLOCK_GROUP = 256  # work-items a group
BLOCK_SHARED = BLOCK_POINTS + 128  # + PAD per column; C <= 128, as M >= 16
MIN_BITS = 4  # M >= 16
MAX_BITS = 8  # M <= 256, C >= 8: loads and stores of 64 bytes or more (complex64)...
ONE_PASS_BITS = 10  # ...unless a single pass of up to 2^10 points does the whole transform
SUB_TWIDDLES = 1 << (ONE_PASS_BITS - 1)  # exp(2 pi i u / M) for u < M / 2, in shared memory


@dc.func
def column_point(index, columns, column_bits, radix_mask, radix_bits, columns_fastest):
    """(column, point) of the index-th point a group moves: consecutive indices walk the columns
    when columns_fastest, else the points of one column."""
    if columns_fastest:
        return index & (columns - 1), index >> column_bits
    return index >> radix_bits, index & radix_mask


@dc.func
def sub_turned(w_re, w_im, u, half_radix, sign, a_re, a_im):
    """(a_re, a_im) times exp(sign 2 pi i u / M), u < M, from the group's half table."""
    c = w_re[u] if u < half_radix else -w_re[u - half_radix]
    s = w_im[u] if u < half_radix else -w_im[u - half_radix]
    s = s if sign > 0 else -s
    return a_re * c - a_im * s, a_re * s + a_im * c


@dc.kernel
def stockham_block(
    src: dc.Array,
    dst: dc.Array,
    table: dc.Array[None, 2],
    log_n: dc.int32,
    span_bits: dc.int32,
    bits: dc.int32,
    sign: dc.int32,
):
    """A radix-2^bits pass with span 2^span_bits in shared memory (Note [Block passes])."""
    s_re = dc.shared_array(BLOCK_SHARED, table.dtype)
    s_im = dc.shared_array(BLOCK_SHARED, table.dtype)
    w_re = dc.shared_array(SUB_TWIDDLES, table.dtype)
    w_im = dc.shared_array(SUB_TWIDDLES, table.dtype)
    x_re = dc.private_array(16, table.dtype)
    x_im = dc.private_array(16, table.dtype)
    y_re = dc.private_array(16, table.dtype)
    y_im = dc.private_array(16, table.dtype)
    half = dc.int32(1) << (log_n - 1)
    radix = dc.int32(1) << bits
    radix_mask = radix - 1
    half_radix = radix >> 1
    column_bits = 11 - bits  # BLOCK_POINTS = 2^11
    columns = dc.int32(1) << column_bits
    stride = radix + dc.max(1, 32 >> column_bits)
    part_bits = log_n - bits
    part_mask = (dc.int32(1) << part_bits) - 1
    span_mask = (dc.int32(1) << span_bits) - 1
    first = dc.int32(dc.group_id(0)) * columns
    lid = dc.int32(dc.local_id(0))
    rows = dc.int32(src.shape[0])
    # The sub-passes' twiddles exp(2 pi i u / M) = table entry u n / M, u < M / 2.
    for e in range((SUB_TWIDDLES + BLOCK_GROUP - 1) // BLOCK_GROUP):
        u = lid + dc.int32(e) * BLOCK_GROUP
        if u < half_radix:
            w_re[u] = table[u << part_bits, 0]
            w_im[u] = table[u << part_bits, 1]
    # Load, turning point q of column j by table entry q t (Note [Stockham passes]).
    long_rows = part_bits >= 3  # runs of 8 or more points along a row
    for e in range(BLOCK_POINTS // BLOCK_GROUP):
        c, q = column_point(
            lid + dc.int32(e) * BLOCK_GROUP, columns, column_bits, radix_mask, bits, long_rows
        )
        col = first + c
        row = col >> part_bits
        j = col & part_mask
        if row < rows:
            at = 2 * (j + (q << part_bits))
            a_re = src[row, at]
            a_im = src[row, at + 1]
            if span_bits > 0:  # the first pass turns by 1
                t = (j & span_mask) << (part_bits - span_bits)
                a_re, a_im = turned(table, q * t, half, sign, a_re, a_im)
            s_re[c * stride + q] = a_re
            s_im[c * stride + q] = a_im
    dc.barrier()
    # The M-point DFTs: sub-passes of span l = 2^l_bits, radix 2 first when bits is odd.
    l_bits = 0
    if bits % 2 == 1:
        for h in range(BLOCK_POINTS // 2 // BLOCK_GROUP):
            b = lid + dc.int32(h) * BLOCK_GROUP
            at = (b >> (bits - 1)) * stride + (b & (half_radix - 1))
            x_re[2 * h] = s_re[at]
            x_im[2 * h] = s_im[at]
            x_re[2 * h + 1] = s_re[at + half_radix]
            x_im[2 * h + 1] = s_im[at + half_radix]
        dc.barrier()
        for h in range(BLOCK_POINTS // 2 // BLOCK_GROUP):
            b = lid + dc.int32(h) * BLOCK_GROUP
            at = (b >> (bits - 1)) * stride + 2 * (b & (half_radix - 1))
            s_re[at] = x_re[2 * h] + x_re[2 * h + 1]
            s_im[at] = x_im[2 * h] + x_im[2 * h + 1]
            s_re[at + 1] = x_re[2 * h] - x_re[2 * h + 1]
            s_im[at + 1] = x_im[2 * h] - x_im[2 * h + 1]
        dc.barrier()
        l_bits = 1
    quarter_bits = bits - 2
    quarter_mask = (dc.int32(1) << quarter_bits) - 1
    while l_bits < bits:
        l_mask = (dc.int32(1) << l_bits) - 1
        for h in range(BLOCK_POINTS // 4 // BLOCK_GROUP):
            b = lid + dc.int32(h) * BLOCK_GROUP
            jj = b & quarter_mask
            tt = (jj & l_mask) << (quarter_bits - l_bits)  # exp(2 pi i kk / (4 l)) = u / M
            at = (b >> quarter_bits) * stride + jj
            x_re[h] = s_re[at]
            x_im[h] = s_im[at]
            for qq in range(1, 4):
                x_re[h + 4 * qq], x_im[h + 4 * qq] = sub_turned(
                    w_re,
                    w_im,
                    qq * tt,
                    half_radix,
                    sign,
                    s_re[at + (qq << quarter_bits)],
                    s_im[at + (qq << quarter_bits)],
                )
        dc.barrier()
        for h in range(BLOCK_POINTS // 4 // BLOCK_GROUP):
            dft4(x_re, x_im, h, y_re, y_im, 4 * h, 1, sign)
            b = lid + dc.int32(h) * BLOCK_GROUP
            jj = b & quarter_mask
            at = (b >> quarter_bits) * stride + ((jj >> l_bits) << (l_bits + 2)) + (jj & l_mask)
            for p in range(4):
                s_re[at + (p << l_bits)] = y_re[4 * h + p]
                s_im[at + (p << l_bits)] = y_im[4 * h + p]
        dc.barrier()
        l_bits += 2
    # Store point p of column j at d + p L.
    for e in range(BLOCK_POINTS // BLOCK_GROUP):
        c, point = column_point(
            lid + dc.int32(e) * BLOCK_GROUP, columns, column_bits, radix_mask, bits, span_bits > 0
        )
        col = first + c
        row = col >> part_bits
        j = col & part_mask
        if row < rows:
            d = ((j >> span_bits) << (span_bits + bits)) + (j & span_mask)
            at = 2 * (d + (point << span_bits))
            dst[row, at] = s_re[c * stride + point]
            dst[row, at + 1] = s_im[c * stride + point]


_SHARED_LIMIT_KEYS = (
    "max_shared_memory_per_block",
    "local_memory_bytes",
    "threadgroup_memory_length",
)


@functools.cache
def _group_limits(spec: str) -> tuple[int, int]:
    """(work-items, shared bytes) a group may have on the device; capabilities are read once
    (on CUDA they cost milliseconds)."""
    device = dc.get_device(spec)
    capabilities = device.capabilities
    shared = next((capabilities[k] for k in _SHARED_LIMIT_KEYS if k in capabilities), 48 << 10)
    return device.max_work_group_size, int(shared)


def suits(device, real: str, points: int) -> bool:
    """Whether block passes run on the device: a GPU (CPU devices keep radix-4 passes: PoCL ran
    them 3x slower), groups of BLOCK_GROUP with stockham_block's shared arrays, and 32-bit
    indices for rows x n points."""
    if reduce.is_cpu_device(device) or points >= 1 << 31:
        return False
    work_items, shared = _group_limits(device.spec)
    itemsize = 4 if real == "float32" else 8
    needed = 2 * (BLOCK_SHARED + SUB_TWIDDLES) * itemsize
    return work_items >= BLOCK_GROUP and shared >= needed


def block_bits(log_n: int, max_bits: int) -> list[int]:
    """The bits of each block pass for 2^log_n points: one pass up to ONE_PASS_BITS, else as
    few passes as max_bits allows, their bits as even as possible (larger first); empty below
    MIN_BITS."""
    if log_n < MIN_BITS:
        return []
    if log_n <= ONE_PASS_BITS:
        return [log_n]
    passes = -(-log_n // max_bits)
    small, extra = divmod(log_n, passes)
    return [small + 1] * extra + [small] * (passes - extra)


def run_block_passes(src, out, buffers, table, rows: int, log_n: int, sign: int, bit_list) -> None:
    """The passes of bit_list from src into out, through buffers (two scratch arrays)."""
    current, span_bits = src, 0
    for step, bits in enumerate(bit_list):
        target = out if step == len(bit_list) - 1 else buffers[step % 2]
        groups = -(-(rows << (log_n - bits)) // (BLOCK_POINTS >> bits))
        stockham_block.launch(
            (groups * BLOCK_GROUP,),
            current,
            target,
            table,
            log_n,
            span_bits,
            bits,
            sign,
            local_size=(BLOCK_GROUP,),
        )
        current = target
        span_bits += bits
