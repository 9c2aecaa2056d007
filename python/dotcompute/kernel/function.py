# python/dotcompute/kernel/function.py
# @dc.func: device functions callable from kernels (and, as plain Python, from anywhere).
"""Device functions.

``@dc.func`` wraps a Python function in a :class:`DeviceFunction`. Kernels and other device
functions that call it get a specialization per argument types (see ``frontend.specialize``);
called from Python it just runs the original function. The source is parsed on first use, not
at decoration, so a module with a broken device function still imports and
``python -m dotcompute check`` can report every error.
"""

from __future__ import annotations

import functools


class DeviceFunction:
    """A ``@dc.func`` device function."""

    def __init__(self, python_function) -> None:
        if not callable(python_function) or not hasattr(python_function, "__code__"):
            raise TypeError("@dc.func decorates a Python function (def ...)")
        functools.update_wrapper(self, python_function)
        self.python_function = python_function
        self._template = None

    @property
    def template(self):
        """The parsed function (frontend.Template), parsed once on first use."""
        if self._template is None:
            from .frontend import parse

            self._template = parse(self.python_function, is_kernel=False)
        return self._template

    def __call__(self, *args, **kwargs):
        return self.python_function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<dc.func {self.python_function.__qualname__}>"


def func(python_function) -> DeviceFunction:
    """Decorator: make ``python_function`` a device function callable from kernels."""
    return DeviceFunction(python_function)
