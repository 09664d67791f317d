"""SciPy's API on traced values, as far as covered: ``special``, ``stats``, ``linalg``, ``signal``, ``integrate``.

``import wengert.scipy.special as wsp``, ``from wengert.scipy.stats import norm``,
``import wengert.scipy.linalg as wsl``, ``import wengert.scipy.signal as wsig``.

``special`` comes with ``import wengert``; the others load on first use (``wengert.scipy.stats``
is an attribute like any other), so that ``import wengert`` does not pay for seventeen
distributions it may never use.
"""

import importlib

from . import special

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
_LAZY = frozenset(__all__) - {"special"}


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
