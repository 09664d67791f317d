"""``autograd.numpy``: wengert's NumPy face, with the rest of NumPy's namespace as NumPy has it.

Every name ``wengert.numpy`` defines is wengert's (differentiable, on traced
values; ``tanh`` differentiates by autograd's rule, ``_autograd_rules``); the
other public names of NumPy (dtypes, constants, and functions wengert does not
differentiate, such as ``histogram``) are NumPy's own, as
autograd's wrapper leaves its non-differentiable functions. A traced value
passed to one of those raises ``TracerError`` naming the line.
"""

import numpy as _np

import wengert.numpy as _wnp
from wengert.numpy import *  # noqa: F403 - the namespace is the point of this module

from . import fft as fft
from . import linalg as linalg
from . import random as random

__version__ = _np.__version__

for _name in dir(_np):
    if not _name.startswith("_") and _name not in globals():
        globals()[_name] = getattr(_np, _name)
for _name in _wnp.__all__:
    if _name not in ("linalg",):
        globals()[_name] = getattr(_wnp, _name)
del _name

from .._autograd_rules import autograd_tanh as _autograd_tanh  # noqa: E402 - after wengert's names


def tanh(x):
    """``tanh`` by autograd's rule (``dx / cosh(x)^2``), so gradients round as on autograd; a complex ``x`` by
    ``wengert.numpy.tanh``'s rule, proven in complex (docs/complex.md)."""
    return _wnp.tanh(x) if _np.iscomplexobj(x) else _autograd_tanh(x)


def make_diagonal(D, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """autograd's complement of ``diagonal``: ``D`` along a new last axis as the diagonal of square matrices.

    As in autograd, only ``offset=0, axis1=-1, axis2=-2`` is supported: ``D[..., i]`` lands at
    ``[..., i, i]``. Written with wengert's operations, so it differentiates in ``D``.
    """
    if not (offset == 0 and axis1 == -1 and axis2 == -2):
        raise NotImplementedError("make_diagonal supports only offset=0, axis1=-1, axis2=-2, as autograd's does.")
    D = _wnp.asarray(D)
    return D[..., None] * _wnp.eye(D.shape[-1], dtype=D.dtype)
