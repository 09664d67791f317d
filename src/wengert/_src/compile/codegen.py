"""Compiling a :class:`~wengert._src.core.ir.Program` to readable Python/NumPy source: the two entry points.

One line per equation, with the program's own variable names, so the source
reads like the printed Wengert list::

    def f(t1, t2):
        t3 = t1 * t2
        t4 = np.tanh(t3)
        return t4

Each primitive is written as its declaration says (``Primitive.statements``,
``Primitive.source``; :mod:`~wengert._src.compile.generator` writes them). Two
forms come from that one generator:

* :func:`to_source` gives a standalone module: imports, the constants the
  program captured written out exactly as literals
  (:mod:`~wengert._src.compile.source_text`), and the function. ``exec`` it and
  call the function with the program's flat inputs.
* :func:`compile_program` (for ``jit``) keeps the constants as objects in the
  module's namespace (hoisted: created once, not per call) and may *fuse*
  chains of elementwise operations and reuse dead arrays
  (:mod:`~wengert._src.compile.buffers`: ``t5 = np.tanh(t4, out=t4)``), keeping
  large arrays that die inside the call from one call to the next
  (``keep_buffers=False`` keeps none, :func:`release_buffers` lets them go).
  The source is registered in ``linecache`` (tracebacks show its lines) for as
  long as the compiled function lives.
  With ``floats=True`` (``jit``), a program whose every value is a 0-d float64
  runs on Python floats and ``math``, several times cheaper than NumPy scalars,
  beside its NumPy code, which answers where Python raises or a result is not
  finite (:mod:`~wengert._src.compile.float_source`).

The IR does not import the compiler: importing this module registers
:func:`to_source` as ``Program.to_source``'s writer.
"""

from __future__ import annotations

import linecache
import re
import weakref
from collections.abc import Callable

from ..core.ir import Program, register_source_writer
from .generator import SourceGenerator, next_tag

_SPARE_LISTS = "__spare_buffers__"
"""The name under which a compiled module holds its lists of kept buffers (:func:`release_buffers`)."""


def to_source(program: Program, name: str = "f") -> str:
    """Standalone Python source of a function computing ``program``: imports, constants, the function.

    The function takes the program's flat inputs in order and returns its flat
    outputs (a tuple when there is more than one). Constants are written as
    exact literals; ``exec`` the source and call ``name``.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> program = wengert.trace(lambda x: wnp.tanh(x * 2.0 + 1.0))(np.zeros(3))
    >>> print(program.to_source())
    import numpy as np
    <BLANKLINE>
    <BLANKLINE>
    def f(t1):
        t2 = t1 * 2.0
        t3 = t2 + 1.0
        t4 = np.tanh(t3)
        return t4
    <BLANKLINE>
    """
    return SourceGenerator(inline_constants=True, fuse=False).module(program, name)


register_source_writer(to_source)


def compile_program(
    program: Program, name: str = "f", fuse: bool = True, keep_buffers: bool = True, floats: bool = False
) -> tuple[Callable, str]:
    """``(function, source)``: ``program`` compiled to a NumPy function of its flat inputs.

    The function returns a tuple of the flat outputs (always a tuple). Constants
    live in the function's module namespace; ``fuse`` lets elementwise chains
    reuse one array, ``keep_buffers`` keeps the large ones from one call to
    the next, and ``floats`` runs a program of 0-d float64 values on Python
    floats (see the module docstring).
    """
    generator = SourceGenerator(
        inline_constants=False, fuse=fuse, always_tuple=True, keep_buffers=keep_buffers, floats=floats
    )
    source = generator.module(program, name)
    filename = f"<wengert.jit {name} #{next_tag()}>"
    named = set(re.findall(r"[A-Za-z_]\w*", source))
    namespace = {key: value for key, value in generator.namespace.items() if key in named}  # no dead constants
    namespace[_SPARE_LISTS] = tuple(generator.spare_lists)
    exec(compile(source, filename, "exec"), namespace)
    function = namespace[name]
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    weakref.finalize(function, linecache.cache.pop, filename, None)  # tracebacks show the source while it lives
    return function, source


def release_buffers(function: Callable) -> None:
    """Let go of the arrays a function from :func:`compile_program` keeps between calls (its next call
    allocates them again)."""
    for spares in function.__globals__.get(_SPARE_LISTS, ()):
        spares.clear()
