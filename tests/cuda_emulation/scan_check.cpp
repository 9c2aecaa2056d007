// tests/cuda_emulation/scan_check.cpp
// Scans random rows with the plugin's cumsum kernels under emulation.hpp, driving them as
// cuda/cuda_scan.cpp does (tile sums, carry, rows), and compares with a sequential sum in a wider
// type. Built by tests/test_cuda_scan_sort.py with KERNEL_SOURCE (the dumped source, PTX helpers
// removed). Prints "ok" or the first mismatch.
#include "emulation.hpp"
// clang-format off
#include KERNEL_SOURCE
// clang-format on

#include <cmath>
#include <complex>
#include <cstdio>
#include <random>
#include <type_traits>

namespace {

/// A random input element: small integers of both signs, floats in [-10, 10), complex pairs.
/// (Templates, so that `if constexpr` discards the branches of the other types.)
template <typename T>
T random_element(std::mt19937_64& random) {
  const uint64_t r = random();
  const double real = static_cast<double>(r % 2000) / 100.0 - 10.0;
  if constexpr (std::is_same_v<T, c64>) {
    return c64{static_cast<float>(real), static_cast<float>(static_cast<double>(r % 77) / 10.0)};
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(real);
  } else {
    return static_cast<T>(static_cast<int64_t>(r % 255) - 127);
  }
}

/// The exact running sum's type and one element in it.
template <typename T>
auto widen(T value) {
  if constexpr (std::is_same_v<T, c64>) {
    return std::complex<double>(value.re, value.im);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(value);
  } else {
    return static_cast<int64_t>(value);
  }
}

template <typename Got, typename Reference>
bool close(Got got, Reference want) {
  if constexpr (std::is_same_v<Got, c64>) {
    return std::abs(std::complex<double>(got.re, got.im) - want) <= 1e-5 * (1 + std::abs(want));
  } else if constexpr (std::is_floating_point_v<Got>) {
    return std::fabs(static_cast<double>(got) - want) <= 1e-6 * (1 + std::fabs(want));
  } else {
    return got == static_cast<Got>(want);
  }
}

bool scan_and_check(uint64_t rows, uint64_t count, std::mt19937_64& random) {
  std::vector<S> input(rows * count);
  for (S& value : input) value = random_element<S>(random);
  const uint64_t tiles = (count + TILE - 1) / TILE;
  std::vector<A> tile_sums(rows * tiles);
  std::vector<O> out(rows * count);
  const auto grid_rows = static_cast<unsigned>(rows);
  const auto blocks = static_cast<unsigned>(tiles);
  const S* in = input.data();
  emulation::launch(dc_cumsum_tiles, blocks, grid_rows, in, u64{count}, u64{tiles},
                    tile_sums.data());
  emulation::launch(dc_cumsum_carry, 1u, grid_rows, tile_sums.data(), u64{tiles});
  emulation::launch(dc_cumsum_rows, blocks, grid_rows, in, out.data(), u64{count}, u64{tiles},
                    static_cast<const A*>(tile_sums.data()));
  for (uint64_t row = 0; row < rows; ++row) {
    decltype(widen(input[0])) sum{};
    for (uint64_t i = 0; i < count; ++i) {
      sum += widen(input[row * count + i]);
      if (!close(out[row * count + i], sum)) {
        std::printf("rows %llu x %llu: row %llu differs at %llu\n",
                    static_cast<unsigned long long>(rows), static_cast<unsigned long long>(count),
                    static_cast<unsigned long long>(row), static_cast<unsigned long long>(i));
        return false;
      }
    }
  }
  return true;
}

}  // namespace

int main() {
  std::mt19937_64 random(20261127);
  const uint64_t shapes[][2] = {{1, 1}, {1, 2 * TILE + 5}, {3, 1000}};
  for (const auto& shape : shapes) {
    if (!scan_and_check(shape[0], shape[1], random)) return 1;
  }
  std::printf("ok\n");
  return 0;
}
