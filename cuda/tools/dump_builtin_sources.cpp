// cuda/tools/dump_builtin_sources.cpp
// Tests only (tests/test_cuda_scan_sort.py): writes the exact CUDA C++ the plugin compiles for
// its scan and sort built-ins, one file per dtype, and checks the host-side scratch layouts, so
// both are verified on machines without a GPU.
//
//   dump_builtin_sources DIR   writes DIR/cumsum_<dtype>.cu, DIR/sort_<dtype>.cu and
//                              DIR/sort_indexed_<dtype>.cu (with positions), prints
//                              "<file> <kernels>" per file, then "layouts ok" or the first
//                              layout mismatch (exit status 1).
#include <cstdio>
#include <fstream>
#include <string>

#include "../cuda_builtin_sources.hpp"
#include "dotcompute/dtype.hpp"

using namespace dotcompute;
using namespace dotcompute::cuda;

namespace {

bool write(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  return static_cast<bool>(file);
}

/// Every part of a layout starts 256-byte aligned, after the end of the one before it.
bool check_sort_layout(size_t key_size, uint64_t rows, uint64_t count, bool positions) {
  const ScratchLayout layout = sort_scratch_layout(key_size, rows, count, positions);
  const uint64_t tile = sort_tile_elements(key_size, positions);
  const uint64_t tiles = (count + tile - 1) / tile;
  const uint64_t sizes[7] = {rows * count * key_size,
                             rows * count * key_size,
                             positions ? rows * count * 4 : 0,
                             positions ? rows * count * 4 : 0,
                             rows * key_size * kAlgorithmThreads * 4,
                             rows * key_size * 4,
                             rows * tiles * kAlgorithmThreads * 8};
  for (int part = 0; part < 7; ++part) {
    const uint64_t end = part == 6 ? layout.bytes : layout.parts[part + 1];
    if (layout.parts[part] % 256 != 0 || end < layout.parts[part] + sizes[part]) {
      std::printf("sort layout: part %d of (%zu, %llu, %llu, %d) is misplaced\n", part, key_size,
                  static_cast<unsigned long long>(rows), static_cast<unsigned long long>(count),
                  positions ? 1 : 0);
      return false;
    }
  }
  return true;
}

bool check_scan_layout(dc_dtype dtype, uint64_t rows, uint64_t count) {
  const ScratchLayout layout = scan_scratch_layout(dtype, rows, count);
  const uint64_t tile = scan_tile_elements(dtype_size(dtype));
  const uint64_t tiles = (count + tile - 1) / tile;
  if (layout.bytes < rows * tiles * scan_accumulator_size(dtype) || layout.bytes % 256 != 0) {
    std::printf("scan layout: (%s, %llu, %llu) is too small\n", dtype_name(dtype),
                static_cast<unsigned long long>(rows), static_cast<unsigned long long>(count));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  for (int code = 0; code < DC_DTYPE_COUNT; ++code) {
    const auto dtype = static_cast<dc_dtype>(code);
    const std::string scan = scan_source(dtype);
    if (!scan.empty()) {
      const std::string path = dir + "/cumsum_" + dtype_name(dtype) + ".cu";
      if (!write(path, scan)) return 1;
      std::printf("%s dc_cumsum_tiles dc_cumsum_carry dc_cumsum_rows\n", path.c_str());
    }
    for (bool positions : {false, true}) {
      const std::string sort = sort_source(dtype, positions);
      if (sort.empty()) continue;
      const std::string path =
          dir + (positions ? "/sort_indexed_" : "/sort_") + dtype_name(dtype) + ".cu";
      if (!write(path, sort)) return 1;
      std::printf("%s dc_sort_histogram dc_sort_pass\n", path.c_str());
    }
  }
  const uint64_t counts[] = {1, 2, 255, 4096, 4097, 100003, uint64_t{1} << 24};
  for (uint64_t count : counts) {
    for (uint64_t rows : {uint64_t{1}, uint64_t{7}, kMaxGridRows}) {
      for (size_t key_size : {size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
        if (!check_sort_layout(key_size, rows, count, true)) return 1;
        if (!check_sort_layout(key_size, rows, count, false)) return 1;
      }
      for (int code = 0; code < DC_DTYPE_COUNT; ++code) {
        if (scan_source(static_cast<dc_dtype>(code)).empty()) continue;
        if (!check_scan_layout(static_cast<dc_dtype>(code), rows, count)) return 1;
      }
    }
  }
  std::printf("layouts ok\n");
  return 0;
}
