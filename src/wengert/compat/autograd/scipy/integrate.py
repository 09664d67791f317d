"""``autograd.scipy.integrate``: ``odeint(func, y0, t, args=(), **kwargs)``, ``wengert.scipy.integrate``'s
(SciPy's solver forward, the adjoint method backward; reverse mode)."""

from wengert.scipy.integrate import odeint

__all__ = ["odeint"]
