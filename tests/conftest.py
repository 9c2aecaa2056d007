# tests/conftest.py
# Shared fixtures: the device list every conformance test is parametrized over, seeded data.
from __future__ import annotations

import operator

import numpy as np
import pytest

import dotcompute as dc

# The binary built-ins and the Python operators that stand for them.
ARITHMETIC_OPERATORS = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
    "floor_divide": operator.floordiv,
}
# Every binary operation of dc and its Python operator (dc.maximum and dc.minimum have none).
BINARY_OPERATORS = {
    **ARITHMETIC_OPERATORS,
    "remainder": operator.mod,
    "power": operator.pow,
    "bitwise_and": operator.and_,
    "bitwise_or": operator.or_,
    "bitwise_xor": operator.xor,
    "equal": operator.eq,
    "not_equal": operator.ne,
    "less": operator.lt,
    "less_equal": operator.le,
    "greater": operator.gt,
    "greater_equal": operator.ge,
}

# Backends that are not always present, with the marker their tests carry.
_OPTIONAL_BACKEND_MARKERS = {"cuda": "cuda", "opencl": "opencl", "metal": "metal"}


def _device_params():
    params = []
    for device in dc.devices():
        marks = []
        marker = _OPTIONAL_BACKEND_MARKERS.get(device.backend)
        if marker:
            marks.append(getattr(pytest.mark, marker))
        params.append(pytest.param(device.spec, id=device.spec, marks=marks))
    for backend, marker in _OPTIONAL_BACKEND_MARKERS.items():
        if not any(d.backend == backend for d in dc.devices()):
            reason = _unavailable_reason(backend)
            params.append(
                pytest.param(
                    backend,
                    id=backend,
                    marks=[getattr(pytest.mark, marker), pytest.mark.skip(reason=reason)],
                )
            )
    return params


def _unavailable_reason(backend: str) -> str:
    for rejection in dc.plugins.rejected():
        if rejection.name == backend:
            return f"backend {backend!r} unavailable: {rejection.reason}"
    return f"backend {backend!r} is not built or installed on this machine"


DEVICE_PARAMS = _device_params()


@pytest.fixture(params=DEVICE_PARAMS)
def device(request) -> str:
    """Every device of every loaded backend (absent optional backends are skipped with why)."""
    return request.param


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261126)


def random_array(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """Random values of dtype, never all zeros; floats away from 0 so division is defined."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = max(info.min, -100), min(info.max, 100)
        values = rng.integers(low, high, size=shape, endpoint=True).astype(dtype)
        return np.where(values == 0, dtype.type(7), values).astype(dtype)
    if dtype.kind == "c":
        real = rng.uniform(0.5, 4.0, size=shape) * rng.choice([-1, 1], size=shape)
        imag = rng.uniform(-3.0, 3.0, size=shape)
        return (real + 1j * imag).astype(dtype)
    values = rng.uniform(0.5, 4.0, size=shape) * rng.choice([-1, 1], size=shape)
    return values.astype(dtype)


def assert_numpys_result(device: str, call, expected, rtol: float) -> None:
    """A call numpy runs on dc arrays through np.asarray (not dotcompute): numpy's result on the
    CPU, a BufferError naming x.numpy() for device memory."""
    if dc.get_device(device).backend == "cpu":
        got = call()
        assert isinstance(got, np.ndarray | np.generic)
        np.testing.assert_allclose(got, expected, rtol=rtol)
    else:
        with pytest.raises(BufferError, match=r"use x\.numpy\(\) to copy"):
            call()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a Metal device, a kernel Metal cannot run at all (float64, 64-bit atomics: the MSL
    generator's MetalUnsupportedError, raised before anything is compiled) is reported as a
    skip naming the construct, so the conformance suite runs on metal:0 without failing on
    what the hardware lacks. Every other error on Metal still fails."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or report.when != "call":
        return
    from dotcompute.kernel.codegen_msl import MetalUnsupportedError

    callspec = getattr(item, "callspec", None)
    spec = callspec.params.get("device") if callspec is not None else None
    if not (isinstance(spec, str) and spec.startswith("metal")):
        return
    if call.excinfo.errisinstance(MetalUnsupportedError):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {call.excinfo.value}")
