"""wengert: automatic differentiation for Python on NumPy.

>>> import wengert, wengert.numpy as wnp
>>> float(wengert.grad(lambda x: x * wnp.sin(x))(0.0))
0.0
"""

from . import autograd, check, data, datasets, diagnostics, lax, nn, numpy, optim, scalar, scipy, trace_estimation
from ._src.core.ir import Program
from ._src.core.pytree import register_pytree_node, tree_flatten, tree_leaves, tree_map, tree_unflatten
from ._src.tensor.api import (
    RemovableHandle,
    Tensor,
    arange,
    as_tensor,
    bool_,
    cat,
    concat,
    concatenate,
    empty,
    empty_like,
    enable_grad,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    int8,
    int16,
    int32,
    int64,
    is_grad_enabled,
    is_tensor,
    linspace,
    no_grad,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    set_grad_enabled,
    stack,
    tensor,
    uint8,
    values_indices,
    where,
    zeros,
    zeros_like,
)
from ._src.transforms.api import grad, jvp, value_and_grad, vjp
from ._src.transforms.batching import vmap
from ._src.transforms.checkpoint import checkpoint
from ._src.transforms.custom_derivatives import custom_jvp, custom_vjp
from ._src.transforms.jacobians import hessian, hvp, jacfwd, jacobian, jacrev
from ._src.transforms.jit import jit
from ._src.transforms.linearize import linearize
from ._src.transforms.stage import trace
from ._src.transforms.transpose import linear_transpose
from .errors import WengertError
from .numpy import stop_gradient
from .random import manual_seed
from .serialization import load, save
from .trace_estimation import divergence, hessian_trace, jacobian_trace

__version__ = "0.1.0"

__all__ = [
    "Program",
    "RemovableHandle",
    "Tensor",
    "WengertError",
    "arange",
    "as_tensor",
    "autograd",
    "bool_",
    "cat",
    "check",
    "checkpoint",
    "concat",
    "concatenate",
    "custom_jvp",
    "custom_vjp",
    "data",
    "datasets",
    "diagnostics",
    "divergence",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "grad",
    "hessian",
    "hessian_trace",
    "hvp",
    "int16",
    "int32",
    "int64",
    "int8",
    "is_grad_enabled",
    "is_tensor",
    "jacfwd",
    "jacobian",
    "jacobian_trace",
    "jacrev",
    "jit",
    "jvp",
    "lax",
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
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "register_pytree_node",
    "save",
    "scalar",
    "scipy",
    "set_grad_enabled",
    "stack",
    "stop_gradient",
    "tensor",
    "trace",
    "trace_estimation",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_unflatten",
    "uint8",
    "value_and_grad",
    "values_indices",
    "vjp",
    "vmap",
    "where",
    "zeros",
    "zeros_like",
]
