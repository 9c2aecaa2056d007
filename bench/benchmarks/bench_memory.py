# bench/benchmarks/bench_memory.py
# The caching pool's hit path and host transfers on every device, next to numpy's counterparts.
import numpy as np

import dotcompute as dc

from .support import DEVICE_PARAM_NAMES, DEVICE_PARAMS, host_random, prepared

TRANSFER_ELEMENTS = (64 << 20) // 4  # 64 MiB of float32


class PoolAllocation:
    """A 4 MiB array whose block is always in the cache (the previous one was just freed)."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        dc.empty(1 << 20, dtype="float32", device=device)  # warm the cache with one block

    def time_dotcompute_empty(self, device):
        dc.empty(1 << 20, dtype="float32", device=device)

    def time_numpy_empty(self, device):
        np.empty(1 << 20, dtype=np.float32)


class HostTransfer:
    """64 MiB between numpy and the device, and a plain numpy copy as the memcpy yardstick."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.device = dc.get_device(device)
        self.np_x = host_random((TRANSFER_ELEMENTS,))
        self.x = prepared(
            f"transfer {device}", lambda: dc.asarray(self.np_x, device=device, copy=True)
        )

    def time_asarray_copy(self, device):
        dc.asarray(self.np_x, device=device, copy=True)
        self.device.synchronize()

    def time_to_numpy(self, device):
        self.x.numpy()

    def time_numpy_copy(self, device):
        self.np_x.copy()
