"""Transforms over Dask arrays: ``grad``, ``value_and_grad``, ``jvp`` and ``jit`` run chunk by chunk on the workers.

When an argument of ``value_and_grad(loss)(w, X, y)`` (or of ``grad``, ``jvp``, ``jit``) is a Dask
array, the transform's entry hands the call here. The Dask arguments are aligned on their rows
(axis 0; each chunk holds whole rows), and the function's program is read once
(:mod:`.example_sums`) to learn what each output is: a sum or mean over the examples, per-example
rows, or a value of the parameters alone; a function that is none of these is refused before
anything runs. Then one task per chunk runs the same transform, with wengert, on that chunk (a
NumPy array on a worker) and scales its results by the chunk's weight, and a tree of additions
reduces them (rows are concatenated instead). The results are Dask arrays: nothing is computed
until the caller asks (``dask.compute(value, grad)`` computes both in one pass).

What travels to the workers: the function (pickled once, a task of its own) and the NumPy
arguments (the parameters, likewise); the data stays where the Dask array's chunks are made (read
from disk or Zarr by the worker that needs them). What comes back: one value and one gradient
per chunk, reduced on the workers, so the client receives one of each.

Dask is imported only here, and only when a Dask array is passed: it is not a dependency of wengert.
"""

from __future__ import annotations

import functools
import sys
import weakref
from collections.abc import Callable

from wengert.errors import TracerError, TransformError

from ..backend import xp
from ..core.pytree import tree_flatten, tree_unflatten
from ..transforms.stage import stage
from .example_sums import AFFINE, PARAMS, ROW_COUNTS, ROWS, SUM, ZERO, NotASumOverExamples, Role, output_roles

SPLIT_EVERY = 8
"""How many partial results one task of the reduction tree adds."""


def dask_arrays_in(tree) -> bool:
    """Whether a leaf of ``tree`` is a Dask array (False at once if Dask was never imported)."""
    return "dask.array" in sys.modules and any_dask_array(tree_flatten(tree)[0])


def any_dask_array(leaves: list) -> bool:
    """Whether one of ``leaves`` is a Dask array (False at once if Dask was never imported)."""
    array_module = sys.modules.get("dask.array")
    return array_module is not None and any(isinstance(leaf, array_module.Array) for leaf in leaves)


# --- the transforms' Dask forms ---------------------------------------------------------------------------


def value_and_grad(
    value_and_grad_transform: Callable,
    fun: Callable,
    argnums,
    has_aux: bool,
    positions: tuple,
    args: tuple,
    kwargs: dict,
):
    """``value_and_grad(fun, argnums, has_aux)(*args, **kwargs)`` with Dask arrays among ``args``, as Dask arrays.

    The value is the full-data value; each gradient leaf of a NumPy argument combines like the value
    (it is the derivative of that value), each of a Dask argument is the per-chunk gradient, scaled
    alike, in the argument's chunks.
    """
    call = _ChunkedCall((args, kwargs), "grad")
    roles = call.roles(lambda a, k: fun(*a, **k), "value_and_grad", fun)
    value_role = roles[0]
    chosen = tuple(args[p] for p in positions)
    chosen_leaves, chosen_tree = tree_flatten(chosen)
    grad_roles = [Role(ROWS, 0, _row_power(value_role)) if _is_dask(leaf) else value_role for leaf in chosen_leaves]
    grad_specs = [(_leaf_shape(leaf), _float_dtype(leaf)) for leaf in chosen_leaves]
    grads_tree = chosen_tree if not isinstance(argnums, int) else tree_flatten(chosen[0])[1]
    chunk_fun = functools.partial(_value_and_grad_of_chunk, value_and_grad_transform, fun, argnums, has_aux)
    results = call.run(chunk_fun, roles + grad_roles, call.specs(roles) + grad_specs)
    value = tree_unflatten(call.out_tree, results[: len(roles)])
    return value, tree_unflatten(grads_tree, results[len(roles) :])


def jvp(jvp_transform: Callable, fun: Callable, primals, tangents, has_aux: bool):
    """``jvp(fun, primals, tangents, has_aux)`` with Dask arrays among the primals: outputs and tangents as Dask
    arrays, each tangent combined like its output (the tangent is linear in the output's sums)."""
    primal_leaves, primal_tree = tree_flatten(tuple(primals))
    tangent_leaves, tangent_tree = tree_flatten(tuple(tangents))
    if primal_tree != tangent_tree:
        raise TransformError(f"jvp: primals {primal_tree} and tangents {tangent_tree} differ in structure")
    tangent_leaves = [_as_dask_like(t, p) if _is_dask(p) else t for p, t in zip(primal_leaves, tangent_leaves)]
    tangents = tree_unflatten(tangent_tree, tangent_leaves)
    call = _ChunkedCall(((tuple(primals), tangents), {}), "jvp")
    roles = call.roles(lambda a, k: fun(*a[0]), "jvp", fun)
    n_out = len(roles) if not has_aux else len(tree_flatten(tree_unflatten(call.out_tree, roles)[0])[0])
    out_roles, aux_roles = roles[:n_out], roles[n_out:]
    specs = call.specs(roles)
    chunk_fun = functools.partial(_jvp_of_chunk, jvp_transform, fun, has_aux)
    results = call.run(chunk_fun, out_roles + out_roles + aux_roles, specs[:n_out] + specs[:n_out] + specs[n_out:])
    out_tree = tree_unflatten(call.out_tree, roles)
    out_tree = tree_flatten(out_tree[0] if has_aux else out_tree)[1]
    primals_out = tree_unflatten(out_tree, results[:n_out])
    tangents_out = tree_unflatten(out_tree, results[n_out : 2 * n_out])
    if has_aux:
        aux_tree = tree_flatten(tree_unflatten(call.out_tree, roles)[1])[1]
        return primals_out, tangents_out, tree_unflatten(aux_tree, results[2 * n_out :])
    return primals_out, tangents_out


def jit(jit_transform: Callable, fun: Callable, static_argnums, static_argnames, args: tuple, kwargs: dict):
    """``jit(fun)(*args, **kwargs)`` with Dask arrays among ``args``: each chunk runs the compiled function (staged
    and compiled once per worker process), and the outputs combine by what they are."""
    call = _ChunkedCall((args, kwargs), "jit")
    roles = call.roles(lambda a, k: fun(*a, **k), "jit", fun)
    chunk_fun = functools.partial(_jit_of_chunk, jit_transform, fun, tuple(static_argnums), tuple(static_argnames))
    return tree_unflatten(call.out_tree, call.run(chunk_fun, roles, call.specs(roles)))


# --- what one chunk's task runs (on a worker) ----------------------------------------------------------------


def _value_and_grad_of_chunk(transform, fun, argnums, has_aux, args, kwargs):
    return transform(fun, argnums, has_aux)(*args, **kwargs)


def _jvp_of_chunk(transform, fun, has_aux, args, kwargs):
    primals, tangents = args
    return transform(fun, primals, tangents, has_aux)


_JITTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""On a worker: the jitted form of each function it has been sent, so each chunk reuses one compilation."""


def _jit_of_chunk(transform, fun, static_argnums, static_argnames, args, kwargs):
    jitted = _JITTED.get(fun)
    if jitted is None:
        jitted = _JITTED[fun] = transform(fun, static_argnums=static_argnums, static_argnames=static_argnames)
    return jitted(*args, **kwargs)


def _run_chunk(chunk_fun, params: list, tree, data_positions: tuple, weights: tuple, *data):
    """One chunk's results: ``chunk_fun`` on the arguments rebuilt with this chunk's rows, each leaf weighted."""
    leaves = list(params)
    for position, block in zip(data_positions, data):
        leaves[position] = block
    args, kwargs = tree_unflatten(tree, leaves)
    out = tree_flatten(chunk_fun(args, kwargs))[0]
    scaled = [leaf if weight == 1 else leaf * weight for leaf, weight in zip(out, weights)]
    for leaf, weight in zip(scaled, weights):
        if weight < 0 and not bool(xp.all(xp.isfinite(leaf))):
            raise TransformError(
                "the loss is a sum over the examples plus a term of the parameters alone, which wengert reads by "
                "running it on zero examples; that gave a non-finite value. Make the function defined on an empty "
                "chunk (no mean over the examples), or add the parameters' term outside the differentiated loss."
            )
    return scaled


def _add_results(reduced: tuple, *parts):
    """The sum of ``parts`` (lists of leaves) at the positions ``reduced``; None elsewhere."""
    total = [None] * len(parts[0])
    for i in reduced:
        total[i] = functools.reduce(lambda a, b: a + b, (part[i] for part in parts))
    return total


# --- aligning the Dask arguments, and building the graph ---------------------------------------------------


class _ChunkedCall:
    """The arguments of one call with their Dask arrays aligned in row chunks, and the graph over those chunks."""

    def __init__(self, arguments: tuple, transform: str):
        import dask.array as da

        self.transform = transform
        self.leaves, self.tree = tree_flatten(arguments)
        self.data_positions = tuple(i for i, leaf in enumerate(self.leaves) if isinstance(leaf, da.Array))
        data = [self.leaves[i] for i in self.data_positions]
        for i, x in zip(self.data_positions, data):
            if x.ndim == 0 or any(isinstance(c, float) for c in x.chunks[0]):
                raise TransformError(
                    f"{transform}: Dask argument leaf {i} has shape {x.shape} and chunks {x.chunks}; wengert splits "
                    "Dask arrays along their first axis (the examples), which must have known chunk sizes "
                    "(call x.compute_chunk_sizes() first)."
                )
        rows = {x.shape[0] for x in data}
        if len(rows) > 1:
            raise TransformError(
                f"{transform}: the Dask arguments hold different numbers of rows ({sorted(rows)}); every Dask argument "
                "must hold one row per example (the same first axis), as X and y do."
            )
        self.rows = data[0].shape[0]
        self.row_chunks = data[0].chunks[0]
        self.data = [x.rechunk({0: self.row_chunks, **{a: -1 for a in range(1, x.ndim)}}) for x in data]
        self.chunk_rows = [n for n in self.row_chunks]

    # --- reading the program --------------------------------------------------------------------------
    def roles(self, fun: Callable, transform: str, user_fun: Callable) -> list[Role]:
        """The role of each output leaf of ``fun(args, kwargs)``, read from its programs (cached per signature)."""
        counts = sorted(set(ROW_COUNTS) | {n for n in self.chunk_rows if n > 0})
        key = self._signature(transform, counts)
        cached = _ROLES.get(user_fun, {}).get(key) if key is not None else None
        if cached is not None:
            self.out_tree, self._reference_outvars, roles = cached
            return roles
        array_positions = [i for i, leaf in enumerate(self.leaves) if _is_array(leaf)]

        def of_arrays(*arrays):
            leaves = list(self.leaves)
            for position, array in zip(array_positions, arrays):
                leaves[position] = array
            args, kwargs = tree_unflatten(self.tree, leaves)
            return fun(args, kwargs)

        programs = {}
        for n in counts:
            stand_ins = [self._stand_in(i, n) for i in array_positions]
            try:
                with xp.errstate(all="ignore"):
                    programs[n] = stage(of_arrays, stand_ins, values_visible=False, purpose="dask")
            except TracerError as error:
                raise TransformError(
                    f"{transform} over Dask arrays: the function's operations depend on the values of its arrays "
                    f"({error}). wengert reads the program once and runs it on every chunk, so Python control flow "
                    "may depend on shapes and static arguments only; use wnp.where or wengert.lax.cond instead."
                ) from None
        row_leaves = [i in self.data_positions for i in array_positions]
        try:
            roles = output_roles(programs, row_leaves)
        except NotASumOverExamples as error:
            raise NotASumOverExamples(f"{transform} over Dask arrays: {error}") from None
        roles = [Role(r.kind, r.axis, 0) if r.power == ZERO else r for r in roles]  # zero: any weight serves
        for role in roles:
            _check_combinable(role, transform)
        self.out_tree = programs[ROW_COUNTS[0]].out_tree
        self._reference_outvars = programs[ROW_COUNTS[0]].outvars
        if key is not None:
            _ROLES.setdefault(user_fun, {})[key] = (self.out_tree, self._reference_outvars, roles)
        return roles

    def _stand_in(self, i: int, rows: int):
        leaf = self.leaves[i]
        if i not in self.data_positions:
            return leaf
        return xp.broadcast_to(xp.ones((), leaf.dtype), (rows, *leaf.shape[1:]))

    def _signature(self, transform: str, counts: list):
        parts = []
        for i, leaf in enumerate(self.leaves):
            if i in self.data_positions:
                parts.append(("rows", leaf.shape[1:], leaf.dtype.str))
            elif _is_array(leaf):
                parts.append(("array", xp.shape(leaf), xp.asarray(leaf).dtype.str))
            else:
                parts.append(("static", type(leaf), leaf))
        key = (transform, self.tree, tuple(parts), tuple(counts))
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def specs(self, roles: list[Role]) -> list[tuple]:
        """(shape, dtype) of each output leaf on the full data."""
        specs = []
        for role, var in zip(roles, self._reference_outvars):
            shape = list(var.shape)
            if role.kind == ROWS:
                shape[role.axis] = self.rows
            specs.append((tuple(shape), var.dtype))
        return specs

    # --- the graph ----------------------------------------------------------------------------------
    def run(self, chunk_fun: Callable, roles: list[Role], specs: list[tuple]) -> list:
        """One Dask array per output leaf of ``chunk_fun(args, kwargs)``, combined over the chunks by ``roles``."""
        import dask
        import dask.array as da

        params = [None if i in self.data_positions else leaf for i, leaf in enumerate(self.leaves)]
        shipped_fun = dask.delayed(chunk_fun, pure=True, traverse=False)
        shipped_params = dask.delayed(params, pure=True, traverse=False)
        task = dask.delayed(_run_chunk, pure=True)
        blocks = [x.to_delayed().ravel() for x in self.data]
        chunks = [k for k, n in enumerate(self.chunk_rows) if n > 0]
        results = []
        for k in chunks:
            weights = tuple(_weight(role, self.chunk_rows[k], self.rows) for role in roles)
            data = [b[k] for b in blocks]
            results.append(task(shipped_fun, shipped_params, self.tree, self.data_positions, weights, *data))
        reduced = tuple(i for i, role in enumerate(roles) if role.kind in (SUM, AFFINE))
        parts = list(results)
        if any(role.kind == AFFINE and role.power == 0 for role in roles) and len(chunks) > 1:
            parts.append(self._offset(task, shipped_fun, shipped_params, roles, len(chunks)))
        total = _tree_sum(parts, reduced) if reduced else None
        outputs = []
        for i, (role, (shape, dtype)) in enumerate(zip(roles, specs)):
            if role.kind == ROWS:
                pieces = []
                for k, result in zip(chunks, results):
                    piece_shape = list(shape)
                    piece_shape[role.axis] = self.chunk_rows[k]
                    pieces.append(da.from_delayed(result[i], tuple(piece_shape), dtype=dtype))
                outputs.append(da.concatenate(pieces, axis=role.axis))
            else:
                source = total if i in reduced else results[0]
                outputs.append(da.from_delayed(source[i], shape, dtype=dtype))
        return outputs

    def _offset(self, task, shipped_fun, shipped_params, roles: list[Role], count: int):
        """A sum's term of the parameters alone, counted once per chunk, taken back ``count - 1`` times: the
        function on zero examples (where every sum is zero) weighted ``-(count - 1)``."""
        weights = tuple(-(count - 1) if role.kind == AFFINE else 0 for role in roles)
        empty = [xp.zeros((0, *x.shape[1:]), x.dtype) for x in self.data]
        return task(shipped_fun, shipped_params, self.tree, self.data_positions, weights, *empty)


_ROLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Per user function: its outputs' roles per call signature, so a loop (an optimiser) reads the program once."""


def _tree_sum(parts: list, reduced: tuple):
    import dask

    add = dask.delayed(_add_results, pure=True)
    while len(parts) > 1:
        parts = [add(reduced, *parts[i : i + SPLIT_EVERY]) for i in range(0, len(parts), SPLIT_EVERY)]
    return parts[0]


def _weight(role: Role, chunk_rows: int, rows: int) -> float:
    """The factor a chunk's result is scaled by: ``(N / n_k) ** p`` for sums and rows, one for the parameters'."""
    if role.kind == PARAMS or not role.power:
        return 1
    return (rows / chunk_rows) ** role.power


def _row_power(role: Role) -> int:
    return role.power if role.kind in (SUM, AFFINE) else 0


def _check_combinable(role: Role, transform: str) -> None:
    if (
        role.power is None
        or (role.kind == AFFINE and role.power not in (0, -1))
        or (role.kind == PARAMS and role.power != 0)
    ):
        raise NotASumOverExamples(
            f"{transform} over Dask arrays: an output scales with the number of examples in a way that is neither a "
            "sum nor a mean over them (a literal len(X) in an unusual place, or a sum and a mean added together); "
            "write the loss as one sum or one mean over the examples, plus terms of the parameters alone."
        )


def _is_dask(leaf) -> bool:
    array_module = sys.modules.get("dask.array")
    return array_module is not None and isinstance(leaf, array_module.Array)


def _is_array(leaf) -> bool:
    return isinstance(leaf, (xp.ndarray, xp.generic)) or _is_dask(leaf)


def _leaf_shape(leaf) -> tuple:
    return tuple(leaf.shape) if hasattr(leaf, "shape") else ()


def _float_dtype(leaf):
    dtype = getattr(leaf, "dtype", None)
    return dtype if dtype is not None and dtype.kind == "f" else xp.asarray(leaf).dtype


def _as_dask_like(tangent, primal):
    """A tangent of a Dask primal as a Dask array in the primal's chunks (a NumPy tangent is wrapped, not copied)."""
    import dask.array as da

    if isinstance(tangent, da.Array):
        return tangent.rechunk(primal.chunks)
    return da.from_array(xp.asarray(tangent, dtype=primal.dtype), chunks=primal.chunks)
