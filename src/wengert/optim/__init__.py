"""Optimisers and learning-rate schedules with PyTorch's names: ``SGD``, ``Adam``, ``AdamW``, ``lr_scheduler``.

They update ``wengert.Tensor`` parameters in place after ``loss.backward()``:

>>> import wengert
>>> from wengert import tensor
>>> w = tensor([3.0], requires_grad=True)
>>> optimizer = wengert.optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     optimizer.zero_grad()
...     (w * w).sum().backward()
...     optimizer.step()
>>> w.item()   # each step halves w
0.375
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
