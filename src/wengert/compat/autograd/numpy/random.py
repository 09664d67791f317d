"""``autograd.numpy.random``: NumPy's random module, as in autograd (random numbers carry no derivative).

The functions draw from NumPy's global generator, so ``npr.seed(0)`` gives the
numbers it gives under autograd.
"""

import numpy.random as _npr

for _name in dir(_npr):
    if not _name.startswith("_"):
        globals()[_name] = getattr(_npr, _name)
del _name
