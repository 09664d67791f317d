"""The beta distribution with shapes ``a``, ``b``: ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``.

``logpdf = (a-1) log z + (b-1) log(1-z) - betaln(a, b) - log(scale)`` on ``0 <= z <= 1``;
``cdf = betainc(a, b, z)``, differentiable in ``x``, ``loc`` and ``scale`` but not in ``a``, ``b``.
"""

import wengert.numpy as wnp
from wengert.scipy import special

from ._location_scale import as_float_arrays, log_of_positive, standardized

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, a, b, loc=0.0, scale=1.0):
    x, a, b, loc, scale = as_float_arrays(x, a, b, loc, scale)
    z = standardized(x, loc, scale)
    inside = wnp.logical_and(wnp.greater_equal(z, 0), wnp.less_equal(z, 1))
    z_inside = wnp.where(inside, z, 0.5)
    density = special.xlogy(a - 1.0, z_inside) + special.xlog1py(b - 1.0, -z_inside)
    return wnp.where(inside, density - special.betaln(a, b) - wnp.log(scale), -wnp.inf)


def pdf(x, a, b, loc=0.0, scale=1.0):
    x, a, b, loc, scale = as_float_arrays(x, a, b, loc, scale)
    return wnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x, a, b, loc=0.0, scale=1.0):
    x, a, b, loc, scale = as_float_arrays(x, a, b, loc, scale)
    return special.betainc(a, b, wnp.clip(standardized(x, loc, scale), 0.0, 1.0))


def sf(x, a, b, loc=0.0, scale=1.0):
    x, a, b, loc, scale = as_float_arrays(x, a, b, loc, scale)
    return special.betainc(b, a, wnp.clip(1.0 - standardized(x, loc, scale), 0.0, 1.0))


def logcdf(x, a, b, loc=0.0, scale=1.0):
    x, a, b, loc, scale = as_float_arrays(x, a, b, loc, scale)
    return log_of_positive(cdf(x, a, b, loc, scale))


def logsf(x, a, b, loc=0.0, scale=1.0):
    x, a, b, loc, scale = as_float_arrays(x, a, b, loc, scale)
    return log_of_positive(sf(x, a, b, loc, scale))
