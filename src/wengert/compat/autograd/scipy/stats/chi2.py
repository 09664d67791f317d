"""``autograd.scipy.stats.chi2``: wengert's, plus SciPy's ``rvs`` (sampling, not differentiated)."""

from scipy.stats import chi2 as _scipy_distribution

from wengert.scipy.stats.chi2 import *  # noqa: F403 - the namespace is the point of this module
from wengert.scipy.stats.chi2 import __all__ as _differentiable

rvs = _scipy_distribution.rvs
__all__ = [*_differentiable, "rvs"]
