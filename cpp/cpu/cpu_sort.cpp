// cpp/cpu/cpu_sort.cpp
// The sort slot: stable LSD radix sort on order-preserving unsigned keys, over the thread pool.
//
// Note [Sort keys]: each element maps to an unsigned integer of its width whose order is
// numpy's order: unsigned values as they are, signed ones with the sign bit flipped, floats with
// the sign bit flipped for positives and every bit flipped for negatives. Every NaN maps to the
// largest key and -0.0 to the key of +0.0, so both keep their input order among equals as
// numpy's stable sort does. Values come back through the inverse map, except NaN and -0.0,
// whose bits the map lost: when the input had any, a final in-order pass copies them back into
// the runs they sorted to. With indices wanted, values are gathered from the input instead.
//
// Note [Parallel LSD pass]: each thread owns a contiguous slice of the current order. A pass
// counts the 8-bit digit per slice, turns the counts into write offsets (digit-major, then
// slice order, so equal digits keep their order: stable), and every slice scatters its own
// elements. Passes whose digit is the same for every element are skipped.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu_algorithms.hpp"
#include "cpu_backend.hpp"
#include "cpu_scratch.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cpu {
namespace {

constexpr int kRadixBits = 8;
constexpr int kBuckets = 1 << kRadixBits;
/// Rows up to this length sort with std::stable_sort on keys (one row per task).
constexpr uint64_t kSmallRow = 2048;
/// Rows up to this length sort on one thread; longer ones split every pass over the pool.
constexpr uint64_t kParallelRow = uint64_t{1} << 17;

template <typename U>
constexpr U sign_bit() {
  return static_cast<U>(U{1} << (sizeof(U) * 8 - 1));
}

enum class KeyKind { Unsigned, Signed, Float };

/// The key of one element's bits (Note [Sort keys]); exponent_mask marks NaN for floats.
template <typename U, KeyKind kind>
inline U to_key(U bits, U magnitude_mask, U infinity_bits) {
  if constexpr (kind == KeyKind::Unsigned) {
    return bits;
  } else if constexpr (kind == KeyKind::Signed) {
    return bits ^ sign_bit<U>();
  } else {
    const U magnitude = bits & magnitude_mask;
    if (magnitude > infinity_bits) return static_cast<U>(~U{0});  // NaN
    if (magnitude == 0) return sign_bit<U>();                     // +0.0 and -0.0
    return (bits & sign_bit<U>()) ? static_cast<U>(~bits) : static_cast<U>(bits ^ sign_bit<U>());
  }
}

template <typename U, KeyKind kind>
inline U from_key(U key) {
  if constexpr (kind == KeyKind::Unsigned) {
    return key;
  } else if constexpr (kind == KeyKind::Signed) {
    return key ^ sign_bit<U>();
  } else {
    return (key & sign_bit<U>()) ? static_cast<U>(key ^ sign_bit<U>()) : static_cast<U>(~key);
  }
}

template <typename Body>
void for_slices(uint64_t slices, bool parallel, Body&& body) {
  ThreadPool* pool = thread_pool();
  if (!parallel || pool == nullptr || slices < 2) {
    for (uint64_t s = 0; s < slices; ++s) body(s);
    return;
  }
  pool->parallel_for(slices, 1, [&](uint64_t begin, uint64_t end) {
    for (uint64_t s = begin; s < end; ++s) body(s);
  });
}

/// One row's radix sort state (Note [Parallel LSD pass]).
template <typename U>
struct RadixJob {
  static constexpr int kPasses = static_cast<int>(sizeof(U) * 8 / kRadixBits);
  uint64_t count = 0;
  uint64_t slices = 1;
  std::vector<uint64_t> bounds;  // slice s is [bounds[s], bounds[s + 1])
  // counts[s * kBuckets + b]: elements of slice s with digit b, for the next pass to run.
  std::vector<uint64_t> counts;
};

inline int digit_of(uint64_t key, int pass) {
  return static_cast<int>((key >> (pass * kRadixBits)) & (kBuckets - 1));
}

/// One scatter pass of digit `pass` from slice-ordered input to out. kFirst reads the keys from
/// the input's bits (and makes positions 0..count-1); kLast writes the result to the caller's
/// arrays; otherwise the keys (and positions) go to dst and the digit counts of `next_pass` per
/// destination slice are gathered on the way, so no separate counting read is needed.
template <typename U, KeyKind kind, bool kFirst, bool kLast>
void scatter_pass(RadixJob<U>& job, int pass, int next_pass, const U* input, const U* src,
                  const uint32_t* src_positions, U* dst, uint32_t* dst_positions, U* out_values,
                  int64_t* out_indices, U magnitude_mask, U infinity_bits, bool parallel) {
  const uint64_t slices = job.slices;
  // Start offsets: digit-major, then slice order (stable).
  std::vector<uint64_t> offsets(slices * kBuckets);
  uint64_t running = 0;
  for (int bucket = 0; bucket < kBuckets; ++bucket) {
    for (uint64_t s = 0; s < slices; ++s) {
      offsets[s * kBuckets + bucket] = running;
      running += job.counts[s * kBuckets + bucket];
    }
  }
  std::vector<uint64_t> next_counts(kLast ? 0 : slices * slices * kBuckets, 0);
  const bool with_positions = dst_positions != nullptr || out_indices != nullptr;
  for_slices(slices, parallel, [&](uint64_t s) {
    uint64_t offset[kBuckets];
    uint64_t target_slice[kBuckets];
    uint64_t target_end[kBuckets];
    std::memcpy(offset, offsets.data() + s * kBuckets, sizeof(offset));
    for (int bucket = 0; bucket < kBuckets; ++bucket) {
      uint64_t t = 0;
      while (t + 1 < slices && job.bounds[t + 1] <= offset[bucket]) ++t;
      target_slice[bucket] = t;
      target_end[bucket] = job.bounds[t + 1];
    }
    uint64_t* next = kLast ? nullptr : next_counts.data() + s * slices * kBuckets;
    // Locals, so the compiler need not reload them after every store through a pointer.
    const int shift = pass * kRadixBits, next_shift = next_pass * kRadixBits;
    const uint64_t first = job.bounds[s], end = job.bounds[s + 1];
    const uint64_t* bounds = job.bounds.data();
    for (uint64_t i = first; i < end; ++i) {
      U key;
      if constexpr (kFirst) {
        key = to_key<U, kind>(input[i], magnitude_mask, infinity_bits);
      } else {
        key = src[i];
      }
      const int bucket = static_cast<int>((key >> shift) & (kBuckets - 1));
      const uint64_t to = offset[bucket]++;
      uint32_t position = 0;
      if (with_positions) {
        if constexpr (kFirst) {
          position = static_cast<uint32_t>(i);
        } else {
          position = src_positions[i];
        }
      }
      if constexpr (kLast) {
        if (out_indices != nullptr) {
          out_indices[to] = position;
        } else {
          out_values[to] = from_key<U, kind>(key);
        }
      } else {
        dst[to] = key;
        if (with_positions) dst_positions[to] = position;
        while (to >= target_end[bucket]) {
          ++target_slice[bucket];
          target_end[bucket] = bounds[target_slice[bucket] + 1];
        }
        ++next[target_slice[bucket] * kBuckets + ((key >> next_shift) & (kBuckets - 1))];
      }
    }
  });
  if constexpr (!kLast) {
    std::fill(job.counts.begin(), job.counts.end(), 0);
    for (uint64_t s = 0; s < slices; ++s) {
      for (uint64_t t = 0; t < slices; ++t) {
        for (int bucket = 0; bucket < kBuckets; ++bucket) {
          job.counts[t * kBuckets + bucket] += next_counts[(s * slices + t) * kBuckets + bucket];
        }
      }
    }
  }
}

/// Stable LSD radix sort of one row of input bits into out_values (values only) or out_indices
/// (positions; the caller gathers values). Returns whether a NaN or -0.0 was seen (Note [Sort
/// keys]: their bits need restoring when only values were written).
template <typename U, KeyKind kind>
bool radix_sort_row(const U* input, U* out_values, int64_t* out_indices, uint64_t count,
                    bool parallel, U magnitude_mask, U infinity_bits) {
  constexpr int passes = RadixJob<U>::kPasses;
  RadixJob<U> job;
  job.count = count;
  job.slices = parallel ? thread_count() : 1;
  job.bounds.resize(job.slices + 1);
  for (uint64_t s = 0; s <= job.slices; ++s) job.bounds[s] = count * s / job.slices;
  // Counting read: every digit's counts per slice, which digits vary, NaN / -0.0 seen.
  std::vector<uint64_t> all_counts(job.slices * passes * kBuckets, 0);
  std::vector<U> ands(job.slices), ors(job.slices);
  std::vector<char> lost(job.slices, 0);
  for_slices(job.slices, parallel, [&](uint64_t s) {
    uint64_t* local = all_counts.data() + s * passes * kBuckets;
    U a = static_cast<U>(~U{0}), o = 0;
    bool lost_bits = false;
    for (uint64_t i = job.bounds[s]; i < job.bounds[s + 1]; ++i) {
      const U key = to_key<U, kind>(input[i], magnitude_mask, infinity_bits);
      for (int pass = 0; pass < passes; ++pass) ++local[pass * kBuckets + digit_of(key, pass)];
      a &= key;
      o |= key;
      if constexpr (kind == KeyKind::Float) {
        lost_bits |= key == static_cast<U>(~U{0}) || input[i] == sign_bit<U>();
      }
    }
    ands[s] = a;
    ors[s] = o;
    lost[s] = lost_bits;
  });
  U all_and = static_cast<U>(~U{0}), all_or = 0;
  bool lost_bits = false;
  for (uint64_t s = 0; s < job.slices; ++s) {
    all_and &= ands[s];
    all_or |= ors[s];
    lost_bits |= lost[s] != 0;
  }
  int active[passes];
  int active_count = 0;
  for (int pass = 0; pass < passes; ++pass) {
    const U mask = static_cast<U>(U{kBuckets - 1} << (pass * kRadixBits));
    if ((all_and & mask) != (all_or & mask)) active[active_count++] = pass;
  }
  if (active_count == 0) {  // every key equal: the input order is the sorted order
    for (uint64_t i = 0; i < count; ++i) {
      if (out_indices != nullptr) {
        out_indices[i] = static_cast<int64_t>(i);
      } else {
        out_values[i] = input[i];
      }
    }
    return false;
  }
  job.counts.resize(job.slices * kBuckets);
  for (uint64_t s = 0; s < job.slices; ++s) {
    std::memcpy(job.counts.data() + s * kBuckets,
                all_counts.data() + (s * passes + active[0]) * kBuckets,
                kBuckets * sizeof(uint64_t));
  }
  const bool positions = out_indices != nullptr;
  // Two key buffers and, for argsort, two position buffers, in one kept scratch block.
  struct SortScratch;
  std::unique_ptr<unsigned char[]> holder;
  const size_t key_bytes = (count * sizeof(U) + 63) / 64 * 64;
  const size_t place_bytes = positions ? (count * sizeof(uint32_t) + 63) / 64 * 64 : 0;
  unsigned char* scratch = active_count > 1
                               ? scratch_bytes<SortScratch>(2 * (key_bytes + place_bytes), holder)
                               : nullptr;
  U* keys[2] = {reinterpret_cast<U*>(scratch), reinterpret_cast<U*>(scratch + key_bytes)};
  uint32_t* places[2] = {reinterpret_cast<uint32_t*>(scratch + 2 * key_bytes),
                         reinterpret_cast<uint32_t*>(scratch + 2 * key_bytes + place_bytes)};
  const auto place = [&](int buffer) { return positions ? places[buffer] : nullptr; };
  for (int step = 0; step < active_count; ++step) {
    const bool first = step == 0, last = step == active_count - 1;
    const int pass = active[step], next = last ? pass : active[step + 1];
    U* src = keys[(step + 1) % 2];
    U* dst = keys[step % 2];
    if (first && last) {
      scatter_pass<U, kind, true, true>(job, pass, next, input, nullptr, nullptr, nullptr, nullptr,
                                        out_values, out_indices, magnitude_mask, infinity_bits,
                                        parallel);
    } else if (first) {
      scatter_pass<U, kind, true, false>(job, pass, next, input, nullptr, nullptr, dst,
                                         place(step % 2), nullptr, nullptr, magnitude_mask,
                                         infinity_bits, parallel);
    } else if (last) {
      scatter_pass<U, kind, false, true>(job, pass, next, input, src, place((step + 1) % 2),
                                         nullptr, nullptr, out_values, out_indices, magnitude_mask,
                                         infinity_bits, parallel);
    } else {
      scatter_pass<U, kind, false, false>(job, pass, next, input, src, place((step + 1) % 2), dst,
                                          place(step % 2), nullptr, nullptr, magnitude_mask,
                                          infinity_bits, parallel);
    }
  }
  return lost_bits;
}

/// Sorts one row: radix sort (or stable_sort for short rows), then the values and/or indices.
template <typename U, KeyKind kind>
void sort_row(const U* input, U* out_values, int64_t* out_indices, uint64_t count, bool parallel,
              U magnitude_mask, U infinity_bits) {
  bool lost_bits = false;
  if (count <= kSmallRow) {
    std::vector<U> keys(count);
    std::vector<uint32_t> positions(count);
    for (uint64_t i = 0; i < count; ++i) {
      keys[i] = to_key<U, kind>(input[i], magnitude_mask, infinity_bits);
      positions[i] = static_cast<uint32_t>(i);
    }
    std::stable_sort(positions.begin(), positions.end(),
                     [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
    for (uint64_t i = 0; i < count; ++i) {
      if (out_indices != nullptr) out_indices[i] = positions[i];
      if (out_values != nullptr) out_values[i] = input[positions[i]];
    }
    return;
  }
  lost_bits = radix_sort_row<U, kind>(input, out_indices != nullptr ? nullptr : out_values,
                                      out_indices, count, parallel, magnitude_mask, infinity_bits);
  if (out_indices != nullptr) {
    if (out_values != nullptr) {
      for_slices(parallel ? thread_count() : 1, parallel, [&](uint64_t s) {
        const uint64_t slices = parallel ? thread_count() : 1;
        for (uint64_t i = count * s / slices; i < count * (s + 1) / slices; ++i) {
          out_values[i] = input[out_indices[i]];
        }
      });
    }
    return;
  }
  if (lost_bits) {
    // Zeros and NaNs sorted into two runs; refill them with the input's own bits in input order.
    const U zero_key = sign_bit<U>();
    uint64_t zero_at = 0, nan_at = count;
    uint64_t low = 0, high = count;  // first value whose key is >= the zero key
    while (low < high) {
      const uint64_t mid = (low + high) / 2;
      if (to_key<U, kind>(out_values[mid], magnitude_mask, infinity_bits) < zero_key) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    zero_at = low;
    while (nan_at > 0 && (out_values[nan_at - 1] & magnitude_mask) > infinity_bits) --nan_at;
    for (uint64_t i = 0; i < count; ++i) {
      const U magnitude = input[i] & magnitude_mask;
      if (magnitude == 0) {
        out_values[zero_at++] = input[i];
      } else if (magnitude > infinity_bits) {
        out_values[nan_at++] = input[i];
      }
    }
  }
}

template <typename U, KeyKind kind>
void sort_rows(const void* input, void* values, int64_t* indices, uint64_t batch, uint64_t count,
               U magnitude_mask = 0, U infinity_bits = 0) {
  const U* x = static_cast<const U*>(input);
  U* v = static_cast<U*>(values);
  const bool parallel_rows = count < kParallelRow;
  const auto one = [&](uint64_t row, bool parallel) {
    sort_row<U, kind>(x + row * count, v != nullptr ? v + row * count : nullptr,
                      indices != nullptr ? indices + row * count : nullptr, count, parallel,
                      magnitude_mask, infinity_bits);
  };
  if (parallel_rows) {
    for_slices(batch, true, [&](uint64_t row) { one(row, false); });
  } else {
    for (uint64_t row = 0; row < batch; ++row) one(row, true);
  }
}

}  // namespace

dc_status sort(int32_t device, dc_stream stream, dc_dtype dtype, dc_buffer_view input,
               dc_buffer_view out_values, dc_buffer_view out_indices, uint64_t batch,
               uint64_t count) {
  if (device != 0) return check_device(device);
  if (dc_status status = check_stream(stream)) return status;
  if (!dtype_is_valid(dtype) || dtype_is_complex(dtype)) {
    return fail(DC_STATUS_UNSUPPORTED, "sort: no CPU sort for dtype %d", static_cast<int>(dtype));
  }
  if (count > UINT32_MAX) return fail(DC_STATUS_UNSUPPORTED, "sort: rows over 2^32 elements");
  if (count != 0 && batch > UINT64_MAX / count) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "sort: batch * count overflows");
  }
  const uint64_t total = batch * count;
  const size_t size = dtype_size(dtype);
  const uint8_t* x = view_elements(input, total, size, "sort input");
  if (x == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  uint8_t* values = nullptr;
  int64_t* indices = nullptr;
  if (out_values.buffer != nullptr) {
    values = view_elements(out_values, total, size, "sort values");
    if (values == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  }
  if (out_indices.buffer != nullptr) {
    indices = reinterpret_cast<int64_t*>(view_elements(out_indices, total, 8, "sort indices"));
    if (indices == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  }
  if (total == 0 || (values == nullptr && indices == nullptr)) return DC_STATUS_OK;
  try {
    switch (dtype) {
      case DC_DTYPE_BOOL:
      case DC_DTYPE_UINT8:
        sort_rows<uint8_t, KeyKind::Unsigned>(x, values, indices, batch, count);
        break;
      case DC_DTYPE_UINT16:
        sort_rows<uint16_t, KeyKind::Unsigned>(x, values, indices, batch, count);
        break;
      case DC_DTYPE_UINT32:
        sort_rows<uint32_t, KeyKind::Unsigned>(x, values, indices, batch, count);
        break;
      case DC_DTYPE_UINT64:
        sort_rows<uint64_t, KeyKind::Unsigned>(x, values, indices, batch, count);
        break;
      case DC_DTYPE_INT8:
        sort_rows<uint8_t, KeyKind::Signed>(x, values, indices, batch, count);
        break;
      case DC_DTYPE_INT16:
        sort_rows<uint16_t, KeyKind::Signed>(x, values, indices, batch, count);
        break;
      case DC_DTYPE_INT32:
        sort_rows<uint32_t, KeyKind::Signed>(x, values, indices, batch, count);
        break;
      case DC_DTYPE_INT64:
        sort_rows<uint64_t, KeyKind::Signed>(x, values, indices, batch, count);
        break;
      case DC_DTYPE_FLOAT16:
        sort_rows<uint16_t, KeyKind::Float>(x, values, indices, batch, count, 0x7fff, 0x7c00);
        break;
      case DC_DTYPE_FLOAT32:
        sort_rows<uint32_t, KeyKind::Float>(x, values, indices, batch, count, 0x7fffffffu,
                                            0x7f800000u);
        break;
      default:  // float64
        sort_rows<uint64_t, KeyKind::Float>(x, values, indices, batch, count, 0x7fffffffffffffffull,
                                            0x7ff0000000000000ull);
        break;
    }
  } catch (const std::bad_alloc&) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "sort: out of memory for the sort buffers");
  }
  return DC_STATUS_OK;
}

}  // namespace dotcompute::cpu
