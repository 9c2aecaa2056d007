# bench/benchmarks/bench_kernels.py
# @dc.kernel on every device: STREAM triad, launch overhead, compile time cold and cached.
import os
import tempfile

import numpy as np

import dotcompute as dc
from dotcompute.kernel import cache

from .dotcompute_kernels import touch, triad
from .support import DEVICE_PARAM_NAMES, DEVICE_PARAMS, device_copy, host_random, prepared

TRIAD = 1 << 24


class Triad:
    """STREAM triad a = b + s * c over 16M float32."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.device = dc.get_device(device)
        self.np_b, self.np_c = host_random((TRIAD,)), host_random((TRIAD,)) * 0.5
        self.np_a = prepared("triad numpy output", lambda: np.empty_like(self.np_b))
        self.b = device_copy("a", (TRIAD,), "float32", device)
        self.c = device_copy("b", (TRIAD,), "float32", device)
        self.a = dc.empty(TRIAD, dtype="float32", device=device)
        triad[TRIAD](self.a, self.b, self.c, 3.0)

    def time_kernel(self, device):
        triad[TRIAD](self.a, self.b, self.c, 3.0)
        self.device.synchronize()

    def time_numpy(self, device):
        np.add(self.np_b, np.multiply(np.float32(3.0), self.np_c, out=self.np_a), out=self.np_a)


class LaunchOverhead:
    """Launch and completion of a kernel over 1 element."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.device = dc.get_device(device)
        self.x = device_copy("a", (1,), "float32", device)
        touch[1](self.x)

    def time_launch(self, device):
        touch[1](self.x)
        self.device.synchronize()


class CompileCold:
    """The first launch of a kernel with an empty kernel cache: specialize, generate, compile
    (host C compiler on the CPU, the plugin's compiler elsewhere), load, run. Every timed call
    gets a fresh DOTCOMPUTE_CACHE_DIR from setup. (A driver's own cache, e.g. PoCL's, may
    still answer.)"""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES
    number = 1
    repeat = (1, 5, 60.0)
    warmup_time = 0  # a warm-up call would fill the cache the timed call must find empty

    def setup(self, device):
        self.directory = tempfile.TemporaryDirectory(prefix="dotcompute-cold-")
        self.previous = os.environ.get("DOTCOMPUTE_CACHE_DIR")
        os.environ["DOTCOMPUTE_CACHE_DIR"] = self.directory.name
        cache.forget_loaded_modules()
        touch.forget_specializations()
        self.device = dc.get_device(device)
        self.x = device_copy("a", (16,), "float32", device)

    def teardown(self, device):
        _restore_cache_dir(self.previous)
        self.directory.cleanup()

    def time_first_launch(self, device):
        touch[16](self.x)
        self.device.synchronize()


class CompileCached:
    """The first launch of a kernel in a fresh process whose disk cache holds it: the in-process
    caches are emptied in setup, the entry is loaded from disk (a dlopen on the CPU)."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.directory = prepared("warm cache", lambda: tempfile.TemporaryDirectory())
        self.previous = os.environ.get("DOTCOMPUTE_CACHE_DIR")
        os.environ["DOTCOMPUTE_CACHE_DIR"] = self.directory.name
        self.device = dc.get_device(device)
        self.x = device_copy("a", (16,), "float32", device)
        touch[16](self.x)  # fills the disk cache on the first setup of the process
        cache.forget_loaded_modules()
        touch.forget_specializations()

    def teardown(self, device):
        _restore_cache_dir(self.previous)

    def time_first_launch(self, device):
        touch[16](self.x)
        self.device.synchronize()


def _restore_cache_dir(previous: str | None) -> None:
    if previous is None:
        os.environ.pop("DOTCOMPUTE_CACHE_DIR", None)
    else:
        os.environ["DOTCOMPUTE_CACHE_DIR"] = previous
