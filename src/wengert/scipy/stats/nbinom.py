"""The negative binomial distribution (failures before the ``n``-th success): ``logpmf``, ``pmf``, ``cdf``,
``logcdf``, ``sf``, ``logsf``.

``logpmf = gammaln(n+k) - gammaln(k+1) - gammaln(n) + n log p + k log(1-p)``;
``cdf = betainc(n, floor(k) + 1, p)``, differentiable in ``p`` (not in ``n``).
"""

import wengert.numpy as wnp
from wengert.scipy import special

from ._discrete import masked_log, on_support, pmf_from, tails_from
from ._location_scale import as_float_arrays

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "sf"]


def logpmf(k, n, p, loc=0):
    k, n, p, loc = as_float_arrays(k, n, p, loc)
    mask, k = on_support(wnp.asarray(k) - loc, 0)
    log_choose = special.gammaln(n + k) - special.gammaln(k + 1.0) - special.gammaln(n)
    return masked_log(mask, log_choose + special.xlogy(n, p) + special.xlog1py(k, -p))


def cdf(k, n, p, loc=0):
    k, n, p, loc = as_float_arrays(k, n, p, loc)
    k = wnp.floor(wnp.asarray(k) - loc)
    below = wnp.less(k, 0)
    return wnp.where(below, 0.0, special.betainc(n, wnp.where(below, 0.0, k) + 1.0, p))


pmf = pmf_from(logpmf)
logcdf, sf, logsf = tails_from(cdf)
