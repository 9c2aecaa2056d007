// cpp/core/algorithms.cpp
// Core dispatch of the algorithm library: checks, outputs, then the plugin's optional slot.
//
// Every check that a user can fail happens here, before any device work, so the plugin slots and
// the generated kernels both receive well-formed operands: contiguous row-major arrays of one
// dtype on one device, with the shapes the ABI comments of dc_ops_iface describe.
#include "dotcompute/algorithms.hpp"

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dotcompute/abi_slots.hpp"
#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/work_stream.hpp"

namespace dotcompute {

namespace {

const dc_ops_iface* ops_table(const Array& array) {
  return array.storage().plugin().iface_unchecked().ops;
}

/// Runs a slot call: true when the plugin computed the result, false when it answered
/// UNSUPPORTED (the generated kernels take over); any other failure raises.
bool slot_computed(const Array& array, dc_status status, const char* operation) {
  if (status == DC_STATUS_UNSUPPORTED) return false;
  array.storage().plugin().check(status, operation);
  return true;
}

void check_same_device(const Array& a, const Array& b, const char* operation) {
  if (&a.storage().plugin() != &b.storage().plugin() ||
      a.storage().device() != b.storage().device()) {
    raise(ErrorKind::Device, std::string(operation) + ": arrays are on different devices ('" +
                                 a.device().str() + "' and '" + b.device().str() +
                                 "'); move one with .to(device)");
  }
}

void check_dtype_in(const Array& array, std::initializer_list<dc_dtype> allowed,
                    const char* operation, const char* hint) {
  for (dc_dtype dtype : allowed) {
    if (array.dtype() == dtype) return;
  }
  raise(ErrorKind::DType, std::string(operation) + " does not support dtype " +
                              dtype_name(array.dtype()) + "; " + hint);
}

dc_buffer_view null_view() { return dc_buffer_view{nullptr, 0}; }

/// Whether a plugin slot runs: asked for, present, and not inside a capture the plugin cannot
/// take part in (Note [Work on the current stream]; the generated kernels run there instead).
bool slot_runs(const Array& array, bool use_plugin, bool has_slot) {
  return use_plugin && has_slot && slot_may_run(array.storage());
}

/// After a slot computed inside a capture, the graph keeps its operands' memory alive.
void keep_operands(std::initializer_list<const Array*> arrays) {
  const Storage& first = (*arrays.begin())->storage();
  if (!capture_active(first)) return;
  std::vector<std::shared_ptr<Storage>> storages;
  for (const Array* array : arrays) {
    if (array != nullptr) storages.push_back(array->storage_shared());
  }
  keep_for_capture(first, std::move(storages));
}

}  // namespace

int normalize_axis(int64_t axis, int ndim, const char* operation) {
  if (ndim == 0 || axis < -ndim || axis >= ndim) {
    raise(ErrorKind::InvalidArgument,
          std::string(operation) + ": axis " + std::to_string(axis) +
              (ndim == 0 ? std::string(" is out of range for a 0-d array; use axis=None")
                         : " is out of range for an array of " + std::to_string(ndim) +
                               " dimensions; use -" + std::to_string(ndim) + " to " +
                               std::to_string(ndim - 1)));
  }
  return static_cast<int>(axis < 0 ? axis + ndim : axis);
}

AxisSplit split_axis(const Shape& shape, int axis) {
  AxisSplit split;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    const auto extent = static_cast<uint64_t>(shape[d]);
    if (d < axis) split.outer *= extent;
    if (d == axis) split.length = extent;
    if (d > axis) split.inner *= extent;
  }
  return split;
}

AlgorithmResult matmul(const Array& a, const Array& b, bool use_plugin, const ArrayPtr& out) {
  check_dtype_in(a, {DC_DTYPE_FLOAT32, DC_DTYPE_FLOAT64, DC_DTYPE_COMPLEX64, DC_DTYPE_COMPLEX128},
                 "matmul", "use float32, float64, complex64 or complex128 (convert with astype)");
  if (a.dtype() != b.dtype()) {
    raise(ErrorKind::DType, std::string("matmul: operand dtypes differ (") + dtype_name(a.dtype()) +
                                " and " + dtype_name(b.dtype()) + "); convert one so both match");
  }
  check_same_device(a, b, "matmul");
  if (a.ndim() < 2 || b.ndim() < 2 || a.ndim() != b.ndim()) {
    raise(ErrorKind::Shape,
          "matmul: operands must both be 2-D, or batched with the same number "
          "of dimensions, got shapes " +
              shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()));
  }
  const int nd = a.ndim();
  const int64_t m = a.shape()[nd - 2], k = a.shape()[nd - 1];
  const int64_t k2 = b.shape()[nd - 2], n = b.shape()[nd - 1];
  if (k != k2) {
    raise(ErrorKind::Shape, "matmul: inner dimensions differ: " + shape_to_string(a.shape()) +
                                " @ " + shape_to_string(b.shape()) + " needs a's last dimension (" +
                                std::to_string(k) + ") to equal b's second-to-last (" +
                                std::to_string(k2) + ")");
  }
  Shape out_shape(a.shape().begin(), a.shape().end() - 2);
  if (out_shape != Shape(b.shape().begin(), b.shape().end() - 2)) {
    raise(ErrorKind::Shape, "matmul: batch dimensions differ: " + shape_to_string(a.shape()) +
                                " @ " + shape_to_string(b.shape()));
  }
  uint64_t batch = 1;
  for (int64_t extent : out_shape) batch *= static_cast<uint64_t>(extent);
  out_shape.push_back(m);
  out_shape.push_back(n);

  AlgorithmResult result;
  result.out = output_array(a, out, out_shape, a.dtype(), "matmul", {&a, &b});
  if (result.out->size() == 0) {
    result.computed = true;
    return result;
  }
  if (k == 0) {  // an empty sum: zeros, as numpy
    const unsigned char zero[16] = {};
    fill(*result.out, zero);
    result.computed = true;
    return result;
  }
  const dc_ops_iface* ops = ops_table(a);
  const auto slot = ops != nullptr ? DC_OPTIONAL_SLOT(*ops, matmul) : nullptr;
  if (slot_runs(a, use_plugin, slot != nullptr)) {
    result.computed = slot_computed(
        a,
        slot(a.storage().device(), slot_stream(a.storage()), a.dtype(), a.storage().view(),
             b.storage().view(), result.out->storage().view(), batch, static_cast<uint64_t>(m),
             static_cast<uint64_t>(n), static_cast<uint64_t>(k)),
        "matmul");
    if (result.computed) keep_operands({&a, &b, result.out.get()});
  }
  return result;
}

AlgorithmResult fft(const Array& input, bool inverse, bool use_plugin) {
  const char* name = inverse ? "ifft" : "fft";
  check_dtype_in(input, {DC_DTYPE_COMPLEX64, DC_DTYPE_COMPLEX128}, name,
                 "pass complex64 or complex128 (dc.fft converts real arrays)");
  if (input.ndim() == 0) {
    raise(ErrorKind::Shape, std::string(name) + ": a 0-d array has no axis to transform");
  }
  const auto n = static_cast<uint64_t>(input.shape().back());
  if (n == 0) {
    raise(ErrorKind::InvalidArgument,
          std::string(name) + ": the last axis has length 0; a transform needs at least 1 point");
  }
  AlgorithmResult result;
  result.out = empty_beside(input, input.shape(), input.dtype());
  const uint64_t batch = static_cast<uint64_t>(input.size()) / n;
  if (batch == 0) {
    result.computed = true;
    return result;
  }
  const dc_ops_iface* ops = ops_table(input);
  const auto slot = ops != nullptr ? DC_OPTIONAL_SLOT(*ops, fft) : nullptr;
  if (slot_runs(input, use_plugin, slot != nullptr)) {
    result.computed = slot_computed(
        input,
        slot(input.storage().device(), slot_stream(input.storage()), input.dtype(),
             input.storage().view(), result.out->storage().view(), batch, n, inverse ? 1 : 0),
        name);
    if (result.computed) keep_operands({&input, result.out.get()});
  }
  return result;
}

AlgorithmResult reduce_axis(dc_reduce_op op, const Array& input, int axis, bool use_plugin,
                            const ArrayPtr& out) {
  const char* name = reduce_op_name(op);
  if (op != DC_REDUCE_SUM && dtype_is_complex(input.dtype())) {
    raise(ErrorKind::DType, std::string(name) + " is not defined for complex arrays");
  }
  const AxisSplit split = split_axis(input.shape(), axis);
  if (op != DC_REDUCE_SUM && split.length == 0) {
    raise(ErrorKind::InvalidArgument,
          std::string(name) + " along axis " + std::to_string(axis) + " of length 0 is undefined");
  }
  Shape out_shape = input.shape();
  out_shape.erase(out_shape.begin() + axis);
  AlgorithmResult result;
  result.out =
      output_array(input, out, out_shape, reduce_result_dtype(op, input.dtype()), name, {&input});
  if (result.out->size() == 0) {
    result.computed = true;
    return result;
  }
  if (split.length == 0) {  // sums of nothing: zeros
    const unsigned char zero[16] = {};
    fill(*result.out, zero);
    result.computed = true;
    return result;
  }
  const dc_ops_iface* ops = ops_table(input);
  const auto slot = ops != nullptr ? DC_OPTIONAL_SLOT(*ops, reduce_axis) : nullptr;
  if (slot_runs(input, use_plugin, slot != nullptr)) {
    result.computed = slot_computed(input,
                                    slot(input.storage().device(), slot_stream(input.storage()), op,
                                         input.dtype(), input.storage().view(), split.outer,
                                         split.length, split.inner, result.out->storage().view()),
                                    name);
    if (result.computed) keep_operands({&input, result.out.get()});
  }
  return result;
}

AlgorithmResult cumsum(const Array& input, int axis, bool use_plugin, const ArrayPtr& out) {
  const AxisSplit split = split_axis(input.shape(), axis);
  AlgorithmResult result;
  result.out = output_array(input, out, input.shape(),
                            reduce_result_dtype(DC_REDUCE_SUM, input.dtype()), "cumsum", {&input});
  if (input.size() == 0) {
    result.computed = true;
    return result;
  }
  const dc_ops_iface* ops = ops_table(input);
  const auto slot = ops != nullptr ? DC_OPTIONAL_SLOT(*ops, cumsum) : nullptr;
  // The slot scans contiguous rows; other axes run the generated strided scan.
  if (slot_runs(input, use_plugin, slot != nullptr) && split.inner == 1) {
    result.computed = slot_computed(
        input,
        slot(input.storage().device(), slot_stream(input.storage()), input.dtype(),
             input.storage().view(), result.out->storage().view(), split.outer, split.length),
        "cumsum");
    if (result.computed) keep_operands({&input, result.out.get()});
  }
  return result;
}

AlgorithmResult sort(const Array& input, int axis, bool want_values, bool want_indices,
                     bool use_plugin) {
  const char* name = want_values ? "sort" : "argsort";
  if (dtype_is_complex(input.dtype())) {
    raise(ErrorKind::DType, std::string(name) +
                                " does not support complex arrays; sort the real and imaginary "
                                "parts separately");
  }
  const AxisSplit split = split_axis(input.shape(), axis);
  AlgorithmResult result;
  if (want_values) result.out = empty_beside(input, input.shape(), input.dtype());
  if (want_indices) result.indices = empty_beside(input, input.shape(), DC_DTYPE_INT64);
  if (input.size() == 0) {
    result.computed = true;
    return result;
  }
  const dc_ops_iface* ops = ops_table(input);
  const auto slot = ops != nullptr ? DC_OPTIONAL_SLOT(*ops, sort) : nullptr;
  if (slot_runs(input, use_plugin, slot != nullptr) && split.inner == 1) {
    result.computed = slot_computed(
        input,
        slot(input.storage().device(), slot_stream(input.storage()), input.dtype(),
             input.storage().view(), want_values ? result.out->storage().view() : null_view(),
             want_indices ? result.indices->storage().view() : null_view(), split.outer,
             split.length),
        name);
    if (result.computed) keep_operands({&input, result.out.get(), result.indices.get()});
  }
  return result;
}

}  // namespace dotcompute
