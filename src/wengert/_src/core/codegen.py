"""Compiling a :class:`~wengert._src.core.ir.Program` to readable Python/NumPy source.

One line per equation, with the program's own variable names, so the source
reads like the printed Wengert list::

    def f(t1, t2):
        t3 = t1 * t2
        t4 = np.tanh(t3)
        return t4

Common primitives are written as the NumPy expression they stand for
(operators, ``np.tanh``, ``x.reshape(...)``, ``x[idx]``, ``np.add.at``);
the others call their implementation through an importable name
(``_special.erf_impl(t3)``). ``cond`` and ``while`` equations call generated
functions for their sub-programs.

Two forms are generated from one code path:

* :func:`to_source` gives a standalone module: imports, the constants the
  program captured written out exactly as literals, and the function. ``exec``
  it and call the function with the program's flat inputs.
* :func:`compile_program` (for ``jit``) keeps the constants as objects in the
  module's namespace (hoisted: created once, not per call) and may *fuse*
  chains of elementwise operations: an operation reading, for the last time,
  an array an earlier operation made (not a view, not an input) writes its
  result into that array (``t5 = np.tanh(t4, out=t4)``), so a chain of k
  operations allocates one array instead of k, and a backward pass reuses
  the forward pass's buffers as they die.
"""

from __future__ import annotations

import itertools
import linecache
import math
import sys
from collections.abc import Callable

from wengert.errors import TransformError

from ..backend import xp
from .ir import Program, Var
from .primitive import Primitive

_BINARY_OPERATORS = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "pow": "**",
    "floordiv": "//",
    "rem": "%",
    "matmul": "@",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
}
_FRESH_RESULTS = {"sum", "reduce_max", "reduce_min", "select", "scatter_add", "scatter", "convert"}
"""Primitives (besides elementwise ufuncs and matmul) whose result is a new array, never a view."""

_counter = itertools.count(1)


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
    return _Generator(inline_constants=True, fuse=False).module(program, name)


def compile_program(program: Program, name: str = "f", fuse: bool = True) -> tuple[Callable, str]:
    """``(function, source)``: ``program`` compiled to a NumPy function of its flat inputs.

    The function returns a tuple of the flat outputs (always a tuple). Constants
    live in the function's module namespace; ``fuse`` lets elementwise chains
    reuse one array (see the module docstring).
    """
    generator = _Generator(inline_constants=False, fuse=fuse, always_tuple=True)
    source = generator.module(program, name)
    filename = f"<wengert.jit {name} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace = dict(generator.namespace)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name], source


class _Generator:
    """Builds one module: header lines (imports, constants, helper functions) and function bodies."""

    def __init__(self, *, inline_constants: bool, fuse: bool, always_tuple: bool = False):
        self.inline_constants = inline_constants
        self.fuse = fuse
        self.always_tuple = always_tuple
        self.imports: dict[str, str] = {"numpy": "import numpy as np"}
        self.constants: list[str] = []
        self.functions: list[str] = []
        self.namespace: dict[str, object] = {}
        self.global_names: set[str] = {"np"}
        self.constant_names: dict[int, str] = {}
        self.constant_values: dict[str, object] = {}

    # --- the module ---------------------------------------------------------------------------------
    def module(self, program: Program, name: str) -> str:
        self.global_names.add(name)
        self.function(program, name, self.always_tuple)
        parts = ["\n".join(sorted(self.imports.values()))]
        if self.constants:
            parts.append("\n".join(self.constants))
        parts.extend(self.functions)
        return "\n\n\n".join(parts) + "\n"

    def function(self, program: Program, name: str, always_tuple: bool) -> None:
        """Generate ``def name(inputs): ...`` for ``program`` (its constants become module constants)."""
        names: dict[int, str] = {}
        for var in program.invars:
            names[id(var)] = var.name
        for var, value in zip(program.constvars, program.consts):
            names[id(var)] = self.constant(value, var.name)
        last_reads = _last_reads(program)
        fresh: set[int] = set()
        body = []
        for index, eqn in enumerate(program.equations):
            args = [names[id(x)] if isinstance(x, Var) else literal(x.value) for x in eqn.inputs]
            outs = [v.name for v in eqn.outputs]
            dead = {id(x) for x in eqn.inputs if isinstance(x, Var) and last_reads.get(id(x)) == index}
            body.extend(self.equation(eqn, args, outs, names, dead, fresh))
        results = [names[id(v)] if isinstance(v, Var) else literal(v.value) for v in program.outvars]
        if always_tuple or len(results) != 1:
            returned = "(" + ", ".join(results) + ("," if len(results) == 1 else "") + ")"
        else:
            returned = results[0]
        body.append(f"return {returned}")
        signature = ", ".join(v.name for v in program.invars)
        self.functions.append(f"def {name}({signature}):\n" + "\n".join("    " + line for line in body))

    def equation(self, eqn, args: list[str], outs: list[str], names: dict, dead: set, fresh: set) -> list[str]:
        """The source lines of one equation; records the names of its outputs.

        ``dead``: the inputs no later equation reads (directly or through a view); ``fresh``: the
        variables holding arrays of their own (made by an operation, not views), which a dead one
        lends its memory to the result.
        """
        prim = eqn.primitive
        for var, out in zip(eqn.outputs, outs):
            names[id(var)] = out
        if prim.name in ("cond", "while"):
            return self.control_flow(eqn, args, outs)
        if prim.name == "stop_gradient":
            return [f"{outs[0]} = {args[0]}"]
        if prim.name in ("scatter_add", "scatter"):
            return self.scatter(eqn, args, outs)
        target = self.in_place_target(eqn, args, dead, fresh)
        expression = self.expression(eqn, args, target)
        if _makes_new_array(eqn) and eqn.outputs[0].shape:
            fresh.add(id(eqn.outputs[0]))
        if prim.multiple_results:
            left = ", ".join(outs) + ("," if len(outs) == 1 else "")
            return [f"{left} = {expression}"]
        return [f"{outs[0]} = {expression}"]

    def in_place_target(self, eqn, args: list[str], dead: set, fresh: set) -> str | None:
        """The name of an input the result may be written into (fusing an elementwise chain), if any:
        a fresh array of the result's shape and dtype that is read for the last time here."""
        if not self.fuse or not _is_ufunc(eqn.primitive) or eqn.primitive.name == "matmul":
            return None
        out = eqn.outputs[0]
        if not out.shape:
            return None
        for x, name in zip(eqn.inputs, args):
            if (
                isinstance(x, Var)
                and id(x) in fresh
                and id(x) in dead
                and x.shape == out.shape
                and x.dtype == out.dtype
            ):
                fresh.discard(id(x))
                return name
        return None

    # --- expressions ------------------------------------------------------------------------------------
    def expression(self, eqn, args: list[str], target: str | None) -> str:
        prim, params = eqn.primitive, eqn.params
        name = prim.name
        if _is_ufunc(prim):
            if target is not None:
                return f"np.{prim.impl.__name__}({', '.join(args)}, out={target})"
            if name in _BINARY_OPERATORS:
                return f"{args[0]} {_BINARY_OPERATORS[name]} {args[1]}"
            if name == "neg":
                return f"-{args[0]}"
            return f"np.{prim.impl.__name__}({', '.join(args)})"
        template = _TEMPLATES.get(name)
        if template is not None and _is_builtin(prim):
            return template(self, eqn, args, params)
        return self.call_impl(prim, args, params)

    def call_impl(self, prim, args: list[str], params: dict) -> str:
        """``<importable impl>(args, **params)`` for a primitive without a NumPy template."""
        reference = self.reference(prim)
        keywords = [f"{key}={self.param(value)}" for key, value in params.items()]
        return f"{reference}({', '.join([*args, *keywords])})"

    def scatter(self, eqn, args: list[str], outs: list[str]) -> list[str]:
        """``x.at[idx].add(u)`` / ``.set(u)``: copy ``x`` (or start from zeros), then write in place.

        An add at array indices into float64 is a ``bincount`` over the flat positions the index
        names (computed once, here): several times faster than ``np.add.at``, same sums.
        """
        out, (x, updates) = outs[0], args
        x_atom, var, idx = eqn.inputs[0], eqn.outputs[0], eqn.params["idx"]
        zeros = isinstance(x_atom, Var) and self.is_zeros_constant(x)
        if eqn.primitive.name == "scatter_add" and not _is_basic(idx) and var.dtype == xp.float64:
            positions = xp.arange(var.size).reshape(var.shape)[idx]
            flat = self.constant(positions.ravel(), "k1")
            weights = (
                updates
                if tuple(eqn.inputs[1].shape) == positions.shape
                else (f"np.broadcast_to({updates}, {positions.shape!r})")
            )
            lines = [f"{out} = np.bincount({flat}, {weights}.ravel(), minlength={var.size}).reshape({var.shape!r})"]
            return lines if zeros else [*lines, f"{out} += {x}"]
        first = f"{out} = np.zeros({var.shape!r}, {self.dtype(var.dtype)})" if zeros else f"{out} = np.array({x})"
        index = self.index(idx)
        if eqn.primitive.name == "scatter":
            return [first, f"{out}[{index}] = {updates}"]
        if _is_basic(idx):
            return [first, f"{out}[{index}] += {updates}"]
        return [first, f"np.add.at({out}, ({index}), {updates})"]

    def is_zeros_constant(self, name: str) -> bool:
        value = self.constant_values.get(name)
        return isinstance(value, xp.ndarray) and value.dtype.kind in "fiub" and not value.any()

    def control_flow(self, eqn, args: list[str], outs: list[str]) -> list[str]:
        """A ``cond`` (call the chosen branch's function) or a ``while`` (a Python loop over functions)."""
        left = ", ".join(outs) + ("," if len(outs) == 1 else "")
        tag = next(_counter)
        if eqn.primitive.name == "cond":
            branch_names = []
            for k, branch in enumerate(eqn.params["branches"]):
                branch_names.append(self.sub_function(branch, f"cond{tag}_branch{k}"))
            table = "(" + ", ".join(branch_names) + ("," if len(branch_names) == 1 else "") + ")"
            return [f"{left} = {table}[int({args[0]})]({', '.join(args[1:])})"]
        cond_program, body_program = eqn.params["cond_program"], eqn.params["body_program"]
        n_cond, n_body = eqn.params["cond_nconsts"], eqn.params["body_nconsts"]
        cond_name = self.sub_function(cond_program, f"while{tag}_cond")
        body_name = self.sub_function(body_program, f"while{tag}_body")
        cond_consts, body_consts, carry = args[:n_cond], args[n_cond : n_cond + n_body], args[n_cond + n_body :]
        carry_name = f"carry{tag}"
        carry_tuple = "(" + ", ".join(carry) + ("," if len(carry) == 1 else "") + ")"
        return [
            f"{carry_name} = {carry_tuple}",
            f"while {cond_name}({''.join(a + ', ' for a in cond_consts)}*{carry_name})[0]:",
            f"    {carry_name} = {body_name}({''.join(a + ', ' for a in body_consts)}*{carry_name})",
            f"{left} = {carry_name}",
        ]

    def sub_function(self, program: Program, name: str) -> str:
        self.global_names.add(name)
        self.function(program, name, always_tuple=True)
        return name

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
        alias = "_" + module.rsplit(".", 1)[-1]
        package, _, leaf = module.rpartition(".")
        self.imports[module] = f"from {package} import {leaf} as {alias}" if package else f"import {module} as {alias}"
        return f"{alias}.{path}"

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


# --- templates: the NumPy expression of each common primitive -----------------------------------------
def _keywords(gen: _Generator, params: dict, *keys) -> str:
    return ", ".join(f"{key}={gen.param(params[key])}" for key in keys)


def _array(eqn, args) -> str:
    """The first argument, as something with NumPy's array methods (a variable is one already)."""
    return args[0] if isinstance(eqn.inputs[0], Var) else f"np.asarray({args[0]})"


def _sum(gen, eqn, args, params):
    reducer = "np.sum" if eqn.inputs[0].dtype == xp.bool_ else "np.add.reduce"
    return f"{reducer}({args[0]}, {_keywords(gen, params, 'axis', 'keepdims')})"


def _unstack(gen, eqn, args, params):
    return f"tuple({args[0]})" if params["axis"] == 0 else f"tuple(np.moveaxis({args[0]}, {params['axis']}, 0))"


_TEMPLATES: dict[str, Callable] = {
    "reshape": lambda gen, eqn, args, p: f"{_array(eqn, args)}.reshape({gen.param(p['shape'])})",
    "transpose": lambda gen, eqn, args, p: f"{_array(eqn, args)}.transpose({gen.param(p['axes'])})",
    "broadcast_to": lambda gen, eqn, args, p: f"np.broadcast_to({args[0]}, {gen.param(p['shape'])})",
    "flip": lambda gen, eqn, args, p: f"np.flip({args[0]}, {gen.param(p['axes'])})",
    "sum": _sum,
    "reduce_max": lambda gen, eqn, args, p: f"{_array(eqn, args)}.max({_keywords(gen, p, 'axis', 'keepdims')})",
    "reduce_min": lambda gen, eqn, args, p: f"{_array(eqn, args)}.min({_keywords(gen, p, 'axis', 'keepdims')})",
    "argmax": lambda gen, eqn, args, p: f"np.argmax({args[0]}, {_keywords(gen, p, 'axis', 'keepdims')})",
    "argmin": lambda gen, eqn, args, p: f"np.argmin({args[0]}, {_keywords(gen, p, 'axis', 'keepdims')})",
    "cumsum": lambda gen, eqn, args, p: f"np.cumsum({args[0]}, axis={gen.param(p['axis'])})",
    "convert": lambda gen, eqn, args, p: f"np.asarray({args[0]}).astype({gen.param(p['dtype'])})",
    "gather": lambda gen, eqn, args, p: f"{args[0]}[{gen.index(p['idx'])}]",
    "select": lambda gen, eqn, args, p: f"np.where({', '.join(args)})",
    "concatenate": lambda gen, eqn, args, p: f"np.concatenate(({', '.join(args)},), axis={p['axis']})",
    "einsum": lambda gen, eqn, args, p: f"np.einsum({p['spec']!r}, {', '.join(args)}, optimize={len(args) > 2})",
    "unstack": _unstack,
}


def _is_builtin(prim) -> bool:
    """True if ``prim`` is declared among wengert's primitives (so the template of its name applies)."""
    return str(getattr(prim.impl, "__module__", "")).startswith("wengert._src.primitives.")


def _is_ufunc(prim) -> bool:
    return isinstance(prim.impl, xp.ufunc) and prim.impl.nout == 1 and not prim.multiple_results


def _is_basic(idx: tuple) -> bool:
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in idx)


def _makes_new_array(eqn) -> bool:
    """True if the equation's result is an array of its own, never a view of (or alias for) an input."""
    prim = eqn.primitive
    return not prim.multiple_results and (_is_ufunc(prim) or prim.name in _FRESH_RESULTS)


def _last_reads(program: Program) -> dict[int, int]:
    """For each variable, the index of the last equation that reads its memory.

    A read through a view counts: an equation that may return a view or alias of
    its inputs (a reshape, a transpose, a basic index, a branch returning its
    argument) extends its inputs' lives to its outputs' last reads. The program's
    outputs are read after every equation.
    """
    last: dict[int, int] = {}
    end = len(program.equations)
    for v in program.outvars:
        if isinstance(v, Var):
            last[id(v)] = end
    for index in range(end - 1, -1, -1):
        eqn = program.equations[index]
        extended = index if _makes_new_array(eqn) else max([index, *(last.get(id(v), -1) for v in eqn.outputs)])
        for x in eqn.inputs:
            if isinstance(x, Var):
                last[id(x)] = max(last.get(id(x), -1), extended)
    return last


# --- literal source text ------------------------------------------------------------------------------
def literal(value) -> str:
    """Exact source text for a scalar: ``2.0``, ``np.float32(0.5)``, ``True``, ``np.inf``."""
    if value is None or isinstance(value, (str, bool)):
        return repr(value)
    if isinstance(value, int):
        return f"({value})" if value < 0 else repr(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, complex):
        return f"complex({_float_text(value.real)}, {_float_text(value.imag)})"
    if isinstance(value, xp.generic):
        return f"np.{value.dtype.name}({literal(value.item())})"
    if isinstance(value, xp.ndarray):
        return array_literal(value)
    raise TransformError(f"to_source: the value {value!r} cannot be written as source")


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "np.nan"
    if math.isinf(value):
        return "np.inf" if value > 0 else "(-np.inf)"
    return f"({value!r})" if math.copysign(1.0, value) < 0 else repr(value)


def array_literal(value) -> str:
    """Exact source text for an array: ``np.array([...], dtype=np.float64)``."""
    value = xp.asarray(value)
    text = _nested(value.tolist())
    shape = "" if value.size else f".reshape({value.shape!r})"
    return f"np.array({text}, dtype=np.{value.dtype.name}){shape}"


def _nested(items) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(item) for item in items) + "]"
    return literal(items)


def importable(prim: Primitive) -> tuple[str, str] | None:
    """``(module, name)`` under which ``prim``'s implementation can be imported and called.

    A module-level function is named directly (``erf_impl``); any other
    implementation (a lambda, a NumPy function) is reached through the
    primitive, ``cholesky.impl``. ``None`` for a primitive made at run time.
    """
    impl = prim.impl
    home = getattr(impl, "__module__", None)
    name = getattr(impl, "__qualname__", "")
    module = sys.modules.get(home) if home else None
    if module is not None and "<" not in name and "." not in name and getattr(module, name, None) is impl:
        return home, name
    for candidate in ([home] if home else []) + sorted(sys.modules):
        module = sys.modules.get(candidate) if candidate.startswith("wengert.") else None
        for attr, value in vars(module).items() if module is not None else ():
            if value is prim and not attr.startswith("__"):
                return candidate, f"{attr}.impl"
    return None
