"""``autograd.scipy.stats``: one module per distribution, each ``wengert.scipy.stats``'s plus SciPy's ``rvs``."""

import importlib

from wengert.scipy.stats import __all__

for _name in __all__:
    globals()[_name] = importlib.import_module(f"{__name__}.{_name}")
del _name
