"""``flatten``: any nesting of lists, tuples and dicts of arrays as one 1-D array, and the way back.

The order is autograd's: sequences in order, dicts by sorted key, each leaf
raveled. ``unflatten`` is the pullback of flattening, so it is differentiable
and its leaves take the containers' types back.
"""

from __future__ import annotations

from collections.abc import Callable

import wengert.numpy as wnp

from ..core import make_vjp


def flatten(value):
    """``(flat, unflatten)``: ``flat`` a 1-D array of every number in ``value``, ``unflatten(flat)`` rebuilding it.

    >>> import numpy as np
    >>> flat, unflatten = flatten({"w": np.ones((2, 2)), "b": [0.5]})
    >>> flat.tolist(), unflatten(flat)["w"].shape
    ([0.5, 1.0, 1.0, 1.0, 1.0], (2, 2))
    """
    unflatten, flat = make_vjp(_flatten, value)
    return flat, unflatten


def _flatten(value):
    if isinstance(value, (list, tuple)):
        return _concatenate(_flatten(item) for item in value)
    if isinstance(value, dict):
        return _concatenate(_flatten(value[key]) for key in sorted(value))
    return wnp.ravel(value)


def _concatenate(pieces):
    pieces = list(pieces)
    return wnp.concatenate(pieces) if pieces else wnp.array([])


def flatten_func(func: Callable, example):
    """``(flat_func, unflatten, flat_example)``: ``func`` of a structured value as a function of flat vectors."""
    flat_example, unflatten = flatten(example)

    def flat_func(flat, *args):
        return flatten(func(unflatten(flat), *args))[0]

    return flat_func, unflatten, flat_example
