"""Trace and diagonal estimation from matrix-vector products: Hutchinson, Hutch++, NA-Hutch++, XTrace, XNysTrace.

Every estimator takes ``A``, a square array or a function computing ``A @ V`` for an
``(n, k)`` block of probe vectors (then give ``n=``), and a budget of matrix-vector
products, ``num_matvecs``. It returns an :class:`Estimate`: ``.estimate``, its standard
error ``.stderr``, and ``.num_matvecs``, the products it used; ``float(result)`` is the
estimate. ``seed`` (an int, a ``numpy.random.Generator``, or ``None`` for wengert's default
generator, which ``wengert.manual_seed`` seeds) makes results repeat exactly.

>>> import numpy as np
>>> from wengert import trace_estimation
>>> U = np.random.default_rng(0).standard_normal((100, 5))
>>> A = U @ U.T                                  # rank 5
>>> result = trace_estimation.hutchpp(A, 30, seed=0)
>>> bool(np.isclose(float(result), np.trace(A))), result.num_matvecs   # its sketch spans A's range
(True, 30)
>>> hutch = trace_estimation.hutchinson(lambda V: A @ V, 30, n=100, seed=0)
>>> round(float(hutch)), round(float(hutch.stderr)), round(np.trace(A))
(464, 56, 514)

The estimates are computed with ``wengert.numpy``, so they differentiate and run under
``jit`` and ``vmap`` (the probes are drawn when the function runs or is traced: under
``jit`` they are fixed in the compiled function). ``wengert.divergence``,
``wengert.jacobian_trace`` and ``wengert.hessian_trace`` reach the same methods from a
function, with products built by forward mode. ``docs/traces.md`` explains the methods.
"""

from __future__ import annotations

from ._estimators import PROBES, Estimate, Operator, estimate_diagonal, estimate_trace
from ._functions import METHODS, divergence, hessian_trace, jacobian_trace

__all__ = [
    "METHODS",
    "PROBES",
    "Estimate",
    "diagonal",
    "divergence",
    "hessian_trace",
    "hutchinson",
    "hutchpp",
    "jacobian_trace",
    "na_hutchpp",
    "xnystrace",
    "xtrace",
]


def hutchinson(
    A,
    num_matvecs: int,
    *,
    n: int | None = None,
    seed=None,
    probes: str = "rademacher",
    dtype=None,
    vectorized: bool = True,
) -> Estimate:
    """Hutchinson's estimator: ``tr(A) ~ (1/m) sum_i w_iᵀ A w_i`` over ``m = num_matvecs`` random probes.

    ``probes`` is ``"rademacher"`` (random signs: the least variance for a given matrix,
    ``2 (||A||_F^2 - sum_i A_ii^2) / m``), ``"gaussian"`` or ``"sphere"``. ``A`` is a square
    array or a function of an ``(n, k)`` block (``vectorized=False``: of one vector), with
    ``n=``; ``dtype`` sets the probes' dtype for a function (float64 by default). The error
    falls like ``1 / sqrt(m)``.

    >>> import numpy as np
    >>> from wengert import trace_estimation
    >>> r = trace_estimation.hutchinson(np.ones((3, 3)), 10_000, seed=0)     # trace 3
    >>> round(float(r), 2), round(float(r.stderr), 2), r.num_matvecs
    (3.06, 0.03, 10000)
    """
    op = Operator(A, n, "hutchinson", dtype=dtype, vectorized=vectorized)
    return estimate_trace(op, "hutchinson", num_matvecs, seed, probes)


def hutchpp(
    A,
    num_matvecs: int,
    *,
    n: int | None = None,
    seed=None,
    probes: str = "rademacher",
    dtype=None,
    vectorized: bool = True,
) -> Estimate:
    """Hutch++ (Meyer, Musco, Musco & Woodruff, 2021): exact on a sketched top subspace, Hutchinson on the rest.

    A third of the budget sketches ``Q = orth(A S)``, a third computes ``tr(Qᵀ A Q)``, and
    the last third runs Hutchinson on ``(I - QQᵀ) A (I - QQᵀ)``. Two blocks of products:
    ``A [S G]`` (the Hutchinson probes ``G`` need no ``Q``: ``A (I - QQᵀ) G = A G - (A Q)(Qᵀ G)``
    by linearity, the same estimate up to rounding), then ``A Q``. Needs at least 3 products;
    unbiased for any square ``A``; for a positive semi-definite ``A`` its relative error falls
    like ``1 / m`` where Hutchinson's falls like ``1 / sqrt(m)``. ``stderr`` is the Hutchinson part's.
    """
    op = Operator(A, n, "hutchpp", dtype=dtype, vectorized=vectorized)
    return estimate_trace(op, "hutchpp", num_matvecs, seed, probes)


def na_hutchpp(
    A,
    num_matvecs: int,
    *,
    n: int | None = None,
    seed=None,
    probes: str = "rademacher",
    symmetric: bool = False,
    dtype=None,
    vectorized: bool = True,
) -> Estimate:
    """NA-Hutch++, the non-adaptive Hutch++: every product chosen before any is computed (one round).

    The low-rank part is ``A R (Sᵀ A R)⁺ Sᵀ A`` from ``m/6`` probes ``S`` and ``m/3`` probes
    ``R`` (the paper's split); Hutchinson covers the rest with ``m/2`` probes. ``Sᵀ A`` is a
    product with ``Aᵀ``: ``A.T`` for an array; for a function, ``symmetric=True`` says
    ``Aᵀ = A`` (the paper's setting, and one block of products); otherwise ``Aᵀ S`` comes from
    reverse mode through the function (``wengert.vjp``, so it must be written with
    ``wengert.numpy``), whose forward pass costs ``m/6`` more products: ``num_matvecs`` counts them.
    """
    op = Operator(A, n, "na_hutchpp", dtype=dtype, vectorized=vectorized, symmetric=symmetric)
    return estimate_trace(op, "na_hutchpp", num_matvecs, seed, probes)


def xtrace(
    A,
    num_matvecs: int,
    *,
    n: int | None = None,
    seed=None,
    probes: str = "sphere",
    dtype=None,
    vectorized: bool = True,
) -> Estimate:
    """XTrace (Epperly, Tropp & Webber, 2024): Hutch++ made exchangeable, every probe both sketch and test.

    ``k = num_matvecs // 2`` probes ``Ω`` and the products ``A Ω`` and ``A Q`` (``Q`` a basis of
    ``A Ω``) give ``k`` Hutch++ estimates, each leaving one probe out of the sketch and testing
    with it; their mean is the estimate and their spread its standard error. With
    ``probes="sphere"`` (the default) the test part is normalised, the paper's improved
    estimator. Any square ``A``; an odd budget leaves one product unused (``num_matvecs`` says so).
    """
    op = Operator(A, n, "xtrace", dtype=dtype, vectorized=vectorized)
    return estimate_trace(op, "xtrace", num_matvecs, seed, probes)


def xnystrace(
    A,
    num_matvecs: int,
    *,
    n: int | None = None,
    seed=None,
    probes: str = "sphere",
    dtype=None,
    vectorized: bool = True,
) -> Estimate:
    """XNysTrace (Epperly, Tropp & Webber, 2024): XTrace for a symmetric positive semi-definite ``A``.

    One block of products ``A Ω`` gives a Nyström approximation ``A Ω (Ωᵀ A Ω)⁻¹ (A Ω)ᵀ`` and,
    leaving each probe out in turn, ``num_matvecs`` exchangeable estimates. For a matrix that
    is not positive semi-definite the Cholesky factorisation fails or the estimate is wrong:
    use :func:`xtrace` there.
    """
    op = Operator(A, n, "xnystrace", dtype=dtype, vectorized=vectorized, symmetric=True)
    return estimate_trace(op, "xnystrace", num_matvecs, seed, probes)


def diagonal(
    A,
    num_matvecs: int,
    *,
    n: int | None = None,
    seed=None,
    probes: str = "rademacher",
    method: str = "hutchinson",
    symmetric: bool = False,
    dtype=None,
    vectorized: bool = True,
) -> Estimate:
    """The diagonal of ``A`` from products: ``.estimate`` and ``.stderr`` have shape ``(n,)``.

    ``method="hutchinson"``: ``diag(A) ~ (1/m) sum_i w_i * (A w_i)`` (Bekas, Kokiopoulou &
    Saad, 2007); ``method="hutchpp"``: deflated first, ``diag(Q Qᵀ A)`` exactly for a sketched
    basis ``Q`` and Hutchinson on ``(I - QQᵀ) A`` (Diag++, Baston & Nakatsukasa, 2022), which
    needs ``Aᵀ Q``: ``symmetric`` as for :func:`na_hutchpp`.

    >>> import numpy as np
    >>> from wengert import trace_estimation
    >>> trace_estimation.diagonal(np.diag([1.0, 2.0, 3.0]), 4, seed=0).estimate
    array([1., 2., 3.])
    """
    op = Operator(A, n, "diagonal", dtype=dtype, vectorized=vectorized, symmetric=symmetric)
    return estimate_diagonal(op, num_matvecs, seed, probes, method)
