"""``autograd.scipy.stats.laplace``: wengert's, plus SciPy's ``rvs`` (sampling, not differentiated)."""

from scipy.stats import laplace as _scipy_distribution

from wengert.scipy.stats.laplace import *  # noqa: F403 - the namespace is the point of this module
from wengert.scipy.stats.laplace import __all__ as _differentiable

rvs = _scipy_distribution.rvs
__all__ = [*_differentiable, "rvs"]
