"""The geometric distribution (trials up to the first success, ``k >= 1``): ``logpmf``, ``pmf``, ``cdf``,
``logcdf``, ``sf``, ``logsf``. ``logpmf = (k - 1) log(1 - p) + log p``; ``sf = (1 - p)^floor(k)``."""

import wengert.numpy as wnp
from wengert.scipy import special

from ._discrete import masked_log, on_support, pmf_from, tails_from
from ._location_scale import as_float_arrays

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def logpmf(k, p, loc=0):
    k, p, loc = as_float_arrays(k, p, loc)
    mask, k = on_support(wnp.asarray(k) - loc, 1)
    return masked_log(mask, special.xlog1py(k - 1.0, -p) + wnp.log(p))


def cdf(k, p, loc=0):
    k, p, loc = as_float_arrays(k, p, loc)
    k = wnp.maximum(wnp.floor(wnp.asarray(k) - loc), 0.0)
    return -wnp.expm1(k * wnp.log1p(-p))


pmf = pmf_from(logpmf)
logcdf, sf, logsf = tails_from(cdf)
