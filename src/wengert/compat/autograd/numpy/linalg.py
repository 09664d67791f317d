"""``autograd.numpy.linalg``: ``wengert.numpy.linalg``, and NumPy's other ``linalg`` names as NumPy has them."""

import numpy.linalg as _npla

import wengert.numpy.linalg as _wla
from wengert.numpy.linalg import *  # noqa: F403 - the namespace is the point of this module

for _name in dir(_npla):
    if not _name.startswith("_") and _name not in globals():
        globals()[_name] = getattr(_npla, _name)
for _name in _wla.__all__:
    globals()[_name] = getattr(_wla, _name)
del _name
