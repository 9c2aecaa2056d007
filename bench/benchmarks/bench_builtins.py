# bench/benchmarks/bench_builtins.py
# Built-in operations against numpy: a large add, a large sum, and per-call overhead.
import numpy as np

import dotcompute as dc

DEVICE = "cpu"


def _random(count: int) -> np.ndarray:
    return np.random.default_rng(0).random(count, dtype=np.float32)


class Add:
    """c = a + b over 1M float32, into a preallocated output."""

    def setup(self):
        self.np_a, self.np_b = _random(1 << 20), _random(1 << 20) + 1
        self.np_c = np.empty_like(self.np_a)
        self.a = dc.asarray(self.np_a, device=DEVICE)
        self.b = dc.asarray(self.np_b, device=DEVICE)
        self.c = dc.empty(1 << 20, dtype="float32", device=DEVICE)

    def time_dotcompute(self):
        dc.add(self.a, self.b, out=self.c)
        dc.synchronize()  # device work is asynchronous: the result must exist to count

    def time_numpy(self):
        np.add(self.np_a, self.np_b, out=self.np_c)


class Sum:
    """Sum of 16M float32 (the result is read back, which waits for the device)."""

    def setup(self):
        self.np_x = _random(1 << 24)
        self.x = dc.asarray(self.np_x, device=DEVICE)

    def time_dotcompute(self):
        float(dc.sum(self.x))

    def time_numpy(self):
        float(np.sum(self.np_x))


class CallOverhead:
    """A 1-element add: nearly all of it is dispatch (Python binding, core, plugin slot)."""

    def setup(self):
        self.np_a, self.np_b, self.np_c = _random(1), _random(1), np.empty(1, np.float32)
        self.a = dc.asarray(self.np_a, device=DEVICE)
        self.b = dc.asarray(self.np_b, device=DEVICE)
        self.c = dc.empty(1, dtype="float32", device=DEVICE)

    def time_dotcompute(self):
        dc.add(self.a, self.b, out=self.c)

    def time_numpy(self):
        np.add(self.np_a, self.np_b, out=self.np_c)
