# tests/test_advanced_indexing.py
# Integer-array and boolean-mask indexing (numpy's advanced indexing), dc.nonzero,
# dc.flatnonzero and dc.where(condition) on every device against numpy.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc

from conftest import random_array

SHAPE = (6, 37, 5)
DTYPES = ["bool", "int8", "uint16", "int64", "float16", "float32", "complex64", "complex128"]


def keys(host: np.ndarray, rng) -> list:
    """Advanced keys of every kind for an array of SHAPE: integer arrays (lists, numpy and dc
    arrays of other integer dtypes, negative, repeated, 2-D), masks of 1-3 axes, integers and
    slices among them, next to each other or apart (B first), None and ... ."""
    rows = rng.integers(-6, 6, size=9)
    columns = rng.integers(0, 37, size=(3, 1)).astype(np.int16)
    return [
        [0, 5, 2, 2],
        rows,
        (slice(None), columns),
        (rows[:3], slice(2, 30, 3), [4, 0, -1]),  # apart: B first
        (1, slice(None), [3, 1]),  # an integer and an array apart
        (slice(None), 7, [3, 1]),  # next to each other
        (columns % 6, [1, 2, 3, 4]),  # broadcast to (3, 4)
        host.real > 0,
        (host[:, :, 0].real > 0,),
        (slice(None, None, -2), host[0].real > 0),
        (Ellipsis, [-1, 0, 0]),
        ([2, 3], None, [[4], [5]]),
        (host[:, 0, 0].real > 0, 3, slice(1, 4)),
        np.array([], np.int64),
        [],
        (slice(None), [3, 1], Ellipsis, 0),  # an Ellipsis of no axes still parts them: B first
        (None, host[:, :, 0].real > 0, Ellipsis, -1),
        (host[:, :, 0].real > 0, Ellipsis),  # a whole 2-D mask, then nothing
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_selections_match_numpy(device, rng, dtype):
    host = random_array(rng, SHAPE, dtype)
    x = dc.asarray(host, device=device)
    for key in keys(host, rng):
        got, expected = x[key], host[key]
        assert got.shape == expected.shape and got.dtype == expected.dtype, key
        np.testing.assert_array_equal(got.numpy(), expected, err_msg=str(key))


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64", "complex128"])
def test_assignment_matches_numpy(device, rng, dtype):
    host = random_array(rng, SHAPE, dtype)
    x = dc.asarray(host.copy(), device=device)
    expected = host.copy()
    mask = host.real > 0
    count = int(mask.sum())
    assignments = [
        (mask, 0),  # a number into every selected element
        (mask, random_array(rng, count, dtype)),  # one value per true element
        ((slice(None), [1, 30, 17]), random_array(rng, (6, 3, 5), dtype)),
        (([4, 0], slice(None), [2, 3]), random_array(rng, 37, dtype)),  # broadcast over B
        ((host[:, 0, 0].real > 0, 3), random_array(rng, (1, 5), dtype)),
        (np.array([-1, 2]), np.float64(3.0)),  # converted to x's dtype
    ]
    for key, value in assignments:
        x[key] = value if np.isscalar(value) else dc.asarray(value, device=device)
        expected[key] = value
        np.testing.assert_array_equal(x.numpy(), expected, err_msg=str(key))
    x[[5, 1]] = np.ones((2, 37, 5), dtype)  # numpy values too
    expected[[5, 1]] = 1
    np.testing.assert_array_equal(x.numpy(), expected)


def test_augmented_assignment_and_masks_from_the_array(device, rng):
    host = random_array(rng, (301, 7), "float32")
    x = dc.asarray(host.copy(), device=device)
    expected = host.copy()
    x[x < 0] *= -1.0  # a gather, a multiply, a scatter, as numpy's
    expected[expected < 0] *= -1.0
    x[[3, 200, 7]] += dc.asarray(host[:3], device=device)
    expected[[3, 200, 7]] += host[:3]
    x[x > 3.5] = dc.asarray(np.float32(9.0), device=device)  # a 0-d value
    expected[expected > 3.5] = 9.0
    np.testing.assert_array_equal(x.numpy(), expected)
    assert float(dc.sum(x[x == 9.0])) == 9.0 * int((expected == 9.0).sum())


def test_repeated_indices_write_one_of_the_values(device, rng):
    x = dc.zeros(10, "int32", device=device)
    x[[2, 2, 2, 5]] = dc.asarray(np.array([7, 8, 9, 1], np.int32), device=device)
    got = x.numpy()
    assert got[2] in (7, 8, 9) and got[5] == 1 and got.sum() == got[2] + 1


@pytest.mark.parametrize("dtype", ["bool", "int32", "uint8", "float32", "complex64"])
@pytest.mark.parametrize("shape", [(1000,), (33, 65), (5, 1, 300), (2, 3, 4, 5)])
def test_nonzero_matches_numpy(device, rng, dtype, shape):
    host = random_array(rng, shape, dtype)
    host.flat[rng.integers(0, host.size, size=host.size // 2)] = 0  # about 40% zeros
    x = dc.asarray(host, device=device)
    for got, expected in zip(dc.nonzero(x), np.nonzero(host), strict=True):
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.numpy(), expected)
    np.testing.assert_array_equal(dc.flatnonzero(x).numpy(), np.flatnonzero(host))
    for got, expected in zip(dc.where(x), np.where(host), strict=True):
        np.testing.assert_array_equal(got.numpy(), expected)
    np.testing.assert_array_equal(x[dc.nonzero(x)].numpy(), host[np.nonzero(host)])


def test_nonzero_of_empty_and_all_false(device):
    assert [a.shape for a in dc.nonzero(dc.zeros((3, 0), "float32", device=device))] == [
        (0,),
        (0,),
    ]
    rows, columns = dc.nonzero(dc.zeros((4, 9), "bool", device=device))
    assert rows.shape == columns.shape == (0,)
    everything = dc.flatnonzero(dc.ones(70000, "int8", device=device))
    np.testing.assert_array_equal(everything.numpy(), np.arange(70000))
    with pytest.raises(dc.InvalidArgumentError, match="0-d"):
        dc.nonzero(dc.ones((), "float32", device=device))
    with pytest.raises(dc.DTypeError, match="takes a dc array"):
        dc.nonzero(np.ones(3))


def test_index_arrays_on_the_device_and_of_other_dtypes(device, rng):
    host = random_array(rng, (50, 3), "float64")
    x = dc.asarray(host, device=device)
    for index in (np.array([49, 0, -50]), np.array([1, 2], np.uint8), np.array(7)):
        np.testing.assert_array_equal(x[dc.asarray(index, device=device)].numpy(), host[index])
    other = "cpu" if device != "cpu" else dc.devices()[-1].spec
    np.testing.assert_array_equal(x[dc.asarray([3, 4], device=other)].numpy(), host[[3, 4]])


def test_advanced_indexing_errors(device):
    x = dc.zeros((3, 4), "float32", device=device)
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        x[[0, 3]]
    with pytest.raises(IndexError, match="index -5 is out of bounds for axis 1 with size 4"):
        x[:, np.array([1, -5])]
    with pytest.raises(IndexError, match="index 9 is out of bounds for axis 1 with size 4"):
        x[[0, 1], [2, 9]] = 1.0
    with pytest.raises(IndexError, match="integer \\(or boolean\\) type, got float64"):
        x[np.array([0.0, 1.0])]
    with pytest.raises(IndexError, match="could not be broadcast together with shapes"):
        x[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match="boolean index did not match indexed array along axis 1"):
        x[:, np.ones(3, bool)]
    with pytest.raises(IndexError, match="too many indices"):
        x[np.ones((3, 4), bool), 0]
    with pytest.raises(dc.ShapeError, match="could not broadcast input array"):
        x[[0, 1]] = np.ones((3, 4), np.float32)
    with pytest.raises(dc.UnsupportedError, match="0-d bool"):
        x[np.True_]
    with pytest.raises(dc.UnsupportedError, match=r"inside dc\.capture"), dc.capture(device=device):
        x[x > 0]
    with pytest.raises(dc.UnsupportedError, match=r"inside dc\.capture"), dc.capture(device=device):
        dc.nonzero(x)


@pytest.mark.parametrize("variant", ["chunks", "scan"])
def test_both_compaction_kernels(device, rng, monkeypatch, variant):
    """Note [Compaction on GPUs and CPUs]: CPU devices walk chunks, GPUs scan every flag; both
    run on every device here, over several chunks and a partial last one."""
    from dotcompute.algorithm_kernels import compact

    monkeypatch.setattr(compact, "is_cpu_device", lambda device: variant == "chunks")
    host = random_array(rng, 3 * compact.CHUNK + 123, "float32")
    host[: compact.CHUNK] = -1.0  # a chunk with no true flag
    x = dc.asarray(host, device=device)
    np.testing.assert_array_equal(dc.flatnonzero(x > 0).numpy(), np.flatnonzero(host > 0))
    np.testing.assert_array_equal(x[x > 0].numpy(), host[host > 0])
    halves = dc.asarray(random_array(rng, host.size, "int16"), device=device)
    np.testing.assert_array_equal(halves[x > 0].numpy(), halves.numpy()[host > 0])


def test_masked_assignment_of_a_number_records_in_a_graph(device, rng):
    """x[mask] = number needs no count on the host (a select written into x), so it also
    records inside dc.capture and replays on new data."""
    x = dc.asarray(random_array(rng, (65, 33), "float32"), device=device)
    with dc.capture(device=device) as graph:
        x[x < 0] = 0.0
        x[x > 3.0] = dc.asarray(np.array([3.0], np.float32), device=device)
    for _ in range(2):
        host = random_array(rng, (65, 33), "float32")
        dc.copyto(x, host)
        graph.replay()
        dc.synchronize(device)
        np.testing.assert_array_equal(x.numpy(), np.clip(host, 0.0, 3.0))


def test_views_index_and_are_indexed(device, rng):
    """Advanced keys on a view (an offset into its parent's memory) read and write the view's
    elements; masks and index arrays that are views work too."""
    host = random_array(rng, (10, 7, 5), "float32")
    x = dc.asarray(host.copy(), device=device)
    view, expected = x[3:8], host.copy()
    np.testing.assert_array_equal(view[[0, 4, 2]].numpy(), host[3:8][[0, 4, 2]])
    np.testing.assert_array_equal(view[view > 0].numpy(), host[3:8][host[3:8] > 0])
    rows = dc.asarray(np.array([9, 1, 4, 0]), device=device)[1:3]  # a view: [1, 4]
    np.testing.assert_array_equal(x[rows].numpy(), host[[1, 4]])
    view[view > 0] = 0.0
    view[[1, 2], :, [0, 1]] = 9.0
    expected[3:8][expected[3:8] > 0] = 0.0
    expected[3:8][[1, 2], :, [0, 1]] = 9.0
    np.testing.assert_array_equal(x.numpy(), expected)
