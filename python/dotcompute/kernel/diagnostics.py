# python/dotcompute/kernel/diagnostics.py
# Error messages of the kernel frontend: file:line:col, the construct, a hint, the source line.
"""Diagnostics of the kernel frontend.

Every message starts with ``file:line:col:`` (line and column 1-based, in the user's file, as
compilers print them), then says what is wrong and how to fix it, then shows the source line with
a caret under the column.
"""

from __future__ import annotations

import ast

from ..errors import KernelSyntaxError, KernelTypeError
from .ir import Location

# What each unsupported AST node is called in messages (with its verb), and what to do instead.
UNSUPPORTED: dict[str, tuple[str, str]] = {
    "List": ("lists are", "use dc.shared_array(shape, dtype) for scratch memory"),
    "ListComp": ("list comprehensions are", "write a for loop over range()"),
    "SetComp": ("set comprehensions are", "write a for loop over range()"),
    "DictComp": ("dict comprehensions are", "write a for loop over range()"),
    "GeneratorExp": ("generator expressions are", "write a for loop over range()"),
    "Dict": ("dicts are", "pass the values as separate scalar arguments"),
    "Set": ("sets are", "use scalars or an array argument"),
    "Tuple": (
        "tuples are",
        "tuples only appear as indices a[i, j], shapes, unpacking (a, b = x, y) and the "
        "values a device function returns (return a, b)",
    ),
    "Lambda": ("lambdas are", "define a @dc.func device function"),
    "JoinedStr": ("f-strings are", "strings do not exist in kernels; run with DOTCOMPUTE_DEBUG=1"),
    "FormattedValue": ("f-strings are", "strings do not exist in kernels"),
    "Starred": ("starred expressions (*args) are", "pass each argument explicitly"),
    "NamedExpr": ("assignment expressions (:=) are", "assign in a separate statement"),
    "Await": ("await is", "kernels are not coroutines"),
    "Yield": ("yield is", "kernels are not generators; write results to an array argument"),
    "YieldFrom": ("yield from is", "kernels are not generators"),
    "Slice": ("slices are", "index one element at a time, e.g. in a for loop"),
    "FunctionDef": ("nested functions are", "define a @dc.func device function at module level"),
    "AsyncFunctionDef": ("async functions are", "kernels are not coroutines"),
    "ClassDef": ("class definitions are", "define classes outside kernels"),
    "Delete": ("del is", "locals live until the end of the kernel; just stop using it"),
    "With": ("with blocks are", "kernels have no context managers"),
    "AsyncWith": ("async with is", "kernels are not coroutines"),
    "AsyncFor": ("async for is", "kernels are not coroutines"),
    "Raise": ("raise is", "kernels cannot raise; write an error flag to an array argument"),
    "Try": ("try/except is", "kernels cannot raise; check values with if"),
    "TryStar": ("try/except* is", "kernels cannot raise; check values with if"),
    "Assert": ("assert is", "kernels cannot raise; run with DOTCOMPUTE_DEBUG=1 to debug"),
    "Import": ("import is", "import modules at module level and use them in the kernel"),
    "ImportFrom": ("import is", "import modules at module level and use them in the kernel"),
    "Global": ("global is", "module-level names are read-only constants in kernels"),
    "Nonlocal": ("nonlocal is", "enclosing names are read-only constants in kernels"),
    "Match": ("match statements are", "use if/elif/else"),
}


class SourceMap:
    """Maps nodes of the parsed (dedented) source back to the user's file."""

    __slots__ = ("filename", "first_line", "indent", "lines")

    def __init__(self, filename: str, first_line: int, indent: int, lines: list[str]) -> None:
        self.filename = filename
        self.first_line = first_line  # file line of line 1 of the parsed source
        self.indent = indent  # columns removed by dedent
        self.lines = lines  # the parsed (dedented) source lines

    def location(self, node: ast.AST | None) -> Location:
        if node is None or not hasattr(node, "lineno"):
            return Location(self.filename, self.first_line, 1)
        line = node.lineno
        column = node.col_offset  # UTF-8 bytes, per the ast module
        if 0 < line <= len(self.lines):
            text = self.lines[line - 1]
            if not text.isascii():
                column = len(text.encode()[:column].decode(errors="replace"))
        return Location(self.filename, self.first_line + line - 1, self.indent + column + 1)

    def message(self, node: ast.AST | None, text: str) -> str:
        location = self.location(node)
        message = f"{location}: {text}"
        if node is not None and 0 < getattr(node, "lineno", 0) <= len(self.lines):
            source = " " * self.indent + self.lines[node.lineno - 1].rstrip()
            message += f"\n    {source}\n    {' ' * (location.column - 1)}^"
        return message

    def syntax_error(self, node: ast.AST | None, text: str) -> KernelSyntaxError:
        return KernelSyntaxError(self.message(node, text))

    def type_error(self, node: ast.AST | None, text: str) -> KernelTypeError:
        return KernelTypeError(self.message(node, text))

    def unsupported(self, node: ast.AST, where: str) -> KernelSyntaxError:
        kind = type(node).__name__
        construct, hint = UNSUPPORTED.get(
            kind, (f"{kind} is", "rewrite it with supported constructs")
        )
        return self.syntax_error(node, f"{construct} not supported in {where}; {hint}")
