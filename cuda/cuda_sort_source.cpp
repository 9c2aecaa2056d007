// cuda/cuda_sort_source.cpp
// The CUDA C++ of the sort built-in: a stable LSD radix sort, one module per key width and kind.
//
// Note [Radix sort keys]
// The buffers carry the elements' own bits; every pass computes the order-preserving key of the
// bits it reads (sort_key): unsigned values as they are, signed ones with the sign bit flipped,
// floats with the sign bit flipped for positives and every bit flipped for negatives, -0.0 with
// the key of +0.0 and every NaN the largest key. So -0.0 and +0.0 tie and keep their input order,
// as do NaNs, which sort last: numpy's stable order, like the CPU plugin (cpu_sort.cpp). Since
// the bits travel unchanged, the sorted values come out bit for bit (NaN payloads and -0.0
// included) with no inverse map.
//
// Note [Radix sort passes]
// 8-bit digits, least significant first: one pass per key byte. A row is cut into tiles of
// kAlgorithmThreads x ITEMS elements; each pass runs three kernels:
//   dc_sort_count    one block per tile counts its digits (a histogram per warp in shared
//                    memory, so equal digits contend less) into counts[row][digit][tile];
//   dc_sort_offsets  one block per (digit, row) turns that digit's tile counts into exclusive
//                    prefixes in place and writes the digit's total for the row (for short rows
//                    one block per row, a thread per digit);
//   dc_sort_scatter  one block per tile ranks its elements: each warp takes a contiguous run of
//                    the tile, 32 elements at a time, and __match_any_sync finds the lanes with the
//                    same digit, so an element's rank is the count of earlier equal digits in its
//                    warp (a per-warp counter in shared memory carries it across rounds). The block
//                    then adds the counts of earlier warps, the tile's prefix and the digit's start
//                    in the row, and every element goes to that position.
// Tile order, then warp order, then round and lane order is the input order, so every pass is
// stable, and LSD passes of a stable sort give the stable sort. Positions (u32, row-relative) ride
// along when indices are wanted; the last pass writes them as int64. Rows are the grid's y
// dimension: a batch of rows sorts in the same launches as one row, and the digit counts being
// per row make it a segmented sort for free.
#include <string>

#include "cuda_builtin_sources.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cuda {
namespace {

uint64_t round_up(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

const char* unsigned_type(size_t size) {
  switch (size) {
    case 1:
      return "u8";
    case 2:
      return "u16";
    case 4:
      return "u32";
    default:
      return "u64";
  }
}

/// The body of `U sort_key(U bits)` (Note [Radix sort keys]).
std::string key_body(dc_dtype dtype) {
  if (dtype == DC_DTYPE_BOOL || dtype_is_unsigned_integer(dtype)) return "return bits;";
  if (dtype_is_signed_integer(dtype)) return "return (U)(bits ^ SIGN);";
  std::string magnitude, infinity;
  if (dtype == DC_DTYPE_FLOAT16) {
    magnitude = "(U)0x7fffu";
    infinity = "(U)0x7c00u";
  } else if (dtype == DC_DTYPE_FLOAT32) {
    magnitude = "(U)0x7fffffffu";
    infinity = "(U)0x7f800000u";
  } else {
    magnitude = "(U)0x7fffffffffffffffull";
    infinity = "(U)0x7ff0000000000000ull";
  }
  return "const U magnitude = (U)(bits & " + magnitude +
         ");\n"
         "  if (magnitude > " +
         infinity +
         ") return (U)~(U)0;  // every NaN: the largest key\n"
         "  if (magnitude == 0) return SIGN;  // -0.0 and +0.0 tie\n"
         "  return (bits & SIGN) ? (U)~bits : (U)(bits ^ SIGN);";
}

}  // namespace

uint64_t sort_tile_elements(size_t key_size) noexcept {
  // 16 keys per thread up to 4-byte keys, 8 for 8-byte ones: the registers a thread keeps its
  // keys, positions and ranks in between ranking and scattering.
  return kAlgorithmThreads * (key_size <= 4 ? 16 : 8);
}

ScratchLayout sort_scratch_layout(size_t key_size, uint64_t rows, uint64_t count,
                                  bool positions) noexcept {
  ScratchLayout layout;
  const uint64_t tile = sort_tile_elements(key_size);
  const uint64_t tiles = (count + tile - 1) / tile;
  const uint64_t key_bytes = round_up(rows * count * key_size, 256);
  const uint64_t position_bytes = positions ? round_up(rows * count * 4, 256) : 0;
  const uint64_t sizes[6] = {key_bytes,
                             key_bytes,
                             position_bytes,
                             position_bytes,
                             round_up(rows * kAlgorithmThreads * tiles * 4, 256),
                             round_up(rows * kAlgorithmThreads * 4, 256)};
  uint64_t offset = 0;
  for (int part = 0; part < 6; ++part) {
    layout.parts[part] = offset;
    offset += sizes[part];
  }
  layout.bytes = offset;
  return layout;
}

std::string sort_source(dc_dtype dtype) {
  if (!dtype_is_valid(dtype) || dtype_is_complex(dtype)) return "";
  const size_t size = dtype_size(dtype);
  const uint64_t tile = sort_tile_elements(size);
  std::string source = builtin_preamble();
  source += "typedef " + std::string(unsigned_type(size)) + " U;\n";
  source += "#define SIGN ((U)((U)1 << " + std::to_string(size * 8 - 1) + "))\n";
  source += "#define THREADS " + std::to_string(kAlgorithmThreads) + "u\n";
  source += "#define WARPS (THREADS / 32u)\n";
  source += "#define ITEMS " + std::to_string(tile / kAlgorithmThreads) + "u\n";
  source += "#define TILE " + std::to_string(tile) + "u\n";
  source += "#define WARP_SPAN (32u * ITEMS)\n";
  source += "#define SERIAL_OFFSET_TILES " + std::to_string(kSerialOffsetTiles) + "u\n";
  source += "__device__ __forceinline__ U sort_key(U bits) {\n  " + key_body(dtype) + "\n}\n";
  source += R"(
// THREADS is also the number of digit values (8-bit digits).
__device__ __forceinline__ unsigned digit_of(U bits, unsigned shift) {
  return (unsigned)(sort_key(bits) >> shift) & 255u;
}

// counts[(row * 256 + digit) * tiles + tile]: the tile's elements with that digit
// (grid: tiles x rows).
extern "C" __global__ void __launch_bounds__(THREADS)
dc_sort_count(const U* __restrict__ keys, u64 count, u32 tiles, unsigned shift,
              u32* __restrict__ counts) {
  __shared__ u32 histograms[WARPS][256];
  const unsigned warp = threadIdx.x >> 5;
  for (unsigned w = 0; w < WARPS; ++w) histograms[w][threadIdx.x] = 0;
  __syncthreads();
  const u64 first = (u64)blockIdx.x * TILE;
  const U* row = keys + (u64)blockIdx.y * count + first;
  const u64 rest = count - first;
  const unsigned n = rest < TILE ? (unsigned)rest : TILE;
  for (unsigned i = threadIdx.x; i < n; i += THREADS) {
    atomicAdd(&histograms[warp][digit_of(row[i], shift)], 1u);
  }
  __syncthreads();
  u32 total = 0;
  for (unsigned w = 0; w < WARPS; ++w) total += histograms[w][threadIdx.x];
  counts[((u64)blockIdx.y * 256u + threadIdx.x) * tiles + blockIdx.x] = total;
}

__device__ __forceinline__ u32 warp_inclusive_sum(u32 v) {
  const unsigned lane = threadIdx.x & 31u;
  for (unsigned d = 1; d < 32u; d <<= 1) {
    const u32 earlier = __shfl_up_sync(0xffffffffu, v, d);
    if (lane >= d) v += earlier;
  }
  return v;
}

// The exclusive prefix sum of value over the block and the block's total; synchronizes the block.
__device__ u32 block_exclusive_sum(u32 value, u32* total) {
  __shared__ u32 warp_totals[WARPS];
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  const u32 inclusive = warp_inclusive_sum(value);
  if (lane == 31u) warp_totals[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    u32 w = lane < WARPS ? warp_totals[lane] : 0u;
    w = warp_inclusive_sum(w);
    if (lane < WARPS) warp_totals[lane] = w;
  }
  __syncthreads();
  const u32 prefix = warp == 0 ? 0u : warp_totals[warp - 1];
  *total = warp_totals[WARPS - 1];
  __syncthreads();
  return prefix + inclusive - value;
}

// Tile counts to exclusive prefixes, in place, and each digit's total for the row in
// totals[row * 256 + digit]. Two shapes, told apart by gridDim.x (the host picks):
//   256 x rows: block d scans digit d's tiles in parallel (long rows);
//   1 x rows:   thread d scans digit d's tiles alone, for rows of at most SERIAL_OFFSET_TILES
//               tiles, where 256 blocks per row would each find almost nothing to do.
extern "C" __global__ void __launch_bounds__(THREADS)
dc_sort_offsets(u32* counts, u32 tiles, u32* __restrict__ totals) {
  if (gridDim.x == 1) {
    u32* line = counts + ((u64)blockIdx.y * 256u + threadIdx.x) * tiles;
    u32 carry = 0;
    for (u32 t = 0; t < tiles; ++t) {
      const u32 here = line[t];
      line[t] = carry;
      carry += here;
    }
    totals[(u64)blockIdx.y * 256u + threadIdx.x] = carry;
    return;
  }
  u32* line = counts + ((u64)blockIdx.y * 256u + blockIdx.x) * tiles;
  u32 carry = 0;
  for (u32 start = 0; start < tiles; start += THREADS) {
    const u32 i = start + threadIdx.x;
    const u32 value = i < tiles ? line[i] : 0u;
    u32 sum;
    const u32 prefix = block_exclusive_sum(value, &sum);
    if (i < tiles) line[i] = carry + prefix;
    carry += sum;
  }
  if (threadIdx.x == 0) totals[(u64)blockIdx.y * 256u + blockIdx.x] = carry;
}

// One stable pass (grid: tiles x rows): keys_in (and positions_in, or none on the first pass:
// positions are then the element indices) to keys_out and positions_out, or, on the last pass,
// to the caller's values (when not null) and int64 indices (when not null).
extern "C" __global__ void __launch_bounds__(THREADS)
dc_sort_scatter(const U* __restrict__ keys_in, const u32* __restrict__ positions_in,
                U* __restrict__ keys_out, u32* __restrict__ positions_out,
                i64* __restrict__ indices_out, u64 count, u32 tiles, unsigned shift,
                const u32* __restrict__ counts, const u32* __restrict__ totals) {
  __shared__ u32 warp_counts[WARPS][256];
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  for (unsigned w = 0; w < WARPS; ++w) warp_counts[w][threadIdx.x] = 0;
  __syncthreads();

  const u64 row_start = (u64)blockIdx.y * count;
  const u64 first = (u64)blockIdx.x * TILE + (u64)warp * WARP_SPAN;
  const unsigned lanes_below = (1u << lane) - 1u;
  const bool want_positions = positions_out != 0 || indices_out != 0;
  U key[ITEMS];
  u32 position[ITEMS];
  unsigned digit[ITEMS];
  u32 rank[ITEMS];
#pragma unroll
  for (unsigned k = 0; k < ITEMS; ++k) {
    const u64 i = first + k * 32u + lane;
    const bool valid = i < count;
    key[k] = valid ? keys_in[row_start + i] : (U)0;
    position[k] = 0;
    if (valid && want_positions) position[k] = positions_in != 0 ? positions_in[row_start + i] : (u32)i;
    // Lanes past the row's end get distinct non-digits, so they match no lane.
    digit[k] = valid ? digit_of(key[k], shift) : 256u + lane;
    const unsigned peers = __match_any_sync(0xffffffffu, digit[k]);
    rank[k] = 0;
    if (valid) rank[k] = warp_counts[warp][digit[k]] + __popc(peers & lanes_below);
    __syncwarp();
    // The highest lane of each group adds the group to the warp's count of its digit.
    if (valid && (31u - __clz(peers)) == lane) warp_counts[warp][digit[k]] += __popc(peers);
    __syncwarp();
  }
  __syncthreads();

  // Thread d: where digit d of each warp starts in the row (earlier digits of the row, this
  // digit in earlier tiles, then in earlier warps of this tile).
  const unsigned d = threadIdx.x;
  u32 digits_total;
  u32 base = block_exclusive_sum(totals[(u64)blockIdx.y * 256u + d], &digits_total) +
             counts[((u64)blockIdx.y * 256u + d) * tiles + blockIdx.x];
  for (unsigned w = 0; w < WARPS; ++w) {
    const u32 here = warp_counts[w][d];
    warp_counts[w][d] = base;
    base += here;
  }
  __syncthreads();

#pragma unroll
  for (unsigned k = 0; k < ITEMS; ++k) {
    if (digit[k] >= 256u) continue;
    const u64 to = row_start + warp_counts[warp][digit[k]] + rank[k];
    if (keys_out != 0) keys_out[to] = key[k];
    if (positions_out != 0) positions_out[to] = position[k];
    if (indices_out != 0) indices_out[to] = (i64)position[k];
  }
}
)";
  return source;
}

}  // namespace dotcompute::cuda
