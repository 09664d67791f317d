"""``autograd.scipy.special``: ``wengert.scipy.special``, and SciPy's other names as SciPy has them.

The functions wengert covers are differentiable on traced values; SciPy's others
(where SciPy is installed) run on plain arrays only, and a traced value passed to
one raises ``TracerError``.
"""

import wengert.scipy.special as _wsp
from wengert.scipy.special import *  # noqa: F403 - the namespace is the point of this module

try:
    import scipy.special as _sp
except ImportError:  # SciPy is optional: without it, only wengert's functions are here
    _sp = None

if _sp is not None:
    for _name in dir(_sp):
        if not _name.startswith("_") and _name not in _wsp.__all__:
            globals()[_name] = getattr(_sp, _name)
    del _name
