"""The Bernoulli distribution with success probability ``p``: ``logpmf``, ``pmf``, ``cdf``, ``logcdf``,
``sf``, ``logsf``. ``logpmf = k log p + (1 - k) log(1 - p)`` for ``k`` in {0, 1}."""

import wengert.numpy as wnp
from wengert.scipy import special

from ._discrete import masked_log, on_support, pmf_from, tails_from
from ._location_scale import as_float_arrays

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def logpmf(k, p, loc=0):
    k, p, loc = as_float_arrays(k, p, loc)
    mask, k = on_support(wnp.asarray(k) - loc, 0, 1)
    return masked_log(mask, special.xlogy(k, p) + special.xlog1py(1.0 - k, -p))


def cdf(k, p, loc=0):
    k, p, loc = as_float_arrays(k, p, loc)
    k = wnp.asarray(k) - loc
    return wnp.where(wnp.less(k, 0), 0.0, wnp.where(wnp.less(k, 1), 1.0 - p, 1.0))


pmf = pmf_from(logpmf)
logcdf, sf, logsf = tails_from(cdf)
