"""``wengert.autograd``: PyTorch's autograd API on wengert's eager Tensor graph.

* :func:`backward` and :func:`grad`: gradients of Tensor outputs, into
  ``.grad`` or returned (``torch.autograd.backward`` / ``torch.autograd.grad``);
  ``create_graph=True`` records them, for second derivatives.
* :class:`Function`, :class:`FunctionCtx`, :func:`once_differentiable`:
  custom operations with a hand-written backward.

>>> import wengert
>>> x = wengert.tensor(2.0, requires_grad=True)
>>> (dy,) = wengert.autograd.grad(x ** 3, x, create_graph=True)
>>> (d2y,) = wengert.autograd.grad(dy, x)
>>> float(dy), float(d2y)
(12.0, 12.0)
"""

from wengert._tensor.autograd import backward, grad
from wengert._tensor.function import Function, FunctionCtx, once_differentiable

__all__ = ["Function", "FunctionCtx", "backward", "grad", "once_differentiable"]
