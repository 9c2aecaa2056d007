# tests/test_broadcasting.py
# Binary built-ins and operators on arrays whose shapes broadcast (numpy's rules), on every
# device against numpy: rows, columns, vectors over batches, in place, out=, inside a capture.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc
from dotcompute.algorithm_kernels import broadcast

from conftest import ARITHMETIC_OPERATORS, random_array

SHAPE_PAIRS = [
    ((37, 29), (1, 29)),  # a row over every row
    ((37, 29), (37, 1)),  # a column over every column
    ((29,), (37, 29)),  # a vector on the left
    ((5, 1, 33), (7, 1)),  # both broadcast
    ((3, 5, 70), (5, 1)),  # three dimensions after merging
    ((1,), (4, 6)),  # one element
    ((2, 3, 4, 5), (5,)),  # merges to two
]
DTYPES = ["bool", "int32", "uint8", "float16", "float32", "float64", "complex64", "complex128"]


def defined(name: str, dtype: str) -> bool:
    """Whether numpy has the operation for dtype (integer divide gives float64)."""
    kind = np.dtype(dtype).kind
    return {"subtract": kind != "b", "floor_divide": kind != "c"}.get(name, True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("a_shape", "b_shape"), SHAPE_PAIRS, ids=str)
def test_broadcast_operations_match_numpy(device, rng, a_shape, b_shape, dtype):
    host_a, host_b = random_array(rng, a_shape, dtype), random_array(rng, b_shape, dtype)
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    tolerance = {"float16": 1e-3, "float32": 1e-6, "complex64": 1e-6}.get(dtype, 1e-12)
    for name, apply in ARITHMETIC_OPERATORS.items():
        if not defined(name, dtype):
            continue
        for left, right, host_left, host_right in ((a, b, host_a, host_b), (b, a, host_b, host_a)):
            with np.errstate(all="ignore"):  # bool / bool: False / False is nan, as numpy's
                expected = apply(host_left, host_right)
            got = apply(left, right)
            assert got.shape == expected.shape and got.dtype == expected.dtype, name
            scale = max(1.0, float(np.abs(expected[np.isfinite(expected)]).max(initial=0.0)))
            np.testing.assert_allclose(
                got.numpy(), expected, rtol=tolerance, atol=tolerance * scale, err_msg=name
            )
            function_result = getattr(dc, name)(left, right)
            np.testing.assert_array_equal(function_result.numpy(), got.numpy())


@pytest.mark.parametrize("kernel", ["grid", "per element"])
@pytest.mark.parametrize("dtype", ["int32", "float32", "complex64"])
@pytest.mark.parametrize(("a_shape", "b_shape"), SHAPE_PAIRS, ids=str)
def test_gpu_kernels_on_every_device(device, rng, monkeypatch, a_shape, b_shape, dtype, kernel):
    """GPUs run broadcast_grid, or broadcast_elements past the grid's rows (Note [Broadcast
    layouts]); forced here on every device, the CPU ones included."""
    monkeypatch.setattr(broadcast, "is_cpu_device", lambda _device: False)
    if kernel == "per element":
        monkeypatch.setattr(broadcast, "MAX_GRID_ROWS", 0)
    host_a, host_b = random_array(rng, a_shape, dtype), random_array(rng, b_shape, dtype)
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    for left, right, host_left, host_right in ((a, b, host_a, host_b), (b, a, host_b, host_a)):
        np.testing.assert_allclose((left - right).numpy(), host_left - host_right, rtol=1e-6)
        np.testing.assert_allclose((left * right).numpy(), host_left * host_right, rtol=1e-6)


def test_centering_in_place_and_into_out(device, rng):
    host = random_array(rng, (301, 17), "float64")
    x = dc.asarray(host.copy(), device=device)
    means = dc.mean(x, axis=0, keepdims=True)
    out = dc.empty((301, 17), "float64", device=device)
    assert dc.subtract(x, means, out=out) is out
    np.testing.assert_allclose(out.numpy(), host - host.mean(axis=0), atol=1e-12)
    x -= means  # in place, the broadcast operand on the right
    np.testing.assert_allclose(x.numpy(), host - host.mean(axis=0), atol=1e-12)
    with pytest.raises(dc.ShapeError, match=r"out has shape \(1, 17\), the result has shape"):
        means += x  # numpy: a non-broadcastable output


def test_broadcast_errors(device):
    x = dc.zeros((5, 3), "float32", device=device)
    with pytest.raises(dc.ShapeError, match=r"shapes \(5, 3\) and \(4,\) do not broadcast"):
        dc.add(x, dc.zeros(4, "float32", device=device))
    with pytest.raises(dc.DTypeError, match="bitwise_and is not defined for float32"):
        x & dc.zeros(3, "float32", device=device)


WIDE_SHAPE_PAIRS = [
    ((2, 1, 4, 1), (3, 1, 5)),  # four dimensions alternate after merging
    ((2, 1, 3, 1, 5), (1, 4, 1, 6, 1)),  # five, neither operand the result's shape
    ((3, 1, 5, 1, 7), (3, 4, 5, 6, 7)),  # five, the right operand the result's shape
]


@pytest.mark.parametrize("dtype", ["int32", "float32", "float64", "complex64"])
@pytest.mark.parametrize(("a_shape", "b_shape"), WIDE_SHAPE_PAIRS, ids=str)
def test_broadcasts_of_more_than_three_merged_dimensions(device, rng, a_shape, b_shape, dtype):
    """Operands whose broadcast dimensions alternate more often than the kernels' three
    dimensions hold are expanded first (Note [Wide broadcasts]); every operation still
    matches numpy, comparisons and mixed dtypes included."""
    host_a, host_b = random_array(rng, a_shape, dtype), random_array(rng, b_shape, "float32")
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    for left, right, host_left, host_right in ((a, b, host_a, host_b), (b, a, host_b, host_a)):
        for name, apply in {**ARITHMETIC_OPERATORS, "less": lambda p, q: p < q}.items():
            if not defined(name, dtype):
                continue
            expected = apply(host_left, host_right)
            got = apply(left, right)
            assert got.shape == expected.shape and got.dtype == expected.dtype, name
            np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-5, err_msg=name)


def test_wide_broadcasts_in_place_into_out_and_in_a_graph(device, rng):
    host_x, host_y = (
        random_array(rng, (3, 4, 5, 6, 7), "float32"),
        random_array(rng, (3, 1, 5, 1, 7), "float32"),
    )
    x, y = dc.asarray(host_x.copy(), device=device), dc.asarray(host_y.copy(), device=device)
    x -= y
    np.testing.assert_allclose(x.numpy(), host_x - host_y, rtol=1e-6)
    out = dc.empty((3, 4, 5, 6, 7), "float64", device=device)
    assert dc.multiply(y, x, out=out) is out
    np.testing.assert_allclose(out.numpy(), host_y * (host_x - host_y), rtol=1e-6)
    with dc.capture(device=device) as graph:
        captured = x * y
    new_y = random_array(rng, (3, 1, 5, 1, 7), "float32")
    dc.copyto(y, new_y)
    graph.replay()
    dc.synchronize(device)
    np.testing.assert_allclose(captured.numpy(), (host_x - host_y) * new_y, rtol=1e-6)


@pytest.mark.parametrize(
    ("shape", "target"),
    [((5,), (3, 5)), ((3, 1), (3, 4)), ((2, 1, 3, 1), (4, 2, 5, 3, 6)), ((), (2, 3)), ((4,), 4)],
    ids=str,
)
@pytest.mark.parametrize("dtype", ["bool", "int16", "float32", "complex128"])
def test_broadcast_to_matches_numpy(device, rng, shape, target, dtype):
    host = random_array(rng, shape, dtype)
    got = dc.broadcast_to(dc.asarray(host, device=device), target)
    expected = np.broadcast_to(host, target)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got.numpy(), expected)


def test_broadcast_to_errors(device):
    x = dc.zeros((3, 2), "float32", device=device)
    with pytest.raises(dc.ShapeError, match=r"\(3, 2\) cannot be broadcast to \(3, 4\)"):
        dc.broadcast_to(x, (3, 4))
    with pytest.raises(dc.ShapeError, match=r"\(3, 2\) cannot be broadcast to \(2,\)"):
        dc.broadcast_to(x, 2)
    with pytest.raises(dc.ShapeError, match="negative"):
        dc.broadcast_to(x, (-1, 3, 2))
    with pytest.raises(dc.DTypeError, match="broadcast_to takes dc arrays"):
        dc.broadcast_to(np.zeros(3), (2, 3))


def test_broadcasting_in_a_graph(device, rng):
    x = dc.asarray(random_array(rng, (129, 33), "float32"), device=device)
    scale = dc.asarray(random_array(rng, (33,), "float32"), device=device)
    with dc.capture(device=device) as graph:
        centered = (x - dc.mean(x, axis=0, keepdims=True)) * scale
    for _ in range(2):
        host, factors = random_array(rng, (129, 33), "float32"), random_array(rng, 33, "float32")
        dc.copyto(x, host)
        dc.copyto(scale, factors)
        graph.replay()
        dc.synchronize(device)
        expected = (host - host.mean(axis=0, dtype=np.float64)) * factors
        np.testing.assert_allclose(centered.numpy(), expected, rtol=1e-5, atol=1e-5)
