"""Diagonal batches: ``vmap`` over an identity basis keeps it the diagonal it is.

``jacrev`` pulls the identity basis back through a function and ``jacfwd`` (so ``hessian``)
pushes it forward: example ``k`` of the batch is the basis vector ``e_k``. Scaled elementwise,
it stays ``d_k e_k`` for a vector ``d`` of one example's shape (``e_k`` the basis vector of flat
position ``k``), so the batch is held as ``d`` alone, ``n`` numbers instead of ``n²``:

    e_k * w = w_k e_k,   e_k / w = (1 / w_k) e_k,   -e_k,   d_k e_k ± d'_k e_k,   reshape, astype,

and where it meets a matrix the product is the matrix's rows or columns scaled, not a product
with a materialised ``n x n`` matrix (``O(n m)`` instead of ``O(n² m)``):

    M (d_k e_k) = d_k M[:, k]   (the batch ``M * d``, batch axis 1),
    (d_k e_k) B = d_k B[k, :]   (the batch ``d[:, None] * B``, batch axis 0).

``jacrev`` of ``g(A @ x)`` with ``g`` elementwise is then ``diag(g'(A x)) A`` as one would write
it by hand, and ``jacfwd`` of ``A @ x`` is ``A``. Every other primitive sees the dense batch,
``eye(n) * d`` (made once, when first needed), and so does anything a rule here declines
(an operand that would widen the diagonal, a batch that is not diagonal). Each rule computes
what the dense batch would give, entry for entry, for finite values; an off-diagonal entry that
the dense product makes ``nan`` (``0 * inf``) is ``0`` here, as with JAX's symbolic zeros.
"""

from __future__ import annotations

import math

from ..backend import shape_of, xp
from ..primitives.contractions import matmul
from ..primitives.elementwise import add, divide, multiply, neg, subtract
from ..primitives.structural import astype, rank_of, reshape

DIAGONAL = "diagonal"
"""The batch axis a rule gives for a result that is a diagonal batch again (its value the new ``d``)."""


def is_identity_basis(value, batch_dim: int) -> bool:
    """``value``, batched on ``batch_dim``, is the identity basis: an ``n x n`` identity (on either axis),
    or one reshaped to ``(n,) + shape`` with ``n`` the size of ``shape`` (batched on axis 0).

    Two entries answer for almost any other array; the rest costs ``O(n²)``, what making the basis cost.
    """
    if type(value) is not xp.ndarray or value.dtype.kind not in "fc" or value.ndim < 2:
        return False
    n = value.shape[0]
    if n < 2 or value.size != n * n or (batch_dim != 0 and not (value.ndim == 2 and batch_dim == 1)):
        return False
    flat = value.reshape(n, n)
    if flat[0, 0] != 1 or flat[0, 1] != 0:
        return False
    return bool(xp.array_equal(flat, xp.eye(n, dtype=value.dtype)))


def dense(diagonal):
    """The batch ``d_k e_k``, ``k = 0 .. n-1``, as one array with the batch on axis 0: ``eye(n) * d``."""
    shape = tuple(shape_of(diagonal))
    n = math.prod(shape)
    flat = diagonal if len(shape) == 1 else reshape(diagonal, shape=(n,))
    out = multiply(xp.eye(n, dtype=diagonal.dtype), flat)
    return out if len(shape) == 1 else reshape(out, shape=(n, *shape))


def _fits(value, diagonal) -> bool:
    """An unbatched operand that broadcasts into the diagonal's shape without widening it."""
    shape = tuple(shape_of(diagonal))
    try:
        return xp.broadcast_shapes(tuple(shape_of(value)), shape) == shape
    except ValueError:
        return False


def _multiply(values: list, diagonal: list):
    x, y = values
    if diagonal[0] and diagonal[1]:  # d_k e_k * d'_k e_k = (d d')_k e_k
        return (multiply(x, y), DIAGONAL) if shape_of(x) == shape_of(y) else None
    return (multiply(x, y), DIAGONAL) if _fits(y if diagonal[0] else x, x if diagonal[0] else y) else None


def _divide(values: list, diagonal: list):
    x, y = values
    return (divide(x, y), DIAGONAL) if diagonal == [True, False] and _fits(y, x) else None


def _sum_of(prim):
    def rule(values: list, diagonal: list):
        x, y = values
        return (prim(x, y), DIAGONAL) if all(diagonal) and shape_of(x) == shape_of(y) else None

    return rule


def _matmul(values: list, diagonal: list):
    """A matrix (or vector) times the diagonal batch of vectors, either side."""
    a, b = values
    if diagonal == [False, True] and rank_of(b) == 1:  # M (d_k e_k) = d_k M[:, k]
        if rank_of(a) == 2 and shape_of(a)[1] == shape_of(b)[0]:
            return multiply(a, b), 1
        if rank_of(a) == 1 and shape_of(a) == shape_of(b):
            return multiply(a, b), 0
    if diagonal == [True, False] and rank_of(a) == 1:  # (d_k e_k) B = d_k B[k, :]
        if rank_of(b) == 2 and shape_of(b)[0] == shape_of(a)[0]:
            return multiply(reshape(a, shape=(shape_of(a)[0], 1)), b), 0
        if rank_of(b) == 1 and shape_of(a) == shape_of(b):
            return multiply(a, b), 0
    return None


RULES = {
    multiply: _multiply,
    divide: _divide,
    neg: lambda values, diagonal: (neg(values[0]), DIAGONAL),
    add: _sum_of(add),
    subtract: _sum_of(subtract),
    reshape: lambda values, diagonal, shape: (reshape(values[0], shape=shape), DIAGONAL),  # flat order kept
    astype: lambda values, diagonal, dtype: (astype(values[0], dtype=dtype), DIAGONAL),
    matmul: _matmul,
}
"""The primitives that keep a diagonal batch structured: ``rule(values, diagonal, **params)`` with each
diagonal operand's ``d`` in ``values`` (``diagonal[i]`` says which) returns ``(value, batch axis or
DIAGONAL)``, or ``None`` to leave the primitive to its batching rule on the dense batch."""
