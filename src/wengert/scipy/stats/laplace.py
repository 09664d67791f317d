"""The Laplace distribution: ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``.

``logpdf = -|z| - log(2 scale)``; ``cdf = exp(z) / 2`` below ``loc``, ``1 - exp(-z) / 2`` above;
at ``x = loc`` the derivative of ``|z|`` is taken as 0 (wengert's ``|x|'(0) = 0``).
"""

import math

import wengert.numpy as wnp

from ._location_scale import as_float_arrays, standardized

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return -wnp.abs(standardized(x, loc, scale)) - wnp.log(scale) - math.log(2.0)


def pdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.exp(logpdf(x, loc, scale))


def logcdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    z = standardized(x, loc, scale)
    below = wnp.less(z, 0)
    return wnp.where(below, wnp.minimum(z, 0.0) - math.log(2.0), wnp.log1p(-0.5 * wnp.exp(-wnp.abs(z))))


def cdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.exp(logcdf(x, loc, scale))


def logsf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return logcdf(-wnp.asarray(x), -loc, scale)


def sf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.exp(logsf(x, loc, scale))
