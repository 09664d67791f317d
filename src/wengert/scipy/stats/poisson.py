"""The Poisson distribution with rate ``mu``: ``logpmf``, ``pmf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``.

``logpmf = k log(mu) - mu - gammaln(k + 1)``; ``cdf = gammaincc(floor(k) + 1, mu)``, differentiable in ``mu``.
"""

import wengert.numpy as wnp
from wengert.scipy import special

from ._discrete import masked_log, on_support, pmf_from, tails_from
from ._location_scale import as_float_arrays

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def logpmf(k, mu, loc=0):
    k, mu, loc = as_float_arrays(k, mu, loc)
    mask, k = on_support(wnp.asarray(k) - loc, 0)
    return masked_log(mask, special.xlogy(k, mu) - mu - special.gammaln(k + 1.0))


def cdf(k, mu, loc=0):
    k, mu, loc = as_float_arrays(k, mu, loc)
    k = wnp.floor(wnp.asarray(k) - loc)
    below = wnp.less(k, 0)
    return wnp.where(below, 0.0, special.gammaincc(wnp.where(below, 0.0, k) + 1.0, mu))


pmf = pmf_from(logpmf)
logcdf, sf, logsf = tails_from(cdf)
