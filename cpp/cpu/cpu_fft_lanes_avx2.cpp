// cpp/cpu/cpu_fft_lanes_avx2.cpp
// The FFT lane kernels built for the avx2 level (flags in CMakeLists.txt).
#define DOTCOMPUTE_FFT_KERNEL_TABLE fft_kernels_avx2
#include "cpu_fft_lanes_impl.hpp"
