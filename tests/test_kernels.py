# tests/test_kernels.py
# Execution conformance of the kernel language: every construct, run on every device, vs numpy.
"""The kernel language, construct by construct, as the user sees it: ``@dc.kernel`` functions
launched over 1-, 2- and 3-D index spaces on every available device (the ``device`` fixture),
with random inputs of odd sizes, compared with the same computation written in numpy.

The sections follow the language rules in ``dotcompute.kernel.frontend``: work-item queries,
control flow, locals, indexing, arithmetic, casts, math, atomics, shared memory and barriers,
device functions, generic kernels, module constants, the launch API and its errors, generated
source and the debug mode. Kernels live at module level because the frontend reads their source.
"""

import gc
import math
import re
import shutil
import threading

import numpy as np
import pytest
from _plugin_builds import build_test_plugins

import dotcompute as dc

from conftest import random_array

# Tolerances of results that are not exact (math functions, float sums in another order,
# contracted multiply-adds), per dtype.
TOLERANCE = {
    "float16": {"rtol": 2e-3, "atol": 2e-3},
    "float32": {"rtol": 2e-5, "atol": 1e-6},
    "float64": {"rtol": 1e-12, "atol": 1e-14},
}

SIGNED_INTS = ["int8", "int16", "int32", "int64"]
UNSIGNED_INTS = ["uint8", "uint16", "uint32", "uint64"]
INTS = SIGNED_INTS + UNSIGNED_INTS
FLOATS = ["float16", "float32", "float64"]
ATOMIC_DTYPES = ["int32", "int64", "uint32", "uint64", "float32", "float64"]


def on(device, array: np.ndarray) -> dc.Array:
    """A device copy of a numpy array."""
    return dc.asarray(np.ascontiguousarray(array), device=device)


def assert_close(actual: dc.Array, expected: np.ndarray, dtype=None, scale: float = 1.0):
    dtype = np.dtype(dtype or expected.dtype).name
    tolerance = {k: v * scale for k, v in TOLERANCE[dtype].items()}
    np.testing.assert_allclose(actual.numpy().astype(np.float64), expected, **tolerance)


# =============================================================================================
# Work-item queries
# =============================================================================================


@dc.kernel
def queries_1d(out: dc.Array[dc.int64, 2]):
    i = dc.global_id(0)
    out[i, 0] = i
    out[i, 1] = dc.local_id(0)
    out[i, 2] = dc.group_id(0)
    out[i, 3] = dc.local_size(0)
    out[i, 4] = dc.global_size(0)
    out[i, 5] = dc.num_groups(0)


@dc.kernel
def queries_2d(out: dc.Array[dc.int64, 3]):
    x = dc.global_id(0)
    y = dc.global_id(1)
    out[y, x, 0] = x
    out[y, x, 1] = y
    out[y, x, 2] = dc.local_id(0)
    out[y, x, 3] = dc.local_id(1)
    out[y, x, 4] = dc.group_id(0)
    out[y, x, 5] = dc.group_id(1)
    out[y, x, 6] = dc.local_size(0)
    out[y, x, 7] = dc.local_size(1)
    out[y, x, 8] = dc.global_size(0)
    out[y, x, 9] = dc.global_size(1)
    out[y, x, 10] = dc.num_groups(0)
    out[y, x, 11] = dc.num_groups(1)


@dc.kernel
def queries_3d(out: dc.Array[dc.int64, 4]):
    x = dc.global_id(0)
    y = dc.global_id(1)
    z = dc.global_id(2)
    out[z, y, x, 0] = x
    out[z, y, x, 1] = y
    out[z, y, x, 2] = z
    out[z, y, x, 3] = dc.local_id(0)
    out[z, y, x, 4] = dc.local_id(1)
    out[z, y, x, 5] = dc.local_id(2)
    out[z, y, x, 6] = dc.group_id(0)
    out[z, y, x, 7] = dc.group_id(1)
    out[z, y, x, 8] = dc.group_id(2)
    out[z, y, x, 9] = dc.local_size(0)
    out[z, y, x, 10] = dc.local_size(1)
    out[z, y, x, 11] = dc.local_size(2)
    out[z, y, x, 12] = dc.global_size(0)
    out[z, y, x, 13] = dc.global_size(1)
    out[z, y, x, 14] = dc.global_size(2)
    out[z, y, x, 15] = dc.num_groups(0)
    out[z, y, x, 16] = dc.num_groups(1)
    out[z, y, x, 17] = dc.num_groups(2)


QUERY_KERNELS = {1: queries_1d, 2: queries_2d, 3: queries_3d}


def expected_queries(global_size: tuple, local_size: tuple) -> np.ndarray:
    """What queries_<n>d writes: shape (*reversed(global_size), 6 * n), column kind * n + d for
    the kinds global_id, local_id, group_id, local_size, global_size, num_groups."""
    ndim = len(global_size)
    grids = np.meshgrid(*[np.arange(n) for n in reversed(global_size)], indexing="ij")
    ids = list(reversed(grids))  # ids[d]: the global id along dimension d of every work-item
    columns = []
    for kind in range(6):
        for d in range(ndim):
            g, local, size = ids[d], local_size[d], global_size[d]
            value = [g, g % local, g // local, local, size, -(-size // local)][kind]
            columns.append(np.broadcast_to(value, g.shape))
    return np.stack(columns, axis=-1).astype(np.int64)


@pytest.mark.parametrize(
    ("global_size", "local_size"),
    [
        ((1,), (1,)),
        ((1000,), (7,)),  # the last group is partial
        ((70_001,), (256,)),
        ((129, 37), (16, 4)),
        ((129, 37), (1, 37)),
        ((33, 17, 5), (8, 4, 2)),
        ((7, 1, 3), (7, 1, 3)),
    ],
)
def test_work_item_queries_with_explicit_local_size(device, global_size, local_size):
    kernel = QUERY_KERNELS[len(global_size)]
    out = dc.zeros((*reversed(global_size), 6 * len(global_size)), dtype="int64", device=device)
    kernel.launch(global_size, out, local_size=local_size)
    np.testing.assert_array_equal(out.numpy(), expected_queries(global_size, local_size))


@pytest.mark.parametrize("global_size", [(1,), (1000,), (70_001,), (129, 37), (33, 17, 5)])
def test_work_item_queries_with_the_default_local_size(device, global_size):
    ndim = len(global_size)
    out = dc.zeros((*reversed(global_size), 6 * ndim), dtype="int64", device=device)
    QUERY_KERNELS[ndim][global_size if ndim > 1 else global_size[0]](out)
    result = out.numpy()
    # The device picks the group; every work-item must report the same one.
    local_columns = result[..., 3 * ndim : 4 * ndim].reshape(-1, ndim)
    local_size = tuple(int(v) for v in local_columns[0])
    assert (local_columns == local_size).all()
    assert all(v >= 1 for v in local_size)
    np.testing.assert_array_equal(result, expected_queries(global_size, local_size))


# =============================================================================================
# Control flow
# =============================================================================================


@dc.kernel
def classify(x: dc.Array[dc.float32], out: dc.Array[dc.int32]):
    i = dc.global_id(0)
    if i >= x.shape[0]:
        return
    v = x[i]
    if v < -2.0:
        out[i] = -2
    elif v < 0.0:
        out[i] = -1
    elif v == 0.0:
        out[i] = 0
    elif v < 2.0:
        out[i] = 1
    else:
        out[i] = 2


@pytest.mark.parametrize("n", [1, 7, 1000, 70_001])
def test_if_elif_else_and_early_return(device, rng, n):
    x = random_array(rng, n, "float32")
    x[::5] = 0.0
    out = on(device, np.full(n, 99, np.int32))
    classify[n + 13](on(device, x), out)  # the extra work-items return at once
    expected = np.select([x < -2, x < 0, x == 0, x < 2], [-2, -1, 0, 1], 2)
    np.testing.assert_array_equal(out.numpy(), expected)


@dc.kernel
def clamp_with_conditional_expressions(
    x: dc.Array[dc.float32], lo: dc.float32, hi: dc.float32, out: dc.Array[dc.float32]
):
    i = dc.global_id(0)
    if i < x.shape[0]:
        v = x[i]
        out[i] = lo if v < lo else (hi if v > hi else v)


@pytest.mark.parametrize("n", [1, 1000])
def test_conditional_expression(device, rng, n):
    x = random_array(rng, n, "float32")
    out = dc.zeros(n, dtype="float32", device=device)
    clamp_with_conditional_expressions[n](on(device, x), -1.5, 2.5, out)
    np.testing.assert_array_equal(out.numpy(), np.clip(x, -1.5, 2.5))


@dc.kernel
def range_forms(
    k: dc.Array[dc.int32],
    start: dc.Array[dc.int32],
    stop: dc.Array[dc.int32],
    step: dc.int32,
    out: dc.Array[dc.int64, 2],
):
    i = dc.global_id(0)
    if i < k.shape[0]:
        total = dc.int64(0)
        for j in range(k[i]):
            total += j
        out[i, 0] = total
        total = 0
        for j in range(-k[i], k[i]):
            total += j * j
        out[i, 1] = total
        total = 0
        for j in range(k[i], -k[i], -3):
            total += j
        out[i, 2] = total
        total = 0
        count = 0
        for j in range(start[i], stop[i], step):
            total += j
            count += 1
        out[i, 3] = total
        out[i, 4] = count


@pytest.mark.parametrize("step", [1, 2, 5, -1, -3])
def test_for_range_with_one_two_three_arguments_and_runtime_step(device, rng, step):
    n = 1000
    k = rng.integers(-5, 40, n).astype(np.int32)
    start = rng.integers(-30, 30, n).astype(np.int32)
    stop = rng.integers(-30, 30, n).astype(np.int32)
    out = dc.zeros((n, 5), dtype="int64", device=device)
    range_forms[n](on(device, k), on(device, start), on(device, stop), step, out)
    expected = np.array(
        [
            [
                sum(range(v)),
                sum(j * j for j in range(-v, v)),
                sum(range(v, -v, -3)),
                sum(range(a, b, step)),
                len(range(a, b, step)),
            ]
            for v, a, b in zip(k.tolist(), start.tolist(), stop.tolist(), strict=True)
        ]
    )
    np.testing.assert_array_equal(out.numpy(), expected)


@dc.kernel
def collatz_steps(start: dc.Array[dc.int64], limit: dc.int32, steps: dc.Array[dc.int32]):
    i = dc.global_id(0)
    if i < start.shape[0]:
        v = start[i]
        count = 0
        while v != 1:
            if count == limit:
                break
            v = v // 2 if v % 2 == 0 else 3 * v + 1
            count += 1
        steps[i] = count


def collatz(v: int, limit: int) -> int:
    count = 0
    while v != 1 and count != limit:
        v = v // 2 if v % 2 == 0 else 3 * v + 1
        count += 1
    return count


@pytest.mark.parametrize("limit", [1000, 20])
def test_while_with_break(device, limit):
    start = np.arange(1, 1001, dtype=np.int64)
    steps = dc.zeros(1000, dtype="int32", device=device)
    collatz_steps[1000](on(device, start), limit, steps)
    np.testing.assert_array_equal(steps.numpy(), [collatz(v, limit) for v in start.tolist()])


@dc.kernel
def loops_with_continue_and_break(
    n: dc.Array[dc.int32], skip: dc.int32, stop_at: dc.int32, out: dc.Array[dc.int64, 2]
):
    i = dc.global_id(0)
    if i < n.shape[0]:
        total = dc.int64(0)
        for j in range(n[i]):
            if j % skip == 0:
                continue
            if j > stop_at:
                break
            total += j
        out[i, 0] = total
        j = 0
        total = 0
        while True:
            j += 1
            if j > n[i]:
                break
            if j % 3 == 1:
                continue
            total += j * j
        out[i, 1] = total


def test_continue_and_break_in_for_and_while(device, rng):
    n = rng.integers(0, 60, 1001).astype(np.int32)
    out = dc.zeros((1001, 2), dtype="int64", device=device)
    loops_with_continue_and_break[1001](on(device, n), 4, 37, out)

    def for_loop(v):
        return sum(j for j in range(min(v, 38)) if j % 4 != 0)

    def while_loop(v):
        return sum(j * j for j in range(1, v + 1) if j % 3 != 1)

    expected = [[for_loop(v), while_loop(v)] for v in n.tolist()]
    np.testing.assert_array_equal(out.numpy(), expected)


@dc.kernel
def nested_loops_2d(a: dc.Array[dc.float32, 2], window: dc.int32, out: dc.Array[dc.float32, 2]):
    # A box filter: each output is the mean of a (2 * window + 1)^2 neighborhood, clipped.
    x = dc.global_id(0)
    y = dc.global_id(1)
    if y < a.shape[0] and x < a.shape[1]:
        total = dc.float32(0)
        count = 0
        for dy in range(-window, window + 1):
            yy = y + dy
            if yy < 0 or yy >= a.shape[0]:
                continue
            for dx in range(-window, window + 1):
                xx = x + dx
                if 0 <= xx < a.shape[1]:
                    total += a[yy, xx]
                    count += 1
        out[y, x] = total / count


def test_nested_loops_over_a_2d_index_space(device, rng):
    a = random_array(rng, (37, 129), "float32")
    out = dc.zeros((37, 129), dtype="float32", device=device)
    nested_loops_2d.launch((129, 37), on(device, a), 2, out, local_size=(16, 4))
    padded = np.pad(a.astype(np.float64), 2)
    ones = np.pad(np.ones_like(a, dtype=np.float64), 2)
    sums = sum(padded[dy : dy + 37, dx : dx + 129] for dy in range(5) for dx in range(5))
    counts = sum(ones[dy : dy + 37, dx : dx + 129] for dy in range(5) for dx in range(5))
    assert_close(out, sums / counts, "float32", scale=10)


# =============================================================================================
# Assignment and locals
# =============================================================================================


@dc.kernel
def augmented_assignments(
    a: dc.Array[dc.int32],
    b: dc.Array[dc.int32],
    f: dc.Array[dc.float32],
    ints: dc.Array[dc.int32, 2],
    floats: dc.Array[dc.float32, 2],
):
    i = dc.global_id(0)
    if i < a.shape[0]:
        x = a[i]
        x += b[i]
        ints[i, 0] = x
        x -= 3
        ints[i, 1] = x
        x *= b[i]
        ints[i, 2] = x
        x //= b[i]
        ints[i, 3] = x
        x %= 7
        ints[i, 4] = x
        x **= 3
        ints[i, 5] = x
        x <<= 2
        ints[i, 6] = x
        x >>= 1
        ints[i, 7] = x
        x &= 0xF0
        ints[i, 8] = x
        x |= 0x101
        ints[i, 9] = x
        x ^= 0x55
        ints[i, 10] = x
        # Array elements as targets, in 2-D.
        ints[i, 11] = a[i]
        ints[i, 11] += b[i]
        ints[i, 11] *= 3
        ints[i, 11] -= 1
        ints[i, 11] //= -4
        ints[i, 11] %= 5
        y = f[i]
        y += 1.5
        floats[i, 0] = y
        y -= f[i] * 2
        floats[i, 1] = y
        y *= 3.0
        floats[i, 2] = y
        y /= 1.75
        floats[i, 3] = y
        y %= 2.5
        floats[i, 4] = y
        y **= 2
        floats[i, 5] = y
        floats[i, 6] = f[i]
        floats[i, 6] *= f[i]
        floats[i, 6] /= 4.0
        floats[i, 6] -= 0.5


def test_augmented_assignment_to_locals_and_array_elements(device, rng):
    n = 1001
    a, b = random_array(rng, n, "int32"), random_array(rng, n, "int32")
    f = random_array(rng, n, "float32")
    ints = dc.zeros((n, 12), dtype="int32", device=device)
    floats = dc.zeros((n, 7), dtype="float32", device=device)
    augmented_assignments[n](on(device, a), on(device, b), on(device, f), ints, floats)

    x, columns = a + b, []
    columns.append(x)
    x = x - 3
    columns.append(x)
    x = x * b
    columns.append(x)
    x = np.floor_divide(x, b)
    columns.append(x)
    x = np.mod(x, 7)
    columns.append(x)
    x = x**3
    columns.append(x)
    x = x << 2
    columns.append(x)
    x = x >> 1
    columns.append(x)
    x = x & 0xF0
    columns.append(x)
    x = x | 0x101
    columns.append(x)
    x = x ^ 0x55
    columns.append(x)
    columns.append(np.mod(np.floor_divide((a + b) * 3 - 1, -4), 5))
    np.testing.assert_array_equal(ints.numpy(), np.stack(columns, axis=1))

    f32 = np.float32
    y, columns = f + f32(1.5), []
    columns.append(y)
    y = y - f * f32(2)
    columns.append(y)
    y = y * f32(3)
    columns.append(y)
    y = y / f32(1.75)
    columns.append(y)
    y = np.mod(y, f32(2.5))
    columns.append(y)
    y = y**2
    columns.append(y)
    columns.append(f * f / f32(4) - f32(0.5))
    assert_close(floats, np.stack(columns, axis=1).astype(np.float64), "float32", scale=5)


@dc.kernel
def locals_of_every_type(
    x: dc.Array[dc.int32], out: dc.Array[dc.float64, 2], half: dc.Array[dc.float16]
):
    i = dc.global_id(0)
    if i < x.shape[0]:
        v = x[i]
        flag: dc.bool_ = v > 0
        i8: dc.int8 = dc.int8(v)
        i8 += 100  # int8 arithmetic wraps
        i16: dc.int16 = dc.int16(v)
        i16 *= 400
        i32: dc.int32 = v
        i32 = i32 * 1000 - 7
        i64: dc.int64 = v
        i64 = i64 * 3_000_000_000
        u8: dc.uint8 = dc.uint8(v)
        u8 -= 200
        u16: dc.uint16 = dc.uint16(v)
        u16 *= 1000
        u32: dc.uint32 = dc.uint32(v)
        u32 = u32 * 3
        u64: dc.uint64 = dc.uint64(v)
        u64 = u64 + 1
        f32: dc.float32 = v
        f32 = f32 / 3.0
        f64: dc.float64 = v
        f64 = f64 / 3.0
        h: dc.float16 = dc.float16(v)
        h = h * 0.125 + 0.5
        out[i, 0] = flag
        out[i, 1] = i8
        out[i, 2] = i16
        out[i, 3] = i32
        out[i, 4] = i64
        out[i, 5] = u8
        out[i, 6] = u16
        out[i, 7] = u32
        out[i, 8] = u64
        out[i, 9] = f32
        out[i, 10] = f64
        half[i] = h


def test_local_scalars_of_every_type(device, rng):
    n = 1000
    x = random_array(rng, n, "int32")
    out = dc.zeros((n, 11), dtype="float64", device=device)
    half = dc.zeros(n, dtype="float16", device=device)
    locals_of_every_type[n](on(device, x), out, half)
    expected = np.stack(
        [
            x > 0,
            x.astype(np.int8) + np.int8(100),
            x.astype(np.int16) * np.int16(400),
            x * 1000 - 7,
            x.astype(np.int64) * 3_000_000_000,
            x.astype(np.uint8) - np.uint8(200),
            x.astype(np.uint16) * np.uint16(1000),
            x.astype(np.uint32) * np.uint32(3),
            x.astype(np.uint64) + np.uint64(1),
            x.astype(np.float32) / np.float32(3),
            x / 3.0,
        ],
        axis=1,
    ).astype(np.float64)
    np.testing.assert_array_equal(out.numpy()[:, :9], expected[:, :9])
    np.testing.assert_array_equal(out.numpy()[:, 9], expected[:, 9])  # float32 division
    np.testing.assert_allclose(out.numpy()[:, 10], expected[:, 10], rtol=1e-15)
    np.testing.assert_allclose(
        half.numpy(), x.astype(np.float16) * np.float16(0.125) + np.float16(0.5), rtol=1e-3
    )


# =============================================================================================
# Indexing and array attributes
# =============================================================================================


@dc.kernel
def indexing_3d(
    a: dc.Array[dc.float32, 3],
    out: dc.Array[dc.float32, 3],
    last: dc.Array[dc.float32, 2],
    meta: dc.Array[dc.int64],
):
    x = dc.global_id(0)
    y = dc.global_id(1)
    z = dc.global_id(2)
    if z < a.shape[0] and y < a.shape[1] and x < a.shape[2]:
        out[z, y, x] = a[z, y, x] * 2.0 + a[a.shape[0] - 1 - z, y, a.shape[2] - 1 - x]
        if x == 0:
            last[z, y] = a[z, y, -1]
    if x == 0 and y == 0 and z == 0:
        meta[0] = a.shape[0]
        meta[1] = a.shape[1]
        meta[2] = a.shape[2]
        meta[3] = a.size
        meta[4] = len(a)
        meta[5] = a.ndim
        meta[6] = len(meta)


@pytest.mark.parametrize(
    ("shape", "global_size", "local_size"),
    [
        ((5, 17, 33), (33, 17, 5), None),
        ((5, 17, 33), (35, 19, 6), (8, 4, 2)),  # more work-items than elements: guarded
        ((1, 1, 1), (1, 1, 1), None),
    ],
)
def test_nd_indexing_shape_size_len(device, rng, shape, global_size, local_size):
    a = random_array(rng, shape, "float32")
    out = dc.zeros(shape, dtype="float32", device=device)
    last = dc.zeros(shape[:2], dtype="float32", device=device)
    meta = dc.zeros(7, dtype="int64", device=device)
    indexing_3d.launch(global_size, on(device, a), out, last, meta, local_size=local_size)
    np.testing.assert_array_equal(out.numpy(), a * np.float32(2) + a[::-1, :, ::-1])
    np.testing.assert_array_equal(last.numpy(), a[:, :, -1])
    np.testing.assert_array_equal(meta.numpy(), [*shape, a.size, shape[0], 3, 7])


@dc.kernel
def row_sums_2d(a: dc.Array[dc.float64, 2], out: dc.Array[dc.float64]):
    row = dc.global_id(0)
    if row < len(a):
        total = dc.float64(0)  # a lone 0.0 would make a float32 local
        for col in range(a.shape[1]):
            total += a[row, col]
        out[row] = total


@pytest.mark.parametrize("shape", [(1, 1), (37, 129), (1000, 7)])
def test_loop_over_the_columns_of_a_2d_array(device, rng, shape):
    a = random_array(rng, shape, "float64")
    out = dc.zeros(shape[0], dtype="float64", device=device)
    row_sums_2d[shape[0]](on(device, a), out)
    assert_close(out, a.sum(axis=1), scale=10)


# =============================================================================================
# Arithmetic
# =============================================================================================


@dc.kernel
def integer_arithmetic(a: dc.Array, b: dc.Array, out: dc.Array[dc.int64, 2]):
    i = dc.global_id(0)
    if i < a.shape[0]:
        out[0, i] = a[i] + b[i]
        out[1, i] = a[i] - b[i]
        out[2, i] = a[i] * b[i]
        out[3, i] = a[i] // b[i]
        out[4, i] = a[i] % b[i]
        out[5, i] = -a[i]
        out[6, i] = abs(a[i])
        out[7, i] = min(a[i], b[i])
        out[8, i] = max(a[i], b[i], 3)
        out[9, i] = a[i] // 7
        out[10, i] = a[i] % 7
        out[11, i] = -a[i] // b[i]


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"])
def test_integer_arithmetic_follows_python_and_wraps_narrow_types(device, rng, dtype):
    n = 1001
    a, b = random_array(rng, n, dtype), random_array(rng, n, dtype)
    t = np.dtype(dtype).type
    out = dc.zeros((12, n), dtype="int64", device=device)
    integer_arithmetic[n](on(device, a), on(device, b), out)
    expected = [
        a + b,
        a - b,
        a * b,
        np.floor_divide(a, b),
        np.mod(a, b),
        -a,
        np.abs(a),
        np.minimum(a, b),
        np.maximum(np.maximum(a, b), t(3)),
        np.floor_divide(a, t(7)),
        np.mod(a, t(7)),
        np.floor_divide(-a, b),
    ]
    np.testing.assert_array_equal(out.numpy(), np.stack(expected).astype(np.int64))


@dc.kernel
def floor_division_and_modulo(a: dc.Array, b: dc.Array, quotient: dc.Array, rest: dc.Array):
    i = dc.global_id(0)
    if i < a.shape[0]:
        quotient[i] = a[i] // b[i]
        rest[i] = a[i] % b[i]


@dc.kernel
def power_of_two_divisions(a: dc.Array, out: dc.Array):
    # Constant power-of-two divisors: the generators use shifts and masks (codegen_base).
    i = dc.global_id(0)
    if i < a.shape[0]:
        out[0, i] = a[i] // 1
        out[1, i] = a[i] // 2
        out[2, i] = a[i] // 8
        out[3, i] = a[i] // 64
        out[4, i] = a[i] % 1
        out[5, i] = a[i] % 2
        out[6, i] = a[i] % 8
        out[7, i] = a[i] % 64
        out[8, i] = (a[i] + 3) // 16 + (a[i] - 5) % 16


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "uint32", "int64", "float32"])
def test_floor_division_and_modulo_by_powers_of_two(device, rng, dtype):
    a = random_array(rng, 1001, dtype)
    if np.dtype(dtype).kind in "iu":  # the extremes of the type, and every residue near 0
        info = np.iinfo(dtype)
        a[:4] = [info.min, info.max, info.min + 1, info.max - 1]
        a[4:134] = np.arange(-65, 65) if info.min < 0 else np.arange(0, 130)
    out = dc.zeros((9, 1001), dtype, device)
    power_of_two_divisions[1001](on(device, a), out)
    with np.errstate(over="ignore"):
        shifted = (a + a.dtype.type(3)) // 16 + (a - a.dtype.type(5)) % 16
    expected = [a // 1, a // 2, a // 8, a // 64, a % 1, a % 2, a % 8, a % 64, shifted]
    np.testing.assert_array_equal(out.numpy(), np.stack(expected).astype(dtype))


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_floor_division_and_modulo_on_negative_operands(device, dtype):
    # Every sign combination, exact multiples, and |a| < |b|.
    pairs = [(a, b) for a in range(-13, 14) for b in (-7, -5, -3, -2, -1, 1, 2, 3, 5, 7)]
    a = np.array([p[0] for p in pairs], dtype)
    b = np.array([p[1] for p in pairs], dtype)
    quotient, rest = dc.zeros(len(a), dtype, device), dc.zeros(len(a), dtype, device)
    floor_division_and_modulo[len(a)](on(device, a), on(device, b), quotient, rest)
    np.testing.assert_array_equal(quotient.numpy(), np.floor_divide(a, b))
    np.testing.assert_array_equal(rest.numpy(), np.mod(a, b))
    np.testing.assert_array_equal(quotient.numpy(), [x // y for x, y in pairs])  # as Python


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_division_edge_cases(device, dtype):
    # Documented: a zero divisor gives 0 for // and %, and MIN // -1 wraps to MIN (as numpy).
    smallest = np.iinfo(dtype).min
    a = np.array([5, -5, 0, smallest, smallest], dtype)
    b = np.array([0, 0, 0, -1, 1], dtype)
    quotient, rest = dc.zeros(5, dtype, device), dc.zeros(5, dtype, device)
    floor_division_and_modulo[5](on(device, a), on(device, b), quotient, rest)
    np.testing.assert_array_equal(quotient.numpy(), [0, 0, 0, smallest, smallest])
    np.testing.assert_array_equal(rest.numpy(), [0, 0, 0, 0, 0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_floor_division_and_modulo(device, rng, dtype):
    n = 1001
    a, b = random_array(rng, n, dtype), random_array(rng, n, dtype)
    quotient, rest = dc.zeros(n, dtype, device), dc.zeros(n, dtype, device)
    floor_division_and_modulo[n](on(device, a), on(device, b), quotient, rest)
    np.testing.assert_array_equal(quotient.numpy(), np.floor_divide(a, b))
    assert_close(rest, np.mod(a, b).astype(np.float64), dtype)
    # The remainder takes the divisor's sign, as in Python.
    nonzero = rest.numpy() != 0
    assert (np.sign(rest.numpy()[nonzero]) == np.sign(b[nonzero])).all()


def test_float_floor_division_where_the_quotient_rounds_up(device):
    # Python, numpy and the language rules agree: 1.0 // 0.1 == 9.0 (0.1 is a bit above 1/10,
    # so the exact quotient is a bit below 10), although 1.0 / 0.1 rounds to 10.0.
    a = np.array([1.0, -1.0, 0.3, 7.0], np.float64)
    b = np.array([0.1, 0.1, 0.1, 0.7], np.float64)
    quotient, rest = dc.zeros(4, "float64", device), dc.zeros(4, "float64", device)
    floor_division_and_modulo[4](on(device, a), on(device, b), quotient, rest)
    assert 1.0 // 0.1 == 9.0 and 1.0 / 0.1 == 10.0
    np.testing.assert_array_equal(quotient.numpy(), np.floor_divide(a, b))
    np.testing.assert_array_equal(rest.numpy(), np.mod(a, b))


@dc.kernel
def true_division(a: dc.Array, b: dc.Array, out: dc.Array[dc.float64]):
    i = dc.global_id(0)
    if i < a.shape[0]:
        out[i] = a[i] / b[i]


@pytest.mark.parametrize(
    ("dtype", "computed_in"),
    [
        ("int8", np.float32),
        ("uint16", np.float32),
        ("int32", np.float32),
        ("uint32", np.float32),
        ("int64", np.float64),
        ("uint64", np.float64),
        ("float16", np.float32),  # float16 computes in float32 (and is not rounded back here)
        ("float32", np.float32),
        ("float64", np.float64),
    ],
)
def test_true_division_type_rules(device, rng, dtype, computed_in):
    # Integer operands divide in float32, or float64 when an operand is a 64-bit integer.
    n = 1000
    a, b = random_array(rng, n, dtype), random_array(rng, n, dtype)
    out = dc.zeros(n, dtype="float64", device=device)
    true_division[n](on(device, a), on(device, b), out)
    expected = a.astype(computed_in) / b.astype(computed_in)
    np.testing.assert_array_equal(out.numpy(), expected.astype(np.float64))


@dc.kernel
def powers(a: dc.Array, e: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    if i < a.shape[0]:
        out[i] = a[i] ** e[i]


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint32"])
def test_integer_power(device, rng, dtype):
    n = 1000
    base = rng.integers(-9 if dtype[0] == "i" else 0, 10, n).astype(dtype)
    exponent = rng.integers(0, 8, n).astype(dtype)
    out = dc.zeros(n, dtype, device)
    powers[n](on(device, base), on(device, exponent), out)
    np.testing.assert_array_equal(out.numpy(), np.power(base, exponent))  # wraps for int8


def test_integer_power_with_negative_exponents(device):
    # Documented: 0 except for bases 1 and -1 (the truncated real result).
    base = np.array([1, -1, -1, 2, -3, 0, 7, 1], np.int32)
    exponent = np.array([-3, -3, -2, -1, -2, -1, 0, 0], np.int32)
    out = dc.zeros(8, "int32", device)
    powers[8](on(device, base), on(device, exponent), out)
    np.testing.assert_array_equal(out.numpy(), [1, -1, 1, 0, 0, 0, 1, 1])


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_power(device, rng, dtype):
    n = 1001
    base = np.abs(random_array(rng, n, dtype))
    exponent = rng.uniform(-3, 3, n).astype(dtype)
    out = dc.zeros(n, dtype, device)
    powers[n](on(device, base), on(device, exponent), out)
    assert_close(out, np.power(base.astype(np.float64), exponent.astype(np.float64)), dtype)


@dc.kernel
def bit_operations(a: dc.Array, b: dc.Array, count: dc.Array, out: dc.Array[dc.int64, 2]):
    i = dc.global_id(0)
    if i < a.shape[0]:
        out[0, i] = a[i] & b[i]
        out[1, i] = a[i] | b[i]
        out[2, i] = a[i] ^ b[i]
        out[3, i] = ~a[i]
        out[4, i] = a[i] << count[i]
        out[5, i] = a[i] >> count[i]
        out[6, i] = a[i] << 3
        out[7, i] = a[i] >> 2


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "uint32", "int64"])
def test_bit_operations_and_shifts(device, rng, dtype):
    n = 1000
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)
    b = rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)
    shift = rng.integers(0, info.bits, n).astype(dtype)  # in range; negative a included
    out = dc.zeros((8, n), dtype="int64", device=device)
    bit_operations[n](on(device, a), on(device, b), on(device, shift), out)
    expected = [
        a & b,
        a | b,
        a ^ b,
        ~a,
        np.left_shift(a, shift),
        np.right_shift(a, shift),
        np.left_shift(a, np.array(3).astype(dtype)),
        np.right_shift(a, np.array(2).astype(dtype)),
    ]
    np.testing.assert_array_equal(out.numpy(), np.stack(expected).astype(np.int64))


def test_shift_counts_outside_the_type_width(device):
    # Documented (numpy's results): << gives 0, >> gives 0 or -1 for negative values.
    a = np.array([5, -5, 5, -5, 1, -1], np.int32)
    count = np.array([32, 32, 40, 40, -1, -1], np.int32)
    out = dc.zeros((8, 6), dtype="int64", device=device)
    bit_operations[6](on(device, a), on(device, a), on(device, count), out)
    np.testing.assert_array_equal(out.numpy()[4], [0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(out.numpy()[5], [0, -1, 0, -1, 0, -1])


@dc.kernel
def wide_constants(a: dc.Array[dc.uint64], b: dc.Array[dc.int64]):
    i = dc.global_id(0)
    if i < a.shape[0]:
        # Small constants of 64-bit type: every shift and product below overflows 32 bits.
        a[i] = a[i] + (a.dtype(0x7FF) << a.dtype(52)) + a.dtype(3) * a.dtype(3000000000)
        b[i] = b[i] + (b.dtype(1) << b.dtype(40)) - b.dtype(5) * b.dtype(1000000000)


def test_small_constants_of_64_bit_types_compute_in_64_bits(device, rng):
    n = 333
    a = rng.integers(0, 1000, n).astype(np.uint64)
    b = rng.integers(-1000, 1000, n).astype(np.int64)
    expected_a = a + np.uint64(0x7FF << 52) + np.uint64(9000000000)
    expected_b = b + np.int64(1 << 40) - np.int64(5000000000)
    x, y = on(device, a.copy()), on(device, b.copy())
    wide_constants[n](x, y)
    np.testing.assert_array_equal(x.numpy(), expected_a)
    np.testing.assert_array_equal(y.numpy(), expected_b)


@dc.kernel
def comparisons(a: dc.Array[dc.float32], b: dc.Array[dc.int32], out: dc.Array[dc.bool_, 2]):
    i = dc.global_id(0)
    if i < a.shape[0]:
        out[0, i] = a[i] < b[i]
        out[1, i] = a[i] <= b[i]
        out[2, i] = a[i] > b[i]
        out[3, i] = a[i] >= b[i]
        out[4, i] = b[i] == 3
        out[5, i] = b[i] != 3
        out[6, i] = -1.0 < a[i] < 2.0
        out[7, i] = b[i] - 5 <= a[i] < b[i] + 5 != 12
        out[8, i] = 0 < b[i] < 50 > a[i]


def test_comparisons_and_chains(device, rng):
    n = 1000
    a = random_array(rng, n, "float32").round()
    b = rng.integers(-10, 60, n).astype(np.int32)
    out = dc.zeros((9, n), dtype="bool", device=device)
    comparisons[n](on(device, a), on(device, b), out)
    expected = [
        a < b,
        a <= b,
        a > b,
        a >= b,
        b == 3,
        b != 3,
        (a > -1) & (a < 2),
        (b - 5 <= a) & (a < b + 5) & (b + 5 != 12),
        (b > 0) & (b < 50) & (a < 50),
    ]
    np.testing.assert_array_equal(out.numpy(), np.stack(expected))


@dc.func
def mark(flags, i):
    flags[i] = 1
    return True


@dc.kernel
def boolean_operators(
    a: dc.Array[dc.int32],
    b: dc.Array[dc.int32],
    out: dc.Array[dc.bool_, 2],
    flags: dc.Array[dc.int32],
):
    i = dc.global_id(0)
    if i < a.shape[0]:
        p = a[i] > 0
        q = b[i] > 0
        out[0, i] = p and q
        out[1, i] = p or not q
        out[2, i] = not p
        out[3, i] = a[i] and b[i] % 3  # operands that are not bool: the result is still bool
        out[4, i] = (p and q) or not (a[i] < b[i])
        # Short-circuit: mark() only runs when the left operand does not decide.
        out[5, i] = p or mark(flags, i)


def test_and_or_not_with_short_circuit(device, rng):
    n = 1000
    a, b = random_array(rng, n, "int32"), random_array(rng, n, "int32")
    a[::7] = 0
    out = dc.zeros((6, n), dtype="bool", device=device)
    flags = dc.zeros(n, dtype="int32", device=device)
    boolean_operators[n](on(device, a), on(device, b), out, flags)
    p, q = a > 0, b > 0
    expected = [p & q, p | ~q, ~p, (a != 0) & (np.mod(b, 3) != 0), (p & q) | (a >= b), np.ones(n)]
    np.testing.assert_array_equal(out.numpy(), np.stack(expected).astype(bool))
    np.testing.assert_array_equal(flags.numpy(), (~p).astype(np.int32))


# =============================================================================================
# Casts
# =============================================================================================


@dc.kernel
def casts(
    f: dc.Array[dc.float64],
    n: dc.Array[dc.int32],
    as_f32: dc.Array[dc.float32],
    as_i32: dc.Array[dc.int32],
    as_i64: dc.Array[dc.int64],
    as_f64: dc.Array[dc.float64],
    as_bool: dc.Array[dc.bool_],
    as_u8: dc.Array[dc.uint8],
    as_f16: dc.Array[dc.float16],
):
    i = dc.global_id(0)
    if i < f.shape[0]:
        as_f32[i] = dc.float32(f[i])
        as_i32[i] = dc.int32(f[i])  # truncates toward zero
        as_i64[i] = int(f[i] * 1000.0)
        as_f64[i] = float(n[i]) / 3  # float() is float64
        as_bool[i] = bool(n[i] % 3)
        as_u8[i] = dc.uint8(n[i])  # wraps
        as_f16[i] = dc.float16(f[i])


def test_casts(device, rng):
    size = 1001
    f = random_array(rng, size, "float64") * 10
    n = rng.integers(-1000, 1000, size).astype(np.int32)
    outputs = {
        name: dc.zeros(size, dtype, device)
        for name, dtype in [
            ("f32", "float32"),
            ("i32", "int32"),
            ("i64", "int64"),
            ("f64", "float64"),
            ("bool", "bool"),
            ("u8", "uint8"),
            ("f16", "float16"),
        ]
    }
    casts[size](on(device, f), on(device, n), *outputs.values())
    np.testing.assert_array_equal(outputs["f32"].numpy(), f.astype(np.float32))
    np.testing.assert_array_equal(outputs["i32"].numpy(), np.trunc(f).astype(np.int32))
    np.testing.assert_array_equal(outputs["i64"].numpy(), np.trunc(f * 1000).astype(np.int64))
    np.testing.assert_array_equal(outputs["f64"].numpy(), n.astype(np.float64) / 3)
    np.testing.assert_array_equal(outputs["bool"].numpy(), np.mod(n, 3) != 0)
    np.testing.assert_array_equal(outputs["u8"].numpy(), n.astype(np.uint8))
    np.testing.assert_array_equal(outputs["f16"].numpy(), f.astype(np.float16))


@dc.kernel
def float_to_int32(f: dc.Array[dc.float64], out: dc.Array[dc.int32]):
    i = dc.global_id(0)
    if i < f.shape[0]:
        out[i] = dc.int32(f[i])


def test_float_to_int_conversion_saturates(device):
    # Documented: out-of-range conversions saturate, NaN gives 0.
    f = np.array([1e10, -1e10, np.nan, np.inf, -np.inf, 2.9, -2.9, 2147483647.5])
    out = dc.zeros(8, "int32", device)
    float_to_int32[8](on(device, f), out)
    top, bottom = 2**31 - 1, -(2**31)
    np.testing.assert_array_equal(out.numpy(), [top, bottom, 0, top, bottom, 2, -2, top])


# =============================================================================================
# Math functions
# =============================================================================================


@dc.kernel
def math_functions_dc(
    x: dc.Array, y: dc.Array, z: dc.Array, out: dc.Array
):  # x > 0; y, z of either sign
    i = dc.global_id(0)
    if i < x.shape[0]:
        out[0, i] = dc.sqrt(x[i])
        out[1, i] = dc.exp(y[i])
        out[2, i] = dc.log(x[i])
        out[3, i] = dc.sin(y[i])
        out[4, i] = dc.cos(y[i])
        out[5, i] = dc.tan(y[i])
        out[6, i] = dc.tanh(y[i])
        out[7, i] = abs(y[i])
        out[8, i] = min(x[i], y[i])
        out[9, i] = max(x[i], y[i])
        out[10, i] = dc.floor(y[i])
        out[11, i] = dc.ceil(y[i])
        out[12, i] = dc.pow(x[i], y[i])
        out[13, i] = dc.fma(x[i], y[i], z[i])
        out[14, i] = dc.min(x[i], y[i], z[i])
        out[15, i] = dc.max(x[i], y[i], z[i])


@dc.kernel
def math_functions_math_module(x: dc.Array, y: dc.Array, z: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    if i < x.shape[0]:
        out[0, i] = math.sqrt(x[i])
        out[1, i] = math.exp(y[i])
        out[2, i] = math.log(x[i])
        out[3, i] = math.sin(y[i])
        out[4, i] = math.cos(y[i])
        out[5, i] = math.tan(y[i])
        out[6, i] = math.tanh(y[i])
        out[7, i] = math.fabs(y[i])
        out[8, i] = math.floor(y[i])
        out[9, i] = math.ceil(y[i])
        out[10, i] = math.pow(x[i], y[i])
        out[11, i] = math.atan2(y[i], z[i])
        out[12, i] = math.hypot(y[i], z[i])
        out[13, i] = math.log2(x[i])
        out[14, i] = math.log10(x[i])
        out[15, i] = math.exp2(y[i])


def math_inputs(rng, dtype, n=1001):
    x = np.abs(random_array(rng, n, dtype))
    y, z = random_array(rng, n, dtype), random_array(rng, n, dtype)
    return x, y, z


@pytest.mark.parametrize("dtype", FLOATS)
def test_math_functions_from_dc(device, rng, dtype):
    x, y, z = math_inputs(rng, dtype)
    out = dc.zeros((16, len(x)), dtype, device)
    math_functions_dc[len(x)](on(device, x), on(device, y), on(device, z), out)
    x, y, z = (v.astype(np.float64) for v in (x, y, z))
    expected = [
        np.sqrt(x),
        np.exp(y),
        np.log(x),
        np.sin(y),
        np.cos(y),
        np.tan(y),
        np.tanh(y),
        np.abs(y),
        np.minimum(x, y),
        np.maximum(x, y),
        np.floor(y),
        np.ceil(y),
        np.power(x, y),
        x * y + z,
        np.minimum(np.minimum(x, y), z),
        np.maximum(np.maximum(x, y), z),
    ]
    for row, values in enumerate(expected):
        np.testing.assert_allclose(
            out.numpy()[row].astype(np.float64),
            values,
            **TOLERANCE[dtype],
            err_msg=f"row {row}",
        )


@pytest.mark.parametrize("dtype", FLOATS)
def test_math_functions_from_the_math_module(device, rng, dtype):
    x, y, z = math_inputs(rng, dtype)
    out = dc.zeros((16, len(x)), dtype, device)
    math_functions_math_module[len(x)](on(device, x), on(device, y), on(device, z), out)
    x, y, z = (v.astype(np.float64) for v in (x, y, z))
    expected = [
        np.sqrt(x),
        np.exp(y),
        np.log(x),
        np.sin(y),
        np.cos(y),
        np.tan(y),
        np.tanh(y),
        np.abs(y),
        np.floor(y),  # math.floor returns the float type in kernels (as C does)
        np.ceil(y),
        np.power(x, y),
        np.arctan2(y, z),
        np.hypot(y, z),
        np.log2(x),
        np.log10(x),
        np.exp2(y),
    ]
    for row, values in enumerate(expected):
        np.testing.assert_allclose(
            out.numpy()[row].astype(np.float64),
            values,
            **TOLERANCE[dtype],
            err_msg=f"row {row}",
        )


@dc.kernel
def math_on_integers(n: dc.Array, out: dc.Array[dc.float64, 2]):
    i = dc.global_id(0)
    if i < n.shape[0]:
        out[0, i] = dc.sqrt(n[i])
        out[1, i] = dc.exp(n[i] / 100_000)
        out[2, i] = dc.floor(n[i])


@pytest.mark.parametrize(("dtype", "computed_in"), [("int32", np.float32), ("int64", np.float64)])
def test_math_on_integers_computes_in_float32_or_float64(device, rng, dtype, computed_in):
    n = rng.integers(1, 1_000_000, 1001).astype(dtype)
    out = dc.zeros((3, 1001), "float64", device)
    math_on_integers[1001](on(device, n), out)
    as_float = n.astype(computed_in)
    np.testing.assert_array_equal(out.numpy()[0], np.sqrt(as_float))
    np.testing.assert_allclose(
        out.numpy()[1],
        np.exp(as_float / computed_in(100_000)),
        **TOLERANCE[np.dtype(computed_in).name],
    )
    np.testing.assert_array_equal(out.numpy()[2], as_float)


# =============================================================================================
# Atomics
# =============================================================================================


@dc.kernel
def histogram(keys: dc.Array[dc.int32], weights: dc.Array, added: dc.Array, removed: dc.Array):
    i = dc.global_id(0)
    if i < keys.shape[0]:
        dc.atomic_add(added, keys[i], weights[i])
        dc.atomic_sub(removed, keys[i], weights[i])


@pytest.mark.parametrize("dtype", ATOMIC_DTYPES)
def test_atomic_add_and_sub_histogram_with_many_collisions(device, rng, dtype):
    n, bins = 70_001, 7
    keys = rng.integers(0, bins, n).astype(np.int32)
    weights = rng.integers(1, 5, n).astype(dtype)  # integers: float sums are exact
    added = on(device, np.full(bins, 10, dtype))
    removed = on(device, np.full(bins, 1_000_000, dtype))
    histogram[n](on(device, keys), on(device, weights), added, removed)
    sums = np.bincount(keys, weights=weights.astype(np.float64), minlength=bins)
    np.testing.assert_array_equal(added.numpy(), (sums + 10).astype(dtype))
    np.testing.assert_array_equal(removed.numpy(), (1_000_000 - sums).astype(dtype))


@dc.kernel
def bucket_extremes(keys: dc.Array[dc.int32], values: dc.Array, low: dc.Array, high: dc.Array):
    i = dc.global_id(0)
    if i < keys.shape[0]:
        dc.atomic_min(low, keys[i], values[i])
        dc.atomic_max(high, keys[i], values[i])


@pytest.mark.parametrize("dtype", ATOMIC_DTYPES)
def test_atomic_min_and_max(device, rng, dtype):
    n, bins = 70_001, 13
    keys = rng.integers(0, bins, n).astype(np.int32)
    values = random_array(rng, n, dtype) * 7
    low = on(device, np.full(bins, values.max(), dtype))
    high = on(device, np.full(bins, values.min(), dtype))
    bucket_extremes[n](on(device, keys), on(device, values), low, high)
    expected_low, expected_high = np.full(bins, values.max()), np.full(bins, values.min())
    np.minimum.at(expected_low, keys, values)
    np.maximum.at(expected_high, keys, values)
    np.testing.assert_array_equal(low.numpy(), expected_low)
    np.testing.assert_array_equal(high.numpy(), expected_high)


@dc.kernel
def take_tickets(counter: dc.Array, tickets: dc.Array, returned: dc.Array):
    i = dc.global_id(0)
    if i < tickets.shape[0]:
        tickets[i] = dc.atomic_add(counter, 0, 1)
        returned[i] = dc.atomic_sub(counter, 1, 1)


@pytest.mark.parametrize("dtype", ATOMIC_DTYPES)
def test_atomic_add_and_sub_return_the_old_value(device, dtype):
    # A counter hands out tickets: every old value is seen exactly once.
    n = 70_001
    counter = on(device, np.array([0, n], dtype))
    tickets, returned = dc.zeros(n, dtype, device), dc.zeros(n, dtype, device)
    take_tickets[n](counter, tickets, returned)
    np.testing.assert_array_equal(np.sort(tickets.numpy()), np.arange(n))
    np.testing.assert_array_equal(np.sort(returned.numpy()), np.arange(1, n + 1))
    np.testing.assert_array_equal(counter.numpy(), [n, 0])


@dc.kernel
def compact_positive(x: dc.Array[dc.float32], count: dc.Array[dc.int32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < x.shape[0] and x[i] > 0:
        slot = dc.atomic_add(count, 0, 1)
        out[slot] = x[i]


@pytest.mark.parametrize("n", [1, 1000, 70_001])
def test_stream_compaction_with_unique_slots(device, rng, n):
    x = random_array(rng, n, "float32")
    count = dc.zeros(1, "int32", device)
    out = dc.zeros(n, "float32", device)
    compact_positive[n](on(device, x), count, out)
    kept = int(count.numpy()[0])
    assert kept == (x > 0).sum()
    np.testing.assert_array_equal(np.sort(out.numpy()[:kept]), np.sort(x[x > 0]))


@dc.kernel
def exchange_chain(values: dc.Array, slot: dc.Array, previous: dc.Array):
    i = dc.global_id(0)
    if i < values.shape[0]:
        previous[i] = dc.atomic_exchange(slot, 0, values[i])


@pytest.mark.parametrize("dtype", ATOMIC_DTYPES)
def test_atomic_exchange_passes_every_value_on(device, rng, dtype):
    n = 70_001
    values = (rng.permutation(n) + 1).astype(dtype)
    slot = on(device, np.zeros(1, dtype))
    previous = dc.zeros(n, dtype, device)
    exchange_chain[n](on(device, values), slot, previous)
    # Each value was taken out exactly once: by a later exchange or as the final content.
    seen = np.concatenate([previous.numpy(), slot.numpy()])
    np.testing.assert_array_equal(np.sort(seen), np.arange(n + 1))


@dc.kernel
def claim_buckets(keys: dc.Array[dc.int32], owner: dc.Array, won: dc.Array[dc.int32]):
    i = dc.global_id(0)
    if i < keys.shape[0]:
        old = dc.atomic_cas(owner, keys[i], -1, owner.dtype(i))
        won[i] = 1 if old == -1 else 0


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
def test_atomic_cas_lets_exactly_one_work_item_claim_each_bucket(device, rng, dtype):
    n, buckets = 70_001, 101
    keys = rng.integers(0, buckets, n).astype(np.int32)
    owner = on(device, np.full(buckets, -1, dtype))
    won = dc.zeros(n, "int32", device)
    claim_buckets[n](on(device, keys), owner, won)
    owners, winners = owner.numpy().astype(np.int64), won.numpy().astype(bool)
    used = np.unique(keys)
    assert winners.sum() == len(used)
    assert (owners[np.setdiff1d(np.arange(buckets), used)] == -1).all()
    np.testing.assert_array_equal(keys[owners[used]], used)  # each owner hashed to its bucket
    np.testing.assert_array_equal(np.sort(owners[used]), np.flatnonzero(winners))


@dc.kernel
def sum_with_cas_loop(values: dc.Array, total: dc.Array):
    i = dc.global_id(0)
    if i < values.shape[0]:
        while True:
            seen = total[0]
            if dc.atomic_cas(total, 0, seen, seen + values[i]) == seen:
                break


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
def test_atomic_cas_in_a_retry_loop(device, rng, dtype):
    n = 10_001
    values = rng.integers(-50, 50, n).astype(dtype)
    total = on(device, np.array([3], dtype))
    sum_with_cas_loop[n](on(device, values), total)
    assert total.numpy()[0] == values.astype(np.int64).sum() + 3


# =============================================================================================
# Shared memory and barriers
# =============================================================================================

MAX_GROUP = 256
LEVELS = 8  # log2(MAX_GROUP)
TILE = 16
BINS = 16


@dc.kernel
def group_sums_halving(x: dc.Array[dc.float32], sums: dc.Array[dc.float32]):
    # The classic tree reduction: a barrier inside a while loop (local size a power of two).
    scratch = dc.shared_array(MAX_GROUP, dc.float32)
    lid = dc.local_id(0)
    i = dc.global_id(0)
    scratch[lid] = x[i] if i < x.shape[0] else 0.0
    dc.barrier()
    stride = dc.local_size(0) // 2
    while stride > 0:
        if lid < stride:
            scratch[lid] += scratch[lid + stride]
        dc.barrier()
        stride //= 2
    if lid == 0:
        sums[dc.group_id(0)] = scratch[0]


@dc.kernel
def group_sums_levels(x: dc.Array[dc.float64], sums: dc.Array[dc.float64]):
    # Any local size: a barrier inside a for loop nested in a (uniform) if branch.
    scratch = dc.shared_array((MAX_GROUP,), dc.float64)
    lid = dc.local_id(0)
    size = dc.local_size(0)
    i = dc.global_id(0)
    scratch[lid] = x[i] if i < x.shape[0] else 0.0
    dc.barrier()
    if size > 1:
        for level in range(LEVELS):
            stride = 1 << level
            if lid % (2 * stride) == 0 and lid + stride < size:
                scratch[lid] += scratch[lid + stride]
            dc.barrier()
    else:
        scratch[0] = scratch[0] * 1.0
    if lid == 0:
        sums[dc.group_id(0)] = scratch[0]


def padded(n: int, local: int) -> int:
    return -(-n // local) * local


@pytest.mark.parametrize("n", [1, 1000, 70_001])
@pytest.mark.parametrize("local", [1, 32, 256])
def test_tree_reduction_in_shared_memory(device, rng, n, local):
    x = random_array(rng, n, "float32")
    groups = -(-n // local)
    sums = dc.zeros(groups, "float32", device)
    group_sums_halving.launch(padded(n, local), on(device, x), sums, local_size=local)
    expected = np.add.reduceat(x.astype(np.float64), np.arange(0, n, local))
    assert_close(sums, expected, "float32", scale=5)


@pytest.mark.parametrize("n", [7, 70_001])
@pytest.mark.parametrize("local", [1, 3, 100, 256])
def test_tree_reduction_with_any_local_size(device, rng, n, local):
    x = random_array(rng, n, "float64")
    groups = -(-n // local)
    sums = dc.zeros(groups, "float64", device)
    group_sums_levels.launch(padded(n, local), on(device, x), sums, local_size=local)
    assert_close(sums, np.add.reduceat(x, np.arange(0, n, local)), scale=10)


SMALLEST_INT32 = -(2**31)


@dc.kernel
def group_maxima_with_return_and_break(x: dc.Array[dc.int32], maxima: dc.Array[dc.int32]):
    # Work-items of the upper half return once their value is in shared memory (later barriers
    # synchronize the others); the loop around the barrier ends by a uniform break.
    scratch = dc.shared_array(MAX_GROUP, dc.int32)
    lid = dc.local_id(0)
    i = dc.global_id(0)
    scratch[lid] = x[i] if i < x.shape[0] else SMALLEST_INT32
    dc.barrier()
    if lid > 0 and lid >= dc.local_size(0) // 2:
        return
    stride = dc.local_size(0) // 2
    while True:
        if stride == 0:
            break
        if lid < stride:
            scratch[lid] = max(scratch[lid], scratch[lid + stride])
        dc.barrier()
        stride //= 2
    if lid == 0:
        maxima[dc.group_id(0)] = scratch[0]


@pytest.mark.parametrize("n", [1, 1000, 70_001])
@pytest.mark.parametrize("local", [1, 2, 64, 256])
def test_barriers_after_some_work_items_returned(device, rng, n, local):
    x = rng.integers(-1_000_000, 1_000_000, n).astype(np.int32)
    maxima = dc.zeros(-(-n // local), "int32", device)
    group_maxima_with_return_and_break.launch(
        padded(n, local), on(device, x), maxima, local_size=local
    )
    np.testing.assert_array_equal(maxima.numpy(), np.maximum.reduceat(x, np.arange(0, n, local)))


@dc.kernel
def tiled_matmul(
    a: dc.Array[dc.float32, 2], b: dc.Array[dc.float32, 2], c: dc.Array[dc.float32, 2]
):
    tile_a = dc.shared_array((TILE, TILE), dc.float32)
    tile_b = dc.shared_array((TILE, TILE), dc.float32)
    col = dc.global_id(0)
    row = dc.global_id(1)
    local_col = dc.local_id(0)
    local_row = dc.local_id(1)
    acc = dc.float32(0)
    for t in range((a.shape[1] + TILE - 1) // TILE):
        k = t * TILE + local_col
        tile_a[local_row, local_col] = a[row, k] if row < a.shape[0] and k < a.shape[1] else 0.0
        k = t * TILE + local_row
        tile_b[local_row, local_col] = b[k, col] if k < b.shape[0] and col < b.shape[1] else 0.0
        dc.barrier()
        for kk in range(TILE):
            acc += tile_a[local_row, kk] * tile_b[kk, local_col]
        dc.barrier()
    if row < c.shape[0] and col < c.shape[1]:
        c[row, col] = acc


@pytest.mark.parametrize(("m", "k", "n"), [(1, 1, 1), (5, 3, 7), (37, 45, 29), (70, 129, 33)])
def test_tiled_matmul(device, rng, m, k, n):
    a, b = random_array(rng, (m, k), "float32"), random_array(rng, (k, n), "float32")
    c = dc.zeros((m, n), "float32", device)
    global_size = (padded(n, TILE), padded(m, TILE))
    tiled_matmul.launch(global_size, on(device, a), on(device, b), c, local_size=(TILE, TILE))
    expected = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(c.numpy(), expected, rtol=1e-4, atol=1e-4 * k)


@dc.kernel
def histogram_in_shared_memory(keys: dc.Array[dc.int32], bins: dc.Array[dc.int32]):
    local_bins = dc.shared_array(BINS, dc.int32)
    lid = dc.local_id(0)
    if lid < BINS:
        local_bins[lid] = 0
    dc.barrier()
    i = dc.global_id(0)
    if i < keys.shape[0]:
        dc.atomic_add(local_bins, keys[i], 1)
    dc.barrier()
    if lid < BINS:
        dc.atomic_add(bins, lid, local_bins[lid])


@pytest.mark.parametrize("local", [16, 64, 1000])
def test_atomics_on_shared_arrays(device, rng, local):
    n = 70_001
    keys = rng.integers(0, BINS, n).astype(np.int32)
    bins = dc.zeros(BINS, "int32", device)
    histogram_in_shared_memory.launch(padded(n, local), on(device, keys), bins, local_size=local)
    np.testing.assert_array_equal(bins.numpy(), np.bincount(keys, minlength=BINS))


@dc.kernel
def reverse_in_groups_2d(a: dc.Array[dc.int32, 2], out: dc.Array[dc.int32, 2]):
    # A 2-D group stores its tile, then every work-item reads its mirror image within the tile.
    tile = dc.shared_array((8, 8), dc.int32)
    x = dc.local_id(0)
    y = dc.local_id(1)
    gx = dc.global_id(0)
    gy = dc.global_id(1)
    tile[y, x] = a[gy, gx]
    dc.barrier()
    out[gy, gx] = tile[7 - y, 7 - x]


def test_shared_memory_in_a_2d_group(device, rng):
    a = random_array(rng, (24, 40), "int32")
    out = dc.zeros((24, 40), "int32", device)
    reverse_in_groups_2d.launch((40, 24), on(device, a), out, local_size=(8, 8))
    expected = a.reshape(3, 8, 5, 8)[:, ::-1, :, ::-1].reshape(24, 40)
    np.testing.assert_array_equal(out.numpy(), expected)


@dc.func
def window_sum(values, first, count):
    total = dc.float32(0)
    for q in range(count):
        total += values[first + q]
    return total


@dc.func
def count_key(bins, key):
    dc.atomic_add(bins, key, 1)


@dc.kernel
def shared_arrays_through_device_functions(
    keys: dc.Array[dc.int32],
    x: dc.Array[dc.float32],
    sums: dc.Array[dc.float32],
    bins: dc.Array[dc.int32],
):
    # Device functions read a shared tile (a window running into the next group's inputs) and
    # update a shared histogram with atomics.
    tile = dc.shared_array(TILE + 2, dc.float32)
    local_bins = dc.shared_array(BINS, dc.int32)
    lid = dc.local_id(0)
    gid = dc.global_id(0)
    n = x.shape[0]
    tile[lid] = x[gid] if gid < n else dc.float32(0)
    if lid < 2:
        tile[TILE + lid] = x[gid + TILE] if gid + TILE < n else dc.float32(0)
    if lid < BINS:
        local_bins[lid] = 0
    dc.barrier()
    if gid < n:
        sums[gid] = window_sum(tile, lid, 3)
        count_key(local_bins, keys[gid])
    dc.barrier()
    if lid < BINS:
        dc.atomic_add(bins, lid, local_bins[lid])


def test_shared_arrays_passed_to_device_functions(device, rng):
    n = 1001
    keys = rng.integers(0, BINS, n).astype(np.int32)
    x = random_array(rng, n, "float32")
    sums, bins = dc.zeros(n, "float32", device), dc.zeros(BINS, "int32", device)
    shared_arrays_through_device_functions.launch(
        padded(n, TILE), on(device, keys), on(device, x), sums, bins, local_size=TILE
    )
    padded_x = np.append(x, np.zeros(2, np.float32))
    expected = (np.float32(0) + padded_x[:n] + padded_x[1 : n + 1]) + padded_x[2 : n + 2]
    np.testing.assert_allclose(sums.numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(bins.numpy(), np.bincount(keys, minlength=BINS))


# =============================================================================================
# Private arrays
# =============================================================================================

ROW = 9  # elements each work-item of sort_rows_in_private_arrays sorts
BLOCK_ROWS, BLOCK_COLUMNS = 3, 4  # the output block of block_products and register_tiled_matmul


@dc.kernel
def sort_rows_in_private_arrays(a: dc.Array, out: dc.Array):
    # Rank sort of one row per work-item: each element goes to the place its rank (ties broken
    # by position) gives it in a second private array, an index known only at run time.
    row = dc.private_array(ROW, a.dtype)
    ranked = dc.private_array(ROW, a.dtype)
    i = dc.global_id(0)
    if i >= a.shape[0]:
        return
    for j in range(ROW):
        row[j] = a[i, j]
    for j in range(ROW):
        rank = 0
        for q in range(ROW):
            if row[q] < row[j] or (row[q] == row[j] and q < j):
                rank += 1
        ranked[rank] = row[j]
    for j in range(ROW):
        out[i, j] = ranked[j]


@pytest.mark.parametrize("dtype", ["float32", "float16", "int8", "int64", "uint16"])
@pytest.mark.parametrize("n", [1, 1000])
def test_private_array_sorts_a_row_per_work_item(device, rng, dtype, n):
    a = random_array(rng, (n, ROW), dtype)
    out = dc.zeros((n, ROW), dtype, device)
    sort_rows_in_private_arrays[n](on(device, a), out)
    np.testing.assert_array_equal(out.numpy(), np.sort(a, axis=1))


@dc.kernel
def block_products(
    a: dc.Array[dc.float32, 2], b: dc.Array[dc.float32, 2], c: dc.Array[dc.float32, 2]
):
    # Each work-item of a 2-D index space computes a 3 x 4 block of c = a @ b in a 2-D private
    # array, which starts zeroed.
    acc = dc.private_array((BLOCK_ROWS, BLOCK_COLUMNS), dc.float32)
    first_col = dc.global_id(0) * BLOCK_COLUMNS
    first_row = dc.global_id(1) * BLOCK_ROWS
    for k in range(a.shape[1]):
        for i in range(BLOCK_ROWS):
            for j in range(BLOCK_COLUMNS):
                row = min(first_row + i, a.shape[0] - 1)
                col = min(first_col + j, b.shape[1] - 1)
                acc[i, j] += a[row, k] * b[k, col]
    for i in range(acc.shape[0]):
        for j in range(acc.shape[1]):
            if first_row + i < c.shape[0] and first_col + j < c.shape[1]:
                c[first_row + i, first_col + j] = acc[i, j]


@pytest.mark.parametrize(("m", "k", "n"), [(1, 1, 1), (7, 5, 9), (100, 33, 301)])
def test_private_array_accumulates_a_block_per_work_item(device, rng, m, k, n):
    a, b = random_array(rng, (m, k), "float32"), random_array(rng, (k, n), "float32")
    c = dc.zeros((m, n), "float32", device)
    global_size = (-(-n // BLOCK_COLUMNS), -(-m // BLOCK_ROWS))
    block_products.launch(global_size, on(device, a), on(device, b), c)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(c.numpy(), expected, rtol=1e-5, atol=1e-5 * k)


@dc.kernel
def register_tiled_matmul(
    a: dc.Array[dc.float32, 2], b: dc.Array[dc.float32, 2], c: dc.Array[dc.float32, 2]
):
    # Groups of TILE x TILE work-items stage tiles of a and b in shared memory; each work-item
    # keeps a 3 x 4 block of c in a private array across the barriers (on the CPU: in scratch
    # memory, one copy per work-item).
    tile_a = dc.shared_array((TILE * BLOCK_ROWS, TILE), dc.float32)
    tile_b = dc.shared_array((TILE, TILE * BLOCK_COLUMNS), dc.float32)
    acc = dc.private_array((BLOCK_ROWS, BLOCK_COLUMNS), dc.float32)
    tx = dc.local_id(0)
    ty = dc.local_id(1)
    first_row = dc.group_id(1) * TILE * BLOCK_ROWS
    first_col = dc.group_id(0) * TILE * BLOCK_COLUMNS
    for t in range(0, a.shape[1], TILE):
        for i in range(BLOCK_ROWS):
            row = first_row + ty + i * TILE
            k = t + tx
            inside = row < a.shape[0] and k < a.shape[1]
            tile_a[ty + i * TILE, tx] = a[row, k] if inside else dc.float32(0)
        for j in range(BLOCK_COLUMNS):
            k = t + ty
            col = first_col + tx + j * TILE
            inside = k < b.shape[0] and col < b.shape[1]
            tile_b[ty, tx + j * TILE] = b[k, col] if inside else dc.float32(0)
        dc.barrier()
        for p in range(TILE):
            for i in range(BLOCK_ROWS):
                for j in range(BLOCK_COLUMNS):
                    acc[i, j] += tile_a[ty + i * TILE, p] * tile_b[p, tx + j * TILE]
        dc.barrier()
    for i in range(BLOCK_ROWS):
        for j in range(BLOCK_COLUMNS):
            row = first_row + ty + i * TILE
            col = first_col + tx + j * TILE
            if row < c.shape[0] and col < c.shape[1]:
                c[row, col] = acc[i, j]


@pytest.mark.parametrize(("m", "k", "n"), [(1, 1, 1), (37, 45, 29), (70, 129, 133)])
def test_private_array_lives_across_barriers(device, rng, m, k, n):
    a, b = random_array(rng, (m, k), "float32"), random_array(rng, (k, n), "float32")
    c = dc.zeros((m, n), "float32", device)
    groups = (-(-n // (TILE * BLOCK_COLUMNS)), -(-m // (TILE * BLOCK_ROWS)))
    global_size = (groups[0] * TILE, groups[1] * TILE)
    register_tiled_matmul.launch(
        global_size, on(device, a), on(device, b), c, local_size=(TILE, TILE)
    )
    expected = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(c.numpy(), expected, rtol=1e-4, atol=1e-4 * k)


@dc.kernel
def rounds_from_a_private_array(x: dc.Array[dc.int32], out: dc.Array[dc.int32]):
    # A private array holds the group's round count (the same in every work-item, so the loop
    # condition is uniform) and drives a loop with barriers; the last 4 work-items of each group
    # return first. On the CPU the condition reads the lead work-item's copy in scratch.
    rounds = dc.private_array(2, dc.int32)
    tile = dc.shared_array(TILE, dc.int32)
    lid = dc.local_id(0)
    gid = dc.global_id(0)
    rounds[0] = x[dc.group_id(0) * TILE] % 4 + 1
    if lid >= TILE - 4:
        return
    total = 0
    while rounds[1] < rounds[0]:
        tile[lid] = x[gid] + rounds[1]
        dc.barrier()
        total += tile[(lid + 1) % (TILE - 4)]
        dc.barrier()
        rounds[1] += 1
    out[gid] = total


def test_private_array_in_a_uniform_loop_condition_after_returns(device, rng):
    groups = 7
    x = rng.integers(0, 1000, groups * TILE).astype(np.int32)
    out = dc.zeros(groups * TILE, "int32", device)
    rounds_from_a_private_array.launch(groups * TILE, on(device, x), out, local_size=TILE)
    expected = np.zeros(groups * TILE, np.int64)
    for g in range(groups):
        block = x[g * TILE : (g + 1) * TILE].astype(np.int64)
        rounds = block[0] % 4 + 1
        for lid in range(TILE - 4):
            neighbour = block[(lid + 1) % (TILE - 4)]
            expected[g * TILE + lid] = sum(neighbour + r for r in range(rounds))
    np.testing.assert_array_equal(out.numpy(), expected.astype(np.int32))


@dc.func
def sort_in_place(values):
    # Insertion sort of an array passed by reference: here always a private array.
    for j in range(1, len(values)):
        value = values[j]
        k = j - 1
        while k >= 0 and values[k] > value:
            values[k + 1] = values[k]
            k -= 1
        values[k + 1] = value


@dc.kernel
def sort_rows_with_a_device_function(a: dc.Array, out: dc.Array):
    row = dc.private_array(ROW, a.dtype)
    i = dc.global_id(0)
    if i < a.shape[0]:
        for j in range(ROW):
            row[j] = a[i, j]
        sort_in_place(row)
        for j in range(ROW):
            out[i, j] = row[j]


@pytest.mark.parametrize("dtype", ["float32", "int16", "uint64"])
def test_private_array_passed_to_a_device_function(device, rng, dtype):
    a = random_array(rng, (1000, ROW), dtype)
    out = dc.zeros((1000, ROW), dtype, device)
    sort_rows_with_a_device_function[1000](on(device, a), out)
    np.testing.assert_array_equal(out.numpy(), np.sort(a, axis=1))


@dc.kernel
def medians_of_five(a: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    # A group stages its inputs and 4 more in shared memory; after the barrier each work-item
    # sorts its window of 5 in a private array through the device function (on the CPU: its
    # copy in scratch memory, passed as a plain array).
    tile = dc.shared_array(TILE + 4, dc.float32)
    window = dc.private_array(5, dc.float32)
    lid = dc.local_id(0)
    gid = dc.global_id(0)
    n = a.shape[0]
    tile[lid] = a[gid] if gid < n else dc.float32(0)
    if lid < 4:
        tile[TILE + lid] = a[gid + TILE] if gid + TILE < n else dc.float32(0)
    dc.barrier()
    for q in range(5):
        window[q] = tile[lid + q]
    sort_in_place(window)
    if gid < out.shape[0]:
        out[gid] = window[2]


def test_private_array_passed_to_a_device_function_after_a_barrier(device, rng):
    n = 1001
    a = random_array(rng, n, "float32")
    out = dc.zeros(n, "float32", device)
    medians_of_five.launch(padded(n, TILE), on(device, a), out, local_size=TILE)
    windows = np.lib.stride_tricks.sliding_window_view(np.append(a, np.zeros(4, np.float32)), 5)
    np.testing.assert_array_equal(out.numpy(), np.median(windows, axis=1).astype(np.float32))


@dc.func
def reversed_digits(value):
    # A device function's own private array; every call starts from zeros.
    digits = dc.private_array(10, dc.int32)
    count = 0
    while value > 0:
        digits[count] = value % 10
        value //= 10
        count += 1
    result = 0
    for j in range(count):
        result = result * 10 + digits[j]
    return result + digits[9]  # never written: 0


@dc.kernel
def reverse_digits(a: dc.Array[dc.int32], out: dc.Array[dc.int32]):
    i = dc.global_id(0)
    if i < a.shape[0]:
        out[i] = reversed_digits(a[i])


def test_private_array_in_a_device_function(device, rng):
    a = rng.integers(1, 1_000_000_000, 1001).astype(np.int32)
    out = dc.zeros(1001, "int32", device)
    reverse_digits[1001](on(device, a), out)
    expected = [int(str(v)[::-1]) for v in a]
    np.testing.assert_array_equal(out.numpy(), np.array(expected, np.int32))


# =============================================================================================
# Device functions
# =============================================================================================


@dc.func
def square(v):
    return v * v


@dc.func
def clamp(v, lo, hi):
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


@dc.func
def smooth_step(v: dc.float32) -> dc.float32:
    t = clamp((v + 1.0) / 4.0, dc.float32(0), dc.float32(1))
    return square(t) * (3.0 - 2.0 * t)


@dc.func
def first_index_above(a, limit):
    for j in range(a.shape[0]):
        if a[j] > limit:
            return j
    return -1


@dc.kernel
def device_function_calls(
    x: dc.Array[dc.float32],
    n: dc.Array[dc.int32],
    out_f: dc.Array[dc.float32, 2],
    out_i: dc.Array[dc.int64, 2],
):
    i = dc.global_id(0)
    if i < x.shape[0]:
        out_f[0, i] = square(x[i])
        out_f[1, i] = smooth_step(x[i])
        out_f[2, i] = clamp(x[i], dc.float32(-1), dc.float32(1))
        out_i[0, i] = square(n[i])
        out_i[1, i] = clamp(n[i], -5, 5)
        out_i[2, i] = first_index_above(n, n[i] + 90)


def test_device_functions_call_each_other_and_return_values(device, rng):
    size = 1001
    x = random_array(rng, size, "float32")
    n = random_array(rng, size, "int32")
    out_f = dc.zeros((3, size), "float32", device)
    out_i = dc.zeros((3, size), "int64", device)
    device_function_calls[size](on(device, x), on(device, n), out_f, out_i)
    t = np.clip((x + np.float32(1)) / np.float32(4), 0, 1)
    above = [(np.flatnonzero(n > v + 90)[:1].tolist() or [-1])[0] for v in n]
    assert_close(out_f, np.stack([x * x, t * t * (3 - 2 * t), np.clip(x, -1, 1)]), "float32")
    np.testing.assert_array_equal(out_i.numpy(), np.stack([n * n, np.clip(n, -5, 5), above]))


@dc.func
def divide_with_remainder(a, b):
    """Python's divmod of two integers."""
    return a // b, a % b


@dc.func
def smaller_first(a: dc.float32, b: dc.float32) -> tuple[dc.float32, dc.float32]:
    if b < a:
        return b, a
    return a, b


@dc.func
def in_order(a: dc.float32, b: dc.float32):
    return smaller_first(a, b)  # passes the tuple on


@dc.func
def row_minimum(a, r):
    """The smallest value of row r and its first column."""
    best, where = a[r, 0], dc.int64(0)
    for j in range(1, a.shape[1]):
        if a[r, j] < best:
            best, where = a[r, j], j
    return best, where


@dc.kernel
def tuple_returns(
    x: dc.Array[dc.float32],
    n: dc.Array[dc.int32],
    m: dc.Array[dc.float32, 2],
    low_high: dc.Array[dc.float32, 2],
    quotient_remainder: dc.Array[dc.int32, 2],
    row_min: dc.Array[dc.float32],
    row_argmin: dc.Array[dc.int64],
):
    i = dc.global_id(0)
    if i < x.shape[0]:
        low_high[0, i], low_high[1, i] = in_order(x[i], x[x.shape[0] - 1 - i])
        q, r = divide_with_remainder(n[i], 7)
        q, r = r, q
        quotient_remainder[0, i], quotient_remainder[1, i] = r, q
    if i < m.shape[0]:
        row_min[i], row_argmin[i] = row_minimum(m, i)


def test_device_functions_return_tuples(device, rng):
    size, rows, columns = 1001, 37, 45
    x = random_array(rng, size, "float32")
    n = rng.integers(-(2**31), 2**31 - 1, size, dtype=np.int32)
    m = random_array(rng, (rows, columns), "float32")
    low_high = dc.zeros((2, size), "float32", device)
    quotient_remainder = dc.zeros((2, size), "int32", device)
    row_min, row_argmin = dc.zeros(rows, "float32", device), dc.zeros(rows, "int64", device)
    tuple_returns[size](
        on(device, x),
        on(device, n),
        on(device, m),
        low_high,
        quotient_remainder,
        row_min,
        row_argmin,
    )
    mirrored = x[::-1]
    np.testing.assert_array_equal(
        low_high.numpy(), np.stack([np.minimum(x, mirrored), np.maximum(x, mirrored)])
    )
    np.testing.assert_array_equal(quotient_remainder.numpy(), np.stack([n // 7, n % 7]))
    np.testing.assert_array_equal(row_min.numpy(), m.min(axis=1))
    np.testing.assert_array_equal(row_argmin.numpy(), m.argmin(axis=1))


@dc.kernel
def tuple_returns_across_barriers(x: dc.Array[dc.int32], out: dc.Array[dc.int32, 2]):
    tile = dc.shared_array(64, dc.int32)
    i = dc.global_id(0)
    own = dc.local_id(0)
    value = x[i] if i < x.shape[0] else 0
    q, r = divide_with_remainder(value, 5)
    tile[own] = q
    dc.barrier()
    if i < x.shape[0]:  # r was kept across the barrier
        out[0, i], out[1, i] = tile[(own + 1) % 64], r


def test_tuple_returns_across_barriers(device, rng):
    size, group = 601, 64
    x = rng.integers(-1000, 1000, size, dtype=np.int32)
    out = dc.zeros((2, size), "int32", device)
    tuple_returns_across_barriers.launch(640, on(device, x), out, local_size=group)
    padded = np.zeros(640, np.int32)
    padded[:size] = x
    items = np.arange(size)
    neighbours = items // group * group + (items % group + 1) % group
    np.testing.assert_array_equal(out.numpy(), np.stack([padded[neighbours] // 5, x % 5]))


SCAN_GROUP = 32  # work-items of inclusive_group_scan's groups


@dc.func
def group_barrier():
    dc.barrier()


@dc.func
def inclusive_group_scan(value):
    """The inclusive prefix sum of value over the work-group (Hillis-Steele), and the group's
    total; every work-item calls it."""
    sums = dc.shared_array(SCAN_GROUP, dc.int64)
    own = dc.local_id(0)
    sums[own] = value
    group_barrier()  # a barrier in a device function called by one
    step = 1
    while step < SCAN_GROUP:
        add = sums[own - step] if own >= step else dc.int64(0)
        dc.barrier()
        sums[own] += add
        dc.barrier()
        step *= 2
    mine, total = sums[own], sums[SCAN_GROUP - 1]
    dc.barrier()  # everyone has read sums before the next call writes it
    return mine, total


@dc.func
def publish_rank(ranks, value):
    """Writes into a shared array, no barrier: inlined as well."""
    ranks[dc.local_id(0)] = value


@dc.kernel
def group_scans_in_device_functions(
    x: dc.Array[dc.int32], scan: dc.Array[dc.int64, 2], totals: dc.Array[dc.int64]
):
    ranks = dc.shared_array(SCAN_GROUP, dc.int64)
    i = dc.global_id(0)
    value = dc.int64(x[i]) if i < x.shape[0] else dc.int64(0)
    for round in range(2):  # inlined inside a loop
        running, total = inclusive_group_scan(value + round)
        if i < x.shape[0]:
            scan[round, i] = running
    publish_rank(ranks, running)
    dc.barrier()
    if dc.local_id(0) == 0:
        totals[dc.group_id(0)] = total + ranks[SCAN_GROUP - 1]


def test_device_functions_wait_at_barriers_and_declare_shared_arrays(device, rng):
    size, groups = 1000, -(-1000 // SCAN_GROUP)
    x = rng.integers(-1000, 1000, size, dtype=np.int32)
    scan = dc.zeros((2, size), "int64", device)
    totals = dc.zeros(groups, "int64", device)
    group_scans_in_device_functions.launch(
        groups * SCAN_GROUP, on(device, x), scan, totals, local_size=SCAN_GROUP
    )
    padded = np.zeros(groups * SCAN_GROUP, np.int64)
    padded[:size] = x
    rows = [padded.reshape(groups, SCAN_GROUP) + r for r in range(2)]  # round r adds r
    expected = [np.cumsum(row, axis=1).ravel()[:size] for row in rows]
    np.testing.assert_array_equal(scan.numpy(), np.stack(expected))
    last = np.cumsum(rows[1], axis=1)[:, -1]
    np.testing.assert_array_equal(totals.numpy(), 2 * last)


WINDOW_GROUP = 16


@dc.func
def window_sums(value):
    """Sums of the group's values over windows of 1 to 4 neighbours (a private array that
    starts from zeros at every call, with +=), and a 2 x 2 table of the first two windows'
    sums times 1 and 2; waits at barriers, so it is inlined (Note [Inlined device functions])."""
    tile = dc.shared_array(WINDOW_GROUP, dc.int64)
    sums = dc.private_array(4, dc.int64)
    table = dc.private_array((2, 2), dc.int64)
    own = dc.local_id(0)
    tile[own] = value
    dc.barrier()
    for width in range(4):
        for k in range(width + 1):
            sums[width] += tile[(own + k) % WINDOW_GROUP]
    for row in range(2):
        for column in range(2):
            table[row, column] += sums[row] * (column + 1)
    dc.barrier()  # everyone has read tile before the next call writes it
    return sums[0] + 10 * sums[1] + 100 * sums[2] + 1000 * sums[3], table[1, 1] - table[0, 0]


@dc.kernel
def private_arrays_in_inlined_functions(x: dc.Array[dc.int32], out: dc.Array[dc.int64, 3]):
    i = dc.global_id(0)
    value = dc.int64(x[i]) if i < x.shape[0] else dc.int64(0)
    for round in range(2):  # the arrays are zeros again at the second call
        packed, difference = window_sums(value + round)
        if i < x.shape[0]:
            out[round, 0, i] = packed
            out[round, 1, i] = difference


def test_device_functions_inlined_with_private_arrays(device, rng):
    size, groups = 200, -(-200 // WINDOW_GROUP)
    x = rng.integers(-50, 50, size, dtype=np.int32)
    out = dc.zeros((2, 2, size), "int64", device)
    private_arrays_in_inlined_functions.launch(
        groups * WINDOW_GROUP, on(device, x), out, local_size=WINDOW_GROUP
    )
    padded = np.zeros(groups * WINDOW_GROUP, np.int64)
    padded[:size] = x
    tiles = padded.reshape(groups, WINDOW_GROUP)
    expected = np.zeros((2, 2, size), np.int64)
    for round in range(2):
        values = tiles + round
        sums = [
            sum(np.roll(values, -k, axis=1) for k in range(width + 1)).ravel()[:size]
            for width in range(4)
        ]
        expected[round, 0] = sums[0] + 10 * sums[1] + 100 * sums[2] + 1000 * sums[3]
        expected[round, 1] = 2 * sums[1] - sums[0]
    np.testing.assert_array_equal(out.numpy(), expected)


# =============================================================================================
# Generic kernels
# =============================================================================================


@dc.kernel
def axpy_generic(x: dc.Array, y: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = x[i] * 3 + y[i]


@pytest.mark.parametrize("dtype", INTS + FLOATS)
def test_generic_kernel_for_every_dtype(device, rng, dtype):
    n = 1001
    x, y = random_array(rng, n, dtype), random_array(rng, n, dtype)
    out = dc.zeros(n, dtype, device)
    axpy_generic[n](on(device, x), on(device, y), out)
    expected = x * np.dtype(dtype).type(3) + y  # wraps like the kernel for int8 and uint8
    if dtype in FLOATS:
        assert_close(out, expected.astype(np.float64), dtype)
    else:
        np.testing.assert_array_equal(out.numpy(), expected)


@dc.kernel
def transpose_generic(a: dc.Array, out: dc.Array):
    x = dc.global_id(0)
    y = dc.global_id(1)
    if y < a.shape[0] and x < a.shape[1]:
        out[x, y] = a[y, x]


@pytest.mark.parametrize("dtype", ["bool", *INTS, *FLOATS])
def test_generic_2d_kernel_moves_every_dtype_exactly(device, rng, dtype):
    a = random_array(rng, (37, 129), dtype)
    out = dc.zeros((129, 37), dtype, device)
    transpose_generic[129, 37](on(device, a), out)
    np.testing.assert_array_equal(out.numpy(), a.T)


@dc.kernel
def ramp_generic(out: dc.Array):
    i = dc.global_id(0)
    if i < out.size:
        out[i] = out.dtype(i % 50) - out.dtype(7)


@pytest.mark.parametrize("dtype", INTS + FLOATS)
def test_generic_kernel_casts_with_the_array_dtype(device, dtype):
    out = dc.zeros(1000, dtype, device)
    ramp_generic[1000](out)
    t = np.dtype(dtype).type
    np.testing.assert_array_equal(out.numpy(), (np.arange(1000) % 50).astype(dtype) - t(7))


# =============================================================================================
# Module-level constants
# =============================================================================================

SCALE = 3
OFFSET = 0.25
ENABLED = True
DISABLED = False


@dc.kernel
def uses_module_constants(x: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < x.shape[0]:
        value = x[i] * SCALE + OFFSET
        for _ in range(SCALE - 1):
            value += OFFSET
        if ENABLED:
            out[i] = value
        if DISABLED:
            out[i] = -1.0


def test_module_level_constants_are_folded_in(device, rng):
    x = random_array(rng, 1001, "float32")
    out = dc.zeros(1001, "float32", device)
    uses_module_constants[1001](on(device, x), out)
    expected = x * np.float32(3) + np.float32(0.25) + np.float32(0.25) + np.float32(0.25)
    assert_close(out, expected.astype(np.float64), "float32")
    source = uses_module_constants.source("cpu")
    assert "SCALE" not in source and "ENABLED" not in source


# =============================================================================================
# Launch API
# =============================================================================================


@dc.kernel
def saxpy(
    alpha: dc.float32, x: dc.Array[dc.float32], y: dc.Array[dc.float32], out: dc.Array[dc.float32]
):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = alpha * x[i] + y[i]


@pytest.fixture
def saxpy_arrays(device, rng):
    x, y = random_array(rng, 1001, "float32"), random_array(rng, 1001, "float32")
    return x, y, on(device, x), on(device, y), dc.zeros(1001, "float32", device)


def test_launch_forms_agree(saxpy_arrays):
    x, y, dx, dy, out = saxpy_arrays
    expected = np.float32(2) * x + y
    saxpy[1001](2.0, dx, dy, out)
    assert_close(out, expected.astype(np.float64), "float32")
    out2 = dc.zeros(1001, "float32", out.device)
    saxpy.launch(1001, 2.0, dx, dy, out2, local_size=7)
    np.testing.assert_array_equal(out2.numpy(), out.numpy())
    out3 = dc.zeros(1001, "float32", out.device)
    saxpy.launch((1001,), np.float32(2), dx, dy, out3, device=out.device)
    np.testing.assert_array_equal(out3.numpy(), out.numpy())


def test_scalar_argument_is_converted_per_annotation(saxpy_arrays):
    x, y, dx, dy, out = saxpy_arrays
    saxpy[1001](2, dx, dy, out)  # a Python int for a float32 parameter
    assert_close(out, (np.float32(2) * x + y).astype(np.float64), "float32")


@dc.kernel
def scalar_parameters(
    flag: dc.bool_,
    small: dc.int8,
    byte: dc.uint8,
    short: dc.int16,
    word: dc.int32,
    unsigned: dc.uint32,
    long: dc.int64,
    huge: dc.uint64,
    half: dc.float16,
    single: dc.float32,
    double: dc.float64,
    out: dc.Array[dc.float64],
    wide: dc.Array[dc.uint64],
):
    out[0] = flag
    out[1] = small
    out[2] = byte
    out[3] = short
    out[4] = word
    out[5] = unsigned
    out[6] = long
    out[7] = half
    out[8] = single
    out[9] = double
    wide[0] = huge


def test_scalar_parameters_of_every_type(device):
    out, wide = dc.zeros(10, "float64", device), dc.zeros(1, "uint64", device)
    values = [True, -128, 255, -32768, -(2**31), 2**32 - 1, -(2**63), 2**64 - 1, 0.1, 0.1, 0.1]
    scalar_parameters[1](*values, out, wide)
    expected = [1, -128, 255, -32768, -(2**31), 2**32 - 1, -(2**63)]
    expected += [float(np.float16(0.1)), float(np.float32(0.1)), 0.1]
    np.testing.assert_array_equal(out.numpy(), expected)
    assert int(wide.numpy()[0]) == 2**64 - 1


@pytest.mark.parametrize(
    ("position", "value", "error", "message"),
    [
        (
            1,
            128,
            dc.InvalidArgumentError,
            r"'small' of scalar_parameters\(\) is 128, which does not fit in int8",
        ),
        (2, -1, dc.InvalidArgumentError, r"'byte' .* does not fit in uint8"),
        (
            4,
            2.5,
            dc.DTypeError,
            r"'word' of scalar_parameters\(\) must be a int32 scalar, got float",
        ),
        (0, 1, dc.DTypeError, r"'flag' .* must be a bool scalar"),
        (8, 1e6, dc.InvalidArgumentError, r"'half' .* does not fit in float16"),
        (10, "0.1", dc.DTypeError, r"'double' .* must be a float64 scalar, got str"),
    ],
)
def test_scalar_parameter_errors(device, position, value, error, message):
    values = [True, 1, 1, 1, 1, 1, 1, 1, 1.0, 1.0, 1.0]
    values[position] = value
    out, wide = dc.zeros(10, "float64", device), dc.zeros(1, "uint64", device)
    with pytest.raises(error, match=message):
        scalar_parameters[1](*values, out, wide)
    assert not out.numpy().any()  # nothing ran


def test_writing_into_a_read_only_array_is_refused(device):
    # A kernel that stores into an array must not get one that is read-only (here, numpy memory
    # marked read-only, shared without a copy on host-visible devices).
    memory = np.arange(11, dtype=np.float32)
    memory.flags.writeable = False
    frozen = dc.asarray(memory, device=device)
    ones = dc.asarray(np.ones(11, np.float32), device=device)
    if dc.get_device(device).host_visible:
        assert frozen.readonly
        with pytest.raises((TypeError, ValueError), match=r"'out' of saxpy\(\).*read-only"):
            saxpy[11](2.0, ones, ones, frozen)
    else:
        # A device that cannot share host memory copies it: the copy is the array's own.
        assert not frozen.readonly
        saxpy[11](2.0, ones, ones, dc.asarray(memory, device=device))
    np.testing.assert_array_equal(memory, np.arange(11))
    out = dc.zeros(11, "float32", device)
    saxpy[11](2.0, frozen, ones, out)  # reading one is fine
    np.testing.assert_array_equal(out.numpy(), 2 * np.arange(11, dtype=np.float32) + 1)


def test_calling_a_kernel_without_a_size_is_a_clear_type_error(saxpy_arrays):
    _, _, dx, dy, out = saxpy_arrays
    with pytest.raises(TypeError, match=r"saxpy\[global_size\]\(\.\.\.\).*saxpy\.launch"):
        saxpy(2.0, dx, dy, out)


def test_wrong_argument_count(saxpy_arrays):
    _, _, dx, dy, _ = saxpy_arrays
    with pytest.raises(TypeError, match=r"saxpy\(\) takes 4 arguments \(alpha, x, y, out\), got 3"):
        saxpy[1001](2.0, dx, dy)
    with pytest.raises(TypeError, match=r"takes 4 arguments .*, got 5"):
        saxpy[1001](2.0, dx, dy, dy, dy)


def test_wrong_dtype(device, saxpy_arrays):
    _, _, dx, dy, _ = saxpy_arrays
    wrong = dc.zeros(1001, "float64", device)
    with pytest.raises(
        dc.DTypeError, match=r"'out' of saxpy\(\) must be a float32 array, got float64"
    ):
        saxpy[1001](2.0, dx, dy, wrong)


def test_wrong_ndim(device, saxpy_arrays):
    _, _, _, dy, _ = saxpy_arrays
    wrong = dc.zeros((7, 11), "float32", device)
    with pytest.raises(dc.ShapeError, match=r"'x' of saxpy\(\) must be 1-D, got shape"):
        saxpy[77](2.0, wrong, dy, dy)


@pytest.mark.parametrize("value", [np.zeros(1001, np.float32), [1.0, 2.0], 3.0, None])
def test_non_array_where_an_array_is_expected(saxpy_arrays, value):
    _, _, dx, dy, _ = saxpy_arrays
    with pytest.raises(TypeError, match=r"'y'.*array"):
        saxpy[1001](2.0, dx, value, dy)


@pytest.mark.parametrize(
    "make_value",
    [
        lambda device: "two",
        lambda device: None,
        lambda device: np.array([3.0]),
        lambda device: np.array([3.0, 4.0]),
        lambda device: dc.zeros(3, "float32", device),
    ],
    ids=["str", "None", "numpy-1", "numpy-2", "dc-array-3"],
)
def test_non_scalar_where_a_scalar_is_expected(device, saxpy_arrays, make_value):
    _, _, dx, dy, out = saxpy_arrays
    with pytest.raises((TypeError, ValueError), match=r"argument 'alpha' of saxpy\(\)"):
        saxpy[1001](make_value(device), dx, dy, out)


@pytest.mark.parametrize(
    ("global_size", "local_size", "error", "message"),
    [
        (-1, None, dc.InvalidArgumentError, r"global size"),
        ((1, 2, 3, 4), None, dc.InvalidArgumentError, r"global size"),
        ((), None, dc.InvalidArgumentError, r"global size"),
        (2.5, None, dc.InvalidArgumentError, r"global size"),
        ("1001", None, dc.InvalidArgumentError, r"global size"),
        (1001, (7, 7), dc.InvalidArgumentError, r"local_size \(7, 7\) has 2 dimension\(s\)"),
        (1001, 0, dc.InvalidArgumentError, r"local_size"),
        (1001, -4, dc.InvalidArgumentError, r"local_size"),
        (1001, 1 << 20, dc.InvalidArgumentError, r"more work-items per group than device"),
    ],
)
def test_bad_global_and_local_sizes(saxpy_arrays, global_size, local_size, error, message):
    _, _, dx, dy, out = saxpy_arrays
    with pytest.raises(error, match=message):
        saxpy.launch(global_size, 2.0, dx, dy, out, local_size=local_size)


def test_zero_global_size_runs_nothing(saxpy_arrays):
    _, _, dx, dy, out = saxpy_arrays
    saxpy[0](2.0, dx, dy, out)
    assert not out.numpy().any()


@pytest.fixture(scope="module")
def two_devices(tmp_path_factory):
    """Two devices to mix: the first two available, else the CPU and the test plugin's device
    (tests/plugins, built with CMake from the test extra)."""
    specs = [d.spec for d in dc.devices()]
    if len(specs) > 1:
        yield specs[:2]
        return
    if shutil.which("cmake") is None:
        pytest.fail("cmake is not installed (it is part of the test extra)")
    plugins = build_test_plugins(tmp_path_factory.mktemp("kernel-plugins"))
    dc.plugins.load(plugins["good_v1"])
    yield [specs[0], "testbackend"]
    gc.collect()
    dc.plugins.unload("testbackend", defer=True)


def test_arrays_on_different_devices_are_refused(two_devices):
    first, second = two_devices
    x = dc.zeros(11, "float32", first)
    y = dc.zeros(11, "float32", second)
    with pytest.raises(dc.DeviceError, match=r"different devices: 'x' is on .*, 'y' on"):
        saxpy[11](2.0, x, y, x)


def test_launch_checks_come_before_anything_runs(saxpy_arrays):
    x, y, dx, dy, out = saxpy_arrays
    with pytest.raises(dc.DTypeError):
        saxpy[1001](2.0, dx, dy, dc.zeros(1001, "float64", out.device))
    saxpy.launch(1001, 2.0, dx, dy, out)  # a failed launch leaves the kernel usable
    assert_close(out, (np.float32(2) * x + y).astype(np.float64), "float32")


# =============================================================================================
# Generated source
# =============================================================================================


def test_generated_source_is_readable():
    source = saxpy.source("cpu")
    for name in ("alpha", "x", "y", "out", "saxpy"):
        assert re.search(rf"\b{name}\b", source), name
    assert "alpha * x[i] + y[i]" in source
    comments = re.findall(r"/\*.*?\*/|//[^\n]*", source, flags=re.S)
    assert comments and all("Generated by dotcompute" in c for c in comments), comments
    for placeholder in ("TODO", "FIXME", "unsupported", "not implemented", "..."):
        assert placeholder not in source


def test_generic_kernel_source_needs_the_dtypes():
    source = axpy_generic.source("cpu", "float64", "float64", "float64")
    assert "double" in source
    with pytest.raises(dc.DTypeError, match=r"3 generic array argument\(s\)"):
        axpy_generic.source("cpu")


def test_source_for_an_unknown_target():
    with pytest.raises(dc.UnsupportedError, match=r"no kernel code generator for backend"):
        saxpy.source("no-such-backend")


# =============================================================================================
# Debug mode: kernels run as Python
# =============================================================================================


def int32s(rng, n):
    return random_array(rng, n, "int32")


def float32s(rng, shape):
    return random_array(rng, shape, "float32")


def zeros(shape, dtype):
    return np.zeros(shape, dtype)


# id -> (kernel, global size, local size, arguments(rng): numpy arrays and scalars). Small sizes:
# debug mode runs one Python call per work-item.
# Kernels whose debug run must give the compiled results. Debug mode runs the Python function
# with numpy scalars, so these differ by design and are documented in docs/kernels.md ("Debug
# mode"): annotated local types (Python ignores them), a.dtype(x) casts, integer ** with a
# negative exponent, and float -> int casts out of range.
DEBUG_CASES = {
    "saxpy": (
        saxpy,
        301,
        None,
        lambda r: [2.0, float32s(r, 301), float32s(r, 301), zeros(301, "float32")],
    ),
    "loops": (
        loops_with_continue_and_break,
        101,
        None,
        lambda r: [r.integers(0, 30, 101).astype(np.int32), 4, 17, zeros((101, 2), "int64")],
    ),
    "ranges": (
        range_forms,
        61,
        None,
        lambda r: [
            r.integers(-5, 20, 61).astype(np.int32),
            r.integers(-30, 30, 61).astype(np.int32),
            r.integers(-30, 30, 61).astype(np.int32),
            -3,
            zeros((61, 5), "int64"),
        ],
    ),
    "queries-3d": (queries_3d, (9, 5, 3), (4, 2, 3), lambda r: [zeros((3, 5, 9, 18), "int64")]),
    "comparisons": (
        comparisons,
        61,
        None,
        lambda r: [float32s(r, 61).round(), int32s(r, 61) // 4, zeros((9, 61), "bool")],
    ),
    "boolean-operators": (
        boolean_operators,
        61,
        None,
        lambda r: [int32s(r, 61), int32s(r, 61), zeros((6, 61), "bool"), zeros(61, "int32")],
    ),
    "device-functions": (
        device_function_calls,
        61,
        None,
        lambda r: [
            float32s(r, 61),
            int32s(r, 61),
            zeros((3, 61), "float32"),
            zeros((3, 61), "int64"),
        ],
    ),
    "math-dc": (
        math_functions_dc,
        61,
        None,
        lambda r: [*math_inputs(r, "float32", 61), zeros((16, 61), "float32")],
    ),
    "math-module": (
        math_functions_math_module,
        61,
        None,
        lambda r: [*math_inputs(r, "float64", 61), zeros((16, 61), "float64")],
    ),
    "int8-wraps": (
        integer_arithmetic,
        61,
        None,
        lambda r: [
            random_array(r, 61, "int8"),
            random_array(r, 61, "int8"),
            zeros((12, 61), "int64"),
        ],
    ),
    "zero-divisor": (
        floor_division_and_modulo,
        5,
        None,
        lambda r: [
            np.array([5, -5, 0, 7, -7], np.int32),
            np.array([0, 0, 0, 2, -2], np.int32),
            zeros(5, "int32"),
            zeros(5, "int32"),
        ],
    ),
    "atomic-add-sub": (
        histogram,
        200,
        None,
        lambda r: [
            r.integers(0, 7, 200).astype(np.int32),
            r.integers(1, 5, 200).astype(np.int32),
            zeros(7, "int32"),
            zeros(7, "int32"),
        ],
    ),
    "atomic-min-max": (
        bucket_extremes,
        200,
        None,
        lambda r: [
            r.integers(0, 7, 200).astype(np.int32),
            float32s(r, 200),
            np.full(7, 9, np.float32),
            np.full(7, -9, np.float32),
        ],
    ),
    "shared-tree-reduction": (
        group_sums_levels,
        320,
        64,
        lambda r: [random_array(r, 300, "float64"), zeros(5, "float64")],
    ),
    "shared-atomics": (
        histogram_in_shared_memory,
        128,
        64,
        lambda r: [r.integers(0, BINS, 100).astype(np.int32), zeros(BINS, "int32")],
    ),
    "tiled-matmul": (
        tiled_matmul,
        (16, 32),
        (16, 16),
        lambda r: [float32s(r, (17, 9)), float32s(r, (9, 5)), zeros((17, 5), "float32")],
    ),
    "private-sort": (
        sort_rows_in_private_arrays,
        37,
        None,
        lambda r: [float32s(r, (37, ROW)), zeros((37, ROW), "float32")],
    ),
    "private-across-barriers": (
        register_tiled_matmul,
        (16, 16),
        (16, 16),
        lambda r: [float32s(r, (50, 21)), float32s(r, (21, 61)), zeros((50, 61), "float32")],
    ),
    "shared-in-device-functions": (
        shared_arrays_through_device_functions,
        48,
        16,
        lambda r: [
            r.integers(0, BINS, 40).astype(np.int32),
            float32s(r, 40),
            zeros(40, "float32"),
            zeros(BINS, "int32"),
        ],
    ),
    "private-in-device-function": (
        medians_of_five,
        32,
        16,
        lambda r: [float32s(r, 30), zeros(30, "float32")],
    ),
    "barriers-in-device-functions": (
        group_scans_in_device_functions,
        3 * SCAN_GROUP,
        SCAN_GROUP,
        lambda r: [
            r.integers(-1000, 1000, 90).astype(np.int32),
            zeros((2, 90), "int64"),
            zeros(3, "int64"),
        ],
    ),
    "private-in-inlined-functions": (
        private_arrays_in_inlined_functions,
        2 * WINDOW_GROUP,
        WINDOW_GROUP,
        lambda r: [r.integers(-50, 50, 29).astype(np.int32), zeros((2, 2, 29), "int64")],
    ),
    "tuple-returns": (
        tuple_returns,
        101,
        None,
        lambda r: [
            float32s(r, 101),
            r.integers(-1000, 1000, 101).astype(np.int32),
            float32s(r, (13, 9)),
            zeros((2, 101), "float32"),
            zeros((2, 101), "int32"),
            zeros(13, "float32"),
            zeros(13, "int64"),
        ],
    ),
    "barrier-after-return": (
        group_maxima_with_return_and_break,
        64,
        16,
        lambda r: [r.integers(-1000, 1000, 64).astype(np.int32), zeros(4, "int32")],
    ),
}

DEBUG_TIME_LIMIT = 15  # seconds; each case takes well under one


def launch_in_debug_mode(kernel, global_size, args, local_size):
    """``kernel.launch(..., debug=True)`` in a thread with a time limit, so that a debug run that
    never finishes (a deadlock at a barrier) fails the test instead of hanging the suite."""
    errors = []

    def run():
        try:
            kernel.launch(global_size, *args, local_size=local_size, debug=True)
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(DEBUG_TIME_LIMIT)
    assert not thread.is_alive(), (
        f"the debug run of {kernel.__name__} did not finish in {DEBUG_TIME_LIMIT} s (deadlock)"
    )
    if errors:
        raise errors[0]


@pytest.mark.parametrize("case", list(DEBUG_CASES))
def test_debug_mode_gives_the_compiled_results(device, rng, case):
    kernel, global_size, local_size, make_arguments = DEBUG_CASES[case]
    arguments = make_arguments(rng)

    def on_device():
        return [on(device, a) if isinstance(a, np.ndarray) else a for a in arguments]

    compiled, debugged = on_device(), on_device()
    kernel.launch(global_size, *compiled, local_size=local_size)
    launch_in_debug_mode(kernel, global_size, debugged, local_size)
    for position, (c, d) in enumerate(zip(compiled, debugged, strict=True)):
        if not isinstance(c, dc.Array):
            continue
        message = f"argument {position} of {kernel.__name__}"
        if c.dtype.name in TOLERANCE:
            tolerance = TOLERANCE[c.dtype.name]
            np.testing.assert_allclose(d.numpy(), c.numpy(), **tolerance, err_msg=message)
        else:
            np.testing.assert_array_equal(d.numpy(), c.numpy(), err_msg=message)


def test_debug_environment_variable(device, rng, monkeypatch):
    n = rng.integers(0, 30, 101).astype(np.int32)
    compiled = dc.zeros((101, 2), "int64", device)
    loops_with_continue_and_break[101](on(device, n), 4, 17, compiled)
    monkeypatch.setenv("DOTCOMPUTE_DEBUG", "1")
    debugged = dc.zeros((101, 2), "int64", device)
    loops_with_continue_and_break[101](on(device, n), 4, 17, debugged)
    np.testing.assert_array_equal(debugged.numpy(), compiled.numpy())


def test_debug_environment_variable_with_barriers_and_shared_memory(device, rng, monkeypatch):
    x = random_array(rng, 300, "float64")
    compiled, debugged = dc.zeros(5, "float64", device), dc.zeros(5, "float64", device)
    group_sums_levels.launch(320, on(device, x), compiled, local_size=64)
    monkeypatch.setenv("DOTCOMPUTE_DEBUG", "1")
    group_sums_levels.launch(320, on(device, x), debugged, local_size=64)
    np.testing.assert_allclose(debugged.numpy(), compiled.numpy(), rtol=1e-12)
    np.testing.assert_allclose(debugged.numpy(), np.add.reduceat(x, np.arange(0, 300, 64)))


@dc.kernel(debug=True)
def print_items(x: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < x.shape[0]:
        print("item", i, "holds", x[i])


def test_print_in_a_debug_kernel(device, capsys):
    x = np.array([0.5, 1.5, 2.5, 3.5, 4.5], np.float32)
    print_items[5](on(device, x))
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"item {i} holds {v}" for i, v in enumerate(x.tolist())]


def test_debug_decorator_argument_matches_compiled(device, rng):
    x, y = random_array(rng, 101, "float32"), random_array(rng, 101, "float32")
    debug_saxpy = dc.kernel(debug=True)(saxpy.__wrapped__)
    compiled, debugged = dc.zeros(101, "float32", device), dc.zeros(101, "float32", device)
    saxpy[101](0.5, on(device, x), on(device, y), compiled)
    debug_saxpy[101](0.5, on(device, x), on(device, y), debugged)
    np.testing.assert_array_equal(debugged.numpy(), compiled.numpy())
