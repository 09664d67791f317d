"""The exponential distribution: ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``.

``logpdf = -z - log(scale)`` for ``z = (x - loc) / scale >= 0``; ``cdf = -expm1(-z)``; ``logsf = -z``.
"""

import wengert.numpy as wnp

from ._location_scale import as_float_arrays, log_of_positive, standardized

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def _nonnegative(x, loc, scale):
    z = standardized(x, loc, scale)
    return z, wnp.greater_equal(z, 0)


def logpdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    z, inside = _nonnegative(x, loc, scale)
    return wnp.where(inside, -z - wnp.log(scale), -wnp.inf)


def pdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return -wnp.expm1(-wnp.maximum(standardized(x, loc, scale), 0.0))


def logcdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return log_of_positive(cdf(x, loc, scale))


def logsf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return -wnp.maximum(standardized(x, loc, scale), 0.0)


def sf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.exp(logsf(x, loc, scale))
