"""SciPy's linear algebra on traced values: ``import wengert.scipy.linalg as wsl``.

SciPy's names and argument conventions (``lower``, ``trans``,
``unit_diagonal``; ``cholesky`` upper by default), built on wengert's
linear-algebra primitives, so each differentiates in every array argument to
every order:

    >>> import numpy as np, wengert
    >>> a = np.array([[2.0, 0.0], [1.0, 3.0]])
    >>> solve_triangular(a, np.array([2.0, 7.0]), lower=True).tolist()
    [1.0, 2.0]

``expm`` is the scaling-and-squaring Padé approximant of Higham (2005), as in
SciPy and JAX, written in ``wengert.numpy`` operations: its derivative is the
exact derivative of that approximant (the Fréchet derivative of ``expm`` to
rounding). The number of squarings is read from the value of the input where it is
known, and masked under ``jit`` and ``vmap``.
``sqrtm`` is SciPy's (Schur) square root forward, with the derivative of
``X X = A``: ``X dX + dX X = dA``, a Sylvester equation solved by
``solve_sylvester`` (a ``custom_jvp`` whose rule calls ``sqrtm`` again, so
every order works). ``solve_sylvester`` solves its Kronecker form, O(n⁶):
meant for the small matrices where it is used. ``lu_factor`` is SciPy's
(LAPACK) on plain arrays and Gaussian elimination with partial pivoting in
wengert operations on traced ones (the pivots are read, not differentiated),
so ``lu_solve`` differentiates in the factors and in ``b``. ``logm`` is SciPy's
forward (inverse scaling and squaring under ``jit`` and ``vmap``) with the
derivative that inverts ``expm``'s Fréchet derivative at the logarithm.
"""

import math

import wengert.numpy as wnp
from wengert._src.backend import xp
from wengert._src.core.primitive import Tracer
from wengert._src.primitives.linalg import triangular_solve
from wengert._src.transforms.custom_derivatives import custom_jvp
from wengert.errors import ArgumentError, DtypeError, ShapeError, TracerError

__all__ = [
    "block_diag",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "det",
    "eigh",
    "expm",
    "inv",
    "logm",
    "lu_factor",
    "lu_solve",
    "solve",
    "solve_banded",
    "solve_sylvester",
    "solve_triangular",
    "sqrtm",
    "svd",
]

inv, det = wnp.linalg.inv, wnp.linalg.det


def _transposed(trans) -> bool:
    if trans in (0, "N"):
        return False
    if trans in (1, 2, "T", "C"):  # real matrices: the conjugate transpose is the transpose
        return True
    raise ArgumentError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}.")


def solve_triangular(a, b, trans=0, lower: bool = False, unit_diagonal: bool = False, **_scipy_options):
    """``x`` with ``op(a) x = b`` for a triangular ``a`` (only the ``lower`` or upper triangle is read).

    ``op`` is the identity (``trans=0``) or the transpose (``1``, ``2``); with
    ``unit_diagonal`` the diagonal is taken as ones. ``b`` is a vector or a
    matrix of right-hand sides. SciPy's ``overwrite_b``, ``check_finite`` are
    accepted and ignored. dX = op(A)⁻¹ (dB - op(dA) X), by triangular solves.
    """
    a, b = wnp.asarray(a), wnp.asarray(b)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ShapeError(
            f"solve_triangular: a must be square (n, n) and b (n,) or (n, k), got a {a.shape} and b {b.shape}."
        )
    if unit_diagonal:
        eye = wnp.eye(a.shape[0], dtype=a.dtype)
        a = a * (1.0 - eye) + eye
    columns = b if b.ndim == 2 else wnp.reshape(b, (b.shape[0], 1))
    x = triangular_solve(a, columns, lower=bool(lower), transpose_a=_transposed(trans))
    return x if b.ndim == 2 else wnp.reshape(x, b.shape)


def cholesky(a, lower: bool = False, **_scipy_options):
    """SciPy's Cholesky factor: upper ``U`` with ``a = Uᵀ U`` by default, lower ``L`` with ``lower=True``."""
    return wnp.linalg.cholesky(a, upper=not lower)


def cho_factor(a, lower: bool = False, **_scipy_options):
    """``(c, lower)`` for ``cho_solve``. Unlike SciPy, the other triangle of ``c`` holds zeros, not leftovers."""
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, **_scipy_options):
    """``x`` with ``a x = b`` from ``cho_factor(a)``: two triangular solves."""
    c, lower = c_and_lower
    middle = solve_triangular(c, b, trans=0 if lower else 1, lower=lower)
    return solve_triangular(c, middle, trans=1 if lower else 0, lower=lower)


def solve(a, b, lower: bool = False, assume_a: str = "gen", **_scipy_options):
    """``x`` with ``a x = b``; ``assume_a='pos'`` solves by Cholesky (reading the ``lower`` or upper triangle)."""
    if assume_a in ("pos", "positive definite"):
        return cho_solve(cho_factor(_symmetrized(a, lower), lower=True), b)
    if assume_a in ("sym", "her", "symmetric", "hermitian"):
        a = _symmetrized(a, lower)
    return wnp.linalg.solve(a, b)


def solve_banded(l_and_u, ab, b, **_scipy_options):
    """``x`` with ``a x = b`` for a banded ``a`` in SciPy's storage: ``a[i, j] = ab[u + i - j, j]``.

    The matrix is gathered from ``ab`` (zeros outside the band) and solved densely,
    so ``ab`` and ``b`` both differentiate; fine for the moderate sizes where
    derivatives are taken, not a banded LAPACK solve.
    """
    lower, upper = (int(count) for count in l_and_u)
    ab = wnp.asarray(ab)
    n = ab.shape[1]
    if ab.shape[0] != lower + upper + 1:
        raise ShapeError(f"solve_banded: ab must have l + u + 1 = {lower + upper + 1} rows, got shape {ab.shape}.")
    rows, columns = xp.indices((n, n))
    diagonal = upper + rows - columns
    inside = (diagonal >= 0) & (diagonal <= lower + upper)
    gathered = ab[xp.clip(diagonal, 0, lower + upper), columns]
    return wnp.linalg.solve(wnp.where(inside, gathered, 0.0), b)


def _symmetrized(a, lower: bool):
    """The symmetric matrix whose ``lower`` (or upper) triangle is ``a``'s."""
    a = wnp.asarray(a)
    triangle = wnp.tril(a) if lower else wnp.triu(a)
    return triangle + wnp.swapaxes(triangle, -1, -2) - wnp.eye(a.shape[-1], dtype=a.dtype) * a


def eigh(a, lower: bool = True, eigvals_only: bool = False, **_scipy_options):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, reading the ``lower`` triangle."""
    w, v = wnp.linalg.eigh(a, UPLO="L" if lower else "U")
    return w if eigvals_only else (w, v)


def svd(a, full_matrices: bool = True, compute_uv: bool = True, **_scipy_options):
    """``(U, s, Vh)``, or ``s`` with ``compute_uv=False``, as ``numpy.linalg.svd``."""
    return wnp.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)


def solve_sylvester(a, b, q):
    """``x`` with ``a x + x b = q``: the Kronecker form ``(I ⊗ a + bᵀ ⊗ I) vec(x) = vec(q)``, solved
    as one linear system (O((nm)³); for small matrices), differentiable in ``a``, ``b`` and ``q``."""
    a, b, q = wnp.asarray(a), wnp.asarray(b), wnp.asarray(q)
    n, m = a.shape[0], b.shape[0]
    if a.shape != (n, n) or b.shape != (m, m) or q.shape != (n, m):
        raise ShapeError(f"solve_sylvester: a (n, n), b (m, m), q (n, m); got {a.shape}, {b.shape}, {q.shape}.")
    system = wnp.kron(wnp.eye(m, dtype=a.dtype), a) + wnp.kron(wnp.transpose(b), wnp.eye(n, dtype=a.dtype))
    columns = wnp.linalg.solve(system, wnp.ravel(wnp.transpose(q)))
    return wnp.transpose(wnp.reshape(columns, (m, n)))


def _real_square_root(a):
    if isinstance(a, Tracer):  # under vmap or jit: an iteration written in wengert operations
        return _denman_beavers(a)
    from scipy.linalg import sqrtm as scipy_sqrtm

    return _real_result(
        scipy_sqrtm(xp.asarray(a)),
        a,
        "sqrtm: this matrix has no real square root (an eigenvalue lies on the negative real axis), "
        "and wengert does not differentiate complex values.",
    )


def _real_result(result, a, refusal: str):
    """SciPy's ``result`` of a matrix function of the real ``a``, real, in ``a``'s floating dtype; ``DtypeError``
    (``refusal``) where its imaginary part is more than rounding."""
    if xp.iscomplexobj(result):
        if xp.max(xp.abs(result.imag), initial=0.0) > 1e-8 * max(1.0, float(xp.max(xp.abs(result.real), initial=0.0))):
            raise DtypeError(refusal)
        result = result.real
    return result.astype(xp.result_type(a.dtype, xp.float32), copy=False)


_DENMAN_BEAVERS_STEPS = 12


def _denman_beavers(a):
    """The scaled Denman–Beavers iteration, ``Y -> sqrt(A)``, ``Z -> sqrt(A)⁻¹`` (quadratic convergence
    once scaled; a fixed number of steps, so that it stages under jit)."""
    n = a.shape[-1]
    y, z = a, wnp.broadcast_to(wnp.eye(n, dtype=a.dtype), a.shape)
    for _ in range(_DENMAN_BEAVERS_STEPS):
        scale = wnp.abs(wnp.linalg.det(y) * wnp.linalg.det(z)) ** (-0.5 / n)
        scale = wnp.stop_gradient(scale)[..., None, None]
        y, z = 0.5 * (scale * y + wnp.linalg.inv(z) / scale), 0.5 * (scale * z + wnp.linalg.inv(y) / scale)
    return y


sqrtm = custom_jvp(_real_square_root)


@sqrtm.defjvp
def _sqrtm_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    root = sqrtm(a)
    return root, solve_sylvester(root, root, da)


sqrtm.__doc__ = """The principal square root ``X`` of a square matrix (``X X = A``), real; SciPy's forward.

``X dX + dX X = dA`` gives the derivative (``solve_sylvester``). A matrix
whose square root is complex raises ``DtypeError``.
"""


def block_diag(*arrays):
    """The block-diagonal matrix of ``arrays`` (scalars and vectors count as 1-row blocks, as in SciPy)."""
    blocks = [wnp.atleast_2d(wnp.asarray(block)) for block in arrays]
    if not blocks:
        return wnp.zeros((1, 0))
    if any(block.ndim != 2 for block in blocks):
        raise ShapeError("block_diag: each argument must be at most 2-D.")
    total = sum(block.shape[1] for block in blocks)
    rows, start = [], 0
    for block in blocks:
        width = block.shape[1]
        rows.append(wnp.pad(block, ((0, 0), (start, total - start - width))))
        start += width
    return wnp.concatenate(rows, axis=0)


_PADE_13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0,
    1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)  # fmt: skip
_THETA_13 = 5.371920351148152


def expm(a):
    """The matrix exponential of a square matrix (or a stack): Padé-13 with scaling and squaring.

    ``s = max(0, ceil(log2(||A||_1 / theta_13)))`` squarings of ``r(A / 2^s)``,
    ``r = (V - U)⁻¹ (V + U)`` the [13/13] Padé approximant (Higham 2005); SciPy's
    smaller approximants for small norms are not used, which costs a few more
    products and changes the value only at rounding. Eagerly ``s`` is read from
    the value; under ``jit`` or ``vmap``, where it is not known, up to
    ``_MOST_SQUARINGS`` masked squarings run (norms up to about 5e9).
    """
    a = wnp.asarray(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"expm: a must be a square matrix (or a stack of them), got shape {a.shape}.")
    norms = wnp.stop_gradient(wnp.max(wnp.sum(wnp.abs(a), axis=-2), axis=-1))
    largest = _value_if_known(wnp.max(norms))
    if largest is not None:
        squarings = max(0, math.ceil(math.log2(largest / _THETA_13))) if largest > 0 else 0
        result = _pade_13(a / 2.0**squarings)
        for _ in range(squarings):
            result = result @ result
        return result
    counts = wnp.maximum(0.0, wnp.ceil(wnp.log2(wnp.maximum(norms, 1e-300) / _THETA_13)))[..., None, None]
    result = _pade_13(a * wnp.power(2.0, -counts))
    for k in range(_MOST_SQUARINGS):
        result = wnp.where(wnp.less(k, counts), result @ result, result)
    return result


_MOST_SQUARINGS = 30


def _pade_13(a):
    """The [13/13] Padé approximant of exp at a matrix of 1-norm at most theta_13."""
    eye = wnp.broadcast_to(wnp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    b = _PADE_13
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    return wnp.linalg.solve(v - u, v + u)


def _value_if_known(value) -> float | None:
    """A Python float of a scalar, or None where its value is not known (under jit or vmap)."""
    if not isinstance(value, Tracer):
        return float(xp.asarray(value))
    try:
        return float(value.concrete())
    except TracerError:
        return None


def lu_factor(a, overwrite_a: bool = False, check_finite: bool = True):
    """``(lu, piv)`` with ``a = P L U`` as SciPy gives them: ``L`` (unit diagonal) below ``lu``'s diagonal,
    ``U`` on and above it, and row ``i`` swapped with row ``piv[i]`` (int32) in turn.

    Plain arrays go to SciPy (LAPACK's getrf). Traced ones are eliminated step by step in
    wengert operations, the pivot of each column its largest entry in magnitude (as getrf
    picks it), so ``lu`` differentiates in ``a`` to every order and under ``vmap`` and ``jit``;
    the pivots are integers and carry no derivative.
    """
    a = wnp.asarray(a)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ShapeError(f"lu_factor: a must be a square matrix (n, n), got shape {a.shape}.")
    if not isinstance(a, Tracer):
        from scipy.linalg import lu_factor as scipy_lu_factor

        return scipy_lu_factor(a, check_finite=check_finite)
    n = a.shape[0]
    rows = wnp.arange(n)
    lu, pivots = a, []
    for k in range(n):
        pivot = wnp.argmax(wnp.abs(lu[k:, k])) + k
        pivots.append(pivot)
        lu = lu[wnp.where(rows == k, pivot, wnp.where(rows == pivot, k, rows))]
        if k + 1 < n:
            multipliers = lu[k + 1 :, k] / lu[k, k]
            lu = wnp.at(lu)[k + 1 :, k].set(multipliers)
            lu = wnp.at(lu)[k + 1 :, k + 1 :].add(-wnp.outer(multipliers, lu[k, k + 1 :]))
    return lu, wnp.stack(pivots).astype(xp.int32)


def _row_order(piv, n: int):
    """The rows of ``b`` in the order ``piv``'s swaps leave them: ``(P^T b) = b[order]``."""
    order = wnp.arange(n)
    positions = wnp.arange(n)
    for i in range(n):
        j = piv[i]
        order = wnp.where(positions == i, wnp.take(order, j), wnp.where(positions == j, order[i], order))
    return order


def lu_solve(lu_and_piv, b, trans=0, overwrite_b: bool = False, check_finite: bool = True):
    """``x`` with ``a x = b`` (``trans=0``) or ``aᵀ x = b`` (``1``, ``2``), from ``lu_factor(a)``.

    Two triangular solves and the row permutation: ``L U x = P^T b``, or ``Uᵀ Lᵀ (P^T x) = b``;
    differentiable in ``lu`` and ``b`` (the pivots are integers).
    """
    lu, piv = lu_and_piv
    lu, b = wnp.asarray(lu), wnp.asarray(b)
    n = lu.shape[0]
    if lu.ndim != 2 or lu.shape[1] != n or b.shape[:1] != (n,):
        raise ShapeError(f"lu_solve: lu must be (n, n) and b (n, ...), got lu {lu.shape} and b {b.shape}.")
    order = _row_order(piv, n)
    if not _transposed(trans):
        lower = solve_triangular(lu, wnp.take(b, order, axis=0), lower=True, unit_diagonal=True)
        return solve_triangular(lu, lower, lower=False)
    upper = solve_triangular(lu, b, trans=1, lower=False)
    permuted = solve_triangular(lu, upper, trans=1, lower=True, unit_diagonal=True)
    return wnp.take(permuted, wnp.argsort(order), axis=0)


_LOGM_SQUARE_ROOTS = 8
_LOGM_SERIES_TERMS = 18


def _real_logarithm(a):
    if isinstance(a, Tracer):  # under vmap or jit: inverse scaling and squaring in wengert operations
        return _inverse_scaling_and_squaring(a)
    from scipy.linalg import logm as scipy_logm

    a = xp.asarray(a)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ShapeError(f"logm: a must be a square matrix (n, n), got shape {a.shape}.")
    with xp.errstate(all="ignore"):
        log = scipy_logm(a)
    return _real_result(
        log,
        a,
        "logm: this matrix has no real principal logarithm (an eigenvalue is negative or zero), "
        "and wengert does not differentiate complex values here.",
    )


def _inverse_scaling_and_squaring(a):
    """``log A = 2^k log(A^(1/2^k))``: ``k`` square roots bring ``A`` near ``I``, where the series of
    ``log(I + Y)`` converges fast (a fixed ``k`` and number of terms, so that it stages under jit)."""
    root = a
    for _ in range(_LOGM_SQUARE_ROOTS):
        root = _denman_beavers(root)
    y = root - wnp.eye(a.shape[-1], dtype=a.dtype)
    term, log = y, y
    for k in range(2, _LOGM_SERIES_TERMS + 1):
        term = term @ y
        log = log + ((-1) ** (k + 1) / k) * term
    return log * 2.0**_LOGM_SQUARE_ROOTS


def _expm_frechet_matrix(x):
    """The ``n² x n²`` matrix of ``E -> L_exp(X, E)`` (row-major ``vec``), column by column from
    ``expm([[X, E], [0, X]])``, whose upper right block is ``L_exp(X, E)`` (Mathias 1996)."""
    n = x.shape[-1]
    basis = wnp.reshape(wnp.eye(n * n, dtype=x.dtype), (n * n, n, n))
    stacked_x = wnp.broadcast_to(x, (n * n, n, n))
    top = wnp.concatenate([stacked_x, basis], axis=-1)
    bottom = wnp.concatenate([wnp.zeros((n * n, n, n), dtype=x.dtype), stacked_x], axis=-1)
    blocks = expm(wnp.concatenate([top, bottom], axis=-2))
    return wnp.transpose(wnp.reshape(blocks[:, :n, n:], (n * n, n * n)))


logm = custom_jvp(_real_logarithm)


@logm.defjvp
def _logm_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    log = logm(a)
    n = a.shape[-1]
    return log, wnp.reshape(wnp.linalg.solve(_expm_frechet_matrix(log), wnp.reshape(da, (n * n,))), (n, n))


logm.__doc__ = """The principal logarithm ``X`` of a square matrix (``expm(X) = A``), real; SciPy's forward.

``dA = L_exp(X, dX)`` (``expm``'s Fréchet derivative at ``X``) gives the derivative, solved
for ``dX`` in Kronecker form (an ``n² x n²`` system: for small matrices). The logarithm of a
matrix with a negative or zero eigenvalue has no real principal value: ``DtypeError``.
"""
