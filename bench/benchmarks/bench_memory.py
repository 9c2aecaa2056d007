# bench/benchmarks/bench_memory.py
# The caching pool's hit path and host transfers, each next to its numpy counterpart.
import numpy as np

import dotcompute as dc

DEVICE = "cpu"
TRANSFER_ELEMENTS = (64 << 20) // 4  # 64 MiB of float32


class PoolAllocation:
    """A 4 MiB array whose block is always in the cache (the previous one was just freed)."""

    def setup(self):
        dc.empty(1 << 20, dtype="float32", device=DEVICE)  # warm the cache with one block

    def time_dotcompute_empty(self):
        dc.empty(1 << 20, dtype="float32", device=DEVICE)

    def time_numpy_empty(self):
        np.empty(1 << 20, dtype=np.float32)


class HostTransfer:
    """64 MiB between numpy and the device, and a plain numpy copy as the memcpy yardstick."""

    def setup(self):
        self.np_x = np.random.default_rng(0).random(TRANSFER_ELEMENTS, dtype=np.float32)
        self.x = dc.asarray(self.np_x, device=DEVICE, copy=True)

    def time_asarray_copy(self):
        dc.asarray(self.np_x, device=DEVICE, copy=True)

    def time_to_numpy(self):
        self.x.numpy()

    def time_numpy_copy(self):
        self.np_x.copy()
