# bench/peers/warp_kernels.py
# The benchmark kernels for NVIDIA Warp on its CPU device.

import warp as wp

wp.config.quiet = True
wp.init()

F32 = wp.array(dtype=wp.float32)


@wp.kernel
def vector_add(
    a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)
):
    i = wp.tid()
    out[i] = a[i] + b[i]


@wp.kernel
def triad(
    a: wp.array(dtype=wp.float32),
    b: wp.array(dtype=wp.float32),
    c: wp.array(dtype=wp.float32),
    s: wp.float32,
):
    i = wp.tid()
    a[i] = b[i] + s * c[i]


@wp.kernel
def touch(a: F32):
    i = wp.tid()
    a[i] = a[i] + 1.0
