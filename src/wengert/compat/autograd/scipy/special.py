"""``autograd.scipy.special``: ``wengert.scipy.special``, and SciPy's other names as SciPy has them.

The functions wengert covers are differentiable on traced values; SciPy's others
(where SciPy is installed) run on plain arrays only, and a traced value passed to
one raises ``TracerError``.
"""

import wengert.scipy.special as _wsp
from wengert.scipy.special import *  # noqa: F403 - the namespace is the point of this module

from ._scipy_names import add_scipy_names

add_scipy_names(globals(), "scipy.special", _wsp.__all__)
