# bench/benchmarks/support.py
# Shared by the asv suite: the device parameter, cached inputs, peers imported or skipped.
"""Helpers of the asv suite (no benchmarks here).

asv re-runs ``setup`` before every timed call, so inputs are made once per process and kept in
module-level caches: a setup that draws 1 GiB of random numbers would otherwise dominate the run.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np

import dotcompute as dc

# Every device found by this installation; benchmarks with `params = [DEVICES]` run on each.
DEVICES = [device.spec for device in dc.devices()]
DEVICE_PARAMS = [DEVICES]
DEVICE_PARAM_NAMES = ["device"]

PEERS_DIRECTORY = Path(__file__).resolve().parent.parent / "peers"


@cache
def host_random(shape: tuple[int, ...], dtype: str = "float32") -> np.ndarray:
    """Seeded random values of shape and dtype (complex: random real and imaginary parts)."""
    rng = np.random.default_rng(2026)
    if np.dtype(dtype).kind == "c":
        real = np.dtype(dtype).type(0).real.dtype
        values = np.empty(shape, dtype)
        values.real = rng.standard_normal(shape, dtype=real)
        values.imag = rng.standard_normal(shape, dtype=real)
        return values
    return rng.random(shape, dtype=dtype) + np.dtype(dtype).type(0.5)


@cache
def host_filled_bytes(nbytes: int) -> np.ndarray:
    """nbytes of float32 made of one random 1 MiB block repeated: large transfers need distinct,
    non-zero data, not 1 GiB of random draws."""
    block = host_random((1 << 18,))
    return np.resize(block, nbytes // 4)


@cache
def device_copy(name: str, shape: tuple[int, ...], dtype: str, device: str) -> dc.Array:
    """host_random(shape, dtype) on device; name keeps two operands of one shape apart."""
    host = host_random(shape, dtype) if name == "a" else host_random(shape, dtype) * 0.5
    return dc.asarray(host, device=device, copy=True)


_prepared: dict[str, object] = {}


def prepared(key: str, make):
    """make() once per process (setup runs before every timed call), then its result."""
    if key not in _prepared:
        _prepared[key] = make()
    return _prepared[key]


def import_peer(module_name: str) -> ModuleType:
    """The peer framework's module, or asv's skip (NotImplementedError) when not installed."""
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise NotImplementedError(f"{module_name} is not installed: {error}") from None


def peer_kernels(file_stem: str, framework: str) -> ModuleType:
    """bench/peers/<file_stem>.py (the benchmark kernels written for framework), imported once;
    skipped when the framework is not installed."""
    import_peer(framework)
    name = f"dotcompute_bench_peers_{file_stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PEERS_DIRECTORY / f"{file_stem}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def require_backend(device: str, backend: str) -> None:
    """Skips a benchmark meant for one backend on the other devices."""
    if dc.get_device(device).backend != backend:
        raise NotImplementedError(f"{device} is not a {backend} device")


def first_device_of(backend: str) -> str:
    """The spec of the first device of backend, or a skip when there is none."""
    for device in dc.devices():
        if device.backend == backend:
            return device.spec
    raise NotImplementedError(f"no {backend} device on this machine")
