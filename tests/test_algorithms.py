# tests/test_algorithms.py
# Conformance of the algorithm library against numpy on every device, through the plugin slots
# and through the generated kernels (forced with dc.algorithms.use_generated_kernels()).
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import dotcompute as dc
from dotcompute import algorithm_kernels
from dotcompute.kernel import cache

from conftest import random_array


@pytest.fixture(params=["plugin", "generated"])
def path(request):
    """Both implementations: the backend's slot (with its own fallback) and the generated
    kernels, which CUDA without cuBLAS/cuFFT and OpenCL run."""
    if request.param == "generated":
        with dc.algorithms.use_generated_kernels():
            yield request.param
    else:
        yield request.param


def on(device, array):
    return dc.asarray(np.ascontiguousarray(array), device=device)


def host(array) -> np.ndarray:
    return np.asarray(array.to("cpu") if array.device.backend != "cpu" else array)


def tolerance(dtype):
    return {"float32": 2e-5, "complex64": 2e-5}.get(str(np.dtype(dtype)), 1e-12)


# --- matmul ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (37, 53, 29), (70, 17, 130), (129, 70, 200)])
def test_matmul_matches_numpy(device, path, rng, dtype, m, k, n):
    a = random_array(rng, (m, k), dtype)
    b = random_array(rng, (k, n), dtype)
    got = host(dc.matmul(on(device, a), on(device, b)))
    expected = a @ b
    assert got.dtype == expected.dtype and got.shape == expected.shape
    scale = np.abs(a).max() * np.abs(b).max() * k
    np.testing.assert_allclose(got, expected, rtol=0, atol=scale * tolerance(dtype) * 4)


@pytest.mark.parametrize("dtype", ["float32", "complex128"])
def test_matmul_batched_and_vectors(device, path, rng, dtype):
    a = random_array(rng, (3, 2, 19, 23), dtype)
    b = random_array(rng, (3, 2, 23, 17), dtype)
    atol = 1e-3 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(host(dc.matmul(on(device, a), on(device, b))), a @ b, atol=atol)
    w = random_array(rng, (23, 5), dtype)
    np.testing.assert_allclose(host(dc.matmul(on(device, a), on(device, w))), a @ w, atol=atol)
    v = random_array(rng, 23, dtype)
    mat = random_array(rng, (19, 23), dtype)
    np.testing.assert_allclose(host(dc.matmul(on(device, mat), on(device, v))), mat @ v, atol=atol)
    np.testing.assert_allclose(host(dc.matmul(on(device, v), on(device, w))), v @ w, atol=atol)
    np.testing.assert_allclose(host(dc.matmul(on(device, v), on(device, v))), v @ v, atol=atol)


@pytest.mark.parametrize("dtype", ["float32", "complex128"])
@pytest.mark.parametrize(
    "a_shape,b_shape",
    [
        ((19, 23), (3, 2, 23, 17)),  # a matrix times a batch: the matrix repeated
        ((64, 40), (3, 40, 5)),  # the batch side by side: one wide product
        ((23,), (2, 23, 5)),  # a vector times a batch
        ((2, 1, 5, 7), (3, 7, 4)),  # batch dimensions broadcast on both sides
        ((4, 5, 7), (1, 7, 3)),
        ((1, 5, 7), (6, 7, 3)),
        ((3, 1, 2, 5, 7), (4, 1, 7, 2)),
    ],
)
def test_matmul_broadcasts_batch_dimensions(device, path, rng, dtype, a_shape, b_shape):
    a, b = random_array(rng, a_shape, dtype), random_array(rng, b_shape, dtype)
    got = host(dc.matmul(on(device, a), on(device, b)))
    expected = a @ b
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, atol=1e-3 if dtype == "float32" else 1e-10)


@pytest.mark.parametrize("kernel", ["blocked", "blocked_wide", "tiled"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_generated_gemm_kernels_on_edges_and_batches(device, rng, kernel, dtype):
    # Every real GEMM kernel whatever run_matmul would choose: 64 x 64 tiles (gemm_blocked,
    # gemm_blocked_wide) and 16 x 16 tiles, partial on every side, a batch, and an inner
    # dimension that is not a multiple of either k tile.
    a = random_array(rng, (2, 3, 65, 47), dtype)
    b = random_array(rng, (2, 3, 47, 191), dtype)
    out = dc.empty((2, 3, 65, 191), dtype=dtype, device=device)
    algorithm_kernels.gemm.run_matmul(on(device, a), on(device, b), out, kernel=kernel)
    atol = 47 * tolerance(dtype)
    np.testing.assert_allclose(host(out), a @ b, rtol=0, atol=atol)
    square = random_array(rng, (128, 128), dtype)
    out = dc.empty((128, 128), dtype=dtype, device=device)
    algorithm_kernels.gemm.run_matmul(on(device, square), on(device, square.T), out, kernel=kernel)
    np.testing.assert_allclose(host(out), square @ square.T, rtol=0, atol=128 * tolerance(dtype))
    # A long k over few output tiles: k-split partials (Note [Split k]), a short last split.
    a = random_array(rng, (2, 70, 5_003), dtype)
    b = random_array(rng, (2, 5_003, 130), dtype)
    out = dc.empty((2, 70, 130), dtype=dtype, device=device)
    algorithm_kernels.gemm.run_matmul(on(device, a), on(device, b), out, kernel=kernel)
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    assert np.all(np.abs(host(out) - a.astype(np.float64) @ b) <= tolerance(dtype) * scale)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_generated_complex_products_through_real_ones(device, rng, monkeypatch, dtype):
    # Complex products large enough for the blocked kernels run as four real ones on CPU
    # devices (Note [Complex products as real ones]): forced here on every device, batched,
    # with edges and with a long k (the real products split it).
    gemm = algorithm_kernels.gemm
    monkeypatch.setattr(gemm, "_blocked_pays", lambda m, n, k, batch, device: True)
    monkeypatch.setattr(gemm, "is_cpu_device", lambda device: True)
    for a_shape, b_shape in [((2, 65, 47), (2, 47, 191)), ((70, 5003), (5003, 66))]:
        a, b = random_array(rng, a_shape, dtype), random_array(rng, b_shape, dtype)
        out = dc.empty((*a.shape[:-1], b.shape[-1]), dtype=dtype, device=device)
        gemm.run_matmul(on(device, a), on(device, b), out)
        exact = a.astype(np.complex128) @ b.astype(np.complex128)
        scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
        assert np.all(np.abs(host(out) - exact) <= tolerance(dtype) * scale)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64"])
@pytest.mark.parametrize(
    "a_shape,b_shape",
    [
        ((20_011,), (20_011,)),
        ((3, 9_001), (9_001, 5)),
        ((2, 4, 5_003), (2, 5_003, 3)),
        ((5, 20_011), (20_011,)),
        ((20_011,), (20_011, 300)),
        ((2, 1, 5_003), (2, 5_003, 7)),
        ((2, 3, 5_003), (2, 5_003, 1)),
        ((300, 37), (37,)),
        ((37,), (37, 300)),
    ],
)
def test_matmul_long_inner_dimension(device, path, rng, dtype, a_shape, b_shape):
    """Few outputs over a long k: the generated GEMM sums k-split partials (Note [Split k]),
    here with a short last split and a batch; one output row or column takes the vector
    kernels (Note [Products with a vector]), short k included."""
    a, b = random_array(rng, a_shape, dtype), random_array(rng, b_shape, dtype)
    got = host(dc.matmul(on(device, a), on(device, b)))
    wide = np.complex128 if dtype == "complex64" else np.float64
    exact = a.astype(wide) @ b.astype(wide)
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    assert got.shape == exact.shape and np.all(np.abs(got - exact) <= tolerance(dtype) * scale)


def test_split_k_covers_every_k_tile_once():
    gemm = algorithm_kernels.gemm
    for output_tiles, k in [(1, 1 << 20), (12, 70_001), (16, 32_768), (2, 5), (255, 4096)]:
        split_tiles, splits = gemm._split_count(output_tiles, k)
        k_tiles = -(-k // gemm.TILE)
        assert (splits - 1) * split_tiles < k_tiles <= splits * split_tiles
        assert split_tiles >= min(k_tiles, gemm.MIN_SPLIT_TILES)
        assert splits == 1 or output_tiles * (splits - 1) < gemm.TARGET_GROUPS
    assert gemm._split_count(gemm.SPLIT_BELOW_TILES, 4096) == (256, 1)  # enough groups


@pytest.mark.parametrize("dtype", ["float32", "float16", "complex64"])
def test_generated_sums_without_float64(device, rng, monkeypatch, dtype):
    """Devices without float64 (Metal, OpenCL without cl_khr_fp64) sum in the result dtype,
    partials and k splits included; run here by making every device look that way."""
    monkeypatch.setattr(algorithm_kernels.reduce, "has_float64", lambda device: False)
    x = random_array(rng, (3, 40_001, 5), dtype)
    wide = np.complex128 if dtype == "complex64" else np.float64
    tolerance = 2e-3 if dtype == "float16" else 2e-5
    with dc.algorithms.use_generated_kernels():
        for axis in (None, 0, 1, 2):
            got = host(dc.sum(on(device, x), axis=axis))
            assert got.dtype == np.sum(x, axis=axis).dtype
            exact = np.sum(x.astype(wide), axis=axis)
            scale = np.sum(np.abs(x).astype(np.float64), axis=axis)
            assert np.all(np.abs(got - exact) <= tolerance * scale)
        if dtype == "float16":
            return
        a, b = random_array(rng, (3, 20_011), dtype), random_array(rng, (20_011, 5), dtype)
        for left, right in ((a, b), (a[0], b), (a, b[:, 0])):  # split k, vector products
            got = host(dc.matmul(on(device, left), on(device, right)))
            exact = left.astype(wide) @ right.astype(wide)
            scale = np.abs(left).astype(np.float64) @ np.abs(right).astype(np.float64)
            assert np.all(np.abs(got - exact) <= tolerance * scale)


@pytest.fixture
def fft_plans_without_float64(monkeypatch):
    """Every device looks like one without float64, and the FFT's kept tables (made with
    float64, Note [FFT plans]) are dropped before and after, so the tables are made that way."""
    monkeypatch.setattr(algorithm_kernels.reduce, "has_float64", lambda device: False)
    dc.algorithms.clear_fft_plans()
    yield
    dc.algorithms.clear_fft_plans()


@pytest.mark.parametrize("n", [1, 2, 8, 32, 1024, 3, 97, 1000])
def test_generated_fft_and_mean_without_float64(device, rng, fft_plans_without_float64, n):
    """Twiddles and chirps from the host, integer signs, division in float32 (Note [Tables
    without float64]), run here by making every device look like one without float64."""
    x = random_array(rng, (3, n), "complex64")
    with dc.algorithms.use_generated_kernels():
        got = host(dc.fft(on(device, x)))
        back = host(dc.ifft(on(device, x)))
        mean = host(dc.mean(on(device, x.real.copy()), axis=1))
    scale = np.abs(x).sum(axis=1, keepdims=True)
    assert np.all(np.abs(got - np.fft.fft(x.astype(np.complex128))) <= 1e-5 * scale)
    assert np.all(np.abs(back - np.fft.ifft(x.astype(np.complex128))) <= 1e-5 * scale / n)
    np.testing.assert_allclose(mean, x.real.mean(axis=1), rtol=1e-5, atol=1e-6)


def test_matmul_empty_inner_dimension_gives_zeros(device, path):
    got = dc.matmul(dc.ones((3, 0), "float32", device), dc.ones((0, 4), "float32", device))
    assert host(got).shape == (3, 4) and not host(got).any()


@pytest.mark.parametrize(
    ("left", "right"),
    [("float32", "float64"), ("float16", "float16"), ("float16", "float32"), ("int32", "float32"),
     ("float32", "complex64"), ("bool", "float64"), ("uint8", "complex128")],
)  # fmt: skip
def test_matmul_promotes_dtypes_as_numpy(device, rng, left, right):
    """Mixed operands compute in numpy's common dtype (converted on the device); float16 is
    computed in float32 and rounded back, as numpy accumulates half products in float."""
    a, b = random_array(rng, (3, 37, 19), left), random_array(rng, (19, 23), right)
    expected = np.matmul(a, b)
    got = dc.matmul(on(device, a), on(device, b))
    assert got.dtype == expected.dtype and got.shape == expected.shape
    tolerance = 2e-3 if expected.dtype == np.float16 else 1e-5
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(host(got), expected, rtol=tolerance, atol=tolerance * scale)
    out = dc.empty(expected.shape, "complex128", device)
    assert dc.matmul(on(device, a), on(device, b), out=out) is out
    np.testing.assert_allclose(host(out), expected, rtol=tolerance, atol=tolerance * scale)


def test_matmul_errors(device):
    a = dc.ones((3, 4), "float32", device)
    with pytest.raises(dc.ShapeError, match="inner dimensions differ"):
        dc.matmul(a, dc.ones((5, 2), "float32", device))
    with pytest.raises(dc.DTypeError, match="does not support dtype int64"):
        dc.matmul(dc.ones((3, 4), "int32", device), dc.ones((4, 2), "int64", device))
    with pytest.raises(dc.DTypeError, match="does not support dtype int32"):
        dc.matmul(dc.ones((3, 4), "int32", device), dc.ones((4, 2), "int32", device))
    with pytest.raises(dc.ShapeError, match="batch dimensions differ and do not broadcast"):
        dc.matmul(dc.ones((2, 3, 4), "float32", device), dc.ones((3, 4, 2), "float32", device))
    with pytest.raises(dc.ShapeError, match=r"inner dimensions differ: \(2, 3, 4\) @ \(5, 2\)"):
        dc.matmul(dc.ones((2, 3, 4), "float32", device), dc.ones((5, 2), "float32", device))
    with pytest.raises(dc.ShapeError, match="inner dimensions differ"):
        dc.matmul(dc.ones((3, 4), "float32", device), dc.ones((2, 5, 2), "float32", device))


OWN_GEMM_CHECK = """
import numpy as np, dotcompute as dc
rng = np.random.default_rng(7)
for dtype in ("float32", "float64"):
    for m, k, n in ((1, 1, 1), (37, 53, 29), (130, 257, 65), (300, 200, 1601)):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        got = np.asarray(dc.matmul(dc.asarray(a), dc.asarray(b)))
        tol = 1e-4 if dtype == "float32" else 1e-11
        assert np.allclose(got, a @ b, rtol=tol, atol=tol * k), (dtype, m, k, n)
c = (rng.standard_normal((9, 7)) + 1j).astype("complex64")
assert np.allclose(np.asarray(dc.matmul(dc.asarray(c), dc.asarray(c.T))), c @ c.T, atol=1e-4)
print("ok")
"""


def test_cpu_own_gemm_without_blas():
    """DOTCOMPUTE_BLAS=none: the CPU plugin's own packed GEMM (complex: the generated kernel)."""
    environment = {**os.environ, "DOTCOMPUTE_BLAS": "none"}
    done = subprocess.run(
        [sys.executable, "-c", OWN_GEMM_CHECK], env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr


def test_matmul_refuses_operands_on_different_devices():
    devices = dc.devices()
    if len(devices) < 2:
        pytest.skip("needs two devices")
    a = dc.ones((3, 4), "float32", devices[0].spec)
    with pytest.raises(dc.DeviceError, match="different devices"):
        dc.matmul(a, dc.ones((4, 2), "float32", devices[1].spec))


# --- FFT ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32, 128, 256, 1024, 4096, 3, 5, 12, 97, 1000])
def test_fft_matches_numpy(device, path, rng, dtype, n):
    x = random_array(rng, (3, n), dtype)
    expected = np.fft.fft(x.astype(np.complex128))
    got = host(dc.fft(on(device, x)))
    assert got.dtype == np.dtype(dtype) and got.shape == x.shape
    bound = np.abs(expected).max() * (1e-5 if dtype == "complex64" else 1e-12) * max(1, np.log2(n))
    np.testing.assert_allclose(got, expected, rtol=0, atol=bound)
    back = host(dc.ifft(on(device, got)))
    np.testing.assert_allclose(
        back, x, rtol=0, atol=np.abs(x).max() * bound / np.abs(expected).max() * 8
    )


@pytest.mark.parametrize("gpu", [True, False], ids=["blocks", "radix4"])
@pytest.mark.parametrize("n", [16, 64, 128, 256, 1 << 13, 1 << 15, 5003])
def test_generated_fft_with_block_and_radix_4_passes(device, rng, monkeypatch, gpu, n):
    # GPUs take block passes (Note [Block passes]), CPU devices radix-4 ones: both on every
    # device, by telling the FFT what the device is.
    monkeypatch.setattr(algorithm_kernels.reduce, "is_cpu_device", lambda device: not gpu)
    assert algorithm_kernels.fft_blocks.suits(dc.get_device(device), "float64", 2 * n) == gpu
    for dtype in ["complex64", "complex128"] if n < 1 << 15 else ["complex64"]:
        x = random_array(rng, (2, n), dtype)
        expected = np.fft.fft(x.astype(np.complex128))
        with dc.algorithms.use_generated_kernels():
            got = host(dc.fft(on(device, x)))
            back = host(dc.ifft(on(device, got)))
        precision = 2e-6 if dtype == "complex64" else 1e-13
        np.testing.assert_allclose(got, expected, rtol=0, atol=np.abs(expected).max() * precision)
        np.testing.assert_allclose(back, x, rtol=0, atol=np.abs(x).max() * precision)


@pytest.mark.parametrize(
    "rows,log_n,dtype",
    [
        (1, 4, "complex64"),  # one pass of 16 points: a group of 128 columns, 1 used
        (37, 5, "complex128"),  # short rows: 64 columns a group span two rows; a partial group
        (3, 9, "complex64"),  # one pass of 9 bits: an odd radix-2 sub-pass
        (7, 10, "complex64"),  # one pass of 2^10: 2 columns a group
        (5, 11, "complex128"),  # 6 + 5
        (2, 16, "complex128"),  # 8 + 8
        (3, 13, "complex64"),  # 7 + 6: rows shorter than a group's columns in the second
        (1, 17, "complex64"),  # 6 + 6 + 5
        (1, 20, "complex64"),  # 7 + 7 + 6
    ],
)
def test_block_passes_over_rows_and_splits(device, rng, monkeypatch, rows, log_n, dtype):
    monkeypatch.setattr(algorithm_kernels.reduce, "is_cpu_device", lambda device: False)
    bits = algorithm_kernels.fft_blocks.block_bits(log_n, algorithm_kernels.fft_blocks.MAX_BITS)
    assert sum(bits) == log_n and min(bits) >= 4
    assert bits == [log_n] if log_n <= 10 else max(bits) <= 8
    x = random_array(rng, (rows, 1 << log_n), dtype)
    expected = np.fft.fft(x.astype(np.complex128))
    with dc.algorithms.use_generated_kernels():
        got = host(dc.fft(on(device, x)))
        back = host(dc.ifft(on(device, x)))
    precision = (2e-6 if dtype == "complex64" else 1e-13) * log_n / 10
    np.testing.assert_allclose(got, expected, rtol=0, atol=np.abs(expected).max() * precision)
    inverse = np.fft.ifft(x.astype(np.complex128))
    np.testing.assert_allclose(back, inverse, rtol=0, atol=np.abs(inverse).max() * precision)


@pytest.mark.parametrize("n", [1 << 13, 1 << 15, 5003])
def test_fft_long_rows(device, path, rng, n):
    """Lengths past the CPU's direct lane path: its four-step split, and Bluestein over it."""
    x = random_array(rng, (2, n), "complex64")
    expected = np.fft.fft(x.astype(np.complex128))
    got = host(dc.fft(on(device, x)))
    np.testing.assert_allclose(got, expected, rtol=0, atol=np.abs(expected).max() * 2e-6)
    back = host(dc.ifft(on(device, got)))
    np.testing.assert_allclose(back, x, rtol=0, atol=np.abs(x).max() * 2e-6)


def test_fft_of_real_and_batched_input(device, path, rng):
    x = random_array(rng, (2, 3, 48), "float32")
    got = host(dc.fft(on(device, x)))
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, np.fft.fft(x), atol=1e-3)
    y = random_array(rng, 33, "float64")
    got = host(dc.ifft(on(device, y)))
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, np.fft.ifft(y), atol=1e-12)


def test_fft_errors(device):
    with pytest.raises(dc.InvalidArgumentError, match="length 0"):
        dc.fft(dc.ones((3, 0), "complex64", device))
    with pytest.raises(dc.ShapeError, match="0-d"):
        dc.fft(dc.ones((), "complex64", device))


FFT_OPTIONS = [
    {"axis": 0},
    {"axis": 1},
    {"axis": -2, "n": 9},
    {"n": 4},
    {"n": 33, "axis": 2},
    {"axis": 0, "norm": "ortho"},
    {"norm": "forward", "n": 12, "axis": 1},
    {"norm": "backward"},
    {"norm": "ortho"},
]


@pytest.mark.parametrize(
    "options", FFT_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_fft_along_any_axis_with_n_and_norm(device, path, rng, dtype, options):
    """numpy.fft's axis=, n= (cut or zero-pad) and norm= on a 3-D array, both directions."""
    x = random_array(rng, (3, 5, 16), dtype)
    precision = 2e-6 if dtype == "complex64" else 1e-12
    for ours, numpys in ((dc.fft, np.fft.fft), (dc.ifft, np.fft.ifft)):
        expected = numpys(x.astype(np.complex128), **options)
        got = host(ours(on(device, x), **options))
        assert got.shape == expected.shape and got.dtype == np.dtype(dtype)
        atol = np.abs(expected).max() * precision
        np.testing.assert_allclose(got, expected, rtol=0, atol=atol)


def test_fft_of_a_real_array_along_the_first_axis(device, path, rng):
    x = random_array(rng, (6, 3), "float32")
    got = host(dc.fft(on(device, x), axis=0, n=8))
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, np.fft.fft(x, axis=0, n=8), atol=1e-5)


REAL_FFT_OPTIONS = [
    {},
    {"axis": 0},
    {"n": 7},
    {"n": 16, "axis": 1, "norm": "ortho"},
    {"axis": -2, "norm": "forward"},
    {"n": 1},
    {"n": 2},
    {"n": 4097},
    {"n": 5000, "axis": 1},
]


def option_ids(options: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items()) or "-"


def assert_transform_matches(device, ours, numpys, x, wide, options, dtype, precision):
    """ours(x) on device against numpys of x widened to ``wide``: shape, dtype, values within
    precision of the largest magnitude."""
    expected = numpys(x.astype(wide), **options)
    got = host(ours(on(device, x), **options))
    assert got.shape == expected.shape and got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=0, atol=np.abs(expected).max() * precision)


@pytest.mark.parametrize("options", REAL_FFT_OPTIONS, ids=option_ids)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_rfft_and_irfft_match_numpy(device, path, rng, dtype, options):
    x = random_array(rng, (3, 6, 10), dtype)
    complex_dtype = np.complex64 if dtype == "float32" else np.complex128
    real_dtype = np.float32 if dtype == "float32" else np.float64
    precision = 2e-6 if dtype == "float32" else 1e-12
    assert_transform_matches(
        device, dc.rfft, np.fft.rfft, x, np.float64, options, complex_dtype, precision
    )
    # irfft of a spectrum with imaginary parts at 0 (and n / 2) that it must ignore
    half_shape = np.fft.rfft(x, **options).shape
    half = random_array(rng, half_shape, "complex128").astype(complex_dtype)
    assert_transform_matches(
        device, dc.irfft, np.fft.irfft, half, np.complex128, options, real_dtype, precision
    )


HERMITIAN_FFT_OPTIONS = [{}, {"axis": 0}, {"n": 7}, {"n": 16, "norm": "ortho"}, {"norm": "forward"}]


@pytest.mark.parametrize("options", HERMITIAN_FFT_OPTIONS, ids=option_ids)
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_hfft_and_ihfft_match_numpy(device, path, rng, dtype, options):
    real_dtype = np.float32 if dtype == "complex64" else np.float64
    precision = 2e-6 if dtype == "complex64" else 1e-12
    half = random_array(rng, (5, 9), dtype)
    assert_transform_matches(
        device, dc.hfft, np.fft.hfft, half, np.complex128, options, real_dtype, precision
    )
    signal = random_array(rng, (5, 9), real_dtype)
    assert_transform_matches(
        device, dc.ihfft, np.fft.ihfft, signal, np.float64, options, dtype, precision
    )


def test_real_fft_rows_past_one_launch(device, path, rng, monkeypatch):
    """The split and merge passes loop over rows past ROW_STEP (Note [Row loops])."""
    monkeypatch.setattr(algorithm_kernels.real_fft, "ROW_STEP", 3)
    x = random_array(rng, (7, 64), "float32")
    spectrum = host(dc.rfft(on(device, x)))
    np.testing.assert_allclose(spectrum, np.fft.rfft(x), rtol=0, atol=1e-4)
    back = host(dc.irfft(on(device, spectrum)))
    np.testing.assert_allclose(back, x, rtol=0, atol=1e-5)


def test_real_fft_errors(device):
    with pytest.raises(dc.DTypeError, match=r"rfft takes a real array, got complex64; use dc\.fft"):
        dc.rfft(dc.ones((3, 4), "complex64", device))
    with pytest.raises(dc.InvalidArgumentError, match=r"irfft: n must be at least 1, got 0"):
        dc.irfft(dc.ones((3, 1), "complex64", device))  # the default 2 (m - 1) is 0
    with pytest.raises(dc.InvalidArgumentError, match=r"rfft: axis -3 is out of range"):
        dc.rfft(dc.ones((3, 4), "float32", device), axis=-3)


@pytest.mark.parametrize(
    "name,options",
    [
        ("fft2", {}),
        ("ifft2", {"s": (5, 12)}),
        ("fftn", {}),
        ("ifftn", {"axes": (0, 2), "norm": "ortho"}),
        ("fftn", {"s": (3, 8), "axes": (1, 2)}),
        ("fft2", {"axes": (0, 1), "norm": "forward"}),
    ],
)
def test_multidimensional_ffts_match_numpy(device, path, rng, name, options):
    x = random_array(rng, (4, 6, 10), "complex64")
    expected = getattr(np.fft, name)(x.astype(np.complex128), **options)
    got = host(getattr(dc, name)(on(device, x), **options))
    assert got.shape == expected.shape and got.dtype == np.complex64
    np.testing.assert_allclose(got, expected, rtol=0, atol=np.abs(expected).max() * 2e-6)


@pytest.mark.parametrize(
    "name,options",
    [
        ("rfft2", {}),
        ("rfftn", {}),
        ("rfftn", {"axes": (0, 2), "s": (5, 8)}),
        ("rfft2", {"norm": "ortho"}),
    ],
)
def test_multidimensional_real_ffts_match_numpy(device, path, rng, name, options):
    x = random_array(rng, (4, 6, 10), "float32")
    expected = getattr(np.fft, name)(x.astype(np.float64), **options)
    got = host(getattr(dc, name)(on(device, x), **options))
    assert got.shape == expected.shape and got.dtype == np.complex64
    np.testing.assert_allclose(got, expected, rtol=0, atol=np.abs(expected).max() * 2e-6)
    spectrum = expected.astype(np.complex64)
    inverse = "i" + name
    back = getattr(np.fft, inverse)(spectrum.astype(np.complex128), **options)
    got = host(getattr(dc, inverse)(on(device, spectrum), **options))
    assert got.shape == back.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, back, rtol=0, atol=np.abs(back).max() * 2e-6)


def test_multidimensional_fft_errors(device):
    with pytest.raises(dc.InvalidArgumentError, match=r"fftn: s and axes have different lengths"):
        dc.fftn(dc.ones((3, 4), "complex64", device), s=(2, 2), axes=(0,))
    with pytest.raises(dc.InvalidArgumentError, match=r"fft2: axis 2 is out of range"):
        dc.fft2(dc.ones((3, 4), "complex64", device), axes=(0, 2))
    with pytest.raises(dc.InvalidArgumentError, match=r"rfftn: at least one axis is needed"):
        dc.rfftn(dc.ones((3, 4), "float32", device), axes=())


def test_fft_argument_errors(device):
    x = dc.ones((3, 4), "complex64", device)
    with pytest.raises(dc.InvalidArgumentError, match=r"fft: axis 2 is out of range.*-2 to 1"):
        dc.fft(x, axis=2)
    with pytest.raises(dc.InvalidArgumentError, match=r"ifft: n must be at least 1, got 0"):
        dc.ifft(x, n=0)
    with pytest.raises(dc.InvalidArgumentError, match=r"norm must be one of .*ortho.*'unit'"):
        dc.fft(x, norm="unit")
    padded = host(dc.fft(dc.ones((3, 0), "complex64", device), n=2))  # numpy pads an empty axis
    np.testing.assert_array_equal(padded, np.zeros((3, 2), np.complex64))


# --- reductions -----------------------------------------------------------------------------

REDUCE_DTYPES = ["bool", "int8", "int32", "uint16", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("dtype", [*REDUCE_DTYPES, "complex64", "complex128"])
@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, -3])
def test_sum_along_axes(device, path, rng, dtype, axis):
    x = random_array(rng, (5, 301, 7), dtype)
    got = host(dc.sum(on(device, x), axis=axis))
    expected = np.sum(x, axis=axis)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    if dtype == "float16":  # numpy accumulates in float16; compare with the exact sum
        exact = np.sum(x.astype(np.float64), axis=axis)
        np.testing.assert_allclose(got, exact, rtol=2e-3, atol=2e-3)
    else:
        np.testing.assert_allclose(got, expected, rtol=tolerance(dtype) * 10)


@pytest.mark.parametrize("op", ["min", "max"])
@pytest.mark.parametrize("dtype", REDUCE_DTYPES)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_min_max_along_axes(device, path, rng, op, dtype, axis):
    x = random_array(rng, (4, 1000, 3), dtype)
    got = host(getattr(dc, op)(on(device, x), axis=axis))
    expected = getattr(np, op)(x, axis=axis)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


# Long reduced axes: the CPU cuts them into segments combined in order (Note [Column segments]
# in cpu_reduce_axis.cpp), here with a short last segment and one or two column blocks; the
# generated kernels reduce them in two or three passes of segments (Note [Reduction segments]).
LONG_AXES = [((3, 40_001, 5), 1), ((70_001, 3), 0), ((2, 1500, 520), 1), ((3, 20_011), 1)]


@pytest.mark.parametrize("dtype", ["int32", "float32", "float64", "complex64"])
@pytest.mark.parametrize("shape,axis", LONG_AXES)
def test_reductions_along_long_axes(device, path, rng, dtype, shape, axis):
    x = random_array(rng, shape, dtype)
    got = host(dc.sum(on(device, x), axis=axis))
    assert got.dtype == np.sum(x, axis=axis).dtype
    wide = np.complex128 if dtype == "complex64" else np.float64
    exact = np.sum(x.astype(wide), axis=axis)
    scale = np.sum(np.abs(x).astype(np.float64), axis=axis)
    assert np.all(np.abs(got - exact) <= tolerance(dtype) * scale)
    if dtype == "complex64":
        return
    if dtype != "int32":
        x.reshape(-1)[-7] = np.nan  # in the last segment of its column
        x.reshape(-1)[x.size // 3] = np.nan  # in a middle segment of another row or column
    for op in ("min", "max"):
        np.testing.assert_array_equal(
            host(getattr(dc, op)(on(device, x), axis=axis)), getattr(np, op)(x, axis=axis)
        )


@pytest.mark.parametrize(
    "a_shape,b_shape",
    [((37, 3001), (3001,)), ((3001,), (3001, 45)), ((5000,), (5000,)), ((2, 13, 70), (70, 1))],
)
def test_vector_products_in_lanes(device, rng, monkeypatch, a_shape, b_shape):
    """The CPU devices' vector products (Note [Lanes on CPU devices]) on every device: rows
    with a remainder past the lanes, partial column blocks, cut segments, batches."""
    monkeypatch.setattr(algorithm_kernels.gemv, "is_cpu_device", lambda device: True)
    a, b = random_array(rng, a_shape, "float32"), random_array(rng, b_shape, "float32")
    with dc.algorithms.use_generated_kernels():
        got = host(dc.matmul(on(device, a), on(device, b)))
    exact = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    assert np.all(np.abs(got - exact) <= 2e-6 * scale)


@pytest.mark.parametrize("shape,axis", [((3000, 8), 0), ((5, 700, 13), 1), ((2, 4100, 1001), 1)])
def test_column_sums_in_lanes(device, rng, monkeypatch, shape, axis):
    """The CPU devices' column sums, COLUMN_LANES columns a work-item (Note [Column lanes]),
    on every device: whole and partial blocks, several segments, several outer rows."""
    monkeypatch.setattr(algorithm_kernels.reduce, "is_cpu_device", lambda device: True)
    x = random_array(rng, shape, "float32")
    with dc.algorithms.use_generated_kernels():
        got = host(dc.sum(on(device, x), axis=axis))
    np.testing.assert_allclose(got, x.astype(np.float64).sum(axis=axis), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize(
    "outer,length,inner,passes",
    [(1, 1 << 24, 1, 2), (1, 1 << 20, 2, 3), (3, 40_001, 5, 2), (2000, 5000, 1, 1), (1, 100, 3, 1)],
)
def test_generated_reductions_cut_long_axes_into_nonempty_segments(outer, length, inner, passes):
    """Few outputs over a long axis fill the device through partials (Note [Reduction
    segments]); every part covers at least one element, and the cut follows the shape only."""
    from dotcompute.algorithm_kernels import reduce

    counted = 0
    while True:
        counted += 1
        segment = reduce.segment_length(outer, length, inner)
        parts = -(-length // segment)
        assert 1 <= segment <= length and (parts - 1) * segment < length <= parts * segment
        if parts == 1:
            break
        length = parts
    assert counted == passes


@pytest.mark.parametrize("op", ["sum", "min", "max"])
def test_reductions_of_vectors_along_their_axis(device, path, rng, op):
    """axis 0 or -1 of a 1-D array is the whole array: a 0-d result, as numpy's."""
    x = random_array(rng, (10_007,), "float32")
    for axis in (0, -1):
        got = host(getattr(dc, op)(on(device, x), axis=axis))
        assert got.shape == ()
        np.testing.assert_allclose(got, getattr(np, op)(x), rtol=1e-5)
    with pytest.raises(dc.InvalidArgumentError, match="axis 1 is out of range"):
        getattr(dc, op)(on(device, x), axis=1)


@pytest.mark.parametrize("op", ["min", "max"])
def test_min_max_propagate_nan(device, path, rng, op):
    x = random_array(rng, (3, 500), "float32")
    x[1, 17] = np.nan
    x[2, 499] = np.nan
    for axis in (0, 1, None):
        got = host(getattr(dc, op)(on(device, x), axis=axis))
        np.testing.assert_array_equal(got, getattr(np, op)(x, axis=axis))


@pytest.mark.parametrize("dtype", ["int32", "float32", "float64", "complex64"])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_mean(device, path, rng, dtype, axis):
    x = random_array(rng, (6, 257), dtype)
    got = host(dc.mean(on(device, x), axis=axis))
    expected = np.mean(x, axis=axis)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_more_outputs_than_a_cuda_grid_dimension_holds(device, path, rng):
    """Over 65535 rows or columns of output (CUDA's limit for grid dimensions 1 and 2): the
    generated reductions, vector products, scans, merge sorts and FFTs use one-dimensional
    grids (Note [Flat grids])."""
    x = random_array(rng, (70_001, 5), "float32")
    dx = on(device, x)
    exact = x.astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(host(dc.sum(dx, axis=1)), exact, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(host(dc.max(dx, axis=1)), x.max(axis=1))
    v = random_array(rng, (5,), "float32")
    np.testing.assert_allclose(host(dc.matmul(dx, on(device, v))), x @ v, rtol=1e-4, atol=1e-5)
    wide = random_array(rng, (3, 70_001), "float32")
    got = host(dc.cumsum(on(device, wide), axis=0))
    np.testing.assert_allclose(got, np.cumsum(wide, axis=0), rtol=1e-5, atol=1e-6)
    deep = random_array(rng, (70_001, 3, 2), "float32")
    got = host(dc.sum(on(device, deep), axis=1))
    np.testing.assert_allclose(got, deep.astype(np.float64).sum(axis=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(host(dc.sort(on(device, wide), axis=0)), np.sort(wide, axis=0))
    for n in (4, 3):  # a radix-4 pass; Bluestein
        batch = random_array(rng, (70_001, n), "complex64")
        got = host(dc.fft(on(device, batch)))
        np.testing.assert_allclose(got, np.fft.fft(batch), rtol=1e-4, atol=1e-4)


def test_reduction_errors(device):
    x = dc.ones((3, 4), "float32", device)
    with pytest.raises(dc.InvalidArgumentError, match=r"axis 2 is out of range.*-2 to 1"):
        dc.sum(x, axis=2)
    with pytest.raises(dc.InvalidArgumentError, match="axis -3"):
        dc.max(x, axis=-3)
    with pytest.raises(dc.InvalidArgumentError, match="length 0"):
        dc.min(dc.ones((3, 0), "float32", device), axis=1)
    with pytest.raises(dc.InvalidArgumentError, match="length 0"):  # (complex: see
        dc.max(dc.ones((3, 0), "complex64", device), axis=1)  # test_complex_order.py)
    assert host(dc.sum(dc.ones((3, 0), "float32", device), axis=1)).tolist() == [0, 0, 0]


@pytest.mark.parametrize("op", ["sum", "min", "max", "mean"])
@pytest.mark.parametrize("dtype", ["int32", "float32", "float64"])
@pytest.mark.parametrize(
    "axis,keepdims",
    [
        ((0, 2), False),
        ((2, 0), True),
        ((-1,), False),
        ([0, 1], False),
        ((0, 1, 2), False),
        (None, True),
        (1, True),
        ((1, 2), True),
    ],
)
def test_reductions_over_axis_tuples_and_keepdims(device, path, rng, op, dtype, axis, keepdims):
    x = random_array(rng, (3, 40, 7), dtype)
    numpy_axis = tuple(axis) if isinstance(axis, list) else axis
    expected = getattr(np, op)(x, axis=numpy_axis, keepdims=keepdims)
    got = host(getattr(dc, op)(on(device, x), axis=axis, keepdims=keepdims))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_reduction_axis_tuple_errors(device):
    x = dc.ones((3, 4), "float32", device)
    with pytest.raises(
        dc.InvalidArgumentError, match=r"sum: axis 1 appears twice in axis=\(1, -1\)"
    ):
        dc.sum(x, axis=(1, -1))
    with pytest.raises(dc.InvalidArgumentError, match=r"max: axis 5 is out of range"):
        dc.max(x, axis=(0, 5))
    with pytest.raises(dc.InvalidArgumentError, match=r"axis=\(\) reduces nothing"):
        dc.mean(x, axis=())


def test_min_max_still_work_on_numbers_and_in_kernels():
    assert dc.min(3, 1, 2) == 1 and dc.max(3.0, 4.5) == 4.5


# --- cumsum ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype", ["bool", "int16", "int32", "uint32", "int64", "float32", "float64", "complex64"]
)
@pytest.mark.parametrize(
    "shape,axis", [((100_003,), None), ((3, 1001), -1), ((700, 3, 2), 0), ((4, 70_000), 1)]
)
def test_cumsum_matches_numpy(device, path, rng, dtype, shape, axis):
    x = random_array(rng, shape, dtype)
    got = host(dc.cumsum(on(device, x), axis=axis))
    expected = np.cumsum(x, axis=axis)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    if np.issubdtype(expected.dtype, np.integer):
        np.testing.assert_array_equal(got, expected)
    else:
        exact = np.cumsum(
            x.astype(np.complex128 if dtype == "complex64" else np.float64), axis=axis
        )
        scale = np.cumsum(np.abs(x).astype(np.float64), axis=axis)
        assert np.all(np.abs(got - exact) <= scale * tolerance(dtype) * 4 + 1e-30)


# --- sort -----------------------------------------------------------------------------------

SORT_DTYPES = [
    "bool",
    "int8",
    "uint8",
    "int16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float16",
    "float32",
    "float64",
]


@pytest.mark.parametrize("dtype", SORT_DTYPES)
@pytest.mark.parametrize(
    "shape,axis", [((50_001,), -1), ((7, 333), -1), ((40, 5, 3), 0), ((3, 9), None)]
)
def test_sort_and_argsort_match_numpy_stable(device, path, rng, dtype, shape, axis):
    x = random_array(rng, shape, dtype)
    if np.dtype(dtype).kind in "iu":
        x = (x % 17).astype(dtype)  # many ties, so stability shows
    got = host(dc.sort(on(device, x), axis=axis))
    np.testing.assert_array_equal(got, np.sort(x, axis=axis, kind="stable"))
    positions = host(dc.argsort(on(device, x), axis=axis))
    assert positions.dtype == np.int64
    np.testing.assert_array_equal(positions, np.argsort(x, axis=axis, kind="stable"))


@pytest.mark.parametrize("dtype", ["float32", "int64", "uint16"])
def test_sort_long_rows(device, path, rng, dtype):
    """Rows long enough for the CPU's parallel radix passes."""
    x = random_array(rng, 300_007, dtype)
    if dtype == "float32":
        x[::101] = np.nan
        x[::103] = -0.0
    np.testing.assert_array_equal(host(dc.sort(on(device, x))), np.sort(x))
    np.testing.assert_array_equal(host(dc.argsort(on(device, x))), np.argsort(x, kind="stable"))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_sort_nan_and_signed_zero_like_numpy(device, path, rng, dtype):
    x = random_array(rng, 5000, dtype) - np.asarray(0.5, dtype)
    x[::7] = 0.0
    x[::11] = -0.0
    x[::13] = np.nan
    x[5::17] = -np.nan
    x[3::19] = np.inf
    x[4::23] = -np.inf
    expected = np.sort(x, kind="stable")
    got = host(dc.sort(on(device, x)))
    np.testing.assert_array_equal(
        got.view(f"u{x.itemsize}")[~np.isnan(got)],
        expected.view(f"u{x.itemsize}")[~np.isnan(expected)],
    )
    assert np.isnan(got[np.isnan(expected)]).all()
    np.testing.assert_array_equal(host(dc.argsort(on(device, x))), np.argsort(x, kind="stable"))


def test_sort_errors(device):  # (complex arrays sort: test_complex_order.py)
    with pytest.raises(dc.InvalidArgumentError, match="axis 1 is out of range"):
        dc.sort(dc.ones(3, "complex64", device), axis=1)
    with pytest.raises(dc.InvalidArgumentError, match="axis 1 is out of range"):
        dc.argsort(dc.ones(3, "float32", device), axis=1)


# --- the CPU plugin computes every algorithm itself -----------------------------------------


def test_cpu_plugin_slots_compute_without_the_generated_kernels(rng):
    """The CPU path must not quietly fall back: each slot reports that it computed the result."""
    from dotcompute import _core

    real = dc.asarray(random_array(rng, (6, 300), "float32"))
    complex_rows = dc.asarray(random_array(rng, (3, 1000), "complex64"))
    assert _core._algorithm_matmul(real, dc.asarray(random_array(rng, (300, 5), "float32")), True)[
        1
    ]
    assert _core._algorithm_fft(complex_rows, False, True)[1]
    assert _core._algorithm_fft(complex_rows, True, True)[1]
    for op in ("sum", "min", "max"):
        assert _core._algorithm_reduce_axis(op, real, 0, True)[1]
        assert _core._algorithm_reduce_axis(op, real, 1, True)[1]
    assert _core._algorithm_cumsum(real, 1, True)[1]
    assert _core._algorithm_sort(real, 1, True, True, True)[2]
    # With use_plugin=False the same calls leave the outputs to the generated kernels.
    assert not _core._algorithm_cumsum(real, 1, False)[1]


# --- the generated kernels as CUDA C++ ------------------------------------------------------

NVCC = shutil.which("nvcc")


def _algorithm_kernel_specializations():
    combos = {
        "gemm_tiled": [("float32",) * 3, ("float64",) * 3],
        "gemm_tiled_complex": [("float32",) * 3, ("float64",) * 3],
        "gemm_blocked": [("float32",) * 3, ("float64",) * 3],
        "gemm_blocked_wide": [("float32",) * 3],
        "gemv_rows": [("float32",) * 3, ("float64",) * 3],
        "gemv_columns": [("float32",) * 3],
        "gemv_rows_lanes": [("float32",) * 3, ("float64",) * 3],
        "gemv_columns_lanes": [("float32",) * 3],
        "stockham_radix2": [("float32",) * 3, ("float64",) * 3],
        "stockham_radix4": [("float32",) * 3, ("float64",) * 3],
        "stockham_block": [("float32",) * 3, ("float64",) * 3],
        "twiddle_table": [("float32",), ("float64",)],
        "scan_blocks": [("int32", "int64", "int64"), ("float32",) * 3],
        "add_block_offsets": [("int64",) * 2, ("float32",) * 2],
        "sum_rows_float": [("float32",) * 2],
        "sum_rows_typed": [("int32", "int64"), ("float32",) * 2],
        "extreme_rows": [("float32",) * 2],
        "sum_columns_float": [("float32",) * 2],
        "sum_columns_typed": [("int32", "int64"), ("float16",) * 2],
        "sum_columns_float_lanes": [("float32",) * 2, ("float64",) * 2],
        "extreme_columns": [("float64",) * 2],
        "merge_pass": [("float32", "int64", "float32", "int64")],
        "sort_init": [("float32", "float32", "int64")],
        "radix_keys": [("uint32", "uint32", "int64"), ("uint64", "uint64", "int64")],
        "radix_count": [("uint32", "int64"), ("uint64", "int64")],
        "radix_scatter": [("uint32", "int64", "uint32", "int64", "int64", "int64")],
        "gather_rows": [("float64", "int64", "float64")],
        "bluestein_premultiply": [("float32",) * 2],
        "bluestein_postmultiply": [("float64",) * 2],
        "multiply_by_chirp": [("float32",) * 3],
        "copy_divided": [("float16",) * 2, ("float32",) * 2],
        "swap_middle_axes": [("float32",) * 2, ("float64",) * 2],
        "resize_rows": [("float32",) * 2],
        "scale_float32": [()],
        "hermitian_rows": [("float32",) * 2, ("float64",) * 2],
        "split_real_spectrum": [("float32",) * 3, ("float64",) * 3],
        "merge_real_spectrum": [("float32",) * 3],
        "real_rows": [("float32",) * 2],
        "gather_block_rows": [("float32", "float32"), ("float64", "float64")],
        "scale_float64": [()],
    }
    modules = [
        algorithm_kernels.gemm,
        algorithm_kernels.gemv,
        algorithm_kernels.fft,
        algorithm_kernels.fft_blocks,
        algorithm_kernels.layout,
        algorithm_kernels.real_fft,
        algorithm_kernels.scan,
        algorithm_kernels.reduce,
        algorithm_kernels.sort,
        algorithm_kernels.radix_sort,
    ]
    found = []
    for module in modules:
        for name, combo_list in combos.items():
            if hasattr(module, name):
                for combo in combo_list:
                    found.append(
                        pytest.param(
                            getattr(module, name),
                            combo,
                            id=f"{name}-{combo[0] if combo else 'typed'}",
                        )
                    )
    return found


@pytest.mark.skipif(NVCC is None, reason="nvcc not installed")
@pytest.mark.parametrize("kernel,dtypes", _algorithm_kernel_specializations())
def test_generated_cuda_source_compiles_with_nvcc(tmp_path, kernel, dtypes):
    source = tmp_path / "kernel.cu"
    source.write_text(kernel.source("cuda", *dtypes))
    options = cache.DEVICE_COMPILE_OPTIONS["cuda"].split()
    command = [NVCC, "-cubin", "-x", "cu", "-arch=sm_80", "-std=c++17", *options]
    command += ["-Werror", "all-warnings", str(source), "-o", str(tmp_path / "kernel.cubin")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
