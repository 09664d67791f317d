"""``autograd.scipy.stats.t``: wengert's, plus SciPy's ``rvs`` (sampling, not differentiated).

``logpdf`` is SciPy's value with autograd's closed-form rules (``_autograd_rules``), so gradients round as
autograd's do.
"""

from scipy.stats import t as _scipy_distribution

from wengert.scipy.stats._location_scale import as_float_arrays
from wengert.scipy.stats.t import *  # noqa: F403 - the namespace is the point of this module
from wengert.scipy.stats.t import __all__ as _differentiable

from ..._autograd_rules import autograd_t_logpdf

rvs = _scipy_distribution.rvs


def logpdf(x, df, loc=0.0, scale=1.0):
    """SciPy's ``t.logpdf``, differentiated by autograd's closed-form rules."""
    return autograd_t_logpdf(*as_float_arrays(x, df, loc, scale))


__all__ = [*_differentiable, "rvs"]
