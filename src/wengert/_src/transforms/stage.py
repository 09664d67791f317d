"""Staging: record a function as a :class:`~wengert._src.core.ir.Program` instead of only running it.

A :class:`StagingTrace` is one more interpreter on the trace stack. Its
tracers (:class:`StagedTracer`) stand for the program's variables: every
primitive applied to one appends an :class:`Equation` to the program, and
returns a new tracer for the equation's output. Values that are not tracers
of this trace (arrays the function closed over, tracers of outer
transforms) enter the program as constants: scalars as :class:`Literal`,
arrays as constant variables.

Each staged tracer also carries a *stand-in value*, computed eagerly by the
primitive's NumPy implementation, so shapes and dtypes are exact without
separate shape rules. Whether Python may look at that value is the one
choice a staging makes (``values_visible``):

* ``wengert.trace`` shows it (``values_visible=True``): Python control flow
  (``if x > 0``, ``float(x)``, ``x[int(i)]``) runs on the example arguments,
  as in every eager transform, and the program records the path they took.
  It is the Wengert list of *this* evaluation; other arguments may need
  another program.
* ``jit`` and ``linearize`` hide it (``values_visible=False``): the program
  must serve every argument of the same shapes (jit), or the value is a
  placeholder for a tangent not yet known (linearize). Asking for the value
  (``bool``, ``float``, ``int``, indexing by a traced integer, passing it to
  plain NumPy) raises :class:`~wengert.errors.TracerError` naming the user's
  line, never a silently wrong program.

Either way, storing a staged value into a plain NumPy array (``y[0] = x[1]``,
which NumPy does by ``float(x[1])``) raises :class:`~wengert.errors.InPlaceError`:
the array would hold a number and the program would lose what it depends on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from wengert.errors import InPlaceError, TracerError

from ..backend import dtype_of, xp
from ..core.ir import Equation, Literal, Program, Var, WeakVar
from ..core.primitive import Trace, Tracer, new_trace, run_impl
from ..core.pytree import tree_flatten, tree_unflatten
from ..core.source_info import is_storing_into_a_container, user_frame_summary
from ..primitives.elementwise import where
from ..primitives.structural import astype
from .custom_derivatives import CustomCallPrimitive, stage_custom_call
from .foreign_arrays import ForeignTracer, foreign_trace_in, hand_over
from .python_numbers import PYTHON_NUMBERS, python_operator


class StagedTracer(Tracer):
    """A value of a staged function: a program variable, with a stand-in value for its shape and dtype."""

    __slots__ = ("_value", "ir_var")

    def __init__(self, trace: StagingTrace, var: Var, value):
        self._trace = trace
        self.ir_var = var
        self._value = value

    @property
    def primal(self):
        """The stand-in value, if this staging lets Python see it (``values_visible``)."""
        return self._readable_value("reading its value (indexing with it, .item(), np.asarray)")

    @property
    def shape(self) -> tuple:
        return self.ir_var.shape

    @property
    def dtype(self):
        return self.ir_var.dtype

    def __bool__(self) -> bool:
        return bool(self._readable_value("bool() (an `if`, `while`, `and`, `or` on it)"))

    def __float__(self) -> float:
        _refuse_a_store_into_numpy(self)
        return float(self.concrete_number("float()"))

    def __int__(self) -> int:
        _refuse_a_store_into_numpy(self)
        return int(self.concrete_number("int()"))

    def concrete_number(self, conversion: str):
        """The stand-in value for ``conversion`` to a Python number: refused where values are hidden,
        and for a float or complex value (the program would hold a constant in its place)."""
        self._readable_value(conversion)
        return super().concrete_number(conversion)

    def __index__(self) -> int:
        return self._readable_value("using it as an index").__index__()

    def _readable_value(self, what: str):
        """The stand-in value for Python code that reads it (``what``), or the error of a staging that hides it."""
        if not self._trace.values_visible:
            raise self._trace.value_error(self, what)
        return self._value

    def __repr__(self) -> str:
        return f"StagedTracer({self.ir_var.name}:{self.ir_var.type_string}, level={self._trace.level})"


class WeakStagedTracer(StagedTracer):
    """A staged Python number (a :class:`~wengert._src.core.ir.WeakVar`; its stand-in is the number).

    Its operators with Python numbers and other staged Python numbers of its staging record Python's
    own operator (:data:`~.python_numbers.python_operator`), so the result is a Python number, weakly
    typed, as without a transform (``x32 * (lr * 0.5)`` stays float32); with anything else they are
    NumPy's operators, as for any traced value.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"WeakStagedTracer({self.ir_var.name}:{type(self._value).__name__}, level={self._trace.level})"


def _weak_operator(symbol: str, name: str, reflected: bool = False):
    """``self symbol other`` as Python's operator when both are Python numbers, staged or not; else
    the operator every tracer has (``name``, installed on :class:`Tracer` by the NumPy face)."""

    def method(self, other):
        if type(other) in PYTHON_NUMBERS or (isinstance(other, WeakStagedTracer) and other._trace is self._trace):
            args = (other, self) if reflected else (self, other)
            return self._trace.process(python_operator, args, {"op": symbol})
        return getattr(Tracer, name)(self, other)

    method.__name__ = name
    return method


def _weak_unary(symbol: str, name: str):
    def method(self):
        return self._trace.process(python_operator, (self,), {"op": symbol})

    method.__name__ = name
    return method


for _symbol, _name in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv"), ("//", "floordiv"), ("%", "mod")):
    setattr(WeakStagedTracer, f"__{_name}__", _weak_operator(_symbol, f"__{_name}__"))
    setattr(WeakStagedTracer, f"__r{_name}__", _weak_operator(_symbol, f"__r{_name}__", reflected=True))
WeakStagedTracer.__pow__ = _weak_operator("**", "__pow__")
WeakStagedTracer.__rpow__ = _weak_operator("**", "__rpow__", reflected=True)
for _symbol, _name in (("<", "lt"), ("<=", "le"), (">", "gt"), (">=", "ge"), ("==", "eq"), ("!=", "ne")):
    setattr(WeakStagedTracer, f"__{_name}__", _weak_operator(_symbol, f"__{_name}__"))  # Python reflects these
for _symbol, _name in (("neg", "__neg__"), ("pos", "__pos__"), ("abs", "__abs__")):
    setattr(WeakStagedTracer, _name, _weak_unary(_symbol, _name))


class StagingTrace(Trace):
    """The staging interpreter: records equations, computes stand-in values eagerly.

    ``values_visible`` says whether Python may read the stand-in values (see
    the module docstring); ``purpose`` names the transform in the error raised
    when it may not, with the advice that goes with it.
    """

    __slots__ = ("const_ids", "constvars", "consts", "equations", "purpose", "values_visible")

    def __init__(self, level: int, values_visible: bool = True, purpose: str = "trace"):
        super().__init__(level)
        self.values_visible = values_visible
        self.purpose = purpose
        self.equations: list[Equation] = []
        self.constvars: list[Var] = []
        self.consts: list = []
        self.const_ids: dict[int, Var] = {}

    def new_input(self, stand_in, weak_numbers: bool = False) -> StagedTracer:
        """A tracer for one input of the program, with ``stand_in`` as its value: an array, or with
        ``weak_numbers`` a Python number stays one (a :class:`WeakStagedTracer`, see ``jit``)."""
        if weak_numbers and type(stand_in) in PYTHON_NUMBERS:
            return _staged(self, stand_in)
        stand_in = _as_array(stand_in)
        return StagedTracer(self, Var(stand_in.shape, stand_in.dtype), stand_in)

    def process(self, prim, args, params):
        if not _takes_python_numbers(prim):
            args = [as_array(a) if isinstance(a, WeakStagedTracer) and a._trace is self else a for a in args]
        inputs = []
        stand_ins = []
        for arg in args:
            if isinstance(arg, StagedTracer) and arg._trace is self:
                inputs.append(arg.ir_var)
                stand_ins.append(arg._value)
            else:
                atom = self.constant(arg)
                inputs.append(atom)
                stand_ins.append(atom.value if isinstance(atom, Literal) else _stand_in(arg))
        with _quiet(self.values_visible):
            if any(isinstance(s, ForeignTracer) for s in stand_ins):  # run in that library (foreign_arrays.py)
                out = prim(*stand_ins, **params)
            else:
                out = run_impl(prim, stand_ins, params)
        outs = out if prim.multiple_results else (out,)
        tracers = [_staged(self, o) for o in outs]
        self.equations.append(Equation(prim, inputs, params, [t.ir_var for t in tracers]))
        return tuple(tracers) if prim.multiple_results else tracers[0]

    def constant_tracer(self, value) -> StagedTracer:
        """A tracer for ``value`` as a constant of the program: operations on it are staged (and the
        optimiser may fold them), where operations on the plain value would run now."""
        atom = self.constant(xp.asarray(value))
        return StagedTracer(self, atom, _stand_in(value))

    def constant(self, value) -> Var | Literal:
        """The program's name for a value from outside: a Literal for a Python scalar, else a constant variable.

        NumPy scalars and arrays, and tracers of outer transforms, are constants
        (``c1, c2, ...``); the same one captured twice is one constant.
        """
        if type(value) in (bool, int, float, complex):
            return Literal(value)
        var = self.const_ids.get(id(value))
        if var is None:
            if not isinstance(value, Tracer):
                value = xp.asarray(value)
            var = self.const_ids[id(value)] = Var(value.shape, value.dtype)
            self.constvars.append(var)
            self.consts.append(value)
        return var

    def atom_of(self, value) -> Var | Literal:
        """The program's name for an output: its variable if staged here, else a constant."""
        if isinstance(value, StagedTracer) and value._trace is self:
            return value.ir_var
        return self.constant(value)

    def build(self, inputs: Sequence[StagedTracer], outputs: Sequence, in_tree, out_tree) -> Program:
        """The program from ``inputs`` to ``outputs`` (flat lists), with only the equations they need."""
        outvars = [self.atom_of(o) for o in outputs]
        equations = _live_equations(self.equations, outvars)
        used = {id(x) for eqn in equations for x in eqn.inputs} | {id(v) for v in outvars}
        kept = [(v, c) for v, c in zip(self.constvars, self.consts) if id(v) in used]
        return Program(
            [x.ir_var for x in inputs],
            equations,
            outvars,
            constvars=[v for v, _ in kept],
            consts=[c for _, c in kept],
            in_tree=in_tree,
            out_tree=out_tree,
        )

    def process_custom_jvp(self, custom, args):
        """Under ``jit``, one equation that keeps the custom rule for transforms of the program; else inline."""
        return stage_custom_call(self, custom, args) if self.purpose == "jit" else custom.fun(*args)

    process_custom_vjp = process_custom_jvp

    def value_error(self, tracer: StagedTracer, what: str) -> TracerError:
        """The error for Python code that needs the value of ``tracer`` (for ``what``), which this staging hides."""
        advice = _ADVICE.get(self.purpose, _ADVICE["trace"])
        return TracerError(
            f"{self.purpose}: {what} needs the value of a traced array ({tracer.ir_var.type_string}), at "
            f"{user_frame_summary()}; but {advice}"
        )


_ADVICE = {
    "jit": (
        "jit stages the function once for all arguments of the same shapes and dtypes, so values are not "
        "known. Mark the argument static (static_argnums=...) if the branch depends on it, or use "
        "wengert.lax.cond / while_loop / scan for control flow that depends on array values, or "
        "wengert.numpy.where for elementwise choices."
    ),
    "linearize": (
        "linearize stages the tangent without knowing its value: a linear map cannot branch on, or convert "
        "to a Python number, the vector it is applied to. Only the primal values may steer Python code."
    ),
    "linear_transpose": (
        "linear_transpose stages the function on placeholders for its input: a linear function cannot branch "
        "on, or convert to a Python number, the vector it is applied to."
    ),
    "trace": (
        "this staging was asked to record a program valid for every value of this shape. Use "
        "wengert.numpy.where for elementwise choices, or stage with values visible (wengert.trace)."
    ),
}


def stage(
    fun: Callable, args: Sequence, *, values_visible: bool = True, purpose: str = "trace", weak_numbers: bool = False
) -> Program:
    """Stage ``fun(*args)`` into a :class:`Program` whose inputs are the leaves of ``args``.

    Every array leaf of ``args`` becomes an input variable (non-array leaves
    are turned into arrays); outputs that do not depend on the inputs become
    constants or literals of the program. ``values_visible`` and ``purpose``
    are explained in the module docstring (``jit`` passes ``False, "jit"``). With ``weak_numbers``
    (``jit``'s), a Python number among the leaves is an input holding a Python number, weakly typed
    (:mod:`.python_numbers`), as it is without a transform; else it is an array.
    """
    flat_args, in_tree = tree_flatten(tuple(args))
    with new_trace(StagingTrace, values_visible, purpose) as trace:
        inputs = [trace.new_input(arg, weak_numbers) for arg in flat_args]
        out = fun(*tree_unflatten(in_tree, inputs))
        flat_out, out_tree = tree_flatten(out)
        return trace.build(inputs, flat_out, in_tree, out_tree)


def trace(fun: Callable, static_argnums: int | Sequence[int] = ()) -> Callable:
    """``trace(f)(*args)`` is the :class:`Program` (the Wengert list) of ``f`` evaluated at ``args``.

    Python control flow sees the argument values, as in every eager transform,
    so the program is the path this evaluation took. Arguments at
    ``static_argnums`` are passed to ``f`` as they are (Python numbers,
    strings, flags) and are not inputs of the program. Derivatives are
    programs like any other: ``trace(grad(f))(x)``.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> print(wengert.trace(lambda x: wnp.sum(x ** 2))(np.ones(3)))
    input  t1                                      :: f64[3]
    t2 = square t1                                 :: f64[3]
    t3 = reduce_sum[axis=None, keepdims=False] t2  :: f64[]
    output t3                                      :: f64[]
    """
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    def traced(*args) -> Program:
        positions = [i for i in range(len(args)) if i not in static and i - len(args) not in static]

        def of_dynamic(*dynamic):
            full = list(args)
            for position, value in zip(positions, dynamic):
                full[position] = value
            return fun(*full)

        dynamic = [args[i] for i in positions]
        foreign = foreign_trace_in(dynamic)
        if foreign is not None:  # another library's arrays: traced as values of its level (docs/array_api.md)
            return hand_over(foreign, stage, of_dynamic, dynamic)
        return stage(of_dynamic, dynamic)

    traced.__name__ = f"trace({getattr(fun, '__name__', 'function')})"
    traced.__doc__ = getattr(fun, "__doc__", None)
    traced.__wrapped__ = fun
    return traced


def _refuse_a_store_into_numpy(tracer: StagedTracer) -> None:
    """Raise if NumPy is converting ``tracer`` to a number to store it into a plain array.

    The array would then hold a number, and the program would silently lose its
    dependence on the traced value (see ``is_storing_into_a_container``).
    """
    if not is_storing_into_a_container(2):
        return
    raise InPlaceError(
        f"{tracer._trace.purpose}: `array[...] = value` stores a traced value ({tracer.ir_var.type_string}) into a "
        f"plain NumPy array, at {user_frame_summary()}; the array would hold a number, not the traced value, "
        "and the program would lose what it depends on. Build the array with wengert.numpy instead: "
        "`y = wnp.at(y)[idx].set(value)`, or wnp.stack / wnp.concatenate of the pieces."
    )


def _live_equations(equations: Sequence[Equation], outvars: Sequence) -> list[Equation]:
    """The equations that an output depends on, in their order (dead code dropped)."""
    live = {id(v) for v in outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(equations):
        if any(id(v) in live for v in eqn.outputs):
            kept.append(eqn)
            live.update(id(x) for x in eqn.inputs if isinstance(x, Var))
    kept.reverse()
    return kept


def _takes_python_numbers(prim) -> bool:
    """True if ``prim`` is given a Python number as it is (and NumPy promotes it weakly, as it does
    without a transform): NumPy's ufuncs and ``where``, Python's operators, a custom function's call,
    and the conversion to an array itself. Any other primitive is given an array (``np.asarray`` of
    it): its implementation, or the sub-programs of ``cond`` and ``while_loop``, compute on arrays."""
    return (
        isinstance(prim.impl, xp.ufunc)
        or prim in (where, astype, python_operator)
        or isinstance(prim, CustomCallPrimitive)
    )


def _staged(trace: StagingTrace, stand_in) -> StagedTracer:
    """A tracer of ``trace`` for a new variable with ``stand_in`` as its value: a :class:`WeakVar` if
    it is a Python number (an input, or what Python's operator made of Python numbers)."""
    if type(stand_in) in PYTHON_NUMBERS:
        return WeakStagedTracer(trace, WeakVar((), type(stand_in)), stand_in)
    return StagedTracer(trace, Var(xp.shape(stand_in), dtype_of(stand_in)), stand_in)


def _stand_in(value):
    """The plain value underneath ``value`` (through outer tracers, and staged tracers' stand-ins): an
    array (another library's as its ForeignTracer), a NumPy scalar, or a Python number if ``value`` is
    one (a tracer's Python number, a staged one of an outer staging, is an array in here, as that
    staging's ``process`` makes it)."""
    if not isinstance(value, Tracer):
        return value
    while isinstance(value, Tracer):
        if isinstance(value, ForeignTracer):  # another library's array: stays one (see StagingTrace.process)
            return value
        value = value._value if isinstance(value, StagedTracer) else value.primal
    return xp.asarray(value) if type(value) in PYTHON_NUMBERS else value


def _as_array(value):
    if isinstance(value, Tracer):
        return _stand_in(value)
    return xp.asarray(value)


def as_array(value):
    """``value`` as an array if it is a staged Python number (staged as ``np.asarray`` of it), else as it
    is. An input a transform differentiates is an array, as it is without ``jit``."""
    return astype(value, dtype=value.dtype) if isinstance(value, WeakStagedTracer) else value


def staging_argument(value):
    """What :func:`stage` should take for ``value``, an argument of a staged function: the Python number
    of a staged Python number (``jit`` within ``jit``: the inner program takes a Python number too)."""
    return value._value if isinstance(value, WeakStagedTracer) else value


def _quiet(values_visible: bool):
    """Floating-point warnings of stand-in values are the user's only when the values are theirs."""
    return contextlib.nullcontext() if values_visible else xp.errstate(all="ignore")
