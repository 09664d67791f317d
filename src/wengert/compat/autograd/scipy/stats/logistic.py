"""``autograd.scipy.stats.logistic``: wengert's, plus SciPy's ``rvs`` (sampling, not differentiated)."""

from scipy.stats import logistic as _scipy_distribution

from wengert.scipy.stats.logistic import *  # noqa: F403 - the namespace is the point of this module
from wengert.scipy.stats.logistic import __all__ as _differentiable

rvs = _scipy_distribution.rvs
__all__ = [*_differentiable, "rvs"]
