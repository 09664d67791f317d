"""The chi-squared distribution with ``df`` degrees of freedom: the gamma distribution with
shape ``df / 2`` and scale ``2 scale``. ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``."""

from . import gamma
from ._location_scale import as_float_arrays

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return gamma.logpdf(x, 0.5 * df, loc, 2.0 * scale)


def pdf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return gamma.pdf(x, 0.5 * df, loc, 2.0 * scale)


def cdf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return gamma.cdf(x, 0.5 * df, loc, 2.0 * scale)


def logcdf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return gamma.logcdf(x, 0.5 * df, loc, 2.0 * scale)


def sf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return gamma.sf(x, 0.5 * df, loc, 2.0 * scale)


def logsf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return gamma.logsf(x, 0.5 * df, loc, 2.0 * scale)
