// cpp/cpu/cpu_fft_lanes_scalar.cpp
// The FFT lane kernels built for the scalar level (flags in CMakeLists.txt).
#define DOTCOMPUTE_FFT_KERNEL_TABLE fft_kernels_scalar
#include "cpu_fft_lanes_impl.hpp"
