"""Jacobians and Hessians: ``jacfwd``, ``jacrev``, ``jacobian``, ``hessian``, ``hvp``.

For ``f: R^n -> R^m`` the Jacobian ``J`` (``m x n``) can be built two ways:

* forward (``jacfwd``): ``J e_j`` for each of the ``n`` input basis vectors, all pushed
  through ONE ``vmap``-ed ``jvp``: one forward pass carrying ``n`` tangents at once;
* reverse (``jacrev``): ``e_i^T J`` for each of the ``m`` output basis vectors, all pulled
  through ONE ``vmap``-ed ``vjp``: one forward pass, then one backward pass carrying ``m``
  cotangents at once.

Forward costs about ``n`` tangent passes, reverse about ``m`` cotangent passes, so
``jacobian(mode="auto")`` takes forward mode when the input has fewer elements than the
output (``n < m``), and reverse mode otherwise (``n >= m``, which includes every gradient).

Results follow JAX: the Jacobian of a pytree output with respect to pytree inputs is a
pytree with the output's structure whose leaves have the structure of the differentiated
argument(s) (a tuple of them when ``argnums`` is a tuple), each leaf of shape
``out_leaf.shape + in_leaf.shape``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from wengert.errors import ArgumentError, DtypeError

from ..backend import dtype_of, is_float_dtype, shape_of, xp
from ..core.primitive import Tracer
from ..core.pytree import tree_flatten, tree_unflatten
from ..core.source_info import user_frame_summary
from ..primitives.indexing import getitem
from ..primitives.structural import reshape
from .api import argnum_positions, argnums_as_tuple, grad, jvp, vjp
from .batching import vmap
from .elimination import jacobian_by_elimination
from .foreign_arrays import foreign_trace_in, hand_over
from .inputs import check_output, split_aux

MODES = ("auto", "forward", "reverse")
"""The ``mode=`` values of :func:`jacobian`."""

METHODS = ("modes", "elimination")
"""The ``method=`` values of :func:`jacobian`."""


def jacfwd(
    fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False
) -> Callable:
    """The Jacobian of ``fun`` by forward mode: every input basis tangent through one vmapped ``jvp``.

    Cheaper than :func:`jacrev` when the differentiated inputs have fewer elements than the
    output. With ``has_aux=True``, ``fun`` returns ``(out, aux)`` and the result is ``(jacobian, aux)``.
    Inputs are real (a complex output of real inputs gives a complex Jacobian); with
    ``holomorphic=True``, inputs and outputs are complex and the result is the complex
    Jacobian ``f'(z)``, as JAX's (docs/complex.md).

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> wengert.jacfwd(lambda x: wnp.sin(x) * 2.0)(np.zeros(2)).tolist()
    [[2.0, 0.0], [0.0, 2.0]]
    """

    def jacfwd_fun(*args, **kwargs):
        foreign = foreign_trace_in(args, kwargs)
        if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
            return hand_over(foreign, jacfwd_fun, *args, **kwargs)
        return _forward(_Problem(fun, args, kwargs, argnums, has_aux, "jacfwd", holomorphic))

    _name(jacfwd_fun, "jacfwd", fun)
    return jacfwd_fun


def jacrev(
    fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False
) -> Callable:
    """The Jacobian of ``fun`` by reverse mode: every output basis cotangent through one vmapped ``vjp``.

    Cheaper than :func:`jacfwd` when the output has fewer elements than the differentiated
    inputs. With ``has_aux=True``, ``fun`` returns ``(out, aux)`` and the result is ``(jacobian, aux)``.
    Inputs and outputs are real; with ``holomorphic=True`` both are complex and the result is
    the complex Jacobian ``f'(z)``, as JAX's (docs/complex.md).

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> wengert.jacrev(lambda x: wnp.sum(x ** 2))(np.array([1.0, 2.0])).tolist()
    [2.0, 4.0]
    """

    def jacrev_fun(*args, **kwargs):
        foreign = foreign_trace_in(args, kwargs)
        if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
            return hand_over(foreign, jacrev_fun, *args, **kwargs)
        problem = _Problem(fun, args, kwargs, argnums, has_aux, "jacrev", holomorphic)
        return _reverse(problem)

    _name(jacrev_fun, "jacrev", fun)
    return jacrev_fun


def _forward(problem: _Problem):
    basis = _basis(problem.in_leaves)

    def pushforward(*tangent_leaves):
        tangents = tree_unflatten(problem.in_tree, tangent_leaves)
        out, tangent_out, aux = jvp(problem.with_aux, problem.chosen, tangents, has_aux=True)
        return tangent_out, out, aux

    tangent_out, out, aux = vmap(pushforward, out_axes=(-1, None, None))(*basis)
    out_leaves, out_tree = tree_flatten(out)
    tangent_leaves = tree_flatten(tangent_out)[0]
    blocks = [
        [_block(t, o, leaf, offset) for leaf, offset in zip(problem.in_leaves, _offsets(problem.in_leaves))]
        for t, o in zip(tangent_leaves, out_leaves)
    ]
    return problem.result(out_tree, blocks, aux)


def _reverse(problem: _Problem, taped=None):
    out, pullback, aux = taped or vjp(problem.with_aux, *problem.chosen, has_aux=True)
    out_leaves, out_tree = tree_flatten(out)

    def pullback_of(*ct_leaves):
        return pullback(tree_unflatten(out_tree, ct_leaves))

    cotangents = vmap(pullback_of)(*_basis(out_leaves))
    ct_leaves = tree_flatten(cotangents)[0]
    blocks = [
        [_row_block(ct, o, leaf, offset) for ct, leaf in zip(ct_leaves, problem.in_leaves)]
        for o, offset in zip(out_leaves, _offsets(out_leaves))
    ]
    return problem.result(out_tree, blocks, aux)


def jacobian(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    mode: str = "auto",
    has_aux: bool = False,
    *,
    holomorphic: bool = False,
    method: str = "modes",
    order="markowitz",
) -> Callable:
    """The Jacobian of ``fun``, by the cheaper mode for its shapes.

    ``mode="auto"`` uses forward mode (:func:`jacfwd`) when the differentiated inputs have
    fewer elements than the output, and reverse mode (:func:`jacrev`) otherwise: forward mode
    costs one tangent per input element, reverse mode one cotangent per output element. To
    know the output's size, the first call with given argument shapes runs ``fun`` on the tape
    (which reverse mode then uses, so nothing is wasted when reverse wins); the choice is
    remembered for the shapes and dtypes of all the arguments, differentiated or not (a
    matrix argument may set the output's size). ``mode="forward"`` or ``"reverse"`` forces
    a mode.

    ``method="elimination"`` accumulates the Jacobian instead by vertex elimination on the
    linearized computational graph (``wengert.elimination``), eliminating the intermediates
    in ``order``: ``"markowitz"`` (the default), ``"lowest_fill"``, ``"optimal"``,
    ``"forward"``, ``"reverse"``, or a list of the graph's intermediates by name.

    Inputs and outputs are real, as for :func:`jacrev`; ``holomorphic=True`` takes the complex
    Jacobian of a holomorphic function (by forward or reverse mode, not by elimination).

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> wengert.jacobian(lambda x: wnp.outer(x, x).ravel())(np.array([1.0, 2.0])).shape
    (4, 2)
    >>> wengert.jacobian(lambda x: wnp.sin(x) * 2.0, method="elimination")(np.zeros(2)).tolist()
    [[2.0, 0.0], [0.0, 2.0]]
    """
    if mode not in MODES:
        raise ArgumentError(f"jacobian: mode={mode!r} is not one of {MODES}")
    if method not in METHODS:
        raise ArgumentError(f"jacobian: method={method!r} is not one of {METHODS}")
    if method == "elimination":
        if holomorphic:
            raise ArgumentError(
                "jacobian: method='elimination' differentiates real inputs; for holomorphic=True use "
                "method='modes' (the default)."
            )
        plans: dict = {}  # the orders planned so far, by graph structure

        def eliminating_fun(*args, **kwargs):
            problem = _Problem(fun, args, kwargs, argnums, has_aux, "jacobian")
            full = list(args)
            for argnum, value in zip(problem.argnums, problem.chosen):
                full[argnum] = value
            staged_for = plans if not kwargs else {}  # keyword arguments are closed over: staged per call
            out_tree, blocks, aux = jacobian_by_elimination(
                problem.with_all_args, tuple(full), problem.argnums, order, staged_for
            )
            return problem.result(out_tree, blocks, aux)

        _name(eliminating_fun, "jacobian", fun)
        return eliminating_fun
    if mode == "forward":
        return jacfwd(fun, argnums, has_aux, holomorphic)
    if mode == "reverse":
        return jacrev(fun, argnums, has_aux, holomorphic)
    chosen_modes: dict = {}

    def jacobian_fun(*args, **kwargs):
        foreign = foreign_trace_in(args, kwargs)
        if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
            return hand_over(foreign, jacobian_fun, *args, **kwargs)
        problem = _Problem(fun, args, kwargs, argnums, has_aux, "jacobian", holomorphic)
        key = _call_signature(args, kwargs)
        mode = chosen_modes.get(key)
        if mode == "forward":
            return _forward(problem)
        if mode == "reverse":
            return _reverse(problem)
        taped = vjp(problem.with_aux, *problem.chosen, has_aux=True)
        out_size = sum(_size(leaf) for leaf in tree_flatten(taped[0])[0])
        chosen_modes[key] = "forward" if problem.in_size < out_size else "reverse"
        if chosen_modes[key] == "forward":
            return _forward(problem)
        return _reverse(problem, taped)

    _name(jacobian_fun, "jacobian", fun)
    return jacobian_fun


def hessian(
    fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False
) -> Callable:
    """The Hessian of a scalar ``fun``, forward over reverse: ``jacfwd(jacrev(fun))``.

    The gradient costs one backward pass; its Jacobian, one forward pass carrying one
    tangent per input element. For one array input of shape ``s`` the result has shape
    ``s + s``; pytrees nest as for :func:`jacfwd` (input structure inside input structure).

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> wengert.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 3.0])).tolist()
    [[6.0, 2.0], [2.0, 0.0]]

    ``holomorphic=True``: the complex second derivative ``f''(z)`` of a holomorphic ``fun``.
    """
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


def hvp(fun: Callable, primals: Sequence, tangents: Sequence):
    """The Hessian-vector product ``H v``: forward mode over the gradient, ``jvp(grad(fun), primals, tangents)``.

    JAX's construction: the derivative, along ``tangents``, of the gradient of the scalar
    ``fun`` with respect to its first argument. ``primals`` and ``tangents`` are tuples, as
    for :func:`wengert.jvp`; for a function of one argument the result is ``H v`` with that
    argument's structure, at the cost of about two gradients and without forming ``H``.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> wengert.hvp(lambda x: wnp.sum(x ** 3), (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),)).tolist()
    [6.0, 0.0]
    """
    return jvp(grad(fun), primals, tangents)[1]


# --- the pieces ---------------------------------------------------------------------------------------------


class _Problem:
    """One call of a Jacobian function: the chosen arguments and how to rebuild the result."""

    def __init__(self, fun, args, kwargs, argnums, has_aux: bool, transform: str, holomorphic: bool = False):
        self.single = isinstance(argnums, int)
        self.argnums = argnum_positions(argnums_as_tuple(argnums, transform), argnums, len(args), transform)
        self.chosen = tuple(args[a] for a in self.argnums)
        self.in_leaves, self.in_tree = tree_flatten(self.chosen)
        for i, leaf in enumerate(self.in_leaves):
            _check_input_dtype(i, dtype_of(leaf), transform, holomorphic)
        self.in_leaves = [x if isinstance(x, Tracer) else xp.asarray(x) for x in self.in_leaves]
        self.chosen = tree_unflatten(self.in_tree, self.in_leaves)
        self.in_size = sum(_size(leaf) for leaf in self.in_leaves)
        self.has_aux = has_aux
        self.transform = transform

        def with_all_args(*full):
            result = fun(*full, **kwargs)
            result, aux = split_aux(result, transform) if has_aux else (result, None)
            leaves = tree_flatten(result)[0]
            check_output(result, leaves, transform)
            _check_output_dtypes(leaves, transform, holomorphic)
            return result, aux

        def with_aux(*chosen):
            full = list(args)
            for argnum, value in zip(self.argnums, chosen):
                full[argnum] = value
            return with_all_args(*full)

        self.with_aux = with_aux
        self.with_all_args = with_all_args

    def result(self, out_tree, blocks: list, aux):
        """The Jacobian pytree: output structure outside, chosen-argument structure inside."""
        rows = []
        for row in blocks:
            inner = tree_unflatten(self.in_tree, row)
            rows.append(inner[0] if self.single else inner)
        jac = tree_unflatten(out_tree, rows)
        return (jac, aux) if self.has_aux else jac


def _check_input_dtype(i: int, dtype, transform: str, holomorphic: bool) -> None:
    """JAX's rule: real floating inputs, or, with ``holomorphic=True``, complex ones."""
    if holomorphic and dtype.kind != "c":
        raise DtypeError(
            f"{transform} with holomorphic=True: input leaf {i} has dtype {dtype}, at {user_frame_summary()}; a "
            "holomorphic Jacobian is taken in complex inputs. Pass it as complex (x + 0j), or drop holomorphic=True."
        )
    if dtype.kind == "c" and not holomorphic:
        raise DtypeError(
            f"{transform}: input leaf {i} is complex (dtype {dtype}), at {user_frame_summary()}; {transform} "
            "differentiates real inputs. For a holomorphic function pass holomorphic=True (the Jacobian is then "
            "f'(z)); for another function of complex inputs use jvp or vjp directly (as JAX; docs/complex.md)."
        )
    if not holomorphic and not is_float_dtype(dtype):
        raise DtypeError(
            f"{transform}: input leaf {i} has dtype {dtype}; only floating-point inputs "
            "have derivatives. Pass floats (1.0 instead of 1), or convert with x.astype(float)."
        )


def _check_output_dtypes(leaves: list, transform: str, holomorphic: bool) -> None:
    """With ``holomorphic=True`` the outputs are complex; ``jacrev`` and ``jacobian`` otherwise take real ones
    (a cotangent pulled back to a real input keeps only the real part of a complex output's derivative)."""
    for i, leaf in enumerate(leaves):
        kind = dtype_of(leaf).kind
        if holomorphic and kind != "c":
            raise DtypeError(
                f"{transform} with holomorphic=True: output leaf {i} has dtype {dtype_of(leaf)}, at "
                f"{user_frame_summary()}; a holomorphic function returns complex values. Drop holomorphic=True."
            )
        if kind == "c" and not holomorphic and transform != "jacfwd":
            raise DtypeError(
                f"{transform}: output leaf {i} is complex (dtype {dtype_of(leaf)}), at {user_frame_summary()}; "
                f"{transform} takes real outputs. For a holomorphic function pass holomorphic=True; for the "
                "Jacobian of a complex output of real inputs use jacfwd; otherwise use vjp directly (as JAX)."
            )


def _call_signature(args: tuple, kwargs: dict) -> tuple:
    """What the output's size may depend on: the shape and dtype of each array argument, the
    value of each int, bool or string (a size, a flag), the structure of each container."""
    positional = tuple(_signature_of(arg) for arg in args)
    return positional if not kwargs else (positional, tuple((k, _signature_of(v)) for k, v in sorted(kwargs.items())))


def _signature_of(value):
    shape = getattr(value, "shape", None)
    if shape is not None:
        return tuple(shape), value.dtype
    if isinstance(value, (int, str)):  # bool is an int
        return type(value), value
    if isinstance(value, (tuple, list, dict)):
        leaves, tree = tree_flatten(value)
        return tree, tuple(_signature_of(leaf) for leaf in leaves)
    return type(value)


def _size(x) -> int:
    """The number of elements of an array, array-like or scalar."""
    return math.prod(shape_of(x))


def _offsets(leaves: list) -> list[int]:
    offsets, total = [], 0
    for leaf in leaves:
        offsets.append(total)
        total += _size(leaf)
    return offsets


def _basis(leaves: list) -> list:
    """The standard basis of the flattened leaves: for leaf ``i``, the batch ``(N,) + shape_i`` whose
    row ``k`` is the ``k``-th basis vector's part in that leaf (``N``: all leaves' elements)."""
    total = sum(_size(leaf) for leaf in leaves)
    identity = xp.eye(total)
    return [
        identity[:, offset : offset + _size(leaf)].reshape((total,) + tuple(shape_of(leaf))).astype(dtype_of(leaf))
        for leaf, offset in zip(leaves, _offsets(leaves))
    ]


def _block(tangents, out, in_leaf, offset: int):
    """d out / d in_leaf, from the tangents of ``out`` along every input basis vector (batch axis last)."""
    n = _size(in_leaf)
    if n != tangents.shape[-1]:
        tangents = getitem(tangents, idx=(Ellipsis, slice(offset, offset + n)))
    return reshape(tangents, shape=tuple(shape_of(out)) + tuple(shape_of(in_leaf)))


def _row_block(cotangents, out, in_leaf, offset: int):
    """d out / d in_leaf, from the cotangents of ``in_leaf`` for every output basis vector (batch axis first)."""
    m = _size(out)
    if m != cotangents.shape[0]:
        cotangents = getitem(cotangents, idx=(slice(offset, offset + m),))
    return reshape(cotangents, shape=tuple(shape_of(out)) + tuple(shape_of(in_leaf)))


def _name(wrapper, transform: str, fun) -> None:
    name = getattr(fun, "__name__", "function")
    wrapper.__name__ = wrapper.__qualname__ = f"{transform}({name})"
    wrapper.__doc__ = getattr(fun, "__doc__", None)
    wrapper.__wrapped__ = fun
