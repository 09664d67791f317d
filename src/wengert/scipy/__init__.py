"""SciPy's API on traced values, as far as covered: ``import wengert.scipy.special as wsp``."""

from . import special

__all__ = ["special"]
