"""``autograd.numpy``: wengert's NumPy face, with the rest of NumPy's namespace as NumPy has it.

Every name ``wengert.numpy`` defines is wengert's (differentiable, on traced
values); the other public names of NumPy (dtypes, constants, and functions
wengert does not differentiate, such as ``histogram``) are NumPy's own, as
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
