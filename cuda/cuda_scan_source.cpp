// cuda/cuda_scan_source.cpp
// The CUDA C++ of the cumsum built-in, one module per dtype.
//
// Note [Reduce-then-scan]
// A row is cut into tiles of kAlgorithmThreads x ITEMS elements and scanned in three kernels:
//   dc_cumsum_tiles  one block per tile sums it (the accumulator type, below) into tile_sums;
//   dc_cumsum_carry  one block per row turns its tile sums into exclusive prefixes in place;
//   dc_cumsum_rows   one block per tile loads the tile through shared memory (coalesced), each
//                    thread scans its ITEMS consecutive elements, a block-wide scan of the thread
//                    totals gives every thread its offset, and the tile's prefix is added.
// The input is read twice and the output written once: 3 n element accesses against 2 n for a
// single-pass scan, for kernels with no inter-block waiting (a decoupled look-back would need
// forward-progress assumptions this plugin does not make). Rows are the grid's y dimension, so a
// batch of short rows runs in the same three launches as one long row.
//
// Accumulators: integers add in u64 (results are int64 / uint64 as reduce's sum, wrapping like
// numpy), float32 in double and complex64 in complex128, rounded once per output element; so
// float results are at least as accurate as numpy's sequential float32 sum. float64 and
// complex128 add in their own type: sequentially within a thread's ITEMS, as a tree of thread and
// tile totals above that (error grows with log n of the tree, not n).
#include <string>

#include "cuda_builtin_sources.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cuda {
namespace {

/// The pieces of one dtype's scan: S the input element, A the accumulator, O the output.
struct ScanSpec {
  std::string S, A, O;
  std::string load;   ///< an expression of `v` (an S) giving an A
  std::string store;  ///< an expression of `a` (an A) giving an O
  std::string add;    ///< an expression of `a` and `b` (both A)
  std::string zero;   ///< an A of value zero
  std::string shfl;   ///< the body of `A shfl_up(A v, unsigned d)`
};

const char* const kScalarShuffle = "return __shfl_up_sync(0xffffffffu, v, d);";
const char* const kComplexShuffle =
    "return c128{__shfl_up_sync(0xffffffffu, v.re, d), __shfl_up_sync(0xffffffffu, v.im, d)};";

bool scan_spec(dc_dtype dtype, ScanSpec* spec) {
  const std::string complex_add = "c128{a.re + b.re, a.im + b.im}";
  switch (dtype) {
    case DC_DTYPE_BOOL:
      *spec = {"u8", "u64", "u64", "(u64)(v != 0)", "a", "a + b", "0ull", kScalarShuffle};
      return true;
    case DC_DTYPE_INT8:
    case DC_DTYPE_INT16:
    case DC_DTYPE_INT32:
    case DC_DTYPE_INT64: {
      const char* storage = dtype == DC_DTYPE_INT8    ? "i8"
                            : dtype == DC_DTYPE_INT16 ? "i16"
                            : dtype == DC_DTYPE_INT32 ? "i32"
                                                      : "i64";
      *spec = {storage, "u64", "u64", "(u64)(i64)v", "a", "a + b", "0ull", kScalarShuffle};
      return true;
    }
    case DC_DTYPE_UINT8:
    case DC_DTYPE_UINT16:
    case DC_DTYPE_UINT32:
    case DC_DTYPE_UINT64: {
      const char* storage = dtype == DC_DTYPE_UINT8    ? "u8"
                            : dtype == DC_DTYPE_UINT16 ? "u16"
                            : dtype == DC_DTYPE_UINT32 ? "u32"
                                                       : "u64";
      *spec = {storage, "u64", "u64", "(u64)v", "a", "a + b", "0ull", kScalarShuffle};
      return true;
    }
    case DC_DTYPE_FLOAT32:
      *spec = {"float", "double", "float", "(double)v", "(float)a", "a + b", "0.0", kScalarShuffle};
      return true;
    case DC_DTYPE_FLOAT64:
      *spec = {"double", "double", "double", "v", "a", "a + b", "0.0", kScalarShuffle};
      return true;
    case DC_DTYPE_COMPLEX64:
      *spec = {"c64",
               "c128",
               "c64",
               "c128{(double)v.re, (double)v.im}",
               "c64{(float)a.re, (float)a.im}",
               complex_add,
               "c128{0.0, 0.0}",
               kComplexShuffle};
      return true;
    case DC_DTYPE_COMPLEX128:
      *spec = {"c128", "c128", "c128", "v", "a", complex_add, "c128{0.0, 0.0}", kComplexShuffle};
      return true;
    default:
      return false;  // float16: the core's generated kernels
  }
}

/// Bytes of the output element of dtype's cumsum (reduce's sum dtype).
size_t output_size(dc_dtype dtype) {
  if (dtype == DC_DTYPE_BOOL || dtype_is_integer(dtype)) return 8;
  return dtype_size(dtype);
}

uint64_t round_up(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

}  // namespace

uint64_t scan_tile_elements(size_t element_size) noexcept {
  // 16 items per thread for elements up to 4 bytes, 8 for 8, 4 for 16: the shared staging
  // buffer (the larger of a tile of inputs and of outputs) stays at most 32 KiB.
  const uint64_t items = element_size <= 4 ? 16 : 64 / element_size;
  return kAlgorithmThreads * items;
}

size_t scan_accumulator_size(dc_dtype dtype) noexcept { return dtype_is_complex(dtype) ? 16 : 8; }

ScratchLayout scan_scratch_layout(dc_dtype dtype, uint64_t rows, uint64_t count) noexcept {
  ScratchLayout layout;
  const uint64_t tile = scan_tile_elements(dtype_size(dtype));
  const uint64_t tiles = (count + tile - 1) / tile;
  layout.bytes = round_up(rows * tiles * scan_accumulator_size(dtype), 256);
  return layout;
}

std::string scan_source(dc_dtype dtype) {
  ScanSpec spec;
  if (!dtype_is_valid(dtype) || !scan_spec(dtype, &spec)) return "";
  const size_t in_size = dtype_size(dtype), out_size = output_size(dtype);
  const uint64_t tile = scan_tile_elements(in_size);
  // One padding element per 32 (PAD below) keeps the blocked reads conflict-free.
  const uint64_t stage = (tile + tile / 32) * (in_size > out_size ? in_size : out_size);
  std::string source = builtin_preamble();
  source += "typedef " + spec.S + " S;\ntypedef " + spec.A + " A;\ntypedef " + spec.O + " O;\n";
  source += "#define THREADS " + std::to_string(kAlgorithmThreads) + "u\n";
  source += "#define ITEMS " + std::to_string(tile / kAlgorithmThreads) + "u\n";
  source += "#define TILE " + std::to_string(tile) + "u\n";
  source += "#define STAGE_BYTES " + std::to_string(stage) + "u\n";
  source += "#define PAD(i) ((i) + ((i) >> 5))\n";
  source += "__device__ __forceinline__ A load(S v) { return " + spec.load + "; }\n";
  source += "__device__ __forceinline__ O store(A a) { return " + spec.store + "; }\n";
  source += "__device__ __forceinline__ A add(A a, A b) { return " + spec.add + "; }\n";
  source += "__device__ __forceinline__ A zero() { return " + spec.zero + "; }\n";
  source += "__device__ __forceinline__ A shfl_up(A v, unsigned d) { " + spec.shfl + " }\n";
  source += R"(
__device__ __forceinline__ A warp_inclusive_scan(A v) {
  const unsigned lane = threadIdx.x & 31u;
  for (unsigned d = 1; d < 32u; d <<= 1) {
    const A earlier = shfl_up(v, d);
    if (lane >= d) v = add(earlier, v);
  }
  return v;
}

// The exclusive prefix of every thread's value over the block, and the block's total. Every
// thread of the block must call it; it synchronizes the block (callers rely on that).
__device__ A block_exclusive_scan(A value, A* total) {
  __shared__ A warp_totals[THREADS / 32u];
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  const A inclusive = warp_inclusive_scan(value);
  A exclusive = shfl_up(inclusive, 1u);
  if (lane == 0) exclusive = zero();
  if (lane == 31u) warp_totals[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    A w = lane < THREADS / 32u ? warp_totals[lane] : zero();
    w = warp_inclusive_scan(w);
    if (lane < THREADS / 32u) warp_totals[lane] = w;
  }
  __syncthreads();
  const A prefix = warp == 0 ? zero() : warp_totals[warp - 1];
  *total = warp_totals[THREADS / 32u - 1];
  __syncthreads();  // warp_totals is free again when this returns
  return add(prefix, exclusive);
}

// tile_sums[row * tiles + tile]: the sum of one tile (grid: tiles x rows).
extern "C" __global__ void __launch_bounds__(THREADS)
dc_cumsum_tiles(const S* __restrict__ in, u64 count, u64 tiles, A* __restrict__ tile_sums) {
  const u64 first = (u64)blockIdx.x * TILE;
  const S* row = in + (u64)blockIdx.y * count + first;
  const u64 rest = count - first;
  const unsigned n = rest < TILE ? (unsigned)rest : TILE;
  A sum = zero();
  for (unsigned i = threadIdx.x; i < n; i += THREADS) sum = add(sum, load(row[i]));
  A total;
  block_exclusive_scan(sum, &total);
  if (threadIdx.x == 0) tile_sums[(u64)blockIdx.y * tiles + blockIdx.x] = total;
}

// Tile sums to exclusive tile prefixes, in place, one block per row (grid: 1 x rows). Each
// thread takes CARRY_ITEMS consecutive sums per round.
#define CARRY_ITEMS 8u
extern "C" __global__ void __launch_bounds__(THREADS) dc_cumsum_carry(A* tile_sums, u64 tiles) {
  A* sums = tile_sums + (u64)blockIdx.y * tiles;
  A carry = zero();
  for (u64 start = 0; start < tiles; start += THREADS * CARRY_ITEMS) {
    const u64 mine = start + (u64)threadIdx.x * CARRY_ITEMS;
    A values[CARRY_ITEMS];
    A local = zero();
#pragma unroll
    for (unsigned k = 0; k < CARRY_ITEMS; ++k) {
      values[k] = mine + k < tiles ? sums[mine + k] : zero();
      local = add(local, values[k]);
    }
    A total;
    A running = add(carry, block_exclusive_scan(local, &total));
#pragma unroll
    for (unsigned k = 0; k < CARRY_ITEMS; ++k) {
      if (mine + k < tiles) sums[mine + k] = running;
      running = add(running, values[k]);
    }
    carry = add(carry, total);
  }
}

// The inclusive scan of each tile plus its prefix (grid: tiles x rows).
extern "C" __global__ void __launch_bounds__(THREADS)
dc_cumsum_rows(const S* __restrict__ in, O* __restrict__ out, u64 count, u64 tiles,
               const A* __restrict__ prefixes) {
  __shared__ __align__(16) unsigned char stage[STAGE_BYTES];
  S* staged_in = (S*)stage;
  O* staged_out = (O*)stage;
  const u64 first = (u64)blockIdx.y * count + (u64)blockIdx.x * TILE;
  const u64 rest = count - (u64)blockIdx.x * TILE;
  const unsigned n = rest < TILE ? (unsigned)rest : TILE;
  for (unsigned i = threadIdx.x; i < n; i += THREADS) staged_in[PAD(i)] = in[first + i];
  __syncthreads();
  // Blocked: thread t scans elements [t * ITEMS, (t + 1) * ITEMS) of the tile. Without PAD the
  // threads of a warp would read ITEMS elements apart, up to 16 to a shared-memory bank.
  A running[ITEMS];
  A sum = zero();
#pragma unroll
  for (unsigned k = 0; k < ITEMS; ++k) {
    const unsigned i = threadIdx.x * ITEMS + k;
    if (i < n) sum = add(sum, load(staged_in[PAD(i)]));
    running[k] = sum;
  }
  // Every thread has read its inputs before the scan's first barrier, so the staging buffer can
  // take outputs afterwards.
  A total;
  const A offset =
      add(prefixes[(u64)blockIdx.y * tiles + blockIdx.x], block_exclusive_scan(sum, &total));
#pragma unroll
  for (unsigned k = 0; k < ITEMS; ++k) {
    const unsigned i = threadIdx.x * ITEMS + k;
    if (i < n) staged_out[PAD(i)] = store(add(offset, running[k]));
  }
  __syncthreads();
  for (unsigned i = threadIdx.x; i < n; i += THREADS) out[first + i] = staged_out[PAD(i)];
}
)";
  return source;
}

}  // namespace dotcompute::cuda
