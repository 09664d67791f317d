"""SciPy's API on traced values, as far as covered: ``special``, ``stats``, ``linalg``, ``signal``, ``integrate``.

``import wengert.scipy.special as wsp``, ``from wengert.scipy.stats import norm``,
``import wengert.scipy.linalg as wsl``, ``import wengert.scipy.signal as wsig``.
"""

from . import integrate, linalg, signal, special, stats

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
