"""Traces of a function's derivatives: ``divergence``, ``jacobian_trace``, ``hessian_trace``, exact or estimated.

The matrix is never formed by hand: its products with a block of vectors are one
``vmap``-ed ``jvp`` (``J V``, forward mode), one ``vmap``-ed ``vjp`` pullback (``Jᵀ V``,
reverse mode) or one ``vmap``-ed ``jvp`` of ``grad`` (``H V``, forward over reverse).
The exact trace multiplies by the whole identity (``n`` products in one pass); the
estimators of :mod:`wengert.trace_estimation` take a budget of products instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import wengert.numpy as wnp
from wengert._src.backend import dtype_of, is_float_dtype, shape_of, xp
from wengert._src.core.primitive import Tracer
from wengert._src.core.pytree import tree_flatten, tree_unflatten
from wengert._src.transforms.api import argnum_positions, argnums_as_tuple, grad, jvp, vjp
from wengert._src.transforms.batching import vmap
from wengert.errors import ArgumentError, DtypeError, ShapeError

from ._estimators import ESTIMATORS, Operator, estimate_trace

METHODS = ("exact", *ESTIMATORS)
"""The ``method=`` values of :func:`divergence`, :func:`jacobian_trace` and :func:`hessian_trace`."""


def divergence(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    method: str = "exact",
    num_matvecs: int | None = None,
    seed=None,
    probes: str | None = None,
) -> Callable:
    """The divergence of the vector field ``fun``, ``div f = sum_i d f_i / d x_i``: the trace of its Jacobian.

    ``fun`` maps its argument(s) ``argnums`` to an output of the same pytree structure and
    shapes (a vector field). ``method="exact"`` (the default) pushes all ``n`` basis vectors
    through one ``vmap``-ed ``jvp`` and returns the trace (a NumPy scalar; a traced value under
    a transform): ``n`` tangent passes, where a scalar's gradient needs one backward pass
    (``docs/traces.md`` says why). Any other method of :data:`METHODS` (``"hutchinson"``,
    ``"hutchpp"``, ``"na_hutchpp"``, ``"xtrace"``, ``"xnystrace"``) spends ``num_matvecs``
    Jacobian-vector products, batched the same way, and returns an
    :class:`~wengert.trace_estimation.Estimate`; ``seed`` and ``probes`` are the estimator's.
    The result differentiates (FFJORD trains through it) and runs under ``jit`` and ``vmap``.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> float(wengert.divergence(lambda x: x ** 2)(np.array([1.0, 2.0, 3.0])))
    12.0
    """
    square = lambda point: point.jacobian_operator(same_structure=True)  # noqa: E731
    return _trace_transform("divergence", fun, argnums, square, method, num_matvecs, seed, probes)


def jacobian_trace(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    method: str = "exact",
    num_matvecs: int | None = None,
    seed=None,
    probes: str | None = None,
) -> Callable:
    """The trace of ``fun``'s Jacobian, with input and output each flattened in pytree order.

    As :func:`divergence`, but the output needs only as many elements as the differentiated
    input, in any shapes and structure (a map of ``(3, 2)`` arrays to ``(6,)`` vectors has a
    square ``6 x 6`` Jacobian); element ``i`` of the flattened output pairs with element ``i``
    of the flattened input.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> float(wengert.jacobian_trace(lambda x: wnp.ravel(x.T) * 2.0)(np.ones((2, 2))))
    4.0
    """
    flattened = lambda point: point.jacobian_operator(same_structure=False)  # noqa: E731
    return _trace_transform("jacobian_trace", fun, argnums, flattened, method, num_matvecs, seed, probes)


def hessian_trace(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    method: str = "exact",
    num_matvecs: int | None = None,
    seed=None,
    probes: str | None = None,
) -> Callable:
    """The trace of the Hessian of the scalar ``fun`` (its Laplacian), by Hessian-vector products.

    Each product ``H v`` is forward mode over reverse mode, ``jvp(grad(fun))``; a block of
    them is one ``vmap``-ed ``jvp`` of the gradient. ``method="exact"`` uses ``n`` of them and
    returns the trace, the estimators ``num_matvecs`` and return an
    :class:`~wengert.trace_estimation.Estimate` (a Hessian is symmetric, so ``"na_hutchpp"``
    needs no transposed products; ``"xnystrace"`` needs it positive semi-definite: convex ``fun``).

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> float(wengert.hessian_trace(lambda x: wnp.sum(x ** 3))(np.array([1.0, 2.0])))
    18.0
    """
    hessian = lambda point: point.hessian_operator()  # noqa: E731
    return _trace_transform("hessian_trace", fun, argnums, hessian, method, num_matvecs, seed, probes)


def _trace_transform(caller: str, fun: Callable, argnums, operator_of: Callable, method, num_matvecs, seed, probes):
    """The function of ``fun``'s arguments that traces the matrix ``operator_of`` builds at them."""
    _check_method(method, num_matvecs, caller)
    argnum_tuple = argnums_as_tuple(argnums, caller)  # refused here, at once, if it names no positions

    def trace_fun(*args, **kwargs):
        point = _Point(fun, args, kwargs, argnums, argnum_tuple, caller)
        return _trace_of(operator_of(point), method, num_matvecs, seed, probes)

    name = getattr(fun, "__name__", "function")
    trace_fun.__name__ = trace_fun.__qualname__ = f"{caller}({name})"
    trace_fun.__wrapped__ = fun
    return trace_fun


def _check_method(method: str, num_matvecs, caller: str) -> None:
    if method not in METHODS:
        raise ArgumentError(f"{caller}: method={method!r} is not one of {METHODS}.")
    if method == "exact" and num_matvecs is not None:
        raise ArgumentError(
            f"{caller}: num_matvecs={num_matvecs} is a budget for an estimator, but method='exact' uses n products "
            "(one per input element); choose an estimator, e.g. method='hutchpp', or leave num_matvecs out."
        )
    if method != "exact" and num_matvecs is None:
        raise ArgumentError(f"{caller}: method={method!r} needs a budget of products: num_matvecs=<int>.")


def _trace_of(op: Operator, method: str, num_matvecs, seed, probes):
    if method == "exact":
        return _diagonal_sum(op.matmat(xp.eye(op.n, dtype=op.dtype)))
    return estimate_trace(op, method, num_matvecs, seed, probes)


def _diagonal_sum(matrix):
    """The trace of the square ``matrix``: NumPy's own on a plain array (``wnp.trace``'s checks cost more than
    the sum at n = 100), ``wnp.trace`` on a traced one."""
    return wnp.trace(matrix) if isinstance(matrix, Tracer) else xp.trace(matrix)


class _Point:
    """One call's differentiated arguments, flattened into one vector ``x``, and ``fun`` as a function of ``x``."""

    def __init__(self, fun: Callable, args: tuple, kwargs: dict, argnums, argnum_tuple: tuple, caller: str):
        self.caller = caller
        positions = argnum_positions(argnum_tuple, argnums, len(args), caller)
        chosen = args[positions[0]] if isinstance(argnums, int) else tuple(args[a] for a in positions)
        leaves, self.tree = tree_flatten(chosen)
        if not leaves:
            raise ArgumentError(f"{caller}: the differentiated argument(s) {argnums} hold no arrays; nothing to trace.")
        for i, leaf in enumerate(leaves):
            if not is_float_dtype(dtype_of(leaf)):
                raise DtypeError(
                    f"{caller}: input leaf {i} has dtype {dtype_of(leaf)}; only floating-point inputs have "
                    "derivatives. Pass floats (1.0 instead of 1), or convert with x.astype(float)."
                )
        leaves = [leaf if isinstance(leaf, Tracer) else xp.asarray(leaf) for leaf in leaves]
        self.shapes = [tuple(shape_of(leaf)) for leaf in leaves]
        self.dtypes = [dtype_of(leaf) for leaf in leaves]
        self.dtype = self.dtypes[0] if len(leaves) == 1 else xp.result_type(*self.dtypes)
        self.x = _ravel(leaves, self.dtype)
        self.n = shape_of(self.x)[0]
        if isinstance(argnums, int) and leaves[0] is chosen and len(self.shapes[0]) == 1:  # one vector: x itself

            def at(flat_x):
                full = list(args)
                full[positions[0]] = flat_x
                return fun(*full, **kwargs)

        else:

            def at(flat_x):
                value = tree_unflatten(self.tree, self._unravel(flat_x))
                full = list(args)
                for position, part in zip(positions, (value,) if isinstance(argnums, int) else value):
                    full[position] = part
                return fun(*full, **kwargs)

        self.at = at

    def _unravel(self, flat_x) -> list:
        """The leaves of the differentiated arguments, cut from the flat vector (itself when it is the one leaf)."""
        if self.shapes == [(self.n,)] and self.dtypes[0] == self.dtype:
            return [flat_x]
        pieces, offset = [], 0
        for shape, dtype in zip(self.shapes, self.dtypes):
            size = math.prod(shape)
            piece = wnp.reshape(flat_x[offset : offset + size], shape)
            pieces.append(piece if dtype == self.dtype else piece.astype(dtype))
            offset += size
        return pieces

    def jacobian_operator(self, same_structure: bool) -> Operator:
        """``J V`` by one vmapped ``jvp``, ``Jᵀ V`` by one vmapped ``vjp`` pullback."""

        def field(flat_x):
            out_leaves, out_tree = tree_flatten(self.at(flat_x))
            self._check_square(out_leaves, out_tree, same_structure)
            return _ravel(out_leaves, self.dtype)

        def product(V):
            return vmap(lambda v: jvp(field, (self.x,), (v,))[1], in_axes=1, out_axes=1)(V)

        def transpose(V):
            pullback = vjp(field, self.x)[1]
            return vmap(lambda u: pullback(u)[0], in_axes=1, out_axes=1)(V)

        return Operator(product, self.n, self.caller, dtype=self.dtype, transpose=transpose)

    def hessian_operator(self) -> Operator:
        """``H V`` by one vmapped ``jvp`` of the gradient (forward over reverse); ``H`` is symmetric."""
        gradient = grad(self.at)

        def product(V):
            return vmap(lambda v: jvp(gradient, (self.x,), (v,))[1], in_axes=1, out_axes=1)(V)

        return Operator(product, self.n, self.caller, dtype=self.dtype, symmetric=True)

    def _check_square(self, out_leaves: list, out_tree, same_structure: bool) -> None:
        out_shapes = [tuple(shape_of(leaf)) for leaf in out_leaves]
        if same_structure and (out_tree != self.tree or out_shapes != self.shapes):
            raise ShapeError(
                f"{self.caller}: the function must map its input to an output of the same structure and shapes (a "
                f"vector field, so that its Jacobian is square); the input is {self.tree} with shapes {self.shapes}, "
                f"the output {out_tree} with shapes {out_shapes}. For a square Jacobian between different shapes use "
                "wengert.jacobian_trace."
            )
        m = sum(math.prod(shape) for shape in out_shapes)
        if m != self.n:
            raise ShapeError(
                f"{self.caller}: the Jacobian is {m} x {self.n} (output elements x input elements), not square, so "
                "it has no trace; the function must return as many elements as its differentiated input has."
            )


def _ravel(leaves: list, dtype):
    """The leaves, flattened and concatenated into one vector of ``dtype``."""
    flat = [leaf if len(shape_of(leaf)) == 1 else wnp.reshape(leaf, (-1,)) for leaf in leaves]
    flat = [piece if dtype_of(piece) == dtype else piece.astype(dtype) for piece in flat]
    return flat[0] if len(flat) == 1 else wnp.concatenate(flat)
