// cpp/cpu/cpu_fft_lanes_avx512.cpp
// The FFT lane kernels built for the avx512 level (flags in CMakeLists.txt).
#define DOTCOMPUTE_FFT_KERNEL_TABLE fft_kernels_avx512
#include "cpu_fft_lanes_impl.hpp"
