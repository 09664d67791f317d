"""The backward pass of a tape whose structure recurs, compiled once and reused.

A training loop calls ``value_and_grad(loss)`` on batch after batch of the same
shapes, and each call records a tape of the same *structure*: the same
primitives with the same parameters, on values of the same shapes and dtypes,
connected the same way. Only the values differ. The eager backward pass
(:func:`~wengert._src.transforms.reverse.pull_back_tape`) interprets that structure anew each time,
a Python call per VJP rule and the rule's own dispatch inside it.

The second time a structure is seen, its backward pass is staged
(:mod:`~wengert._src.transforms.stage`, values hidden) over placeholders for the tape's values,
optimised and compiled to NumPy source as ``jit`` does (keeping no buffers
between calls, as the eager pass keeps none), and cached by the structure.
Every later tape of that structure hands its values to the compiled
function. The optimiser is asked for exact rewrites only (no reassociation,
``x + 0`` kept), so the compiled pass computes what the eager pass computes. The forward pass stays
eager: Python control flow runs as written, and a tape that took another path
has another structure.

A tape's structure (:class:`TapeStructure`) is, per entry, its primitive, its
parameters, the tape positions of the arguments it pulls back to, and its other
arguments: Python numbers by value, arrays by shape and dtype. The index arrays
of a gather (``x[rows, cols]``) count by shape and dtype too: in the compiled
pass they are operands, scattered back by ``take_add``
(:func:`~wengert._src.primitives.indexing.add_at_index_operands`), so a new
batch of indices finds the same function. With the shapes and dtypes of the
inputs and the cotangents, that determines every shape in the pass. (A boolean
mask has no key: the shape it selects depends on its values.)

The compiled pass runs only when every value on the tape is a plain array (the
tape is the lowest transform: the inner tape of ``grad(grad(f))`` holds the
outer one's tracers) and the cotangents are too, and for tapes of at most
:data:`_MAX_ENTRIES` entries. A structure whose backward
pass cannot be staged (a rule that reads a value, a parameter that is not
hashable, a custom rule's Python pullback) runs eagerly, as it always did.
"""

from __future__ import annotations

import itertools
import math
import threading

from ..backend import xp
from ..core.primitive import Tracer
from ..primitives.indexing import getitem
from ..transforms.reverse import ReverseTracer, TapeEntry, pull_back_tape
from ..transforms.saved_values import KEPT_BELOW_BYTES, replaceable
from ..transforms.stage import stage
from .codegen import compile_program
from .optimize import optimize

_MAX_ENTRIES = 1000
"""Longer tapes run eagerly: compiling costs about 65 µs per entry, once, and a long tape of small
operations is dominated by its forward pass and its key, which compiling does not shorten."""
_HELD_BYTES = 1 << 20
"""A compiled pass that would hold a constant this large is not kept (the structure runs eagerly)."""
_CACHE_SIZE = 64
"""Structures kept compiled (each a compiled function and its small constants), the oldest dropped first."""
_SCALARS = (bool, int, float, complex)
_ndarray = xp.ndarray

_compiled: dict = {}
"""The hash of a structure's key -> ``(key, compiled)``: the :class:`_CompiledBackward`, or ``None``
for a structure that runs eagerly. Keyed by the hash, computed once per tape, then the keys compared."""
_seen_once: dict = {}
"""The hashes of structures seen once (hashes only: a key would keep its tape's primitives alive)."""
_lock = threading.Lock()
"""Held while the caches change (a miss); a hit only reads."""


def pull_back(trace, outputs: list, cotangents: list, inputs: list, unit_seed: bool = False) -> list | None:
    """The cotangents of ``inputs`` by the compiled backward pass of the tape's structure.

    ``unit_seed``: the cotangents are ones (``grad``'s seed); the compiled pass then holds
    them as constants and folds the arithmetic on them. ``None`` when the eager pass must
    run: the structure is new, cannot be compiled, or the tape or the cotangents hold tracers.
    """
    if trace.level != 1 or len(trace.tape) > _MAX_ENTRIES:
        return None
    structure = TapeStructure.of(trace, outputs, cotangents, inputs, unit_seed)
    if structure is None:
        return None
    key, digest, values = structure.key, structure.digest, structure.values
    known = _compiled.get(digest)
    if known is not None and known[0] == key:
        compiled = known[1]
    else:
        with _lock:
            if _seen_once.pop(digest, None) is None:
                _remember(_seen_once, digest, True)
                return None
            compiled = _compile(trace, outputs, cotangents, inputs, unit_seed, values)
            _remember(_compiled, digest, (key, compiled))
    if compiled is None:
        return None
    try:
        return compiled(values)
    except Exception:  # noqa: BLE001 - never expected; the eager pass then runs, and this structure stays eager
        with _lock:
            _compiled[digest] = (key, None)
        return None


def clear_cache() -> None:
    """Forget every compiled backward pass (the next tapes run eagerly, then compile again)."""
    with _lock:
        _compiled.clear()
        _seen_once.clear()


def cache_size() -> int:
    """How many tape structures have a compiled backward pass."""
    return sum(compiled is not None for _, compiled in _compiled.values())


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= _CACHE_SIZE:
        del cache[next(iter(cache))]
    cache[key] = value


class TapeStructure:
    """A tape's structure: what two tapes share when one compiled backward pass serves both.

    Two tapes are the same structure when their ``key`` compares equal: the same primitives with
    equal parameters, in the same order, on arguments of the same shapes and dtypes, connected the
    same way, seeded at the same outputs. Then the staged backward pass of one, run on the other's
    values, computes the other's cotangents. ``key`` is a flat tuple (built per tape, so plain tuples,
    which cost a fraction of named ones)::

        key     = (number of inputs, unit seed?, *seeds, *inputs, *entries)
        seed    = (tape index, result slot, shape, dtype) of a seeded output's cotangent, or None
        input   = (shape, dtype)
        entry   = (primitive, parameters, *parents), then one item per other argument
        parents = (argument position, tape index, result slot or -1), one per argument pulled back to

    ``parameters`` are ``tuple(params.items())``, or ``()``; an index (``idx``) is keyed item by
    item: slices as ``(slice, start, stop, step)``, numbers as ``(type, value)`` (``x[True]`` adds
    an axis where ``x[1]`` picks a row), a gather's integer arrays as ``(shape, dtype)``. An other
    argument is ``(float, value, sign)`` for a float (``-0.0 == 0.0``), ``(type, value)`` for another
    Python number, ``(type, dtype, bytes)`` for a 0-d array (a rule may branch on a scalar, ``x ** 0``:
    the compiled pass holds these as constants), and ``(shape, dtype)`` for any other array.

    ``values`` are not part of the key: the arrays the compiled pass reads, in order, as its
    operands (a cotangent, an input, each entry's results, a gather's index arrays, the arguments it
    pulls back to that a stand-in may have replaced, its other arrays). ``digest`` is the key's
    hash, computed once per tape.
    """

    __slots__ = ("digest", "key", "values")

    def __init__(self, key: tuple, values: list):
        self.key = key
        self.digest = hash(key)
        self.values = values

    @classmethod
    def of(cls, trace, outputs: list, cotangents: list, inputs: list, unit_seed: bool) -> TapeStructure | None:
        """The structure of ``trace``'s tape seeded with ``cotangents`` at ``outputs``; ``None`` if it cannot be
        keyed (a tracer on the tape or among the cotangents, a single call, an unhashable parameter).

        On a tape that ``drops_unread``, an argument pulled back to that is
        :func:`~wengert._src.transforms.saved_values.replaceable` joins the values: its entry keeps
        what its rules read, though the entry that made it may have dropped it (the others are their
        parents' results)."""
        tape = trace.tape
        drops = trace.drops_unread  # else no entry holds a stand-in
        values = []
        key = [len(inputs), unit_seed]
        add_value = values.append
        add_key = key.append
        try:
            for out, ct in zip(outputs, cotangents):
                if ct is None or not (isinstance(out, ReverseTracer) and out._trace is trace):
                    add_key(None)
                    continue
                if isinstance(ct, Tracer):
                    return None
                if not unit_seed:
                    add_value(ct)
                add_key((out.index, out.slot, ct.shape, ct.dtype))
            for x in inputs:
                primal = x._primal
                add_value(primal)
                add_key((primal.shape, primal.dtype))
            for recorded in itertools.islice(tape, len(inputs), None):  # an input (None): AttributeError
                prim = recorded.prim
                if prim.single_call:
                    return None
                args = recorded.args
                params = recorded.params
                parents = recorded.parents
                if prim.multiple_results:
                    values.extend(recorded.out)
                else:
                    add_value(recorded.out)
                if params:
                    params = _params_key(prim, params, values) if "idx" in params else tuple(params.items())
                add_key((prim, params or (), *parents))
                if drops:
                    for position, _, _ in parents:
                        arg = args[position]
                        if arg.__class__ is _ndarray and arg.nbytes >= KEPT_BELOW_BYTES:  # replaceable(arg), inlined
                            add_value(arg)
                if len(parents) != len(args):
                    _other_arguments(args, parents, key, values)
            return cls(tuple(key), values)
        except (TypeError, AttributeError):  # an unhashable parameter, an input not from new_inputs
            return None


def _params_key(prim, params: dict, values: list) -> tuple:
    """The key of parameters holding an index (``idx``), keyed item by item, with each number's
    type (``x[True]`` adds an axis where ``x[1]`` picks a row, and ``True == 1``); a gather's
    integer arrays are keyed by shape and dtype, their values joining ``values``."""
    if len(params) == 1:  # the index alone: a gather, a scatter
        return (("idx", _index_key(params["idx"], values, prim is getitem)),)
    return tuple(
        (name, _index_key(value, values, prim is getitem) if name == "idx" else value) for name, value in params.items()
    )


def _index_key(idx: tuple, values: list, operands: bool) -> tuple:
    """An index's part of the key: slices as triples, numbers with their types, integer arrays by
    shape and dtype if they can be ``operands`` (their values join ``values``). Any other array
    has no key: a boolean mask selects a shape that depends on its values."""
    key = []
    for item in idx:
        if isinstance(item, slice):
            key.append((slice, item.start, item.stop, item.step))
        elif hasattr(item, "dtype"):
            if not operands or isinstance(item, Tracer) or item.dtype.kind not in "iu":
                raise TypeError("an index array with no key")
            values.append(item)
            key.append((item.shape, item.dtype))
        else:
            key.append((item.__class__, item))
    return tuple(key)


def _other_arguments(args: list, parents: list, key: list, values: list) -> None:
    """The arguments that are not pulled back to: numbers and 0-d arrays by exact value (a rule may
    branch on a scalar, ``x ** 0``; the compiled pass holds them as constants), other arrays by
    shape and dtype (operands of the compiled pass)."""
    if len(parents) == 1 and len(args) == 2:  # a binary operation on one differentiated operand: x * 2.0
        other = args[1 - parents[0][0]]
        if other.__class__ is float:
            key.append((float, other, math.copysign(1.0, other)))
            return
        others = (other,)
    else:
        pulled = {position for position, _, _ in parents}
        others = [arg for position, arg in enumerate(args) if position not in pulled]
    for arg in others:
        cls = arg.__class__
        if cls is float:  # with its sign: -0.0 == 0.0
            key.append((float, arg, math.copysign(1.0, arg)))
        elif cls in _SCALARS:
            key.append((cls, arg))  # with its type: True == 1
        elif isinstance(arg, Tracer):
            raise TypeError("a tracer argument")
        elif arg.ndim == 0:
            key.append((cls, arg.dtype, arg.tobytes()))
        else:
            values.append(arg)
            key.append((arg.shape, arg.dtype))


def _held(arg) -> bool:
    """True for an argument the compiled pass holds as a constant (keyed by value), not an operand."""
    return arg.__class__ in _SCALARS or arg.ndim == 0


class _CompiledBackward:
    """A compiled backward pass: its function of the structure's values, and which inputs it reaches."""

    __slots__ = ("function", "reached")

    def __init__(self, function, reached: list[bool]):
        self.function = function
        self.reached = None if all(reached) else reached

    def __call__(self, values: list) -> list:
        results = self.function(*values)
        if self.reached is None:  # every input reached: the results are the cotangents
            return results
        results = iter(results)
        return [next(results) if reached else None for reached in self.reached]


def _compile(
    trace, outputs: list, cotangents: list, inputs: list, unit_seed: bool, values: list
) -> _CompiledBackward | None:
    """The backward pass of the tape's structure, staged, optimised and compiled; ``None`` if it cannot be.

    Any failure to stage it (a rule that reads a value, an index ``take`` cannot express) leaves
    the structure to the eager pass, which has just run on this very tape; so does a program that
    would hold a large constant.
    """
    seeded = [
        (out, ct)
        for out, ct in zip(outputs, cotangents)
        if ct is not None and isinstance(out, ReverseTracer) and out._trace is trace
    ]
    reached: list[bool] = []

    def backward(*placeholders):
        if unit_seed:  # the seeds are constants of the program (folded), the placeholders the tape's values
            cts = [placeholders[0]._trace.constant_tracer(ct) for _, ct in seeded]
        else:
            cts, placeholders = placeholders[: len(seeded)], placeholders[len(seeded) :]
        staged = _staged_tape(trace.tape, len(inputs), iter(placeholders), trace.drops_unread)
        seeds = [(out.index, out.slot, ct) for (out, _), ct in zip(seeded, cts)]
        tape_cts = pull_back_tape(staged, seeds)
        input_cts = [tape_cts[x.index] for x in inputs]
        reached[:] = [ct is not None for ct in input_cts]
        return [ct for ct in input_cts if ct is not None]

    try:
        program = stage(backward, values, values_visible=False, purpose="the compiled backward pass")
        function, _ = compile_program(optimize(program, exact=True), name="backward", keep_buffers=False)
    except Exception:  # noqa: BLE001 - see the docstring
        return None
    if any(isinstance(held, xp.ndarray) and held.nbytes >= _HELD_BYTES for held in function.__globals__.values()):
        return None  # a table as large as an operand (a scatter along a batch axis): kept out of the cache
    return _CompiledBackward(function, reached)


def _staged_tape(tape: list, input_count: int, placeholders, drops: bool) -> list:
    """``tape`` with its values replaced by the staged ``placeholders``, taken in the order of
    :attr:`TapeStructure.values` (``drops``: the tape's ``drops_unread``). A gather's index arrays
    become placeholders too: ``getitem``'s VJP then scatters back by ``take_add`` on them."""
    results: list = [next(placeholders) for _ in range(input_count)]
    staged: list = [None] * input_count
    for index in range(input_count, len(tape)):
        recorded = tape[index]
        prim = recorded.prim
        params = recorded.params
        parents = recorded.parents
        out = tuple(next(placeholders) for _ in recorded.out) if prim.multiple_results else next(placeholders)
        if prim is getitem and params:
            params = {"idx": tuple(next(placeholders) if hasattr(i, "dtype") else i for i in params["idx"])}
        args = list(recorded.args)
        pulled = [position for position, _, _ in parents]
        for position, parent, slot in parents:
            result = results[parent] if slot < 0 else results[parent][slot]
            args[position] = next(placeholders) if drops and replaceable(args[position]) else result
        for position, arg in enumerate(args):
            if position in pulled:
                continue
            if not _held(arg):
                args[position] = next(placeholders)
            elif isinstance(arg, xp.ndarray):  # a 0-d array, held as the value it was keyed by
                args[position] = arg.copy()
        results.append(out)
        staged.append(TapeEntry(prim, args, params, out, parents))
    return staged
