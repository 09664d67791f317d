"""Optimisation passes over a :class:`~wengert._src.core.ir.Program`, as ``jit`` runs them.

Each pass returns a new program with fresh variables (the program it was
given keeps its names and equations), and every pass preserves not only the
values but the derivatives, so an optimised program can still be run under
``grad`` or ``jvp`` (``grad(jit(f))``):

* **constant folding**: an equation whose inputs are all known (literals and
  captured arrays) is computed once, at compile time, and becomes a constant
  (unless it is a large array, which the program would hold: that one is
  computed on each call, and a large broadcast is left for the next pass);
* **algebraic identities**: ``x * 1``, ``x + 0``, ``x - 0``, ``x / 1``,
  ``x ** 1`` (each primitive's declared ``neutral`` operand), ``-(-x)``,
  reshapes, transposes, broadcasts and conversions that change nothing are
  replaced by ``x`` (only when the result has ``x``'s shape
  and dtype, so NumPy's broadcasting and type promotion are kept);
* **broadcast elimination**: an elementwise operation reading
  ``broadcast_to(x)`` reads ``x`` when NumPy's own broadcasting gives the same
  result shape (the backward pass of a sum makes many of these), and an elementwise
  operation of ``broadcast_to(x)`` and scalars is computed on ``x``, then
  broadcast (``broadcast_to(x) * 2.0`` is ``broadcast_to(x * 2.0)``), for the
  next operation to read ``x * 2.0`` the same way;
* **sign and scale folding**: a negation read by an addition becomes a
  subtraction (``x + (-y) = x - y``, ``x - (-y) = x + y``), a negation
  multiplied by a constant folds into the constant (``(-x) * 2 = x * -2``),
  and a constant factor of a large operand, used once, moves onto the smaller
  one in ``a * (k * b) = (a * k) * b``, so the large array is multiplied once
  (values equal to rounding: the product is reassociated);
* **common-subexpression elimination**: the same primitive applied to the
  same inputs with equal parameters is computed once;
* **dead-code elimination**: equations no output depends on are dropped.

Two rewrites can change a bit of a value: the scale move, and ``x + 0 = x``
(``-0.0 + 0`` is ``0.0``). ``optimize(program, exact=True)`` leaves both out.

Fusing elementwise chains is done when the program is compiled to source
(:mod:`wengert._src.compile.buffers`), where buffers are chosen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..backend import dtype_of, xp
from ..core.ir import Equation, Literal, Program, ShapedArray, Var, WeakVar
from ..core.primitive import Tracer
from ..primitives.contractions import matmul
from ..primitives.elementwise import add, multiply, neg, subtract
from ..primitives.structural import astype, broadcast_to, reshape, transpose

_SHAPE_ONLY = (reshape, broadcast_to, astype, transpose)
"""Primitives that leave their input unchanged when the result has its type (a transpose: by the
identity permutation)."""
_FOLDED_BYTES = 1 << 16
"""A result this large (its logical size: a broadcast counts in full) is not folded into a constant."""


def optimize(program: Program, exact: bool = False) -> Program:
    """``program`` with constants folded, identities and redundant broadcasts removed, common
    subexpressions shared and dead code dropped (see the module docstring).

    ``exact=True`` keeps every value as the program computes it, to the last bit: scales stay
    where they are, and ``x + 0`` is kept (it turns ``-0.0`` into ``0.0``). The other passes never
    change a value.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> program = wengert.trace(lambda x: wnp.exp(x) * 1.0 + wnp.exp(x) * (np.ones(2) * 3.0))(np.zeros(2))
    >>> print(optimize(program))
    input  t1            :: f64[2]
    const  c1            :: f64[2]
    t2 = exp t1          :: f64[2]
    t3 = multiply t2 c1  :: f64[2]
    t4 = add t2 t3       :: f64[2]
    output t4            :: f64[2]
    """
    return eliminate_dead_code(_Rewriter(program, exact).run())


def eliminate_dead_code(program: Program) -> Program:
    """``program`` without the equations that no output depends on."""
    live = {id(v) for v in program.outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(program.equations):
        if any(id(v) in live for v in eqn.outputs):
            kept.append(eqn)
            live.update(id(x) for x in eqn.inputs if isinstance(x, Var))
    kept.reverse()
    used = [(v, c) for v, c in zip(program.constvars, program.consts) if id(v) in live]
    return Program(
        program.invars,
        kept,
        program.outvars,
        constvars=[v for v, _ in used],
        consts=[c for _, c in used],
        in_tree=program.in_tree,
        out_tree=program.out_tree,
    )


class _Rewriter:
    """One forward sweep: each equation is folded, simplified, shared with an earlier one, or kept."""

    def __init__(self, program: Program, exact: bool):
        self.program = program
        self.exact = exact
        self.atoms: dict[int, Var | Literal] = {}  # old Var -> its replacement
        self.known: dict[int, object] = {}  # new constant Var -> its value
        self.producer: dict[int, Equation] = {}  # new Var -> the kept equation that defines it
        self.seen: dict[tuple, tuple] = {}  # CSE key -> outputs
        self.reads: dict[int, int] = {}  # old Var -> how many equations and outputs read it
        for x in [*(x for eqn in program.equations for x in eqn.inputs), *program.outvars]:
            if isinstance(x, Var):
                self.reads[id(x)] = self.reads.get(id(x), 0) + 1
        self.new_reads: dict[int, int] = {}  # new Var -> the reads of the old Vars it stands for
        self.equations: list[Equation] = []
        self.constvars: list[Var] = []
        self.consts: list = []

    def run(self) -> Program:
        program = self.program
        invars = [_var_like(v) for v in program.invars]
        for old, new in zip(program.invars, invars):
            self.atoms[id(old)] = new
        for old, value in zip(program.constvars, program.consts):
            self.atoms[id(old)] = self.add_constant(value, old)
        for eqn in program.equations:
            self.rewrite(eqn)
        outvars = [self.atom(v) for v in program.outvars]
        return Program(
            invars,
            self.equations,
            outvars,
            constvars=self.constvars,
            consts=self.consts,
            in_tree=program.in_tree,
            out_tree=program.out_tree,
        )

    def atom(self, x):
        return self.atoms[id(x)] if isinstance(x, Var) else x

    def add_constant(self, value, like: Var | None = None) -> Var:
        shape = like.shape if like is not None else xp.shape(value)
        dtype = like.dtype if like is not None else dtype_of(value)
        var = Var(shape, dtype)
        self.constvars.append(var)
        self.consts.append(value)
        if not isinstance(value, Tracer):
            self.known[id(var)] = value
        return var

    def value_of(self, atom):
        """The value of an atom known at compile time, or ``None``."""
        if isinstance(atom, Literal):
            return atom.value
        return self.known.get(id(atom))

    def rewrite(self, eqn: Equation) -> None:
        inputs = [self.atom(x) for x in eqn.inputs]
        inputs = self.without_broadcasts(eqn, inputs)
        eqn, inputs = self.signs_and_scales(eqn, inputs)
        replacement = self.fold(eqn, inputs)
        if replacement is None:
            replacement = self.scalar_before_broadcast(eqn, inputs)
        if replacement is None:
            replacement = self.identity(eqn, inputs)
        if replacement is None:
            replacement = self.shared(eqn, inputs)
        if replacement is not None:
            for old, new in zip(eqn.outputs, replacement):
                self.atoms[id(old)] = new
                if isinstance(new, Var):
                    self.new_reads[id(new)] = self.new_reads.get(id(new), 0) + self.reads.get(id(old), 0)
            return
        outputs = self.emit(eqn.primitive, inputs, eqn.params, eqn.outputs)
        for old, var in zip(eqn.outputs, outputs):
            self.atoms[id(old)] = var
            self.new_reads[id(var)] = self.reads.get(id(old), 0)

    def emit(self, primitive, inputs: list, params: dict, like: Sequence[Var]) -> list[Var]:
        """Append the equation ``primitive[params] inputs`` with fresh outputs typed like ``like``."""
        outputs = [_var_like(v) for v in like]
        new = Equation(primitive, inputs, params, outputs)
        self.equations.append(new)
        for var in outputs:
            self.producer[id(var)] = new
        key = _cse_key(new)
        if key is not None:
            self.seen[key] = tuple(outputs)
        return outputs

    # --- the passes ---------------------------------------------------------------------------------------
    def fold(self, eqn: Equation, inputs: list):
        """The outputs as constants, if every input is known."""
        values = [self.value_of(x) for x in inputs]
        if any(v is None for v in values) or not inputs:
            return None
        with xp.errstate(all="ignore"):
            out = eqn.primitive.impl(*values, **eqn.params)
        results = out if eqn.primitive.multiple_results else (out,)
        if any(type(r) is xp.ndarray and r.nbytes >= _FOLDED_BYTES for r in results):
            return None  # a large array: computed on each call (or broadcast by NumPy), not held by the program
        return [self.constant_atom(value, var) for value, var in zip(results, eqn.outputs)]

    def constant_atom(self, value, var: Var):
        if xp.ndim(value) == 0:
            value = xp.asarray(value, dtype=var.dtype)[()]
            return Literal(value)
        return self.add_constant(value, var)

    def identity(self, eqn: Equation, inputs: list):
        """The input an equation leaves unchanged, if it is an identity (see the module docstring)."""
        prim, out, neutral = eqn.primitive, eqn.outputs[0], eqn.primitive.neutral
        if eqn.primitive.multiple_results:
            return None
        if neutral is not None and not (self.exact and eqn.primitive is add and out.dtype.kind in "fc"):  # -0.0+0 = 0.0
            neutral, side = neutral
            candidates = [(1, 0)] if side == "right" else [(1, 0), (0, 1)]
            for constant_position, kept_position in candidates:
                value = self.value_of(inputs[constant_position])
                kept = inputs[kept_position]
                if value is not None and _same_type(kept, out) and _all_equal(value, neutral):
                    return [kept]
            return None
        if prim is neg:
            inner = self.producer.get(id(inputs[0]))
            if inner is not None and inner.primitive is neg and _same_type(inner.inputs[0], out):
                return [inner.inputs[0]]
            return None
        if prim in _SHAPE_ONLY:
            if prim is transpose and tuple(eqn.params["axes"]) != tuple(range(len(out.shape))):
                return None
            if _same_type(inputs[0], out):
                return [inputs[0]]
        return None

    def without_broadcasts(self, eqn: Equation, inputs: list) -> list:
        """Inputs of an elementwise operation, reading ``x`` for ``broadcast_to(x)`` where NumPy's
        broadcasting gives the same result shape."""
        if not _is_elementwise(eqn.primitive) or len(inputs) < 2:
            return inputs
        out_shape = eqn.outputs[0].shape
        result = list(inputs)
        for i, x in enumerate(inputs):
            producer = self.producer.get(id(x)) if isinstance(x, Var) else None
            if producer is None or producer.primitive is not broadcast_to:
                continue
            source = producer.inputs[0]
            if source.dtype != x.dtype:
                continue
            trial = result[:i] + [source] + result[i + 1 :]
            if _broadcast_shape([a.shape for a in trial]) == out_shape:
                result = trial
        return result

    def scalar_before_broadcast(self, eqn: Equation, inputs: list):
        """``[broadcast_to(f(x, c))]`` for an elementwise ``f(broadcast_to(x), c)`` whose other inputs
        ``c`` are scalar literals, else None: the operation on the small array, the broadcast after it
        (an elementwise operation commutes with a broadcast, to the last bit)."""
        if not _is_elementwise(eqn.primitive):
            return None
        broadcasts = [i for i, x in enumerate(inputs) if not isinstance(x, Literal)]
        if len(broadcasts) != 1:
            return None
        (k,) = broadcasts
        producer = self.producer.get(id(inputs[k]))
        if producer is None or producer.primitive is not broadcast_to or not isinstance(producer.inputs[0], Var):
            return None
        source, out = producer.inputs[0], eqn.outputs[0]
        operands = inputs[:k] + [source] + inputs[k + 1 :]
        (small,) = self.emit(eqn.primitive, operands, eqn.params, [ShapedArray(source.shape, out.dtype)])
        self.new_reads[id(small)] = 1
        return self.emit(broadcast_to, [small], {"shape": out.shape}, eqn.outputs)

    def signs_and_scales(self, eqn: Equation, inputs: list) -> tuple[Equation, list]:
        """``eqn`` and its inputs after sign and scale folding (see the module docstring), on floats."""
        prim, out = eqn.primitive, eqn.outputs[0]
        if prim not in (add, subtract, multiply) or out.dtype.kind != "f":
            return eqn, inputs
        negated = [self.negated(x) for x in inputs]
        if prim is add and negated[1] is not None:
            return Equation(subtract, (), {}, eqn.outputs), [inputs[0], negated[1]]
        if prim is add and negated[0] is not None:
            return Equation(subtract, (), {}, eqn.outputs), [inputs[1], negated[0]]
        if prim is subtract and negated[1] is not None:
            return Equation(add, (), {}, eqn.outputs), [inputs[0], negated[1]]
        if prim is not multiply:
            return eqn, inputs
        for k in (0, 1):
            scale = _scalar(inputs[1 - k])
            if negated[k] is not None and scale is not None:
                return eqn, [negated[k], Literal(-scale)] if k == 0 else [Literal(-scale), negated[k]]
        for k in (0, 1) if not self.exact else ():
            moved = self.scale_onto(inputs[k], inputs[1 - k], out)
            if moved is not None:
                return eqn, moved if k == 0 else moved[::-1]
        return eqn, inputs

    def negated(self, atom):
        """``y`` if ``atom`` is a variable ``-y`` of the same shape and dtype, else None."""
        producer = self.producer.get(id(atom)) if isinstance(atom, Var) else None
        if producer is None or producer.primitive is not neg:
            return None
        inner = producer.inputs[0]
        return inner if _same_type(inner, atom) else None

    def scale_onto(self, small, product, out: Var):
        """``[small * k, b]`` if ``product`` is ``k * b`` (``k`` a scalar literal), read only here,
        ``b`` has the result's shape and ``small`` fewer elements; else None."""
        producer = self.producer.get(id(product)) if isinstance(product, Var) else None
        if producer is None or producer.primitive is not multiply or self.new_reads.get(id(product)) != 1:
            return None
        if not isinstance(small, Var):
            return None
        for k in (0, 1):
            scale, big = _scalar(producer.inputs[k]), producer.inputs[1 - k]
            if scale is None or not _same_type(big, out) or not _same_type(big, product):
                continue
            if small.dtype != out.dtype or math.prod(small.shape) >= math.prod(out.shape):
                continue
            (scaled,) = self.emit(multiply, [small, Literal(scale)], {}, [small])
            self.new_reads[id(scaled)] = 1
            return [scaled, big]
        return None

    def shared(self, eqn: Equation, inputs: list):
        """The outputs of an earlier equation computing the same thing, if any."""
        key = _cse_key(Equation(eqn.primitive, inputs, eqn.params, ()))
        if key is None:
            return None
        return self.seen.get(key)


def _cse_key(eqn: Equation):
    """A hashable description of (primitive, inputs, parameters), or None if a parameter isn't comparable."""
    try:
        key = (
            id(eqn.primitive),
            tuple(_atom_key(x) for x in eqn.inputs),
            tuple(sorted((k, _param_key(v)) for k, v in eqn.params.items())),
        )
        hash(key)
    except TypeError:
        return None
    return key


def _atom_key(atom):
    if isinstance(atom, Var):
        return ("var", id(atom))
    value = atom.value
    return ("literal", type(value), _param_key(value))


def _param_key(value):
    if isinstance(value, xp.ndarray):
        return ("array", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, xp.generic):
        return ("scalar", value.dtype.str, value.tobytes())
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, *(_param_key(v) for v in value))
    if isinstance(value, slice):
        return ("slice", _param_key(value.start), _param_key(value.stop), _param_key(value.step))
    if isinstance(value, float) and value != value:
        return ("nan",)
    if isinstance(value, (int, float, complex, str, bool, type(None), type(Ellipsis), xp.dtype, type)):
        return (type(value).__name__, value)
    return ("object", id(value))


def _same_type(atom, var: Var) -> bool:
    """True if ``atom`` can stand for ``var``: a variable of the same shape and dtype, a Python number
    (a :class:`WeakVar`) if and only if ``var`` is one."""
    return isinstance(atom, Var) and atom.shape == var.shape and atom.dtype == var.dtype and atom.weak == var.weak


def _var_like(var: ShapedArray) -> Var:
    """A fresh variable of ``var``'s type (a :class:`WeakVar` for a Python number)."""
    return (WeakVar if isinstance(var, WeakVar) else Var)(var.shape, var.dtype)


def _all_equal(value, neutral) -> bool:
    array = xp.asarray(value)
    return array.dtype.kind in "fiub" and bool(xp.all(array == neutral))


def _scalar(atom):
    """The value of a literal Python float (which NumPy's promotion leaves weak), else None."""
    if isinstance(atom, Literal) and type(atom.value) is float:
        return atom.value
    return None


def _is_elementwise(prim) -> bool:
    return isinstance(prim.impl, xp.ufunc) and prim is not matmul and not prim.multiple_results


def _broadcast_shape(shapes: Sequence[tuple]):
    try:
        return tuple(xp.broadcast_shapes(*shapes))
    except ValueError:
        return None
