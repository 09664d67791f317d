"""The multivariate normal distribution N(mean, cov): ``logpdf``, ``pdf``, ``entropy``.

With ``cov = L Lᵀ`` (Cholesky) and ``z = L⁻¹ (x - mean)`` (one triangular solve):
``logpdf = -|z|² / 2 - sum log diag L - d log(2 pi) / 2``. ``x`` is (d,) or (..., d),
as in SciPy; every argument, ``cov`` included, differentiates. ``cov`` is read as
``(cov + covᵀ) / 2``, so its gradient is symmetric (as autograd's and JAX's are).
"""

import math

import wengert.numpy as wnp
from wengert.errors import ArgumentError
from wengert.scipy import linalg

from ._location_scale import as_float_arrays

__all__ = ["entropy", "logpdf", "pdf"]


def _factor(cov, allow_singular: bool):
    if allow_singular:
        raise ArgumentError("multivariate_normal: allow_singular=True is not supported; pass a positive-definite cov.")
    cov = wnp.asarray(cov)
    if cov.ndim < 2:  # a scalar or the diagonal, as SciPy allows
        cov = wnp.diag(wnp.broadcast_to(cov, (1,))) if cov.ndim == 0 else wnp.diag(cov)
    return wnp.linalg.cholesky(0.5 * (cov + wnp.swapaxes(cov, -1, -2)))


def logpdf(x, mean=None, cov=1, allow_singular: bool = False):
    x, mean, cov = as_float_arrays(x, mean, cov)
    factor = _factor(cov, allow_singular)
    d = factor.shape[-1]
    x = wnp.asarray(x)
    centered = x if mean is None else x - mean
    rows = wnp.reshape(centered, (-1, d))
    z = linalg.solve_triangular(factor, wnp.transpose(rows), lower=True)
    quadratic = wnp.reshape(wnp.sum(z * z, axis=0), centered.shape[:-1])
    half_log_det = wnp.sum(wnp.log(wnp.diagonal(factor)))
    return -0.5 * quadratic - half_log_det - 0.5 * d * math.log(2.0 * math.pi)


def pdf(x, mean=None, cov=1, allow_singular: bool = False):
    x, mean, cov = as_float_arrays(x, mean, cov)
    return wnp.exp(logpdf(x, mean, cov, allow_singular))


def entropy(mean=None, cov=1):
    """``d/2 (1 + log(2 pi)) + log det(cov) / 2``."""
    mean, cov = as_float_arrays(mean, cov)
    factor = _factor(cov, False)
    d = factor.shape[-1]
    return 0.5 * d * (1.0 + math.log(2.0 * math.pi)) + wnp.sum(wnp.log(wnp.diagonal(factor)))
