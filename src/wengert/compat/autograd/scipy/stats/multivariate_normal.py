"""``autograd.scipy.stats.multivariate_normal``: wengert's, plus SciPy's ``rvs`` (sampling, not differentiated)."""

from scipy.stats import multivariate_normal as _scipy_distribution

from wengert.scipy.stats.multivariate_normal import *  # noqa: F403 - the namespace is the point of this module
from wengert.scipy.stats.multivariate_normal import __all__ as _differentiable

rvs = _scipy_distribution.rvs
__all__ = [*_differentiable, "rvs"]
