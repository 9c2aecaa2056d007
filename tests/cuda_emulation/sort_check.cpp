// tests/cuda_emulation/sort_check.cpp
// Sorts random rows with the plugin's radix sort kernels under emulation.hpp, driving them as
// cuda/cuda_sort.cpp does (a histogram kernel, then one kernel per key byte, ping-pong buffers),
// and compares values and int64 indices with std::stable_sort in numpy's order. Built by
// tests/test_cuda_scan_sort.py with KERNEL_SOURCE (the dumped source, PTX helpers removed) and
// ELEMENT (the host type of the dtype). Prints "ok" or the first mismatch.
// (Sources with POSITIONS 0 are checked for values only.)
#include "emulation.hpp"
// clang-format off
#include KERNEL_SOURCE
// clang-format on

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <type_traits>

namespace {

using Element = ELEMENT;
static_assert(sizeof(Element) == sizeof(U), "ELEMENT has the key's width");

/// numpy's order: NaN last, -0.0 equal to 0.0 (the comparison does that by itself).
bool numpy_less(Element a, Element b) {
  if constexpr (std::is_floating_point_v<Element>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

U random_bits(std::mt19937_64& random) {
  const uint64_t r = random();
  Element value;
  if constexpr (std::is_floating_point_v<Element>) {
    value = static_cast<Element>(static_cast<double>(r % 2000) / 100.0 - 10.0);
    if (r % 13 == 0) value = -0.0;
    if (r % 17 == 0) value = 0.0;
    if (r % 19 == 0) value = std::nan("");
    if (r % 23 == 0) value = -std::nan("");
    if (r % 29 == 0) value = INFINITY;
    if (r % 31 == 0) value = -INFINITY;
  } else {
    value = static_cast<Element>(r % 3 == 0 ? r : r % 37);  // full range, and many ties
  }
  U bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

bool sort_and_check(uint64_t rows, uint64_t count, bool want_values, bool want_indices,
                    std::mt19937_64& random) {
  std::vector<U> input(rows * count);
  for (U& bits : input) bits = random_bits(random);
  const auto tiles = static_cast<u32>((count + TILE - 1) / TILE);
  std::vector<U> keys[2] = {std::vector<U>(input.size()), std::vector<U>(input.size())};
  std::vector<u32> positions[2] = {std::vector<u32>(input.size()), std::vector<u32>(input.size())};
  // Zeroed once per sort, as cuda_sort.cpp clears them.
  std::vector<u32> histogram(rows * PASSES * 256), tile_counters(rows * PASSES);
  std::vector<u64> status(rows * tiles * 256);
  std::vector<U> values(input.size());
  std::vector<i64> indices(input.size(), -1);
  const auto grid_rows = static_cast<unsigned>(rows);
  emulation::launch(dc_sort_histogram, (tiles + HISTOGRAM_TILES - 1) / HISTOGRAM_TILES, grid_rows,
                    static_cast<const U*>(input.data()), u64{count}, histogram.data());
  for (unsigned pass = 0; pass < PASSES; ++pass) {
    const bool first = pass == 0, last = pass == PASSES - 1;
    const U* keys_in = first ? input.data() : keys[(pass - 1) % 2].data();
    const u32* positions_in = first || !want_indices ? nullptr : positions[(pass - 1) % 2].data();
    U* keys_out = last ? (want_values ? values.data() : nullptr) : keys[pass % 2].data();
    u32* positions_out = last || !want_indices ? nullptr : positions[pass % 2].data();
    i64* indices_out = last && want_indices ? indices.data() : nullptr;
    emulation::launch(dc_sort_pass, tiles, grid_rows, keys_in, positions_in, keys_out,
                      positions_out, indices_out, u64{count}, tiles, pass,
                      static_cast<const u32*>(histogram.data()), tile_counters.data(),
                      status.data());
  }
  for (uint64_t row = 0; row < rows; ++row) {
    const U* bits = input.data() + row * count;
    std::vector<i64> order(count);
    for (uint64_t i = 0; i < count; ++i) order[i] = static_cast<i64>(i);
    std::stable_sort(order.begin(), order.end(), [&](i64 a, i64 b) {
      Element x, y;
      std::memcpy(&x, &bits[a], sizeof(x));
      std::memcpy(&y, &bits[b], sizeof(y));
      return numpy_less(x, y);
    });
    for (uint64_t i = 0; i < count; ++i) {
      const bool index_wrong = want_indices && indices[row * count + i] != order[i];
      const bool value_wrong = want_values && values[row * count + i] != bits[order[i]];
      if (index_wrong || value_wrong) {
        std::printf("rows %llu x %llu (values %d, indices %d): row %llu differs at %llu\n",
                    static_cast<unsigned long long>(rows), static_cast<unsigned long long>(count),
                    want_values ? 1 : 0, want_indices ? 1 : 0, static_cast<unsigned long long>(row),
                    static_cast<unsigned long long>(i));
        return false;
      }
    }
  }
  return true;
}

}  // namespace

int main() {
  std::mt19937_64 random(20261127);
  // One element, a partial tile, two rows of a full tile plus a few (the tile boundary), and a row
  // of several tiles (look-back over aggregates and prefixes).
  const uint64_t shapes[][2] = {{1, 1}, {1, 1000}, {2, TILE + 3}, {1, TILE * 5 + 17}};
  // A source without positions (POSITIONS 0) sorts values only.
  for (const auto& shape : shapes) {
    if (!sort_and_check(shape[0], shape[1], true, POSITIONS != 0, random)) return 1;
  }
  if (POSITIONS != 0) {
    if (!sort_and_check(1, 777, true, false, random)) return 1;
    if (!sort_and_check(1, 777, false, true, random)) return 1;
  }
  std::printf("ok\n");
  return 0;
}
