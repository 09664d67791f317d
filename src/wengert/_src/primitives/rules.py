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
