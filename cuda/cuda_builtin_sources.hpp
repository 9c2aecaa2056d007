// cuda/cuda_builtin_sources.hpp
// CUDA C++ sources of the scan and sort built-ins, and the layout of their scratch memory.
//
// Everything here is pure host code with no driver dependency, so tools/dump_builtin_sources.cpp
// can print the exact sources the plugin hands to NVRTC (tests compile them with nvcc on machines
// without a GPU) and check the scratch layouts.
#pragma once

#include <cstdint>
#include <string>

#include "dotcompute/backend_abi.h"

namespace dotcompute::cuda {

/// Threads per block of every scan and sort kernel; the sort also uses it as its digit count.
constexpr unsigned int kAlgorithmThreads = 256;
/// A grid's y dimension (one row per y) holds at most this many rows; more go in chunks.
constexpr uint64_t kMaxGridRows = 65535;

/// Typedefs and float16 helpers every built-in kernel starts with (no headers: NVRTC may find
/// none).
const char* builtin_preamble() noexcept;

/// Byte offsets into one scratch allocation; every part starts at a 256-byte boundary.
struct ScratchLayout {
  uint64_t parts[7] = {};  ///< each part's offset
  uint64_t bytes = 0;      ///< the total size
};

// --- cumsum (Note [Reduce-then-scan] in cuda_scan_source.cpp) ---------------------------------

/// Elements one scan block covers for an input of element_size bytes.
uint64_t scan_tile_elements(size_t element_size) noexcept;
/// The source of the dc_cumsum_tiles / dc_cumsum_carry / dc_cumsum_rows kernels for dtype, or ""
/// when the plugin has no scan for it (float16: the core's generated kernels run).
std::string scan_source(dc_dtype dtype);
/// Bytes of one tile sum (the accumulator) for dtype.
size_t scan_accumulator_size(dc_dtype dtype) noexcept;
/// Scratch of a scan of rows x count elements: part 0 the tile sums, rows x tiles accumulators.
ScratchLayout scan_scratch_layout(dc_dtype dtype, uint64_t rows, uint64_t count) noexcept;

// --- sort (Note [Radix sort passes] in cuda_sort_source.cpp) ----------------------------------

/// Sort tiles one block of the histogram kernel counts.
constexpr uint32_t kSortHistogramTiles = 8;

/// Elements one sort block covers for keys of key_size bytes.
uint64_t sort_tile_elements(size_t key_size, bool positions) noexcept;
/// The source of the dc_sort_histogram / dc_sort_pass kernels for dtype, or ""
/// when unsupported (complex). Only a source with positions can produce indices (Note [Sorts
/// without positions]).
std::string sort_source(dc_dtype dtype, bool positions);
/// Scratch of a sort of rows x count keys of key_size bytes: parts 0 and 1 the ping-pong key
/// buffers, 2 and 3 the ping-pong u32 position buffers (empty without positions), 4 the digit
/// counts (rows x passes x 256), 5 the tile counters (rows x passes), 6 the look-back words
/// (rows x tiles x 256 u64). Parts 4 to 6 are cleared, as one range, before each sort.
ScratchLayout sort_scratch_layout(size_t key_size, uint64_t rows, uint64_t count,
                                  bool positions) noexcept;

}  // namespace dotcompute::cuda
