"""``autograd.scipy``: ``special``, ``stats``, ``linalg`` and ``signal``, as far as ``wengert.scipy`` reaches
(see docs/autograd_migration.md).

``integrate.odeint`` differentiates in reverse mode only (by the adjoint method).
"""

from . import integrate, linalg, signal, special, stats

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
