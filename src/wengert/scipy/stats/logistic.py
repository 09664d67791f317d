"""The logistic distribution: ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``.

``cdf = expit(z)``, ``logcdf = log_expit(z)``; ``logpdf = log_expit(z) + log_expit(-z) - log(scale)``.
"""

import wengert.numpy as wnp
from wengert.scipy import special

from ._location_scale import as_float_arrays, standardized

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    z = standardized(x, loc, scale)
    return special.log_expit(z) + special.log_expit(-z) - wnp.log(scale)


def pdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return wnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return special.expit(standardized(x, loc, scale))


def logcdf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return special.log_expit(standardized(x, loc, scale))


def sf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return special.expit(-standardized(x, loc, scale))


def logsf(x, loc=0.0, scale=1.0):
    x, loc, scale = as_float_arrays(x, loc, scale)
    return special.log_expit(-standardized(x, loc, scale))
