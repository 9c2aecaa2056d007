# bench/benchmarks/bench_table.py
# The seed's performance table on every device: vector add 1M, matmul 1K, 1 GiB transfer, FFT 1M.
"""Each timed call ends with the device's synchronize(): work is asynchronous and only a finished
result counts. The numpy, scipy and other peers' figures for the same table are in
bench_peers.py."""

import numpy as np

import dotcompute as dc

from .dotcompute_kernels import vector_add
from .support import DEVICE_PARAM_NAMES, DEVICE_PARAMS, device_copy, host_filled_bytes

VECTOR = 1 << 20  # vector add: 1M float32
MATRIX = 1024  # matmul: 1024 x 1024 float32
TRANSFER_BYTES = 1 << 30  # 1 GiB
FFT_POINTS = 1 << 20  # FFT: 2^20 complex64


class VectorAdd:
    """out = a + b over 1M float32: the built-in dc.add and the same as a @dc.kernel."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.device = dc.get_device(device)
        self.a = device_copy("a", (VECTOR,), "float32", device)
        self.b = device_copy("b", (VECTOR,), "float32", device)
        self.out = dc.empty(VECTOR, dtype="float32", device=device)
        vector_add[VECTOR](self.a, self.b, self.out)  # compiled outside the timing

    def time_builtin_add(self, device):
        dc.add(self.a, self.b, out=self.out)
        self.device.synchronize()

    def time_kernel(self, device):
        vector_add[VECTOR](self.a, self.b, self.out)
        self.device.synchronize()


class Matmul:
    """dc.matmul of two 1024 x 1024 float32 matrices (2 GFLOP), result allocated from the pool."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES
    timeout = 300  # the generated-kernel path of a device without a BLAS slot is slow

    def setup(self, device):
        self.device = dc.get_device(device)
        self.a = device_copy("a", (MATRIX, MATRIX), "float32", device)
        self.b = device_copy("b", (MATRIX, MATRIX), "float32", device)

    def time_matmul(self, device):
        dc.matmul(self.a, self.b)
        self.device.synchronize()


class Transfer:
    """1 GiB of float32 between host memory (numpy) and the device, each way."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES
    timeout = 300

    def setup(self, device):
        self.device = dc.get_device(device)
        self.host = host_filled_bytes(TRANSFER_BYTES)
        self.on_device = _cached_upload(self.host, device)

    def time_host_to_device(self, device):
        dc.asarray(self.host, device=device, copy=True)
        self.device.synchronize()

    def time_device_to_host(self, device):
        self.on_device.numpy()


_uploads: dict[str, dc.Array] = {}


def _cached_upload(host: np.ndarray, device: str) -> dc.Array:
    if device not in _uploads:
        _uploads[device] = dc.asarray(host, device=device, copy=True)
    return _uploads[device]


class FFT:
    """dc.fft of 2^20 complex64 points (power-of-two length)."""

    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES
    timeout = 300

    def setup(self, device):
        self.device = dc.get_device(device)
        self.x = device_copy("a", (FFT_POINTS,), "complex64", device)

    def time_fft(self, device):
        dc.fft(self.x)
        self.device.synchronize()
