"""Minibatches for training, under the name a PyTorch user looks for: :mod:`wengert.apps.data` re-exported.

``torch.utils.data`` sits beside ``torch.nn`` and ``torch.optim``, so the
training loop of the README's tour reads ``wengert.data.minibatches``; the
code lives with the applications that use it (``wengert makemore``).

>>> import numpy as np, wengert
>>> [yb.tolist() for _, yb in wengert.data.minibatches(np.zeros((3, 1)), np.arange(3), batch_size=2, shuffle=False)]
[[0, 1], [2]]
"""

from wengert.apps.data import Minibatches, minibatches, sample_batch

__all__ = ["Minibatches", "minibatches", "sample_batch"]
