"""``autograd.scipy.stats.cauchy``: wengert's, plus SciPy's ``rvs`` (sampling, not differentiated)."""

from scipy.stats import cauchy as _scipy_distribution

from wengert.scipy.stats.cauchy import *  # noqa: F403 - the namespace is the point of this module
from wengert.scipy.stats.cauchy import __all__ as _differentiable

rvs = _scipy_distribution.rvs
__all__ = [*_differentiable, "rvs"]
