# python/dotcompute/kernel/frontend.py
# Kernel frontend entry points: parse a Python function into a Template, specialize it to IR.
"""The kernel frontend: Python source in, typed IR (:mod:`.ir`) out.

``parse(f, is_kernel=...)`` reads the function's source (the lines its code object spans, else
``inspect.getsource``), parses it with ``ast`` and resolves the parameter annotations into a
:class:`Template`. ``specialize(template, arg_types)`` type-checks the body for concrete
argument types and lowers it to an :class:`ir.Function` (see :mod:`.lowering`: one
``emit_<Node>`` method per AST node kind). Both are cached: a template per Python function, a
Function per argument types. Module-level constants are read at the first specialization
(later changes to them are not seen).

Language rules (what the kernel language decides where Python and C differ)
---------------------------------------------------------------------------

Types
  Parameters are typed by annotations: ``dc.float32`` (numpy scalar types), ``"float32"``,
  ``dc.Array`` (generic: element type at launch), ``dc.Array[dc.float32]``,
  ``dc.Array[dc.float32, 2]``. Kernel parameters must be annotated; ``@dc.func`` parameters may
  be left unannotated (typed per call). An array's number of dimensions is the one given, else
  the number of indices the body uses with it (every access must agree), else 1. Complex types
  are not kernel types. Binary operations promote by :mod:`.types`' rules
  (:func:`.promotion.promote`); Python literals (and module-level Python int/float/bool
  constants) are *weak*: they take the other operand's type. A literal standing alone is int32
  (int64 when it does not fit), float32 or bool.

Locals
  A local's type is fixed by its first assignment (or by an annotation: ``x: dc.float64 = 0``).
  Later assignments, device function arguments and return values convert implicitly only when
  promotion would not change the target type (widening, integer to float); anything else is a
  KernelTypeError asking for a cast. Stores into array elements convert like C assignment
  (``out_f32[i] = x_f64`` rounds, a float stored into an integer array truncates toward zero),
  because the array's element type already states what the result should be; a constant that
  does not fit the element type is still an error. Locals have function scope as in
  Python. Tuple assignment is not supported. ``a.dtype(x)`` casts to an array's element type
  (useful in generic kernels).

Arithmetic
  ``/`` is true division: float operands divide in their promoted type; integer operands divide
  in float32, or float64 when an operand is a 64-bit integer (int64, uint64). ``//`` and ``%``
  follow Python (floor division; the remainder has the divisor's sign) for ints and floats.
  ``**`` on floats is ``pow`` (a MathCall); on integers it is a BinOp, integer power (a constant
  negative exponent is an error; a negative one at run time gives 0 except for bases 1 and -1).
  bool counts as int32 in arithmetic; ``& | ^`` on two bools give bool. Shifts and bit
  operations need integers. Comparison chains are lowered to ``and`` (their middle operands
  must not call functions). ``and``/``or``/``not`` give bool (not an operand, as Python does).
  Overflow of unsigned and of 8/16-bit integers wraps; overflow of signed 32/64-bit ``+ - *``
  is undefined, as in C, CUDA, OpenCL and MSL (the C generator does not use -fwrapv, which would
  stop gcc from vectorizing guarded loops). Shifts by a count outside [0, bits) give 0 (or -1
  for ``>>`` of a negative value), as numpy does.

Casts and conversions
  ``dc.float32(x)``, ``dc.int32(x)``, ... cast (float to int truncates toward zero and
  saturates at the type's limits; NaN gives 0). ``int(x)`` is int64,
  ``float(x)`` is float64, ``bool(x)`` is ``x != 0``. On constants they fold as in Python.

Math
  ``dc.sqrt`` ... (``MATH_FUNCTIONS``: name -> (arity, kind)), the same names from ``math`` and
  numpy, and the builtins ``abs``, ``min``, ``max``, ``pow``; ``min``/``max`` take 2 or more
  arguments; ``isnan``/``isinf``/``isfinite`` give bool. Integer arguments of float-only functions
  convert to float32, or float64 for 64-bit integers; ``floor``/``ceil``/``trunc`` return the
  float type (as in C, unlike ``math.floor``). ``abs``/``min``/``max`` on integers stay integer.

Indexing
  ``a[i, j]`` takes one integer index per dimension, converted to int64. A constant negative
  index counts from the end as in Python (``a[-1]``); a negative index computed at run time is
  out of bounds (not wrapped). ``a.shape[d]``, ``a.size``, ``len(a)`` (= ``a.shape[0]``) and
  ``a.ndim`` are available; on shared arrays they are constants.

Control flow
  ``if/elif/else``, conditional expressions, ``while``, ``break``, ``continue`` and
  ``for v in range(start, stop, step)``. The loop variable is int64 (or the type of an existing
  integer local of that name), read-only inside the loop, and not readable after it (Python
  and C disagree on its final value). ``else`` clauses on loops are not supported. A kernel
  returns nothing (a bare ``return`` ends the work-item); a device function's return type is
  the promotion of its return values (or its return annotation).

Work-items, memory, synchronization
  ``dc.global_id(d)`` and friends (int64; ``d`` a constant 0, 1 or 2), ``dc.barrier()`` (kernels
  only), ``dc.shared_array(shape, dtype)`` (kernels only, at the top level of the body, constant
  shape), the atomics ``dc.atomic_add/sub/min/max/exchange(a, index, value)`` and
  ``dc.atomic_cas(a, index, compare, value)`` on int32, int64, uint32, uint64, float32 and
  float64 arrays (global or shared), returning the old value.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import textwrap
import threading
import typing
import weakref
from dataclasses import dataclass, field

from ..errors import KernelSyntaxError, KernelTypeError
from . import ir
from .annotations import AnnotationError, ArrayAnnotation, to_kernel_type
from .diagnostics import SourceMap
from .intrinsics import INTRINSICS, MATH_FUNCTIONS
from .naming import c_safe_name, specialized_name
from .types import ArrayType, ScalarType, TupleType

__all__ = ["MATH_FUNCTIONS", "Template", "default_arg_types", "parse", "specialize"]

_NOT_FOUND = object()


class Environment:
    """The names a function body sees besides its locals: closure, globals, builtins."""

    __slots__ = ("builtins", "closure", "globals")

    def __init__(self, python_function) -> None:
        self.globals = python_function.__globals__
        # Cells, not their contents: a closure variable is read when the kernel is specialized.
        self.closure = dict(
            zip(
                python_function.__code__.co_freevars,
                python_function.__closure__ or (),
                strict=False,
            )
        )
        b = self.globals.get("__builtins__", builtins)
        self.builtins = b if isinstance(b, dict) else vars(b)

    def lookup(self, name: str) -> object:
        cell = self.closure.get(name)
        if cell is not None:
            try:
                return cell.cell_contents
            except ValueError:  # an empty cell: the enclosing function has not assigned it yet
                return _NOT_FOUND
        value = self.globals.get(name, _NOT_FOUND)
        if value is _NOT_FOUND:
            value = self.builtins.get(name, _NOT_FOUND)
        return value

    def resolve(self, node: ast.expr, local_names) -> object:
        """The Python object a dotted name (``dc.float32``, ``math.sqrt``, ``TILE``) denotes, or
        _NOT_FOUND when it is not a plain name path or starts at a local."""
        if isinstance(node, ast.Name):
            if node.id in local_names:
                return _NOT_FOUND
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, local_names)
            if base is _NOT_FOUND:
                return _NOT_FOUND
            return getattr(base, node.attr, _NOT_FOUND)
        return _NOT_FOUND


@dataclass(eq=False)
class Template:
    """One parsed ``@dc.kernel`` / ``@dc.func``, before argument types are known."""

    name: str
    python_function: object
    filename: str
    is_kernel: bool
    param_names: list[str]
    # From annotations; ArrayType(dtype None) = generic; None = unannotated (@dc.func only).
    # Array ndims are final (explicit, inferred from indexing, or 1).
    declared_types: list[ScalarType | ArrayType | None]
    is_generic: bool
    # Internals of the frontend.
    tree: ast.FunctionDef = field(repr=False)
    source: SourceMap = field(repr=False)
    environment: Environment = field(repr=False)
    return_type: ScalarType | TupleType | None = None  # from a `-> type` annotation of a @dc.func
    local_names: frozenset[str] = frozenset()  # parameters and every assigned name
    c_names: dict[str, str] = field(default_factory=dict, repr=False)
    name_stem: str = ""  # device functions: unique C name stem (func_<name>[_N])
    specializations: dict[tuple, ir.Function] = field(default_factory=dict, repr=False)


_templates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_function_stems: dict[str, str] = {}  # device function stem -> "module.qualname" owning it
_lock = threading.RLock()
_active = threading.local()  # .stack: templates being specialized (recursion check)


def parse(python_function, *, is_kernel: bool) -> Template:
    """Parse ``python_function`` into a Template (cached per function). Raises
    KernelSyntaxError / KernelTypeError with file:line:col."""
    python_function = getattr(python_function, "python_function", python_function)
    cached = _templates.get(python_function)
    if cached is not None and is_kernel in cached:
        return cached[is_kernel]
    template = _parse(python_function, is_kernel)
    with _lock:
        _templates.setdefault(python_function, {})[is_kernel] = template
    return template


def default_arg_types(template: Template) -> list[ScalarType | ArrayType] | None:
    """The argument types of a template that is not generic, else None."""
    if template.is_generic:
        return None
    return list(template.declared_types)  # type: ignore[arg-type]


def specialize(template: Template, arg_types: list[ScalarType | ArrayType]) -> ir.Function:
    """Type-check and lower ``template`` for ``arg_types`` (cached). Raises KernelTypeError."""
    key = tuple(arg_types)
    function = template.specializations.get(key)
    if function is not None:
        return function
    arg_types = _check_arg_types(template, list(arg_types))
    key = tuple(arg_types)
    function = template.specializations.get(key)
    if function is not None:
        return function
    from .lowering import Lowering

    stack = active_templates()
    stack.append(template)
    try:
        function = Lowering(template, arg_types).lower()
    finally:
        stack.pop()
    template.specializations[key] = function
    return function


def active_templates() -> list[Template]:
    """Templates being specialized on this thread, outermost first (recursion check)."""
    stack = getattr(_active, "stack", None)
    if stack is None:
        stack = _active.stack = []
    return stack


def function_name(template: Template, arg_types: list) -> str:
    stem = template.name_stem or template.name
    return specialized_name(stem, arg_types, is_kernel=template.is_kernel)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


def _parse(python_function, is_kernel: bool) -> Template:
    what = "kernel" if is_kernel else "device function"
    code = getattr(python_function, "__code__", None)
    if code is None:
        raise KernelSyntaxError(f"<unknown>:1:1: a {what} must be a Python function (def ...)")
    try:
        lines, first_line, dedented, module = _source_lines(python_function)
    except (OSError, TypeError):
        raise KernelSyntaxError(
            f"{code.co_filename}:{code.co_firstlineno}:1: cannot read the source of {what} "
            f"{python_function.__qualname__}; define it in a .py file (not in an interactive "
            "session or exec)"
        ) from None
    indent = len(lines[0]) - len(dedented.partition("\n")[0] + "\n") if lines else 0
    indent = max(indent, 0)
    source = SourceMap(code.co_filename, first_line, indent, dedented.splitlines())
    try:
        module = module or ast.parse(dedented)
    except SyntaxError as error:
        raise KernelSyntaxError(
            f"{code.co_filename}:{first_line + (error.lineno or 1) - 1}:"
            f"{indent + (error.offset or 1)}: {error.msg}"
        ) from None
    tree = module.body[0] if module.body else None
    if not isinstance(tree, ast.FunctionDef):
        if isinstance(tree, ast.AsyncFunctionDef):
            raise source.unsupported(tree, "kernels")
        raise KernelSyntaxError(
            f"{code.co_filename}:{first_line}:1: a {what} must be defined with def (not a lambda)"
        )
    _check_signature(tree, source, what)

    environment = Environment(python_function)
    param_names = [a.arg for a in tree.args.args]
    nodes = _body_nodes(tree)
    local_names = frozenset(param_names) | _assigned_names(nodes)
    declared = _declared_types(python_function, tree, source, environment, is_kernel, local_names)
    return_type = _return_type(python_function, tree, source, environment, is_kernel)
    explicit = {
        name: t.ndim
        for name, t in zip(param_names, declared, strict=True)
        if isinstance(t, ArrayType)
    }
    indexed = _infer_ndims(nodes, source, environment, local_names, param_names, explicit)
    for i, t in enumerate(declared):
        if isinstance(t, ArrayType) and t.ndim == 0:
            declared[i] = ArrayType(t.dtype, indexed.get(param_names[i], 1))
    taken = set(local_names)
    c_names = {name: c_safe_name(name, taken) for name in sorted(local_names)}
    template = Template(
        name=tree.name,
        python_function=python_function,
        filename=code.co_filename,
        is_kernel=is_kernel,
        param_names=param_names,
        declared_types=declared,
        is_generic=any(
            t is None or (isinstance(t, ArrayType) and t.dtype is None) for t in declared
        ),
        tree=tree,
        source=source,
        environment=environment,
        return_type=return_type,
        local_names=local_names,
        c_names=c_names,
    )
    if not is_kernel:
        template.name_stem = _claim_stem(python_function, tree.name)
    return template


def _source_lines(python_function) -> tuple[list[str], int, str, ast.Module | None]:
    """The function's source lines, first line number, dedented text and its parse (or None),
    like inspect.getsourcelines but without tokenizing the file: the code object knows the
    function's line range. Falls back on inspect when the range does not parse on its own."""
    code = python_function.__code__
    lines = linecache.getlines(code.co_filename, python_function.__globals__)
    first = code.co_firstlineno  # the first decorator's line for decorated functions
    last = _last_line(code)
    if lines and 0 < first <= last <= len(lines):
        block = lines[first - 1 : last]
        # A statement's last line may hold no instruction (a closing bracket): extend a little.
        for extra in range(4):
            text = textwrap.dedent("".join(block))
            try:
                module = ast.parse(text)
            except SyntaxError:
                if last + extra >= len(lines):
                    break
                block.append(lines[last + extra])
                continue
            if block[0].lstrip().startswith(("@", "def ")):
                return block, first, text, module
            break
    block, first = inspect.getsourcelines(python_function)
    return block, first, textwrap.dedent("".join(block)), None


def _last_line(code) -> int:
    last = code.co_firstlineno
    positions = getattr(code, "co_positions", None)
    if positions is not None:
        for _, end, _, _ in positions():
            if end is not None and end > last:
                last = end
    else:  # Python 3.10
        for _, _, line in code.co_lines():
            if line is not None and line > last:
                last = line
    for const in code.co_consts:
        if hasattr(const, "co_firstlineno"):
            last = max(last, _last_line(const))
    return last


def _check_signature(tree: ast.FunctionDef, source: SourceMap, what: str) -> None:
    args = tree.args
    for node, kind in (
        (args.vararg, "*args"),
        (args.kwarg, "**kwargs"),
        (args.kwonlyargs[0] if args.kwonlyargs else None, "keyword-only parameters"),
        (args.posonlyargs[0] if args.posonlyargs else None, "positional-only markers (/)"),
        (args.defaults[0] if args.defaults else None, "default parameter values"),
    ):
        if node is not None:
            raise source.syntax_error(
                node, f"{kind} are not supported in a {what}; list every parameter explicitly"
            )


def _body_nodes(tree: ast.FunctionDef) -> list[ast.AST]:
    """Every node of the body, once (one pass instead of several ast walks, which are slow)."""
    nodes: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        nodes.append(node)
        children = []
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                children.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                children.append(value)
        stack.extend(reversed(children))  # depth-first in source order
    return nodes


def _assigned_names(nodes: list[ast.AST]) -> frozenset[str]:
    return frozenset(
        node.id for node in nodes if type(node) is ast.Name and type(node.ctx) is ast.Store
    )


def _annotation_object(annotation: object, environment: Environment) -> object:
    # `from __future__ import annotations` leaves strings: evaluate them like typing does,
    # falling back on the plain spellings ("float32", "Array[float32]") in annotations.py.
    if isinstance(annotation, str):
        scope = dict(environment.globals)
        for name in environment.closure:
            value = environment.lookup(name)
            if value is not _NOT_FOUND:
                scope[name] = value
        try:
            return eval(annotation, scope)
        except Exception:
            return annotation
    return annotation


def _declared_types(python_function, tree, source, environment, is_kernel, local_names):
    annotations = getattr(python_function, "__annotations__", {})
    declared: list[ScalarType | ArrayType | None] = []
    for arg in tree.args.args:
        annotation = annotations.get(arg.arg, _NOT_FOUND)
        if annotation is _NOT_FOUND:
            if is_kernel:
                raise source.type_error(
                    arg,
                    f"kernel parameter '{arg.arg}' needs a type annotation, e.g. "
                    f"{arg.arg}: dc.float32 or {arg.arg}: dc.Array[dc.float32] (bare dc.Array "
                    "for any element type)",
                )
            declared.append(None)
            continue
        try:
            declared.append(to_kernel_type(_annotation_object(annotation, environment)))
        except AnnotationError as error:
            raise source.type_error(
                arg.annotation or arg,
                f"parameter '{arg.arg}': {error}; use dc.float32, dc.int32, ... or dc.Array[dtype]",
            ) from None
    return declared


def _return_type(python_function, tree, source, environment, is_kernel):
    annotations = getattr(python_function, "__annotations__", {})
    annotation = annotations.get("return", _NOT_FOUND)
    if annotation is _NOT_FOUND or annotation is None or annotation == "None":
        return None
    if is_kernel:
        raise source.type_error(
            tree.returns,
            "kernels return nothing; write results into an array argument and drop the "
            "return annotation",
        )
    annotation = _annotation_object(annotation, environment)
    if typing.get_origin(annotation) is tuple:
        return _tuple_return_type(typing.get_args(annotation), tree.returns, source)
    try:
        result = to_kernel_type(annotation)
    except AnnotationError as error:
        raise source.type_error(tree.returns, f"return annotation: {error}") from None
    if not isinstance(result, ScalarType):
        raise source.type_error(
            tree.returns,
            "device functions return scalars or tuples of scalars; write arrays through arguments",
        )
    return result


def _tuple_return_type(elements: tuple, node: ast.AST, source: SourceMap) -> TupleType:
    """``-> tuple[dc.float32, dc.int32]``: two or more scalar types."""
    if len(elements) < 2 or Ellipsis in elements:
        raise source.type_error(
            node,
            "return annotation: a tuple names the type of each of its two or more values, "
            "e.g. tuple[dc.float32, dc.int32]",
        )
    types = []
    for element in elements:
        try:
            t = to_kernel_type(element)
        except AnnotationError as error:
            raise source.type_error(node, f"return annotation: {error}") from None
        if not isinstance(t, ScalarType):
            raise source.type_error(node, f"return annotation: a tuple holds scalars, not {t}")
        types.append(t)
    return TupleType(tuple(types))


def _infer_ndims(nodes, source, environment, local_names, param_names, explicit):
    """ndim of each parameter from how the body indexes it; all accesses must agree."""
    seen: dict[str, tuple[int, ast.AST]] = {}
    params = set(param_names)

    def record(name: str, ndim: int, node: ast.AST) -> None:
        if name in explicit and explicit[name] and explicit[name] != ndim:
            raise source.type_error(
                node,
                f"array '{name}' is declared {explicit[name]}-D but indexed with {ndim} "
                f"{'index' if ndim == 1 else 'indices'} here; use one index per dimension",
            )
        previous = seen.get(name)
        if previous is None:
            seen[name] = (ndim, node)
        elif previous[0] != ndim:
            line = source.location(previous[1]).line
            raise source.type_error(
                node,
                f"array '{name}' is indexed with {ndim} {'index' if ndim == 1 else 'indices'} "
                f"here but {previous[0]} at line {line}; every access must use the same number "
                "of indices (one per dimension)",
            )

    for node in nodes:
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            if node.value.id in params:
                index = node.slice
                count = len(index.elts) if isinstance(index, ast.Tuple) else 1
                record(node.value.id, count, node)
        elif (
            isinstance(node, ast.Call)
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in params
        ):
            callee = environment.resolve(node.func, local_names)
            if INTRINSICS.get(callee, ("",))[0] == "atomic":
                index = node.args[1]
                count = len(index.elts) if isinstance(index, ast.Tuple) else 1
                record(node.args[0].id, count, node)
    ndims = {name: value[0] for name, value in seen.items()}
    # Without any subscript, `a.shape[d]` with a constant d still says a has more than d dims.
    for node in nodes:
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "shape"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in params
            and node.value.value.id not in ndims
            and isinstance(node.slice, ast.Constant)
            and type(node.slice.value) is int
            and node.slice.value >= 0
        ):
            name = node.value.value.id
            ndims[name] = max(ndims.get(name, 1), node.slice.value + 1)
    return ndims


def _claim_stem(python_function, name: str) -> str:
    # Two device functions with one Python name (different modules) get distinct C names;
    # the first to be parsed keeps the plain one, so names stay stable run to run.
    owner = f"{python_function.__module__}.{python_function.__qualname__}"
    with _lock:
        stem, n = name, 1
        while _function_stems.setdefault(stem, owner) != owner:
            n += 1
            stem = f"{name}_{n}"
    return stem


def _check_arg_types(template: Template, arg_types: list) -> list:
    what = "kernel" if template.is_kernel else "device function"
    if len(arg_types) != len(template.param_names):
        raise KernelTypeError(
            f"{template.source.location(template.tree)}: {what} {template.name} takes "
            f"{len(template.param_names)} arguments, got {len(arg_types)} types"
        )
    result = []
    for name, declared, given in zip(
        template.param_names, template.declared_types, arg_types, strict=True
    ):
        if isinstance(given, ArrayAnnotation):
            given = to_kernel_type(given)
        where = f"{template.source.location(template.tree)}: {what} {template.name}, parameter"
        if isinstance(declared, ScalarType):
            if given != declared:
                raise KernelTypeError(f"{where} '{name}' is {declared}, got {given}")
        elif isinstance(declared, ArrayType):
            if not isinstance(given, ArrayType) or given.dtype is None:
                raise KernelTypeError(f"{where} '{name}' is an array, got {given}")
            if declared.dtype is not None and given.dtype != declared.dtype:
                raise KernelTypeError(f"{where} '{name}' is {declared}, got {given}")
            if given.ndim != declared.ndim:
                raise KernelTypeError(
                    f"{where} '{name}' is used as a {declared.ndim}-D array, got a "
                    f"{given.ndim}-D array"
                )
        elif isinstance(given, ArrayType) and given.dtype is None:
            raise KernelTypeError(f"{where} '{name}': an array type needs its dtype")
        elif not isinstance(given, ScalarType | ArrayType):
            raise KernelTypeError(f"{where} '{name}': {given!r} is not a kernel type")
        result.append(given)
    return result
