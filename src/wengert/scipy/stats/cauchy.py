"""The Cauchy distribution: ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``.

``logpdf = -log(pi) - log(scale) - log1p(z²)``; ``cdf = 1/2 + arctan(z) / pi``.
"""

import math

import wengert.numpy as wnp

from ._location_scale import as_float_arrays, standardized

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    z = standardized(x, loc, scale)
    return -math.log(math.pi) - wnp.log(scale) - wnp.log1p(z * z)


def pdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return 0.5 + wnp.arctan(standardized(x, loc, scale)) / math.pi


def sf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return 0.5 - wnp.arctan(standardized(x, loc, scale)) / math.pi


def logcdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.log(cdf(x, loc, scale))


def logsf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.log(sf(x, loc, scale))
