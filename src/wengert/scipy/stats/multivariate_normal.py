"""The multivariate normal distribution N(mean, cov): ``logpdf``, ``pdf``, ``entropy``.

With ``cov = L Lᵀ`` (Cholesky) and ``z = L⁻¹ (x - mean)`` (one triangular solve):
``logpdf = -|z|² / 2 - sum log diag L - d log(2 pi) / 2``. ``x`` is (d,) or (..., d),
as in SciPy; every argument, ``cov`` included, differentiates. ``cov`` is read as
``(cov + covᵀ) / 2``, so its gradient is symmetric (as autograd's and JAX's are).

With ``allow_singular=True`` the density is SciPy's on the support of a singular
``cov``: from ``cov = V diag(w) Vᵀ`` (``eigh``), the eigenvalues above SciPy's
cutoff count, ``logpdf = -(rank log(2 pi) + sum log w + sum (Vᵀ(x - mean))² / w) / 2``
(its derivative needs distinct eigenvalues, as ``eigh``'s does).
"""

import math

import wengert.numpy as wnp
from wengert.scipy import linalg

from ._location_scale import as_float_arrays

__all__ = ["entropy", "logpdf", "pdf"]


def _symmetric(cov):
    cov = wnp.asarray(cov)
    if cov.ndim < 2:  # a scalar or the diagonal, as SciPy allows
        cov = wnp.diag(wnp.broadcast_to(cov, (1,))) if cov.ndim == 0 else wnp.diag(cov)
    return 0.5 * (cov + wnp.swapaxes(cov, -1, -2))


def _factor(cov):
    return wnp.linalg.cholesky(_symmetric(cov))


def logpdf(x, mean=None, cov=1, allow_singular: bool = False):
    x, mean, cov = as_float_arrays(x, mean, cov)
    centered = x if mean is None else x - mean
    if allow_singular:
        return _singular_logpdf(centered, _symmetric(cov))
    factor = _factor(cov)
    d = factor.shape[-1]
    rows = wnp.reshape(centered, (-1, d))
    z = linalg.solve_triangular(factor, wnp.transpose(rows), lower=True)
    quadratic = wnp.reshape(wnp.sum(z * z, axis=0), centered.shape[:-1])
    half_log_det = wnp.sum(wnp.log(wnp.diagonal(factor)))
    return -0.5 * quadratic - half_log_det - 0.5 * d * math.log(2.0 * math.pi)


def _singular_logpdf(centered, cov):
    w, v = wnp.linalg.eigh(cov)
    cutoff = 1e6 * wnp.finfo(cov.dtype).eps * wnp.max(wnp.abs(w))  # SciPy's default for float64
    kept = wnp.greater(w, wnp.stop_gradient(cutoff))
    safe = wnp.where(kept, w, 1.0)
    projected = wnp.matmul(centered, v)
    quadratic = wnp.sum(wnp.where(kept, projected * projected / safe, 0.0), axis=-1)
    rank = wnp.sum(wnp.astype(kept, w.dtype))
    return -0.5 * (rank * math.log(2.0 * math.pi) + wnp.sum(wnp.where(kept, wnp.log(safe), 0.0)) + quadratic)


def pdf(x, mean=None, cov=1, allow_singular: bool = False):
    x, mean, cov = as_float_arrays(x, mean, cov)
    return wnp.exp(logpdf(x, mean, cov, allow_singular))


def entropy(mean=None, cov=1):
    """``d/2 (1 + log(2 pi)) + log det(cov) / 2``."""
    mean, cov = as_float_arrays(mean, cov)
    factor = _factor(cov)
    d = factor.shape[-1]
    return 0.5 * d * (1.0 + math.log(2.0 * math.pi)) + wnp.sum(wnp.log(wnp.diagonal(factor)))
