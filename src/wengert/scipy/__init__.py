"""SciPy's API on traced values, as far as covered: ``special``, ``stats``, ``linalg``, ``signal``.

``import wengert.scipy.special as wsp``, ``from wengert.scipy.stats import norm``,
``import wengert.scipy.linalg as wsl``, ``import wengert.scipy.signal as wsig``.
"""

from . import linalg, signal, special, stats

__all__ = ["linalg", "signal", "special", "stats"]
