"""``autograd.extend``: what a library needs to add primitives with their own derivatives.

>>> import numpy as np
>>> from wengert.compat.autograd import grad
>>> @primitive
... def cube(x):
...     return x**3
>>> defvjp(cube, lambda ans, x: lambda g: 3 * g * x**2)
>>> defjvp(cube, lambda g, ans, x: 3 * g * x**2)
>>> float(grad(grad(cube))(2.0))  # the rule is differentiated too: 6 x
12.0
"""

from .core import (
    Box,
    SparseObject,
    VSpace,
    def_linear,
    defjvp,
    defjvp_argnum,
    defjvp_argnums,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    notrace_primitive,
    primitive,
    register_notrace,
    vspace,
)

__all__ = [
    "Box",
    "SparseObject",
    "VSpace",
    "def_linear",
    "defjvp",
    "defjvp_argnum",
    "defjvp_argnums",
    "defvjp",
    "defvjp_argnum",
    "defvjp_argnums",
    "notrace_primitive",
    "primitive",
    "register_notrace",
    "vspace",
]
