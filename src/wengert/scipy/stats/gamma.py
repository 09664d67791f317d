"""The gamma distribution with shape ``a``: ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``.

``logpdf = (a - 1) log z - z - gammaln(a) - log(scale)`` for ``z = (x - loc) / scale >= 0``;
``cdf = gammainc(a, z)``, differentiable in ``x``, ``loc`` and ``scale`` but not in ``a``.
"""

import wengert.numpy as wnp
from wengert.scipy import special

from ._location_scale import as_float_arrays, log_of_positive, standardized

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, a, loc=0.0, scale=1.0):
    x, a, loc, scale = as_float_arrays(x, a, loc, scale)
    z = standardized(x, loc, scale)
    inside = wnp.greater_equal(z, 0)
    z_inside = wnp.where(inside, z, 1.0)
    density = special.xlogy(a - 1.0, z_inside) - z_inside - special.gammaln(a) - wnp.log(scale)
    return wnp.where(inside, density, -wnp.inf)


def pdf(x, a, loc=0.0, scale=1.0):
    x, a, loc, scale = as_float_arrays(x, a, loc, scale)
    return wnp.exp(logpdf(x, a, loc, scale))


def cdf(x, a, loc=0.0, scale=1.0):
    x, a, loc, scale = as_float_arrays(x, a, loc, scale)
    return special.gammainc(a, wnp.maximum(standardized(x, loc, scale), 0.0))


def sf(x, a, loc=0.0, scale=1.0):
    x, a, loc, scale = as_float_arrays(x, a, loc, scale)
    return special.gammaincc(a, wnp.maximum(standardized(x, loc, scale), 0.0))


def logcdf(x, a, loc=0.0, scale=1.0):
    x, a, loc, scale = as_float_arrays(x, a, loc, scale)
    return log_of_positive(cdf(x, a, loc, scale))


def logsf(x, a, loc=0.0, scale=1.0):
    x, a, loc, scale = as_float_arrays(x, a, loc, scale)
    return log_of_positive(sf(x, a, loc, scale))
