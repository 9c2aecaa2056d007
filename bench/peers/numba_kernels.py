# bench/peers/numba_kernels.py
# The benchmark kernels for Numba, parallel over all cores (prange), float32 throughout.
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=False)
def vector_add(a, b, out):
    for i in prange(out.shape[0]):
        out[i] = a[i] + b[i]


@njit(parallel=True, cache=False)
def copy(source, destination):
    for i in prange(destination.shape[0]):
        destination[i] = source[i]


@njit(parallel=True, cache=False)
def triad(a, b, c, s):
    for i in prange(a.shape[0]):
        a[i] = b[i] + s * c[i]


@njit(cache=False)
def touch(a):
    for i in range(a.shape[0]):
        a[i] = a[i] + np.float32(1.0)


@njit(parallel=True, cache=False)
def mandelbrot(out, max_iterations):
    height, width = out.shape
    for y in prange(height):
        for x in range(width):
            c_real = np.float32(-2.0) + np.float32(3.0) * np.float32(x) / np.float32(width)
            c_imag = np.float32(-1.5) + np.float32(3.0) * np.float32(y) / np.float32(height)
            z_real = np.float32(0.0)
            z_imag = np.float32(0.0)
            iterations = 0
            while iterations < max_iterations and z_real * z_real + z_imag * z_imag <= 4.0:
                next_real = z_real * z_real - z_imag * z_imag + c_real
                z_imag = np.float32(2.0) * z_real * z_imag + c_imag
                z_real = next_real
                iterations += 1
            out[y, x] = iterations
