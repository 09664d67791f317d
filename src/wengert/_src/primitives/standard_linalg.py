"""The linear-algebra primitives in the array API standard: its ``linalg`` extension, where the library has it.

The standard has no LU factorisation. ``lu_factor`` is therefore, on another library's arrays, what it is
on NumPy's for a stack or a small matrix: no factorisation, ``(A, piv)`` with ``piv`` filled with
``linalg.NOT_FACTORED``; ``solve``, ``det`` and ``slogdet`` then read ``A`` with the standard's
``linalg.solve``, ``det`` and ``slogdet`` (each of which factors inside the library), and a derivative
solves again instead of reusing the forward pass's factors.

``cofactor`` (the gradient of ``det``) and ``cofactor_derivative`` (its second derivative) take their
SVD form, exact at every rank: NumPy's takes ``det A · A⁻ᵀ`` where ``A`` is well conditioned, a choice
made on the values that would cost a transfer from the device on every call; the two are equal to
rounding there. A library without the extension is refused by name (``BackendError``).
"""

from __future__ import annotations

from wengert.errors import BackendError

from . import linalg


def _linalg(name: str, **fixed):
    """The standard's ``linalg.<name>``, where the library has the extension."""

    def impl(ns, *args, **params):
        extension = getattr(ns.module, "linalg", None)
        if extension is None or not hasattr(extension, name):
            raise BackendError(
                f"linalg.{name}: {ns.name} has no linalg extension of the array API standard; call it on NumPy arrays."
            )
        return getattr(extension, name)(*args, **params, **fixed)

    return impl


def _matrix_transpose(ns, a):
    return ns.permute_dims(a, (*range(a.ndim - 2), a.ndim - 1, a.ndim - 2))


def _conj(ns, x):
    """``conj(x)``; ``x`` itself for a real ``x`` (the standard's ``conj`` takes complex arrays)."""
    return ns.module.conj(x) if ns.numpy_dtype(x.dtype).kind == "c" else x


def _eigh(ns, a, lower=True):
    """The standard's ``eigh`` reads the lower triangle (as NumPy's default); the upper one mirrored first."""
    if not lower:
        a = _matrix_transpose(ns, a)
    return tuple(_linalg("eigh")(ns, a))


def _triangular_solve(ns, a, b, lower, transpose_a):
    """``op(A)⁻¹ B`` reading one triangle of ``A``: the standard's general ``solve`` on that triangle."""
    triangle = ns.tril(a) if lower else ns.triu(a)
    if transpose_a:
        triangle = _matrix_transpose(ns, triangle)
    return _linalg("solve")(ns, triangle, b)


def _lu_factor(ns, a):
    """No factorisation (the standard has none): ``(A, piv)``, ``piv`` filled with ``NOT_FACTORED``."""
    piv = ns.full(tuple(a.shape[:-1]), linalg.NOT_FACTORED, dtype=ns.module.int32, device=ns.device)
    return a, piv


def _solve(ns, a, b, lu, piv, transpose_a=False):
    """``op(A)⁻¹ B`` by the standard's ``solve`` on ``A`` (``lu`` is ``A`` itself, see :func:`_lu_factor`)."""
    return _linalg("solve")(ns, _matrix_transpose(ns, a) if transpose_a else a, b)


def _others_products(ns, v):
    """``p[..., i] = ∏_{k ≠ i} v[..., k]`` along the last axis, by prefix and suffix products (no division, so
    that zeros give exact products)."""
    before = ns.cumulative_prod(v, axis=-1, include_initial=True)[..., :-1]
    after = ns.cumulative_prod(ns.flip(v, axis=-1), axis=-1, include_initial=True)[..., :-1]
    return before * ns.flip(after, axis=-1)


def _signed_svd(ns, a):
    """``(U, s, Vᴴ, det U · det Vᴴ)`` of a stack of square matrices."""
    u, s, vh = _linalg("svd", full_matrices=False)(ns, a)
    det = _linalg("det")
    return u, s, vh, det(ns, u) * det(ns, vh)


def _as_scale(ns, v):
    return ns.reshape(v, (*v.shape, 1, 1))


def _cofactor(ns, a, lu, piv):
    """``cof A = det(U) det(Vᴴ) conj(U) cof(S) conj(Vᴴ)``, ``cof(S) = diag(∏_{k ≠ i} s_k)``: the cofactor matrix
    is multiplicative and ``cof U = det(U) conj(U)`` for a unitary ``U``."""
    if a.shape[-1] == 0:
        return ns.zeros_like(a)
    u, s, vh, sign = _signed_svd(ns, a)
    others = ns.astype(_others_products(ns, s), u.dtype)
    return _as_scale(ns, sign) * ns.matmul(_conj(ns, u) * ns.expand_dims(others, axis=-2), _conj(ns, vh))


def _cofactor_derivative(ns, a, t):
    """``d cof A [T] = det(U) det(Vᴴ) conj(U) M conj(Vᴴ)`` with ``F = Uᴴ T V`` and, from the minors of
    ``S + εF``, ``M_ii = Σ_{k ≠ i} P_ik F_kk``, ``M_ij = -P_ij F_ji`` (``P_ij = ∏_{k ∉ {i, j}} s_k``)."""
    n = a.shape[-1]
    if n == 0:
        return ns.zeros_like(t)
    u, s, vh, sign = _signed_svd(ns, a)
    f = ns.matmul(ns.matmul(_conj(ns, _matrix_transpose(ns, u)), t), _conj(ns, _matrix_transpose(ns, vh)))
    eye = ns.eye(n, dtype=ns.module.bool, device=ns.device)
    rows = ns.where(eye, 1.0, ns.expand_dims(s, axis=-2))  # row i: s with s_i replaced by 1
    products = ns.astype(ns.where(eye, 0.0, _others_products(ns, rows)), f.dtype)
    diagonal = ns.matmul(products, ns.expand_dims(_linalg("diagonal")(ns, f), axis=-1))
    m = diagonal * ns.astype(eye, f.dtype) - products * _matrix_transpose(ns, f)
    return _as_scale(ns, sign) * ns.matmul(ns.matmul(_conj(ns, u), m), _conj(ns, vh))


IMPLS = {
    linalg.lu_factor: _lu_factor,
    linalg.inv: _linalg("inv"),
    linalg.solve: _solve,
    linalg.det: lambda ns, a, lu, piv: _linalg("det")(ns, a),
    linalg.slogdet: lambda ns, a, lu, piv: tuple(_linalg("slogdet")(ns, a)),
    linalg.cofactor: _cofactor,
    linalg.cofactor_derivative: _cofactor_derivative,
    linalg.cholesky: _linalg("cholesky"),
    linalg.eigh: _eigh,
    linalg.svd: lambda ns, a: tuple(_linalg("svd", full_matrices=False)(ns, a)),
    linalg.qr: lambda ns, a: tuple(_linalg("qr", mode="reduced")(ns, a)),
    linalg.triangular_solve: _triangular_solve,
    linalg.pinv: lambda ns, a, rcond, hermitian: _linalg("pinv")(ns, a, rtol=rcond),
}
"""The linear-algebra primitives -> their implementations in the standard (``standard.IMPLS`` takes them in)."""
