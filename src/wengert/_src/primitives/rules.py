"""Small helpers that derivative rules share."""

import functools


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
