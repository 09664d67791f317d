"""What a tape entry saves for the backward pass: the values its VJP rules read, and no other.

An entry of the reverse-mode tape (:mod:`.reverse`) is a primitive's arguments and output, but
most VJP rules read few of them: ``x + 1`` pulls ``g`` back whatever ``x`` and the sum are,
``tanh`` reads its output only, and ``x @ W`` reads ``x`` alone to pull back to ``W``. An entry
keeps the values that the rules of the arguments it pulls back to read (as the primitive declares
them in ``vjp_reads``, or as its rules' code shows, :func:`~..core.primitive.what_a_rule_reads`),
and puts a *stand-in* in place of every other array: an array of the same shape and dtype that
holds a single zero (every stride 0), enough for a rule that reads only shapes
(``unbroadcast(g, x)``). The value itself is freed as soon as the program drops it, as it is in a
NumPy program written by hand, so a chain of additions keeps no array per step.

Numbers and the tracers of an outer transform (``grad(grad(f))``'s inner tape) are kept as they
are: a number costs nothing, and an outer tracer is a value of the outer derivative.
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

KEEP_EVERYTHING = (True, ())
"""The plan of an entry that keeps its output and every argument."""

SAVING_PLANS: dict = {}
"""``(primitive, bit mask of the positions pulled back to, argument count)`` -> its plan (see
:func:`saving_plan`); the tape looks a plan up here, and computes it on a miss."""

_STAND_INS_KEPT = 1024
"""Stand-ins remembered, one per shape and dtype; a program of ever new shapes makes them afresh."""
_stand_ins: dict = {}


def saving_plan(prim: Primitive, mask: int, count: int) -> tuple[bool, tuple[int, ...]]:
    """``(keep the output, the positions of the arguments to replace by stand-ins)`` for an entry of
    ``prim`` on ``count`` arguments that pulls back to the positions set in the bit mask ``mask``.

    Computed once per primitive and mask (and stored in :data:`SAVING_PLANS`), except for a
    primitive made for one call, which keeps everything.
    """
    if prim.single_call:
        return KEEP_EVERYTHING
    plan = _plan(prim, mask, count)
    SAVING_PLANS[prim, mask, count] = plan
    return plan


def _plan(prim: Primitive, mask: int, count: int) -> tuple[bool, tuple[int, ...]]:
    declared = what_vjps_read(prim)
    if declared == READS_NOTHING:
        return False, tuple(range(count))
    vjps = prim.vjps
    if not isinstance(vjps, tuple):  # one rule for every argument (JointVJP, PerPosition): as declared
        return declared == READS_ARGUMENTS_AND_OUTPUT, ()
    keeps_output = False
    read: set | None = set()
    for position in range(count):
        if mask >> position & 1:
            reads_output, positions = what_a_rule_reads(vjps[position])
            keeps_output = keeps_output or reads_output
            read = None if read is None or positions is None else read | positions
    if declared == READS_ARGUMENTS:
        keeps_output = False
    if read is None:
        return keeps_output, ()
    return keeps_output, tuple(position for position in range(count) if position not in read)


def stand_in(value):
    """An array of ``value``'s shape and dtype holding one zero (every stride 0), shared by every entry
    that drops a value of that type; a number or a tracer is returned as it is."""
    if value.__class__ is not xp.ndarray:
        return value
    key = (value.shape, value.dtype)
    standing = _stand_ins.get(key)
    if standing is None:
        if len(_stand_ins) >= _STAND_INS_KEPT:
            _stand_ins.clear()
        standing = _stand_ins[key] = xp.broadcast_to(xp.zeros((), value.dtype), value.shape)
    return standing
