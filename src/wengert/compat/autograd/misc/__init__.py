"""``autograd.misc``: ``flatten``, the ``optimizers``, ``fixed_points`` and ``const_graph``."""

import functools

import wengert

from . import fixed_points, optimizers
from .flatten import flatten, flatten_func

__all__ = ["const_graph", "fixed_points", "flatten", "flatten_func", "optimizers"]


def const_graph(fun, *args, **kwargs):
    """``fun`` with ``args``/``kwargs`` fixed, its graph recorded on the first call and replayed after.

    autograd's ``const_graph`` assumes the operations do not depend on the values;
    wengert's ``jit`` makes the same assumption (and says so clearly where it fails),
    so this is ``jit`` of the partial application.
    """
    return wengert.jit(functools.partial(fun, *args, **kwargs))
