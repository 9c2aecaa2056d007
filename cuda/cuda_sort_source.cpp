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
// 8-bit digits, least significant first: one pass per key byte (PASSES). A row is cut into
// tiles of kAlgorithmThreads x ITEMS elements. One kernel counts the digits of every pass at
// once, then each pass is one kernel:
//   dc_sort_histogram  reads the keys once and adds each tile's counts of every pass's digits
//                      to histogram[row][pass][digit] (the row's digit totals do not depend on
//                      the order the passes leave the keys in);
//   dc_sort_pass       one block per tile ranks its elements: each warp takes a contiguous run
//                      of the tile, 32 elements at a time, and ballots find the lanes with the
//                      same digit, so an element's rank is the count of earlier equal digits in
//                      its warp (a per-warp counter in shared memory, advanced by one atomic per
//                      group of equal digits, carries it across rounds). The block then learns
//                      how many of each digit the earlier tiles hold (Note [Decoupled
//                      look-back]), places its elements in shared memory in digit order and
//                      writes them out from there (Note [Coalesced scatter]).
// Tile order, then warp order, then round and lane order is the input order, so every pass is
// stable, and LSD passes of a stable sort give the stable sort. Positions (u32, row-relative) ride
// along when indices are wanted; the last pass writes them as int64. Rows are the grid's y
// dimension: a batch of rows sorts in the same launches as one row, and the counts being per row
// make it a segmented sort for free.
//
// Note [Decoupled look-back]
// A tile's elements of digit d go after the row's smaller digits (the histogram's exclusive sum)
// and after the digit-d elements of the earlier tiles. Instead of a counting kernel and a scan
// between passes, each tile publishes its per-digit counts in status[row][tile][digit] as soon as
// it has ranked its elements (an "aggregate"), then thread d walks back over the earlier tiles,
// adding aggregates until it meets an "inclusive prefix" (a tile that already knows everything
// before it), and publishes its own inclusive prefix. A status word is (epoch << 32) | count with
// epoch 2 * pass + 1 for an aggregate and 2 * pass + 2 for a prefix, so a word left by an earlier
// pass reads as not yet published and the host clears the words once per sort, not per pass.
// Tiles take their index from a per-(row, pass) counter in the order blocks start, not from
// blockIdx, so every tile a block waits for belongs to a block that already runs or has finished:
// the wait cannot deadlock, whatever order the hardware schedules blocks in.
//
// Note [Coalesced scatter]
// Writing each element straight from its ranking thread to its row position sends the 32 lanes
// of a warp to about 32 different digits' runs: 32 separate 4-byte writes per instruction, and
// the pass ran at a fraction of the memory bandwidth. So the pass first places the tile's keys
// (and positions, and digits) in shared memory in digit order, then thread t writes staged
// elements t, t + THREADS, ...: a digit's run in the tile (about TILE / 256 elements) is
// contiguous both in shared memory and in the row, at the row position of the element minus the
// same per-digit distance (tile_to_row), so consecutive threads write consecutive addresses.
//
// Note [Sorts without positions]
// A sort that wants no indices compiles its module with POSITIONS 0: the pass then keeps no
// position registers and no staged positions in shared memory, which lets more blocks share an
// SM. The host builds the POSITIONS 1 module (its own cache entry) only for argsort.
//
// Note [Sort kernel loads]
// The kernels first load all ITEMS keys of a thread into registers and only then work on them.
// Loads issued in the same loop as shared-memory atomics, ballots or barriers wait for each other
// one by one (the compiler may not move a load across a warp synchronization), which left the
// passes waiting on memory latency rather than bandwidth.
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

uint64_t sort_tile_elements(size_t key_size, bool positions) noexcept {
  // 16 keys per thread up to 4-byte keys: the registers a thread keeps its keys, positions and
  // ranks in between ranking and scattering (for float32 on an H100, 16 ran faster than 8, 12,
  // 20 or 24). 8-byte keys take 12 without positions (16M float64 on an H100: 1.32 ms with 12,
  // 1.33 with 16, 1.48 with 8; CuPy 1.32-1.35) and 8 with them, which keeps the staged tile and
  // its positions within the 48 KB of static shared memory a block may have.
  if (key_size <= 4) return kAlgorithmThreads * 16;
  return kAlgorithmThreads * (positions ? 8 : 12);
}

ScratchLayout sort_scratch_layout(size_t key_size, uint64_t rows, uint64_t count,
                                  bool positions) noexcept {
  ScratchLayout layout;
  const uint64_t tile = sort_tile_elements(key_size, positions);
  const uint64_t tiles = (count + tile - 1) / tile;
  const uint64_t passes = key_size;
  const uint64_t key_bytes = round_up(rows * count * key_size, 256);
  const uint64_t position_bytes = positions ? round_up(rows * count * 4, 256) : 0;
  const uint64_t sizes[7] = {key_bytes,
                             key_bytes,
                             position_bytes,
                             position_bytes,
                             round_up(rows * passes * kAlgorithmThreads * 4, 256),
                             round_up(rows * passes * 4, 256),
                             round_up(rows * tiles * kAlgorithmThreads * 8, 256)};
  uint64_t offset = 0;
  for (int part = 0; part < 7; ++part) {
    layout.parts[part] = offset;
    offset += sizes[part];
  }
  layout.bytes = offset;
  return layout;
}

std::string sort_source(dc_dtype dtype, bool positions) {
  if (!dtype_is_valid(dtype) || dtype_is_complex(dtype)) return "";
  const size_t size = dtype_size(dtype);
  const uint64_t tile = sort_tile_elements(size, positions);
  std::string source = builtin_preamble();
  source += "typedef " + std::string(unsigned_type(size)) + " U;\n";
  source += "#define SIGN ((U)((U)1 << " + std::to_string(size * 8 - 1) + "))\n";
  source += "#define THREADS " + std::to_string(kAlgorithmThreads) + "u\n";
  source += "#define WARPS (THREADS / 32u)\n";
  source += "#define ITEMS " + std::to_string(tile / kAlgorithmThreads) + "u\n";
  source += "#define TILE " + std::to_string(tile) + "u\n";
  source += "#define WARP_SPAN (32u * ITEMS)\n";
  source += "#define PASSES " + std::to_string(size) + "u\n";
  source += "#define HISTOGRAM_TILES " + std::to_string(kSortHistogramTiles) + "u\n";
  // As many shared histogram copies as fit 32 KiB, at most one per warp.
  source += "#define HISTOGRAM_COPIES " + std::to_string(size <= 4 ? 8 : 4) + "u\n";
  // Earlier tiles' words read at once in the look-back: 4 ran faster than 1, 2, 8 or 16 (float32,
  // H100); wider windows cost registers and memory traffic on every walk.
  source += "#define LOOKBACK_WINDOW 4u\n";
  // Note [Sorts without positions]
  source += std::string("#define POSITIONS ") + (positions ? "1" : "0") + "\n";
  source += "__device__ __forceinline__ U sort_key(U bits) {\n  " + key_body(dtype) + "\n}\n";
  source += R"(
// THREADS is also the number of digit values (8-bit digits).
__device__ __forceinline__ unsigned digit_of(U bits, unsigned shift) {
  return (unsigned)(sort_key(bits) >> shift) & 255u;
}

// histogram[(row * PASSES + pass) * 256 + digit]: the row's elements whose digit of that pass is
// digit (grid: ceil(tiles / HISTOGRAM_TILES) x rows; the host zeroes it first). Each block counts
// HISTOGRAM_TILES tiles into HISTOGRAM_COPIES shared histograms (warps share a copy only when
// they are HISTOGRAM_COPIES apart, so equal digits contend less), then adds them to the row's.
extern "C" __global__ void __launch_bounds__(THREADS)
dc_sort_histogram(const U* __restrict__ keys, u64 count, u32* __restrict__ histogram) {
  __shared__ u32 counts[HISTOGRAM_COPIES][PASSES][256];
  for (unsigned copy = 0; copy < HISTOGRAM_COPIES; ++copy) {
    for (unsigned pass = 0; pass < PASSES; ++pass) counts[copy][pass][threadIdx.x] = 0;
  }
  __syncthreads();
  const unsigned copy = (threadIdx.x >> 5) % HISTOGRAM_COPIES;
  const U* row = keys + (u64)blockIdx.y * count;
  for (unsigned part = 0; part < HISTOGRAM_TILES; ++part) {
    const u64 first = ((u64)blockIdx.x * HISTOGRAM_TILES + part) * TILE;
    if (first >= count) break;
    const u64 rest = count - first;
    const unsigned n = rest < TILE ? (unsigned)rest : TILE;
    // Every load of the thread is in flight before the first count (Note [Sort kernel loads]).
    U key[ITEMS];
#pragma unroll
    for (unsigned k = 0; k < ITEMS; ++k) {
      const unsigned i = k * THREADS + threadIdx.x;
      key[k] = i < n ? row[first + i] : (U)0;
    }
#pragma unroll
    for (unsigned k = 0; k < ITEMS; ++k) {
      if (k * THREADS + threadIdx.x >= n) continue;
      const U sortable = sort_key(key[k]);
#pragma unroll
      for (unsigned pass = 0; pass < PASSES; ++pass) {
        atomicAdd(&counts[copy][pass][(unsigned)(sortable >> (8u * pass)) & 255u], 1u);
      }
    }
  }
  __syncthreads();
  for (unsigned pass = 0; pass < PASSES; ++pass) {
    u32 here = 0;
    for (unsigned c = 0; c < HISTOGRAM_COPIES; ++c) here += counts[c][pass][threadIdx.x];
    if (here != 0) {
      atomicAdd(&histogram[((u64)blockIdx.y * PASSES + pass) * 256u + threadIdx.x], here);
    }
  }
}

// The lanes of the warp whose digit equals this lane's: eight ballots, one per bit, which issue
// faster than __match_any_sync.
__device__ __forceinline__ unsigned lanes_with_same(unsigned digit) {
  unsigned peers = 0xffffffffu;
#pragma unroll
  for (unsigned bit = 0; bit < 8u; ++bit) {
    const unsigned set = (digit >> bit) & 1u;
    const unsigned votes = __ballot_sync(0xffffffffu, set);
    peers &= set ? votes : ~votes;
  }
  return peers;
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

// Note [Decoupled look-back]: publishes this tile's count of digit d (the calling thread's),
// as its inclusive prefix for the row's first tile and as an aggregate for the others.
__device__ void publish_count(volatile u64* status, u32 tile, unsigned pass, u32 in_tile) {
  const u64 epoch = tile == 0 ? 2ull * pass + 2ull : 2ull * pass + 1ull;
  status[(u64)tile * 256u + threadIdx.x] = (epoch << 32) | in_tile;
}

// The digit-d elements of the row's tiles before tile, found by walking back over the earlier
// tiles' words, and this tile's inclusive prefix published. The words of LOOKBACK_WINDOW earlier
// tiles are requested at once, so a walk past tiles that have only their aggregate costs one
// memory round trip per window rather than per tile.
__device__ u32 elements_before(volatile u64* status, u32 tile, unsigned pass, u32 in_tile) {
  if (tile == 0) return 0;
  const u64 aggregate = 2ull * pass + 1ull, prefix = aggregate + 1ull;
  u32 before = 0;
  // Tiles [0, unread) are still to add; tile 0 always ends the walk with its prefix.
  for (u32 unread = tile;; unread -= LOOKBACK_WINDOW) {
    u64 words[LOOKBACK_WINDOW];
#pragma unroll
    for (unsigned w = 0; w < LOOKBACK_WINDOW; ++w) {
      words[w] = w < unread ? status[(u64)(unread - 1u - w) * 256u + threadIdx.x] : 0ull;
    }
#pragma unroll
    for (unsigned w = 0; w < LOOKBACK_WINDOW; ++w) {
      u64 word = words[w];
      while ((word >> 32) < aggregate) {  // not published yet in this pass
        word = status[(u64)(unread - 1u - w) * 256u + threadIdx.x];
      }
      before += (u32)word;
      if ((word >> 32) == prefix) {
        status[(u64)tile * 256u + threadIdx.x] = (prefix << 32) | (before + in_tile);
        return before;
      }
    }
  }
}

// One stable pass (grid: tiles x rows): keys_in (and positions_in, or none on the first pass:
// positions are then the element indices) to keys_out and positions_out, or, on the last pass,
// to the caller's values (when not null) and int64 indices (when not null). tile_counters has
// PASSES counters per row and status rows x tiles x 256 words, zeroed by the host before the
// first pass.
// Without positions the registers are capped so that four blocks share an SM (measured faster
// than the compiler's own choice of three).
extern "C" __global__ void __launch_bounds__(THREADS, POSITIONS ? 1 : 4)
dc_sort_pass(const U* __restrict__ keys_in, const u32* __restrict__ positions_in,
             U* __restrict__ keys_out, u32* __restrict__ positions_out,
             i64* __restrict__ indices_out, u64 count, u32 tiles, unsigned pass,
             const u32* __restrict__ histogram, u32* __restrict__ tile_counters, u64* status) {
  __shared__ u32 warp_counts[WARPS][256];
  __shared__ u32 tile_to_row[256];  // per digit: row position minus tile position
  __shared__ u32 claimed_tile;
  __shared__ U staged_keys[TILE];
  __shared__ u8 staged_digits[TILE];
  __shared__ u32 staged_positions[POSITIONS ? TILE : 1u];
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  const unsigned shift = 8u * pass;
  for (unsigned w = 0; w < WARPS; ++w) warp_counts[w][threadIdx.x] = 0;
  if (threadIdx.x == 0) {
    claimed_tile = atomicAdd(&tile_counters[(u64)blockIdx.y * PASSES + pass], 1u);
  }
  __syncthreads();
  const u32 tile = claimed_tile;

  const u64 row_start = (u64)blockIdx.y * count;
  const u64 tile_first = (u64)tile * TILE;
  const u64 first = tile_first + (u64)warp * WARP_SPAN;
  const bool full_tile = tile_first + TILE <= count;
  const bool want_positions = POSITIONS && (positions_out != 0 || indices_out != 0);
  // Every load of the thread is in flight before the first ranking (Note [Sort kernel loads]).
  U key[ITEMS];
  u32 position[ITEMS];
#pragma unroll
  for (unsigned k = 0; k < ITEMS; ++k) {
    const u64 i = first + k * 32u + lane;
    const bool valid = i < count;
    key[k] = valid ? keys_in[row_start + i] : (U)0;
    position[k] = 0;
    if (valid && want_positions) position[k] = positions_in != 0 ? positions_in[row_start + i] : (u32)i;
  }

  // An element's rank among the equal digits of its warp: the group's base, which the group's
  // highest lane takes from the warp's counter of the digit with one shared atomic (atomics on
  // one address are ordered, and the ballots of the next round wait for this one, so no
  // __syncwarp is needed), plus the equal lanes below it. In the row's last, partial tile the
  // lanes past its end take part in the ballots but match no lane.
  const unsigned lanes_below = (1u << lane) - 1u;
  u32 ranked[ITEMS];  // (rank among the warp's equal digits << 8) | digit
#pragma unroll
  for (unsigned k = 0; k < ITEMS; ++k) {
    const bool valid = full_tile || first + k * 32u + lane < count;
    const unsigned digit = digit_of(key[k], shift);
    unsigned peers = lanes_with_same(digit);
    if (!full_tile) peers &= __ballot_sync(0xffffffffu, valid);
    const unsigned leader = 31u - __clz(peers | 1u);
    u32 base = 0;
    if (valid && leader == lane) base = atomicAdd(&warp_counts[warp][digit], (u32)__popc(peers));
    base = __shfl_sync(0xffffffffu, base, leader);
    ranked[k] = valid ? (((base + __popc(peers & lanes_below)) << 8) | digit) : 0xffffffffu;
  }
  __syncthreads();

  // Thread d: where digit d of each warp starts in the tile (the tile's smaller digits, then this
  // digit in earlier warps), and how far the digit's run in the tile is from its run in the row
  // (the row's smaller digits plus this digit in earlier tiles).
  const unsigned d = threadIdx.x;
  u32 in_tile = 0;
  for (unsigned w = 0; w < WARPS; ++w) {
    const u32 here = warp_counts[w][d];
    warp_counts[w][d] = in_tile;
    in_tile += here;
  }
  // The count goes out first and the walk back comes after the staging, so that the earlier
  // tiles have had the most time to publish (Note [Decoupled look-back]).
  volatile u64* row_status = status + (u64)blockIdx.y * tiles * 256u;
  publish_count(row_status, tile, pass, in_tile);
  u32 sum;
  const u32 tile_start = block_exclusive_sum(in_tile, &sum);
  const u32 row_digit_start =
      block_exclusive_sum(histogram[((u64)blockIdx.y * PASSES + pass) * 256u + d], &sum);
  for (unsigned w = 0; w < WARPS; ++w) warp_counts[w][d] += tile_start;
  __syncthreads();

#pragma unroll
  for (unsigned k = 0; k < ITEMS; ++k) {
    if (ranked[k] == 0xffffffffu) continue;
    const unsigned digit = ranked[k] & 255u;
    const u32 at = warp_counts[warp][digit] + (ranked[k] >> 8);
    staged_keys[at] = key[k];
    staged_digits[at] = (u8)digit;
    if (want_positions) staged_positions[at] = position[k];
  }
  tile_to_row[d] = row_digit_start + elements_before(row_status, tile, pass, in_tile) - tile_start;
  __syncthreads();

  const u64 rest = count - tile_first;
  const unsigned n = rest < TILE ? (unsigned)rest : TILE;
  for (unsigned at = threadIdx.x; at < n; at += THREADS) {
    const u64 to = row_start + tile_to_row[staged_digits[at]] + at;
    if (keys_out != 0) keys_out[to] = staged_keys[at];
    if (want_positions && positions_out != 0) positions_out[to] = staged_positions[at];
    if (want_positions && indices_out != 0) indices_out[to] = (i64)staged_positions[at];
  }
}
)";
  return source;
}

}  // namespace dotcompute::cuda
