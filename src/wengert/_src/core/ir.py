"""The Wengert list: a program of equations over variables, printable, runnable and countable.

A :class:`Program` is what staging a function records (``wengert.trace``):

* ``invars``: one :class:`Var` per leaf of the arguments (a Var has a shape,
  a dtype and a short name such as ``t3``);
* ``constvars`` and ``consts``: arrays the function closed over (or values of
  an outer transform, such as the primal values a linearized program
  multiplies its tangents by), named ``c1, c2, ...``;
* ``equations``: one :class:`Equation` per primitive application, in
  evaluation order, ``outputs = primitive[params] inputs``; an input is a Var
  or a :class:`Literal` (a scalar written into the program);
* ``outvars``: what the function returns, Vars or Literals;
* ``in_tree`` and ``out_tree``: the pytree structure of the arguments (a
  tuple, one entry per positional argument) and of the result.

It prints one equation per line, like a textbook's evaluation trace::

    input  t1, t2        :: f64[3], f64[3]
    t3 = multiply t1 t2  :: f64[3]
    t4 = sin t3          :: f64[3]
    output t4            :: f64[3]

It runs (``program(*args)``; each equation *binds* its primitive, so a
program runs under any transform, and can be differentiated, staged again
or vmapped like the function it came from), and it counts its operations
(:meth:`Program.count_ops`, :meth:`Program.flops`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from wengert.errors import DtypeError, PytreeError, ShapeError

from ..backend import xp
from .pytree import TreeDef, tree_flatten, tree_unflatten

_source_writer: Callable[[Program, str], str]
"""What :meth:`Program.to_source` calls: the compile layer's code generator, set by :func:`register_source_writer`."""


def register_source_writer(writer: Callable[[Program, str], str]) -> None:
    """Make ``writer(program, name)`` the function behind :meth:`Program.to_source`.

    The IR sits below the compiler and does not import it (no import cycle);
    :mod:`wengert._src.compile.codegen` registers its ``to_source`` here when
    it is imported, which ``import wengert`` does.
    """
    global _source_writer
    _source_writer = writer


_program_runner: Callable[[Program, list], list] | None = None
"""What :meth:`Program.__call__` runs, ``runner(program, flat_args)``: the transforms' ``run_program``, which
hands a program over to another library's arrays; ``None``: :meth:`Program.run_flat` (see
:func:`register_program_runner`)."""


def register_program_runner(runner: Callable[[Program, list], list]) -> None:
    """Make ``runner(program, flat_args)`` what :meth:`Program.__call__` runs.

    A program traced on another library's arrays holds values of that library (its constants) and runs on
    its arrays through the bottom interpreter of ``transforms/foreign_arrays.py``, which the IR does not
    import; that module registers its runner here when imported, which ``import wengert`` does.
    """
    global _program_runner
    _program_runner = runner


class ShapedArray:
    """An array known by its shape and dtype only (no values), with NumPy's ``ndim`` and ``size``."""

    __slots__ = ("dtype", "shape")

    def __init__(self, shape: tuple, dtype):
        self.shape = tuple(shape)
        self.dtype = xp.dtype(dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Var(ShapedArray):
    """A variable of a program: one array value, known by its shape and dtype.

    Variables compare by identity. ``name`` (``t3``, ``c1``) is given by the
    :class:`Program` that holds the variable, in order of definition.
    """

    __slots__ = ("name",)
    weak = False
    """True for a :class:`WeakVar`."""

    def __init__(self, shape: tuple, dtype):
        super().__init__(shape, dtype)
        self.name = "t?"

    @property
    def type_string(self) -> str:
        return type_string(self.shape, self.dtype)

    def __repr__(self) -> str:
        return f"{self.name}:{self.type_string}"


class WeakVar(Var):
    """A variable holding a Python number: an argument given as ``0.1`` rather than an array.

    Its dtype is the number's default (``float64`` for a float, ``int64`` for an int), but
    it promotes as NumPy promotes a Python number, weakly: ``x32 * lr`` stays float32, as
    it does without a transform. A program keeps it a Python number when it runs, so NumPy
    promotes it the same way there.
    """

    __slots__ = ()
    weak = True


class Literal:
    """A Python scalar written into the program (``0.5``, ``2``, ``True``).

    The value is kept exactly as the function gave it, so that running the
    program promotes dtypes as NumPy did when it was traced: ``x32 * 0.5``
    stays float32 (a Python float is weakly typed). NumPy scalars are not
    literals but constants, as they promote differently. A program built by
    hand may hold a NumPy scalar in a Literal; it prints with its dtype.
    """

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    @property
    def shape(self) -> tuple:
        return xp.shape(self.value)

    @property
    def dtype(self):
        dtype = getattr(self.value, "dtype", None)
        return dtype if dtype is not None else xp.result_type(self.value)

    @property
    def name(self) -> str:
        """The literal as it is printed in a program."""
        value = self.value
        if type(value) in (bool, int, float, complex):
            return repr(value)
        array = xp.asarray(value)
        return f"{array.item()!r}:{dtype_string(array.dtype)}"

    def __repr__(self) -> str:
        return self.name


class Equation:
    """One line of the Wengert list: ``outputs = primitive[params] inputs``.

    ``inputs`` are Vars and Literals; ``outputs`` is a tuple of Vars (one
    for a primitive with a single result); ``params`` are the primitive's
    keyword parameters (axes, shapes, indices, an einsum spec).
    """

    __slots__ = ("inputs", "outputs", "params", "primitive")

    def __init__(self, primitive, inputs: Sequence, params: dict, outputs: Sequence[Var]):
        self.primitive = primitive
        self.inputs = tuple(inputs)
        self.params = dict(params)
        self.outputs = tuple(outputs)

    def definition(self) -> str:
        """The left part of the printed line, ``t3 = reduce_sum[axis=(1,)] t2``."""
        outs = ", ".join(v.name for v in self.outputs)
        return " ".join((f"{outs} =", self.head(), *(x.name for x in self.inputs)))

    def head(self) -> str:
        """The primitive's name with its parameters, ``sum[axis=(1,), keepdims=False]``."""
        if not self.params:
            return self.primitive.name
        params = ", ".join(f"{key}={format_param(value)}" for key, value in self.params.items())
        return f"{self.primitive.name}[{params}]"

    def sub_programs(self) -> list[tuple[str, Program]]:
        """The programs among the parameters (a ``cond``'s branches, a ``while``'s condition and body),
        each with its label as printed: ``branches[0]``, ``body_program``."""
        found = []
        for key, value in self.params.items():
            if isinstance(value, Program):
                found.append((key, value))
            elif isinstance(value, tuple) and value and all(isinstance(v, Program) for v in value):
                found.extend((f"{key}[{i}]", program) for i, program in enumerate(value))
        return found

    def flops(self) -> int | None:
        """The floating-point operations of this application, or None if the primitive doesn't say."""
        rule = self.primitive.flops
        if rule is None:
            return None
        return int(rule(tuple(v.shape for v in self.outputs), *(x.shape for x in self.inputs), **self.params))

    def __repr__(self) -> str:
        return f"{self.definition()}  :: {', '.join(v.type_string for v in self.outputs)}"


class Program:
    """A staged function: inputs, equations, outputs, captured constants and pytree structure.

    Construct one with ``wengert.trace(f)(*args)``; the constructor names the
    variables (inputs and equation outputs ``t1, t2, ...`` in order,
    constants ``c1, c2, ...``).

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> program = wengert.trace(lambda x, y: wnp.sin(x * y))(np.ones(3), np.ones(3))
    >>> print(program)
    input  t1, t2        :: f64[3], f64[3]
    t3 = multiply t1 t2  :: f64[3]
    t4 = sin t3          :: f64[3]
    output t4            :: f64[3]
    >>> program(np.zeros(3), np.ones(3))
    array([0., 0., 0.])
    >>> program.count_ops()
    Counter({'multiply': 1, 'sin': 1})
    """

    __slots__ = ("constvars", "consts", "equations", "in_tree", "invars", "out_tree", "outvars")

    def __init__(
        self,
        invars: Sequence[Var],
        equations: Sequence[Equation],
        outvars: Sequence,
        *,
        constvars: Sequence[Var] = (),
        consts: Sequence = (),
        in_tree: TreeDef | None = None,
        out_tree: TreeDef | None = None,
    ):
        self.invars = tuple(invars)
        self.equations = tuple(equations)
        self.outvars = tuple(outvars)
        self.constvars = tuple(constvars)
        self.consts = tuple(consts)
        if len(self.constvars) != len(self.consts):
            raise ValueError(f"{len(self.constvars)} constvars but {len(self.consts)} consts")
        self.in_tree = in_tree if in_tree is not None else _flat_tuple_tree(len(self.invars))
        self.out_tree = out_tree if out_tree is not None else _flat_tuple_tree(len(self.outvars))
        self._name_variables()

    def _name_variables(self) -> None:
        counter = 0
        for var in (*self.invars, *(v for eqn in self.equations for v in eqn.outputs)):
            counter += 1
            var.name = f"t{counter}"
        for i, var in enumerate(self.constvars, start=1):
            var.name = f"c{i}"

    # --- running --------------------------------------------------------------------------------
    def __call__(self, *args):
        """Run the program on arguments of the structure, shapes and dtypes it was traced with."""
        flat_args, in_tree = tree_flatten(args)
        if in_tree != self.in_tree:
            raise PytreeError(
                f"Program called with arguments of structure {in_tree}, but it was traced with {self.in_tree}; "
                "pass arguments of the same structure, or trace again."
            )
        runner = _program_runner
        return tree_unflatten(self.out_tree, self.run_flat(flat_args) if runner is None else runner(self, flat_args))

    def run_flat(self, flat_args: Sequence, consts: Sequence | None = None) -> list:
        """The flat outputs for flat inputs (checked against the input variables' shapes and dtypes).

        ``consts`` replaces the captured constants (same shapes and dtypes), for
        a transform that runs the same program with other constant values.
        """
        if len(flat_args) != len(self.invars):
            raise PytreeError(f"Program takes {len(self.invars)} array inputs, got {len(flat_args)}")
        env: dict[Var, object] = {}
        for i, (var, value) in enumerate(zip(self.invars, flat_args)):
            env[var] = _checked_input(var, value, i)
        for var, value in zip(self.constvars, self.consts if consts is None else consts):
            env[var] = value
        return evaluate_equations(self.equations, env, self.outvars)

    # --- counting -------------------------------------------------------------------------------
    def count_ops(self) -> Counter:
        """How many times each primitive is applied, by name."""
        return Counter(eqn.primitive.name for eqn in self.equations)

    def flops(self) -> int:
        """Floating-point operations of one run, summed over the equations whose primitive counts them.

        Elementwise operations count one per output element, reductions one per
        input element, ``matmul``/``einsum`` a multiply and an add per term
        (``2 m n k``); moving data (reshape, transpose, indexing) counts zero.
        """
        return sum(n for n in (eqn.flops() for eqn in self.equations) if n is not None)

    # --- compiling ------------------------------------------------------------------------------
    def to_source(self, name: str = "f") -> str:
        """Readable Python/NumPy source of a function ``name`` computing this program.

        One line per equation, with the program's variable names; constants are
        written as exact literals, so ``exec`` of the source defines a function of
        the flat inputs that gives the program's flat outputs. See
        :mod:`wengert._src.compile.codegen`, which writes it.
        """
        return _source_writer(self, name)

    # --- printing -------------------------------------------------------------------------------
    def lines(self) -> list[str]:
        """The printed program, one string per line (types aligned after ``::``).

        An equation whose parameters are programs (``cond``, ``while``) prints on
        one line, the programs as ``{n equations}``; each program follows it,
        indented under its label. Names inside a sub-program are its own.
        """
        rows = self._rows()
        lengths = [len(left) for left, types in rows if types is not None]
        width = max((n for n in lengths if n <= 72), default=72)  # longer lines run past the column
        return [left if types is None else f"{left.ljust(width)}  :: {types}" for left, types in rows]

    def _rows(self) -> list[tuple[str, str | None]]:
        """``(text, types)`` per printed line; ``types`` is None for a sub-program's label."""
        arguments = tree_unflatten(self.in_tree, [_Name(v.name) for v in self.invars])
        rows = [(f"input  {', '.join(map(repr, arguments))}", _types(self.invars))]
        if self.constvars:
            rows.append((f"const  {', '.join(v.name for v in self.constvars)}", _types(self.constvars)))
        for eqn in self.equations:
            rows.append((eqn.definition(), _types(eqn.outputs)))
            for label, program in eqn.sub_programs():
                rows.append((f"  {label}:", None))
                rows += [(f"    {text}", types) for text, types in program._rows()]
        result = tree_unflatten(self.out_tree, [_Name(v.name) for v in self.outvars])
        rows.append((f"output {result!r}", _types(self.outvars)))
        return rows

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        """The program as an HTML table for Jupyter: one row per line, the types in their own column."""
        import html

        cells = []
        for text, types in self._rows():
            code = f"<code>{html.escape(text)}</code>"
            kind = f"<code style='color:#6b7280'>{html.escape(types)}</code>" if types is not None else ""
            cells.append(f"<tr><td style='text-align:left'>{code}</td><td style='text-align:left'>{kind}</td></tr>")
        head = "<tr><th style='text-align:left'>equation</th><th style='text-align:left'>type</th></tr>"
        return f"<table>{head}{''.join(cells)}</table>"

    def _repr_svg_(self) -> str:
        """The program's graph for Jupyter (:func:`wengert.viz.draw`; Graphviz if installed, else pure Python)."""
        from wengert.viz import draw

        return draw(self).svg()

    def __repr__(self) -> str:
        return (
            f"<Program: {len(self.invars)} inputs, {len(self.equations)} equations, "
            f"{len(self.outvars)} outputs; print() it to read it>"
        )


def evaluate_equations(equations: Iterable[Equation], env: dict, outvars: Sequence) -> list:
    """Run ``equations`` with ``env`` holding the value of every input and constant Var; the outputs.

    Each equation binds its primitive, so the values may be tracers of any
    active transform. ``env`` is extended with every equation's outputs.
    """
    for eqn in equations:
        args = [env[x] if isinstance(x, Var) else x.value for x in eqn.inputs]
        out = eqn.primitive(*args, **eqn.params)
        if eqn.primitive.multiple_results:
            env.update(zip(eqn.outputs, out))
        else:
            env[eqn.outputs[0]] = out
    return [env[v] if isinstance(v, Var) else v.value for v in outvars]


# --- text ---------------------------------------------------------------------------------------------


def dtype_string(dtype) -> str:
    """``f64``, ``f32``, ``i64``, ``bool``: NumPy's dtype, short."""
    dtype = xp.dtype(dtype)
    if dtype.kind == "b":
        return "bool"
    if dtype.kind in "iufc":
        return f"{dtype.kind}{dtype.itemsize * 8}"
    return str(dtype)


def type_string(shape: tuple, dtype) -> str:
    """``f64[32,200]``: a dtype and a shape, as printed after ``::``."""
    return f"{dtype_string(dtype)}[{','.join(str(d) for d in shape)}]"


def format_param(value) -> str:
    """A parameter as printed in brackets: compact, one line, arrays summarised by their type,
    programs by their length (they are printed in full below the equation)."""
    if isinstance(value, tuple):
        inner = ", ".join(format_param(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, slice):
        parts = ["" if p is None else format_param(p) for p in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) if value.step is None else ":".join(parts)
    if value is Ellipsis:
        return "..."
    if isinstance(value, Program):
        count = len(value.equations)
        return f"{{{count} equation{'' if count == 1 else 's'}}}"
    if isinstance(value, xp.ndarray):
        if value.size <= 6:
            return xp.array2string(value, separator=",").replace("\n", "")
        return type_string(value.shape, value.dtype)
    if isinstance(value, xp.dtype) or (isinstance(value, type) and issubclass(value, xp.generic)):
        return dtype_string(value)
    if isinstance(value, xp.generic):
        return repr(value.item())
    return str(value)


class _Name:
    """A variable's name that prints bare inside a pytree's repr."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _types(variables: Sequence) -> str:
    return ", ".join(type_string(v.shape, v.dtype) for v in variables)


def _flat_tuple_tree(count: int) -> TreeDef:
    return tree_flatten((0,) * count)[1]


def _checked_input(var: Var, value, position: int):
    """``value`` for input ``var``: an array (or tracer) of the variable's shape and dtype, or the
    Python number a :class:`WeakVar` stands for."""
    if var.weak and type(value) in (bool, int, float, complex):
        return value
    if not hasattr(value, "shape"):
        value = xp.asarray(value)
    if tuple(value.shape) != var.shape:
        raise ShapeError(
            f"Program input {position} ({var.name}) was traced with shape {var.shape}, but got shape "
            f"{tuple(value.shape)}; a program is specialised to its shapes: trace it again for these."
        )
    if xp.dtype(value.dtype) != var.dtype:
        raise DtypeError(
            f"Program input {position} ({var.name}) was traced with dtype {var.dtype}, but got "
            f"{value.dtype}; convert the argument, or trace again for this dtype."
        )
    return value
