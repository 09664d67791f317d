"""``autograd.scipy.stats.dirichlet``: wengert's, plus SciPy's ``rvs`` (sampling, not differentiated)."""

from scipy.stats import dirichlet as _scipy_distribution

from wengert.scipy.stats.dirichlet import *  # noqa: F403 - the namespace is the point of this module
from wengert.scipy.stats.dirichlet import __all__ as _differentiable

rvs = _scipy_distribution.rvs
__all__ = [*_differentiable, "rvs"]
