"""The NumPy API on traced values: ``import wengert.numpy as wnp``.

Existing NumPy code differentiates after changing its import. With no
transform active these functions return plain NumPy arrays at nearly
NumPy's speed; under a transform they take and return traced values, with
NumPy's broadcasting, type promotion and axis conventions (float32 stays
float32).
"""

from . import _methods, fft, linalg
from ._contract import cross, dot, einsum, inner, kron, matmul, outer, tensordot, trace, vdot
from ._convolution import convolve, correlate
from ._creation import *
from ._creation import array, asarray
from ._index_tricks import c_, r_
from ._indexing import at
from ._math import *
from ._math import abs, astype, round, where
from ._reductions import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    average,
    count_nonzero,
    cumprod,
    cumsum,
    max,
    mean,
    median,
    min,
    nanmean,
    nansum,
    percentile,
    prod,
    ptp,
    quantile,
    std,
    sum,
    var,
)
from ._shape import *

_methods.install(globals())

__all__ = [name for name in dir() if not name.startswith("_")]
