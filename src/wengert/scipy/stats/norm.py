"""The normal distribution N(loc, scale²): ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``, ``ppf``.

``logpdf(x) = -z² / 2 - log(scale) - log(2 pi) / 2`` with ``z = (x - loc) / scale``;
the tails use ``log_ndtr``, accurate far out.

>>> round(float(cdf(1.0)), 10)
0.8413447461
"""

import math

import wengert.numpy as wnp
from wengert.scipy import special

from ._location_scale import as_float_arrays, standardized

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def logpdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    z = standardized(x, loc, scale)
    return -0.5 * z * z - wnp.log(scale) - _HALF_LOG_TWO_PI


def pdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return special.ndtr(standardized(x, loc, scale))


def logcdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return special.log_ndtr(standardized(x, loc, scale))


def sf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return special.ndtr(-standardized(x, loc, scale))


def logsf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return special.log_ndtr(-standardized(x, loc, scale))


def ppf(q, loc=0.0, scale=1.0):
    """The quantile, ``loc + scale ndtri(q)``."""
    q, loc, scale = as_float_arrays(q, loc, scale)
    return loc + scale * special.ndtri(q)
