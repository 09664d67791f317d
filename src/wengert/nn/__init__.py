"""Neural networks with PyTorch's names: ``wengert.nn`` modules, ``init`` and ``functional``.

Modules hold ``wengert.Tensor`` parameters and are trained with
``loss.backward()`` and ``wengert.optim``; ``functional_call`` runs one as a
pure function of its parameters, for ``wengert.grad`` and the other
transforms.

>>> from wengert import tensor
>>> from wengert import nn
>>> import wengert.nn.functional as F
>>> model = nn.Sequential(nn.Linear(2, 8, generator=0), nn.Tanh(), nn.Linear(8, 3, generator=1))
>>> loss = F.cross_entropy(model(tensor([[0.5, -1.0]])), [2])
>>> loss.backward()
>>> model[0].weight.grad.shape
(8, 2)
"""

from . import functional, init
from .container import ModuleList, Sequential
from .layers import BatchNorm1d, Dropout, Embedding, Flatten, Linear, ReLU, Sigmoid, Tanh
from .module import IncompatibleKeys, Module, Parameter, functional_call

__all__ = [
    "BatchNorm1d",
    "Dropout",
    "Embedding",
    "Flatten",
    "IncompatibleKeys",
    "Linear",
    "Module",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "functional",
    "functional_call",
    "init",
]
