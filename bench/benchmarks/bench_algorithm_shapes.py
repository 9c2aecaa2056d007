# bench/benchmarks/bench_algorithm_shapes.py
# Algorithms on shapes with few outputs: axis reductions, long-k products, products with a vector.
"""The shapes that once starved a GPU (docs/algorithms.md §4.1-4.3): a sum along a long axis
with three outputs, a long row, a product over a long k with an 8 x 8 result, and
matrix-vector products. On the CPU they run the plugin's slots (OpenBLAS, the column kernels),
on OpenCL, Metal and CUDA without a library the generated kernels, on CUDA cuBLAS for the
products. Each timed call ends with the device's synchronize()."""

import dotcompute as dc

from .support import DEVICE_PARAM_NAMES, DEVICE_PARAMS, device_copy

TALL = (1 << 20, 3)  # sum along axis 0: three outputs over 1M rows
WIDE = (4, 1 << 22)  # sum along axis 1: four long rows
LONG_K = 1 << 20  # (8, LONG_K) @ (LONG_K, 8)
MATRIX = 4096  # (MATRIX, MATRIX) @ (MATRIX,) and (MATRIX,) @ (MATRIX, MATRIX)


class AxisReductions:
    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.device = dc.get_device(device)
        self.tall = device_copy("a", TALL, "float32", device)
        self.wide = device_copy("a", WIDE, "float32", device)
        dc.sum(self.tall, axis=0), dc.sum(self.wide, axis=1)  # compiled outside the timing

    def time_sum_tall_axis0(self, device):
        dc.sum(self.tall, axis=0)
        self.device.synchronize()

    def time_max_tall_axis0(self, device):
        dc.max(self.tall, axis=0)
        self.device.synchronize()

    def time_sum_wide_axis1(self, device):
        dc.sum(self.wide, axis=1)
        self.device.synchronize()


class FewOutputProducts:
    params = DEVICE_PARAMS
    param_names = DEVICE_PARAM_NAMES

    def setup(self, device):
        self.device = dc.get_device(device)
        self.left = device_copy("a", (8, LONG_K), "float32", device)
        self.right = device_copy("b", (LONG_K, 8), "float32", device)
        self.matrix = device_copy("a", (MATRIX, MATRIX), "float32", device)
        self.vector = device_copy("b", (MATRIX,), "float32", device)
        dc.matmul(self.left, self.right)  # compiled outside the timing
        dc.matmul(self.matrix, self.vector), dc.matmul(self.vector, self.matrix)

    def time_long_k(self, device):
        dc.matmul(self.left, self.right)
        self.device.synchronize()

    def time_matrix_vector(self, device):
        dc.matmul(self.matrix, self.vector)
        self.device.synchronize()

    def time_vector_matrix(self, device):
        dc.matmul(self.vector, self.matrix)
        self.device.synchronize()
