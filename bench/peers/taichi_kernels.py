# bench/peers/taichi_kernels.py
# The benchmark kernels for Taichi on its CPU backend (all cores).

import taichi as ti

ti.init(arch=ti.cpu, log_level=ti.ERROR)

F32_1D = ti.types.ndarray(dtype=ti.f32, ndim=1)


@ti.kernel
def vector_add(a: F32_1D, b: F32_1D, out: F32_1D):
    for i in range(out.shape[0]):
        out[i] = a[i] + b[i]


@ti.kernel
def triad(a: F32_1D, b: F32_1D, c: F32_1D, s: ti.f32):
    for i in range(a.shape[0]):
        a[i] = b[i] + s * c[i]


@ti.kernel
def touch(a: F32_1D):
    for i in range(a.shape[0]):
        a[i] = a[i] + 1.0
