// cpp/core/array_ops.cpp
// Built-in elementwise operations and reductions on arrays, dispatched to the plugin's ops table.
#include <chrono>
#include <string>

#include "dotcompute/array.hpp"
#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/work_stream.hpp"

namespace dotcompute {

namespace {

const dc_ops_iface& ops_of(const Array& array, const char* operation) {
  const dc_ops_iface* ops = array.storage().plugin().iface_unchecked().ops;
  if (ops == nullptr) {
    raise(ErrorKind::Unsupported, std::string(operation) + " is not available on device '" +
                                      array.device().str() + "': its backend has no built-in ops");
  }
  return *ops;
}

void check_same_device(const Array& a, const Array& b, const char* operation) {
  if (&a.storage().plugin() != &b.storage().plugin() ||
      a.storage().device() != b.storage().device()) {
    raise(ErrorKind::Device, std::string(operation) + ": arrays are on different devices ('" +
                                 a.device().str() + "' and '" + b.device().str() +
                                 "'); move one with .to(device)");
  }
}

void check_same_layout(const Array& a, const Array& b, const char* operation, const char* what) {
  if (a.dtype() != b.dtype()) {
    raise(ErrorKind::DType, std::string(operation) + ": " + what + " dtypes differ (" +
                                dtype_name(a.dtype()) + " and " + dtype_name(b.dtype()) +
                                "); convert one with .astype()");
  }
  if (a.shape() != b.shape()) {
    raise(ErrorKind::Shape, std::string(operation) + ": " + what + " shapes differ (" +
                                shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()) +
                                ")");
  }
  check_same_device(a, b, operation);
}

/// Checks a given output array against `like` (every check before the stream is chosen, so an
/// operation run as kernels inside a capture has passed them too).
void check_output(const ArrayPtr& out, const Array& like, const char* operation) {
  if (!out) return;
  check_same_layout(like, *out, operation, "input and output");
  if (out->readonly()) {
    raise(ErrorKind::InvalidArgument, std::string(operation) + ": the output array is read-only");
  }
}

/// The checked output array, or a new one like `like`.
ArrayPtr output_or_new(ArrayPtr out, const Array& like) {
  return out ? out : empty_beside(like, like.shape(), like.dtype());
}

}  // namespace

ArrayPtr output_array(const Array& input, const ArrayPtr& out, const Shape& shape, dc_dtype dtype,
                      const char* operation, std::initializer_list<const Array*> inputs) {
  if (!out) return empty_beside(input, shape, dtype);
  check_same_device(input, *out, operation);
  if (out->shape() != shape) {
    raise(ErrorKind::Shape, std::string(operation) + ": out has shape " +
                                shape_to_string(out->shape()) + ", the result has shape " +
                                shape_to_string(shape));
  }
  if (out->dtype() != dtype) {
    raise(ErrorKind::DType, std::string(operation) + ": out has dtype " + dtype_name(out->dtype()) +
                                ", the result is " + dtype_name(dtype));
  }
  if (out->readonly()) {
    raise(ErrorKind::InvalidArgument, std::string(operation) + ": out is read-only");
  }
  for (const Array* operand : inputs) {
    if (operand->storage().overlaps(out->storage())) {
      raise(ErrorKind::InvalidArgument,
            std::string(operation) + ": out shares memory with an input; pass another array");
    }
  }
  return out;
}

bool binary_op_takes(dc_binary_op op, dc_dtype dtype) noexcept {
  switch (op) {
    case DC_BINARY_SUBTRACT:
      return dtype != DC_DTYPE_BOOL;
    case DC_BINARY_DIVIDE:
      return dtype_is_floating(dtype) || dtype_is_complex(dtype);
    case DC_BINARY_FLOOR_DIVIDE:
      return dtype_is_integer(dtype);
    default:
      return true;
  }
}

void check_binary_dtype(dc_binary_op op, dc_dtype dtype) {
  if (binary_op_takes(op, dtype)) return;
  if (op == DC_BINARY_SUBTRACT && dtype == DC_DTYPE_BOOL) {
    raise(ErrorKind::DType, "subtract is not defined for bool arrays (as in numpy)");
  }
  if (op == DC_BINARY_DIVIDE && !(dtype_is_floating(dtype) || dtype_is_complex(dtype))) {
    raise(ErrorKind::DType, std::string("divide needs floating or complex arrays, got ") +
                                dtype_name(dtype) + "; use floor_divide for integers");
  }
  if (op == DC_BINARY_FLOOR_DIVIDE && !dtype_is_integer(dtype)) {
    raise(ErrorKind::DType, std::string("floor_divide needs integer arrays, got ") +
                                dtype_name(dtype) + "; use divide for floating arrays");
  }
}

ArrayPtr binary_op(dc_binary_op op, const Array& a, const Array& b, ArrayPtr out) {
  const char* name = binary_op_name(op);
  check_same_layout(a, b, name, "input");
  check_binary_dtype(op, a.dtype());
  check_output(out, a, name);
  const dc_ops_iface& ops = ops_of(a, name);
  Storage& storage = a.storage();
  const dc_stream stream = compute_stream(storage, name);
  out = output_or_new(std::move(out), a);
  storage.plugin().check(
      ops.binary(storage.device(), stream, op, a.dtype(), storage.view(), b.storage().view(),
                 out->storage().view(), static_cast<uint64_t>(a.size())),
      name);
  return out;
}

ArrayPtr axpy(const void* alpha, const Array& x, const Array& y, ArrayPtr out) {
  check_same_layout(x, y, "saxpy", "input");
  if (x.dtype() == DC_DTYPE_BOOL) raise(ErrorKind::DType, "saxpy is not defined for bool arrays");
  check_output(out, x, "saxpy");
  const dc_ops_iface& ops = ops_of(x, "saxpy");
  Storage& storage = x.storage();
  const dc_stream stream = compute_stream(storage, "saxpy");
  out = output_or_new(std::move(out), x);
  storage.plugin().check(
      ops.axpy(storage.device(), stream, x.dtype(), alpha, storage.view(), y.storage().view(),
               out->storage().view(), static_cast<uint64_t>(x.size())),
      "saxpy");
  return out;
}

ArrayPtr reduce(dc_reduce_op op, const Array& input, const ArrayPtr& out) {
  const char* name = reduce_op_name(op);
  if (op != DC_REDUCE_SUM && input.size() == 0) {
    raise(ErrorKind::InvalidArgument, std::string(name) + " of a zero-size array is undefined");
  }
  const dc_ops_iface& ops = ops_of(input, name);
  Storage& storage = input.storage();
  const dc_stream stream = compute_stream(storage, name);
  ArrayPtr result =
      output_array(input, out, {}, reduce_result_dtype(op, input.dtype()), name, {&input});
  storage.plugin().check(ops.reduce(storage.device(), stream, op, input.dtype(), storage.view(),
                                    static_cast<uint64_t>(input.size()), result->storage().view()),
                         name);
  return result;
}

DispatchTiming measure_builtin_dispatch(uint64_t iterations) {
  using Clock = std::chrono::steady_clock;
  const DeviceSpec cpu{"cpu", 0};
  ArrayPtr a = empty({1}, DC_DTYPE_FLOAT32, cpu);
  ArrayPtr b = empty({1}, DC_DTYPE_FLOAT32, cpu);
  ArrayPtr out = empty({1}, DC_DTYPE_FLOAT32, cpu);
  const float one = 1.0f;
  fill(*a, &one);
  fill(*b, &one);

  const auto core_start = Clock::now();
  for (uint64_t i = 0; i < iterations; ++i) binary_op(DC_BINARY_ADD, *a, *b, out);
  const auto core_end = Clock::now();

  const dc_ops_iface& ops = ops_of(*a, "add");
  const dc_buffer_view va = a->storage().view(), vb = b->storage().view();
  const dc_buffer_view vo = out->storage().view();
  const auto slot_start = Clock::now();
  for (uint64_t i = 0; i < iterations; ++i) {
    a->storage().plugin().check(
        ops.binary(0, nullptr, DC_BINARY_ADD, DC_DTYPE_FLOAT32, va, vb, vo, 1), "add");
  }
  const auto slot_end = Clock::now();

  const auto nanoseconds = [iterations](Clock::duration d) {
    return std::chrono::duration<double, std::nano>(d).count() / static_cast<double>(iterations);
  };
  return {nanoseconds(core_end - core_start), nanoseconds(slot_end - slot_start), iterations};
}

}  // namespace dotcompute
