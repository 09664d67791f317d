"""The binomial distribution of ``n`` trials with success probability ``p``: ``logpmf``, ``pmf``, ``cdf``,
``logcdf``, ``sf``, ``logsf``.

``logpmf = gammaln(n+1) - gammaln(k+1) - gammaln(n-k+1) + k log p + (n-k) log(1-p)``;
``cdf = betainc(n - floor(k), floor(k) + 1, 1 - p)``, differentiable in ``p``.
"""

import wengert.numpy as wnp
from wengert.scipy import special

from ._discrete import masked_log, on_support, pmf_from, tails_from
from ._location_scale import as_float_arrays

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def logpmf(k, n, p, loc=0):
    k, n, p, loc = as_float_arrays(k, n, p, loc)
    mask, k = on_support(wnp.asarray(k) - loc, 0, n)
    log_choose = special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0)
    return masked_log(mask, log_choose + special.xlogy(k, p) + special.xlog1py(n - k, -p))


def cdf(k, n, p, loc=0):
    k, n, p, loc = as_float_arrays(k, n, p, loc)
    k = wnp.floor(wnp.asarray(k) - loc)
    below, above = wnp.less(k, 0), wnp.greater_equal(k, n)
    inside = wnp.clip(k, 0.0, n - 1.0)
    return wnp.where(below, 0.0, wnp.where(above, 1.0, special.betainc(n - inside, inside + 1.0, 1.0 - p)))


pmf = pmf_from(logpmf)
logcdf, sf, logsf = tails_from(cdf)
