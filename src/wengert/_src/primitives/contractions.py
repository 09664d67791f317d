"""Contractions: ``matmul`` (NumPy's semantics, batched), ``tensordot`` and ``einsum``.

``dot``, ``inner``, ``outer``, ``trace`` and friends are written with these
in ``wengert.numpy``. For ``C = A @ B``: ``Ā = C̄ Bᵀ`` and ``B̄ = Aᵀ C̄``,
summed over broadcast batch axes; ``tensordot``'s rules are the same
products over its paired axes.
"""

import functools
import math
from typing import NamedTuple

from ..backend import xp
from ..core.primitive import Primitive
from .rules import BY_VJP, EveryArgument, Multilinear, PerPosition
from .structural import astype, batch_first, broadcast_to, rank_of, reshape, transpose, unbroadcast


def _matmul_batch(args, dims):
    """Batch ``a @ b``: batch axes first and ranks aligned, so the batch axis is a leading stack axis.

    Where one operand is one matrix for the whole batch, the batch folds into the other's rows
    (``X B``) or columns (``A X``): one matrix product, not a stack of small ones (the identity basis
    that ``jacfwd`` and ``jacrev`` map over needs none: ``transforms/diagonal_batches.py``).

    A batched 1-D operand cannot stay 1-D (its batch axis would become a matrix axis), so it
    is made a row (``a``) or column (``b``) matrix, and that axis is dropped from the result.
    """
    (a, b), (a_dim, b_dim) = args, dims
    a_vector = a_dim is not None and rank_of(a) == 2
    b_vector = b_dim is not None and rank_of(b) == 2
    if b_vector and a_dim is None and rank_of(a) <= 2:  # A @ v_i for a batch of v_i: one product V Aᵀ, not B of A v_i
        return matmul(batch_first(b, b_dim), a if rank_of(a) == 1 else transpose(a, axes=(1, 0))), 0
    if a_vector and b_dim is None and rank_of(b) <= 2:  # v_i @ B for a batch of v_i: one product V B
        return matmul(batch_first(a, a_dim), b), 0
    if not (a_vector or b_vector) and b_dim is None and rank_of(b) == 2:  # every matrix of the stacks times B
        x = batch_first(a, a_dim)
        return reshape(matmul(reshape(x, shape=(-1, x.shape[-1])), b), shape=tuple(x.shape[:-1]) + (b.shape[1],)), 0
    if not (a_vector or b_vector) and a_dim is None and rank_of(a) == 2:  # A times every matrix: (Xᵀ Aᵀ)ᵀ
        x = _swap_last(batch_first(b, b_dim))
        folded = matmul(reshape(x, shape=(-1, x.shape[-1])), transpose(a, axes=(1, 0)))
        return _swap_last(reshape(folded, shape=tuple(x.shape[:-1]) + (a.shape[0],))), 0
    rank = max(2 if a_vector else rank_of(a) - (a_dim is not None), 2 if b_vector else rank_of(b) - (b_dim is not None))
    if a_vector:
        a, a_dim = batch_first(a, a_dim), 0
        a = reshape(a, shape=(a.shape[0], 1, a.shape[1]))
    if b_vector:
        b, b_dim = batch_first(b, b_dim), 0
        b = reshape(b, shape=(b.shape[0], b.shape[1], 1))
    out = matmul(batch_first(a, a_dim, rank), batch_first(b, b_dim, rank))
    if a_vector or b_vector:
        b_is_matrix = b_vector or rank_of(b) - (b_dim is not None) >= 2  # else a's rows end the result
        dropped = {out.ndim - 2 if b_is_matrix else out.ndim - 1} if a_vector else set()
        dropped |= {out.ndim - 1} if b_vector else set()
        out = reshape(out, shape=tuple(n for i, n in enumerate(out.shape) if i not in dropped))
    return out, 0


def _einsum_batch(args, dims, spec):
    """Batch ``einsum`` with a fresh letter for the batch axis, first in the output."""
    inputs, output = _parse(spec)
    letter = next(c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in spec)
    inputs = [s if d is None else s[:d] + letter + s[d:] for s, d in zip(inputs, dims)]
    return einsum(*args, spec=",".join(inputs) + "->" + letter + output), 0


def _swap_last(x):
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return transpose(x, axes=tuple(axes))


def _as_matrix_cotangent(g, a, b):
    """The cotangent with the 1-D operands' dropped axes put back."""
    if a.ndim == 1:
        g = reshape(g, shape=g.shape[:-1] + (1,) + g.shape[-1:]) if b.ndim > 1 else g
    if b.ndim == 1:
        g = reshape(g, shape=g.shape + (1,))
    return g


def _matmul_vjp_a(g, ans, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return unbroadcast(g * b, a)
    if a.ndim == 1 and b.ndim == 2:  # x B: x̄ = B ḡ, a matrix-vector product
        return unbroadcast(matmul(b, g), a)
    g = _as_matrix_cotangent(g, a, b)
    b_mat = reshape(b, shape=(b.shape[0], 1)) if b.ndim == 1 else b
    grad = matmul(g, _swap_last(b_mat))
    if a.ndim == 1:
        grad = reshape(grad, shape=grad.shape[:-2] + grad.shape[-1:])
    return unbroadcast(grad, a)


def _matmul_vjp_b(g, ans, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return unbroadcast(g * a, b)
    if a.ndim == 2 and b.ndim == 1:  # A x: x̄ = Aᵀ ḡ, a matrix-vector product
        return unbroadcast(matmul(transpose(a, axes=(1, 0)), g), b)
    g = _as_matrix_cotangent(g, a, b)
    a_mat = reshape(a, shape=(1, a.shape[0])) if a.ndim == 1 else a
    grad = matmul(_swap_last(a_mat), g)
    if b.ndim == 1:
        grad = reshape(grad, shape=grad.shape[:-1])
    return unbroadcast(grad, b)


def _matmul_fast_vjp_a(g, ans, a, b):
    """``_matmul_vjp_a`` on plain matrices: ``g bᵀ`` by NumPy directly, the same product."""
    if a.ndim == b.ndim == 2:
        grad = xp.matmul(g, b.T)
        return grad if grad.dtype == a.dtype else astype(grad, dtype=a.dtype)  # complex to real: the real part
    return _matmul_vjp_a(g, ans, a, b)


def _matmul_fast_vjp_b(g, ans, a, b):
    """``_matmul_vjp_b`` on plain matrices: ``aᵀ g`` by NumPy directly, the same product."""
    if a.ndim == b.ndim == 2:
        grad = xp.matmul(a.T, g)
        return grad if grad.dtype == b.dtype else astype(grad, dtype=b.dtype)
    return _matmul_vjp_b(g, ans, a, b)


matmul = Primitive(
    "matmul",
    xp.matmul,
    jvps=(lambda t, ans, a, b: matmul(t, b), lambda t, ans, a, b: matmul(a, t)),
    vjps=(_matmul_vjp_a, _matmul_vjp_b),
    fast_vjps=(_matmul_fast_vjp_a, _matmul_fast_vjp_b),
    transposes=Multilinear((BY_VJP, BY_VJP)),
    batch=_matmul_batch,
    flops=lambda out_shapes, a, b: 2 * math.prod(out_shapes[0]) * a[-1],
    linear_in=(0, 1),
    jacobian_structure=("matrix product", "matrix product"),
    source="@",
    doc="a @ b with NumPy's rules for 1-D operands and batch broadcasting.",
)


def _parse(spec: str):
    inputs, output = spec.split("->")
    return inputs.split(","), output


def _einsum_vjp(position, g, ans, *operands, spec):
    """Cotangent of one operand: contract the output cotangent with the other operands.

    Letters of the operand that appear nowhere else were summed away in the
    forward pass, so the cotangent is broadcast along them; a letter repeated
    in the operand (a diagonal, as in ``'ii->'``) puts the cotangent on that
    diagonal, through a product with identity matrices.
    """
    inputs, output = _parse(spec)
    target = inputs[position]
    others = [s for i, s in enumerate(inputs) if i != position]
    other_ops = [op for i, op in enumerate(operands) if i != position]
    seen_elsewhere = set(output).union(*others) if others else set(output)
    unique = "".join(dict.fromkeys(target))
    contracted = "".join(c for c in unique if c in seen_elsewhere)
    grad = einsum(g, *other_ops, spec=",".join([output, *others]) + "->" + contracted)
    sizes = {c: d for c, d in zip(target, operands[position].shape)}
    if contracted != unique:
        expanded = reshape(grad, shape=tuple(sizes[c] if c in contracted else 1 for c in unique))
        grad = broadcast_to(expanded, shape=tuple(sizes[c] for c in unique))
    if len(unique) != len(target):
        grad = _embed_diagonals(grad, unique, target, sizes)
    dtype = operands[position].dtype
    return grad if grad.dtype == dtype else astype(grad, dtype=dtype)


def _embed_diagonals(grad, unique: str, target: str, sizes: dict):
    """Spread ``grad`` (indexed by distinct letters) onto the repeated letters of ``target``."""
    free = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in target)
    renamed = []
    eyes = []
    eye_specs = []
    for c in target:
        if c in renamed:
            fresh = next(free)
            eye_specs.append(c + fresh)
            eyes.append(xp.eye(sizes[c], dtype=grad.dtype))
            renamed.append(fresh)
        else:
            renamed.append(c)
    spec = ",".join([unique, *eye_specs]) + "->" + "".join(renamed)
    return einsum(grad, *eyes, spec=spec)


def _einsum_flops(shapes, spec: str) -> int:
    """Naive evaluation: every combination of the letters' values costs one multiply per extra operand
    and one add (``2 m n k`` for a matrix product, ``n`` for a trace)."""
    sizes = {}
    for letters, shape in zip(_parse(spec)[0], shapes):
        sizes.update(zip(letters, shape))
    return max(len(shapes), 1) * math.prod(tuple(sizes.values()))


def _einsum_jvp(position, t, ans, *operands, spec):
    replaced = list(operands)
    replaced[position] = t
    return einsum(*replaced, spec=spec)


einsum = Primitive(
    "einsum",
    lambda *operands, spec: xp.einsum(spec, *operands, optimize=len(operands) > 2),
    jvps=PerPosition(_einsum_jvp),
    vjps=PerPosition(_einsum_vjp),
    transposes=Multilinear(EveryArgument(BY_VJP)),
    batch=_einsum_batch,
    flops=lambda out_shapes, *shapes, spec: _einsum_flops(shapes, spec),
    linear_in="every",
    source=lambda gen, eqn, args: f"np.einsum({eqn.params['spec']!r}, {', '.join(args)}, optimize={len(args) > 2})",
    doc="Einstein summation with an explicit ``spec`` ('ij,jk->ik', no ellipsis).",
)


# --- tensordot: NumPy's tensordot, and dot beyond two dimensions -------------------------------------


class _Layout(NamedTuple):
    """How one ``tensordot`` and its two VJPs lay out their operands, for given ranks and ``axes``.

    The same in every call of a loop, so worked out once (:func:`_layout`); ``None`` for an order that
    is already the operand's own (no transpose).
    """

    a_order: tuple | None  # a's free axes, then its contracted ones: the rows and columns of one matrix
    b_order: tuple | None  # b's contracted axes (paired with a's, in order), then its free ones
    n_free_a: int
    n_contracted: int
    a_cotangent_axes: tuple  # Ā = tensordot(ḡ, b, these): ḡ's b-part with b's free axes
    a_cotangent_order: tuple | None  # Ā's axes back into a's order
    b_cotangent_axes: tuple  # B̄ = tensordot(a, ḡ, these): a's free axes with ḡ's a-part
    b_cotangent_order: tuple | None  # B̄'s axes back into b's order


def _unless_identity(order: tuple) -> tuple | None:
    return None if order == tuple(range(len(order))) else order


def _inverse(order: tuple) -> tuple:
    inverse = [0] * len(order)
    for i, k in enumerate(order):
        inverse[k] = i
    return tuple(inverse)


@functools.lru_cache(maxsize=1024)
def _layout(a_ndim: int, b_ndim: int, axes: tuple) -> _Layout:
    """The :class:`_Layout` of ``tensordot(a, b, axes)`` for ``a_ndim``-D ``a`` and ``b_ndim``-D ``b``.

    ``Ā = tensordot(ḡ, b)`` over b's free axes holds a's free axes, then b's contracted axes in b's
    order, each standing for the a axis paired with it; ``B̄ = tensordot(a, ḡ)`` over a's free axes
    holds a's contracted axes in a's order (for their b partners), then b's free axes.
    """
    a_axes, b_axes = axes
    free_a = tuple(k for k in range(a_ndim) if k not in a_axes)
    free_b = tuple(k for k in range(b_ndim) if k not in b_axes)
    n_free_a = len(free_a)
    a_cotangent = free_a + tuple(a_axes[b_axes.index(j)] for j in sorted(b_axes))
    b_cotangent = tuple(b_axes[a_axes.index(i)] for i in sorted(a_axes)) + free_b
    return _Layout(
        a_order=_unless_identity(free_a + a_axes),
        b_order=_unless_identity(b_axes + free_b),
        n_free_a=n_free_a,
        n_contracted=len(a_axes),
        a_cotangent_axes=(tuple(range(n_free_a, n_free_a + len(free_b))), free_b),
        a_cotangent_order=_unless_identity(_inverse(a_cotangent)),
        b_cotangent_axes=(free_a, tuple(range(n_free_a))),
        b_cotangent_order=_unless_identity(_inverse(b_cotangent)),
    )


def _tensordot_impl(a, b, axes):
    """NumPy's tensordot, without its argument parsing: one matrix product of a's free x contracted axes
    with b's contracted x free axes (what ``np.tensordot`` computes, in half its time on small arrays)."""
    layout = _layout(a.ndim, b.ndim, axes)
    if layout.a_order is not None:
        a = a.transpose(layout.a_order)
    if layout.b_order is not None:
        b = b.transpose(layout.b_order)
    a_shape, b_shape = a.shape, b.shape
    n_free_a, n_contracted = layout.n_free_a, layout.n_contracted
    contracted = math.prod(b_shape[:n_contracted])
    rows = a.reshape(math.prod(a_shape[:n_free_a]), contracted)
    columns = b.reshape(contracted, math.prod(b_shape[n_contracted:]))
    return xp.dot(rows, columns).reshape(a_shape[:n_free_a] + b_shape[n_contracted:])


def _tensordot_vjp_a(g, ans, a, b, axes):
    """``Ā``: ``ḡ`` (a's free axes, then b's) contracted with ``b`` over b's free axes, in a's axis order."""
    layout = _layout(a.ndim, b.ndim, axes)
    grad = tensordot(g, b, axes=layout.a_cotangent_axes)
    if layout.a_cotangent_order is not None:
        grad = transpose(grad, axes=layout.a_cotangent_order)
    return grad if grad.dtype == a.dtype else astype(grad, dtype=a.dtype)  # complex to real: the real part


def _tensordot_vjp_b(g, ans, a, b, axes):
    """``B̄``: ``a`` contracted with ``ḡ`` over a's free axes, in b's axis order."""
    layout = _layout(a.ndim, b.ndim, axes)
    grad = tensordot(a, g, axes=layout.b_cotangent_axes)
    if layout.b_cotangent_order is not None:
        grad = transpose(grad, axes=layout.b_cotangent_order)
    return grad if grad.dtype == b.dtype else astype(grad, dtype=b.dtype)


def _shifted(axes: tuple) -> tuple:
    """``axes`` of one example, as axes of a batch whose batch axis is first."""
    return tuple(k + 1 for k in axes)


def _tensordot_batch(args, dims, axes):
    """One operand batched: its batch axis first, which stays first among its free axes in the result.
    Both: a stack of matrix products (free axes as rows, contracted as columns), one BLAS call."""
    (a, b), (a_dim, b_dim) = args, dims
    if b_dim is None:
        return tensordot(batch_first(a, a_dim), b, axes=(_shifted(axes[0]), axes[1])), 0
    if a_dim is None:
        return tensordot(a, batch_first(b, b_dim), axes=(axes[0], _shifted(axes[1]))), rank_of(a) - len(axes[0])
    a, b = batch_first(a, a_dim), batch_first(b, b_dim)
    layout = _layout(a.ndim - 1, b.ndim - 1, axes)
    if layout.a_order is not None:
        a = transpose(a, axes=(0, *_shifted(layout.a_order)))
    if layout.b_order is not None:
        b = transpose(b, axes=(0, *_shifted(layout.b_order)))
    n, n_free_a, n_contracted = a.shape[0], layout.n_free_a, layout.n_contracted
    a_free_shape, b_free_shape = tuple(a.shape[1 : 1 + n_free_a]), tuple(b.shape[1 + n_contracted :])
    contracted = math.prod(b.shape[1 : 1 + n_contracted])
    rows = reshape(a, shape=(n, math.prod(a_free_shape), contracted))
    columns = reshape(b, shape=(n, contracted, math.prod(b_free_shape)))
    return reshape(matmul(rows, columns), shape=(n, *a_free_shape, *b_free_shape)), 0


tensordot = Primitive(
    "tensordot",
    _tensordot_impl,
    jvps=(
        lambda t, ans, a, b, axes: tensordot(t, b, axes=axes),
        lambda t, ans, a, b, axes: tensordot(a, t, axes=axes),
    ),
    vjps=(_tensordot_vjp_a, _tensordot_vjp_b),
    transposes=Multilinear((BY_VJP, BY_VJP)),
    batch=_tensordot_batch,
    flops=lambda out_shapes, a, b, axes: 2 * math.prod(out_shapes[0]) * math.prod(a[k] for k in axes[0]),
    linear_in=(0, 1),
    source=lambda gen, eqn, args: f"np.tensordot({args[0]}, {args[1]}, {gen.param(eqn.params['axes'])})",
    result_memory="new",
    doc="Sum of products over the paired axes ``axes = (a_axes, b_axes)`` (tuples of non-negative axes), as "
    "NumPy's tensordot: the result has a's free axes, then b's. NumPy's N-D ``dot`` is the pairing of a's last "
    "axis with b's second-to-last. One primitive, one tape entry, where a composition of reshapes, a "
    "transpose and a matrix product would record five.",
)
