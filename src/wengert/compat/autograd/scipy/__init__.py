"""``autograd.scipy``: ``special``, as far as ``wengert.scipy`` reaches (see docs/autograd_migration.md).

autograd's ``scipy.stats``, ``scipy.linalg``, ``scipy.signal`` and ``scipy.integrate``
are not provided yet; importing them raises ``ImportError``.
"""

from . import special

__all__ = ["special"]
