# tests/test_indexing.py
# x[key] and x[key] = value (numpy's basic indexing) on every device against numpy: views of
# contiguous selections, copies of strided ones, assignment in place, errors, captures.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

KEYS = [
    1, -1, (1, 2), (1, 2, 3), slice(1, 3), (1, slice(1, 3)), (Ellipsis, 2), (slice(None), 0),
    slice(None, None, 2), (None, 1), (1, None, slice(None), 3), Ellipsis, slice(5, 9),
    (slice(None, None, -1), 1), (slice(1, None), slice(None, -1), slice(2, 3)),
    (-2, Ellipsis, slice(None, None, 3)), (slice(0, 1), 2), (np.int64(2), slice(None), None),
    slice(-2, None), slice(2, 1), slice(None, 2, 1), slice(-9, 2), np.int32(-3),
]  # fmt: skip
DTYPES = ["bool", "int8", "uint16", "int64", "float16", "float32", "complex64", "complex128"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_selections_match_numpy(device, rng, dtype):
    host = random_array(rng, (3, 37, 5), dtype)
    x = dc.asarray(host, device=device)
    for key in KEYS:
        got, expected = x[key], host[key]
        assert got.shape == expected.shape and got.dtype == expected.dtype, key
        np.testing.assert_array_equal(got.numpy(), expected, err_msg=str(key))


def test_contiguous_selections_are_views(device, rng):
    host = random_array(rng, (4, 33, 7), "float32")
    x = dc.asarray(host.copy(), device=device)
    row = x[2]  # a view: writes go to x
    row += 1.0
    block = x[1, 3:9]
    block *= 2.0
    expected = host.copy()
    expected[2] += 1.0
    expected[1, 3:9] *= 2.0
    np.testing.assert_array_equal(x.numpy(), expected)
    column = x[:, 0]  # strided: a copy
    column += 100.0
    np.testing.assert_array_equal(x.numpy(), expected)
    nested = x[1:3][1][5:8]  # a view of a view
    nested -= dc.asarray(expected[2, 5:8], device=device)
    expected[2, 5:8] = 0.0
    np.testing.assert_array_equal(x.numpy(), expected)


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64", "complex128"])
def test_assignment_matches_numpy(device, rng, dtype):
    host = random_array(rng, (5, 37, 6), dtype)
    x = dc.asarray(host.copy(), device=device)
    expected = host.copy()
    values = random_array(rng, (37, 6), dtype)
    assignments = [
        ((slice(None), 0), 7),  # a number into a strided selection
        ((1,), values),  # an array into a view
        ((slice(None, None, 2), slice(3, 20)), values[0]),  # a broadcast row
        ((Ellipsis, 2), values[:, :1].T.copy()),  # (1, 37) into (5, 37)
        ((-1, slice(None, None, -1)), values),  # reversed
        ((2, 5, 1), values[0, 0]),
    ]
    for key, value in assignments:
        x[key] = value if np.isscalar(value) else dc.asarray(value, device=device)
        expected[key] = value
        np.testing.assert_array_equal(x.numpy(), expected, err_msg=str(key))
    x[0] = values  # a numpy array as the value
    x[1, :3] = [1, 2, 3, 4, 5, 6]  # a list, broadcast
    expected[0], expected[1, :3] = values, [1, 2, 3, 4, 5, 6]
    np.testing.assert_array_equal(x.numpy(), expected)


def test_augmented_assignment_and_overlap(device, rng):
    host = random_array(rng, (9, 301), "float64")
    x = dc.asarray(host.copy(), device=device)
    expected = host.copy()
    x[:, 0] += 1.5  # a copy, added to, written back
    x[1:] += x[:-1]  # overlapping views: numpy reads every input element first
    expected[:, 0] += 1.5
    expected[1:] += expected[:-1].copy()
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-14)
    y = dc.asarray(host.copy(), device=device)
    y[1:] = y[:-1]
    dc.add(y[:, 1:], y[:, :-1], out=y[:, 1:])  # strided out: a copy, so y is unchanged here
    dc.multiply(y[2:], y[:-2], out=y[2:])
    shifted = host.copy()
    shifted[1:] = host[:-1].copy()
    shifted[2:] = shifted[2:] * shifted[:-2]
    np.testing.assert_allclose(y.numpy(), shifted, rtol=1e-14)


def test_values_convert_to_the_array_dtype(device, rng):
    x = dc.zeros((4, 5), "int16", device=device)
    x[1] = dc.asarray(np.array([1.7, -2.5, 3.2, 4.9, -0.1]), device=device)  # floats truncate
    x[2] = True
    x[3, 1:] = np.array([10, 20, 30, 40], np.int64)
    expected = np.zeros((4, 5), np.int16)
    expected[1] = np.array([1.7, -2.5, 3.2, 4.9, -0.1]).astype(np.int16)
    expected[2], expected[3, 1:] = True, [10, 20, 30, 40]
    np.testing.assert_array_equal(x.numpy(), expected)


def test_views_in_kernels_and_algorithms(device, rng):
    @dc.kernel
    def double(values: dc.Array):
        i = dc.global_id(0)
        if i < values.shape[0]:
            values[i] = values[i] * 2

    host = random_array(rng, (6, 257), "float32")
    x = dc.asarray(host.copy(), device=device)
    double[257](x[3])
    expected = host.copy()
    expected[3] *= 2
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_allclose(float(dc.sum(x[3])), expected[3].sum(dtype=np.float64), rtol=1e-5)
    np.testing.assert_allclose(dc.sort(x[1:4]).numpy(), np.sort(expected[1:4]))
    square = random_array(rng, (8, 8), "float64")
    a = dc.asarray(square, device=device)
    product = dc.matmul(a[1:3], a[:, 2:5])  # a view times a copy
    np.testing.assert_allclose(product.numpy(), square[1:3] @ square[:, 2:5], rtol=1e-12)
    np.testing.assert_allclose(dc.fft(a[5]).numpy(), np.fft.fft(square[5]), rtol=1e-10)


def test_indexing_errors(device):
    x = dc.zeros((3, 4), "float32", device=device)
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="index -5 is out of bounds for axis 1 with size 4"):
        x[0, -5]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match="only integers, slices"):
        x["a"]
    with pytest.raises(dc.ShapeError, match=r"from shape \(3,\) into shape \(4,\)"):
        x[0] = np.ones(3, np.float32)
    host = np.ones(3, np.float32)
    host.setflags(write=False)
    with pytest.raises(dc.InvalidArgumentError, match="read-only"):
        dc.asarray(host)[0] = 2.0
    view = dc.asarray(host)[1:]  # a view of a read-only array is read-only
    assert view.shape == (2,) and view.readonly
    with pytest.raises(dc.InvalidArgumentError, match="read-only"):
        view[0] = 2.0


def test_empty_selections_of_nonempty_arrays(device, rng):
    """A selection with no elements whose first element would lie past the array's end (an
    empty slice after the last row) is an empty array, as numpy's, not an error."""
    host = random_array(rng, (1, 5), "int32")
    x = dc.asarray(host, device=device)
    for key in [(slice(1, None, 2), -1), (slice(3, None), 2), (slice(1, None), slice(None)),
                (0, slice(7, None)), (slice(1, None, 2), slice(None, None, 2))]:  # fmt: skip
        got = x[key]
        assert got.shape == host[key].shape and got.size == 0, key
        x[key] = 5  # assigns nothing
    np.testing.assert_array_equal(x.numpy(), host)


def test_first_axis_keys_of_vectors_and_empty_arrays(device, rng):
    """x[i] and x[a:b] take a shorter path (_leading_view); the same results at its edges."""
    host = random_array(rng, 41, "float64")
    x = dc.asarray(host.copy(), device=device)
    element = x[-41]  # a 0-d view
    assert element.shape == () and float(element) == host[0]
    element += 1.0
    assert float(x[0]) == host[0] + 1.0
    empty = dc.zeros((2, 0, 3), "float32", device=device)
    assert empty[1].shape == (0, 3) and empty[1:].shape == (1, 0, 3)
    with pytest.raises(IndexError, match="index -3 is out of bounds for axis 0 with size 2"):
        empty[-3]


def test_a_released_parent_releases_its_views(device):
    x = dc.ones((4, 5), "float32", device=device)
    row = x[1]
    x.release()
    with pytest.raises(dc.ReleasedArrayError):
        row.numpy()


def test_iteration_gives_rows(device, rng):
    host = random_array(rng, (3, 4), "int32")
    rows = list(dc.asarray(host, device=device))
    assert len(rows) == 3
    for got, expected in zip(rows, host, strict=True):
        np.testing.assert_array_equal(got.numpy(), expected)


def test_indexing_in_a_graph(device, rng):
    x = dc.asarray(random_array(rng, (65, 33), "float32"), device=device)
    y = dc.zeros((65, 33), "float32", device=device)
    with dc.capture(device=device) as graph:
        first_column = x[:, 0]
        y[:, 1] = first_column * 2.0
        y[3] = x[4]
    for _ in range(2):
        host = random_array(rng, (65, 33), "float32")
        dc.copyto(x, host)
        graph.replay()
        dc.synchronize(device)
        np.testing.assert_array_equal(first_column.numpy(), host[:, 0])
        expected_column = host[:, 0] * np.float32(2)
        expected_column[3] = host[4, 1]
        np.testing.assert_array_equal(y.numpy()[:, 1], expected_column)
        np.testing.assert_array_equal(y.numpy()[3], host[4])


@pytest.mark.parametrize("variant", ["rows", "grid", "elements"])
def test_every_copy_kernel(device, rng, monkeypatch, variant):
    """Note [Rows on CPU devices]: CPU devices copy a row a work-item, GPUs take a grid, and
    one-dimensional layouts a work-item per element; each runs on every device here, for basic
    and advanced selections, reads and assignments, 4-byte and 16-byte items."""
    from dotcompute.algorithm_kernels import strided

    monkeypatch.setattr(strided, "is_cpu_device", lambda device: variant == "rows")
    if variant == "elements":
        monkeypatch.setattr(strided, "MAX_GRID_ROWS", 0)
    for dtype in ("float32", "complex128"):
        host = random_array(rng, (5, 37, 19), dtype)
        x = dc.asarray(host.copy(), device=device)
        keys = [
            (slice(None), 3), (slice(None, None, 2), slice(1, None), slice(None, None, -3)),
            ([4, 0, 2], slice(2, 30)), (slice(None), [30, 1], slice(None, None, 2)),
            host.real > 0,
        ]  # fmt: skip
        for key in keys:
            np.testing.assert_array_equal(x[key].numpy(), host[key], err_msg=str(key))
        expected = host.copy()
        for key in keys[:4]:
            value = random_array(rng, expected[key].shape, dtype)
            x[key] = value
            expected[key] = value
        np.testing.assert_array_equal(x.numpy(), expected)
