# tests/test_elementwise_ops.py
# Every binary elementwise operation (dc.add ... dc.greater_equal) on every dtype, mixed dtypes,
# broadcasting, out= and the operators, on every device against numpy.
from __future__ import annotations

import numpy as np
import pytest

import dotcompute as dc
from dotcompute.algorithm_kernels import broadcast

from conftest import BINARY_OPERATORS, random_array

DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
    "float32", "float64", "complex64", "complex128",
]  # fmt: skip
OPERATIONS = [*BINARY_OPERATORS, "maximum", "minimum"]
COMPARISONS = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
NUMPY = {"divide": np.true_divide}
TOLERANCE = {"e": 1e-3, "f": 1e-6, "d": 1e-12, "F": 1e-6, "D": 1e-12}


def numpy_result(name: str, a, b):
    """numpy's result, or the exception type numpy raises."""
    with np.errstate(all="ignore"):
        try:
            return NUMPY.get(name, getattr(np, name))(a, b)
        except TypeError:
            return TypeError


def assert_matches(got: dc.Array, expected: np.ndarray, where: str = "") -> None:
    assert got.shape == expected.shape and got.dtype == expected.dtype, where
    tolerance = TOLERANCE.get(expected.dtype.char)
    if tolerance is None:
        np.testing.assert_array_equal(got.numpy(), expected, err_msg=where)
        return
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max(initial=0.0)))
    np.testing.assert_allclose(
        got.numpy(), expected, rtol=tolerance, atol=tolerance * scale, err_msg=where
    )


def operands(rng, shape, dtype, name):
    """Random operands; for power, small exponents of their sign (numpy refuses negative
    integer exponents in an array) and a few equal elements for the comparisons."""
    a, b = random_array(rng, shape, dtype), random_array(rng, shape, dtype)
    kind = np.dtype(dtype).kind
    if name == "power" and kind in "iu":
        a, b = a % 7, np.abs(b) % 5
    elif name == "power" and kind == "f":
        a, b = np.abs(a), b % 3  # no nan from negative bases to fractions
    b.flat[::3] = a.flat[::3]
    return a.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_and_dtype_matches_numpy(device, rng, name, dtype):
    host_a, host_b = operands(rng, 1037, dtype, name)
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    expected = numpy_result(name, host_a, host_b)
    function = getattr(dc, name)
    if expected is TypeError:
        with pytest.raises(dc.DTypeError, match=f"{name} is not defined"):
            function(a, b)
        return
    if name == "power" and expected.dtype.kind == "c":
        with pytest.raises(dc.UnsupportedError, match="power of complex arrays"):
            function(a, b)
        return
    assert_matches(function(a, b), expected, f"{name} {dtype}")
    if name in BINARY_OPERATORS:
        assert_matches(BINARY_OPERATORS[name](a, b), expected, f"operator {name} {dtype}")


MIXED = [
    ("int32", "float32"), ("uint8", "int8"), ("bool", "float16"), ("int64", "uint64"),
    ("float32", "complex128"), ("int16", "float64"), ("uint64", "int8"), ("float16", "float32"),
]  # fmt: skip


@pytest.mark.parametrize(("left", "right"), MIXED, ids=str)
def test_mixed_dtypes_promote_as_numpy(device, rng, left, right):
    host_a = random_array(rng, (9, 131), left)
    host_b = random_array(rng, (131,), right)  # broadcast too
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    for name in OPERATIONS:
        for x, y, host_x, host_y in ((a, b, host_a, host_b), (b, a, host_b, host_a)):
            if name == "power" and host_y.dtype.kind == "i":  # numpy refuses negative
                y, host_y = abs(y), np.abs(host_y)  # integer exponents in an array
            expected = numpy_result(name, host_x, host_y)
            if expected is TypeError:
                with pytest.raises(dc.DTypeError):
                    getattr(dc, name)(x, y)
            elif name == "power" and expected.dtype.kind == "c":
                with pytest.raises(dc.UnsupportedError, match="power of complex arrays"):
                    dc.power(x, y)
            else:
                assert_matches(getattr(dc, name)(x, y), expected, f"{name} {x.dtype} {y.dtype}")


@pytest.mark.parametrize("signed", ["int8", "int64"])
def test_uint64_compares_exactly_with_signed_integers(device, rng, signed):
    """numpy 2 compares uint64 with a signed integer exactly (float64 would make 2^63 + 1 equal
    to 2^63 and -1 equal to nothing it should not); so do the kernels, for two arrays, a
    broadcast, a numpy scalar, out= and inside a capture."""
    limits = np.iinfo(signed)
    top = int(limits.max)
    big = np.array([2**63, 2**63 + 1, 2**64 - 1, top, top + 1, 0, 5, 2**53 + 1], np.uint64)
    unsigned_values = np.concatenate([big, rng.integers(0, 2**64 - 1, 9, "u8")])
    chosen = [top, top, -1, top, top, limits.min, 5, 2**53 if signed == "int64" else 3]
    signed_values = np.array([*chosen, *rng.integers(limits.min, top, 9)], dtype=signed)
    host_u = np.stack([unsigned_values, unsigned_values[::-1]])  # (2, 17)
    host_s = signed_values
    u, s = dc.asarray(host_u, device=device), dc.asarray(host_s, device=device)
    for name in COMPARISONS:
        assert_matches(getattr(dc, name)(u, s), numpy_result(name, host_u, host_s), name)
        assert_matches(getattr(dc, name)(s, u), numpy_result(name, host_s, host_u), name)
        number = np.dtype(signed).type(-3)
        assert_matches(getattr(dc, name)(u, number), numpy_result(name, host_u, number), name)
    out = dc.empty((2, 17), "int8", device=device)
    assert dc.less(s, u, out=out) is out
    np.testing.assert_array_equal(out.numpy(), np.less(host_s, host_u).astype(np.int8))
    with dc.capture(device=device) as graph:
        captured = u >= s
    graph.replay()
    dc.synchronize(device)
    np.testing.assert_array_equal(captured.numpy(), host_u >= host_s)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "float32", "complex64"])
@pytest.mark.parametrize("kernel", ["rows", "grid", "per element"])
def test_comparisons_broadcast_with_every_kernel(device, rng, monkeypatch, dtype, kernel):
    """CPU devices run broadcast_rows, GPUs broadcast_grid or broadcast_elements (Note
    [Broadcast layouts]); the GPU ones forced here on every device."""
    if kernel != "rows":
        monkeypatch.setattr(broadcast, "is_cpu_device", lambda _device: False)
    if kernel == "per element":
        monkeypatch.setattr(broadcast, "MAX_GRID_ROWS", 0)
    host_a, host_b = random_array(rng, (3, 37, 29), dtype), random_array(rng, (37, 1), dtype)
    host_a[:, :, 5] = host_b[:, 0]  # equal elements
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    for name in [*COMPARISONS, "maximum"]:
        assert_matches(getattr(dc, name)(a, b), numpy_result(name, host_a, host_b), name)
        assert_matches(getattr(dc, name)(b, a), numpy_result(name, host_b, host_a), name)


def test_complex_comparisons_with_nan_as_numpy(device):
    nan = np.nan
    values = np.array(
        [1 + 1j, 1 + 2j, 2 + 0j, complex(nan, 0), complex(0, nan), 1 + 1j, complex(1, nan)],
        dtype=np.complex128,
    )
    host_a, host_b = np.repeat(values, len(values)), np.tile(values, len(values))
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    for name in [*COMPARISONS, "maximum", "minimum"]:
        expected = numpy_result(name, host_a, host_b)
        np.testing.assert_array_equal(getattr(dc, name)(a, b).numpy(), expected, err_msg=name)


def test_maximum_and_minimum_propagate_nan(device, rng):
    host_a, host_b = random_array(rng, 301, "float32"), random_array(rng, 301, "float32")
    host_a[::4], host_b[1::4] = np.nan, np.nan
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    np.testing.assert_array_equal(dc.maximum(a, b).numpy(), np.maximum(host_a, host_b))
    np.testing.assert_array_equal(dc.minimum(b, a).numpy(), np.minimum(host_b, host_a))


def test_numbers_and_python_ints_out_of_range(device, rng):
    host = random_array(rng, 257, "uint8")
    x = dc.asarray(host, device=device)
    # numpy 2 compares exactly with a Python int the dtype cannot hold.
    for value in (300, -1):
        for name, apply in BINARY_OPERATORS.items():
            if name in COMPARISONS:
                assert_matches(apply(x, value), apply(host, value), f"{name} {value}")
                assert_matches(apply(value, x), apply(value, host), f"{value} {name}")
    np.testing.assert_array_equal((x % 7).numpy(), host % 7)
    np.testing.assert_array_equal((3 ** (x % 4)).numpy(), 3 ** (host % 4))
    np.testing.assert_array_equal((x > 2.5).numpy(), host > 2.5)
    with pytest.raises(ValueError, match="negative integer powers"):
        x.astype("int32") ** -1


def test_negative_of_complex_infinities_and_nans(device):
    """-x of complex values negates each part (numpy's), so an infinite part does not turn its
    partner into NaN (a product with -1 + 0j would: 0 * inf)."""
    n, inf = np.nan, np.inf
    for dtype in ("complex64", "complex128"):
        host = np.array([complex(inf, 1), complex(1, -inf), complex(n, 0), complex(-0.0, 0.0),
                         complex(inf, inf), complex(2, n)], dtype)  # fmt: skip
        x = dc.asarray(host, device=device)
        for got in (-x, np.negative(x), dc.asarray(host, device=device).__neg__()):
            np.testing.assert_array_equal(got.numpy(), -host)
            numbers = ~np.isnan(host.real)  # GPUs give NaNs of their own sign
            signs = np.signbit(got.numpy().real)[numbers]
            np.testing.assert_array_equal(signs, np.signbit((-host).real)[numbers])


def test_operators_in_place_and_reflected(device, rng):
    host_i = random_array(rng, (17, 33), "int32")
    i = dc.asarray(host_i.copy(), device=device)
    i %= 5
    np.testing.assert_array_equal(i.numpy(), host_i % 5)
    i **= 2
    i &= 0x7
    i |= 0x10
    i ^= 3
    np.testing.assert_array_equal(i.numpy(), (((host_i % 5) ** 2) & 7 | 16) ^ 3)
    np.testing.assert_array_equal((100 % i).numpy(), 100 % i.numpy())
    np.testing.assert_array_equal((~i).numpy(), ~i.numpy())
    flags = i > 17
    np.testing.assert_array_equal((~flags).numpy(), ~(i.numpy() > 17))
    np.testing.assert_array_equal(((i < 18) | flags).numpy(), np.ones((17, 33), bool))
    with pytest.raises(dc.DTypeError, match="cannot write a float64 result into out of dtype"):
        i /= 2  # numpy's same_kind rule
    with pytest.raises(dc.DTypeError, match="invert"):
        ~dc.asarray(random_array(rng, 3, "float32"), device=device)


def test_out_converts_and_mixed_in_place(device, rng):
    host_a, host_b = random_array(rng, 999, "int16"), random_array(rng, 999, "float32")
    a, b = dc.asarray(host_a, device=device), dc.asarray(host_b, device=device)
    out = dc.empty(999, "float64", device=device)
    assert dc.add(a, b, out=out) is out  # a float32 result written into float64
    np.testing.assert_allclose(out.numpy(), host_a + host_b, rtol=1e-6)
    flags = dc.empty(999, "int8", device=device)
    assert dc.less(a, b, out=flags) is flags  # bool into int8
    np.testing.assert_array_equal(flags.numpy(), (host_a < host_b).astype(np.int8))
    c = dc.asarray(host_b.copy(), device=device)
    c += a  # float32 += int16 stays float32
    np.testing.assert_allclose(c.numpy(), host_b + host_a, rtol=1e-6)
    with pytest.raises(dc.DTypeError, match="cannot write a float32 result into out of dtype"):
        dc.multiply(b, b, out=dc.empty(999, "int32", device=device))


def test_equality_keeps_arrays_hashable(device, rng):
    x = dc.asarray(random_array(rng, 5, "float32"), device=device)
    y = x.copy()
    assert (x == y).dtype == np.bool_ and bool(dc.sum(x == y) == 5)
    assert {x: 1, y: 2}[x] == 1 and len({x, y}) == 2  # by identity, as PyTorch's tensors
    assert (x == "text") is False and (x != None) is True  # noqa: E711  (NotImplemented)
    with pytest.raises((ValueError, dc.InvalidArgumentError)):
        bool(x == y)  # several elements: no single truth value


def test_numpy_ufuncs_and_scalars_on_the_left(device, rng):
    host = random_array(rng, 65, "float32")
    x = dc.asarray(host, device=device)
    for got, expected in (
        (np.less(x, 1.0), host < 1.0),
        (np.maximum(x, np.float32(0.5)), np.maximum(host, np.float32(0.5))),
        (np.float32(2.5) > x, np.float32(2.5) > host),
        (np.power(x, 2), host**2),
        (np.invert(x > 0), ~(host > 0)),
    ):
        assert isinstance(got, dc.Array)
        assert_matches(got, expected)


def test_comparisons_in_a_graph(device, rng):
    x = dc.asarray(random_array(rng, (65, 31), "float32"), device=device)
    limit = dc.asarray(random_array(rng, (31,), "float32"), device=device)
    with dc.capture(device=device) as graph:
        inside = (x < limit) & (x > -limit)
        clipped = dc.minimum(dc.maximum(x, -limit), limit)
    for _ in range(2):
        host, bound = random_array(rng, (65, 31), "float32"), random_array(rng, 31, "float32")
        dc.copyto(x, host)
        dc.copyto(limit, np.abs(bound))
        graph.replay()
        dc.synchronize(device)
        bound = np.abs(bound)
        np.testing.assert_array_equal(inside.numpy(), (host < bound) & (host > -bound))
        np.testing.assert_array_equal(clipped.numpy(), np.minimum(np.maximum(host, -bound), bound))


def test_in_place_with_numpy_operands_writes_the_array(device, rng):
    """x op= numpy_array (or a list) writes x in place on every device: the operand is copied to
    x's device, as assignment's value is; x stays the same dc array."""
    host = random_array(rng, (9, 130), "float32")
    row, column = random_array(rng, 130, "float32"), random_array(rng, (9, 1), "int16")
    x = dc.asarray(host.copy(), device=device)
    same = x
    x -= row
    x *= column
    x += [0.5] * 130
    x **= np.full(130, 2, np.int8)
    assert x is same and isinstance(x, dc.Array)
    np.testing.assert_allclose(x.numpy(), ((host - row) * column + 0.5) ** 2, rtol=1e-5)
    flags = dc.asarray(random_array(rng, 40, "bool"), device=device)
    flags |= np.ones(40, bool)
    assert flags.dtype == np.bool_ and flags.numpy().all()
    with pytest.raises(dc.DTypeError, match="cannot write a float64 result"):
        counts = dc.asarray(random_array(rng, 130, "int32"), device=device)
        counts += np.ones(130)  # numpy's same_kind rule, as for dc operands
    with pytest.raises(dc.ShapeError):
        x += np.ones(7, np.float32)
