"""Small helpers that derivative rules share."""

import functools
import math


class PerPosition:
    """A rule for every argument of a variadic primitive: ``rules[i] = partial(fn, i)``."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __getitem__(self, position):
        return functools.partial(self.fn, position)


class _JointRule:
    """One rule for all the arguments of a variadic primitive, standing in for a table of per-argument rules."""

    __slots__ = ("rule",)

    def __init__(self, rule):
        self.rule = rule


class JointJVP(_JointRule):
    """The JVP of a variadic primitive as one rule over every argument's tangent at once.

    ``rule(tangents, ans, *args, **params)`` returns the output tangent, with ``tangents[i]``
    ``None`` where argument ``i`` carries none. The per-argument form (``jvps[i]``: argument
    ``i``'s contribution, the others' tangents zero) is derived from it, but forward mode calls
    ``rule`` once: a sum of per-argument contributions, each of the output's size, costs
    ``n`` times the output for ``n`` arguments, and ``n`` pieces stacked into one output
    (``stack``, ``concatenate``, the outputs of a ``scan``) would cost ``O(n^2)``.
    """

    __slots__ = ()

    def __getitem__(self, position):
        def alone(tangent, ans, *args, **params):
            tangents = [None] * len(args)
            tangents[position] = tangent
            return self.rule(tangents, ans, *args, **params)

        return alone


class JointVJP(_JointRule):
    """The VJP of a variadic primitive as one rule for every differentiated argument at once.

    ``rule(cotangent, ans, positions, *args, **params)`` returns the cotangents of the arguments
    at ``positions``, in that order. The per-argument form (``vjps[i]``) is derived from it, but
    the backward passes call ``rule`` once per application: what the arguments share (where
    each piece of a concatenation starts) is computed once, and the ``n`` arguments are passed
    once, not ``n`` times.
    """

    __slots__ = ()

    def __getitem__(self, position):
        def alone(cotangent, ans, *args, **params):
            return self.rule(cotangent, ans, (position,), *args, **params)[0]

        return alone


def normalize_axis(axis, ndim: int):
    """``None`` or a sorted tuple of non-negative axes, checked against ``ndim``."""
    if axis is None:
        return None
    if type(axis) is int and 0 <= axis < ndim:  # the common case, answered at once
        return (axis,)
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            from wengert.errors import ShapeError

            raise ShapeError(f"axis {a} is out of bounds for an array of {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        from wengert.errors import ShapeError

        raise ShapeError(f"repeated axis in {axis}")
    return tuple(sorted(out))


# --- transpose rules (linear_transpose) --------------------------------------------------------------


class _ByVJP:
    """The marker :data:`BY_VJP`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BY_VJP"


BY_VJP = _ByVJP()
"""In ``transposes``: this argument's transpose rule is its VJP rule, ``transpose_i(ct, *args) =
vjp_i(ct, None, *args)``. Right for a VJP rule that never reads the primal output ``ans`` and reads the
linear argument only for its shape and dtype (it arrives as an ``UndefinedPrimal``): then the VJP rule
*is* the transpose of the linear map ``dx -> d out``, written once."""


class EveryArgument:
    """The same transpose rule (often :data:`BY_VJP`) for every argument of a variadic primitive."""

    __slots__ = ("rule",)

    def __init__(self, rule):
        self.rule = rule

    def __getitem__(self, position):
        return self.rule


class Multilinear:
    """Transpose rules of a primitive linear in each argument only while the others stay fixed.

    ``x * y``, ``a @ b`` and ``einsum`` are linear in ``x`` for a constant ``y``, but not in
    ``(x, y)`` together: a linear program may feed a linear value into one of their arguments only.
    Primitives whose ``transposes`` is a plain tuple (``add``, ``concatenate``) are linear in all
    their linear arguments jointly.
    """

    __slots__ = ("rules",)

    def __init__(self, rules):
        self.rules = rules

    def __getitem__(self, position):
        return self.rules[position]


# --- floating-point operation counts (Program.flops) ----------------------------------------------


def elementwise_flops(out_shapes, *arg_shapes, **params) -> int:
    """One operation per output element."""
    return math.prod(out_shapes[0])


def input_flops(out_shapes, *arg_shapes, **params) -> int:
    """One operation per element of the (first) input: reductions, running sums."""
    return math.prod(arg_shapes[0])


def no_flops(out_shapes, *arg_shapes, **params) -> int:
    """Moving or selecting data: no arithmetic."""
    return 0
