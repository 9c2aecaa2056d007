# bench/benchmarks/dotcompute_kernels.py
# The benchmark kernels as dotcompute kernels, shared by the asv suite and compare_kernels.py.
from __future__ import annotations

import dotcompute as dc


@dc.kernel
def vector_add(a: dc.Array[dc.float32], b: dc.Array[dc.float32], out: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = a[i] + b[i]


@dc.kernel
def triad(a: dc.Array[dc.float32], b: dc.Array[dc.float32], c: dc.Array[dc.float32], s: dc.float32):
    i = dc.global_id(0)
    if i < a.shape[0]:
        a[i] = b[i] + s * c[i]


@dc.kernel
def touch(a: dc.Array[dc.float32]):
    i = dc.global_id(0)
    if i < a.shape[0]:
        a[i] = a[i] + 1.0


@dc.kernel
def mandelbrot(out: dc.Array[dc.int32, 2], max_iterations: dc.int32):
    x = dc.global_id(0)
    y = dc.global_id(1)
    height = out.shape[0]
    width = out.shape[1]
    if x < width and y < height:
        c_real = -2.0 + 3.0 * dc.float32(x) / dc.float32(width)
        c_imag = -1.5 + 3.0 * dc.float32(y) / dc.float32(height)
        z_real = dc.float32(0.0)
        z_imag = dc.float32(0.0)
        iterations = 0
        while iterations < max_iterations and z_real * z_real + z_imag * z_imag <= 4.0:
            next_real = z_real * z_real - z_imag * z_imag + c_real
            z_imag = 2.0 * z_real * z_imag + c_imag
            z_real = next_real
            iterations += 1
        out[y, x] = iterations
