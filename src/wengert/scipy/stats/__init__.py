"""SciPy's probability distributions on traced values: ``from wengert.scipy.stats import norm``.

One module per distribution, as in HIPS autograd and ``jax.scipy.stats``, each
with SciPy's function names and argument names (``loc``, ``scale`` and the
shape parameters, broadcasting as NumPy does)::

    >>> import wengert
    >>> from wengert.scipy.stats import norm
    >>> float(wengert.grad(norm.logpdf)(1.5))  # d/dx of -x^2/2
    -1.5

Every function is written in ``wengert.numpy`` and ``wengert.scipy.special``
operations, so it differentiates in every argument where its formula does,
to every order. The CDFs built on ``gammainc``/``betainc`` differentiate in
``x``, ``loc`` and ``scale`` (and, for the discrete ones, in the
probability or rate), not in the shape parameters: as in SciPy, JAX and
autograd, and a derivative there raises an ``ArgumentError``.
"""

from . import (
    bernoulli,
    beta,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    geom,
    laplace,
    logistic,
    multivariate_normal,
    nbinom,
    norm,
    poisson,
    t,
    uniform,
)

__all__ = [
    "bernoulli",
    "beta",
    "binom",
    "cauchy",
    "chi2",
    "dirichlet",
    "expon",
    "gamma",
    "geom",
    "laplace",
    "logistic",
    "multivariate_normal",
    "nbinom",
    "norm",
    "poisson",
    "t",
    "uniform",
]
