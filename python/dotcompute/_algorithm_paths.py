# python/dotcompute/_algorithm_paths.py
# Which implementation an algorithm call takes: the backend's plugin slot or the generated kernels.
"""The switch between a backend's algorithm slots and ``dotcompute.algorithm_kernels`` (forced
with ``dc.algorithms.use_generated_kernels()``), shared by the algorithm fronts."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np

from . import _core
from ._arrays import asarray


class _ForcedKernels(threading.local):
    """Per-thread switch of use_generated_kernels(). The class attribute is every thread's
    default, so reading it is a plain attribute lookup: getattr() with a default on a bare
    threading.local costs about 0.4 us when the attribute is missing, on every algorithm call."""

    generated = False


_forced = _ForcedKernels()


@contextlib.contextmanager
def use_generated_kernels(enabled: bool = True) -> Iterator[None]:
    """Within the block (on this thread), algorithms skip the plugin slots and run the generated
    kernels, the path CUDA without cuBLAS/cuFFT and OpenCL take.

    >>> with dc.algorithms.use_generated_kernels():
    ...     c = dc.matmul(a, b)  # the tiled shared-memory GEMM kernel, even on the CPU
    """
    previous = _forced.generated
    _forced.generated = enabled
    try:
        yield
    finally:
        _forced.generated = previous


def generated_kernels_forced() -> bool:
    """Whether use_generated_kernels() is active on this thread."""
    return _forced.generated


def generated():
    """The generated-kernel package, imported on first use: defining its kernels costs tens of
    milliseconds that a program whose backend has every slot never needs to pay."""
    from . import algorithm_kernels

    return algorithm_kernels


def use_plugin() -> bool:
    return not generated_kernels_forced()


def as_array(x) -> _core.Array:
    return x if isinstance(x, _core.Array) else asarray(np.asarray(x))
