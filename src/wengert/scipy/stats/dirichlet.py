"""The Dirichlet distribution with concentrations ``alpha`` (K,): ``logpdf``, ``pdf``.

As in SciPy, ``x`` holds the K components along its first axis ((K,) or (K, N)).
``logpdf = gammaln(sum alpha) - sum gammaln(alpha) + sum (alpha - 1) log x``.
"""

import wengert.numpy as wnp
from wengert.scipy import special

from ._location_scale import as_float_arrays

__all__ = ["logpdf", "pdf"]


def logpdf(x, alpha):
    x, alpha = as_float_arrays(x, alpha)
    x, alpha = wnp.asarray(x), wnp.asarray(alpha)
    weights = wnp.reshape(alpha - 1.0, alpha.shape + (1,) * (x.ndim - 1))
    normalizer = special.gammaln(wnp.sum(alpha)) - wnp.sum(special.gammaln(alpha))
    return normalizer + wnp.sum(special.xlogy(weights, x), axis=0)


def pdf(x, alpha):
    x, alpha = as_float_arrays(x, alpha)
    return wnp.exp(logpdf(x, alpha))
