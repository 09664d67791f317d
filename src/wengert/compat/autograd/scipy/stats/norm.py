"""``autograd.scipy.stats.norm``: wengert's, plus SciPy's ``rvs`` (sampling, not differentiated).

``logpdf`` is SciPy's value with autograd's closed-form rules (``_autograd_rules``), so gradients round as
autograd's do.
"""

from scipy.stats import norm as _scipy_distribution

from wengert.scipy.stats._location_scale import as_float_arrays
from wengert.scipy.stats.norm import *  # noqa: F403 - the namespace is the point of this module
from wengert.scipy.stats.norm import __all__ as _differentiable

from ..._autograd_rules import autograd_norm_logpdf

rvs = _scipy_distribution.rvs


def logpdf(x, loc=0.0, scale=1.0):
    """SciPy's ``norm.logpdf``, differentiated by autograd's closed-form rules."""
    return autograd_norm_logpdf(*as_float_arrays(x, loc, scale))


__all__ = [*_differentiable, "rvs"]
