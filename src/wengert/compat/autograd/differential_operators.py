"""autograd's differential operators, with its names, signatures and result shapes, on wengert's transforms.

Each operator takes ``(fun, argnum=0)`` and returns a function of ``fun``'s
arguments; ``argnum`` picks the differentiated argument (a tuple of positions
differentiates them together, as one tuple). ``make_vjp`` returns ``(vjp, value)``
in autograd's order, and ``jacobian`` has shape ``out.shape + in.shape``.
"""

from __future__ import annotations

import inspect
import warnings
from collections import OrderedDict
from collections.abc import Callable

import numpy as _np

import wengert
import wengert.numpy as wnp
from wengert._src.core.pytree import tree_flatten
from wengert.errors import ArgumentError, DtypeError, ShapeError

from .core import make_jvp as _make_jvp
from .core import make_vjp as _make_vjp
from .core import vspace
from .tracer import Box
from .wrap_util import unary_to_nary

__all__ = [
    "checkpoint",
    "deriv",
    "elementwise_grad",
    "grad",
    "grad_and_aux",
    "grad_named",
    "hessian",
    "hessian_tensor_product",
    "hessian_vector_product",
    "holomorphic_grad",
    "jacobian",
    "make_ggnvp",
    "make_hvp",
    "make_jvp",
    "make_jvp_reversemode",
    "make_vjp",
    "multigrad_dict",
    "tensor_jacobian_product",
    "value_and_grad",
    "vector_jacobian_product",
]

make_vjp = unary_to_nary(_make_vjp)
make_vjp.__doc__ = (
    "``make_vjp(fun, argnum=0)(*args) -> (vjp, fun(*args))``; ``vjp(g)`` is the cotangent of the argument."
)
make_jvp = unary_to_nary(_make_jvp)
make_jvp.__doc__ = "``make_jvp(fun, argnum=0)(*args) -> jvp``; ``jvp(v)`` is ``(fun(*args), J v)``, in forward mode."


def _vjp(fun: Callable, x):
    """``wengert.vjp(fun, x)``; through :func:`.core.make_vjp` when ``x`` holds a value of a program's own
    vector space (registered with ``Box.register``), which wengert's transforms do not take."""
    if Box.type_mappings and any(type(leaf) in Box.type_mappings for leaf in tree_flatten(x)[0]):
        vjp, ans = _make_vjp(fun, x)
        return ans, lambda g: (vjp(g),)
    return wengert.vjp(fun, x)


def _ones_like(value):
    return wnp.ones(wnp.shape(value), wnp.result_type(value))


def _real_output(ans, operator: str) -> None:
    if _np.iscomplexobj(ans):
        raise DtypeError(
            f"{operator} only applies to real scalar-output functions, but the function returned a complex value "
            f"(dtype {wnp.result_type(ans)}), as in autograd. Take holomorphic_grad of a holomorphic function, the "
            "gradient of its real part (grad(lambda z: np.real(f(z)))), or make_vjp for a complex cotangent."
        )


def _scalar_output(ans, operator: str) -> None:
    _real_output(ans, operator)
    if int(_np.prod(wnp.shape(ans), dtype=int)) != 1:
        raise ShapeError(
            f"{operator} only applies to real scalar-output functions, but the function returned shape "
            f"{wnp.shape(ans)}. Try jacobian, elementwise_grad or holomorphic_grad."
        )


@unary_to_nary
def grad(fun: Callable, x):
    """The gradient of a scalar-valued ``fun`` (an output of size 1) with respect to argument ``argnum``.

    >>> import wengert.compat.autograd.numpy as np
    >>> float(grad(lambda x, y: np.sin(x) * y, 1)(0.5, 2.0)) == float(np.sin(0.5))
    True
    """
    ans, pullback = _vjp(fun, x)
    _scalar_output(ans, "grad")
    return pullback(_ones_like(ans))[0]


@unary_to_nary
def elementwise_grad(fun: Callable, x):
    """The sum of the Jacobian's rows in one reverse pass: the diagonal of the Jacobian when that is diagonal."""
    ans, pullback = _vjp(fun, x)
    _real_output(ans, "elementwise_grad")
    return pullback(_ones_like(ans))[0]


@unary_to_nary
def deriv(fun: Callable, x):
    """The derivative along all ones, in forward mode: ``J @ ones``, which is ``f'(x)`` for a scalar ``x``."""
    return _make_jvp(fun, x)(_ones_like(x))[1]


@unary_to_nary
def jacobian(fun: Callable, x):
    """The Jacobian, of shape ``out.shape + in.shape``, by one reverse pass per output element (as autograd).

    The argument must be an array or a number. The pullbacks are themselves
    differentiable, so ``jacobian(jacobian(f))`` is the Hessian.
    """
    vjp, ans = _make_vjp(fun, x)
    out_shape, in_shape = wnp.shape(ans), wnp.shape(x)
    dtype = wnp.result_type(ans)
    rows = [vjp(basis.astype(dtype)) for basis in _standard_basis(out_shape)]
    if not rows:
        return wnp.zeros(out_shape + in_shape, wnp.result_type(x))
    return wnp.reshape(wnp.stack(rows), out_shape + in_shape)


def _standard_basis(shape: tuple):
    for index in _np.ndindex(*shape):
        vector = _np.zeros(shape)
        vector[index] = 1.0
        yield vector


@unary_to_nary
def holomorphic_grad(fun: Callable, x):
    """``f'(z)`` of a holomorphic ``fun`` of complex input: the gradient of its real part, as autograd defines it.

    With the transpose convention (docs/complex.md) the cotangent of ``Re f`` pulled back
    through a holomorphic ``f`` is ``f'(z)``, which is JAX's ``grad(f, holomorphic=True)``.
    A real ``x`` gives autograd's warning that the input is not complex.

    >>> import wengert.compat.autograd.numpy as np
    >>> complex(holomorphic_grad(np.sin)(1.0 + 2.0j)) == complex(np.cos(1.0 + 2.0j))
    True
    """
    if not any(_np.iscomplexobj(leaf) for leaf in tree_flatten(x)[0]):
        warnings.warn("Input to holomorphic_grad is not complex", stacklevel=2)
    return grad(lambda x: wnp.real(fun(x)))(x)


def grad_named(fun: Callable, argname: str) -> Callable:
    """The gradient with respect to the argument named ``argname`` (not ``*args`` or ``**kwargs``)."""
    names = [
        name
        for name, parameter in inspect.signature(fun).parameters.items()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    if argname not in names:
        raise ArgumentError(f"grad_named: {getattr(fun, '__name__', fun)!r} has no positional argument {argname!r}.")
    return grad(fun, names.index(argname))


@unary_to_nary
def hessian(fun: Callable, x):
    """The exact Hessian, ``jacobian(jacobian(fun))``: reverse over reverse, as in autograd."""
    return jacobian(jacobian(fun))(x)


@unary_to_nary
def make_hvp(fun: Callable, x):
    """``(hvp, grad(fun)(x))``: ``hvp(v)`` is the Hessian-vector product, reusing one forward pass."""
    return _make_vjp(grad(fun), x)


def hessian_tensor_product(fun: Callable, argnum: int = 0) -> Callable:
    """``(*args, tensor) -> H tensor``: the Hessian contracted with ``tensor``, without forming it."""
    fun_grad = grad(fun, argnum)

    def vector_dot_grad(*args, **kwargs):
        args, vector = args[:-1], args[-1]
        return wnp.tensordot(fun_grad(*args, **kwargs), vector, wnp.ndim(vector))

    return grad(vector_dot_grad, argnum)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun: Callable, argnum: int = 0) -> Callable:
    """``(*args, tensor) -> tensor . J``: the Jacobian left-multiplied by ``tensor``."""

    def vector_dot_fun(*args, **kwargs):
        args, vector = args[:-1], args[-1]
        return wnp.tensordot(vector, fun(*args, **kwargs), axes=wnp.ndim(vector))

    return jacobian(vector_dot_fun, argnum)


vector_jacobian_product = tensor_jacobian_product


@unary_to_nary
def make_jvp_reversemode(fun: Callable, x):
    """The JVP built from two reverse passes (the VJP of the linear VJP), as autograd offers it."""
    vjp, y = _make_vjp(fun, x)
    vjp_vjp, _ = _make_vjp(vjp, vspace(y).zeros())
    return vjp_vjp


def make_ggnvp(f: Callable, g: Callable | None = None, f_argnum: int = 0) -> Callable:
    """``(*args) -> ggnvp``: products with the generalized Gauss-Newton matrix ``Jᵀ H_g J`` of ``g ∘ f``.

    ``g`` defaults to autograd's ``0.5 * sum(y**2, axis=-1)``.
    """
    if g is None:

        def g(y):
            return 1.0 / 2 * wnp.sum(y**2, axis=-1)

    @unary_to_nary
    def _make_ggnvp(f, x):
        f_vjp, f_x = _make_vjp(f, x)
        g_hvp, grad_g_x = _make_vjp(grad(g), f_x)
        f_jvp, _ = _make_vjp(f_vjp, vspace(grad_g_x).zeros())

        def ggnvp(v):
            return f_vjp(g_hvp(f_jvp(v)))

        return ggnvp

    return _make_ggnvp(f, f_argnum)


@unary_to_nary
def value_and_grad(fun: Callable, x):
    """``(fun(*args), grad)`` in one pass; suitable for ``scipy.optimize.minimize(..., jac=True)``."""
    ans, pullback = _vjp(fun, x)
    _scalar_output(ans, "value_and_grad")
    return ans, pullback(_ones_like(ans))[0]


@unary_to_nary
def grad_and_aux(fun: Callable, x):
    """``(grad, aux)`` for a ``fun`` returning ``(scalar, aux)``: the gradient of the first, the second as is."""

    def pair(x):
        result = fun(x)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise ArgumentError("grad_and_aux: the function must return a pair (value, aux).")
        return tuple(result)

    ans, pullback, aux = wengert.vjp(pair, x, has_aux=True)
    return pullback(_ones_like(ans))[0], aux


def multigrad_dict(fun: Callable) -> Callable:
    """Gradients with respect to every argument at once, as an ``OrderedDict`` from argument name to gradient."""
    signature = inspect.signature(fun)
    parameters = signature.parameters
    var_positional = [name for name, p in parameters.items() if p.kind == p.VAR_POSITIONAL]
    var_keyword = [name for name, p in parameters.items() if p.kind == p.VAR_KEYWORD]
    plain = [name for name in parameters if name not in var_positional + var_keyword]

    def gradfun(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = OrderedDict(bound.arguments)

        def by_name(values: dict):
            positional = tuple(values[name] for name in plain)
            extra = tuple(values[var_positional[0]]) if var_positional else ()
            keywords = dict(values[var_keyword[0]]) if var_keyword else {}
            return fun(*(positional + extra), **keywords)

        gradients = grad(by_name)(dict(arguments))
        return OrderedDict((name, gradients[name]) for name in arguments)

    return gradfun


def checkpoint(fun: Callable) -> Callable:
    """``fun`` with its intermediate values recomputed in the backward pass, not stored (``wengert.checkpoint``)."""
    return wengert.checkpoint(fun)
