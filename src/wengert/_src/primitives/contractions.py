"""Contractions: ``matmul`` (NumPy's semantics, batched) and ``einsum``.

``dot``, ``tensordot``, ``inner``, ``outer``, ``trace`` and friends are
written with these in ``wengert.numpy``. For ``C = A @ B``:
``Ā = C̄ Bᵀ`` and ``B̄ = Aᵀ C̄``, summed over broadcast batch axes.
"""

from ..backend import xp
from ..core.primitive import Primitive
from .rules import PerPosition
from .structural import broadcast_to, reshape, transpose, unbroadcast


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
    g = _as_matrix_cotangent(g, a, b)
    b_mat = reshape(b, shape=(b.shape[0], 1)) if b.ndim == 1 else b
    grad = matmul(g, _swap_last(b_mat))
    if a.ndim == 1:
        grad = reshape(grad, shape=grad.shape[:-2] + grad.shape[-1:])
    return unbroadcast(grad, a)


def _matmul_vjp_b(g, ans, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return unbroadcast(g * a, b)
    g = _as_matrix_cotangent(g, a, b)
    a_mat = reshape(a, shape=(1, a.shape[0])) if a.ndim == 1 else a
    grad = matmul(_swap_last(a_mat), g)
    if b.ndim == 1:
        grad = reshape(grad, shape=grad.shape[:-1])
    return unbroadcast(grad, b)


matmul = Primitive(
    "matmul",
    xp.matmul,
    jvps=(lambda t, ans, a, b: matmul(t, b), lambda t, ans, a, b: matmul(a, t)),
    vjps=(_matmul_vjp_a, _matmul_vjp_b),
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
    return grad if grad.dtype == dtype else grad.astype(dtype)


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


def _einsum_jvp(position, t, ans, *operands, spec):
    replaced = list(operands)
    replaced[position] = t
    return einsum(*replaced, spec=spec)


einsum = Primitive(
    "einsum",
    lambda *operands, spec: xp.einsum(spec, *operands, optimize=len(operands) > 2),
    jvps=PerPosition(_einsum_jvp),
    vjps=PerPosition(_einsum_vjp),
    doc="Einstein summation with an explicit ``spec`` ('ij,jk->ik', no ellipsis).",
)
