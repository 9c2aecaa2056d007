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

/// Stable LSD radix sort of keys (with an optional uint32/uint64 payload) in place; scratch
/// buffers of the same sizes are given. Returns nothing; the result is in keys/payload.
template <typename U, typename P>
void radix_sort(U* keys, P* payload, U* key_scratch, P* payload_scratch, uint64_t count,
                bool parallel) {
  const uint64_t slices = parallel ? thread_count() : 1;
  const uint64_t slice_length = (count + slices - 1) / slices;
  constexpr int passes = static_cast<int>(sizeof(U) * 8 / kRadixBits);
  // Which digits vary: a pass whose digit is equal everywhere changes nothing.
  U all_and = static_cast<U>(~U{0}), all_or = 0;
  {
    std::vector<U> ands(slices, static_cast<U>(~U{0})), ors(slices, 0);
    for_slices(slices, parallel, [&](uint64_t s) {
      const uint64_t first = std::min(count, s * slice_length);
      const uint64_t last = std::min(count, first + slice_length);
      U a = static_cast<U>(~U{0}), o = 0;
      for (uint64_t i = first; i < last; ++i) {
        a &= keys[i];
        o |= keys[i];
      }
      ands[s] = a;
      ors[s] = o;
    });
    for (uint64_t s = 0; s < slices; ++s) {
      all_and &= ands[s];
      all_or |= ors[s];
    }
  }
  std::vector<uint64_t> counts(slices * kBuckets);
  U* src = keys;
  U* dst = key_scratch;
  P* src_payload = payload;
  P* dst_payload = payload_scratch;
  for (int pass = 0; pass < passes; ++pass) {
    const int shift = pass * kRadixBits;
    const U digit_mask = static_cast<U>(U{kBuckets - 1} << shift);
    if ((all_and & digit_mask) == (all_or & digit_mask)) continue;
    std::fill(counts.begin(), counts.end(), 0);
    for_slices(slices, parallel, [&](uint64_t s) {
      const uint64_t first = std::min(count, s * slice_length);
      const uint64_t last = std::min(count, first + slice_length);
      uint64_t* local = counts.data() + s * kBuckets;
      for (uint64_t i = first; i < last; ++i) ++local[(src[i] >> shift) & (kBuckets - 1)];
    });
    uint64_t running = 0;
    for (int bucket = 0; bucket < kBuckets; ++bucket) {
      for (uint64_t s = 0; s < slices; ++s) {
        const uint64_t here = counts[s * kBuckets + bucket];
        counts[s * kBuckets + bucket] = running;
        running += here;
      }
    }
    for_slices(slices, parallel, [&](uint64_t s) {
      const uint64_t first = std::min(count, s * slice_length);
      const uint64_t last = std::min(count, first + slice_length);
      uint64_t offsets[kBuckets];
      std::memcpy(offsets, counts.data() + s * kBuckets, sizeof(offsets));
      for (uint64_t i = first; i < last; ++i) {
        const U key = src[i];
        const uint64_t to = offsets[(key >> shift) & (kBuckets - 1)]++;
        dst[to] = key;
        if (payload != nullptr) dst_payload[to] = src_payload[i];
      }
    });
    std::swap(src, dst);
    std::swap(src_payload, dst_payload);
  }
  if (src != keys) {
    std::memcpy(keys, src, count * sizeof(U));
    if (payload != nullptr) std::memcpy(payload, src_payload, count * sizeof(P));
  }
}

/// Sorts one row: keys from the input bits, radix sort (or stable_sort for short rows), then the
/// values and/or indices written out.
template <typename U, KeyKind kind>
void sort_row(const U* input, U* out_values, int64_t* out_indices, uint64_t count, bool parallel,
              U magnitude_mask, U infinity_bits) {
  std::vector<U> keys(count);
  bool lost_bits = false;  // a NaN or -0.0 whose bits the key map dropped
  for (uint64_t i = 0; i < count; ++i) {
    keys[i] = to_key<U, kind>(input[i], magnitude_mask, infinity_bits);
    if constexpr (kind == KeyKind::Float) {
      lost_bits |= keys[i] == static_cast<U>(~U{0}) || input[i] == sign_bit<U>();
    }
  }
  if (out_indices != nullptr) {
    std::vector<uint32_t> positions(count);
    for (uint64_t i = 0; i < count; ++i) positions[i] = static_cast<uint32_t>(i);
    if (count <= kSmallRow) {
      std::stable_sort(positions.begin(), positions.end(),
                       [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
    } else {
      std::vector<U> key_scratch(count);
      std::vector<uint32_t> position_scratch(count);
      radix_sort(keys.data(), positions.data(), key_scratch.data(), position_scratch.data(), count,
                 parallel);
    }
    for (uint64_t i = 0; i < count; ++i) {
      out_indices[i] = positions[i];
      if (out_values != nullptr) out_values[i] = input[positions[i]];
    }
    return;
  }
  if (count <= kSmallRow) {
    std::sort(keys.begin(), keys.end());  // equal keys are equal values: stability is moot
  } else {
    std::vector<U> key_scratch(count);
    radix_sort<U, uint32_t>(keys.data(), nullptr, key_scratch.data(), nullptr, count, parallel);
  }
  for (uint64_t i = 0; i < count; ++i) out_values[i] = from_key<U, kind>(keys[i]);
  if (lost_bits) {
    // Zeros and NaNs sorted into two runs; refill them with the input's own bits in input order.
    uint64_t zero_at = std::lower_bound(keys.begin(), keys.end(), sign_bit<U>()) - keys.begin();
    uint64_t nan_at =
        std::lower_bound(keys.begin(), keys.end(), static_cast<U>(~U{0})) - keys.begin();
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
