"""Reverse mode on a tape: record each primitive, then replay VJPs backwards.

This module is the one reverse engine. It owns the tape entry (:class:`TapeEntry`),
the recording of primitives (:class:`ReverseTrace`) and of custom rules (the entry of
a ``custom_jvp``/``custom_vjp`` call: :func:`custom_jvp_pullback`,
:func:`custom_vjp_pullback`), and the backward pass (:func:`pull_back_tape`): the
accumulation of cotangents over every use of a value, the zeros of the results no
cotangent reached, and the callbacks through which a caller sees a cotangent before
it is pulled back. ``grad``/``vjp`` (``ReverseTrace``), the Tensor face (its graph
written as a tape, ``_tensor/graph.py``) and ``linear_transpose`` (a linear program
written as a tape of transpose rules, :mod:`.transpose`) all pull back through it.

While the function runs, every primitive applied to a :class:`ReverseTracer`
appends one entry to the trace's tape (the Wengert list, in the order it was
evaluated, which is a topological order). The backward pass walks the tape
once, from the last entry to the first, iteratively (so a chain of any
length works without recursion), and for each entry whose output received
a cotangent calls the VJP rule of each differentiable argument,

    x̄_i += vjp_i(ȳ),   ȳ = dL/dy,  x̄_i = dL/dx_i ,

accumulating with ``+`` over every use of a value (a variadic primitive
whose rule is one :class:`~..primitives.rules.JointVJP` pulls back to all
its arguments in one call). The rules run on plain arrays when no outer
transform is active, and on the outer transform's tracers when one is
(``grad(grad(f))``): one rule serves every order. On plain arrays a primitive's
``fast_vjps`` (NumPy directly, in place where it can) stand in for the rules
that declare them, computing what those rules compute.
"""

from __future__ import annotations

from collections.abc import Callable

from ..backend import dtype_of, shape_of, xp
from ..core.primitive import Trace, Tracer, ValueTracer, new_trace, reraise_with_shapes
from ..core.pytree import tree_unflatten
from ..primitives.rules import JointVJP
from .complex_guard import COMPLEX_DTYPES, ChecksComplexArguments, refuse_unproven_complex
from .custom_derivatives import CustomCall, custom_call_primitive
from .saved_values import (
    KEPT_BELOW_BYTES,
    KEPT_BELOW_BYTES_ON_LONG_TAPES,
    LONG_TAPE_ENTRIES,
    replaceable,
    saving_plan,
    stand_in,
)

_TRANSFORM = "reverse mode (grad, vjp, jacrev, hessian)"
_ndarray = xp.ndarray
_new = object.__new__


class TapeEntry:
    """One primitive application on a tape: what the backward pass needs to pull back through it.

    ``prim`` is the primitive (its ``vjps`` and ``multiple_results`` are what the pass reads);
    ``args`` the primal values it was applied to (a stand-in where a rule reads only the shape,
    :mod:`.saved_values`); ``params`` its parameters; ``out`` its result (a tuple of results if
    ``prim.multiple_results``: the zeros filled in for a result no cotangent reached take their
    shapes and dtypes, so a result known by its shape alone, a ``ShapedArray``, will do, and
    ``None`` marks one that gets none); ``parents`` lists ``(argument position, tape index of
    that argument, its result slot or -1)`` for each argument the VJP pulls back to. An input of
    the tape has no entry (``None``).

    The tape makes one per operation, so it is the cheapest named structure measured: an
    instance with ``__slots__``, built inline where speed counts (``ReverseTrace.process``).
    A ``NamedTuple`` costs more both to build (``tuple.__new__`` copies the fields from a
    tuple built first) and to unpack (the interpreter's fast path is for exact tuples).
    """

    __slots__ = ("args", "out", "params", "parents", "prim")

    def __init__(self, prim, args, params: dict, out, parents: list):
        self.prim = prim
        self.args = args
        self.params = params
        self.out = out
        self.parents = parents

    def __repr__(self) -> str:
        pulled = ", ".join(
            f"arg {position} <- #{index}" + ("" if slot < 0 else f"[{slot}]") for position, index, slot in self.parents
        )
        return f"<TapeEntry {self.prim.name} ({pulled})>"


class ReverseTracer(ValueTracer):
    """A value on the tape: entry ``index`` (result ``slot`` of it, for one of several results)."""

    __slots__ = ("index", "slot")

    def __init__(self, trace: ReverseTrace, primal, index: int, slot: int = -1):
        self._trace = trace
        self._primal = primal
        self.index = index
        self.slot = slot  # which result of a multiple-result entry (-1: the only one)


class ReverseTrace(Trace):
    """Reverse-mode interpreter: evaluates eagerly and records a tape.

    Once it has recorded a large result (``drops_unread``), each entry keeps only the values its
    VJP rules read (:mod:`.saved_values`), unless ``keeps_every_value`` (for a tape that is read
    for its values, as ``evaluation_trace`` is). Before that every value is small, and finding
    what to drop would cost each operation more than the memory it frees. "Large" is
    ``kept_below`` bytes: :data:`~.saved_values.KEPT_BELOW_BYTES`, and less on a tape longer than
    :data:`~.saved_values.LONG_TAPE_ENTRIES`, where small values add up.

    ``lower_values``: an operation ran on a lower transform's tracers (the inner tape of
    ``grad(grad(f))``, a Tensor's trace below), so the tape may hold them and its backward pass
    keeps to the general VJP rules; else every value on it is plain and the primitives'
    ``fast_vjps`` serve.
    """

    __slots__ = ("drops_unread", "keeps_every_value", "kept_below", "lower_values", "tape")

    def __init__(self, level: int, keeps_every_value: bool = False):
        super().__init__(level)
        self.tape: list = []
        self.keeps_every_value = keeps_every_value
        self.drops_unread = False
        self.kept_below = KEPT_BELOW_BYTES
        self.lower_values = False

    def note_large(self, values) -> None:
        """Values that enter the tape other than as a primitive's result (inputs, a custom call's
        results): a large one makes it drop what rules do not read from now on (``drops_unread``)."""
        if not self.drops_unread and not self.keeps_every_value and any(replaceable(v) for v in values):
            self.drops_unread = True

    def new_input(self, primal) -> ReverseTracer:
        return self.new_inputs([primal])[0]

    def new_inputs(self, primals: list) -> list:
        """A tracer for each of ``primals``, each an input entry of the tape."""
        tape = self.tape
        start = len(tape)
        tape.extend([None] * len(primals))
        if any(dtype_of(primal) in COMPLEX_DTYPES for primal in primals):
            self.__class__ = ComplexReverseTrace
        self.note_large(primals)
        return [ReverseTracer(self, primal, start + i) for i, primal in enumerate(primals)]

    def process(self, prim, args, params):
        vjps = prim.vjps
        primals = []
        parents = []
        lower = False
        position = 0
        for arg in args:
            if isinstance(arg, Tracer):
                if arg._trace is self:  # only this trace's tracers (ReverseTracers) belong to it
                    primal = arg._primal
                    if vjps is not None and vjps[position] is not None:
                        parents.append((position, arg.index, arg.slot))
                    if isinstance(primal, Tracer):
                        lower = True
                    arg = primal
                else:
                    lower = True
            primals.append(arg)
            position += 1
        if lower:
            self.lower_values = True
            out = prim(*primals, **params)
        else:
            try:  # run_impl's body, inlined to save a call per operation
                out = prim.impl(*primals, **params)
            except ValueError as error:
                reraise_with_shapes(prim, primals, error)
        if not parents:
            return out
        tape = self.tape
        index = len(tape)
        saved = out
        kept_below = self.kept_below
        if index >= LONG_TAPE_ENTRIES and kept_below > KEPT_BELOW_BYTES_ON_LONG_TAPES:
            kept_below = self.kept_below = KEPT_BELOW_BYTES_ON_LONG_TAPES  # a long tape: see saved_values
        if not self.drops_unread and out.__class__ is _ndarray and out.nbytes >= kept_below:
            self.drops_unread = not self.keeps_every_value  # the first large result
        if self.drops_unread:  # stand-ins for what the rules do not read (see saved_values)
            pulled = 0  # a bit per position in parents
            for pulled_at, _, _ in parents:
                pulled |= 1 << pulled_at
            plan = prim.saving_plans.get(pulled)
            if plan is None or plan[0] != position:  # position: the number of arguments by now
                plan = saving_plan(prim, pulled, position)
            _, keeps_output, dropped = plan
            for position in dropped:
                value = primals[position]
                if value.__class__ is _ndarray and value.nbytes >= kept_below:  # stand_in's test, inlined
                    primals[position] = stand_in(value, kept_below)
            if not keeps_output:
                if prim.multiple_results:
                    saved = tuple(stand_in(o, kept_below) for o in out)
                elif out.__class__ is _ndarray and out.nbytes >= kept_below:
                    saved = stand_in(out, kept_below)
        if prim.multiple_results:
            if any(o.dtype in COMPLEX_DTYPES for o in out):
                self.admit_complex(prim, args, out)
            tape.append(TapeEntry(prim, primals, params, saved, parents))
            return tuple(ReverseTracer(self, o, index, k) for k, o in enumerate(out))
        if out.dtype in COMPLEX_DTYPES:
            self.admit_complex(prim, args, (out,))
        recorded = _new(TapeEntry)  # TapeEntry(prim, primals, params, saved, parents), inlined (a call per operation)
        recorded.prim = prim
        recorded.args = primals
        recorded.params = params
        recorded.out = saved
        recorded.parents = parents
        tape.append(recorded)
        tracer = _new(ReverseTracer)  # ReverseTracer(self, out, index), inlined likewise
        tracer._trace = self
        tracer._primal = out
        tracer.index = index
        tracer.slot = -1
        return tracer

    def admit_complex(self, prim, args, out) -> None:
        """Let ``prim``'s complex result carry a derivative if its rules are proven in complex, else raise.

        From the first complex value on, this trace is a :class:`ComplexReverseTrace`, which also
        checks the arguments of every primitive (``abs`` of a complex value is real); until then the
        real path pays only the result's dtype test it always made.
        """
        refuse_unproven_complex(prim, args, out, self, _TRANSFORM)
        self.__class__ = ComplexReverseTrace

    def process_custom_jvp(self, custom, args):
        """Reverse mode through a ``custom_jvp`` function: record the transpose of its JVP rule
        (:func:`custom_jvp_pullback`)."""
        call = CustomCall(self, custom, args)
        return self._record_custom(call, *custom_jvp_pullback(call))

    def process_custom_vjp(self, custom, args):
        """Reverse mode through a ``custom_vjp`` function: run ``fwd`` now, ``bwd`` in the backward pass."""
        call = CustomCall(self, custom, args)
        return self._record_custom(call, *custom_vjp_pullback(call))

    def _record_custom(self, call: CustomCall, primals_out: list, out_tree, pullback) -> object:
        """Append one entry for a custom call (its flat outputs are its results) and return the outputs."""
        parents = [
            (position, leaf.index, leaf.slot)
            for position, leaf in enumerate(call.leaves)
            if isinstance(leaf, ReverseTracer) and leaf._trace is self
        ]
        if any(o.dtype in COMPLEX_DTYPES for o in primals_out):  # the user's rules follow docs/complex.md
            self.__class__ = ComplexReverseTrace
        tape = self.tape
        index = len(tape)
        tape.append(
            TapeEntry(custom_call_primitive(call, pullback), tuple(call.primals), {}, tuple(primals_out), parents)
        )
        self.note_large(primals_out)
        return tree_unflatten(out_tree, [ReverseTracer(self, o, index, k) for k, o in enumerate(primals_out)])

    def backward(self, outputs: list, cotangents: list, inputs: list, release: bool = False) -> list:
        """Cotangents of ``inputs`` (tracers of this trace) given those of ``outputs``.

        An input that the outputs do not depend on gets ``None``. ``release``: this is the tape's
        last backward pass, and each entry is dropped as soon as it is passed (see :func:`pull_back_tape`),
        if the tape holds large values (``drops_unread``). A tape of small arrays is freed whole
        a moment later: freeing it entry by entry gains no memory worth having, and it changes how
        the allocator's heap shrinks; measured on makemore at batch 32, glibc then trims and
        faults its pages back on every later step, about a third slower (NumPy's own steps too).
        """
        seeds = [
            (out.index, out.slot, ct)
            for out, ct in zip(outputs, cotangents)
            if isinstance(out, ReverseTracer) and out._trace is self and ct is not None
        ]
        cts = pull_back_tape(self.tape, seeds, release and self.drops_unread, fast=not self.lower_values)
        return [cts[x.index] if isinstance(x, ReverseTracer) else None for x in inputs]


class ComplexReverseTrace(ChecksComplexArguments, ReverseTrace):
    """A tape that holds a complex value (see :class:`.complex_guard.ChecksComplexArguments`)."""

    __slots__ = ()
    transform = _TRANSFORM


def custom_jvp_pullback(call: CustomCall) -> tuple[list, object, Callable]:
    """Run a ``custom_jvp`` call now: ``(flat outputs, their tree, the pullback of its rule)``.

    The rule is linear in the tangents, so its transpose is the reverse-mode derivative of
    ``t -> jvp(primals, t)[1]``, at any ``t``. The rule runs once, now, on the call's primals
    and on zero tangents that are inputs of a fresh inner tape; its primal output is the call's
    output, and the pullback pulls cotangents back through that tape. Its operations run on
    the levels below the caller's, which differentiate them for higher orders.
    """
    with new_trace(ReverseTrace) as linear:
        tangents = [linear.new_input(zero) for zero in call.zero_tangents()]
        primals_out, tangents_out, out_tree = call.run_jvp_rule(tangents, linear)

    def pullback(cotangents):
        return linear.backward(tangents_out, list(cotangents), tangents)

    return primals_out, out_tree, pullback


def custom_vjp_pullback(call: CustomCall) -> tuple[list, object, Callable]:
    """Run a ``custom_vjp`` call's ``fwd`` now: ``(flat outputs, their tree, the pullback running ``bwd``)``."""
    primals_out, out_tree, residuals = call.run_fwd()
    return primals_out, out_tree, call.bwd_pullback(residuals, out_tree)


def pull_back_tape(
    tape: list, seeds: list, release: bool = False, fast: bool = False, on_cotangent: dict | None = None
) -> list:
    """The backward pass over ``tape``: the cotangent of each input entry (``None`` if none reached it).

    ``seeds`` are ``(tape index, result slot or -1, cotangent)`` of the outputs. The entries are
    visited from the last seeded one to the first; each entry whose output received a cotangent
    pulls it back to its parents, and the cotangents of the others are dropped as they are used.
    ``release``: no pass follows, so each entry is dropped from the tape (``None``) as soon as it
    is passed, and the values it saved are freed while the pass goes on, as a hand-written
    backward pass frees each activation after its last use.
    ``fast``: the tape holds no tracer (``ReverseTrace.lower_values`` is false), so an entry whose
    cotangent is no tracer either pulls back by its primitive's ``fast_vjps`` where it declares them.
    ``on_cotangent`` maps the tape index of an entry to a function called with its whole cotangent
    (a list, ``None`` where none arrived, for several results) once every use has contributed,
    before it is pulled back; what it returns is pulled back instead (the Tensor face's hooks and
    retained gradients).
    """
    cts: list = [None] * len(tape)
    last = -1
    for index, slot, ct in seeds:
        _accumulate(cts, tape, index, slot, ct)
        last = max(last, index)
    if release:
        del tape[last + 1 :]  # entries after the last output: no cotangent reaches them
    for index in range(last, -1, -1):
        ct = cts[index]
        recorded = tape[index]
        if release:
            tape[index] = None
        if ct is None or recorded is None:  # not reached, or an input
            continue
        cts[index] = None
        if on_cotangent is not None and index in on_cotangent:
            ct = on_cotangent[index](ct)
        prim = recorded.prim
        args = recorded.args
        params = recorded.params
        out = recorded.out
        parents = recorded.parents
        if prim.multiple_results:
            ct = one_per_result(ct, out)
        vjps = prim.vjps
        if type(vjps) is JointVJP:  # one rule for all the parents (``n`` stacked pieces: offsets summed once)
            contributions = vjps.rule(ct, out, [position for position, _, _ in parents], *args, **params)
            for (_, parent, slot), contribution in zip(parents, contributions):
                _accumulate(cts, tape, parent, slot, contribution)
            continue
        if fast and prim.fast_vjps is not None and not isinstance(ct, Tracer):
            vjps = prim.fast_vjps  # every value here is plain (see Primitive.fast_vjps)
        for position, parent, slot in parents:
            contribution = vjps[position](ct, out, *args, **params)
            if slot < 0:
                current = cts[parent]
                cts[parent] = contribution if current is None else current + contribution
            else:
                _accumulate(cts, tape, parent, slot, contribution)
    return cts


def one_per_result(cts, outs) -> tuple:
    """The cotangent of an entry of several results, one per result: zeros of its shape and dtype
    where none arrived (``None`` for a result given as ``None``, which takes none)."""
    return tuple(xp.zeros(shape_of(o), dtype_of(o)) if c is None and o is not None else c for c, o in zip(cts, outs))


def _accumulate(cts: list, tape: list, index: int, slot: int, ct) -> None:
    """Add ``ct`` to the cotangent of entry ``index`` (of its result ``slot``, if not -1); ``None`` adds
    nothing (a joint rule's answer for an argument it gives no cotangent)."""
    if ct is None:
        return
    if slot < 0:
        current = cts[index]
        cts[index] = ct if current is None else current + ct
    else:
        slots = cts[index]
        if slots is None:
            slots = cts[index] = [None] * len(tape[index].out)
        slots[slot] = ct if slots[slot] is None else slots[slot] + ct
