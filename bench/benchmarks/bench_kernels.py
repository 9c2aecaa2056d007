# bench/benchmarks/bench_kernels.py
# @dc.kernel on the CPU against numpy: vector add, STREAM triad, launch overhead, compile times.
import os
import tempfile

import numpy as np

import dotcompute as dc
from dotcompute.kernel import cache

from .dotcompute_kernels import touch, triad, vector_add


def _random(count: int) -> np.ndarray:
    return np.random.default_rng(0).random(count, dtype=np.float32)


class VectorAdd:
    """out = a + b over 1M float32 as a kernel, and numpy's add into a preallocated output."""

    def setup(self):
        self.np_a, self.np_b = _random(1 << 20), _random(1 << 20)
        self.np_out = np.empty_like(self.np_a)
        self.a, self.b = dc.asarray(self.np_a), dc.asarray(self.np_b)
        self.out = dc.empty(1 << 20, dtype="float32")
        vector_add[1 << 20](self.a, self.b, self.out)  # compiled outside the timing

    def time_kernel(self):
        vector_add[1 << 20](self.a, self.b, self.out)

    def time_numpy(self):
        np.add(self.np_a, self.np_b, out=self.np_out)


class Triad:
    """STREAM triad a = b + s * c over 16M float32."""

    def setup(self):
        self.np_b, self.np_c = _random(1 << 24), _random(1 << 24)
        self.np_a = np.empty_like(self.np_b)
        self.a, self.b, self.c = (dc.asarray(x) for x in (self.np_a, self.np_b, self.np_c))
        triad[1 << 24](self.a, self.b, self.c, 3.0)

    def time_kernel(self):
        triad[1 << 24](self.a, self.b, self.c, 3.0)

    def time_numpy(self):
        np.add(self.np_b, np.multiply(np.float32(3.0), self.np_c, out=self.np_a), out=self.np_a)


class LaunchOverhead:
    """Launch and completion of a kernel over 1 element."""

    def setup(self):
        self.x = dc.ones(1, dtype="float32")
        touch[1](self.x)

    def time_launch(self):
        touch[1](self.x)


class Compile:
    """Specializing, generating and compiling a kernel with an empty cache (cold), and finding
    it in the disk cache (warm; the in-process cache is cleared in setup)."""

    def setup(self):
        self.directory = tempfile.TemporaryDirectory()
        os.environ["DOTCOMPUTE_CACHE_DIR"] = self.directory.name
        self.x = dc.ones(16, dtype="float32")

    def teardown(self):
        os.environ.pop("DOTCOMPUTE_CACHE_DIR", None)
        self.directory.cleanup()

    def time_cold_compile(self):
        cache.clear_cache()
        touch.forget_specializations()
        touch[16](self.x)

    def time_warm_load(self):
        # The disk entry exists from the first call on; each call then loads it as a fresh
        # process would: the in-process cache and the kernel's plans are emptied first.
        cache.forget_loaded_modules()
        touch.forget_specializations()
        touch[16](self.x)
