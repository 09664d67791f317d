"""Registry cases for ``wengert.numpy.linalg``: sample calls of every function.

Samples sit where each function is smooth: invertible, well-conditioned
matrices for inverses, solves and determinants; symmetric positive-definite
ones with well-separated eigenvalues for ``cholesky`` and ``eigh``; matrices
with well-separated singular values for ``svd``, ``qr`` and ``pinv``; vectors
with no zero entries and no ties for the norms. Each case is written once as
``fn(module, *args)`` and run with ``wengert.numpy``, NumPy, and (where they
have it) ``autograd.numpy`` and ``jax.numpy``.

Eigenvectors and singular vectors are defined up to sign, and JAX's
``cholesky``/``eigh`` symmetrize their input where NumPy reads one triangle,
so the cases compared with the peers differentiate functions that do not see
either choice: ``v * v``, ``v @ diag(f(w)) @ v.T`` of ``eigh(x + x.T)``,
``u @ diag(f(s)) @ vh``. Cases without peers check the triangle reading
itself. JAX costs a compilation per case and per operation, so only one or
two cases of each function name it (``jax=True``).
"""

from __future__ import annotations

import numpy as np

import wengert.numpy as wnp
from wengert._src.primitives import linalg as la

from . import OpCase, rng

_R = rng(20240612)


# --- sample matrices --------------------------------------------------------------------------------


def _normal(*shape):
    return _R.standard_normal(shape)


def _orthogonal(n: int, batch=()):
    q, r = np.linalg.qr(_R.standard_normal(batch + (n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _well_conditioned(n: int, batch=()):
    """Random matrices close to 3 I: condition numbers of a few units."""
    return 0.6 * _normal(*batch, n, n) + 3.0 * np.eye(n)


def _well_conditioned_large(n: int):
    """Random n x n matrices with eigenvalues within about 3 ± 1, whatever n: condition numbers of a few units."""
    return _normal(n, n) / np.sqrt(n) + 3.0 * np.eye(n)


def _with_spectrum(values, batch=()):
    """Symmetric matrices Q diag(values) Qᵀ, with a random orthogonal Q."""
    q = _orthogonal(len(values), batch)
    return (q * np.asarray(values, dtype=float)) @ np.swapaxes(q, -1, -2)


def _with_singular_values(m: int, n: int, values, batch=()):
    """m x n matrices U diag(values) Vᵀ with random orthonormal U, V."""
    k = min(m, n)
    u = _orthogonal(m, batch)[..., :, :k]
    v = _orthogonal(n, batch)[..., :, :k]
    return (u * np.asarray(values, dtype=float)) @ np.swapaxes(v, -1, -2)


def _nonzero_vector(n: int):
    """Magnitudes in [0.3, 2], distinct, random signs: no kinks, no ties for the max norms."""
    return (0.3 + 1.7 * _R.permutation(np.linspace(0.0, 1.0, n))) * _R.choice([-1.0, 1.0], size=n)


# --- case builders ----------------------------------------------------------------------------------


def same(fn, *args, name, autograd=False, jax=False, **options) -> OpCase:
    """A case ``fn(module, *args)`` with ``module`` wnp (wengert), np (the reference), and the peers."""
    return OpCase(
        name=name,
        fn=lambda *a: fn(wnp, *a),
        args=tuple(np.asarray(a, dtype=np.float64) for a in args),
        numpy_fn=lambda *a: fn(np, *a),
        autograd_fn=fn if autograd else None,
        jax_fn=fn if jax else None,
        **options,
    )


def _mT(module, x):
    return module.swapaxes(x, -1, -2)


def _symmetric(module, x):
    return x + _mT(module, x)


def _eigen_function(module, x):
    """V diag(exp(w / 4)) Vᵀ of the symmetric matrix x + xᵀ: a matrix function, sign-free."""
    w, v = module.linalg.eigh(_symmetric(module, x))
    return (v * module.exp(w / 4.0)[..., None, :]) @ _mT(module, v)


def _singular_function(module, x):
    """U diag(s²) Vh: blind to the signs of the singular vector pairs."""
    u, s, vh = module.linalg.svd(x, full_matrices=False)
    return (u * (s * s)[..., None, :]) @ vh


def _squared_factors(module, factors):
    """Both factors, squared elementwise and flattened together: blind to sign flips of columns and rows."""
    return module.concatenate([(f * f).reshape(-1) for f in factors])


CASES: list[OpCase] = []
add = CASES.append


# --- inverses, solves, determinants -----------------------------------------------------------------

add(same(lambda m, a: m.linalg.inv(a), _well_conditioned(3), name="wnp.linalg.inv", autograd=True))
add(same(lambda m, a: m.linalg.inv(a), _well_conditioned(3, (2,)), name="wnp.linalg.inv[batched]", jax=True))
add(same(lambda m, a, b: m.linalg.solve(a, b), _well_conditioned(3), _normal(3, 2),
         name="wnp.linalg.solve", autograd=True))
add(same(lambda m, a, b: m.linalg.solve(a, b), _well_conditioned(3), _normal(3),
         name="wnp.linalg.solve[vector b]", autograd=True))
add(same(lambda m, a, b: m.linalg.solve(a, b), _well_conditioned(3, (2,)), _normal(3, 2),
         name="wnp.linalg.solve[broadcast batch]", jax=True))
# Matrices of lu_factor's size: solved, and their determinants differentiated, with the forward pass's LU
# factors (smaller ones above are NumPy's from the matrix); solve's transposed system, which its VJP solves;
# and a triangular matrix, solved without factors (one triangular solve each way).
_FACTORED = la._FACTOR_SIZE
add(same(lambda m, a, b: m.linalg.solve(a, b), _well_conditioned_large(_FACTORED), _normal(_FACTORED, 2),
         name="wnp.linalg.solve[factored]"))
add(same(lambda m, a, b: m.linalg.solve(a, b), _well_conditioned_large(_FACTORED), _normal(_FACTORED),
         name="wnp.linalg.solve[factored, vector b]"))
add(OpCase(name="wnp.linalg.solve[factored, transposed system]",
           fn=lambda a, b: la.solve_system(a, b, transpose_a=True),
           args=(_well_conditioned_large(_FACTORED), _normal(_FACTORED, 2)),
           numpy_fn=lambda a, b: np.linalg.solve(a.T, b)))
add(same(lambda m, a: m.linalg.det(a), _well_conditioned_large(_FACTORED) / 3, name="wnp.linalg.det[factored]"))
_NEGATIVE_FIRST_ROW = np.where(np.arange(_FACTORED)[:, None] == 0, -1.0, 1.0)
add(same(lambda m, a: m.linalg.slogdet(a)[1], _well_conditioned_large(_FACTORED) * _NEGATIVE_FIRST_ROW,
         name="wnp.linalg.slogdet[factored]"))
add(same(lambda m, a, b: m.linalg.solve(a, b), np.tril(_well_conditioned(la._TRIANGULAR_CHECK_SIZE)),
         _normal(la._TRIANGULAR_CHECK_SIZE, 2), name="wnp.linalg.solve[triangular, unfactored]"))
add(same(lambda m, a: m.linalg.det(a), _well_conditioned(3), name="wnp.linalg.det", autograd=True))
add(same(lambda m, a: m.linalg.det(a), _well_conditioned(3, (2,)), name="wnp.linalg.det[batched]", jax=True))
# det's derivative is the cofactor matrix at every rank: at singular matrices of rank n - 1 and n - 2 too.
_RANK_TWO = np.arange(1.0, 10.0).reshape(3, 3)
_RANK_ONE = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])
add(same(lambda m, a: m.linalg.det(a), _RANK_TWO, name="wnp.linalg.det[singular]", autograd=False))
add(same(lambda m, a: m.linalg.det(a), np.stack([_RANK_ONE, _RANK_TWO]), name="wnp.linalg.det[singular, batched]",
         autograd=False, jax=True))
_negative_det = _well_conditioned(3) * np.array([[-1.0], [1.0], [1.0]])
add(same(lambda m, a: m.linalg.slogdet(a)[1], _negative_det, name="wnp.linalg.slogdet[logabsdet]", jax=True,
         autograd=True))
add(same(lambda m, a: tuple(m.linalg.slogdet(a)), _negative_det, name="wnp.linalg.slogdet"))
add(same(lambda m, a: m.linalg.matrix_power(a, 3), _well_conditioned(3) / 3, name="wnp.linalg.matrix_power[3]"))
add(same(lambda m, a: m.linalg.matrix_power(a, -2), _well_conditioned(3, (2,)),
         name="wnp.linalg.matrix_power[-2, batched]"))
add(same(lambda m, a: m.linalg.matrix_power(a, 0), _well_conditioned(3), name="wnp.linalg.matrix_power[0]",
         order=0))
add(same(lambda m, a: m.linalg.cond(a), _well_conditioned(3), name="wnp.linalg.cond"))
add(same(lambda m, a: m.linalg.cond(a, 1), _well_conditioned(3), name="wnp.linalg.cond[p=1]"))

# --- symmetric matrices: cholesky, eigh, eigvalsh ---------------------------------------------------

_SPD = _with_spectrum([1.0, 2.5, 4.5])
_JUNK_ABOVE = np.triu(_normal(3, 3), 1)
"""Nonsymmetric noise above the diagonal: the lower-triangle routines must not see it."""
add(same(lambda m, a: m.linalg.cholesky(a), _SPD + _JUNK_ABOVE, name="wnp.linalg.cholesky[lower triangle]"))
add(same(lambda m, a: m.linalg.cholesky(a, upper=True), _SPD + _JUNK_ABOVE.T, name="wnp.linalg.cholesky[upper=True]"))
add(same(lambda m, x: m.linalg.cholesky(x @ _mT(m, x) + m.eye(3, dtype=x.dtype)), _normal(2, 3, 3),
         name="wnp.linalg.cholesky[x x.T + I, batched]", jax=True))
add(same(lambda m, a: (lambda w, v: (w, v * v))(*m.linalg.eigh(a)), _SPD + _JUNK_ABOVE,
         name="wnp.linalg.eigh[lower triangle]"))
add(same(lambda m, a: (lambda w, v: (w, v * v))(*m.linalg.eigh(a, UPLO="U")),
         _with_spectrum([-2.0, 0.5, 3.0]) + _JUNK_ABOVE.T,
         name="wnp.linalg.eigh[UPLO=U]"))
add(same(_eigen_function, _with_spectrum([-1.0, 0.6, 2.2, 3.5]) / 2, name="wnp.linalg.eigh[matrix function]", jax=True,
         autograd=True))
add(same(_eigen_function, _with_spectrum([-1.0, 1.0, 2.5], (2,)) / 2, name="wnp.linalg.eigh[batched]"))
add(same(lambda m, a: m.linalg.eigvalsh(a), _with_spectrum([-1.5, 0.5, 2.0]) + _JUNK_ABOVE, name="wnp.linalg.eigvalsh"))
add(same(lambda m, x: m.linalg.eigvalsh(_symmetric(m, x)), _normal(2, 3, 3), name="wnp.linalg.eigvalsh[batched]",
         jax=True))

# --- singular values, QR, pseudo-inverse, least squares ---------------------------------------------

_TALL = _with_singular_values(4, 3, [3.0, 2.0, 1.0])
_WIDE = _with_singular_values(3, 5, [2.5, 1.5, 0.8])
_SQUARE = _with_singular_values(3, 3, [3.0, 1.8, 0.7])
for _label, _sample in (("tall", _TALL), ("wide", _WIDE), ("square", _SQUARE)):
    add(same(_singular_function, _sample, name=f"wnp.linalg.svd[{_label}]", autograd=_label == "square",
             jax=_label != "square"))
    add(same(lambda m, a: (lambda u, s, vh: (u * u, s, vh * vh))(*m.linalg.svd(a, full_matrices=False)), _sample,
             name=f"wnp.linalg.svd[{_label}, factors squared]"))
    add(same(lambda m, a: m.linalg.svdvals(a), _sample, name=f"wnp.linalg.svdvals[{_label}]"))
    add(same(lambda m, a: _squared_factors(m, m.linalg.qr(a)), _sample, name=f"wnp.linalg.qr[{_label}]",
             jax=_label != "square"))
    add(same(lambda m, a: m.linalg.pinv(a), _sample, name=f"wnp.linalg.pinv[{_label}]", jax=_label == "wide"))
add(same(lambda m, a: m.linalg.svd(a), _SQUARE, name="wnp.linalg.svd[full_matrices, square]"))
add(same(lambda m, a: m.linalg.svd(a, compute_uv=False), _TALL, name="wnp.linalg.svd[compute_uv=False]"))
add(same(_singular_function, _with_singular_values(4, 3, [2.0, 1.2, 0.5], (2,)), name="wnp.linalg.svd[batched]"))
add(same(lambda m, a: tuple(m.linalg.qr(a)), _TALL, name="wnp.linalg.qr[factors]"))
add(same(lambda m, a: tuple(m.linalg.qr(a)), _WIDE, name="wnp.linalg.qr[wide factors]"))
add(same(lambda m, a: m.linalg.qr(a, mode="r"), _TALL, name="wnp.linalg.qr[mode=r]"))
add(same(lambda m, a: _squared_factors(m, m.linalg.qr(a)), _with_singular_values(4, 3, [2.0, 1.2, 0.5], (2,)),
         name="wnp.linalg.qr[batched]"))
add(same(lambda m, a: m.linalg.pinv(a), _with_singular_values(4, 3, [2.0, 1.2, 0.5], (2,)),
         name="wnp.linalg.pinv[batched]"))
add(same(lambda m, a: m.linalg.pinv(a, hermitian=True), _with_spectrum([-2.0, 0.7, 1.5]) + _JUNK_ABOVE,
         name="wnp.linalg.pinv[hermitian]"))
add(same(lambda m, a: m.linalg.pinv(a), _with_singular_values(4, 3, [2.0, 2.0, 1.0]),
         name="wnp.linalg.pinv[repeated singular values]"))
add(same(lambda m, a, b: m.linalg.lstsq(a, b)[0], _TALL, _normal(4), name="wnp.linalg.lstsq[x]", jax=True))
add(same(lambda m, a, b: m.linalg.lstsq(a, b)[1], _TALL, _normal(4, 2), name="wnp.linalg.lstsq[residuals]"))
add(same(lambda m, a, b: m.linalg.lstsq(a, b)[3], _TALL, _normal(4, 2), name="wnp.linalg.lstsq[s]"))
add(same(lambda m, a, b: m.linalg.lstsq(a, b)[2], _TALL, _normal(4, 2), name="wnp.linalg.lstsq[rank]",
         order=0))
# Rounding the rank-2 sample to float32 makes it full rank in float64: no float32 comparison.
add(same(lambda m, a: m.linalg.matrix_rank(a), _with_singular_values(4, 3, [2.0, 1.0, 0.0]),
         name="wnp.linalg.matrix_rank", order=0, float32=False))
add(same(lambda m, a, b, c, d: m.linalg.multi_dot([a, b, c, d]), _normal(4), _normal(4, 3), _normal(3, 5),
         _normal(5), name="wnp.linalg.multi_dot[vector ends]"))
add(same(lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), _normal(2, 6), _normal(6, 3), _normal(3, 4),
         name="wnp.linalg.multi_dot[matrices]"))

# --- norms -------------------------------------------------------------------------------------------

_VECTOR = _nonzero_vector(5)
for _ord in (None, 2, 1, np.inf, -np.inf, 3, 0.5, -1.5):
    add(same(lambda m, x, o=_ord: m.linalg.norm(x, o), _VECTOR, name=f"wnp.linalg.norm[vector, ord={_ord}]",
             autograd=_ord in (None, 2, 3), jax=_ord == 3))
add(same(lambda m, x: m.linalg.norm(x, 0), _VECTOR, name="wnp.linalg.norm[vector, ord=0]", order=0))
_MATRIX = _with_singular_values(4, 3, [2.5, 1.5, 0.6]) + np.array([[0.1], [0.2], [0.3], [0.4]])
for _ord in (None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf):
    add(same(lambda m, x, o=_ord: m.linalg.norm(x, o), _MATRIX, name=f"wnp.linalg.norm[matrix, ord={_ord}]",
             autograd=_ord in (None, "fro"), jax=_ord == "nuc"))
_STACK = _normal(3, 2, 4) + np.arange(24.0).reshape(3, 2, 4) / 7
add(same(lambda m, x: m.linalg.norm(x, axis=1, keepdims=True), _STACK, name="wnp.linalg.norm[axis=1, keepdims]"))
add(same(lambda m, x: m.linalg.norm(x, 3, axis=-1), _STACK, name="wnp.linalg.norm[ord=3, axis=-1]"))
add(same(lambda m, x: m.linalg.norm(x, 1, axis=(2, 0), keepdims=True), _STACK,
         name="wnp.linalg.norm[ord=1, axis=(2, 0), keepdims]", jax=True))
add(same(lambda m, x: m.linalg.norm(x, "nuc", axis=(0, 2)), _STACK, name="wnp.linalg.norm[nuc, axis=(0, 2)]"))
add(same(lambda m, x: m.linalg.norm(x), _STACK, name="wnp.linalg.norm[3-d, flattened]"))
add(same(lambda m, x: m.linalg.vector_norm(x, axis=(0, 2), keepdims=True), _STACK,
         name="wnp.linalg.vector_norm[axis=(0, 2), keepdims]"))
add(same(lambda m, x: m.linalg.vector_norm(x, ord=np.inf), _STACK, name="wnp.linalg.vector_norm[ord=inf]"))
add(same(lambda m, x: m.linalg.matrix_norm(x, ord=2), _STACK, name="wnp.linalg.matrix_norm[ord=2, batched]"))
add(same(lambda m, x: m.linalg.matrix_norm(x, keepdims=True), _STACK, name="wnp.linalg.matrix_norm[fro, keepdims]"))

# --- the array API's other names in numpy.linalg ----------------------------------------------------

add(same(lambda m, a, b: m.linalg.matmul(a, b), _normal(2, 3, 4), _normal(4, 2), name="wnp.linalg.matmul"))
add(same(lambda m, a, b: m.linalg.outer(a, b), _normal(3), _normal(4), name="wnp.linalg.outer"))
add(same(lambda m, a, b: m.linalg.vecdot(a, b), _normal(2, 3), _normal(3), name="wnp.linalg.vecdot"))
add(same(lambda m, a, b: m.linalg.cross(a, b), _normal(2, 3), _normal(2, 3), name="wnp.linalg.cross"))
add(same(lambda m, a, b: m.linalg.tensordot(a, b, axes=1), _normal(2, 3), _normal(3, 4),
         name="wnp.linalg.tensordot"))
add(same(lambda m, a: m.linalg.matrix_transpose(a), _normal(2, 3, 4), name="wnp.linalg.matrix_transpose"))
add(same(lambda m, a: m.linalg.trace(a, offset=1), _normal(2, 3, 4), name="wnp.linalg.trace[offset=1]"))
add(same(lambda m, a: m.linalg.diagonal(a, offset=-1), _normal(2, 4, 3), name="wnp.linalg.diagonal[offset=-1]"))
