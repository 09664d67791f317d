"""HIPS autograd's API on wengert's engine: a drop-in for programs and libraries written for autograd.

``import wengert.compat.autograd as autograd`` (or ``install()``, after which
``import autograd`` gives this package) and autograd code runs unchanged:
``grad``, ``jacobian``, ``make_vjp`` and the other differential operators take
``(fun, argnum=0)`` as autograd's do; ``autograd.numpy`` is ``wengert.numpy``;
primitives defined with ``autograd.extend`` (``primitive``, ``defvjp``,
``defjvp``) are differentiated through their rules, to every order. What differs,
and why, is in docs/autograd_migration.md.

>>> import numpy as np
>>> import wengert.compat.autograd as autograd
>>> import wengert.compat.autograd.numpy as anp
>>> autograd.grad(lambda x: anp.sum(anp.tanh(x)))(np.zeros(2)).tolist()
[1.0, 1.0]
"""

from . import builtins, differential_operators, extend, misc, numpy, scipy, test_util, util, wrap_util
from ._install import install, is_installed, uninstall
from .builtins import dict, isinstance, list, tuple, type
from .differential_operators import (
    checkpoint,
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    jacobian,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)
from .tracer import primitive

__all__ = [
    "builtins",
    "checkpoint",
    "deriv",
    "dict",
    "differential_operators",
    "elementwise_grad",
    "extend",
    "grad",
    "grad_and_aux",
    "grad_named",
    "hessian",
    "hessian_tensor_product",
    "hessian_vector_product",
    "holomorphic_grad",
    "install",
    "is_installed",
    "isinstance",
    "jacobian",
    "list",
    "make_ggnvp",
    "make_hvp",
    "make_jvp",
    "make_vjp",
    "misc",
    "multigrad_dict",
    "numpy",
    "primitive",
    "scipy",
    "tensor_jacobian_product",
    "test_util",
    "tuple",
    "type",
    "uninstall",
    "util",
    "value_and_grad",
    "vector_jacobian_product",
    "wrap_util",
]
