"""``wengert.numpy.linalg``: NumPy's linear algebra, differentiable.

The functions take NumPy's arguments and batch over leading axes where NumPy
does. With no transform active they are NumPy's own; under a transform they
run on the primitives of ``wengert._src.primitives.linalg`` (inv, solve, det,
slogdet, cholesky, eigh, svd, qr, pinv) and on compositions of them, so
their derivatives are exact and of every order.

Where a derivative needs something of the input, it says so:

- ``inv``, ``solve`` need an invertible matrix (a singular one raises
  ``LinAlgError``, as in NumPy). ``det`` is differentiable everywhere: its
  gradient is the cofactor matrix, the adjugate's transpose at a singular
  matrix (second derivatives too). ``slogdet``'s derivative at a singular
  matrix is infinite, ``adj(A)ᵀ / 0`` (±inf, nan where the adjugate is 0),
  as in JAX.
- ``cholesky``, ``eigh``, ``eigvalsh`` (and ``pinv`` / ``svd`` with
  ``hermitian=True``) read one triangle of the input, as NumPy does; the
  derivative is that of the function they compute, so the other triangle
  gets a zero derivative and each off-diagonal entry of the triangle read
  counts for both places it fills.
- Eigenvectors (``eigh``) need distinct eigenvalues, singular vectors
  (``svd``) distinct nonzero singular values. Functions of the eigenvalues
  or singular values alone (``eigvalsh``, ``svdvals``, the nuclear and
  spectral norms) have their derivative at ties too.
- ``qr`` needs full rank; ``pinv`` and ``lstsq`` a rank that does not change
  near the input.

``solve``, ``det`` and ``slogdet`` factor their matrix once (LAPACK's pivoted
LU, the ``lu_factor`` primitive, through SciPy), and their derivatives reuse
that factorisation, as JAX's and PyTorch's do: the VJP of ``solve`` is a solve
with ``Aᵀ`` from the same factors, the cofactors of ``det`` and ``slogdet`` an
inverse from them. Under ``jit`` one factorisation serves every function of the
same matrix. Matrices smaller than 32 x 32 (where NumPy's own calls are
cheaper than keeping factors), stacks of matrices and installs without SciPy
are solved by NumPy from the matrix, and a triangular one by one triangular
solve, as before.

>>> import numpy as np, wengert, wengert.numpy as wnp
>>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
>>> np.allclose(wengert.grad(wnp.linalg.det)(a), np.linalg.det(a) * np.linalg.inv(a).T)
True
"""

import builtins
import math
import operator
from typing import NamedTuple

from wengert._src.backend import xp
from wengert._src.core.source_info import user_frame_summary
from wengert._src.primitives import linalg as la
from wengert.errors import InPlaceError, ShapeError

from ._contract import cross as _cross
from ._contract import dot, matmul, tensordot
from ._core import asarray_or_tracer, concrete, is_traced, known_value, shape_of
from ._math import abs, astype, conj, equal, greater, not_equal, real, sqrt, stop_gradient, where
from ._reductions import any, count_nonzero, max, min, sum
from ._shape import concatenate, moveaxis, reshape
from ._shape import diagonal as _diagonal
from ._shape import matrix_transpose as _matrix_transpose

LinAlgError = xp.linalg.LinAlgError


class EighResult(NamedTuple):
    """What ``eigh`` returns, with NumPy's field names."""

    eigenvalues: object
    eigenvectors: object


class SlogdetResult(NamedTuple):
    """What ``slogdet`` returns, with NumPy's field names."""

    sign: object
    logabsdet: object


class SVDResult(NamedTuple):
    """What ``svd`` returns with ``compute_uv=True``, with NumPy's field names."""

    U: object
    S: object
    Vh: object


class QRResult(NamedTuple):
    """What ``qr`` returns in modes 'reduced' and 'complete', with NumPy's field names."""

    Q: object
    R: object


class _NotGiven:
    """The default of ``pinv``'s ``rtol``, which NumPy tells apart from ``None``."""

    def __repr__(self) -> str:
        return "<not given>"


_NOT_GIVEN = _NotGiven()


# --- checks and small helpers -------------------------------------------------------------
def _at() -> str:
    """Where the user called from, for error messages."""
    place = user_frame_summary()
    return f", at {place}" if place else ""


def _stacked_matrices(a, name: str):
    a = asarray_or_tracer(a)
    if a.ndim < 2:
        raise ShapeError(
            f"linalg.{name}: expected a matrix or a stack of matrices (at least 2 dimensions), "
            f"got shape {a.shape}{_at()}"
        )
    return a


def _stacked_square(a, name: str):
    a = _stacked_matrices(a, name)
    if a.shape[-1] != a.shape[-2]:
        raise ShapeError(
            f"linalg.{name}: expected square matrices (the last two axes equal), got shape {a.shape}{_at()}"
        )
    return a


def _symmetric_from_triangle(a, lower: bool):
    """The symmetric (complex: Hermitian) matrices that NumPy's symmetric routines see: one triangle, mirrored.

    LAPACK reads only the real part of a complex diagonal, so the diagonal's imaginary part is dropped
    (``(H + Hᴴ) / 2``): it changes nothing, and its derivative is 0.
    """
    mask = xp.tri(a.shape[-1], dtype=bool)
    mirrored = where(mask if lower else mask.T, a, conj(_matrix_transpose(a)))
    if mirrored.dtype.kind != "c":
        return mirrored
    return (mirrored + conj(_matrix_transpose(mirrored))) * 0.5


def _uplo_is_lower(uplo: str, name: str) -> bool:
    if uplo not in ("L", "U"):
        raise ValueError(f"linalg.{name}: UPLO must be 'L' or 'U', got {uplo!r}")
    return uplo == "L"


# --- inverses, solves, determinants -------------------------------------------------------
def inv(a):
    """The inverse of each square matrix of ``a``: d(A⁻¹) = -A⁻¹ dA A⁻¹."""
    return la.inv(_stacked_square(a, "inv"))


def solve(a, b):
    """``x`` with ``a @ x = b``: d x = A⁻¹ (db - dA x).

    As in NumPy 2, ``b`` is one vector only when it is 1-D; otherwise it is a
    (stack of) matrix of right-hand sides, and the batch axes broadcast.
    """
    a = _stacked_square(a, "solve")
    b = asarray_or_tracer(b)
    n = a.shape[-1]
    if b.ndim == 0 or b.shape[-2 if b.ndim > 1 else 0] != n:
        raise ShapeError(
            f"linalg.solve: a of shape {a.shape} needs b with {n} rows (shape ({n},) or (..., {n}, K)), "
            f"got shape {b.shape}{_at()}"
        )
    if b.ndim == 1:
        x = la.solve_system(a, reshape(b, (n, 1)))
        return reshape(x, x.shape[:-1])
    return la.solve_system(a, b)


def det(a):
    """The determinant of each square matrix: d det A = tr(cof(A)ᵀ dA), cof A = det A · A⁻ᵀ.

    The cofactor matrix ``cof A`` is computed from the LU factors of the forward pass where ``A`` is
    well conditioned and through the SVD elsewhere, so the derivative is exact at singular matrices
    too: ``grad(det)([[1, 2], [2, 4]])`` is ``[[4, -2], [-2, 1]]``.
    """
    a = _stacked_square(a, "det")
    return la.det(a, *la.lu_factor(a))


def slogdet(a):
    """``(sign, logabsdet)`` with det A = sign · exp(logabsdet).

    ``sign`` is piecewise constant and carries no derivative;
    d logabsdet = tr(A⁻¹ dA), infinite at a singular matrix (±inf, or nan
    where the adjugate is 0, as in JAX).
    """
    a = _stacked_square(a, "slogdet")
    sign, logabsdet = la.slogdet(a, *la.lu_factor(a))
    return SlogdetResult(sign, logabsdet)


def matrix_power(a, n):
    """``a`` multiplied by itself ``n`` times (an integer; negative powers invert first)."""
    a = _stacked_square(a, "matrix_power")
    try:
        n = operator.index(n)
    except TypeError as error:
        raise TypeError(f"linalg.matrix_power: the exponent must be an integer, got {n!r}") from error
    if n == 0:
        return xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
    if n < 0:
        a, n = inv(a), -n
    result, square = None, a
    while True:
        n, bit = divmod(n, 2)
        if bit:
            result = square if result is None else matmul(result, square)
        if not n:
            return result
        square = matmul(square, square)


def pinv(a, rcond=None, hermitian: bool = False, *, rtol=_NOT_GIVEN):
    """The Moore-Penrose pseudo-inverse (singular values <= rcond · max(s) count as zero).

    ``rcond`` and ``rtol`` mean what they mean in NumPy (the default cutoff
    is 1e-15, or ``max(m, n) · eps`` with ``rtol=None``). The derivative is
    that of the pseudo-inverse at constant rank (Golub and Pereyra); it does
    not need distinct singular values. ``hermitian=True`` reads the lower
    triangle only.
    """
    a = _stacked_matrices(a, "pinv")
    if rcond is None:
        if rtol is _NOT_GIVEN:
            rcond = 1e-15
        elif rtol is None:
            rcond = builtins.max(a.shape[-2:]) * xp.finfo(a.dtype).eps
        else:
            rcond = rtol
    elif rtol is not _NOT_GIVEN:
        raise ValueError("linalg.pinv: give rcond or rtol, not both")
    if hermitian and is_traced(a):
        a = _symmetric_from_triangle(_stacked_square(a, "pinv"), lower=True)
    return la.pinv(a, rcond=concrete(rcond), hermitian=bool(hermitian))


def lstsq(a, b, rcond=None):
    """``(x, residuals, rank, s)``: the least-squares solution of ``a @ x ≈ b``, as NumPy.

    Under a transform ``x = pinv(a, rcond) @ b`` (singular values at or below
    ``rcond · max(s)`` count as zero; the default ``rcond`` is ``eps · max(m, n)``),
    which is differentiable wherever the rank is locally constant; ``residuals``
    (the squared residual norms, empty unless ``a`` is tall and of full rank)
    and ``s`` (the singular values of ``a``) are differentiable, ``rank`` is an int.

    Under ``vmap`` and ``jit`` the rank is a traced integer, whose value the program
    cannot branch on: there a tall ``a`` always gets its residuals, full rank or not
    (as JAX does), since an empty result for some examples only would have no one shape.
    """
    a, b = asarray_or_tracer(a), asarray_or_tracer(b)
    if not (is_traced(a) or is_traced(b)):
        return xp.linalg.lstsq(a, b, rcond=rcond)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ShapeError(
            f"linalg.lstsq: expected a of shape (M, N) and b of shape (M,) or (M, K), "
            f"got {a.shape} and {b.shape}{_at()}"
        )
    m, n = a.shape
    if rcond is None:
        rcond = xp.finfo(a.dtype).eps * builtins.max((m, n))
    s = svdvals(a)
    fixed = stop_gradient(s)
    rank = _count_above(fixed, _relative_cutoff(fixed, rcond)) if s.size else 0
    known_rank = known_value(rank)
    rank = astype(rank, xp.int32) if known_rank is None else int(known_rank)  # NumPy's rank is an int32
    x = matmul(pinv(a, rcond), b)
    if m > n and (is_traced(rank) or rank == n):
        r = matmul(a, x) - b
        residuals = sum(r * r, axis=0)
        if b.ndim == 1:
            residuals = reshape(residuals, (1,))
    else:
        residuals = xp.empty((0,), dtype=a.dtype)
    return x, residuals, rank, s


def multi_dot(arrays, *, out=None):
    """The product of a chain of matrices, multiplied in the cheapest order.

    The first array may be 1-D (a row vector) and the last 1-D (a column
    vector), as in NumPy; the order is found by the classic dynamic program
    over the chain's dimensions.
    """
    arrays = [asarray_or_tracer(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError("linalg.multi_dot: expected at least two arrays")
    if not any(is_traced(a) for a in arrays):
        return xp.linalg.multi_dot(arrays, out=out)
    if out is not None:
        raise InPlaceError("linalg.multi_dot: traced arrays are immutable; drop out= and use the result")
    if len(arrays) == 2:
        return dot(arrays[0], arrays[1])
    row, column = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if row:
        arrays[0] = reshape(arrays[0], (1, -1))
    if column:
        arrays[-1] = reshape(arrays[-1], (-1, 1))
    for position, a in enumerate(arrays):
        if a.ndim != 2:
            raise ShapeError(
                f"linalg.multi_dot: array {position} has shape {a.shape}; only the first and last "
                f"may be 1-D, the others must be 2-D{_at()}"
            )
    split = _cheapest_chain_split([a.shape[0] for a in arrays] + [arrays[-1].shape[1]])
    result = _chain_product(arrays, split, 0, len(arrays) - 1)
    if row and column:
        return reshape(result, ())
    if row:
        return reshape(result, (result.shape[1],))
    if column:
        return reshape(result, (result.shape[0],))
    return result


def _cheapest_chain_split(dims: list) -> list:
    """``split[i][j]``: where to split the product of matrices i..j to do the fewest multiplications."""
    count = len(dims) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                candidate = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if candidate < cost[i][j]:
                    cost[i][j], split[i][j] = candidate, k
    return split


def _chain_product(arrays, split, i: int, j: int):
    if i == j:
        return arrays[i]
    k = split[i][j]
    return matmul(_chain_product(arrays, split, i, k), _chain_product(arrays, split, k + 1, j))


# --- factorizations -------------------------------------------------------------------------
def cholesky(a, /, *, upper: bool = False):
    """The Cholesky factor L (A = L Lᵀ), or U = Lᵀ with ``upper=True``, of each SPD matrix.

    Like NumPy it reads only the lower triangle (the upper one with
    ``upper=True``). dL = L Φ(L⁻¹ dA L⁻ᵀ), Φ the strictly lower triangle plus
    half the diagonal.
    """
    a = _stacked_square(a, "cholesky")
    if not is_traced(a):
        return xp.linalg.cholesky(a, upper=upper)
    factor = la.cholesky(_symmetric_from_triangle(a, lower=not upper))
    return conj(_matrix_transpose(factor)) if upper else factor


def eigh(a, UPLO: str = "L"):
    """``(eigenvalues, eigenvectors)`` of each symmetric (complex: Hermitian) matrix, eigenvalues ascending.

    Reads only the ``UPLO`` triangle, as NumPy does (and the real part of a complex diagonal). With
    P = Vᴴ dA V: dw = Re diag(P), dV = V (F ∘ P), F_ij = 1/(w_j - w_i). The eigenvectors'
    derivative needs distinct eigenvalues (at a tie the coupling term is taken
    as 0); each eigenvector is defined up to sign (complex: a phase), so differentiate functions
    that do not depend on it (``v * v``, ``abs(v)``, ``v @ diag(f(w)) @ v.conj().T``).
    """
    lower = _uplo_is_lower(UPLO, "eigh")
    a = _stacked_square(a, "eigh")
    if not is_traced(a):
        w, v = xp.linalg.eigh(a, UPLO=UPLO)
    else:
        w, v = la.eigh(_symmetric_from_triangle(a, lower), lower=lower)
    return EighResult(w, v)


def eigvalsh(a, UPLO: str = "L"):
    """The eigenvalues of each symmetric matrix, ascending: dw_i = v_iᵀ dA v_i.

    Exact at repeated eigenvalues too when the function of them is symmetric
    (a sum, a trace of a matrix function).
    """
    lower = _uplo_is_lower(UPLO, "eigvalsh")
    a = _stacked_square(a, "eigvalsh")
    if not is_traced(a):
        return xp.linalg.eigvalsh(a, UPLO=UPLO)
    return la.eigh(_symmetric_from_triangle(a, lower), lower=lower)[0]


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """The singular value decomposition ``(U, S, Vh)``, ``a = U @ diag(S) @ Vh``, as NumPy.

    Derivatives are those of the thin SVD (``full_matrices=False``, or a
    square matrix); with ``full_matrices=True`` the extra columns of ``U`` (or
    rows of ``Vh``) of a non-square matrix are any orthonormal basis of a
    complement and have no derivative: ``jit`` and ``vmap`` compute them, and
    a transform that differentiates them raises. The
    singular vectors' derivative needs distinct, nonzero singular values; each
    pair (u_i, v_i) is defined up to a common sign, so differentiate
    functions that do not depend on it (``U @ diag(f(S)) @ Vh``, ``U * U``).
    With ``hermitian=True`` the lower triangle is read; under a transform
    the factors then come from the general SVD of that symmetric matrix
    (pairs of columns may differ in sign from NumPy's eigenvalue route).
    """
    a = _stacked_matrices(a, "svd")
    if not is_traced(a):
        result = xp.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv, hermitian=hermitian)
        return SVDResult(*result) if compute_uv else result
    if hermitian:
        a = _symmetric_from_triangle(_stacked_square(a, "svd"), lower=True)
    if not compute_uv:
        return la.svd(a)[1]
    m, n = a.shape[-2:]
    if full_matrices and m != n:
        return SVDResult(*la.full_svd(a))
    return SVDResult(*la.svd(a))


def svdvals(x, /):
    """The singular values of each matrix, descending: ds_i = u_iᵀ dA v_i."""
    return svd(x, compute_uv=False)


def qr(a, mode: str = "reduced"):
    """The QR factorization ``(Q, R)``, ``a = Q @ R``, as NumPy (``mode`` 'reduced', 'complete', 'r').

    Differentiable for full-rank matrices. For m >= n it is the reduced QR
    primitive; for m < n, A = [X | Y] with X square gives Q, R₁ = qr(X) and
    R = [R₁ | Qᵀ Y]. ``mode='complete'`` of a tall matrix (extra columns of Q)
    and ``mode='raw'`` have no derivative: ``jit`` and ``vmap`` compute them,
    and a transform that differentiates them raises.
    """
    a = _stacked_matrices(a, "qr")
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"linalg.qr: unknown mode {mode!r}; use 'reduced', 'complete', 'r' or 'raw'")
    if not is_traced(a):
        result = xp.linalg.qr(a, mode=mode)
        return QRResult(*result) if mode in ("reduced", "complete") else result
    m, n = a.shape[-2:]
    if mode == "raw":
        return la.qr_of_mode(a, mode=mode)
    if mode == "complete" and m > n:
        return QRResult(*la.qr_of_mode(a, mode=mode))
    if m >= n:
        q, r = la.qr(a)
    else:
        q, r_square = la.qr(a[..., :, :m])
        r = concatenate([r_square, matmul(_matrix_transpose(q), a[..., :, m:])], axis=-1)
    return r if mode == "r" else QRResult(q, r)


def _count_above(s, tol):
    """How many singular values ``s`` (along the last axis) exceed ``tol`` (with a unit last axis)."""
    return count_nonzero(greater(s, tol), axis=-1)


def _relative_cutoff(s, rtol):
    """``rtol · max(s)`` of each matrix's singular values ``s``, with a unit last axis."""
    return max(s, axis=-1, keepdims=True) * rtol


def _per_matrix(value):
    """A tolerance given per matrix (a scalar, or an array over the stack), with a unit last axis."""
    value = stop_gradient(asarray_or_tracer(value))
    return reshape(value, (*shape_of(value), 1))


def matrix_rank(A, tol=None, hermitian: bool = False, *, rtol=None):
    """The rank of each matrix (an integer: no derivative), by NumPy's rule.

    It counts the singular values above ``tol``, which defaults to ``rtol · max(s)`` with
    ``rtol = max(M, N) · eps``; ``tol`` and ``rtol`` may be arrays, one per matrix. A 1-D
    input has rank 1 unless it is all zeros.
    """
    if not builtins.any(is_traced(v) for v in (A, tol, rtol)):
        return xp.linalg.matrix_rank(A, tol=tol, hermitian=hermitian, rtol=rtol)
    if tol is not None and rtol is not None:
        raise ValueError("linalg.matrix_rank: give tol or rtol, not both")
    A = stop_gradient(asarray_or_tracer(A))
    if A.ndim < 2:
        return astype(any(not_equal(A, 0)), xp.int64)
    s = abs(eigvalsh(A)) if hermitian else svdvals(A)
    if tol is not None:
        return _count_above(s, _per_matrix(tol))
    rtol = builtins.max(A.shape[-2:]) * xp.finfo(s.dtype).eps if rtol is None else _per_matrix(rtol)
    return _count_above(s, _relative_cutoff(s, rtol))


def cond(x, p=None):
    """The condition number of each matrix in the norm ``p`` (None: the 2-norm, s_max / s_min)."""
    x = _stacked_matrices(x, "cond")
    if not is_traced(x):
        return xp.linalg.cond(x, p)
    if p in (None, 2, -2):
        s = svdvals(x)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    x = _stacked_square(x, "cond")
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


# --- norms --------------------------------------------------------------------------------------
def _root_of_sum_of_squares(x, axes: tuple, keepdims: bool):
    """sqrt(sum(|x|²)) over ``axes``, with derivative 0 (not nan) where the sum is 0 (``|x|² = Re(x conj(x))``
    for complex ``x``, so the norm is real, as NumPy's)."""
    squares = sum(real(x * conj(x)) if x.dtype.kind == "c" else x * x, axis=axes, keepdims=keepdims)
    zero = equal(squares, 0)
    return where(zero, 0.0, sqrt(where(zero, 1.0, squares)))


def _vector_norm(x, ord, axes: tuple, keepdims: bool):
    if isinstance(ord, str):
        raise ValueError(f"linalg.norm: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        return _root_of_sum_of_squares(x, axes, keepdims)
    if ord == math.inf:
        return max(abs(x), axis=axes, keepdims=keepdims)
    if ord == -math.inf:
        return min(abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        return astype(count_nonzero(x, axis=axes, keepdims=keepdims), x.dtype)
    if ord == 1:
        return sum(abs(x), axis=axes, keepdims=keepdims)
    magnitude = abs(x)
    if ord < 0:
        return sum(magnitude**ord, axis=axes, keepdims=keepdims) ** (1.0 / ord)
    zero = equal(magnitude, 0)
    powers = where(zero, 0.0, where(zero, 1.0, magnitude) ** ord)
    total = sum(powers, axis=axes, keepdims=keepdims)
    total_zero = equal(total, 0)
    return where(total_zero, 0.0, where(total_zero, 1.0, total) ** (1.0 / ord))


def _matrix_norm(x, ord, row: int, col: int, keepdims: bool):
    if ord in (None, "fro", "f"):
        result = _root_of_sum_of_squares(x, (row, col), False)
    elif ord in ("nuc", 2, -2):
        s = svdvals(moveaxis(x, (row, col), (-2, -1)))
        result = sum(s, axis=-1) if ord == "nuc" else s[..., 0] if ord == 2 else s[..., -1]
    elif ord in (1, -1, math.inf, -math.inf):
        summed, kept = (row, col) if ord in (1, -1) else (col, row)
        sums = sum(abs(x), axis=summed)
        kept = kept - 1 if kept > summed else kept
        result = max(sums, axis=kept) if ord > 0 else min(sums, axis=kept)
    else:
        raise ValueError(f"linalg.norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        shape = list(x.shape)
        shape[row] = shape[col] = 1
        result = reshape(result, tuple(shape))
    return result


def _normalized_axes(axis, ndim: int) -> tuple:
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    out = []
    for a in axes:
        a = operator.index(a)
        if not -ndim <= a < ndim:
            raise ShapeError(f"linalg.norm: axis {a} is out of bounds for an array of {ndim} dimensions")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ShapeError(f"linalg.norm: repeated axis in {axis}")
    return tuple(out)


def norm(x, ord=None, axis=None, keepdims: bool = False):
    """A vector or matrix norm, with NumPy's ``ord``, ``axis`` and ``keepdims``.

    Vector orders: None/2, 1, inf, -inf, 0 (a count, no derivative) and any
    p (``sum(|x|^p)^(1/p)``); matrix orders: 'fro', 'nuc', 1, -1, 2, -2, inf,
    -inf. ``axis=None`` takes a 1-D input as a vector and a 2-D one as a
    matrix (with ``ord=None``, any input as one flat vector).

    The vector norms for p > 0 are not differentiable where they vanish; the
    gradient there is the subgradient 0 (no nan): at the zero vector, the
    gradient of ``norm(x)`` is the zero vector. Likewise, for p > 0, an entry
    that is 0 gets the derivative 0 (the p-norms with p < 1 have an infinite
    slope there). ``'fro'`` follows the 2-norm, so its gradient at the zero
    matrix is 0 too. ``2``, ``-2`` and ``'nuc'`` differentiate through the
    singular values and are exact at ties; at the zero matrix they give the
    subgradient ``U Vᵀ`` (``u₁ v₁ᵀ`` for ``2``) of the SVD NumPy computes.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> wengert.grad(wnp.linalg.norm)(np.zeros(3))
    array([0., 0., 0.])
    """
    x = asarray_or_tracer(x)
    if not is_traced(x):
        return xp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    if axis is None:
        if ord is None or (ord in ("f", "fro") and x.ndim == 2) or (ord == 2 and x.ndim == 1):
            return _root_of_sum_of_squares(x, tuple(range(x.ndim)), keepdims)
        axes = tuple(range(x.ndim))
    else:
        axes = _normalized_axes(axis, x.ndim)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes[0], axes[1], keepdims)
    raise ShapeError(
        f"linalg.norm: cannot take a norm over {len(axes)} axes of shape {x.shape}; "
        f"give axis as one axis (a vector norm) or two (a matrix norm), or use vector_norm{_at()}"
    )


def vector_norm(x, /, *, axis=None, keepdims: bool = False, ord=2):
    """The vector norm over ``axis`` (all axes, or a tuple of them, flattened together)."""
    x = asarray_or_tracer(x)
    if not is_traced(x):
        return xp.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    axes = tuple(range(x.ndim)) if axis is None else _normalized_axes(axis, x.ndim)
    return _vector_norm(x, ord, axes, keepdims)


def matrix_norm(x, /, *, keepdims: bool = False, ord="fro"):
    """The matrix norm of each matrix (the last two axes)."""
    x = _stacked_matrices(x, "matrix_norm")
    if not is_traced(x):
        return xp.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    return _matrix_norm(x, ord, x.ndim - 2, x.ndim - 1, keepdims)


# --- the array API's other names in numpy.linalg ----------------------------------------------
def matrix_transpose(x, /):
    """Swap the last two axes."""
    return _matrix_transpose(_stacked_matrices(x, "matrix_transpose"))


def outer(x1, x2, /):
    """The outer product of two vectors."""
    x1, x2 = asarray_or_tracer(x1), asarray_or_tracer(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ShapeError(f"linalg.outer: expected two vectors, got shapes {x1.shape} and {x2.shape}")
    return matmul(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def vecdot(x1, x2, /, *, axis: int = -1):
    """The dot product of vectors along ``axis`` (broadcasting the others)."""
    return sum(asarray_or_tracer(x1) * asarray_or_tracer(x2), axis=axis)


def diagonal(x, /, *, offset: int = 0):
    """The ``offset`` diagonal of each matrix (the last two axes)."""
    return _diagonal(_stacked_matrices(x, "diagonal"), offset, -2, -1)


def trace(x, /, *, offset: int = 0, dtype=None):
    """The sum of the ``offset`` diagonal of each matrix (the last two axes)."""
    total = sum(diagonal(x, offset=offset), axis=-1)
    return total if dtype is None else astype(total, dtype)


def cross(x1, x2, /, *, axis: int = -1):
    """The cross product of 3-vectors along ``axis``."""
    return _cross(x1, x2, axis=axis)


__all__ = [
    "EighResult",
    "LinAlgError",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "multi_dot",
    "norm",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "trace",
    "vecdot",
    "vector_norm",
]
