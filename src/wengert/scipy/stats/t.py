"""Student's t distribution with ``df`` degrees of freedom: ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``.

``logpdf = gammaln((df+1)/2) - gammaln(df/2) - log(df pi)/2 - (df+1)/2 log1p(z²/df) - log(scale)``;
``cdf(z) = 1 - I_{df/(df+z²)}(df/2, 1/2) / 2`` for ``z >= 0`` (symmetric below), so the
CDFs differentiate in ``x``, ``loc`` and ``scale`` but not in ``df``.
"""

import math

import wengert.numpy as wnp
from wengert.scipy import special

from ._location_scale import as_float_arrays, log_of_positive, standardized

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    z = standardized(x, loc, scale)
    half = 0.5 * (df + 1.0)
    return (
        special.gammaln(half)
        - special.gammaln(0.5 * df)
        - 0.5 * wnp.log(df * math.pi)
        - half * wnp.log1p(z * z / df)
        - wnp.log(scale)
    )


def pdf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return wnp.exp(logpdf(x, df, loc, scale))


def _lower_tail(z, df):
    """P(T <= -|z|) = I_{df/(df+z²)}(df/2, 1/2) / 2."""
    return 0.5 * special.betainc(0.5 * df, 0.5, df / (df + z * z))


def cdf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    z = standardized(x, loc, scale)
    tail = _lower_tail(z, df)
    return wnp.where(wnp.less(z, 0), tail, 1.0 - tail)


def sf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return cdf(-wnp.asarray(x), df, -loc, scale)


def logcdf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return log_of_positive(cdf(x, df, loc, scale))


def logsf(x, df, loc=0.0, scale=1.0):
    x, df, loc, scale = as_float_arrays(x, df, loc, scale)
    return log_of_positive(sf(x, df, loc, scale))
