"""Linear-algebra primitives: lu_factor, inv, solve, triangular_solve, det, slogdet, cholesky, eigh, svd, qr, pinv.

Each works on stacks of matrices (the last two axes), as NumPy's ``linalg``
does, and each derivative rule is a few matrix products written with
wengert's own primitives, so second and higher derivatives work. Notation:
``Xᵀ`` swaps the last two axes, ``∘`` is the elementwise product, ``x̄`` is
the cotangent of ``x``.

``solve``, ``det``, ``slogdet`` and ``cofactor`` take the LU factors of their matrix as operands
(``lu_factor``, which has no derivative: the matrix itself carries it), so their derivative rules
solve and invert with the factorisation of the forward pass, as JAX's ``custom_linear_solve`` and
PyTorch's saved ``LU`` do: ``solve``'s VJP is LAPACK's ``getrs`` with ``trans=1`` on the same factors.

What the rules need of their inputs (documented again on the NumPy face):

- ``inv``, ``solve``: an invertible matrix (NumPy raises ``LinAlgError`` at a
  singular one). ``det`` needs nothing: its derivative is the cofactor
  matrix, computed through the SVD, exact at every rank (its third
  derivative needs an invertible matrix). ``slogdet``'s derivative is
  infinite at a singular matrix: ``adj(A)ᵀ / 0``, ±inf or nan, as in JAX.
- ``cholesky``, ``eigh``: a symmetric input (the face builds it from one
  triangle); tangents are then symmetric too.
- ``eigh``: distinct eigenvalues for the eigenvectors' derivative;
  ``svd``: distinct, nonzero singular values for the singular vectors'
  derivative. Where two of them tie, the rules drop the ``1 / (λⱼ - λᵢ)``
  coupling term (take 0 for it) instead of dividing by zero, so functions of
  the eigenvalues / singular values alone (a trace, a norm) still get their
  exact derivative.
- ``qr``: a full-column-rank matrix with at least as many rows as columns.
- ``pinv``: a rank that stays constant near the input.
"""

import math

from wengert.errors import TransformError

from ..backend import xp
from ..core.primitive import Primitive
from ..core.source_info import user_frame_summary
from .contractions import matmul
from .elementwise import conj, divide, equal, exp, imag, neg, real, where
from .rules import BY_VJP, JointVJP
from .structural import batch_first, rank_of, reduce_sum, reshape, transpose, unbroadcast


# --- batching: NumPy's linalg already maps over leading axes -------------------------------------------
def _stack_batch(prim, args, dims, **params):
    """Batch a function of one stack of matrices: the batch axis becomes the first stack axis."""
    out = prim(batch_first(args[0], dims[0]), **params)
    return out, ((0,) * len(out) if prim.multiple_results else 0)


# --- helpers shared by the rules -------------------------------------------------------------
def matrix_transpose(x):
    """Swap the last two axes."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return transpose(x, axes=tuple(axes))


def adjoint(x):
    """``Xᴴ``, the conjugate transpose of each matrix of a stack (``Xᵀ`` for real values)."""
    return conj(matrix_transpose(x)) if x.dtype.kind == "c" else matrix_transpose(x)


def _eye(n: int, dtype):
    return xp.eye(n, dtype=dtype)


def diagonal_part(x):
    """The diagonals of a stack of square matrices, ``(..., n, n) -> (..., n)``."""
    return reduce_sum(x * _eye(x.shape[-1], x.dtype), axis=(x.ndim - 1,), keepdims=False)


def diagonal_matrix(v):
    """A stack of diagonal matrices from a stack of vectors, ``(..., n) -> (..., n, n)``."""
    column = reshape(v, shape=tuple(v.shape) + (1,))
    return column * _eye(v.shape[-1], v.dtype)


def matrix_trace(x):
    """``tr X`` for each matrix of a stack."""
    return reduce_sum(x * _eye(x.shape[-1], x.dtype), axis=(x.ndim - 2, x.ndim - 1), keepdims=False)


def _as_scale(v):
    """A stack of scalars ``(...)`` shaped ``(..., 1, 1)`` to scale a stack of matrices."""
    return reshape(v, shape=tuple(v.shape) + (1, 1))


def _safe_reciprocal(x):
    """``1 / x``, with 0 where ``x == 0`` (and a zero derivative there, no nan)."""
    zero = equal(x, 0)
    return where(zero, 0.0, divide(1.0, where(zero, 1.0, x)))


def _gap_reciprocals(values):
    """``F[..., i, j] = 1 / (values_j - values_i)``, with 0 on the diagonal and at ties."""
    row = reshape(values, shape=tuple(values.shape[:-1]) + (1, values.shape[-1]))
    column = reshape(values, shape=tuple(values.shape) + (1,))
    return _safe_reciprocal(row - column)


def _scale_columns(x, v):
    """``X diag(v)``: column ``j`` of each matrix times ``v[..., j]``."""
    return x * reshape(v, shape=tuple(v.shape[:-1]) + (1, v.shape[-1]))


def _scale_rows(x, v):
    """``diag(v) X``: row ``i`` of each matrix times ``v[..., i]``."""
    return x * reshape(v, shape=tuple(v.shape) + (1,))


def _real_diagonal(x):
    """``Re diag(X)``: the derivative of real eigen- or singular values, ``diag(X)`` for real ``X``."""
    diagonal = diagonal_part(x)
    return real(diagonal) if x.dtype.kind == "c" else diagonal


def _phase_diagonal(x, scale):
    """``diag(i Im(X_jj) scale_j)``: the anti-Hermitian diagonal ``(X - Xᴴ)/2 ∘ diag(scale)`` of a complex SVD's
    rules (the phase of each pair of singular vectors, which JAX's convention gives to ``U``)."""
    return diagonal_matrix(1j * imag(diagonal_part(x)) * scale)


def _stack_flops(per_matrix):
    """A ``flops`` rule: ``per_matrix(m, n)`` (LAPACK's leading-order count for one m x n matrix, as in
    Golub and Van Loan) times the number of matrices in the stack."""

    def flops(out_shapes, a, *rest, **params):
        m, n = a[-2:]
        return int(math.prod(a[:-2]) * per_matrix(m, n))

    return flops


def _svd_count(m, n):
    """Thin SVD with both sets of singular vectors (R-SVD): 6 l k² + 20 k³, k = min, l = max."""
    k, long = min(m, n), max(m, n)
    return 6 * long * k * k + 20 * k**3


# --- inverse and solve -------------------------------------------------------------------------
inv = Primitive(
    "inv",
    xp.linalg.inv,
    jvps=(lambda t, ans, a: -matmul(ans, matmul(t, ans)),),
    vjps=(lambda g, ans, a: -matmul(matrix_transpose(ans), matmul(g, matrix_transpose(ans))),),
    batch=lambda args, dims: _stack_batch(inv, args, dims),
    flops=_stack_flops(lambda m, n: 2 * n**3),
    doc="A⁻¹ of a stack of square matrices; d(A⁻¹) = -A⁻¹ dA A⁻¹, Ā = -A⁻ᵀ Ḡ A⁻ᵀ.",
)


def _scipy_linalg():
    """``scipy.linalg``, or None where SciPy (an optional dependency) is not installed."""
    try:
        import scipy.linalg
    except ImportError:
        return None
    return scipy.linalg


_TRIANGULAR_CHECK_SIZE = 32  # below it LAPACK's general solve costs about what the check does


def _triangle_of(a):
    """``True`` (lower) or ``False`` (upper) where the 2-D matrix ``a`` is triangular, else None.

    Two corner entries answer at once for almost every full matrix; only a matrix with a zero
    corner pays for a look at a whole triangle (``O(n²)``, against the ``O(n³)`` of a factorisation).
    """
    n = a.shape[-1]
    if a.ndim != 2 or n < _TRIANGULAR_CHECK_SIZE or a.dtype.kind not in "fc":
        return None
    if a[0, n - 1] == 0 and not xp.any(xp.triu(a, 1)):
        return True
    if a[n - 1, 0] == 0 and not xp.any(xp.tril(a, -1)):
        return False
    return None


# --- the LU factorisation that solve, det, slogdet and their rules share ------------------------------
_LAPACK_DTYPES = frozenset(xp.dtype(kind) for kind in (xp.float32, xp.float64, xp.complex64, xp.complex128))


def _lapack(names, *arrays):
    """SciPy's LAPACK routine ``names`` (or a list, for a tuple of names) for the dtypes of ``arrays``:
    ``getrf`` is ``dgetrf`` for float64."""
    return _scipy_linalg().get_lapack_funcs(names, arrays)


_FACTOR_SIZE = 32  # below it NumPy's own calls beat a factorisation kept for the derivative (the Python around it)
NOT_FACTORED, _LOWER, _UPPER = -1, -2, -3
"""``piv``'s entries where ``lu_factor`` did not factor ``A``: a general matrix, or a lower or upper triangular one."""


def _lu_factor_impl(a):
    """``(lu, piv)``: LAPACK's ``getrf`` of a 2-D matrix, ``P A = L U`` packed as SciPy's ``lu_factor``
    packs it (``L``'s unit diagonal implied); or, where factoring does not pay, ``(a, marker)``, ``piv``
    filled with :data:`NOT_FACTORED`, :data:`_LOWER` or :data:`_UPPER`, and the consumers solve from
    ``a`` as NumPy does, or by one triangular solve.

    Not factored: a matrix smaller than :data:`_FACTOR_SIZE` or a stack of matrices (NumPy's own
    calls, batched, beat the Python around a kept factorisation there), a triangular matrix (one
    triangular solve is ``O(n²)``; see :func:`_triangle_of`, whose answer the marker keeps), a dtype
    LAPACK lacks, or no SciPy. A singular matrix is factored (a zero on ``U``'s diagonal): ``solve``
    then raises, ``slogdet`` gives ``(0, -inf)``.
    """
    if _may_factor(a) and a.dtype in _LAPACK_DTYPES and _scipy_linalg() is not None:
        lower = _triangle_of(a)
        if lower is not None:
            return _unfactored(a, _LOWER if lower else _UPPER)
        lu, piv, info = _lapack("getrf", a)(a)
        if info >= 0:
            return lu, piv
    return _unfactored(a)


def _may_factor(a) -> bool:
    """Whether ``lu_factor`` may factor ``a``, by its shape: a matrix (not a stack) of :data:`_FACTOR_SIZE` or more."""
    return a.ndim == 2 and a.shape[-1] >= _FACTOR_SIZE


def _unfactored(a, marker: int = NOT_FACTORED):
    """The ``(lu, piv)`` of no factorisation: ``a`` itself, and ``marker`` for each pivot."""
    return a, xp.full(tuple(a.shape[:-1]), marker, dtype=xp.int32)


def _is_factored(piv) -> bool:
    """Whether ``piv`` (from ``lu_factor``) holds the pivots of a factorisation, not a marker of none."""
    return piv.ndim == 1 and piv.shape[0] > 0 and piv[0] >= 0


lu_factor = Primitive(
    "lu_factor",
    _lu_factor_impl,
    batch=lambda args, dims: _stack_batch(lu_factor, args, dims),
    flops=_stack_flops(lambda m, n: 2 * n**3 / 3),
    multiple_results=True,
    doc=(
        "(lu, piv), the pivoted LU factorisation P A = L U of a square matrix as SciPy's lu_factor packs it, or "
        "(A, a negative marker) where factoring does not pay (stacks, triangular matrices, no SciPy). No "
        "derivative: it is an operand of solve, det, slogdet and cofactor, whose rules differentiate in A itself "
        "and pass the factors on, so that a derivative solves with the forward pass's factorisation instead of "
        "factoring again."
    ),
)


def _in_columns(b, n: int):
    """A stack of matrices ``B`` (``(..., n, k)``) as the columns of one ``n``-row matrix, for one LAPACK call."""
    return b if b.ndim <= 2 else xp.moveaxis(b, -2, 0).reshape(n, -1)


def _from_columns(x, b):
    """The solution ``x`` of :func:`_in_columns` ``(b)``, in ``b``'s shape."""
    return x if b.ndim <= 2 else xp.moveaxis(x.reshape((x.shape[0],) + b.shape[:-2] + b.shape[-1:]), 0, -2)


def _solve_impl(a, b, lu, piv, transpose_a=False):
    """``op(A)⁻¹ B`` by LAPACK's ``getrs`` with the factors of ``lu_factor`` (two triangular solves,
    ``O(n² k)``), or one triangular solve where ``lu_factor`` found ``A`` triangular; the columns of a
    stack of ``B`` are solved together. Otherwise NumPy's solve (an LU of ``A``, as NumPy factors it)."""
    n = a.shape[-1]
    if _is_factored(piv):
        if xp.count_nonzero(lu.diagonal()) < n:
            raise xp.linalg.LinAlgError("Singular matrix")
        columns = _in_columns(b, n)
        x, _ = _lapack("getrs", lu, columns)(lu, piv, columns, trans=int(transpose_a))
        return _from_columns(x, b)
    if piv.ndim == 1 and n and piv[0] != NOT_FACTORED:
        columns = _in_columns(b, n)
        x = _scipy_linalg().solve_triangular(
            a, columns, trans=int(transpose_a), lower=piv[0] == _LOWER, check_finite=False
        )
        return _from_columns(x, b)
    return xp.linalg.solve(xp.swapaxes(a, -1, -2) if transpose_a else a, b)


def _op(x, transpose_a: bool):
    """``op(X)``: ``X`` or ``Xᵀ``."""
    return matrix_transpose(x) if transpose_a else x


def _solve_vjps(g, ans, positions, a, b, lu, piv, transpose_a=False):
    """B̄ = op(A)⁻ᵀ X̄ (one solve with the forward factors, shared by both arguments); Ā = -B̄ Xᵀ, or
    -X B̄ᵀ for the transposed system."""
    return _solve_cotangents(solve(a, g, lu, piv, transpose_a=not transpose_a), ans, positions, a, b, transpose_a)


def _solve_cotangents(b_bar, ans, positions, a, b, transpose_a, read=None):
    """The cotangents of ``A`` and ``B`` (those at ``positions``, 0 and 1) of ``X = op(A)⁻¹ B``, given
    ``B̄ = op(A)⁻ᵀ X̄``: ``B̄`` itself, and ``Ā = -B̄ Xᵀ`` (``-X B̄ᵀ`` for the transpose), kept to the
    entries of ``A`` that are read (``read``, a mask, where only a triangle is)."""
    out = []
    for position in positions:
        if position == 1:
            out.append(unbroadcast(b_bar, b))
            continue
        outer = matmul(ans, matrix_transpose(b_bar)) if transpose_a else matmul(b_bar, matrix_transpose(ans))
        out.append(unbroadcast(-(outer if read is None else read(outer)), a))
    return tuple(out)


def _solve_batch(args, dims, transpose_a=False):
    """Batch ``solve(a, b, lu, piv)``. An unbatched ``a`` keeps its factors, and a batch of ``b`` becomes
    more columns of one solve; a batched ``a`` is solved from itself (``lu_factor`` leaves stacks
    unfactored). A 1-D ``b`` is one vector, so a batch of them is made a stack of one-column matrices
    (else NumPy would read the batch as a matrix), solved, and flattened back."""
    (a, b, lu, piv), (a_dim, b_dim, lu_dim, piv_dim) = args, dims
    factored = a_dim is None and lu_dim is None and piv_dim is None
    a_rank = rank_of(a) - (a_dim is not None)

    def solved(a, b):
        return solve(a, b, *((lu, piv) if factored else _unfactored(a)), transpose_a=transpose_a)

    if b_dim is not None and rank_of(b) == 2:
        b = batch_first(b, b_dim)
        b = reshape(b, shape=(b.shape[0],) + (1,) * (a_rank - 2) + (b.shape[1], 1))
        out = solved(batch_first(a, a_dim, a_rank), b)
        return reshape(out, shape=tuple(out.shape[:-1])), 0
    if b_dim is None and rank_of(b) == 1:
        return solved(batch_first(a, a_dim), b), 0
    rank = max(a_rank, rank_of(b) - (b_dim is not None))
    return solved(batch_first(a, a_dim, rank), batch_first(b, b_dim, rank)), 0


solve = Primitive(
    "solve",
    _solve_impl,
    jvps=(
        lambda t, ans, a, b, lu, piv, transpose_a=False: (
            -solve(a, matmul(_op(t, transpose_a), ans), lu, piv, transpose_a=transpose_a)
        ),
        lambda t, ans, a, b, lu, piv, transpose_a=False: solve(a, t, lu, piv, transpose_a=transpose_a),
        None,
        None,
    ),
    vjps=JointVJP(_solve_vjps),
    transposes=(None, BY_VJP, None, None),
    linear_in=(1,),
    batch=_solve_batch,
    flops=lambda out_shapes, a, b, lu, piv, **params: 2 * a[-1] * math.prod(out_shapes[0]),
    doc=(
        "X = op(A)⁻¹ B for stacks of square A and matrices B (batch axes broadcast), op(A) = Aᵀ with "
        "``transpose_a``, by two triangular solves with (lu, piv) = lu_factor(A), which are not differentiated: "
        "A carries the derivative. dX = op(A)⁻¹ (dB - op(dA) X); B̄ = op(A)⁻ᵀ X̄ with the same factors, "
        "Ā = -B̄ Xᵀ (-X B̄ᵀ for the transpose)."
    ),
)


def solve_system(a, b, transpose_a: bool = False):
    """``op(A)⁻¹ B``: ``A`` factored once by ``lu_factor``, then ``solve`` with its factors."""
    lu, piv = lu_factor(a)
    return solve(a, b, lu, piv, transpose_a=transpose_a)


def _triangle_mask(n: int, lower: bool, dtype):
    """The 0/1 mask of the triangle (diagonal included) that ``triangular_solve`` reads."""
    ones = xp.ones((n, n), dtype=dtype)
    return xp.tril(ones) if lower else xp.triu(ones)


def _triangular_solve_impl(a, b, lower, transpose_a):
    """``op(A)⁻¹ B`` reading one triangle of ``A`` (``op`` the identity or the transpose): LAPACK's
    triangular solve through SciPy where installed, else (and for stacks) a general solve."""
    scipy_linalg = _scipy_linalg()
    if scipy_linalg is not None and a.ndim == 2 and b.ndim == 2:
        return scipy_linalg.solve_triangular(a, b, trans=int(transpose_a), lower=lower, check_finite=False)
    triangle = a * _triangle_mask(a.shape[-1], lower, a.dtype)
    return xp.linalg.solve(xp.swapaxes(triangle, -1, -2) if transpose_a else triangle, b)


def _triangular_jvp_a(t, ans, a, b, lower, transpose_a):
    """dX = -op(A)⁻¹ op(dA) X, with dA masked to the triangle read."""
    t = t * _triangle_mask(a.shape[-1], lower, t.dtype)
    return -triangular_solve(
        a, matmul(matrix_transpose(t) if transpose_a else t, ans), lower=lower, transpose_a=transpose_a
    )


def _triangular_vjps(g, ans, positions, a, b, lower, transpose_a):
    """B̄ = op(A)⁻ᵀ X̄ (one solve, shared); Ā = -B̄ Xᵀ (op the identity) or -X B̄ᵀ (the transpose),
    masked to the triangle read."""
    b_bar = triangular_solve(a, g, lower=lower, transpose_a=not transpose_a)
    return _solve_cotangents(
        b_bar, ans, positions, a, b, transpose_a, lambda x: x * _triangle_mask(x.shape[-1], lower, x.dtype)
    )


def _triangular_solve_batch(args, dims, lower, transpose_a):
    (a, b), (a_dim, b_dim) = args, dims
    rank = max(rank_of(a) - (a_dim is not None), rank_of(b) - (b_dim is not None))
    a, b = batch_first(a, a_dim, rank), batch_first(b, b_dim, rank)
    return triangular_solve(a, b, lower=lower, transpose_a=transpose_a), 0


triangular_solve = Primitive(
    "triangular_solve",
    _triangular_solve_impl,
    jvps=(
        _triangular_jvp_a,
        lambda t, ans, a, b, lower, transpose_a: triangular_solve(a, t, lower=lower, transpose_a=transpose_a),
    ),
    vjps=JointVJP(_triangular_vjps),
    transposes=(None, BY_VJP),
    linear_in=(1,),
    batch=_triangular_solve_batch,
    flops=lambda out_shapes, a, b, **params: a[-1] * math.prod(out_shapes[0]),
    doc=(
        "X = op(A)⁻¹ B for stacks of triangular A (only the ``lower`` or upper triangle is read) and matrices "
        "B; op(A) = Aᵀ with ``transpose_a``. O(n² k), no factorisation. dX = op(A)⁻¹ (dB - op(dA) X); "
        "B̄ = op(A)⁻ᵀ X̄, Ā = -tri(B̄ Xᵀ) (or -tri(X B̄ᵀ) for the transpose)."
    ),
)


# --- determinants ------------------------------------------------------------------------------
def _products_of_the_others(s):
    """``P[..., i, j] = ∏_{k ∉ {i, j}} s_k`` (on the diagonal ``∏_{k ≠ i} s_k``) of a stack of vectors.

    By prefix and suffix products, never by dividing the full product by ``s_i s_j``, so that the
    zeros of a singular matrix's singular values give exact products.
    """
    n = s.shape[-1]
    # row i: s with s_i replaced by 1; then the product of each row without its entry j
    rows = xp.where(xp.eye(n, dtype=bool), xp.ones((), s.dtype), s[..., None, :])
    ones = xp.ones(rows.shape[:-1] + (1,), s.dtype)
    before = xp.cumprod(xp.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
    after = xp.cumprod(xp.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


def _signed_svd(a):
    """``(U, s, Vᵀ, det U · det Vᵀ)``: the SVD of ``a`` and the sign that ``cof`` picks up from its factors."""
    u, s, vh = xp.linalg.svd(a)
    return u, s, vh, xp.linalg.det(u) * xp.linalg.det(vh)


def _inverse_of(a, lu, piv):
    """``A⁻¹`` from the factors of ``lu_factor`` (LAPACK's ``getri``, no factorisation), else from ``A``;
    ``None`` where ``A`` is singular."""
    if not _is_factored(piv):
        try:
            return xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            return None
    getri, getri_lwork = _lapack(("getri", "getri_lwork"), lu)
    work, _ = getri_lwork(lu.shape[0])
    inverse, info = getri(lu, piv, lwork=max(int(work.real), 1))
    return inverse if info == 0 else None


def _well_conditioned_inverse(a, lu, piv):
    """``A⁻¹`` of a stack of matrices that are all well conditioned (estimated reciprocal condition
    number ``1 / (‖A‖₁ ‖A⁻¹‖₁)`` above ``√ε``), else ``None``; from the factors of ``lu_factor``.

    The cofactors ``det A · A⁻ᵀ`` from one LU factorisation cost a fraction of an SVD and are as
    accurate as the SVD's where ``A`` is well conditioned; near a singular matrix they are not.
    """
    inverse = _inverse_of(a, lu, piv)
    if inverse is None:
        return None
    norm = xp.max(xp.sum(xp.abs(a), axis=-2), axis=-1)
    inverse_norm = xp.max(xp.sum(xp.abs(inverse), axis=-2), axis=-1)
    with xp.errstate(divide="ignore", invalid="ignore"):
        reciprocal_condition = 1.0 / (norm * inverse_norm)
    return inverse if xp.all(reciprocal_condition > xp.sqrt(xp.finfo(a.dtype).eps)) else None


def _cofactor_impl(a, lu, piv):
    """``cof A = det A · A⁻ᵀ`` where ``A`` is well conditioned, from the factors of ``lu_factor`` (the
    forward pass's, so that the derivative of ``det`` factors nothing again); elsewhere, through the SVD
    ``A = U S Vᵀ``, ``cof A = det(U) det(V) U cof(S) Vᵀ`` with ``cof(S) = diag(∏_{k ≠ i} s_k)``.

    The cofactor matrix is multiplicative (``cof(AB) = cof(A) cof(B)``) and ``cof(U) = det(U) U`` for
    an orthogonal ``U``; through the SVD it is exact at every rank, singular matrices included.
    """
    if a.shape[-1] == 0:
        return xp.zeros_like(a)
    inverse = _well_conditioned_inverse(a, lu, piv)
    if inverse is not None:
        return _det_impl(a, lu, piv)[..., None, None] * xp.swapaxes(inverse, -1, -2)
    u, s, vh, sign = _signed_svd(a)
    others = xp.diagonal(_products_of_the_others(s), axis1=-2, axis2=-1)
    return sign[..., None, None] * xp.matmul(u * others[..., None, :], vh)


def _cofactor_derivative_impl(a, t):
    """``d cof A [T] = tr(A⁻¹ T) cof A - A⁻ᵀ Tᵀ cof A`` where ``A`` is well conditioned; elsewhere
    ``d cof A [T] = det(U) det(V) U M Vᵀ`` with ``F = Uᵀ T V`` and, from the minors of ``S + εF``,
    ``M_ii = Σ_{k ≠ i} P_ik F_kk``, ``M_ij = -P_ij F_ji`` (``P`` the products of the other singular values)."""
    if a.shape[-1] == 0:
        return xp.zeros_like(t)
    inverse = _well_conditioned_inverse(a, *_unfactored(a))
    if inverse is not None:  # tr(B T) C - Bᵀ Tᵀ C with B = A⁻¹, C = cof A = det A · Bᵀ
        cofactors = xp.linalg.det(a)[..., None, None] * xp.swapaxes(inverse, -1, -2)
        trace = xp.trace(xp.matmul(inverse, t), axis1=-2, axis2=-1)[..., None, None]
        return trace * cofactors - xp.matmul(xp.swapaxes(inverse, -1, -2), xp.matmul(xp.swapaxes(t, -1, -2), cofactors))
    u, s, vh, sign = _signed_svd(a)
    f = xp.matmul(xp.matmul(xp.swapaxes(u, -1, -2), t), xp.swapaxes(vh, -1, -2))
    n = s.shape[-1]
    products = xp.where(xp.eye(n, dtype=bool), xp.zeros((), s.dtype), _products_of_the_others(s))
    diagonal = xp.matmul(products, xp.diagonal(f, axis1=-2, axis2=-1)[..., None])
    m = diagonal * xp.eye(n, dtype=s.dtype) - products * xp.swapaxes(f, -1, -2)
    return sign[..., None, None] * xp.matmul(xp.matmul(u, m), vh)


def _cofactor_second_derivative(a, t, e):
    """``D(d cof A [T])[E]``, the third derivative of det, for an invertible ``A`` (B = A⁻¹, C = cof A):
    d cof A [T] = tr(B T) C - Bᵀ Tᵀ C, so its derivative is
    -tr(B E B T) C + tr(B T) d cof A [E] + (B E B)ᵀ Tᵀ C - Bᵀ Tᵀ d cof A [E]."""
    b, c, dc = inv(a), cofactor(a, *lu_factor(a)), cofactor_derivative(a, e)
    beb = matmul(b, matmul(e, b))
    t_t = matrix_transpose(t)
    return (
        _as_scale(neg(matrix_trace(matmul(beb, t)))) * c
        + _as_scale(matrix_trace(matmul(b, t))) * dc
        + matmul(matrix_transpose(beb), matmul(t_t, c))
        - matmul(matrix_transpose(b), matmul(t_t, dc))
    )


def _pair_batch(prim, args, dims):
    """Batch a function of stacks that share their leading axes (two matrices of one shape, a matrix and
    its factors): each gets the batch axis first."""
    size = next(arg.shape[dim] for arg, dim in zip(args, dims) if dim is not None)
    out = prim(*(batch_first(arg, dim, size=size) for arg, dim in zip(args, dims)))
    return out, ((0,) * len(out) if prim.multiple_results else 0)


# d cof A [T] is the Hessian of det applied to T, a symmetric bilinear form, and the third derivative of
# det is symmetric in its three directions: each of these rules is its own adjoint, so JVP = VJP.
_COFACTOR_RULES = (lambda d, ans, a, lu, piv: cofactor_derivative(a, d), None, None)
_COFACTOR_DERIVATIVE_RULES = (
    lambda d, ans, a, t: _cofactor_second_derivative(a, t, d),
    lambda d, ans, a, t: cofactor_derivative(a, d),
)
cofactor = Primitive(
    "cofactor",
    _cofactor_impl,
    jvps=_COFACTOR_RULES,
    vjps=_COFACTOR_RULES,
    batch=lambda args, dims: _pair_batch(cofactor, args, dims),
    flops=_stack_flops(lambda m, n: 4 * n**3 / 3),
    doc=(
        "cof A = adj(A)ᵀ, the gradient of det A: det A · A⁻ᵀ where A is well conditioned, A⁻ᵀ from the factors "
        "(lu, piv) = lu_factor(A) (not differentiated: A carries the derivative), and exact at every rank (through "
        "the SVD), so det has its derivative at singular matrices too."
    ),
)
cofactor_derivative = Primitive(
    "cofactor_derivative",
    _cofactor_derivative_impl,
    jvps=_COFACTOR_DERIVATIVE_RULES,
    vjps=_COFACTOR_DERIVATIVE_RULES,
    transposes=(None, BY_VJP),
    linear_in=(1,),
    batch=lambda args, dims: _pair_batch(cofactor_derivative, args, dims),
    flops=_stack_flops(lambda m, n: _svd_count(n, n) + 7 * n**3),
    doc=(
        "d cof A [T], linear in T: the second derivative of det, exact at every rank (through the SVD). "
        "Its own derivative in A (the third of det) is written for an invertible A."
    ),
)


def _slogdet_impl(a, lu, piv):
    """``(sign, log|det A|)`` from the factors of ``lu_factor`` as NumPy computes it from its own: the
    product of the phases of ``U``'s diagonal and the parity of the row swaps, and the sum of the logs of
    the diagonal's magnitudes; ``(0, -inf)`` at a zero pivot. Without factors, NumPy's."""
    if not _is_factored(piv):
        sign, logabsdet = xp.linalg.slogdet(a)
        return sign, logabsdet
    diagonal = lu.diagonal()
    magnitudes = xp.abs(diagonal)
    if xp.count_nonzero(magnitudes) < magnitudes.shape[0]:
        return xp.zeros((), lu.dtype)[()], xp.full((), -xp.inf, magnitudes.dtype)[()]
    swaps = xp.count_nonzero(piv != xp.arange(piv.shape[0], dtype=piv.dtype))
    if diagonal.dtype.kind == "c":
        sign = (diagonal / magnitudes).prod() * (-1 if swaps % 2 else 1)
    else:
        sign = diagonal.dtype.type(-1 if (swaps + xp.count_nonzero(diagonal < 0)) % 2 else 1)
    return sign, xp.log(magnitudes).sum()


def _det_impl(a, lu, piv):
    """``det A = sign · exp(log|det A|)`` from the factors of ``lu_factor`` (NumPy's formula); without, NumPy's."""
    if not _is_factored(piv):
        return xp.linalg.det(a)
    sign, logabsdet = _slogdet_impl(a, lu, piv)
    return sign * xp.exp(logabsdet)


def _det_jvp(t, ans, a, lu, piv):
    return reduce_sum(cofactor(a, lu, piv) * t, axis=(a.ndim - 2, a.ndim - 1), keepdims=False)


det = Primitive(
    "det",
    _det_impl,
    jvps=(_det_jvp, None, None),
    vjps=(lambda g, ans, a, lu, piv: _as_scale(g) * cofactor(a, lu, piv), None, None),
    batch=lambda args, dims: _pair_batch(det, args, dims),
    flops=_stack_flops(lambda m, n: n),
    doc=(
        "det A from (lu, piv) = lu_factor(A), not differentiated (A carries the derivative); d det A = "
        "tr(cof(A)ᵀ dA), Ā = ḡ cof A, with cof A = det A · A⁻ᵀ the cofactor matrix (from the same factors): "
        "the adjugate's transpose at a singular A ([[1, 2], [2, 4]] -> [[4, -2], [-2, 1]])."
    ),
)


def _scaled_cofactors(a, lu, piv, sign, logabsdet):
    """``(cof(A / c), sign · c)`` with c = |det A|^(1/n), whose quotient is A⁻ᵀ: the cofactors of a matrix
    scaled to det(A / c) = sign, well scaled for any size of determinant. Where A is singular (sign 0),
    c = 1 and the quotient is cof(A) / 0: ±inf where the adjugate is nonzero, nan where it is 0 (JAX's
    answer there). A tangent is contracted with the cofactors before the division, so that it too is
    one ±inf (not inf - inf). The factors of A / c are A's with ``U`` divided by c (where A may have
    factors at all: a matrix too small or a stack has none, and its marker passes on as it is)."""
    n = a.shape[-1]
    c = exp(where(equal(sign, 0), 0.0, logabsdet / max(n, 1)))
    if _may_factor(a):
        lu = lu / where(xp.triu(xp.ones((n, n), dtype=bool)), _as_scale(c), 1.0)
    return cofactor(a / _as_scale(c), lu, piv), sign * c


def _slogdet_jvp(t, ans, a, lu, piv):
    cofactors, scale = _scaled_cofactors(a, lu, piv, *ans)
    contracted = reduce_sum(cofactors * t, axis=(a.ndim - 2, a.ndim - 1), keepdims=False)
    return xp.zeros(ans[0].shape, ans[0].dtype), contracted / scale


def _slogdet_vjp(g, ans, a, lu, piv):
    cofactors, scale = _scaled_cofactors(a, lu, piv, *ans)
    return _as_scale(g[1] / scale) * cofactors


slogdet = Primitive(
    "slogdet",
    _slogdet_impl,
    jvps=(_slogdet_jvp, None, None),
    vjps=(_slogdet_vjp, None, None),
    batch=lambda args, dims: _pair_batch(slogdet, args, dims),
    flops=_stack_flops(lambda m, n: n),
    multiple_results=True,
    doc=(
        "(sign, log|det A|) from (lu, piv) = lu_factor(A), not differentiated (A carries the derivative); the "
        "sign is piecewise constant and carries no derivative. d log|det A| = tr(A⁻¹ dA), Ā = ḡ A⁻ᵀ, through "
        "the cofactors of A scaled to |det| = 1 (from the same factors): infinite at a singular A (adj(A)ᵀ / 0, "
        "±inf or nan, as JAX)."
    ),
)


# --- Cholesky ----------------------------------------------------------------------------------
def _lower_half_diagonal(x):
    """Φ(X): the strictly lower triangle of X plus half its diagonal."""
    n = x.shape[-1]
    weights = xp.tril(xp.ones((n, n), dtype=x.dtype), -1) + 0.5 * xp.eye(n, dtype=x.dtype)
    return x * weights


def _cholesky_jvp(t, ans, a):
    """dL = L Φ(L⁻¹ dA L⁻ᵀ), L⁻¹ applied by two triangular solves."""
    left = triangular_solve(ans, t, lower=True, transpose_a=False)  # L⁻¹ dA
    both = matrix_transpose(triangular_solve(ans, matrix_transpose(left), lower=True, transpose_a=False))
    return matmul(ans, _lower_half_diagonal(both))


def _cholesky_vjp(g, ans, a):
    """Ā = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹, L⁻ᵀ applied by two triangular solves (as JAX and PyTorch do; no inverse)."""
    inner = _lower_half_diagonal(matmul(matrix_transpose(ans), g))
    left = triangular_solve(ans, inner, lower=True, transpose_a=True)  # L⁻ᵀ Φ
    return matrix_transpose(triangular_solve(ans, matrix_transpose(left), lower=True, transpose_a=True))


cholesky = Primitive(
    "cholesky",
    xp.linalg.cholesky,
    jvps=(_cholesky_jvp,),
    vjps=(_cholesky_vjp,),
    batch=lambda args, dims: _stack_batch(cholesky, args, dims),
    flops=_stack_flops(lambda m, n: n**3 / 3),
    doc=(
        "The lower Cholesky factor L of a symmetric positive-definite A = L Lᵀ. "
        "dL = L Φ(L⁻¹ dA L⁻ᵀ) with Φ the strictly lower triangle plus half the diagonal; "
        "Ā = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹ (its exact adjoint)."
    ),
)


# --- symmetric (Hermitian) eigendecomposition ----------------------------------------------------
def _eigh_impl(a, lower=True):
    w, v = xp.linalg.eigh(a, UPLO="L" if lower else "U")
    return w, v


def _eigh_jvp(t, ans, a, lower=True):
    w, v = ans
    projected = matmul(adjoint(v), matmul(t, v))
    return _real_diagonal(projected), matmul(v, _gap_reciprocals(w) * projected)


def _eigh_vjp(g, ans, a, lower=True):
    w, v = ans
    w_bar, v_bar = g
    if v.dtype.kind == "c":
        v = conj(v)
    inner = diagonal_matrix(w_bar) + _gap_reciprocals(w) * matmul(adjoint(v), v_bar)
    return matmul(v, matmul(inner, adjoint(v)))


eigh = Primitive(
    "eigh",
    _eigh_impl,
    jvps=(_eigh_jvp,),
    vjps=(_eigh_vjp,),
    batch=lambda args, dims, lower=True: _stack_batch(eigh, args, dims, lower=lower),
    flops=_stack_flops(lambda m, n: 9 * n**3),
    multiple_results=True,
    doc=(
        "(w, V) with A = V diag(w) Vᴴ for a symmetric (complex: Hermitian) A, w ascending and real; LAPACK reads "
        "the ``lower`` or the upper triangle (the same numbers, and NumPy's eigenvectors for that UPLO). With "
        "P = Vᴴ dA V and F_ij = 1/(w_j - w_i) (0 on the diagonal and at ties): dw = Re diag(P), dV = V (F ∘ P) "
        "(JAX's: in complex, diag(Vᴴ dV) = 0 fixes each eigenvector's phase). The VJP is its transpose for the "
        "pairing Re Σ x̄ ∘ dx (never conjugated): Ā = conj(V) (diag(w̄) + F ∘ Vᵀ V̄) Vᵀ. dV needs distinct "
        "eigenvalues."
    ),
)


# --- singular value decomposition (thin) ------------------------------------------------------
def _svd_impl(a):
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    return u, s, vh


def _svd_jvp(t, ans, a):
    u, s, vh = ans
    v = adjoint(vh)
    m, n = a.shape[-2:]
    gaps = _gap_reciprocals(s * s)
    s_inv = _safe_reciprocal(s)
    projected = matmul(adjoint(u), matmul(t, v))
    projected_s = _scale_columns(projected, s)  # P S
    s_projected = _scale_rows(projected, s)  # S P
    du_core = gaps * (projected_s + adjoint(projected_s))
    if u.dtype.kind == "c":
        du_core = du_core + _phase_diagonal(projected, s_inv)
    du = matmul(u, du_core)
    dv = matmul(v, gaps * (s_projected + adjoint(s_projected)))
    if m > n:
        du = du + _scale_columns(matmul(t, v) - matmul(u, projected), s_inv)
    if n > m:
        dv = dv + _scale_columns(matmul(adjoint(t), u) - matmul(v, adjoint(projected)), s_inv)
    return du, _real_diagonal(projected), adjoint(dv)


def _svd_vjp(g, ans, a):
    u, s, vh = ans
    u_bar, s_bar, vh_bar = g
    if u.dtype.kind == "c":  # the transpose of the JVP is its real form in conj(U), conj(Vh), with ᵀ -> ᴴ
        u, vh = conj(u), conj(vh)
    v, v_bar = adjoint(vh), adjoint(vh_bar)
    m, n = a.shape[-2:]
    gaps = _gap_reciprocals(s * s)
    s_inv = _safe_reciprocal(s)
    u_u_bar = matmul(adjoint(u), u_bar)
    j = gaps * u_u_bar
    k = gaps * matmul(vh, v_bar)
    core = diagonal_matrix(s_bar) + _scale_columns(j + adjoint(j), s) + _scale_rows(k + adjoint(k), s)
    if u.dtype.kind == "c":
        core = core + _phase_diagonal(u_u_bar, s_inv)
    a_bar = matmul(u, matmul(core, vh))
    if m > n:
        a_bar = a_bar + matmul(_scale_columns(u_bar - matmul(u, u_u_bar), s_inv), vh)
    if n > m:
        away = v_bar - matmul(v, matmul(vh, v_bar))
        a_bar = a_bar + matmul(u, adjoint(_scale_columns(away, s_inv)))
    return a_bar


svd = Primitive(
    "svd",
    _svd_impl,
    jvps=(_svd_jvp,),
    vjps=(_svd_vjp,),
    batch=lambda args, dims: _stack_batch(svd, args, dims),
    flops=_stack_flops(_svd_count),
    multiple_results=True,
    doc=(
        "Thin SVD (U, s, Vh), A = U diag(s) Vh, k = min(m, n) singular values descending (real, also of a complex "
        "A). With P = Uᴴ dA V, F_ij = 1/(s_j² - s_i²) (0 on the diagonal and at ties) and Φ = diag(i Im(P_jj) / s_j) "
        "(0 for real A): ds = Re diag(P), dU = U (F ∘ (P S + S Pᴴ) + Φ) + (I - U Uᴴ) dA V S⁻¹, "
        "dV = V (F ∘ (S P + Pᴴ S)) + (I - V Vᴴ) dAᴴ U S⁻¹ (JAX's rule; Φ gives each pair's phase to U). The VJP "
        "is its transpose for the pairing Re Σ x̄ ∘ dx: with U, V conjugated (U* = conj(U), V* = conj(V)), "
        "Ā = U* (diag(s̄) + (J + Jᴴ) S + S (K + Kᴴ) + Ψ) V*ᴴ + (I - U* U*ᴴ) Ū S⁻¹ V*ᴴ + U* S⁻¹ V̄ᴴ (I - V* V*ᴴ), "
        "J = F ∘ U*ᴴ Ū, K = F ∘ V*ᴴ V̄, Ψ = diag(i Im((U*ᴴ Ū)_jj) / s_j), V̄ the cotangent of V = Vhᴴ. "
        "dU, dV need distinct nonzero singular values."
    ),
)


# --- QR (reduced, m >= n) ---------------------------------------------------------------------
def _qr_impl(a):
    q, r = xp.linalg.qr(a, mode="reduced")
    return q, r


def _right_solve_upper(x, r):
    """``X R⁻¹`` (solving ``Rᵀ Yᵀ = Xᵀ``)."""
    return matrix_transpose(solve_system(r, matrix_transpose(x), transpose_a=True))


def _strictly_lower(x):
    n = x.shape[-1]
    return x * xp.tril(xp.ones((n, n), dtype=x.dtype), -1)


def _qr_jvp(t, ans, a):
    q, r = ans
    b = _right_solve_upper(t, r)  # dA R⁻¹
    c = matmul(matrix_transpose(q), b)  # Qᵀ dA R⁻¹
    lower = _strictly_lower(c)
    omega = lower - matrix_transpose(lower)  # Qᵀ dQ, antisymmetric
    dq = matmul(q, omega - c) + b
    dr = matmul(c - omega, r)
    return dq, dr


def _qr_vjp(g, ans, a):
    q, r = ans
    q_bar, r_bar = g
    m_mat = matmul(matrix_transpose(q), q_bar) - matmul(r_bar, matrix_transpose(r))
    n_mat = _strictly_lower(m_mat - matrix_transpose(m_mat)) - m_mat
    b_bar = q_bar + matmul(q, n_mat)
    return matrix_transpose(solve_system(r, matrix_transpose(b_bar)))  # B̄ R⁻ᵀ


qr = Primitive(
    "qr",
    _qr_impl,
    jvps=(_qr_jvp,),
    vjps=(_qr_vjp,),
    batch=lambda args, dims: _stack_batch(qr, args, dims),
    flops=_stack_flops(lambda m, n: 4 * m * n * n - 4 * n**3 / 3),
    multiple_results=True,
    doc=(
        "Reduced QR (Q, R) of a stack of m x n matrices, m >= n, full column rank. With "
        "C = Qᵀ dA R⁻¹ and Ω = tril(C, -1) - tril(C, -1)ᵀ: dQ = Q (Ω - C) + dA R⁻¹, "
        "dR = (C - Ω) R. The VJP is the adjoint: with M = Qᵀ Q̄ - R̄ Rᵀ, "
        "Ā = (Q̄ + Q (tril(M - Mᵀ, -1) - M)) R⁻ᵀ."
    ),
)


# --- factors with no derivative: complete QR, full SVD of a non-square matrix ------------------------
def _refusing_rules(describe, remedy: str):
    """JVP and VJP rules of a primitive with no derivative: ``jit`` and ``vmap`` run it, and a transform
    that differentiates it raises, saying why (``describe(a, **params)``) and what to use instead."""

    def refuse(tangent, ans, a, **params):
        raise TransformError(f"{describe(a, **params)}, at {user_frame_summary()}. {remedy}")

    return (refuse,)


def _qr_of_mode_impl(a, mode):
    return tuple(xp.linalg.qr(a, mode=mode))


def _describe_qr(a, mode):
    what = "Householder data" if mode == "raw" else "its last columns of Q are any orthonormal basis of a complement"
    return f"linalg.qr: mode={mode!r} of a matrix of shape {tuple(a.shape)} has no derivative ({what})"


_QR_RULES = _refusing_rules(_describe_qr, "Use mode='reduced', which is differentiable.")
qr_of_mode = Primitive(
    "qr_of_mode",
    _qr_of_mode_impl,
    jvps=_QR_RULES,
    vjps=_QR_RULES,
    batch=lambda args, dims, **params: _stack_batch(qr_of_mode, args, dims, **params),
    flops=_stack_flops(lambda m, n: 4 * m * m * n - 2 * n * n * (m + n) + 4 * n**3 / 3),
    multiple_results=True,
    doc="QR of mode 'complete' (a tall matrix) or 'raw', as NumPy: values only, no derivative.",
)


def _full_svd_impl(a):
    return tuple(xp.linalg.svd(a, full_matrices=True))


def _describe_full_svd(a):
    m, n = a.shape[-2:]
    return (
        f"linalg.svd: full_matrices=True on a non-square matrix of shape {tuple(a.shape)} has no derivative "
        f"(the last {abs(m - n)} columns of {'U' if m > n else 'Vh.T'} are any orthonormal basis of a complement)"
    )


_FULL_SVD_RULES = _refusing_rules(
    _describe_full_svd, "Pass full_matrices=False for the thin SVD, which is differentiable."
)
full_svd = Primitive(
    "full_svd",
    _full_svd_impl,
    jvps=_FULL_SVD_RULES,
    vjps=_FULL_SVD_RULES,
    batch=lambda args, dims: _stack_batch(full_svd, args, dims),
    flops=_stack_flops(lambda m, n: _svd_count(m, n) + 4 * max(m, n) ** 3),
    multiple_results=True,
    doc="The SVD (U, s, Vh) of a non-square matrix with square U and Vh, as NumPy: values only, no derivative.",
)


# --- Moore-Penrose pseudo-inverse -------------------------------------------------------------
def _pinv_impl(a, rcond, hermitian):
    return xp.linalg.pinv(a, rcond=rcond, hermitian=hermitian)


def _pinv_jvp(t, ans, a, rcond, hermitian):
    p, tt = ans, matrix_transpose(t)
    first = -matmul(p, matmul(t, p))
    second = matmul(matmul(p, matrix_transpose(p)), tt - matmul(matmul(tt, a), p))
    third = matmul(tt - matmul(p, matmul(a, tt)), matmul(matrix_transpose(p), p))
    return first + second + third


def _pinv_vjp(g, ans, a, rcond, hermitian):
    p, pt, gt = ans, matrix_transpose(ans), matrix_transpose(g)
    first = -matmul(pt, matmul(g, pt))
    second = matmul(gt - matmul(a, matmul(p, gt)), matmul(p, pt))
    third = matmul(matmul(pt, p), gt - matmul(matmul(gt, p), a))
    return first + second + third


pinv = Primitive(
    "pinv",
    _pinv_impl,
    jvps=(_pinv_jvp,),
    vjps=(_pinv_vjp,),
    batch=lambda args, dims, **params: _stack_batch(pinv, args, dims, **params),
    flops=_stack_flops(lambda m, n: _svd_count(m, n) + 2 * m * n * min(m, n)),
    doc=(
        "The pseudo-inverse A⁺ (singular values at or below rcond · max(s) count as zero). "
        "Where the rank is locally constant (Golub and Pereyra), "
        "dA⁺ = -A⁺ dA A⁺ + A⁺ A⁺ᵀ dAᵀ (I - A A⁺) + (I - A⁺ A) dAᵀ A⁺ᵀ A⁺, and "
        "Ā = -A⁺ᵀ Ḡ A⁺ᵀ + (I - A A⁺) Ḡᵀ A⁺ A⁺ᵀ + A⁺ᵀ A⁺ Ḡᵀ (I - A⁺ A)."
    ),
)
