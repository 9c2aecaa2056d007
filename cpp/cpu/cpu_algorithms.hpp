// cpp/cpu/cpu_algorithms.hpp
// The CPU plugin's algorithm slots of dc_ops_iface (ABI 1.2), one file each.
#pragma once

#include "dotcompute/backend_abi.h"

namespace dotcompute::cpu {

// cpu_matmul.cpp
dc_status matmul(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view a,
                 dc_buffer_view b, dc_buffer_view out, uint64_t batch, uint64_t m, uint64_t n,
                 uint64_t k);
// cpu_fft.cpp
dc_status fft(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
              dc_buffer_view out, uint64_t batch, uint64_t n, int32_t inverse);
// cpu_reduce_axis.cpp
dc_status reduce_axis(int32_t device, dc_stream stream, dc_reduce_op op, dc_dtype dtype,
                      dc_buffer_view input, uint64_t outer, uint64_t length, uint64_t inner,
                      dc_buffer_view out);
// cpu_scan.cpp
dc_status cumsum(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
                 dc_buffer_view out, uint64_t batch, uint64_t count);
// cpu_sort.cpp
dc_status sort(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
               dc_buffer_view out_values, dc_buffer_view out_indices, uint64_t batch,
               uint64_t count);

}  // namespace dotcompute::cpu
