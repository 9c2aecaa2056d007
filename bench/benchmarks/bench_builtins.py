# bench/benchmarks/bench_builtins.py
# Built-in operations against numpy on every device: a large add, a large sum, per-call overhead.
import numpy as np

import dotcompute as dc

from .support import DEVICE_PARAM_NAMES, DEVICE_PARAMS, device_copy, host_random


class Add:
    """c = a + b over 1M float32, into a preallocated output."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.device = dc.get_device(device)
        self.np_a, self.np_b = host_random((1 << 20,)), host_random((1 << 20,)) * 0.5
        self.np_c = np.empty_like(self.np_a)
        self.a = device_copy("a", (1 << 20,), "float32", device)
        self.b = device_copy("b", (1 << 20,), "float32", device)
        self.c = dc.empty(1 << 20, dtype="float32", device=device)

    def time_dotcompute(self, device):
        dc.add(self.a, self.b, out=self.c)
        self.device.synchronize()  # device work is asynchronous: the result must exist to count

    def time_numpy(self, device):
        np.add(self.np_a, self.np_b, out=self.np_c)


class Sum:
    """Sum of 16M float32 (the result is read back, which waits for the device)."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.np_x = host_random((1 << 24,))
        self.x = device_copy("a", (1 << 24,), "float32", device)

    def time_dotcompute(self, device):
        float(dc.sum(self.x))

    def time_numpy(self, device):
        float(np.sum(self.np_x))


class CallOverhead:
    """A 1-element add: nearly all of it is dispatch (Python binding, core, plugin slot)."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.np_a, self.np_b, self.np_c = host_random((1,)), host_random((1,)), np.empty(1, "f4")
        self.a = device_copy("a", (1,), "float32", device)
        self.b = device_copy("b", (1,), "float32", device)
        self.c = dc.empty(1, dtype="float32", device=device)

    def time_dotcompute(self, device):
        dc.add(self.a, self.b, out=self.c)

    def time_numpy(self, device):
        np.add(self.np_a, self.np_b, out=self.np_c)
