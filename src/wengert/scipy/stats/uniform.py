"""The uniform distribution on ``[loc, loc + scale]``: ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``.

``logpdf = -log(scale)`` inside and ``-inf`` outside; ``cdf = clip(z, 0, 1)``.
"""

import wengert.numpy as wnp

from ._location_scale import as_float_arrays, log_of_positive, standardized

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    z = standardized(x, loc, scale)
    inside = wnp.logical_and(wnp.greater_equal(z, 0), wnp.less_equal(z, 1))
    return wnp.where(inside, -wnp.log(scale) + 0.0 * z, -wnp.inf)


def pdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.clip(standardized(x, loc, scale), 0.0, 1.0)


def sf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return 1.0 - cdf(x, loc, scale)


def logcdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return log_of_positive(cdf(x, loc, scale))


def logsf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return log_of_positive(sf(x, loc, scale))
