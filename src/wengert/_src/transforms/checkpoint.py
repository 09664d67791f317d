"""``checkpoint``: trade compute for memory in reverse mode by recomputing a function's intermediates.

Under the tape, ``y = f(x)`` normally leaves one node per primitive of ``f``,
each holding its operands until the backward pass reaches it. A checkpointed
``f`` leaves a single node that holds only ``f``'s inputs (and outputs); when
the backward pass reaches it, the node runs ``f`` again under a fresh tape
and pulls the cotangent through that,

    x̄ = vjp(f, x)[1](ȳ)        (recomputed when needed, then freed),

so the memory of a chain of ``k`` checkpointed blocks is ``k`` block inputs
plus the intermediates of one block at a time. Gradients are unchanged, to
every order: the recomputation runs on whatever values the backward pass
is given, tracers of an outer transform included.

The recomputation draws the same random numbers as the forward pass (a
dropout mask is the same mask): the generators ``f`` can reach are restored
for it and put back after it (see :mod:`.random_states`), and its outputs are
compared with the forward pass's, so that a function that is not the same
function the second time (a generator that could not be restored, a global or
a module's mode changed in between) is refused instead of differentiated
wrongly.

Outside reverse mode (no transform, ``jvp``, staging) a checkpointed
function simply runs ``f``: there is nothing stored to save.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from wengert.errors import TransformError

from ..backend import dtype_of, is_float_dtype, shape_of, xp
from ..core.primitive import Primitive, Tracer, new_trace
from ..core.pytree import tree_flatten, tree_unflatten
from ..core.source_info import user_frame_summary
from ..primitives.rules import PerPosition
from .foreign_arrays import ForeignTracer, foreign_trace, hand_over, like
from .random_states import RandomStates
from .reverse import ReverseTrace, ReverseTracer, TapeEntry


def checkpoint(fun: Callable | None = None, *, preserve_rng_state: bool = True) -> Callable:
    """``fun``, recomputed in the backward pass instead of having its intermediates stored.

    Its arguments and results are pytrees; the values ``fun`` differentiates
    must reach it as arguments (not from a closure), so that the
    recomputation can be pulled back to them.

    ``preserve_rng_state`` (the default, as in PyTorch): the recomputation draws the
    same random numbers as the forward pass, from NumPy's and Python's global
    generators, wengert's default generator and every ``numpy.random.Generator``
    ``fun`` reaches (an argument, a closure, a global, a layer's ``generator``);
    ``False`` saves the cost of saving and restoring them (about 0.2 ms a call) for
    a function that draws none. Either way, a recomputation whose outputs differ
    from the forward pass's raises a ``TransformError``.

    >>> import wengert, wengert.numpy as wnp
    >>> block = wengert.checkpoint(lambda x: wnp.sin(wnp.sin(x)))
    >>> round(float(wengert.grad(lambda x: block(x) * 2.0)(0.5)), 6)
    1.557288
    """
    if fun is None:
        return functools.partial(checkpoint, preserve_rng_state=preserve_rng_state)

    @functools.wraps(fun)
    def checkpointed(*args, **kwargs):
        flat_args, in_tree = tree_flatten((args, kwargs))
        trace = _top_trace(flat_args)
        if trace is None and (foreign := foreign_trace(flat_args)) is not None:
            return hand_over(foreign, fun, *args, **kwargs)  # another library's arrays: run in its namespace
        if not isinstance(trace, ReverseTrace):
            return fun(*args, **kwargs)
        return _record(trace, fun, flat_args, in_tree, preserve_rng_state)

    checkpointed.__name__ = f"checkpoint({getattr(fun, '__name__', 'function')})"
    checkpointed.__qualname__ = checkpointed.__name__
    return checkpointed


def _top_trace(leaves):
    top = None
    for leaf in leaves:
        if isinstance(leaf, Tracer) and (top is None or leaf._trace.level > top.level):
            top = leaf._trace
    return top


class _Recomputation:
    """What the one tape node of a checkpointed call needs to pull cotangents back.

    The backward pass asks the node's rule once per differentiated argument, with
    the same cotangent tuple each time; the first request recomputes and pulls
    back all arguments at once, the later ones read the result (held only until
    the next cotangent arrives). Every run of the function replays the random
    states captured before the forward pass (``None``: not preserved).
    """

    __slots__ = ("cotangents", "diff_positions", "fun", "flat_fun", "random_states", "seen")

    def __init__(self, fun, flat_fun, diff_positions, random_states: RandomStates | None):
        self.fun = fun
        self.flat_fun = flat_fun
        self.diff_positions = diff_positions
        self.random_states = random_states
        self.seen = None
        self.cotangents = None

    def run(self, *args) -> list:
        """The function's flat outputs, drawing the forward pass's random numbers."""
        if self.random_states is None:
            return self.flat_fun(*args)
        with self.random_states.replayed():
            return self.flat_fun(*args)

    def pull_back(self, out_cts, forward_outs, args) -> tuple:
        if self.seen is not out_cts:
            self.cotangents = self._recompute(out_cts, forward_outs, args)
            self.seen = out_cts
        return self.cotangents

    def _recompute(self, out_cts, forward_outs, args) -> list:
        with new_trace(ReverseTrace) as trace:
            inputs = [trace.new_input(a) if i in self.diff_positions else a for i, a in enumerate(args)]
            outs = self.run(*inputs)
            self._check_reproduced([o._primal if isinstance(o, ReverseTracer) else o for o in outs], forward_outs)
            grads = trace.backward(list(outs), list(out_cts), inputs)
        return [like(a, xp.zeros(shape_of(a), dtype_of(a))) if g is None else g for g, a in zip(grads, args)]

    def _check_reproduced(self, outs: list, forward_outs: tuple) -> None:
        """Refuse a recomputation whose outputs are not the forward pass's: its gradient would be another function's."""
        if len(outs) != len(forward_outs):
            what = "a different number of outputs"
        else:
            differing = [
                k for k, (again, first) in enumerate(zip(outs, forward_outs)) if not _same_values(again, first)
            ]
            if not differing:
                return
            what = f"a different output (leaf {differing[0]})"
        name = getattr(self.fun, "__name__", "function")
        code = getattr(self.fun, "__code__", None)
        defined = f" (defined at {code.co_filename}:{code.co_firstlineno})" if code is not None else ""
        raise TransformError(
            f"checkpoint({name}){defined}: recomputed in the backward pass (at {user_frame_summary()}), the "
            f"function gave {what} than in the forward pass, so its gradient would be another function's. "
            "It is not the same function twice: it draws random numbers from a generator checkpoint cannot "
            "restore (one made inside it, e.g. np.random.default_rng() with no seed, or reached in a way the "
            "search does not follow), or reads state that changed in between (a global, a module switched "
            "to eval()). Pass the generator as an argument, draw from wengert's default generator or "
            "np.random, or compute the random values outside the checkpointed function and pass them in."
        )


def _same_values(again, first) -> bool:
    """Whether a recomputed output equals the forward pass's (to rounding; values hidden by a transform pass)."""
    if isinstance(again, ForeignTracer) and isinstance(first, ForeignTracer):
        return _same_values_in_their_library(again, first)
    if isinstance(again, Tracer) or isinstance(first, Tracer):
        return True
    again, first = xp.asarray(again), xp.asarray(first)
    if again.shape != first.shape or again.dtype != first.dtype:
        return False
    if not is_float_dtype(first.dtype) or first.size == 0:
        return bool(xp.array_equal(again, first))
    tolerance = float(xp.sqrt(xp.finfo(first.dtype).eps))
    scale = float(xp.max(xp.abs(first), initial=0.0, where=xp.isfinite(first)))
    return bool(xp.allclose(again, first, rtol=tolerance, atol=tolerance * scale, equal_nan=True))


def _same_values_in_their_library(again: ForeignTracer, first: ForeignTracer) -> bool:
    """:func:`_same_values` of two arrays of another library, compared in it: NumPy's ``allclose`` in the standard,
    ``|a - b| <= atol + rtol |b|`` (equal infinities and nans equal)."""
    ns, a, b = first._trace.namespace, again._primal, first._primal
    if again.shape != first.shape or again.dtype != first.dtype:
        return False
    if not is_float_dtype(first.dtype) or first.size == 0:
        return bool(ns.all(a == b))
    tolerance = float(xp.sqrt(xp.finfo(first.dtype).eps))
    scale = float(ns.max(ns.where(ns.isfinite(b), ns.abs(b), 0.0)))
    close = (a == b) | (ns.abs(a - b) <= tolerance * scale + tolerance * ns.abs(b)) | (ns.isnan(a) & ns.isnan(b))
    return bool(ns.all(close))


def _checkpoint_vjp(position, out_cts, outs, *args, recomputation):
    return recomputation.pull_back(out_cts, outs, args)[position]


checkpointed_call = Primitive(
    "checkpointed_call",
    lambda *args, recomputation: tuple(recomputation.run(*args)),
    vjps=PerPosition(_checkpoint_vjp),
    multiple_results=True,
    single_call=True,
    doc="A checkpointed call recorded as one tape node; its VJP reruns the function under a fresh tape.",
)


def _record(trace: ReverseTrace, fun, flat_args: list, in_tree, preserve_rng_state: bool):
    """Run ``fun`` one level below ``trace`` and record the call as one node of its tape."""
    out_tree_box = []

    def flat_fun(*leaves):
        args, kwargs = tree_unflatten(in_tree, leaves)
        flat_out, out_tree = tree_flatten(fun(*args, **kwargs))
        out_tree_box[:] = [out_tree]
        return flat_out

    lowered = []
    parents = []
    for position, arg in enumerate(flat_args):
        if isinstance(arg, ReverseTracer) and arg._trace is trace:
            lowered.append(arg._primal)
            parents.append((position, arg.index, arg.slot))
        else:
            lowered.append(arg)
    tape = trace.tape
    length_before = len(tape)
    random_states = RandomStates.reachable_from((fun, *flat_args)) if preserve_rng_state else None
    outs = flat_fun(*lowered)
    out_tree = out_tree_box[0]
    if len(tape) != length_before or any(isinstance(o, Tracer) and o._trace is trace for o in outs):
        raise TransformError(
            f"checkpoint({getattr(fun, '__name__', 'function')}): the function uses a value being "
            f"differentiated that is not one of its arguments (a closure or a global), at "
            f"{user_frame_summary()}. The recomputation could not pull the gradient back to it: "
            "pass it as an argument, e.g. checkpoint(lambda x, w: f(x, w))(x, w)."
        )
    recomputation = _Recomputation(fun, flat_fun, frozenset(p for p, _, _ in parents), random_states)
    index = len(tape)
    tape.append(TapeEntry(checkpointed_call, tuple(lowered), {"recomputation": recomputation}, tuple(outs), parents))
    wrapped = [ReverseTracer(trace, o, index, k) if is_float_dtype(dtype_of(o)) else o for k, o in enumerate(outs)]
    return tree_unflatten(out_tree, wrapped)
