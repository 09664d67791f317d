"""What a tape entry saves for the backward pass: the values its VJP rules read, and no other.

An entry of the reverse-mode tape (:mod:`.reverse`) is a primitive's arguments and output, but
most VJP rules read few of them: ``x + 1`` pulls ``g`` back whatever ``x`` and the sum are,
``tanh`` reads its output only, and ``x @ W`` reads ``x`` alone to pull back to ``W``. An entry
keeps the values that the rules of the arguments it pulls back to read (as the primitive declares
them in ``vjp_reads``, or as its rules' code shows, :func:`~..core.primitive.what_a_rule_reads`),
and puts a *stand-in* in place of every other array: an array of the same shape and dtype that
holds a single element (every stride 0), enough for a rule that reads only shapes
(``unbroadcast(g, x)``). That element is NaN where the dtype has one, so a rule that read a value
it was thought not to read would give NaN, never a plausible wrong derivative (the registry sweep
of ``tests/test_saved_values_sweep.py`` drops every unread value and holds every rule equal to
forward mode). The value itself is freed as soon as the program drops it, as it is in a
NumPy program written by hand, so a chain of additions keeps no array per step.

Numbers and the tracers of an outer transform (``grad(grad(f))``'s inner tape) are kept as they
are: a number costs nothing, and an outer tracer is a value of the outer derivative; so are arrays
under :data:`KEPT_BELOW_BYTES`. A tape applies its plans only once it has seen a large value
(``ReverseTrace.drops_unread``): until then every value is kept, at the cost of one size test
per operation.
"""

from __future__ import annotations

from ..backend import xp
from ..core.primitive import (
    READS_ARGUMENTS,
    READS_ARGUMENTS_AND_OUTPUT,
    READS_NOTHING,
    Primitive,
    what_a_rule_reads,
    what_vjps_read,
)

KEPT_BELOW_BYTES = 64 * 1024
"""An array smaller than this is kept whatever the rules read: a stand-in costs a few hundred
nanoseconds per value, which a small array's memory does not repay (a program of small arrays
records as fast as it did), while every array that weighs in a tape's memory is larger."""

LONG_TAPE_ENTRIES = 1000
"""A tape longer than this (the compiled backward pass's limit: it runs eagerly) drops unread arrays
from :data:`KEPT_BELOW_BYTES_ON_LONG_TAPES` up: 2,500 entries of 32 KiB arrays (an RNN over 500 steps)
hold 80 MB where the derivative reads 16, and a heap that large is given back to the system when the
tape is freed and faulted in again by the next call (thousands of page faults a call, costlier
still with a BLAS thread beside the interpreter)."""
KEPT_BELOW_BYTES_ON_LONG_TAPES = 4096
"""Beyond :data:`LONG_TAPE_ENTRIES` entries, an array of a page or more is dropped where no rule reads
it; smaller ones are kept, as the operations that make them cost little more than a stand-in."""

_STAND_INS_KEPT = 1024
"""Stand-ins remembered, one per shape and dtype; a program of ever new shapes makes them afresh."""
_stand_ins: dict = {}


def saving_plan(prim: Primitive, pulled: int, count: int) -> tuple[int, bool, tuple[int, ...]]:
    """``(count, keep the output, the positions of the arguments to replace by stand-ins)`` for an
    entry of ``prim`` on ``count`` arguments that pulls back to the positions set in the bit mask
    ``pulled``.

    Found once per primitive and mask and stored in ``prim.saving_plans`` (where the tape looks it
    up, by ``pulled``, and finds ``count`` to check), except for a primitive made for one call,
    which keeps everything.
    """
    if prim.single_call:
        return count, True, ()
    plan = (count, *_plan(prim, pulled, count))
    prim.saving_plans[pulled] = plan
    return plan


def _plan(prim: Primitive, pulled: int, count: int) -> tuple[bool, tuple[int, ...]]:
    declared = what_vjps_read(prim)
    if declared == READS_NOTHING:
        return False, tuple(range(count))
    vjps = prim.vjps
    if not isinstance(vjps, tuple):  # one rule for every argument (JointVJP, PerPosition): as declared
        return declared == READS_ARGUMENTS_AND_OUTPUT, ()
    keeps_output = False
    read: set | None = set()
    for position in range(count):
        if pulled >> position & 1:
            reads_output, positions = what_a_rule_reads(vjps[position])
            keeps_output = keeps_output or reads_output
            read = None if read is None or positions is None else read | positions
    if declared == READS_ARGUMENTS:
        keeps_output = False
    if read is None:
        return keeps_output, ()
    return keeps_output, tuple(position for position in range(count) if position not in read)


def replaceable(value) -> bool:
    """True for a value an entry replaces by a stand-in where no rule reads it: an array of at
    least :data:`KEPT_BELOW_BYTES`."""
    return value.__class__ is xp.ndarray and value.nbytes >= KEPT_BELOW_BYTES


def stand_in(value, kept_below: int = KEPT_BELOW_BYTES):
    """What an entry keeps of a ``value`` no rule reads: an array of its shape and dtype holding one
    element (every stride 0; NaN for floating and complex dtypes, else zero), shared by every entry
    that drops a value of that type; a number, a tracer or an array under ``kept_below`` bytes
    is kept as it is."""
    if value.__class__ is not xp.ndarray or value.nbytes < kept_below:
        return value
    key = (value.shape, value.dtype)
    standing = _stand_ins.get(key)
    if standing is None:
        if len(_stand_ins) >= _STAND_INS_KEPT:
            _stand_ins.clear()
        element = xp.full((), xp.nan if value.dtype.kind in "fc" else 0, value.dtype)
        standing = _stand_ins[key] = xp.broadcast_to(element, value.shape)
    return standing
