# tests/test_kernel_frontend.py
# The kernel frontend: Python kernels to typed IR, its promotion rules and its diagnostics.
"""Frontend tests check the IR (types and structure) and the diagnostics, not execution.

Kernels are written into small modules under tmp_path so that each test knows the exact file
and line a diagnostic must point at: the line carrying ``# <-`` in the snippet.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import re
import textwrap
import time

import numpy as np
import pytest

import dotcompute as dc
from dotcompute.errors import KernelSyntaxError, KernelTypeError
from dotcompute.kernel import frontend, intrinsics, ir, lowering, promotion
from dotcompute.kernel.annotations import ArrayAnnotation
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
    PrivateArrayType,
    SharedArrayType,
    TupleType,
)

HEADER = """\
import math
import re
import numpy as np
import dotcompute as dc
from dotcompute.kernel import intrinsics as ki
from dotcompute.kernel.function import func

TILE = 16
SCALE = np.float32(2.5)
WEIGHTS = [1, 2, 3]
"""

_counter = itertools.count()


def load(tmp_path, source: str):
    """Import ``source`` (after HEADER) as a fresh module; returns (module, path, marker line)."""
    text = HEADER + textwrap.dedent(source)
    path = tmp_path / f"kernels_{next(_counter)}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    marked = [n for n, line in enumerate(text.splitlines(), 1) if "# <-" in line]
    return module, str(path), (marked[0] if marked else None)


def lower(tmp_path, source: str, arg_types=None, name: str = "k") -> ir.Function:
    module, _, _ = load(tmp_path, source)
    template = frontend.parse(getattr(module, name), is_kernel=True)
    function = frontend.specialize(template, arg_types or frontend.default_arg_types(template))
    assert_no_literals(function)
    return function


def walk(node):
    """Every IR node below ``node`` (statements and expressions)."""
    yield node
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            if f.name in ("type", "loc", "callees"):
                continue
            value = getattr(node, f.name)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, ir.Expr | ir.Stmt):
                    yield from walk(item)


def assert_no_literals(function: ir.Function) -> None:
    for stmt in function.body:
        for node in walk(stmt):
            assert type(node) is not lowering.Literal, node


def nodes_of(function: ir.Function, kind):
    return [n for stmt in function.body for n in walk(stmt) if isinstance(n, kind)]


def stored_value(function: ir.Function, index: int = -1) -> ir.Expr:
    return nodes_of(function, ir.Store)[index].value


def expect_error(tmp_path, source, error, *hints, arg_types=None, name="k", is_kernel=True):
    module, path, line = load(tmp_path, source)
    with pytest.raises(error) as info:
        template = frontend.parse(getattr(module, name), is_kernel=is_kernel)
        frontend.specialize(template, arg_types or frontend.default_arg_types(template))
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    for hint in hints:
        assert hint in message, message
    return message


F32A1 = ArrayType(FLOAT32, 1)


# ---------------------------------------------------------------------------------------------
# Promotion rules
# ---------------------------------------------------------------------------------------------

PROMOTIONS = [
    (FLOAT32, FLOAT32, FLOAT32),  # rule 1
    (BOOL, BOOL, BOOL),
    (BOOL, INT8, INT32),  # rule 2: bool counts as int32
    (BOOL, FLOAT16, FLOAT16),
    (INT64, FLOAT32, FLOAT32),  # rule 3
    (UINT64, FLOAT16, FLOAT16),
    (INT32, FLOAT64, FLOAT64),
    (FLOAT16, FLOAT64, FLOAT64),  # rule 4
    (INT8, INT64, INT64),
    (UINT8, UINT32, UINT32),
    (INT64, UINT32, INT64),  # rule 5: signed strictly wider wins
    (INT16, UINT8, INT16),
    (INT32, UINT16, INT32),
]
PROMOTION_ERRORS = [
    (INT32, UINT32),
    (INT64, UINT64),
    (INT8, UINT8),
    (INT32, UINT64),
    (BOOL, UINT32),
]


@pytest.mark.parametrize(("a", "b", "expected"), PROMOTIONS)
def test_promote_table(a, b, expected):
    assert promotion.promote(a, b) == expected
    assert promotion.promote(b, a) == expected


@pytest.mark.parametrize(("a", "b"), PROMOTION_ERRORS)
def test_promote_mixed_signedness_needs_a_cast(a, b):
    with pytest.raises(KernelTypeError, match="cast"):
        promotion.promote(a, b)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, BOOL),
        (1, INT32),
        (2**31 - 1, INT32),
        (2**31, INT64),
        (-(2**31), INT32),
        (1.5, FLOAT32),
    ],
)
def test_lone_literal_types(value, expected):
    assert promotion.literal_type(value) == expected


def test_literal_too_large_for_int64():
    with pytest.raises(KernelTypeError):
        promotion.literal_type(2**63)


@pytest.mark.parametrize(
    ("value", "other", "expected"),
    [
        (1, INT8, INT8),  # an int literal takes the other type
        (1, UINT64, UINT64),
        (1, FLOAT16, FLOAT16),
        (1, BOOL, INT32),
        (1.5, INT64, FLOAT32),  # a float literal next to an integer: float32
        (1.5, FLOAT64, FLOAT64),
        (True, UINT8, UINT8),
    ],
)
def test_weak_literals(value, other, expected):
    assert promotion.promote_literal(value, other) == expected


def test_literal_that_does_not_fit():
    with pytest.raises(KernelTypeError, match="does not fit"):
        promotion.promote_literal(300, INT8)
    with pytest.raises(KernelTypeError, match="does not fit"):
        promotion.promote_literal(-1, UINT32)


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        (INT32, INT64, True),
        (INT32, FLOAT32, True),
        (FLOAT32, FLOAT64, True),
        (BOOL, INT32, True),
        (UINT16, INT32, True),
        (INT64, INT32, False),
        (FLOAT32, INT32, False),
        (FLOAT64, FLOAT32, False),
        (UINT32, INT32, False),
        (INT32, BOOL, False),
    ],
)
def test_implicit_conversions(source, target, allowed):
    assert promotion.can_convert_implicitly(source, target) is allowed


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (INT8, FLOAT32),
        (INT32, FLOAT32),
        (UINT32, FLOAT32),
        (INT64, FLOAT64),
        (UINT64, FLOAT64),
        (BOOL, FLOAT32),
        (FLOAT16, FLOAT16),
        (FLOAT64, FLOAT64),
    ],
)
def test_float_type_for_division_and_math(t, expected):
    assert promotion.float_type_for(t) == expected


# ---------------------------------------------------------------------------------------------
# Annotations and templates
# ---------------------------------------------------------------------------------------------


def test_array_annotations():
    assert dc.Array[dc.float32] == ArrayAnnotation(FLOAT32, None)
    assert dc.Array[dc.int64, 2] == ArrayAnnotation(INT64, 2)
    with pytest.raises(TypeError, match="complex"):
        dc.Array[dc.complex64]
    with pytest.raises(TypeError):
        dc.Array[dc.float32, 0]


def test_template_types_ndim_inference_and_generics(tmp_path):
    module, path, _ = load(
        tmp_path,
        """
        def k(a: dc.float32, x: dc.Array[dc.float32], m: dc.Array, t: dc.Array[dc.int32, 3],
              s: dc.Array[dc.int16]):
            i = ki.global_id(0)
            m[i, 0] = x[i] * a
            t[0, 0, 0] = s.shape[1]
        """,
    )
    template = frontend.parse(module.k, is_kernel=True)
    assert template.name == "k" and template.filename == path
    assert template.param_names == ["a", "x", "m", "t", "s"]
    assert template.declared_types == [
        FLOAT32,
        ArrayType(FLOAT32, 1),
        ArrayType(None, 2),  # generic, 2-D from m[i, 0]
        ArrayType(INT32, 3),
        ArrayType(INT16, 2),  # not indexed: at least 2-D because of s.shape[1]
    ]
    assert template.is_generic
    assert frontend.default_arg_types(template) is None
    assert frontend.parse(module.k, is_kernel=True) is template  # cached


def test_string_annotations(tmp_path):
    module, _, _ = load(
        tmp_path,
        """
        def k(a: "float32", x: "dc.Array[dc.float64, 2]", n: "int"):
            x[0, 0] = a
        """,
    )
    template = frontend.parse(module.k, is_kernel=True)
    assert template.declared_types == [FLOAT32, ArrayType(FLOAT64, 2), INT64]
    assert not template.is_generic
    assert frontend.default_arg_types(template) == template.declared_types


def test_names_are_stable_and_distinct_per_specialization(tmp_path):
    module, _, _ = load(
        tmp_path,
        """
        @func
        def twice(v):
            return v + v

        def k(x: dc.Array, y: dc.Array):
            i = ki.global_id(0)
            y[i] = twice(x[i])
        """,
    )
    template = frontend.parse(module.k, is_kernel=True)
    f32 = frontend.specialize(template, [F32A1, F32A1])
    i64 = frontend.specialize(template, [ArrayType(INT64, 1), ArrayType(INT64, 1)])
    assert f32.name == "k__f32a1_f32a1"
    assert i64.name == "k__i64a1_i64a1"
    assert [c.name for c in f32.callees] == ["func_twice__f32"]
    assert [c.name for c in i64.callees] == ["func_twice__i64"]
    assert frontend.specialize(template, [F32A1, F32A1]) is f32  # cached
    with pytest.raises(KernelTypeError, match="1-D"):
        frontend.specialize(template, [ArrayType(FLOAT32, 2), F32A1])


def test_saxpy_ir(tmp_path):
    module, path, _ = load(
        tmp_path,
        """
        from dotcompute.kernel.intrinsics import global_id
        def saxpy(a: dc.float32, x: dc.Array[dc.float32], y: dc.Array[dc.float32]):
            i = global_id(0)
            if i < x.shape[0]:
                y[i] = a * x[i] + y[i]
        """,
    )
    template = frontend.parse(module.saxpy, is_kernel=True)
    f = frontend.specialize(template, frontend.default_arg_types(template))
    assert f.name == "saxpy__f32_f32a1_f32a1" and f.python_name == "saxpy"
    assert f.is_kernel and f.return_type == VOID and not f.uses_barrier
    assert [(p.name, p.type) for p in f.params] == [("a", FLOAT32), ("x", F32A1), ("y", F32A1)]
    assert f.locals == {"i": INT64}
    assign, branch = f.body
    assert isinstance(assign, ir.Assign) and assign.declare
    assert assign.value == ir.WorkItemQuery(type=INT64, query="global_id", dim=0)
    assert assign.loc.filename == path and assign.loc.column == 5
    assert isinstance(branch, ir.If) and branch.condition.type == BOOL
    assert isinstance(branch.condition.right, ir.ArrayShape)
    (store,) = branch.body
    assert store.loc.line == assign.loc.line + 2 and store.loc.column == 9
    assert store.value.type == FLOAT32 and store.value.op == "+"
    assert f.loc.line == assign.loc.line - 1


# ---------------------------------------------------------------------------------------------
# Expression typing
# ---------------------------------------------------------------------------------------------

EXPRESSIONS = [
    # (expression over a: float32, b: float64, i: int32, j: int64, u: uint32, h: int16,
    #  f: bool), expected type, expected IR class
    ("a + 1", FLOAT32, ir.BinOp),
    ("a * 2.5", FLOAT32, ir.BinOp),
    ("a + b", FLOAT64, ir.BinOp),
    ("i + 1", INT32, ir.BinOp),
    ("i + 1.0", FLOAT32, ir.BinOp),
    ("i + j", INT64, ir.BinOp),
    ("h + 1", INT16, ir.BinOp),
    ("u + 1", UINT32, ir.BinOp),
    ("j + u", INT64, ir.BinOp),
    ("i / 2", FLOAT32, ir.BinOp),  # int32 / int -> float32
    ("j / 2", FLOAT64, ir.BinOp),  # int64 / int -> float64
    ("a / i", FLOAT32, ir.BinOp),
    ("i // 2", INT32, ir.BinOp),
    ("i % 3", INT32, ir.BinOp),
    ("a // 2", FLOAT32, ir.BinOp),
    ("i ** 2", INT32, ir.BinOp),
    ("a ** 2", FLOAT32, ir.MathCall),
    ("i & 3", INT32, ir.BinOp),
    ("f & f", BOOL, ir.BinOp),
    ("f + f", INT32, ir.BinOp),
    ("i << 2", INT32, ir.BinOp),
    ("-i", INT32, ir.UnaryOp),
    ("~u", UINT32, ir.UnaryOp),
    ("-f", INT32, ir.UnaryOp),
    ("not i", BOOL, ir.UnaryOp),
    ("i < a", BOOL, ir.Compare),
    ("0 <= i < j", BOOL, ir.BoolOp),
    ("i > 0 and a < 1.0", BOOL, ir.BoolOp),
    ("a if f else b", FLOAT64, ir.Select),
    ("1 if f else 2", INT32, ir.Select),
    ("int(a)", INT64, ir.Cast),
    ("float(i)", FLOAT64, ir.Cast),
    ("bool(i)", BOOL, ir.Compare),
    ("dc.int8(a)", INT8, ir.Cast),
    ("dc.float16(j)", FLOAT16, ir.Cast),
    ("x.dtype(i)", FLOAT32, ir.Cast),
    ("math.sqrt(a)", FLOAT32, ir.MathCall),
    ("ki.sqrt(b)", FLOAT64, ir.MathCall),
    ("np.exp(i)", FLOAT32, ir.MathCall),  # integer argument: float32
    ("math.sin(j)", FLOAT64, ir.MathCall),  # int64 argument: float64
    ("math.floor(a)", FLOAT32, ir.MathCall),
    ("ki.fma(a, a, 1)", FLOAT32, ir.MathCall),
    ("math.pow(a, b)", FLOAT64, ir.MathCall),
    ("abs(i)", INT32, ir.MathCall),
    ("abs(a)", FLOAT32, ir.MathCall),
    ("min(i, 3)", INT32, ir.MathCall),
    ("max(a, b, 2)", FLOAT64, ir.MathCall),
    ("dc.max(i, j)", INT64, ir.MathCall),
    ("math.isnan(a)", BOOL, ir.MathCall),
    ("x[i]", FLOAT32, ir.Index),
    ("x.shape[0]", INT64, ir.ArrayShape),
    ("len(x)", INT64, ir.ArrayShape),
    ("x.size", INT64, ir.ArraySize),
    ("ki.local_size(2)", INT64, ir.WorkItemQuery),
    ("ki.num_groups(1)", INT64, ir.WorkItemQuery),
    ("SCALE * i", FLOAT32, ir.BinOp),
]


@pytest.mark.parametrize(("expression", "expected", "kind"), EXPRESSIONS)
def test_expression_types(tmp_path, expression, expected, kind):
    f = lower(
        tmp_path,
        f"""
        def k(a: dc.float32, b: dc.float64, i: dc.int32, j: dc.int64, u: dc.uint32,
              h: dc.int16, f: dc.bool_, x: dc.Array[dc.float32]):
            r = {expression}
        """,
    )
    value = nodes_of(f, ir.Assign)[0].value
    assert value.type == expected
    assert isinstance(value, kind), value
    for node in walk(value):  # both operands of every operator have the operator's type
        if isinstance(node, ir.BinOp) and node.op not in ("<<", ">>"):
            assert node.left.type == node.right.type == node.type
        if isinstance(node, ir.Compare):
            assert node.left.type == node.right.type


def test_true_division_and_floor_division_ir(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(i: dc.int32, x: dc.Array[dc.float32], y: dc.Array[dc.int32]):
            x[0] = i / 2
            y[0] = i // 2
        """,
    )
    div, floordiv = (s.value for s in nodes_of(f, ir.Store))
    assert div.op == "/" and div.type == FLOAT32
    assert div.left == ir.Cast(type=FLOAT32, value=ir.Var(type=INT32, name="i"))
    assert div.right == ir.Const(type=FLOAT32, value=2.0)
    assert floordiv.op == "//" and floordiv.type == INT32


def test_constant_folding(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32], n: dc.Array[dc.int64]):
            tile = ki.shared_array((TILE * 2, TILE // 4 + 1), dc.float32)
            x[0] = 7 // 2 + 2 ** 3 - (-7 % 3)
            x[1] = 1 / 4
            x[2] = SCALE
            n[0] = int(3.9) + len(tile) + tile.shape[-1] + tile.size
            x[3] = math.pi if 1 < 2 < 3 else 0.0
        """,
    )
    assert f.shared_arrays == {"tile": SharedArrayType(FLOAT32, (32, 5))}
    values = [s.value for s in nodes_of(f, ir.Store)]
    assert values[0] == ir.Const(type=FLOAT32, value=9.0)  # Python semantics: 3 + 8 - 2
    assert values[1] == ir.Const(type=FLOAT32, value=0.25)
    assert values[2] == ir.Const(type=FLOAT32, value=2.5)  # numpy scalars keep their type
    assert values[3] == ir.Const(type=INT64, value=3 + 32 + 5 + 160)
    assert values[4].type == FLOAT32 and values[4].condition == ir.Const(type=BOOL, value=True)


def test_locals_assignments_and_augmented_assignment(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.float64], i: dc.int32):
            acc: dc.float64 = 0.0
            acc += x[i]
            count = 0
            count += i
            x[i] += 1
            x[ki.global_id(0) % 4] -= acc
        """,
    )
    assert f.locals == {"acc": FLOAT64, "count": INT32}
    first, update, _, _, store, _ = f.body
    assert first.value == ir.Const(type=FLOAT64, value=0.0)
    assert update.value.op == "+" and update.value.type == FLOAT64 and not update.declare
    assert store.target.indices == store.value.left.indices
    assert store.value.right == ir.Const(type=FLOAT64, value=1.0)


def test_local_type_is_fixed_by_first_assignment(tmp_path):
    expect_error(
        tmp_path,
        """
        def k(x: dc.Array[dc.float64]):
            acc = 0.0
            acc += x[0]  # <-
        """,
        KernelTypeError,
        "float64 to float32",
        "first assignment at line",
        "dc.float32(",
    )


def test_locals_are_declared_once_and_reassigned_with_conversion(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32], i: dc.int16):
            v = 1.0
            if i > 0:
                v = i
            else:
                v = 2
            x[0] = v
        """,
    )
    assigns = nodes_of(f, ir.Assign)
    assert [a.declare for a in assigns] == [True, False, False]
    assert assigns[1].value == ir.Cast(type=FLOAT32, value=ir.Var(type=INT16, name="i"))
    assert assigns[2].value == ir.Const(type=FLOAT32, value=2.0)


def test_augmented_store_with_call_in_index_evaluates_it_once(tmp_path):
    f = lower(
        tmp_path,
        """
        @func
        def slot(i):
            return i % 4

        def k(x: dc.Array[dc.float32]):
            x[slot(ki.global_id(0))] += 1.0
        """,
    )
    temp, store = f.body
    assert isinstance(temp, ir.Assign) and temp.target.name == "dc_t0"
    assert isinstance(temp.value, ir.FuncCall)
    assert store.target.indices == [temp.target]
    assert f.locals["dc_t0"] == INT64


def test_negative_constant_index_counts_from_the_end(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32]):
            x[-1] = 0.0
        """,
    )
    (index,) = nodes_of(f, ir.Store)[0].target.indices
    assert index.op == "+" and isinstance(index.left, ir.ArrayShape)
    assert index.right == ir.Const(type=INT64, value=-1)


def test_indices_are_int64(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32, 2], i: dc.int32, u: dc.uint8):
            x[i, u] = x[0, 1]
        """,
    )
    store = nodes_of(f, ir.Store)[0]
    assert [e.type for e in store.target.indices] == [INT64, INT64]
    assert store.value.indices == [ir.Const(type=INT64, value=0), ir.Const(type=INT64, value=1)]


# ---------------------------------------------------------------------------------------------
# Statements, control flow, intrinsics
# ---------------------------------------------------------------------------------------------


def test_control_flow(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32], n: dc.int32):
            for i in range(n):
                if i % 2 == 0:
                    continue
                elif i > 10:
                    break
                x[i] = 1.0
            for j in range(10, 0, -2):
                x[j] = 2.0
            m = 0
            while m < n:
                m += 1
            if m > 3:
                return
        """,
    )
    loop1, loop2, _, loop3, early = f.body
    assert isinstance(loop1, ir.For) and loop1.var.type == INT64 and loop1.step_sign == 1
    assert loop1.start == ir.Const(type=INT64, value=0)
    assert loop1.stop == ir.Cast(type=INT64, value=ir.Var(type=INT32, name="n"))
    branch = loop1.body[0]
    assert isinstance(branch.body[0], ir.Continue) and isinstance(branch.orelse[0], ir.If)
    assert isinstance(branch.orelse[0].body[0], ir.Break)
    assert loop2.step_sign == -1 and loop2.step == ir.Const(type=INT64, value=-2)
    assert isinstance(loop3, ir.While)
    assert isinstance(early.body[0], ir.Return) and early.body[0].value is None
    assert f.locals == {"i": INT64, "j": INT64, "m": INT32}


def test_shared_arrays_barriers_and_atomics(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32], counts: dc.Array[dc.int32, 2], n: dc.Array[dc.uint64]):
            scratch = ki.shared_array(TILE, x.dtype)
            lid = ki.local_id(0)
            scratch[lid] = x[ki.global_id(0)]
            ki.barrier()
            stride = TILE // 2
            while stride > 0:
                if lid < stride:
                    scratch[lid] += scratch[lid + stride]
                ki.barrier()
                stride //= 2
            old = ki.atomic_add(counts, (0, 1), 1)
            ki.atomic_max(scratch, 0, 2.0)
            ki.atomic_cas(n, 0, 0, 1)
            ki.atomic_exchange(n, lid, dc.uint64(old))
        """,
    )
    assert f.uses_barrier
    assert f.shared_arrays == {"scratch": SharedArrayType(FLOAT32, (16,))}
    assert isinstance(f.body[0], ir.SharedArrayDecl)
    assert len(nodes_of(f, ir.Barrier)) == 2
    atomics = nodes_of(f, ir.AtomicOp)
    assert [(a.op, a.type) for a in atomics] == [
        ("add", INT32),
        ("max", FLOAT32),
        ("cas", UINT64),
        ("exchange", UINT64),
    ]
    assert atomics[0].indices == [ir.Const(type=INT64, value=0), ir.Const(type=INT64, value=1)]
    assert atomics[2].operands == [ir.Const(type=UINT64, value=0), ir.Const(type=UINT64, value=1)]
    assert f.locals["old"] == INT32
    assert atomics[3].operands[0] == ir.Cast(type=UINT64, value=ir.Var(type=INT32, name="old"))
    assert atomics[3].indices == [ir.Var(type=INT64, name="lid")]


def test_device_functions(tmp_path, monkeypatch):
    # C names are claimed per process, first come first served: start from none, so that a
    # device function of the same name specialized by another test module earlier (test_kernels'
    # square) does not make these square_2.
    monkeypatch.setattr(frontend, "_function_stems", {})
    f = lower(
        tmp_path,
        """
        @func
        def square(v):
            return v * v

        @func
        def norm2(a, b) -> dc.float64:
            return square(a) + square(b)

        @func
        def pick(c, v):
            if c:
                return v
            return 0

        @func
        def store(out, i, v: dc.float32):
            out[i] = v

        def k(x: dc.Array[dc.float32], y: dc.Array[dc.float64]):
            i = ki.global_id(0)
            y[i] = norm2(x[i], 2.0)
            store(x, i, pick(i > 2, x[i]))
            store(x, i, 1)
        """,
    )
    names = [c.name for c in f.callees]
    assert names == [
        "func_square__f32",
        "func_norm2__f32_f32",
        "func_pick__b_f32",
        "func_store__f32a1_i64_f32",
    ]
    square, norm2, pick, store = f.callees
    assert square.return_type == FLOAT32 and not square.is_kernel
    assert norm2.return_type == FLOAT64
    assert pick.return_type == FLOAT32
    assert pick.body[-1].value == ir.Const(type=FLOAT32, value=0.0)
    assert store.return_type == VOID
    calls = nodes_of(f, ir.FuncCall)
    assert calls[0].function == "func_norm2__f32_f32" and calls[0].type == FLOAT64
    statements = [s for s in f.body if isinstance(s, ir.ExprStmt)]
    assert [s.value.function for s in statements] == ["func_store__f32a1_i64_f32"] * 2
    assert statements[1].value.args[2] == ir.Const(type=FLOAT32, value=1.0)


def test_device_function_runs_as_python():
    @dc_func
    def add(a, b):
        return a + b

    assert add(2, 3) == 5
    assert add.__name__ == "add"


def dc_func(f):
    from dotcompute.kernel.function import func

    return func(f)


def test_c_reserved_names_are_renamed(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(double: dc.Array[dc.float32], int: dc.int32):
            exp = double[int]
            dc_x = exp
            double[0] = dc_x
        """,
    )
    assert [p.name for p in f.params] == ["py_double", "py_int"]
    assert set(f.locals) == {"py_exp", "py_dc_x"}


def test_globals_are_read_when_specialized(tmp_path):
    module, _, _ = load(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32]):
            x[0] = TILE
        """,
    )
    module.TILE = 32
    template = frontend.parse(module.k, is_kernel=True)
    f = frontend.specialize(template, frontend.default_arg_types(template))
    assert stored_value(f) == ir.Const(type=FLOAT32, value=32.0)


def test_intrinsics_run_as_python_outside_kernels():
    with pytest.raises(RuntimeError, match="only works inside a kernel"):
        intrinsics.global_id(0)
    a = np.zeros(3, np.int32)
    assert intrinsics.atomic_add(a, 1, 5) == 0 and a[1] == 5
    assert intrinsics.atomic_cas(a, 1, 5, 7) == 5 and a[1] == 7
    assert float(intrinsics.sqrt(4.0)) == 2.0


def test_parse_and_specialize_are_fast(tmp_path):
    module, _, _ = load(
        tmp_path,
        """
        def k(a: dc.float32, x: dc.Array[dc.float32], y: dc.Array[dc.float32]):
            i = ki.global_id(0)
            if i < x.shape[0]:
                y[i] = a * x[i] + y[i]
        """,
    )
    frontend.parse(module.k, is_kernel=True)
    best = float("inf")
    for _ in range(20):
        frontend._templates.pop(module.k, None)
        start = time.perf_counter()
        template = frontend.parse(module.k, is_kernel=True)
        frontend.specialize(template, frontend.default_arg_types(template))
        best = min(best, time.perf_counter() - start)
    assert best < 1e-3, best


# ---------------------------------------------------------------------------------------------
# Diagnostics: every unsupported construct names file:line:col, the construct and a hint
# ---------------------------------------------------------------------------------------------

KERNEL = "def k(x: dc.Array[dc.float32], i: dc.int32, u: dc.uint32):\n"

UNSUPPORTED = [
    ("v = [1, 2]  # <-", "lists are not supported", "dc.shared_array"),
    ("v = (1, 2)  # <-", "tuples are not supported", "unpacking (a, b = x, y)"),
    ("v = {1: 2}  # <-", "dicts are not supported", "scalar arguments"),
    ("v = {1}  # <-", "sets are not supported", ""),
    ("v = [j for j in range(3)]  # <-", "list comprehensions", "for loop"),
    ("v = max(j for j in range(3))  # <-", "generator expressions", "for loop"),
    ("v = lambda: 1  # <-", "lambdas are not supported", "@dc.func"),
    ('v = f"{i}"  # <-', "f-strings", "DOTCOMPUTE_DEBUG"),
    ("v = 'text'  # <-", "str constants are not supported", ""),
    ("v = None  # <-", "None are not supported", ""),
    ("x[0:2] = 1.0  # <-", "slices are not supported", "one element"),
    ("a, (b, c) = 1, (2, 3)  # <-", "nested or starred targets", ""),
    ("a, *b = 1, 2, 3  # <-", "nested or starred targets", ""),
    ("a, b = 1, 2, 3  # <-", "2 names are assigned 3 values", ""),
    ("a, b = i  # <-", "not int32", "unpacking takes a tuple of values"),
    ("a.b, c = 1, 2  # <-", "nested or starred targets", ""),
    ("a = b = 1  # <-", "chained assignment", ""),
    ("del i  # <-", "del is not supported", ""),
    ("with open('f'):  # <-\n        pass", "with blocks are not supported", ""),
    ("try:  # <-\n        pass\n    except Exception:\n        pass", "try/except", ""),
    ("raise ValueError()  # <-", "raise is not supported", "error flag"),
    ("assert i > 0  # <-", "assert is not supported", "DOTCOMPUTE_DEBUG"),
    ("import os  # <-", "import is not supported", "module level"),
    ("global TILE  # <-", "global is not supported", ""),
    ("def inner():  # <-\n        pass", "nested functions", "@dc.func"),
    ("class C:  # <-\n        pass", "class definitions", ""),
    ("for a in x:  # <-\n        pass", "only range() can be iterated", "range(a.shape[0])"),
    ("for a, b in range(3):  # <-\n        pass", "one variable", ""),
    ("for j in range(3):\n        pass\n    else:\n        pass  # <-", "for ... else", ""),
    ("while i > 0:\n        pass\n    else:\n        pass  # <-", "while ... else", ""),
    ("print(i)  # <-", "print is not supported", "DOTCOMPUTE_DEBUG=1"),
    ("v = range(3)  # <-", "range() is only allowed", ""),
    ("v = i if i in x else 0  # <-", "'in' is not supported", ""),
    ("v = i is i  # <-", "'is' is not supported", ""),
    ("v = (w := 3)  # <-", "assignment expressions", ""),
    ("i + 1  # <-", "no effect", ""),
    ("v = x.T  # <-", "not .T", ""),
    ("x.shape[0] = 3  # <-", "read-only", ""),
    ("v = ki.shared_array(4, dc.float32) + 1  # <-", "must be assigned to a name", ""),
    ("if i > 0:\n        s = ki.shared_array(4, dc.float32)  # <-", "top level", ""),
    ("v = ki.private_array(4, dc.float32) + 1  # <-", "must be assigned to a name", ""),
    ("for j in range(3):\n        p = ki.private_array(4, dc.int32)  # <-", "top level", ""),
    ("v = (ki.global_id(0) < ki.atomic_add(x, 0, 1.0) < 3)  # <-", "comparison chain", ""),
    ("v = x @ x  # <-", "@ is not supported", ""),
    ("v = sorted(x)  # <-", "cannot be called in kernels", "@dc.func"),
    ("v = max(*x)  # <-", "starred expressions", ""),
]


@pytest.mark.parametrize(("body", "construct", "hint"), UNSUPPORTED)
def test_unsupported_constructs(tmp_path, body, construct, hint):
    message = expect_error(
        tmp_path, KERNEL + "    " + body + "\n", (KernelSyntaxError, KernelTypeError), construct
    )
    assert hint in message
    assert "^" in message  # the source line with a caret under the column


def test_kernel_syntax_error_is_a_syntax_error(tmp_path):
    module, _, _ = load(tmp_path, KERNEL + "    v = [1]\n")
    template = frontend.parse(module.k, is_kernel=True)  # parsing reads types only
    with pytest.raises(SyntaxError):
        frontend.specialize(template, [F32A1, INT32, UINT32])


def test_column_points_at_the_construct(tmp_path):
    message = expect_error(tmp_path, KERNEL + "    v = 1 + [2]  # <-\n", KernelSyntaxError)
    location = message.split(": ", 1)[0]
    assert location.endswith(":13")  # 1-based column of '['


def test_indented_kernels_keep_their_columns(tmp_path):
    module, path, line = load(
        tmp_path,
        """
        class Holder:
            @staticmethod
            def k(x: dc.Array[dc.float32]):
                x[0] = [1]  # <-
        """,
    )
    with pytest.raises(KernelSyntaxError) as info:
        template = frontend.parse(module.Holder.k, is_kernel=True)
        frontend.specialize(template, [F32A1])
    assert str(info.value).startswith(f"{path}:{line}:16:")


TYPE_ERRORS = [
    ("v = i + u  # <-", "cannot mix int32 and uint32", "cast"),
    ("v = 1\n    v = 2.5  # <-", "cannot store the constant 2.5", "dc.int32("),
    ("v = 1\n    v = x[0]  # <-", "float32 to int32", "dc.int32("),
    ("s = ki.shared_array((2, 2), dc.float32)\n    v = s[0]  # <-", "2-D array", "2 indices"),
    ("v = x[1.5]  # <-", "must be integers", ""),
    ("v = x[x[0]]  # <-", "must be integers, got float32", "int(x)"),
    ("v = x + 1  # <-", "array 'x' is used as a value", "x[i]"),
    ("x = 3  # <-", "cannot assign to array 'x'", "x[i] ="),
    ("v = WEIGHTS  # <-", "kernels can only read int, float and bool constants", "argument"),
    ("v = WEIGHTS[0]  # <-", "list", "argument"),
    ("v = 1j  # <-", "complex", "two floats"),
    ("return 1  # <-", "kernels return nothing", "array argument"),
    ("v = undefined_name  # <-", "not defined", ""),
    ("v = w  # <-\n    w = 1", "used before it is assigned", ""),
    ("for j in range(3):\n        pass\n    v = j  # <-", "after its loop", "inside the loop"),
    ("for j in range(3):\n        j = 2  # <-", "loop variable", ""),
    ("for j in range(0, 3, 0):  # <-\n        pass", "step must not be zero", ""),
    ("for j in range(1.5):  # <-\n        pass", "must be integers", ""),
    ("v = ki.global_id(i)  # <-", "constant d", ""),
    ("v = ki.global_id(3)  # <-", "0, 1 or 2", ""),
    ("v = x[0] + x.shape[1]  # <-", "shape[1] does not exist", ""),
    ("v = x.shape[i]  # <-", "constant", ""),
    ("v = i << 1.5  # <-", "needs integers", ""),
    ("v = 2 ** -1 + i ** -1  # <-", "negative exponent", "float"),
    ("v = 1 // 0  # <-", "division by zero", ""),
    ("v = dc.uint8(300)  # <-", "does not fit in uint8", ""),
    ("v = dc.complex64(1)  # <-", "complex", ""),
    ("v = math.sqrt(1, 2)  # <-", "takes 1 argument", ""),
    ("v = ki.atomic_add(x, 0, 1.0, 2)  # <-", "at most 3 arguments", ""),
    ("s = ki.shared_array(i, dc.float32)  # <-", "positive integer constants", ""),
    ("s = ki.shared_array(4, dc.complex64)  # <-", "complex", ""),
    ("s = ki.shared_array(4, 'quux')  # <-", "dtype", ""),
    ("p = ki.private_array((2, i), dc.float32)  # <-", "positive integer constants", ""),
    ("p = ki.private_array(0, dc.float32)  # <-", "positive integer constants", ""),
    ("p = ki.private_array((64, 17), dc.float32)  # <-", "at most 1024 elements", "shared"),
    ("p = ki.private_array(4, dc.int32)\n    ki.atomic_add(p, 0, 1)  # <-", "private", "plain"),
    ("p = ki.private_array(4, dc.int32)\n    v = p[4]  # <-", "out of range", ""),
    ("p = ki.private_array(4, dc.int32)\n    p = 1  # <-", "cannot assign to array 'p'", ""),
    ("v = i(3)  # <-", "local variable, not a function", ""),
]


@pytest.mark.parametrize(("body", "problem", "hint"), TYPE_ERRORS)
def test_type_errors(tmp_path, body, problem, hint):
    message = expect_error(tmp_path, KERNEL + "    " + body + "\n", KernelTypeError, problem)
    assert hint in message


def test_indexing_arity_must_agree(tmp_path):
    expect_error(
        tmp_path,
        """
        def k(x: dc.Array):
            x[0] = 1
            x[0, 1] = 2  # <-
        """,
        KernelTypeError,
        "2 indices here but 1 at line",
    )


def test_declared_ndim_must_match_indexing(tmp_path):
    expect_error(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32, 2]):
            x[0] = 1  # <-
        """,
        KernelTypeError,
        "declared 2-D but indexed with 1 index",
    )


def test_unannotated_kernel_parameter(tmp_path):
    expect_error(
        tmp_path,
        """
        def k(x):  # <-
            pass
        """,
        KernelTypeError,
        "needs a type annotation",
        "dc.Array[dc.float32]",
    )


def test_complex_array_annotation(tmp_path):
    expect_error(
        tmp_path,
        """
        def k(x: "dc.Array[dc.complex64]"):  # <-
            pass
        """,
        KernelTypeError,
        "complex",
        "real and imaginary",
    )


def test_bad_atomic_dtype(tmp_path):
    expect_error(
        tmp_path,
        """
        def k(x: dc.Array[dc.int16]):
            ki.atomic_add(x, 0, 1)  # <-
        """,
        KernelTypeError,
        "not supported on int16 arrays",
        "int32, int64, uint32, uint64, float32",
    )


def test_device_functions_with_barriers_and_shared_arrays_are_inlined(tmp_path):
    f = lower(
        tmp_path,
        """
        @func
        def publish(tile, v):
            tile[ki.local_id(0)] = v
            ki.barrier()

        @func
        def neighbour_sum(v: dc.float32) -> dc.float32:
            tile = ki.shared_array(16, dc.float32)
            total = dc.float32(0)
            publish(tile, v)
            for j in range(2):
                total += tile[(ki.local_id(0) + j) % 16]
            ki.barrier()
            return total

        def k(x: dc.Array[dc.float32]):
            i = ki.global_id(0)
            a = neighbour_sum(x[i])
            b = neighbour_sum(a)
            x[i] = a + b
        """,
    )
    assert f.callees == [] and f.uses_barrier
    # Each call site has its own shared array and its own locals, zeroed where the call stands.
    assert sorted(f.shared_arrays) == ["dc_i0_tile", "dc_i1_tile"]
    assert len(nodes_of(f, ir.Barrier)) == 4
    assert "dc_i0_total" in f.locals and "dc_i1_total" in f.locals
    zeroed = [s for s in f.body if isinstance(s, ir.Assign) and s.target.name == "dc_i1_total"]
    assert zeroed[0].value == ir.Const(type=FLOAT32, value=0.0)
    # The nested function was inlined into neighbour_sum first: its parameter became a local
    # and its array parameter the shared array itself.
    stores = [s for s in nodes_of(f, ir.Store) if s.target.array.name.endswith("_tile")]
    assert {s.target.array.name for s in stores} == {"dc_i0_tile", "dc_i1_tile"}
    # A parameter the function only reads takes a variable argument itself (a is not copied;
    # the expression x[i] is, once), and the calls' values land where the calls stood.
    assert "dc_i0_v" in f.locals and "dc_i1_v" not in f.locals
    assigned = [s.target.name for s in f.body if isinstance(s, ir.Assign)]
    assert assigned.index("a") < assigned.index("dc_i1_total") < assigned.index("b")


def test_inlined_private_arrays_are_renamed_and_zeroed_at_each_call(tmp_path):
    f = lower(
        tmp_path,
        """
        @func
        def spread(v: dc.float32) -> dc.float32:
            counts = ki.private_array((2, 3), dc.int32)
            ki.barrier()
            counts[1, 2] += 1
            return v + counts[1, 2]

        def k(x: dc.Array[dc.float32]):
            for r in range(3):
                x[r] = spread(x[r])
        """,
    )
    assert f.private_arrays == {
        "dc_i0_counts": PrivateArrayType(INT32, (2, 3)),
    }
    # Where the declaration stood: a loop per dimension storing zeros, inside the caller's loop.
    (loop,) = [s for s in f.body if isinstance(s, ir.For)]
    (zero_rows,) = [s for s in loop.body if isinstance(s, ir.For)]
    assert zero_rows.stop == ir.Const(type=INT64, value=2)
    (zero_columns,) = zero_rows.body
    assert zero_columns.stop == ir.Const(type=INT64, value=3)
    (store,) = zero_columns.body
    assert store.target.array.name == "dc_i0_counts" and store.value.value == 0
    assert not nodes_of(f, ir.PrivateArrayDecl)


INLINING_ERRORS = [
    (
        "@func\ndef g(v):\n    ki.barrier()\n    return v\n\n"
        "def k(x: dc.Array[dc.float32]):\n    x[0] = g(x[1]) + 1.0  # <-",
        "its call must stand alone",
    ),
    (
        "@func\ndef g(v):\n    if v > 0:\n        return v\n    ki.barrier()\n    return -v\n\n"
        "def k(x: dc.Array[dc.float32]):\n    x[0] = g(x[1])  # <-",
        "may return only as its last statement",
    ),
    (
        "@func\ndef g(v):\n    if v > 0:\n        s = ki.shared_array(4, dc.float32)  # <-\n"
        "    return v\n\n"
        "def k(x: dc.Array[dc.float32]):\n    x[0] = g(x[1])",
        "top level",
    ),
]


@pytest.mark.parametrize(("source", "hint"), INLINING_ERRORS)
def test_inlining_errors(tmp_path, source, hint):
    error = KernelSyntaxError if hint == "top level" else KernelTypeError
    expect_error(tmp_path, source, error, hint)


def test_recursion(tmp_path):
    expect_error(
        tmp_path,
        """
        @func
        def fact(n):
            if n <= 1:
                return 1
            return n * fact(n - 1)  # <-

        def k(x: dc.Array[dc.int32]):
            x[0] = fact(x[1])
        """,
        KernelTypeError,
        "recursion",
        "write a loop",
    )


def test_mutual_recursion(tmp_path):
    expect_error(
        tmp_path,
        """
        @func
        def ping(n):
            return pong(n)

        @func
        def pong(n):
            return ping(n)  # <-

        def k(x: dc.Array[dc.int32]):
            x[0] = ping(x[1])
        """,
        KernelTypeError,
        "recursion",
    )


def test_device_function_returns_must_agree(tmp_path):
    expect_error(
        tmp_path,
        """
        @func
        def f(v):
            if v > 0:
                return  # <-
            return v

        def k(x: dc.Array[dc.int32]):
            x[0] = f(x[1])
        """,
        KernelTypeError,
        "returns a value elsewhere",
    )


def test_device_function_without_final_return(tmp_path):
    expect_error(
        tmp_path,
        """
        @func
        def f(v):  # <-
            if v > 0:
                return v

        def k(x: dc.Array[dc.int32]):
            x[0] = f(x[1])
        """,
        KernelTypeError,
        "can reach its end without returning",
    )


def test_device_function_returns_a_tuple(tmp_path):
    f = lower(
        tmp_path,
        """
        @func
        def split(v, n):
            if v > 0:
                return v, 1
            return 0.5, n

        @func
        def widened(v: dc.float32, n: dc.int32) -> tuple[dc.float64, dc.int64]:
            return v, n

        @func
        def forwarded(v: dc.float32, n: dc.int32):
            return split(v, n)

        def k(x: dc.Array[dc.float32], y: dc.Array[dc.float64], n: dc.Array[dc.int32]):
            i = ki.global_id(0)
            a, n[i] = split(x[i], n[i])
            b, c = widened(a, n[i])
            x[i], y[i] = forwarded(a, 3)
            d = x[0]
            a, d = d, a
        """,
    )
    split, widened, forwarded = f.callees
    # Position by position: float32 and a weak 0.5; a weak 1 and int32.
    assert split.return_type == TupleType((FLOAT32, INT32))
    assert split.body[-1].value.values == [
        ir.Const(type=FLOAT32, value=0.5),
        ir.Var(type=INT32, name="n"),
    ]
    assert widened.return_type == TupleType((FLOAT64, INT64))
    assert [type(v) for v in widened.body[-1].value.values] == [ir.Cast, ir.Cast]
    assert forwarded.return_type == TupleType((FLOAT32, INT32))
    assert isinstance(forwarded.body[-1].value, ir.FuncCall)
    unpacks = [s for s in f.body if isinstance(s, ir.Unpack)]
    assert [[t.type for t in s.targets] for s in unpacks] == [
        [FLOAT32, INT32],
        [FLOAT64, INT64],
        [FLOAT32, INT32],
    ]
    # The values land in fresh locals first, then in the targets, left to right.
    first = f.body.index(unpacks[0])
    assign, store = f.body[first + 1 : first + 3]
    assert isinstance(assign, ir.Assign) and assign.target.name == "a"
    assert assign.value == unpacks[0].targets[0]
    assert isinstance(store, ir.Store) and store.value == unpacks[0].targets[1]
    # a, d = d, a: both values are read before either name is written.
    swap = f.body[-4:]
    assert [type(s) for s in swap] == [ir.Assign] * 4
    assert [s.target.name for s in swap[2:]] == ["a", "d"]
    assert swap[2].value == swap[0].target and swap[3].value == swap[1].target


TUPLE_ERRORS = [
    (
        "@func\ndef f(v):\n    return v, v\n\ndef k(x: dc.Array[dc.int32]):\n"
        "    x[0] = f(x[1])  # <-",
        KernelTypeError,
        ["returns 2 values (tuple[int32, int32])", "a, b = f(...)"],
    ),
    (
        "@func\ndef f(v):\n    if v > 0:\n        return v, v\n    return v, v, v  # <-\n\n"
        "def k(x: dc.Array[dc.int32]):\n    a, b = f(x[1])",
        KernelTypeError,
        ["returns 2 value(s) elsewhere and 3 here"],
    ),
    (
        "@func\ndef f(v) -> tuple[dc.int32]:  # <-\n    return v\n\n"
        "def k(x: dc.Array[dc.int32]):\n    x[0] = f(x[1])",
        KernelTypeError,
        ["two or more values"],
    ),
    (
        "@func\ndef f(v) -> tuple[dc.int32, ...]:  # <-\n    return v, v\n\n"
        "def k(x: dc.Array[dc.int32]):\n    a, b = f(x[1])",
        KernelTypeError,
        ["two or more values"],
    ),
    (
        "@func\ndef f(v) -> tuple[dc.int32, dc.int32]:\n    return v  # <-\n\n"
        "def k(x: dc.Array[dc.int32]):\n    x[0] = f(x[1])",
        KernelTypeError,
        ["is declared to return tuple[int32, int32]"],
    ),
    (
        "@func\ndef f(v) -> dc.int32:\n    return v, v  # <-\n\n"
        "def k(x: dc.Array[dc.int32]):\n    a, b = f(x[1])",
        KernelTypeError,
        ["is declared to return int32"],
    ),
    (
        "@func\ndef f(v) -> tuple[dc.int32, dc.int32]:\n    return v, 1.5  # <-\n\n"
        "def k(x: dc.Array[dc.int32]):\n    a, b = f(x[1])",
        KernelTypeError,
        ["value 2 returned by f"],
    ),
    (
        "@func\ndef g(v):\n    return v, v\n\n"
        "@func\ndef f(v) -> tuple[dc.int64, dc.int32]:\n    return g(v)  # <-\n\n"
        "def k(x: dc.Array[dc.int32]):\n    a, b = f(x[1])",
        KernelTypeError,
        ["this call returns tuple[int32, int32] but f returns tuple[int64, int32]"],
    ),
    (
        "@func\ndef f(v):\n    return (v,)  # <-\n\n"
        "def k(x: dc.Array[dc.int32]):\n    x[0] = f(x[1])",
        KernelTypeError,
        ["not as a 1-tuple"],
    ),
    (
        "@func\ndef f(v):\n    return v, v\n\n"
        "def k(x: dc.Array[dc.int32]):\n    a, b, c = f(x[1])  # <-",
        KernelTypeError,
        ["3 names are assigned the 2 values of tuple[int32, int32]"],
    ),
    (
        "@func\ndef f(v):\n    return v, v\n\n"
        "def k(x: dc.Array[dc.int32]):\n    a, b = f(x[1]) + 1  # <-",
        KernelTypeError,
        ["returns 2 values"],
    ),
    (
        "def k(x: dc.Array[dc.int32]):\n    return x[0], x[1]  # <-",
        KernelTypeError,
        ["kernels return nothing"],
    ),
]


@pytest.mark.parametrize(("source", "error", "hints"), TUPLE_ERRORS)
def test_tuple_return_errors(tmp_path, source, error, hints):
    expect_error(tmp_path, source, error, *hints)


def test_void_device_function_has_no_value(tmp_path):
    expect_error(
        tmp_path,
        """
        @func
        def nothing(v):
            pass

        def k(x: dc.Array[dc.int32]):
            x[0] = nothing(1)  # <-
        """,
        KernelTypeError,
        "returns nothing",
    )


def test_plain_python_function_is_not_callable(tmp_path):
    expect_error(
        tmp_path,
        """
        def helper(v):
            return v

        def k(x: dc.Array[dc.int32]):
            x[0] = helper(1)  # <-
        """,
        KernelTypeError,
        "Decorate it with @dc.func",
    )


def test_private_array_passed_to_a_device_function_that_uses_it_in_an_atomic(tmp_path):
    expect_error(
        tmp_path,
        """
        @func
        def f(values):
            return ki.atomic_add(values, 0, 1)

        def k(x: dc.Array[dc.int32]):
            p = ki.private_array(4, dc.int32)
            x[0] = f(x)
            x[1] = f(p)  # <-
        """,
        KernelTypeError,
        "uses its parameter 'values' in dc.atomic_add",
        "plain assignment",
    )


def test_one_device_function_parameter_passed_global_and_private_arrays(tmp_path):
    # Fine where pointers are generic (C, CUDA); OpenCL and Metal need one address space.
    from dotcompute.errors import UnsupportedError
    from dotcompute.kernel.codegen_cuda import generate_cuda
    from dotcompute.kernel.codegen_msl import generate_msl
    from dotcompute.kernel.codegen_opencl import generate_opencl

    f = lower(
        tmp_path,
        """
        @func
        def first(values):
            return values[0]

        def k(x: dc.Array[dc.float32]):
            p = ki.private_array(4, dc.float32)
            p[0] = x[1]
            x[0] = first(x) + first(p)
        """,
    )
    assert "first" in generate_cuda(f).source
    for generate in (generate_opencl, generate_msl):
        with pytest.raises(UnsupportedError, match="arrays of two kinds"):
            generate(f)


def test_private_array_ir(tmp_path):
    f = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32]):
            p = ki.private_array((TILE // 4, 3), x.dtype)
            p[1, 2] = x[0]
            x[1] = p[1, 2] + p.size + p.shape[1] + len(p)
        """,
    )
    assert f.private_arrays == {"p": PrivateArrayType(FLOAT32, (4, 3))}
    assert f.shared_arrays == {}
    assert isinstance(f.body[0], ir.PrivateArrayDecl)
    # Its extents are constants: size, shape and len fold, no run-time extent is read.
    extents = nodes_of(f, (ir.ArrayShape, ir.ArraySize))
    assert not [n for n in extents if n.array.name == "p"]


def test_loops_over_private_arrays_unroll_on_gpu_targets_within_a_budget(tmp_path):
    from dotcompute.kernel.codegen_c import generate_c
    from dotcompute.kernel.codegen_cuda import generate_cuda
    from dotcompute.kernel.codegen_msl import generate_msl
    from dotcompute.kernel.codegen_opencl import generate_opencl

    f = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.float32]):
            small = ki.private_array(8, dc.float32)
            big = ki.private_array((64, 16), dc.float32)
            for j in range(8):  # unrolled: indexes small
                small[j] = x[j]
            for i in range(64):  # 64 x 16 x 3 statements: too many, only the inner loop
                for j in range(16):
                    big[i, j] = small[j % 8] * i
                    big[i, j] += 1.0
                    x[j] = big[i, j]
            for j in range(x.shape[0]):  # run-time bound: not unrolled
                small[j % 8] += x[j]
            for j in range(4):  # no private array: left to the compiler
                x[j] = 0.0
        """,
    )
    loop = re.compile(r"for \((?:int64_t|long) (\w+) = 0; \1 < (\w+);")
    for generate, directive in [
        (generate_cuda, "#pragma unroll"),
        (generate_opencl, "DC_UNROLL"),
        (generate_msl, "#pragma unroll"),
    ]:
        lines = [line.strip() for line in generate(f).source.splitlines()]
        after = [lines[n + 1] for n, line in enumerate(lines) if line == directive]
        unrolled = [loop.match(line).group(2) for line in after]
        assert unrolled == ["8", "16"], (generate.__name__, unrolled)
    assert "#define DC_UNROLL _Pragma" in generate_opencl(f).source
    assert "unroll" not in generate_c(f).source.lower()


def test_store_converts_like_c_assignment(tmp_path):
    function = lower(
        tmp_path,
        """
        def k(x: dc.Array[dc.int32], y: dc.Array[dc.float32], z: dc.Array[dc.float64]):
            x[0] = ki.global_id(0)
            y[0] = z[0] * 2.0
        """,
    )
    first, second = stored_value(function, 0), stored_value(function, 1)
    assert isinstance(first, ir.Cast) and first.type == INT32
    assert isinstance(second, ir.Cast) and second.type == FLOAT32


def test_store_of_a_constant_that_does_not_fit_is_an_error(tmp_path):
    expect_error(
        tmp_path,
        """
        def k(x: dc.Array[dc.uint8]):
            x[0] = 300  # <-
        """,
        KernelTypeError,
        "300",
        "dc.uint8(",
    )
