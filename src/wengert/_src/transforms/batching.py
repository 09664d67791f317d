"""vmap: the batching interpreter, which maps a function over an axis of its inputs.

``vmap(f)(xs)`` computes ``stack([f(x) for x in xs])`` without the loop.
Each batched value is a :class:`BatchTracer`: an array that holds the whole
batch, and the position of its batch axis. To the function it looks like one
example (its ``shape`` leaves the batch axis out). Each primitive applied to
one runs its batching rule (``Primitive.batch``), which calls the primitive
once on the whole batch, moving axes where it must:

    f(x_1, ..., x_n)  on a batch  =  batch(f)((x_1, d_1), ..., (x_n, d_n)) -> (y, d_y),

where ``d_i`` is the batch axis of argument ``i`` (``None``: the same value
for every example). The rules are written with wengert's primitives, so
``vmap`` nests with itself and with every other transform: ``vmap(grad(f))``
(per-example gradients), ``grad(vmap(f))``, ``jvp(vmap(f))``, and ``jacfwd``
(one vmapped ``jvp``) and ``jacrev`` (one vmapped ``vjp``) are built on it.

A batched value has no single concrete value: Python control flow on it
(``if x > 0``), ``float(x)`` or passing it to plain NumPy raises a
:class:`~wengert.errors.TracerError` that says to write it with ``wengert.numpy``
operations instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from wengert.errors import ShapeError, TracerError, TransformError

from ..backend import xp
from ..core.primitive import Trace, Tracer, new_trace
from ..core.pytree import tree_flatten, tree_unflatten
from ..core.source_info import user_frame_summary
from ..primitives.structural import broadcast_to, moveaxis, reduce_sum, reshape
from . import diagonal_batches
from .foreign_arrays import foreign_trace_in, hand_over


class BatchTracer(Tracer):
    """A batch of values: ``value`` holds them all along axis ``batch_dim``."""

    __slots__ = ("batch_dim", "value")

    def __init__(self, trace: BatchTrace, value, batch_dim: int):
        self._trace = trace
        self.value = value
        self.batch_dim = batch_dim

    @property
    def shape(self) -> tuple:
        shape = tuple(self.value.shape)
        return shape[: self.batch_dim] + shape[self.batch_dim + 1 :]

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def primal(self):
        raise TracerError(
            f"vmap: a batched value (one example has shape {self.shape}, dtype {self.dtype}) was used "
            f"where one concrete value is needed, at {user_frame_summary()}: each example of the batch "
            "has its own value. Write the branch with wengert.numpy operations (`wnp.where(x > 0, x, 0.0)` "
            "instead of `x if x > 0 else 0.0`), keep bool()/float()/.item() and plain NumPy calls outside "
            "the vmapped function, or pass the value unbatched (in_axes=None)."
        )

    def __repr__(self) -> str:
        return f"BatchTracer(batch axis {self.batch_dim} of {self.value!r}, level={self._trace.level})"


class DiagonalBatch(BatchTracer):
    """A batch whose example ``k`` is ``diagonal.flat[k] e_k``, held as ``diagonal`` (one example's shape).

    The identity basis that ``jacfwd`` and ``jacrev`` map over, and its elementwise scalings
    (:mod:`.diagonal_batches`); ``value``, the dense batch (batch axis 0), is made on first use.
    """

    __slots__ = ("_dense", "diagonal")

    def __init__(self, trace: BatchTrace, diagonal):
        self._trace = trace
        self.diagonal = diagonal
        self.batch_dim = 0
        self._dense = None

    @property
    def value(self):
        if self._dense is None:
            self._dense = diagonal_batches.dense(self.diagonal)
        return self._dense

    @property
    def shape(self) -> tuple:
        return tuple(self.diagonal.shape)

    @property
    def dtype(self):
        return self.diagonal.dtype

    def __repr__(self) -> str:
        return f"DiagonalBatch(diagonal {self.diagonal!r}, level={self._trace.level})"


def batched_input(trace: BatchTrace, value, batch_dim: int) -> BatchTracer:
    """An input of the mapped function: a :class:`DiagonalBatch` for the identity basis, else ``value`` as it is."""
    if diagonal_batches.is_identity_basis(value, batch_dim):
        shape = value.shape[1:] if batch_dim == 0 else value.shape[:1]
        return DiagonalBatch(trace, xp.ones(shape, dtype=value.dtype))
    return BatchTracer(trace, value, batch_dim)


class BatchTrace(Trace):
    """The batching interpreter: runs each primitive's batching rule on whole batches."""

    __slots__ = ("axis_size",)

    def __init__(self, level: int, axis_size: int):
        super().__init__(level)
        self.axis_size = axis_size

    def unbatch(self, arg):
        """``(value, batch axis)`` of an argument; values of other levels are unbatched here."""
        if isinstance(arg, BatchTracer) and arg._trace is self:
            return arg.value, arg.batch_dim
        return arg, None

    def wrap(self, value, dim):
        return value if dim is None else BatchTracer(self, value, dim)

    def process(self, prim, args, params):
        diagonal_rule = diagonal_batches.RULES.get(prim)
        if diagonal_rule is not None:
            out = self.process_diagonal(diagonal_rule, args, params)
            if out is not None:
                return out
        values, dims = zip(*(self.unbatch(arg) for arg in args))
        if prim.batch is None:
            raise TransformError(
                f"vmap: the primitive {prim.name!r} has no batching rule (at {user_frame_summary()}); "
                "declare one with Primitive(..., batch=...), or loop over the batch in Python."
            )
        out, out_dim = prim.batch(list(values), list(dims), **params)
        if prim.multiple_results:
            return tuple(self.wrap(o, d) for o, d in zip(out, out_dim))
        return self.wrap(out, out_dim)

    def process_diagonal(self, rule, args, params):
        """``rule``'s result where every batched argument is a :class:`DiagonalBatch`, else ``None``."""
        values, diagonal = [], []
        for arg in args:
            batched = isinstance(arg, BatchTracer) and arg._trace is self
            if batched and arg.__class__ is not DiagonalBatch:
                return None
            values.append(arg.diagonal if batched else arg)
            diagonal.append(batched)
        result = rule(values, diagonal, **params)
        if result is None:
            return None
        out, dim = result
        return DiagonalBatch(self, out) if dim is diagonal_batches.DIAGONAL else self.wrap(out, dim)

    def process_custom_jvp(self, custom, args):
        """Re-bind the custom function with its function and its rule both vmapped.

        The transforms below then see a custom function of whole batches whose JVP is the
        batched rule, so ``grad(vmap(f))`` of a ``custom_jvp`` function still uses the rule.
        The rule is mapped over the batched ``nondiff_argnums`` arguments too: each example's
        rule sees its own value of them.
        """
        from .custom_derivatives import custom_jvp

        call = _CustomCall(self, custom, args)

        def batched_jvp(*nondiff_and_pair):
            *nondiff, primals, tangents = nondiff_and_pair
            return call.mapped(
                lambda n, p, t: custom.jvp(*n, p, t),
                (tuple(nondiff), primals, tangents),
                call.nondiff_dims + call.diff_dims + call.diff_dims,
            )

        rebound = custom_jvp(call.batched(custom.fun), nondiff_argnums=custom.nondiff_argnums)
        rebound.defjvp(batched_jvp)
        return call.batched_output(rebound(*call.values))

    def process_custom_vjp(self, custom, args):
        """Re-bind the custom function with its function, ``fwd`` and ``bwd`` vmapped.

        ``bwd`` of the batch returns each input's cotangent with that input's batch axis; the
        cotangent of an unbatched input, shared by every example, is summed over the batch.
        """
        from .custom_derivatives import custom_vjp

        call = _CustomCall(self, custom, args)

        def batched_bwd(*nondiff_and_pair):
            *nondiff, residuals, cotangent = nondiff_and_pair
            pair = (residuals, cotangent)
            cts = call.mapped(lambda r, g: tuple(custom.bwd(*nondiff, r, g)), pair, None)
            return call.cotangents_to_inputs(cts)

        rebound = custom_vjp(call.batched(custom.fun), nondiff_argnums=custom.nondiff_argnums)
        rebound.defvjp(call.batched(custom.fwd), batched_bwd)
        return call.batched_output(rebound(*call.values))


class _CustomCall:
    """A custom function's call under ``vmap``: whole-batch argument values and their batch axes."""

    def __init__(self, trace: BatchTrace, custom, args: tuple):
        self.trace = trace
        self.name = getattr(custom, "__name__", "custom")
        leaves, self.args_tree = tree_flatten(tuple(args))
        unbatched = [trace.unbatch(leaf) for leaf in leaves]
        self.values = tree_unflatten(self.args_tree, [v for v, _ in unbatched])
        self.dims = [d for _, d in unbatched]
        diff_args = [a for i, a in enumerate(args) if i not in custom.nondiff_argnums]
        self.arg_dims = [[trace.unbatch(leaf)[1] for leaf in tree_flatten(a)[0]] for a in diff_args]
        self.diff_dims = [d for dims in self.arg_dims for d in dims]
        self.nondiff_dims = [
            trace.unbatch(leaf)[1] for i in custom.nondiff_argnums for leaf in tree_flatten(args[i])[0]
        ]

    def mapped(self, fun: Callable, args: tuple, dims: list | None):
        """``fun(*args)`` mapped over ``dims`` of ``args``' leaves (``None``: axis 0 of every leaf)."""
        leaves, tree = tree_flatten(tuple(args))
        dims = [0] * len(leaves) if dims is None else dims
        return _batched_call(fun, tree, leaves, dims, self.trace.axis_size)

    def batched(self, fun: Callable) -> Callable:
        """``fun`` of the call's arguments, mapped over their batch axes (outputs batched on axis 0)."""

        def batched_fun(*values):
            return _batched_call(fun, self.args_tree, tree_flatten(tuple(values))[0], self.dims, self.trace.axis_size)

        batched_fun.__name__ = batched_fun.__qualname__ = f"vmap({self.name})"
        return batched_fun

    def batched_output(self, out):
        leaves, tree = tree_flatten(out)
        return tree_unflatten(tree, [BatchTracer(self.trace, leaf, 0) for leaf in leaves])

    def cotangents_to_inputs(self, cotangents: tuple) -> tuple:
        """Cotangents of the batch (batch axis 0), one per argument, laid out like the arguments."""
        placed = []
        for ct, dims in zip(cotangents, self.arg_dims):
            if ct is None:
                placed.append(None)
                continue
            leaves, tree = tree_flatten(ct)
            leaves = [
                reduce_sum(leaf, axis=(0,), keepdims=False) if d is None else moveaxis(leaf, 0, d)
                for leaf, d in zip(leaves, dims)
            ]
            placed.append(tree_unflatten(tree, leaves))
        return tuple(placed)


def _batched_call(fun: Callable, args_tree, leaves: list, dims: list, size: int):
    """``fun(*args)`` for the argument tuple ``args_tree`` of ``leaves``, mapped over ``dims``;
    every output leaf comes back batched along axis 0."""
    with new_trace(BatchTrace, size) as trace:
        tracers = [leaf if d is None else BatchTracer(trace, leaf, d) for leaf, d in zip(leaves, dims)]
        out = fun(*tree_unflatten(args_tree, tracers))
        out_leaves, out_tree = tree_flatten(out)
        results = [_to_out_axis(trace, o, 0, size, "the custom rule's output") for o in out_leaves]
    return tree_unflatten(out_tree, results)


# --- the public transform ------------------------------------------------------------------------------


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_size: int | None = None) -> Callable:
    """Map ``fun`` over an axis of its inputs: ``vmap(f)(xs)[i] == f(xs[i])``, with no Python loop.

    Args:
        fun: the function of one example; its inputs and outputs are pytrees of arrays.
        in_axes: which axis of each input is the batch axis, as in JAX: an int for every
            input, ``None`` for an input shared by every example (not mapped), or a tuple
            with one entry per positional argument, each an int, ``None`` or a pytree of them
            matching that argument (a prefix of its structure). Negative axes count from the end.
            Keyword arguments are mapped over their axis 0.
        out_axes: where the batch axis goes in each output (same forms, matched against
            the output); ``None`` for an output that must not depend on the batch.
        axis_size: the batch size, needed only when no input is mapped.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> wengert.vmap(lambda x: wnp.sum(x * x))(np.arange(6.0).reshape(3, 2)).tolist()
    [1.0, 13.0, 41.0]
    >>> wengert.vmap(lambda a, b: a @ b, in_axes=(None, 0))(np.eye(2), np.ones((4, 2))).shape
    (4, 2)
    """
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")

    @functools.wraps(fun)
    def vmapped(*args, **kwargs):
        if isinstance(in_axes, (tuple, list)) and len(in_axes) != len(args):
            raise TransformError(
                f"vmap: in_axes has {len(in_axes)} entries but the function was called with {len(args)} "
                "positional arguments; give one entry (an int, None or a pytree of them) per argument."
            )
        foreign = foreign_trace_in(args, kwargs)
        if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
            return hand_over(foreign, vmapped, *args, **kwargs)
        per_arg = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
        leaves, dims, names = [], [], []
        for i, (arg, prefix) in enumerate(zip(args, per_arg)):
            _add_leaves(arg, prefix, f"argument {i}", leaves, dims, names)
        for key in sorted(kwargs):
            _add_leaves(kwargs[key], 0, f"keyword argument {key!r}", leaves, dims, names)
        size = _batch_size(leaves, dims, names, axis_size)
        n_args = len(tree_flatten(tuple(args))[0])
        _, args_tree = tree_flatten(tuple(args))
        kwargs_tree = tree_flatten({k: kwargs[k] for k in sorted(kwargs)})[1]
        with new_trace(BatchTrace, size) as trace:
            tracers = [leaf if d is None else batched_input(trace, leaf, d) for leaf, d in zip(leaves, dims)]
            call_args = tree_unflatten(args_tree, tracers[:n_args])
            call_kwargs = tree_unflatten(kwargs_tree, tracers[n_args:])
            out = fun(*call_args, **call_kwargs)
            out_leaves, out_tree = tree_flatten(out)
            axes = _prefix_leaves(out_axes, out, "out_axes", "the output")
            results = [
                _to_out_axis(trace, leaf, axis, size, f"output leaf {i}")
                for i, (leaf, axis) in enumerate(zip(out_leaves, axes))
            ]
        return tree_unflatten(out_tree, results)

    vmapped.__name__ = vmapped.__qualname__ = f"vmap({getattr(fun, '__name__', 'function')})"
    return vmapped


def _check_axes_spec(spec, what: str) -> None:
    for leaf in tree_flatten(spec)[0]:  # None is an empty container to tree_flatten: it has no leaves
        if isinstance(leaf, bool) or not isinstance(leaf, (int, xp.integer)):
            raise TransformError(
                f"vmap: {what} must be an int, None, or a tuple/pytree of them, but contains {leaf!r}."
            )


def _prefix_leaves(prefix, tree, what: str, where: str) -> list:
    """One axis (int or None) per leaf of ``tree``, from ``prefix``: a pytree prefix of ``tree``.

    An int or ``None`` applies to the whole subtree it stands for; tuples, lists and dicts
    must match ``tree``'s containers there (dicts by keys, in the sorted order of flattening).
    """
    if prefix is None or isinstance(prefix, (int, xp.integer)):
        return [None if prefix is None else int(prefix)] * len(tree_flatten(tree)[0])
    if isinstance(prefix, (tuple, list)) and isinstance(tree, (tuple, list)) and len(prefix) == len(tree):
        return [axis for p, t in zip(prefix, tree) for axis in _prefix_leaves(p, t, what, where)]
    if isinstance(prefix, dict) and isinstance(tree, dict) and set(prefix) == set(tree):
        return [axis for key in sorted(tree) for axis in _prefix_leaves(prefix[key], tree[key], what, where)]
    raise TransformError(
        f"vmap: {what} {prefix!r} does not match the structure of {where} "
        f"({tree_flatten(tree)[1]}); give an int or None for the whole of it, or a container "
        "of the same kind and length (same keys for a dict)."
    )


def _add_leaves(arg, prefix, name: str, leaves: list, dims: list, names: list) -> None:
    arg_leaves = tree_flatten(arg)[0]
    for j, (leaf, axis) in enumerate(zip(arg_leaves, _prefix_leaves(prefix, arg, "in_axes", name))):
        where = name if len(arg_leaves) == 1 else f"{name} (leaf {j})"
        if axis is not None:
            if not isinstance(leaf, Tracer):
                leaf = xp.asarray(leaf)
            ndim = len(leaf.shape)
            if not -ndim <= axis < ndim:
                raise ShapeError(
                    f"vmap: in_axes={axis} for {where}, of shape {tuple(leaf.shape)}, is out of range: "
                    f"it has {ndim} axes. Use an axis in [{-ndim}, {ndim}) or None (not mapped)."
                )
            axis %= ndim
        leaves.append(leaf)
        dims.append(axis)
        names.append(where)


def _batch_size(leaves: list, dims: list, names: list, axis_size: int | None) -> int:
    sizes = {name: leaf.shape[d] for leaf, d, name in zip(leaves, dims, names) if d is not None}
    if not sizes:
        if axis_size is None:
            raise TransformError(
                "vmap: no input is mapped (in_axes is None for every argument), so the batch size is "
                "unknown; map an input (in_axes=0) or pass axis_size=N."
            )
        return int(axis_size)
    distinct = set(sizes.values())
    if axis_size is not None:
        distinct.add(int(axis_size))
    if len(distinct) > 1:
        listed = ", ".join(f"{name} has {size}" for name, size in sizes.items())
        extra = f" and axis_size={axis_size}" if axis_size is not None else ""
        raise ShapeError(
            f"vmap: the mapped axes have different sizes: {listed}{extra}. Every mapped axis must have "
            "the batch size; fix in_axes, or pass an input shared by every example with in_axes=None."
        )
    return distinct.pop()


def _to_out_axis(trace: BatchTrace, value, axis, size: int, where: str):
    """An output of the mapped function with its batch axis at ``axis`` (broadcast if unbatched)."""
    if isinstance(value, BatchTracer) and value._trace is trace:
        if axis is None:
            raise TransformError(
                f"vmap: out_axes is None for {where}, but it depends on the mapped inputs (it differs "
                "between examples); give it an out_axes int, or return a value shared by every example."
            )
        value, dim = value.value, value.batch_dim
        return moveaxis(value, dim, _out_axis(axis, len(value.shape), where))
    if axis is None:
        return value
    if not isinstance(value, Tracer):
        value = xp.asarray(value)
    shape = tuple(value.shape)
    axis = _out_axis(axis, len(shape) + 1, where)
    expanded = reshape(value, shape=shape[:axis] + (1,) + shape[axis:])
    return broadcast_to(expanded, shape=shape[:axis] + (size,) + shape[axis:])


def _out_axis(axis: int, ndim: int, where: str) -> int:
    if not -ndim <= axis < ndim:
        raise ShapeError(
            f"vmap: out_axes={axis} for {where} is out of range for a batched result of {ndim} axes; "
            f"use an axis in [{-ndim}, {ndim})."
        )
    return axis % ndim
