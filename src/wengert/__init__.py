"""wengert: automatic differentiation for Python on NumPy.

>>> import wengert, wengert.numpy as wnp
>>> float(wengert.grad(lambda x: x * wnp.sin(x))(0.0))
0.0
"""

from . import check, nn, numpy, scipy
from ._src.core.pytree import register_pytree_node, tree_flatten, tree_leaves, tree_map, tree_unflatten
from ._src.transforms.api import grad, jvp, value_and_grad, vjp
from .errors import WengertError
from .numpy import stop_gradient

__version__ = "0.1.0"

__all__ = [
    "WengertError",
    "check",
    "grad",
    "nn",
    "jvp",
    "numpy",
    "scipy",
    "register_pytree_node",
    "stop_gradient",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_unflatten",
    "value_and_grad",
    "vjp",
]
