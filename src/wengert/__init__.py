"""wengert: automatic differentiation for Python on NumPy.

>>> import wengert, wengert.numpy as wnp
>>> float(wengert.grad(lambda x: x * wnp.sin(x))(0.0))
0.0
"""

from . import autograd, check, data, datasets, diagnostics, nn, numpy, optim, scalar, scipy
from ._src.core.ir import Program
from ._src.core.pytree import register_pytree_node, tree_flatten, tree_leaves, tree_map, tree_unflatten
from ._src.transforms.api import grad, jvp, value_and_grad, vjp
from ._src.transforms.batching import vmap
from ._src.transforms.custom_derivatives import custom_jvp, custom_vjp
from ._src.transforms.jacobians import hessian, hvp, jacfwd, jacobian, jacrev
from ._src.transforms.linearize import linearize
from ._src.transforms.stage import trace
from ._src.transforms.transpose import linear_transpose
from .errors import WengertError
from .numpy import stop_gradient
from .random import manual_seed
from .serialization import load, save
from .tensor import (
    Tensor,
    arange,
    cat,
    enable_grad,
    eye,
    float32,
    float64,
    from_numpy,
    full,
    int64,
    is_grad_enabled,
    linspace,
    no_grad,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    set_grad_enabled,
    stack,
    tensor,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

__all__ = [
    "Program",
    "Tensor",
    "WengertError",
    "arange",
    "autograd",
    "cat",
    "check",
    "custom_jvp",
    "custom_vjp",
    "data",
    "datasets",
    "diagnostics",
    "enable_grad",
    "eye",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "grad",
    "hessian",
    "hvp",
    "int64",
    "is_grad_enabled",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "linear_transpose",
    "linearize",
    "linspace",
    "load",
    "manual_seed",
    "nn",
    "no_grad",
    "numpy",
    "ones",
    "ones_like",
    "optim",
    "rand",
    "randint",
    "randn",
    "register_pytree_node",
    "save",
    "scalar",
    "scipy",
    "set_grad_enabled",
    "stack",
    "stop_gradient",
    "tensor",
    "trace",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_unflatten",
    "value_and_grad",
    "vjp",
    "vmap",
    "zeros",
    "zeros_like",
]
