"""The code generator: one Python module, built from a Program, equation by equation.

:class:`SourceGenerator` writes each equation as its primitive declares it:
``Primitive.statements`` (lines of its own: scatters, indexing along an axis,
``cond`` and ``while``), else ``Primitive.source`` (a Python operator or a NumPy
expression), else ``np.<ufunc>(...)`` for a ufunc, else a call of the
primitive's implementation through an importable name. A declaration's writer
receives the generator and uses its methods to write what it holds: parameters
(:meth:`~SourceGenerator.param`, :meth:`~SourceGenerator.index`,
:meth:`~SourceGenerator.keywords`), operands (:meth:`~SourceGenerator.array`),
constants (:meth:`~SourceGenerator.constant`), calls
(:meth:`~SourceGenerator.call_impl`), sub-programs
(:meth:`~SourceGenerator.sub_function`) and writes at indices
(:class:`~.indexed_writes.IndexedWrites`).

Which results reuse which memory is the :class:`~.buffers.BufferPlan`'s to say;
the generator asks it and writes ``out=`` and the kept buffers.
"""

from __future__ import annotations

import itertools

from wengert.errors import TransformError

from ..backend import xp
from ..core.ir import Program, Var
from ..core.primitive import Primitive
from .buffers import BufferPlan, is_ufunc, makes_new_array
from .float_source import write_float_functions
from .indexed_writes import IndexedWrites
from .scalar_floats import runs_as_floats
from .source_text import array_literal, importable, literal, tuple_text

_tags = itertools.count(1)


def next_tag() -> int:
    """A number no other generated name or file has taken in this process."""
    return next(_tags)


def _python_numbers_only(eqn) -> bool:
    """True if every input of ``eqn`` is a Python number when the program runs (a variable holding one,
    or a literal one)."""
    return all(x.weak if isinstance(x, Var) else type(x.value) in (bool, int, float, complex) for x in eqn.inputs)


class SourceGenerator(IndexedWrites):
    """Builds one module: header lines (imports, constants, helper functions) and function bodies.

    ``inline_constants``: constants are written as exact literals (standalone source), else held
    as objects in the module's namespace (``namespace``). ``fuse``: results may reuse dead arrays
    (:mod:`.buffers`); ``keep_buffers``: the large ones are kept between calls. ``floats``: a program
    of 0-d float64 values also runs on Python floats (:mod:`.float_source`).
    """

    def __init__(
        self,
        *,
        inline_constants: bool,
        fuse: bool,
        always_tuple: bool = False,
        keep_buffers: bool = False,
        floats: bool = False,
    ):
        self.inline_constants = inline_constants
        self.floats = floats
        self.fuse = fuse
        self.keep_buffers = keep_buffers
        self.always_tuple = always_tuple
        self.imports: dict[str, str] = {"numpy": "import numpy as np"}
        self.aliases: dict[str, str] = {}  # import name -> the module it names
        self.constants: list[str] = []
        self.functions: list[str] = []
        self.namespace: dict[str, object] = {}
        self.global_names: set[str] = {"np"}
        self.constant_names: dict[int, str] = {}
        self.constant_values: dict[str, object] = {}
        self.spare_lists: list[list] = []
        self.plan: BufferPlan | None = None
        """The buffer plan of the function body being written."""

    # --- the module ---------------------------------------------------------------------------------
    def module(self, program: Program, name: str) -> str:
        self.global_names.add(name)
        if self.floats and runs_as_floats(program):
            write_float_functions(self, program, name)
        else:
            self.function(program, name, self.always_tuple)
        parts = ["\n".join(sorted(self.imports.values()))]
        if self.constants:
            parts.append("\n".join(self.constants))
        parts.extend(self.functions)
        return "\n\n\n".join(parts) + "\n"

    def function(self, program: Program, name: str, always_tuple: bool) -> None:
        """Generate ``def name(inputs): ...`` for ``program`` (its constants become module constants)."""
        outer, plan = self.plan, BufferPlan(program)
        self.plan = plan
        for var in program.invars:
            plan.names[id(var)] = var.name
        for var, value in zip(program.constvars, program.consts):
            plan.names[id(var)] = self.constant(value, var.name)
        body = []
        for index, eqn in enumerate(program.equations):
            args = [plan.names[id(x)] if isinstance(x, Var) else literal(x.value) for x in eqn.inputs]
            outs = [v.name for v in eqn.outputs]
            plan.begin(index, eqn)
            lines = self.equation(eqn, args, outs)
            plan.note_memory(eqn)
            if makes_new_array(eqn) and eqn.outputs[0].shape:
                plan.own(eqn, args, len(body), fresh_site=len(lines) == 1 and plan.reused is None)
            body.extend(lines)
            plan.release(index)
        results = [plan.names[id(v)] if isinstance(v, Var) else literal(v.value) for v in program.outvars]
        if not self.inline_constants:
            handed_out: set[int] = set()
            results = [self.returned(v, name, handed_out) for v, name in zip(program.outvars, results)]
        returned = tuple_text(results) if always_tuple or len(results) != 1 else results[0]
        if self.fuse and self.keep_buffers:
            body = self.kept_buffers(body)
        body.append(f"return {returned}")
        signature = ", ".join(v.name for v in program.invars)
        self.functions.append(f"def {name}({signature}):\n" + "\n".join("    " + line for line in body))
        self.plan = outer

    def sub_function(self, program: Program, name: str) -> str:
        """``name``, a module-level function computing ``program`` and returning a tuple (a branch, a
        loop's condition or body)."""
        self.global_names.add(name)
        self.function(program, name, always_tuple=True)
        return name

    def returned(self, var, name: str, handed_out: set[int]) -> str:
        """``name``, or a copy of it when the compiled function would otherwise hand out memory the
        caller, a later call or another output also holds: an input, a constant (kept in the module),
        a view of one, or an array an earlier output (``handed_out``) is or views. (The optimiser turns
        ``g * y`` at ``g = 1`` into ``y`` itself, and ``(a * 2, a * 2)`` into one array returned twice;
        writing into one result in place must change nothing else.) Python numbers are returned as they
        are: they cannot be written into."""
        if not isinstance(var, Var) or var.weak:
            return name
        root = self.plan.roots.get(id(var))
        if root is None or root in handed_out:
            return f"{name}.copy()"
        handed_out.add(root)
        return name

    def kept_buffers(self, body: list[str]) -> list[str]:
        """``body`` with its large arrays kept from one call to the next.

        An array an elementwise operation or a matmul allocates, and which dies inside the call
        (:meth:`~.buffers.BufferPlan.kept_sites`), is allocated once and kept in a module-level
        list between calls: the function pops a set of buffers on entry (or makes one) and puts it
        back before returning. Each concurrent or recursive call pops its own set, so no two calls
        share a buffer; an exception only loses a set.
        """
        kept = self.plan.kept_sites()
        if not kept:
            return body
        body = list(body)
        spares = self.constant([], "spare_buffers1")
        self.spare_lists.append(self.constant_values[spares])
        empties = []
        for k, ((line, eqn, args, out), var) in enumerate(kept):
            body[line] = f"{out} = {self.expression(eqn, args, f'_buffers[{k}]')}"
            empties.append(f"np.empty({var.shape!r}, {self.dtype(var.dtype)})")
        made = tuple_text(empties)
        return [f"_buffers = {spares}.pop() if {spares} else {made}", *body, f"{spares}.append(_buffers)"]

    # --- equations ----------------------------------------------------------------------------------
    def equation(self, eqn, args: list[str], outs: list[str]) -> list[str]:
        """The source lines of one equation; records the names of its outputs."""
        prim = eqn.primitive
        for var, out in zip(eqn.outputs, outs):
            self.plan.names[id(var)] = out
        if prim.statements is not None:
            return prim.statements(self, eqn, args, outs)
        target = self.plan.output_buffer(eqn, args) if self.fuse and is_ufunc(prim) else None
        expression = self.expression(eqn, args, target)
        if prim.multiple_results:
            left = ", ".join(outs) + ("," if len(outs) == 1 else "")
            return [f"{left} = {expression}"]
        return [f"{outs[0]} = {expression}"]

    def expression(self, eqn, args: list[str], target: str | None) -> str:
        """The NumPy expression of one equation, as its primitive declares it (``Primitive.source``),
        written into ``target`` (``out=``) if given."""
        prim, source = eqn.primitive, eqn.primitive.source
        if is_ufunc(prim):
            if target is not None:
                return f"np.{prim.impl.__name__}({', '.join(args)}, out={target})"
            if type(source) is str and not _python_numbers_only(eqn):  # Python's operator on Python numbers
                return f"{source}{args[0]}" if len(args) == 1 else f"{args[0]} {source} {args[1]}"  # gives one
            return f"np.{prim.impl.__name__}({', '.join(args)})"
        if source is not None:
            return source(self, eqn, args)
        return self.call_impl(prim, args, eqn.params)

    def call_impl(self, prim, args: list[str], params: dict) -> str:
        """``<importable impl>(args, **params)`` for a primitive without a NumPy template."""
        reference = self.reference(prim)
        keywords = [f"{key}={self.param(value)}" for key, value in params.items()]
        return f"{reference}({', '.join([*args, *keywords])})"

    # --- names for values ---------------------------------------------------------------------------
    def constant(self, value, hint: str) -> str:
        """A module-level name holding ``value`` (one name per distinct object)."""
        key = id(value)
        if key in self.constant_names:
            return self.constant_names[key]
        name, number = hint, 1
        while name in self.global_names:
            number += 1
            name = f"{hint.rstrip('0123456789')}{number}"
        self.global_names.add(name)
        self.constant_names[key] = name
        self.constant_values[name] = value
        if self.inline_constants:
            self.constants.append(f"{name} = {array_literal(value)}")
        else:
            self.namespace[name] = value
        return name

    def reference(self, prim: Primitive) -> str:
        """An importable name for a primitive's implementation (imported at the top of the module)."""
        location = importable(prim)
        if location is None:
            if self.inline_constants:
                raise TransformError(
                    f"to_source: {prim!r} has no importable name, so standalone source cannot call it; "
                    "use wengert.jit to run the program compiled instead."
                )
            return f"{self.constant(prim, 'primitive1')}.impl"
        module, path = location
        return f"{self.module_alias(module)}.{path}"

    def module_alias(self, module: str) -> str:
        """The name under which ``module`` is imported at the top of the source: ``_`` and its last
        part (``_special``), or its whole dotted path where two modules end alike (``numpy.linalg``
        and ``wengert._src.primitives.linalg``), so that each name reaches its own module."""
        package, _, leaf = module.rpartition(".")
        alias = "_" + leaf
        taken = self.aliases.setdefault(alias, module)
        if taken != module:
            alias = "_" + module.replace(".", "_")
            self.aliases[alias] = module
        self.imports[module] = f"from {package} import {leaf} as {alias}" if package else f"import {module} as {alias}"
        return alias

    tuple_text = staticmethod(tuple_text)

    @staticmethod
    def tag() -> int:
        """A number for the names of generated helper functions (``cond3_branch0``), unique in the process."""
        return next_tag()

    # --- parameters and operands as source text -----------------------------------------------------------
    def dtype(self, dtype) -> str:
        return f"np.{xp.dtype(dtype).name}"

    def param(self, value) -> str:
        """Source text for a parameter value (arrays become module constants)."""
        if isinstance(value, xp.ndarray):
            return self.constant(value, "k1")
        if isinstance(value, tuple):
            inner = ", ".join(self.param(v) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if isinstance(value, list):
            return "[" + ", ".join(self.param(v) for v in value) + "]"
        if isinstance(value, slice):
            return f"slice({self.param(value.start)}, {self.param(value.stop)}, {self.param(value.step)})"
        if value is Ellipsis:
            return "..."
        if isinstance(value, xp.dtype):
            return self.dtype(value)
        if isinstance(value, type) and issubclass(value, xp.generic):
            return f"np.{value.__name__}"
        if value is None or isinstance(value, (bool, int, float, complex, str, xp.generic)):
            return literal(value)
        if self.inline_constants:
            raise TransformError(f"to_source: the parameter {value!r} cannot be written as source")
        return self.constant(value, "p1")

    def keywords(self, params: dict, *keys) -> str:
        """``key=value, ...`` for the parameters ``keys``, as source text."""
        return ", ".join(f"{key}={self.param(params[key])}" for key in keys)

    def array(self, eqn, args: list[str]) -> str:
        """The first argument, as something with NumPy's array methods (a variable is one already,
        unless it holds a Python number)."""
        x = eqn.inputs[0]
        return args[0] if isinstance(x, Var) and not x.weak else f"np.asarray({args[0]})"

    def index(self, idx: tuple) -> str:
        """An index tuple as subscript text: ``1:3, None, k1`` (arrays become constants)."""
        if not idx:
            return "()"
        parts = []
        for item in idx:
            if isinstance(item, slice):
                start, stop, step = ("" if p is None else self.param(p) for p in (item.start, item.stop, item.step))
                parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
            else:
                parts.append(self.param(item))
        return ", ".join(parts) + ("," if len(parts) == 1 else "")
