# tests/test_codegen_c.py
# The CPU code generator on its own: hand-built IR -> C -> cc -> ctypes launch, against numpy.
from __future__ import annotations

import ctypes
import hashlib
import itertools
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from dotcompute.errors import UnsupportedError
from dotcompute.kernel import ir
from dotcompute.kernel.codegen_c import GeneratedKernel, generate_c
from dotcompute.kernel.compiler import BASE_FLAGS
from dotcompute.kernel.types import (
    BOOL,
    FLOAT16,
    FLOAT32,
    FLOAT64,
    INT8,
    INT16,
    INT32,
    INT64,
    UINT8,
    UINT16,
    UINT32,
    UINT64,
    VOID,
    ArrayType,
    ScalarType,
    SharedArrayType,
)

COMPILER = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
pytestmark = pytest.mark.skipif(COMPILER is None, reason="no C compiler on this machine")
WARNINGS = ("-Wall", "-Wextra", "-Werror")

# ---------------------------------------------------------------------------------------------
# IR construction: small helpers so each test reads like the Python kernel it stands for
# ---------------------------------------------------------------------------------------------


def var(name: str, t: ScalarType = INT64) -> ir.Var:
    return ir.Var(t, name)


def array(name: str, dtype: ScalarType, ndim: int = 1) -> ir.Var:
    return ir.Var(ArrayType(dtype, ndim), name)


def const(value, t: ScalarType = INT64) -> ir.Const:
    return ir.Const(t, value)


def binop(op: str, left: ir.Expr, right: ir.Expr, t: ScalarType | None = None) -> ir.BinOp:
    return ir.BinOp(t or left.type, op, left, right)


def compare(op: str, left: ir.Expr, right: ir.Expr) -> ir.Compare:
    return ir.Compare(BOOL, op, left, right)


def at(array_var: ir.Var, *indices: ir.Expr) -> ir.Index:
    return ir.Index(array_var.type.dtype, array_var, list(indices))


def store(array_var: ir.Var, indices: list[ir.Expr], value: ir.Expr) -> ir.Store:
    return ir.Store(at(array_var, *indices), value)


def let(target: ir.Var, value: ir.Expr) -> ir.Assign:
    return ir.Assign(target, value)


def query(name: str, dim: int = 0) -> ir.WorkItemQuery:
    return ir.WorkItemQuery(INT64, name, dim)


def global_id(dim: int = 0) -> ir.WorkItemQuery:
    return query("global_id", dim)


def shape(array_var: ir.Var, dim: int = 0) -> ir.ArrayShape:
    return ir.ArrayShape(INT64, array_var, dim)


def math_call(name: str, *args: ir.Expr, t: ScalarType | None = None) -> ir.MathCall:
    return ir.MathCall(t or args[0].type, name, list(args))


def cast(value: ir.Expr, t: ScalarType) -> ir.Cast:
    return ir.Cast(t, value)


def if_(condition: ir.Expr, body: list[ir.Stmt], orelse: list[ir.Stmt] | None = None) -> ir.If:
    return ir.If(condition, body, orelse or [])


def for_range(
    loop_var: ir.Var, start: ir.Expr, stop: ir.Expr, step: ir.Expr, body: list[ir.Stmt]
) -> ir.For:
    sign = int(np.sign(step.value)) if isinstance(step, ir.Const) else 0
    return ir.For(loop_var, start, stop, step, sign, body)


def function(
    name: str,
    params: list[ir.Var],
    body: list[ir.Stmt],
    *,
    callees: list[ir.Function] | None = None,
    return_type=VOID,
    is_kernel: bool = True,
) -> ir.Function:
    """An ir.Function with locals, shared arrays and barrier use filled in as the frontend
    would."""
    param_names = {p.name for p in params}
    local_types: dict[str, ScalarType] = {}
    shared: dict[str, SharedArrayType] = {}
    pending = list(body)
    uses_barrier = False
    while pending:
        stmt = pending.pop(0)
        if isinstance(stmt, ir.Assign) and stmt.target.name not in param_names:
            local_types.setdefault(stmt.target.name, stmt.target.type)
        if isinstance(stmt, ir.For):
            local_types.setdefault(stmt.var.name, stmt.var.type)
        if isinstance(stmt, ir.SharedArrayDecl):
            shared[stmt.var.name] = stmt.var.type
        uses_barrier |= isinstance(stmt, ir.Barrier)
        if isinstance(stmt, ir.If):
            pending += stmt.body + stmt.orelse
        if isinstance(stmt, ir.For | ir.While):
            pending += stmt.body
    return ir.Function(
        name=name,
        python_name=name,
        params=[ir.Param(p.name, p.type) for p in params],
        return_type=return_type,
        body=body,
        locals=local_types,
        is_kernel=is_kernel,
        uses_barrier=uses_barrier,
        shared_arrays=shared,
        callees=callees or [],
    )


# ---------------------------------------------------------------------------------------------
# The driver: compile a generated TU and run its groups through the CPU kernel ABI
# ---------------------------------------------------------------------------------------------


class DcCpuLaunch(ctypes.Structure):
    _fields_ = [
        ("dimensions", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("global_size", ctypes.c_uint64 * 3),
        ("local_size", ctypes.c_uint64 * 3),
        ("group_count", ctypes.c_uint64 * 3),
        ("group_begin", ctypes.c_uint64),
        ("group_end", ctypes.c_uint64),
        ("scratch", ctypes.c_void_p),
        ("scratch_bytes", ctypes.c_uint64),
    ]


_LIBRARIES: dict[str, ctypes.CDLL] = {}


def compile_source(source: str, directory: Path, extra_flags: tuple[str, ...] = ()) -> ctypes.CDLL:
    key = hashlib.sha256((source + " ".join(extra_flags)).encode()).hexdigest()[:16]
    if key not in _LIBRARIES:
        c_file, library = directory / f"k{key}.c", directory / f"k{key}.so"
        c_file.write_text(source)
        command = [COMPILER, *BASE_FLAGS]  # exactly what the runtime compiles with
        command += [*WARNINGS, *extra_flags, str(c_file), "-o", str(library), "-lm"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{result.stderr}\n{source}"
        _LIBRARIES[key] = ctypes.CDLL(str(library))
    return _LIBRARIES[key]


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("codegen_c")


def launch(
    kernel: ir.Function,
    directory: Path,
    global_size: tuple[int, ...] | int,
    local_size: tuple[int, ...] | int,
    *args,
    chunks: int = 2,
) -> GeneratedKernel:
    """Run every group of the launch with one thread, in ``chunks`` calls (so group_begin > 0
    is exercised), as the CPU plugin does."""
    generated = generate_c(kernel)
    library = compile_source(generated.source, directory)
    assert ctypes.c_uint32.in_dll(library, "dc_cpu_kernel_abi_version").value == 1
    entry = getattr(library, generated.symbol)
    entry.restype = None
    entry.argtypes = [ctypes.POINTER(DcCpuLaunch), ctypes.POINTER(ctypes.c_void_p)]

    global_size = (global_size,) if isinstance(global_size, int) else tuple(global_size)
    local_size = (local_size,) if isinstance(local_size, int) else tuple(local_size)
    dims = len(global_size)
    global3 = list(global_size) + [1] * (3 - dims)
    local3 = list(local_size) + [1] * (3 - dims)
    groups3 = [-(-g // local) for g, local in zip(global3, local3, strict=True)]

    keep_alive: list[object] = []
    slots: list[int | None] = []
    for param, value in zip(kernel.params, args, strict=True):
        if isinstance(param.type, ArrayType):
            assert value.dtype == param.type.dtype.dtype and value.flags.c_contiguous
            slots.append(value.ctypes.data)
            for extent in value.shape:
                box = np.array([extent], dtype=np.int64)
                keep_alive.append(box)
                slots.append(box.ctypes.data)
        else:
            box = np.array([value], dtype=param.type.dtype)
            keep_alive.append(box)
            slots.append(box.ctypes.data)
    arg_array = (ctypes.c_void_p * max(1, len(slots)))(*slots)

    items = math.prod(local3)
    scratch_bytes = generated.shared_bytes + generated.per_item_bytes * items
    scratch = np.full(scratch_bytes + 128, 0xA5, dtype=np.uint8)  # stale bytes, not zeros
    scratch_offset = -scratch.ctypes.data % 64
    total = math.prod(groups3)
    bounds = np.linspace(0, total, chunks + 1).astype(int)
    for begin, end in itertools.pairwise(bounds):
        if begin == end:
            continue
        config = DcCpuLaunch(
            dims,
            0,
            (ctypes.c_uint64 * 3)(*global3),
            (ctypes.c_uint64 * 3)(*local3),
            (ctypes.c_uint64 * 3)(*groups3),
            int(begin),
            int(end),
            scratch.ctypes.data + scratch_offset,
            scratch_bytes,
        )
        entry(ctypes.byref(config), arg_array)
    return generated


RNG = np.random.default_rng(20240607)


def random_floats(n: int, dtype=np.float32) -> np.ndarray:
    return RNG.uniform(-10, 10, n).astype(dtype)


# ---------------------------------------------------------------------------------------------
# Index spaces
# ---------------------------------------------------------------------------------------------


def vector_add_kernel(dtype: ScalarType = FLOAT32, guarded: bool = True) -> ir.Function:
    a, b, out = array("a", dtype), array("b", dtype), array("out", dtype)
    i = var("i")
    body: list[ir.Stmt] = [let(i, global_id(0))]
    add = store(out, [i], binop("+", at(a, i), at(b, i)))
    body.append(if_(compare("<", i, shape(out, 0)), [add]) if guarded else add)
    return function("vector_add", [a, b, out], body)


@pytest.mark.parametrize("guarded", [True, False])
def test_vector_add(build_dir, guarded):
    n = 10_007
    a, b = random_floats(n), random_floats(n)
    out = np.zeros(n, np.float32)
    generated = launch(vector_add_kernel(guarded=guarded), build_dir, n, 64, a, b, out)
    np.testing.assert_array_equal(out, a + b)
    assert generated.symbol == "dc_kernel_vector_add"
    assert not generated.uses_barrier and generated.per_item_bytes == 0
    # Readable: the user's names survive and no placeholder comment is left behind.
    source = generated.source
    assert "out[i] = a[i] + b[i];" in source
    assert ("if (i < out_shape0) {" in source) == guarded
    assert source.count("/*") == 1  # the header line only


def test_vector_add_in_a_2d_launch_runs_every_item(build_dir):
    """A kernel that only reads global_id(0) still runs once per item of a 2-D space."""
    counts = np.zeros(50, np.int32)
    c = array("counts", INT32)
    body = [ir.ExprStmt(ir.AtomicOp(INT32, "add", c, [global_id(0)], [const(1, INT32)]))]
    launch(function("count", [c], body), build_dir, (50, 3), (16, 2), counts)
    np.testing.assert_array_equal(counts, np.full(50, 3))


def test_2d_index_space(build_dir):
    rows, cols = 37, 23
    a, out = array("a", FLOAT64, 2), array("out", FLOAT64, 2)
    i, j = var("i"), var("j")
    value = binop("+", binop("*", at(a, i, j), const(2.0, FLOAT64)), cast(j, FLOAT64))
    body = [
        let(i, global_id(0)),
        let(j, global_id(1)),
        if_(
            ir.BoolOp(BOOL, "and", [compare("<", i, shape(a, 0)), compare("<", j, shape(a, 1))]),
            [store(out, [i, j], value)],
        ),
    ]
    data = RNG.standard_normal((rows, cols))
    out_data = np.zeros_like(data)
    launch(function("scale2d", [a, out], body), build_dir, (rows, cols), (8, 4), data, out_data)
    np.testing.assert_allclose(out_data, data * 2 + np.arange(cols)[None, :])


def test_3d_index_space_and_every_query(build_dir):
    size, local = (5, 7, 9), (2, 3, 4)
    out = array("out", INT64, 4)
    i, j, k = var("i"), var("j"), var("k")
    body: list[ir.Stmt] = [let(i, global_id(0)), let(j, global_id(1)), let(k, global_id(2))]
    for slot, name in enumerate(
        ["global_id", "local_id", "group_id", "local_size", "global_size", "num_groups"]
    ):
        for dim in range(3):
            body.append(store(out, [i, j, k, const(slot * 3 + dim)], query(name, dim)))
    result = np.full((*size, 18), -1, np.int64)
    launch(function("queries", [out], body), build_dir, size, local, result)
    grid = np.indices(size)
    for dim in range(3):
        np.testing.assert_array_equal(result[..., dim], grid[dim])
        np.testing.assert_array_equal(result[..., 3 + dim], grid[dim] % local[dim])
        np.testing.assert_array_equal(result[..., 6 + dim], grid[dim] // local[dim])
        assert (result[..., 9 + dim] == local[dim]).all()
        assert (result[..., 12 + dim] == size[dim]).all()
        assert (result[..., 15 + dim] == -(-size[dim] // local[dim])).all()


# ---------------------------------------------------------------------------------------------
# Operators with Python semantics
# ---------------------------------------------------------------------------------------------


def elementwise_kernel(name: str, t: ScalarType, expression, out_type=None, inputs: int = 2):
    """out[i] = expression(a[i], b[i]) over a 1-D launch of len(out) items."""
    arrays = [array(n, t) for n in "ab"[:inputs]]
    out = array("out", out_type or t)
    i = var("i")
    value = expression(*[at(x, i) for x in arrays])
    body = [let(i, global_id(0)), store(out, [i], value)]
    return function(name, [*arrays, out], body)


def wrap(value: int, t: ScalarType) -> int:
    bits = t.bits
    value %= 1 << bits
    return value - (1 << bits) if t.is_signed and value >= 1 << (bits - 1) else value


def python_integer_op(op: str, a: int, b: int, t: ScalarType) -> int:
    if op in ("//", "%") and b == 0:
        return 0
    if op == "**":
        if b < 0:
            return 1 if a == 1 else ((-1) ** (-b) if a == -1 else 0)
        return pow(a, b, 1 << t.bits)
    if op == "<<":
        return a << b if 0 <= b < t.bits else 0
    if op == ">>":
        return a >> b if 0 <= b < t.bits else (-1 if a < 0 else 0)
    return {
        "+": a + b,
        "-": a - b,
        "*": a * b,
        "//": a // b if b else 0,
        "%": a % b if b else 0,
        "&": a & b,
        "|": a | b,
        "^": a ^ b,
    }[op]


INTEGER_TYPES = [INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64]


def integer_edge_values(t: ScalarType) -> np.ndarray:
    info = np.iinfo(t.dtype)
    values = {0, 1, 2, 3, 7, 13, info.max, info.max - 1, t.bits - 1, t.bits, t.bits + 1}
    if t.is_signed:
        values |= {-1, -2, -3, -7, -13, info.min, info.min + 1, -t.bits}
    values |= {int(v) for v in RNG.integers(info.min, info.max, 6, endpoint=True, dtype=t.dtype)}
    return np.array(sorted(values), dtype=t.dtype)


@pytest.mark.parametrize("t", INTEGER_TYPES, ids=str)
@pytest.mark.parametrize("op", ["+", "-", "*", "//", "%", "**", "<<", ">>", "&", "|", "^"])
def test_integer_operators(build_dir, t, op):
    edges = integer_edge_values(t)
    a, b = (x.ravel().copy() for x in np.meshgrid(edges, edges))
    if op == "**":
        b = np.where(b.astype(object) > 70, b % 70, b).astype(t.dtype)
    if t.is_signed and t.bits >= 32 and op in ("+", "-", "*"):
        # Signed 32/64-bit overflow is undefined (Note [Operator semantics]): in-range pairs only.
        info = np.iinfo(t.dtype)
        exact = [python_integer_op(op, int(x), int(y), t) for x, y in zip(a, b, strict=True)]
        keep = np.array([info.min <= v <= info.max for v in exact])
        a, b = a[keep], b[keep]
    out = np.zeros_like(a)
    kernel = elementwise_kernel(f"op_{t}", t, lambda x, y: binop(op, x, y))
    launch(kernel, build_dir, len(a), 32, a, b, out)
    expected = [
        wrap(python_integer_op(op, int(x), int(y), t), t) for x, y in zip(a, b, strict=True)
    ]
    mismatches = [
        (int(x), int(y), int(r), e)
        for x, y, r, e in zip(a, b, out, expected, strict=True)
        if r != e
    ]
    assert not mismatches, f"{t} {op}: (a, b, got, expected) {mismatches[:5]}"


@pytest.mark.parametrize("t", [INT8, INT32, UINT16, INT64], ids=str)
def test_constant_shift_counts_and_unary_operators(build_dir, t):
    edges = integer_edge_values(t)
    out = np.zeros((4, len(edges)), t.dtype)
    a, result = array("a", t), array("out", t, 2)
    i = var("i")
    body = [
        let(i, global_id(0)),
        store(result, [const(0), i], binop("<<", at(a, i), const(3, t))),
        store(result, [const(1), i], binop(">>", at(a, i), const(t.bits - 1, t))),
        store(result, [const(2), i], ir.UnaryOp(t, "-", at(a, i))),
        store(result, [const(3), i], ir.UnaryOp(t, "~", at(a, i))),
    ]
    launch(function("unary", [a, result], body), build_dir, len(edges), 16, edges, out)
    values = [int(v) for v in edges]
    assert [int(v) for v in out[0]] == [wrap(v << 3, t) for v in values]
    assert [int(v) for v in out[1]] == [v >> (t.bits - 1) for v in values]
    # -INT_MIN is undefined for 32/64-bit types (Note [Operator semantics]).
    defined = [n for n, v in enumerate(values) if t.bits < 32 or v != np.iinfo(t.dtype).min]
    assert [int(out[2, n]) for n in defined] == [wrap(-values[n], t) for n in defined]
    assert [int(v) for v in out[3]] == [wrap(~v, t) for v in values]


FLOAT_EDGES = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.5,
    -2.5,
    7.0,
    -7.0,
    0.1,
    1e30,
    -1e30,
    np.inf,
    -np.inf,
    np.nan,
]


@pytest.mark.parametrize("t", [FLOAT32, FLOAT64], ids=str)
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "//", "%", "**"])
def test_float_operators(build_dir, t, op):
    edges = np.array(FLOAT_EDGES + list(RNG.uniform(-20, 20, 5)), dtype=t.dtype)
    a, b = (x.ravel().copy() for x in np.meshgrid(edges, edges))
    out = np.zeros_like(a)
    kernel = elementwise_kernel(f"float_op_{t}", t, lambda x, y: binop(op, x, y))
    launch(kernel, build_dir, len(a), 32, a, b, out)
    with np.errstate(all="ignore"):
        expected = {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b,
            "//": lambda: np.floor_divide(a, b),  # Python divmod semantics
            "%": lambda: np.remainder(a, b),
            "**": lambda: np.power(a, b),
        }[op]()
    np.testing.assert_allclose(out, expected, rtol=1e-6 if t == FLOAT32 else 1e-12)
    if op == "%":  # Python's modulo: a zero result has the divisor's sign
        zero = (expected == 0) & ~np.isnan(expected)
        np.testing.assert_array_equal(np.signbit(out[zero]), np.signbit(b[zero]))


def test_comparisons_boolean_operators_and_select(build_dir):
    t = FLOAT32
    edges = np.array(FLOAT_EDGES, dtype=np.float32)
    a, b = (x.ravel().copy() for x in np.meshgrid(edges, edges))
    out = np.zeros((7, len(a)), np.int32)
    x, y, result, i = array("a", t), array("b", t), array("out", INT32, 2), var("i")
    ax, by = at(x, i), at(y, i)
    flags = [compare(op, ax, by) for op in ("<", "<=", ">", ">=", "==", "!=")]
    either = ir.BoolOp(BOOL, "or", [flags[0], ir.UnaryOp(BOOL, "not", flags[4])])
    body: list[ir.Stmt] = [let(i, global_id(0))]
    for row, flag in enumerate([*flags[:5], either]):
        body.append(store(result, [const(row), i], cast(flag, INT32)))
    chosen = ir.Select(INT32, ir.BoolOp(BOOL, "and", flags[:2]), const(10, INT32), const(-5, INT32))
    body.append(store(result, [const(6), i], chosen))
    launch(function("compare", [x, y, result], body), build_dir, len(a), 32, a, b, out)
    with np.errstate(invalid="ignore"):
        for row, expected in enumerate([a < b, a <= b, a > b, a >= b, a == b]):
            np.testing.assert_array_equal(out[row], expected)
        np.testing.assert_array_equal(out[5], (a < b) | ~(a == b))
        np.testing.assert_array_equal(out[6], np.where((a < b) & (a <= b), 10, -5))


# ---------------------------------------------------------------------------------------------
# Casts and float16
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [INT8, INT32, INT64, UINT8, UINT32, UINT64, BOOL], ids=str)
def test_float_to_integer_casts_saturate(build_dir, target):
    values = np.array(
        [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.9,
            -1.9,
            127.9,
            128.0,
            -128.5,
            -129.0,
            255.5,
            256.0,
            3e9,
            -3e9,
            4.3e9,
            9.3e18,
            2e19,
            -1e19,
            np.inf,
            -np.inf,
            np.nan,
        ],
        dtype=np.float64,
    )
    out = np.zeros(len(values), target.dtype)
    kernel = elementwise_kernel("to_int", FLOAT64, lambda x: cast(x, target), target, inputs=1)
    launch(kernel, build_dir, len(values), 8, values, out)
    if target.is_bool:
        np.testing.assert_array_equal(out, values != 0)
        return
    info = np.iinfo(target.dtype)
    expected = [
        0 if math.isnan(v) else info.min if v <= info.min else info.max if v >= info.max else int(v)
        for v in values
    ]
    assert [int(v) for v in out] == expected


def test_integer_and_float_casts(build_dir):
    a = np.array([0, 1, -1, 127, 128, -129, 300, 2**40 + 7, -(2**40) - 3], np.int64)
    out = np.zeros((4, len(a)), np.float64)
    x, result, i = array("a", INT64), array("out", FLOAT64, 2), var("i")
    body = [
        let(i, global_id(0)),
        store(result, [const(0), i], cast(cast(at(x, i), INT8), FLOAT64)),
        store(result, [const(1), i], cast(cast(at(x, i), UINT16), FLOAT64)),
        store(result, [const(2), i], cast(cast(at(x, i), FLOAT32), FLOAT64)),
        store(result, [const(3), i], cast(cast(at(x, i), FLOAT16), FLOAT64)),
    ]
    launch(function("casts", [x, result], body), build_dir, len(a), 4, a, out)
    np.testing.assert_array_equal(out[0], a.astype(np.int8))
    np.testing.assert_array_equal(out[1], a.astype(np.uint16))
    np.testing.assert_array_equal(out[2], a.astype(np.float32))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(out[3], a.astype(np.float16))


def test_float16_arrays_compute_in_float32(build_dir):
    n = 1001
    a, b = random_floats(n).astype(np.float16), random_floats(n).astype(np.float16)
    out = np.zeros(n, np.float16)
    kernel = elementwise_kernel(
        "half", FLOAT16, lambda x, y: binop("+", binop("*", x, y), const(0.1, FLOAT16))
    )
    generated = launch(kernel, build_dir, n, 64, a, b, out)
    expected = a.astype(np.float32) * b.astype(np.float32) + np.float32(np.float16(0.1))
    np.testing.assert_array_equal(out, expected.astype(np.float16))
    assert "_Float16* a" in generated.source


# ---------------------------------------------------------------------------------------------
# Math
# ---------------------------------------------------------------------------------------------

UNARY_MATH = {
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "tanh": np.tanh,
    "abs": np.abs,
    "floor": np.floor,
    "ceil": np.ceil,
    "round": np.round,
    "trunc": np.trunc,
}


@pytest.mark.parametrize("t", [FLOAT32, FLOAT64], ids=str)
@pytest.mark.parametrize("name", sorted(UNARY_MATH))
def test_unary_math(build_dir, t, name):
    values = np.concatenate([RNG.uniform(0.01, 20, 300), RNG.uniform(-20, 20, 300)])
    values = np.concatenate([values, [0.5, 1.5, 2.5, -2.5]]).astype(t.dtype)
    out = np.zeros_like(values)
    kernel = elementwise_kernel(f"math_{name}", t, lambda x: math_call(name, x), inputs=1)
    generated = launch(kernel, build_dir, len(values), 64, values, out)
    with np.errstate(all="ignore"):
        expected = UNARY_MATH[name](values)
    np.testing.assert_allclose(out, expected, rtol=2e-6 if t == FLOAT32 else 1e-14, atol=1e-30)
    c_name = {"abs": "fabs", "round": "rint"}.get(name, name)
    assert f"{c_name}{'f' if t == FLOAT32 else ''}(a[i])" in generated.source


def test_binary_math_min_max_follow_python(build_dir):
    edges = np.array([1.0, -2.0, 0.0, -0.0, np.nan, np.inf, 3.5], np.float32)
    a, b = (x.ravel().copy() for x in np.meshgrid(edges, edges))
    out = np.zeros((4, len(a)), np.float32)
    x, y, result, i = array("a", FLOAT32), array("b", FLOAT32), array("out", FLOAT32, 2), var("i")
    ax, by = at(x, i), at(y, i)
    body = [
        let(i, global_id(0)),
        store(result, [const(0), i], math_call("min", ax, by)),
        store(result, [const(1), i], math_call("max", ax, by, const(0.0, FLOAT32))),
        store(result, [const(2), i], math_call("pow", math_call("abs", ax), by)),
        store(result, [const(3), i], math_call("fma", ax, by, const(1.5, FLOAT32))),
    ]
    launch(function("minmax", [x, y, result], body), build_dir, len(a), 8, a, b, out)
    py_min = [min(float(p), float(q)) for p, q in zip(a, b, strict=True)]
    py_max = [max(float(p), float(q), 0.0) for p, q in zip(a, b, strict=True)]
    np.testing.assert_array_equal(out[0], np.array(py_min, np.float32))
    np.testing.assert_array_equal(out[1], np.array(py_max, np.float32))
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(out[2], np.power(np.abs(a), b), rtol=1e-6)
        np.testing.assert_allclose(out[3], a * b + np.float32(1.5), rtol=1e-6)


@pytest.mark.parametrize("t", [INT8, INT32, INT64, UINT32], ids=str)
def test_integer_abs_min_max(build_dir, t):
    edges = integer_edge_values(t)
    a, b = (x.ravel().copy() for x in np.meshgrid(edges, edges))
    out = np.zeros((3, len(a)), t.dtype)
    x, y, result, i = array("a", t), array("b", t), array("out", t, 2), var("i")
    body = [
        let(i, global_id(0)),
        store(result, [const(0), i], math_call("abs", at(x, i))),
        store(result, [const(1), i], math_call("min", at(x, i), at(y, i))),
        store(result, [const(2), i], math_call("max", at(x, i), at(y, i))),
    ]
    launch(function("int_minmax", [x, y, result], body), build_dir, len(a), 32, a, b, out)
    assert [int(v) for v in out[0]] == [wrap(abs(int(v)), t) for v in a]
    np.testing.assert_array_equal(out[1], np.minimum(a, b))
    np.testing.assert_array_equal(out[2], np.maximum(a, b))


# ---------------------------------------------------------------------------------------------
# Atomics
# ---------------------------------------------------------------------------------------------


def test_atomic_histogram_with_collisions(build_dir):
    n, bins = 5003, 17
    data = RNG.integers(0, 1000, n).astype(np.int32)
    histogram = np.zeros(bins, np.int32)
    tickets = np.full(n, -1, np.int64)
    counter = np.zeros(1, np.int64)
    d, h, t, c, i = (
        array("data", INT32),
        array("histogram", INT32),
        array("tickets", INT64),
        array("counter", INT64),
        var("i"),
    )
    bin_index = cast(binop("%", at(d, i), const(bins, INT32)), INT64)
    ticket = ir.AtomicOp(INT64, "add", c, [const(0)], [const(1)])
    body = [
        let(i, global_id(0)),
        if_(
            compare("<", i, shape(d, 0)),
            [
                ir.ExprStmt(ir.AtomicOp(INT32, "add", h, [bin_index], [const(1, INT32)])),
                store(t, [i], ticket),
            ],
        ),
    ]
    launch(
        function("histogram", [d, h, t, c], body),
        build_dir,
        n + 5,
        64,
        data,
        histogram,
        tickets,
        counter,
    )
    np.testing.assert_array_equal(histogram, np.bincount(data % bins, minlength=bins))
    np.testing.assert_array_equal(np.sort(tickets), np.arange(n))  # old values are returned
    assert counter[0] == n


@pytest.mark.parametrize("t", [INT32, INT64, FLOAT32, FLOAT64], ids=str)
def test_atomic_operations(build_dir, t):
    n = 777
    values = RNG.integers(-1000, 1000, n) if t.is_integer else RNG.uniform(-1000, 1000, n)
    values = values.astype(t.dtype)
    cells = np.array([0, 0, 10**6, -(10**6), 0, 5], dtype=t.dtype)
    olds = np.zeros((2, n), t.dtype)
    v, cell, old, i = array("values", t), array("cells", t), array("olds", t, 2), var("i")
    x = at(v, i)

    def atomic(op, slot, *operands):
        return ir.AtomicOp(t, op, cell, [const(slot)], list(operands))

    body = [
        let(i, global_id(0)),
        ir.ExprStmt(atomic("add", 0, x)),
        ir.ExprStmt(atomic("sub", 1, x)),
        ir.ExprStmt(atomic("min", 2, x)),
        ir.ExprStmt(atomic("max", 3, x)),
        store(old, [const(0), i], atomic("exchange", 4, x)),
        store(old, [const(1), i], atomic("cas", 5, const(5, t), x)),
    ]
    launch(function(f"atomics_{t}", [v, cell, old], body), build_dir, n, 32, values, cells, olds)
    tolerance = {"rtol": 1e-4} if t == FLOAT32 else {}
    np.testing.assert_allclose(cells[0], values.sum(dtype=np.float64), **tolerance)
    np.testing.assert_allclose(cells[1], -values.sum(dtype=np.float64), **tolerance)
    assert cells[2] == values.min() and cells[3] == values.max()
    # Exchange: the items ran in order on one thread, so each saw its predecessor's value.
    assert olds[0, 0] == 0 and (olds[0, 1:] == values[:-1]).all() and cells[4] == values[-1]
    # CAS: only the first item found 5 and swapped; every later one saw its value.
    assert olds[1, 0] == 5 and (olds[1, 1:] == values[0]).all() and cells[5] == values[0]


# ---------------------------------------------------------------------------------------------
# Control flow
# ---------------------------------------------------------------------------------------------


def test_if_elif_else(build_dir):
    values = np.concatenate([RNG.uniform(-10, 10, 500), [0.0, -5.0, 5.0]]).astype(np.float32)
    out = np.zeros(len(values), np.int32)
    a, result, i = array("a", FLOAT32), array("out", INT32), var("i")
    x = at(a, i)

    def put(v):
        return [store(result, [i], const(v, INT32))]

    chain = if_(
        compare("<", x, const(-5.0, FLOAT32)),
        put(1),
        [
            if_(
                compare("<", x, const(0, FLOAT32)),
                put(2),
                [if_(compare("==", x, const(0, FLOAT32)), put(3), put(4))],
            )
        ],
    )
    generated = launch(
        function("classify", [a, result], [let(i, global_id(0)), chain]),
        build_dir,
        len(values),
        16,
        values,
        out,
    )
    expected = np.select([values < -5, values < 0, values == 0], [1, 2, 3], 4)
    np.testing.assert_array_equal(out, expected)
    assert "} else if (a[i] < 0.0f) {" in generated.source


def range_loop_kernel() -> ir.Function:
    start, stop, step = var("start"), var("stop"), var("step")
    result, i, k, total, last = (
        array("out", INT64, 2),
        var("i"),
        var("k"),
        var("total"),
        var("last"),
    )
    j = var("j")
    body = [
        let(i, global_id(0)),
        let(total, const(0)),
        let(k, const(-100)),
        for_range(k, binop("+", start, i), stop, step, [let(total, binop("+", total, k))]),
        let(last, k),  # Python keeps the loop variable's last value
        store(result, [i, const(0)], total),
        store(result, [i, const(1)], last),
        let(total, const(0)),
        for_range(j, i, const(-1), const(-1), [let(total, binop("+", total, binop("*", j, j)))]),
        store(result, [i, const(2)], total),
        let(total, const(0)),
        for_range(
            j, const(0), binop("+", i, const(1)), const(3), [let(total, binop("+", total, j))]
        ),
        store(result, [i, const(3)], total),
    ]
    return function("ranges", [start, stop, step, result], body)


@pytest.mark.parametrize(
    ("start", "stop", "step"), [(0, 40, 3), (30, -7, -2), (5, 50, 0), (9, 3, 1)]
)
def test_for_with_runtime_and_negative_steps(build_dir, start, stop, step):
    n = 23
    out = np.zeros((n, 4), np.int64)
    launch(range_loop_kernel(), build_dir, n, 8, start, stop, step, out)
    for i in range(n):
        loop = range(start + i, stop, step) if step else range(0)
        assert out[i, 0] == sum(loop)
        assert out[i, 1] == (loop[-1] if len(loop) else -100)
        assert out[i, 2] == sum(j * j for j in range(i, -1, -1))
        assert out[i, 3] == sum(range(0, i + 1, 3))


def test_while_break_continue(build_dir):
    values = RNG.integers(1, 10_000, 301).astype(np.int64)
    out = np.zeros((len(values), 2), np.int64)
    a, result = array("a", INT64), array("out", INT64, 2)
    i, n, steps, k, total = var("i"), var("n"), var("steps"), var("k"), var("total")
    collatz = ir.While(
        const(True, BOOL),
        [
            if_(compare("==", n, const(1)), [ir.Break()]),
            let(steps, binop("+", steps, const(1))),
            if_(
                compare("==", binop("%", n, const(2)), const(0)),
                [let(n, binop("//", n, const(2))), ir.Continue()],
            ),
            let(n, binop("+", binop("*", n, const(3)), const(1))),
        ],
    )
    skipping = for_range(
        k,
        const(0),
        const(100_000),
        const(1),
        [
            if_(compare(">", binop("*", k, k), at(a, i)), [ir.Break()]),
            if_(compare("==", binop("%", k, const(3)), const(0)), [ir.Continue()]),
            let(total, binop("+", total, k)),
        ],
    )
    body = [
        let(i, global_id(0)),
        let(n, at(a, i)),
        let(steps, const(0)),
        collatz,
        store(result, [i, const(0)], steps),
        let(total, const(0)),
        skipping,
        store(result, [i, const(1)], total),
    ]
    launch(function("loops", [a, result], body), build_dir, len(values), 32, values, out)
    for row, value in enumerate(values):
        n, count = int(value), 0
        while n != 1:
            n, count = (n // 2 if n % 2 == 0 else 3 * n + 1), count + 1
        assert out[row, 0] == count
        k_values = [k for k in range(100_000) if k * k <= value]
        assert out[row, 1] == sum(k for k in k_values if k % 3)


# ---------------------------------------------------------------------------------------------
# Device functions
# ---------------------------------------------------------------------------------------------


def test_device_functions_with_returns(build_dir):
    x, lo, hi = var("x", FLOAT32), var("lo", FLOAT32), var("hi", FLOAT32)
    clamp = function(
        "clamp_value",
        [x, lo, hi],
        [
            if_(compare("<", x, lo), [ir.Return(lo)]),
            if_(compare(">", x, hi), [ir.Return(hi)], [ir.Return(x)]),
        ],
        return_type=FLOAT32,
        is_kernel=False,
    )
    # A device function taking an array, reading its shape and the caller's work-item id.
    data, offset = array("data", FLOAT32), var("offset")
    call_clamp = ir.FuncCall(
        FLOAT32, "clamp_value", [at(data, offset), const(-1.0, FLOAT32), const(1.0, FLOAT32)]
    )
    neighbour = function(
        "shifted_clamp",
        [data, offset],
        [
            let(var("j", INT64), binop("%", binop("+", global_id(0), offset), shape(data, 0))),
            let(offset, var("j")),
            ir.Return(binop("*", call_clamp, const(2.0, FLOAT32))),
        ],
        callees=[clamp],
        return_type=FLOAT32,
        is_kernel=False,
    )
    a, out, i = array("a", FLOAT32), array("out", FLOAT32), var("i")
    body = [
        let(i, global_id(0)),
        store(out, [i], ir.FuncCall(FLOAT32, "shifted_clamp", [a, const(3)])),
    ]
    kernel = function("use_functions", [a, out], body, callees=[clamp, neighbour])
    n = 257
    values = random_floats(n) / 5
    result = np.zeros(n, np.float32)
    generated = launch(kernel, build_dir, n, 16, values, result)
    np.testing.assert_array_equal(result, np.clip(np.roll(values, -3), -1, 1) * 2)
    assert "static inline float clamp_value(float x, float lo, float hi)" in generated.source
    assert "int64_t global_id_0" in generated.source  # the work-item id travels as a parameter


def test_device_function_rejects_barrier():
    helper = function("sync", [], [ir.Barrier()], is_kernel=False)
    kernel = function("k", [], [ir.ExprStmt(ir.FuncCall(VOID, "sync", []))], callees=[helper])
    with pytest.raises(UnsupportedError, match="barrier"):
        generate_c(kernel)


# ---------------------------------------------------------------------------------------------
# Barriers and shared memory
# ---------------------------------------------------------------------------------------------


def reduction_kernel(local: int) -> ir.Function:
    a, partial = array("a", FLOAT32), array("partial", FLOAT32)
    shared = ir.Var(SharedArrayType(FLOAT32, (local,)), "cache")
    gid, lid, s = var("gid"), var("lid"), var("s")
    load = ir.Select(FLOAT32, compare("<", gid, shape(a, 0)), at(a, gid), const(0.0, FLOAT32))
    body = [
        ir.SharedArrayDecl(shared),
        let(gid, global_id(0)),
        let(lid, query("local_id", 0)),
        store(shared, [lid], load),
        ir.Barrier(),
        let(s, binop("//", query("local_size", 0), const(2))),
        ir.While(
            compare(">", s, const(0)),
            [
                if_(
                    compare("<", lid, s),
                    [
                        store(
                            shared,
                            [lid],
                            binop("+", at(shared, lid), at(shared, binop("+", lid, s))),
                        )
                    ],
                ),
                ir.Barrier(),
                ir.Assign(s, binop("//", s, const(2))),
            ],
        ),
        if_(
            compare("==", lid, const(0)),
            [store(partial, [query("group_id", 0)], at(shared, const(0)))],
        ),
    ]
    return function("block_sum", [a, partial], body)


@pytest.mark.parametrize("n", [1, 63, 64, 1000, 4099])
def test_shared_memory_tree_reduction(build_dir, n):
    local = 64
    groups = -(-n // local)
    values = random_floats(n)
    partial = np.zeros(groups, np.float32)
    generated = launch(reduction_kernel(local), build_dir, groups * local, local, values, partial)
    padded = np.zeros(groups * local, np.float32)
    padded[:n] = values
    np.testing.assert_allclose(
        partial, padded.reshape(groups, local).sum(axis=1), rtol=1e-5, atol=1e-4
    )
    assert generated.uses_barrier
    assert generated.shared_bytes == 256
    # lid and s cross barriers: per work-item state; gid is only used in the first region.
    assert generated.per_item_bytes == 16
    assert "while (s[0] > 0) {" in generated.source


def matmul_kernel(tile: int) -> ir.Function:
    a, b, c = array("a", FLOAT32, 2), array("b", FLOAT32, 2), array("c", FLOAT32, 2)
    tile_a = ir.Var(SharedArrayType(FLOAT32, (tile, tile)), "tile_a")
    tile_b = ir.Var(SharedArrayType(FLOAT32, (tile, tile)), "tile_b")
    row, col, tx, ty, acc, t, k = (
        var("row"),
        var("col"),
        var("tx"),
        var("ty"),
        var("acc", FLOAT32),
        var("t"),
        var("k"),
    )
    size = const(tile)
    m, inner, n = shape(a, 0), shape(a, 1), shape(b, 1)
    a_col = binop("+", binop("*", t, size), tx)
    b_row = binop("+", binop("*", t, size), ty)
    load_a = ir.Select(
        FLOAT32,
        ir.BoolOp(BOOL, "and", [compare("<", row, m), compare("<", a_col, inner)]),
        at(a, row, a_col),
        const(0.0, FLOAT32),
    )
    load_b = ir.Select(
        FLOAT32,
        ir.BoolOp(BOOL, "and", [compare("<", b_row, inner), compare("<", col, n)]),
        at(b, b_row, col),
        const(0.0, FLOAT32),
    )
    tiles = binop("//", binop("+", inner, const(tile - 1)), size)
    body = [
        ir.SharedArrayDecl(tile_a),
        ir.SharedArrayDecl(tile_b),
        let(row, global_id(1)),
        let(col, global_id(0)),
        let(ty, query("local_id", 1)),
        let(tx, query("local_id", 0)),
        let(acc, const(0.0, FLOAT32)),
        for_range(
            t,
            const(0),
            tiles,
            const(1),
            [
                store(tile_a, [ty, tx], load_a),
                store(tile_b, [ty, tx], load_b),
                ir.Barrier(),
                for_range(
                    k,
                    const(0),
                    size,
                    const(1),
                    [let(acc, binop("+", acc, binop("*", at(tile_a, ty, k), at(tile_b, k, tx))))],
                ),
                ir.Barrier(),
            ],
        ),
        if_(
            ir.BoolOp(BOOL, "and", [compare("<", row, m), compare("<", col, n)]),
            [store(c, [row, col], acc)],
        ),
    ]
    return function("tiled_matmul", [a, b, c], body)


@pytest.mark.parametrize(("m", "k", "n"), [(37, 29, 41), (8, 8, 8), (1, 50, 3)])
def test_tiled_matmul(build_dir, m, k, n):
    tile = 8
    a = RNG.standard_normal((m, k)).astype(np.float32)
    b = RNG.standard_normal((k, n)).astype(np.float32)
    c = np.zeros((m, n), np.float32)
    rounded = (-(-n // tile) * tile, -(-m // tile) * tile)
    generated = launch(matmul_kernel(tile), build_dir, rounded, (tile, tile), a, b, c, chunks=3)
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)
    assert generated.shared_bytes == 2 * tile * tile * 4
    assert "for (int64_t t = 0; t < " in generated.source


def test_barrier_kernel_with_early_return_and_uniform_break(build_dir):
    """`if gid >= n: return` before a barrier, and a uniform break out of a barrier loop."""
    local = 16
    a, out, limit = array("a", INT32), array("out", INT32), var("limit")
    shared = ir.Var(SharedArrayType(INT32, (local,)), "window")
    gid, lid, total, r = var("gid"), var("lid"), var("total", INT32), var("r")
    body = [
        ir.SharedArrayDecl(shared),
        let(gid, global_id(0)),
        let(lid, query("local_id", 0)),
        if_(compare(">=", gid, shape(a, 0)), [ir.Return(None)]),
        let(total, const(0, INT32)),
        for_range(
            r,
            const(0),
            const(100),
            const(1),
            [
                if_(compare(">=", r, limit), [ir.Break()]),
                store(shared, [lid], binop("+", at(a, gid), cast(r, INT32))),
                ir.Barrier(),
                let(
                    total,
                    binop(
                        "+", total, at(shared, binop("%", binop("+", lid, const(1)), const(local)))
                    ),
                ),
                ir.Barrier(),
            ],
        ),
        store(out, [gid], total),
    ]
    kernel = function("windowed", [a, out, limit], body)
    n = 16 * 5  # full groups: the neighbour read stays inside written slots
    values = RNG.integers(-100, 100, n).astype(np.int32)
    result = np.zeros(n, np.int32)
    generated = launch(kernel, build_dir, n + 16, local, values, result, 7)
    neighbours = values.reshape(-1, local)[:, (np.arange(local) + 1) % local].ravel()
    np.testing.assert_array_equal(result, 7 * neighbours + sum(range(7)))
    assert "goto" in generated.source and "returned[item] = true;" in generated.source


def test_barrier_loop_variable_used_after_loop_is_rejected():
    t, x = var("t"), var("x")
    body = [for_range(t, const(0), const(4), const(1), [ir.Barrier()]), let(x, t)]
    with pytest.raises(UnsupportedError, match="loop variable 't'"):
        generate_c(function("bad", [], body))


# ---------------------------------------------------------------------------------------------
# Names and diagnostics
# ---------------------------------------------------------------------------------------------


def test_user_names_that_collide_with_c_are_renamed(build_dir):
    data, result = array("int", FLOAT32), array("launch", FLOAT32)
    sqrtf, item, dc_x = var("sqrtf", FLOAT32), var("double"), var("dc_min_i64")
    body = [
        let(item, global_id(0)),
        let(sqrtf, math_call("sqrt", at(data, item))),
        let(dc_x, item),
        store(result, [dc_x], sqrtf),
    ]
    values = RNG.uniform(0, 9, 50).astype(np.float32)
    out = np.zeros_like(values)
    generated = launch(function("names", [data, result], body), build_dir, 50, 8, values, out)
    np.testing.assert_allclose(out, np.sqrt(values), rtol=1e-6)
    assert "sqrtf_ = sqrtf(int_[double_]);" in generated.source


def test_unsupported_nodes_raise():
    out, i = array("out", FLOAT32), var("i")
    unknown = math_call("gamma_function", const(1.0, FLOAT32))
    kernel = function("bad_math", [out], [let(i, global_id(0)), store(out, [i], unknown)])
    with pytest.raises(UnsupportedError, match="gamma_function"):
        generate_c(kernel)
    flag = array("flags", BOOL)
    atomic = ir.AtomicOp(BOOL, "add", flag, [const(0)], [const(True, BOOL)])
    with pytest.raises(UnsupportedError, match="atomic_add on a bool array"):
        generate_c(function("bad_atomic", [flag], [ir.ExprStmt(atomic)]))
    with pytest.raises(UnsupportedError, match="dimensions are 0, 1 and 2"):
        generate_c(
            function("bad_dim", [out], [store(out, [const(0)], cast(global_id(3), FLOAT32))])
        )


def test_barrier_in_uniform_branch_and_uniform_continue(build_dir):
    """for r in range(rounds): if r % 2 == 1: continue; if flag: (barrier-separated phases)."""
    local = 8
    out, rounds, flag = array("out", INT64), var("rounds"), var("flag", INT32)
    shared = ir.Var(SharedArrayType(INT64, (local,)), "slots")
    lid, gid, acc, r = var("lid"), var("gid"), var("acc"), var("r")
    neighbour = at(shared, binop("%", binop("+", lid, r), const(local)))
    body = [
        ir.SharedArrayDecl(shared),
        let(lid, query("local_id", 0)),
        let(gid, global_id(0)),
        let(acc, const(0)),
        for_range(
            r,
            const(0),
            rounds,
            const(1),
            [
                if_(compare("==", binop("%", r, const(2)), const(1)), [ir.Continue()]),
                if_(
                    compare("!=", flag, const(0, INT32)),
                    [
                        store(shared, [lid], binop("*", gid, r)),
                        ir.Barrier(),
                        let(acc, binop("+", acc, neighbour)),
                        ir.Barrier(),
                    ],
                    [let(acc, binop("-", acc, const(1)))],
                ),
            ],
        ),
        store(out, [gid], acc),
    ]
    kernel = function("phases", [out, rounds, flag], body)
    n = 4 * local
    for flag_value in (1, 0):
        result = np.zeros(n, np.int64)
        generated = launch(kernel, build_dir, n, local, result, 9, flag_value)
        gids = np.arange(n)
        if flag_value:
            expected = sum(
                (gids // local * local + (gids % local + r) % local) * r for r in range(0, 9, 2)
            )
        else:
            expected = np.full(n, -5)
        np.testing.assert_array_equal(result, expected)
    assert "next_iteration" in generated.source
