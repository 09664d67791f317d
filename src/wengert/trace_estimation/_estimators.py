"""The estimators of ``wengert.trace_estimation``: traces and diagonals of a matrix seen only through its products.

Every estimator reads ``A`` through an :class:`Operator`, which multiplies a block of
probe vectors at once, counts the products, and checks their shapes. The arithmetic
is written with ``wengert.numpy``, so an estimate is itself differentiable and traceable:
it runs under ``jit``, ``vmap`` and ``grad``. The probes are drawn with the backend's
random generator (``numpy.random.Generator``), from ``seed``, before any product.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import wengert.numpy as wnp
from wengert._src.backend import dtype_of, is_float_dtype, shape_of, xp
from wengert._src.core.primitive import Tracer
from wengert._src.core.pytree import register_pytree_node
from wengert._src.transforms.api import vjp
from wengert._src.transforms.batching import vmap
from wengert.errors import ArgumentError, ShapeError
from wengert.random import resolve_generator

PROBES = ("rademacher", "gaussian", "sphere")
"""Probe distributions: random signs, standard normal entries, or uniform on the sphere of radius ``sqrt(n)``."""


class Estimate:
    """What an estimator returns: ``estimate``, its standard error ``stderr``, and ``num_matvecs``.

    ``estimate`` is a 0-d array for a trace and an ``(n,)`` array for a diagonal; ``stderr``
    has the same shape (``nan`` where only one sample was drawn, as a sample standard deviation
    of one value is). ``num_matvecs`` counts the products with ``A`` (or ``Aᵀ``) the method
    used, ``method`` names it. ``float(result)`` is ``float(result.estimate)``. An estimate is a
    pytree (``estimate`` and ``stderr`` its leaves), so ``jit`` and ``vmap`` return it whole.
    """

    __slots__ = ("estimate", "method", "num_matvecs", "stderr")

    def __init__(self, estimate, stderr, num_matvecs: int, method: str):
        self.estimate = estimate
        self.stderr = stderr
        self.num_matvecs = num_matvecs
        self.method = method

    def __float__(self) -> float:
        if len(shape_of(self.estimate)) != 0:
            raise TypeError(
                f"float() of a {self.method} estimate of shape {shape_of(self.estimate)}: only a trace (a scalar) "
                "converts to float; read .estimate for the array."
            )
        return float(self.estimate)

    def __repr__(self) -> str:
        return (
            f"Estimate(method={self.method!r}, estimate={self.estimate!r}, stderr={self.stderr!r}, "
            f"num_matvecs={self.num_matvecs})"
        )


register_pytree_node(
    Estimate,
    lambda e: ([e.estimate, e.stderr], (e.num_matvecs, e.method)),
    lambda aux, children: Estimate(children[0], children[1], *aux),
)


class Operator:
    """A square ``n x n`` matrix known through its products ``A @ V`` with ``(n, k)`` blocks of probes.

    ``A`` is an array (or a traced array), or a function computing ``A @ V``: with
    ``vectorized=True`` it takes the whole ``(n, k)`` block, with ``vectorized=False`` one
    ``(n,)`` vector, and the block is mapped through it by one ``vmap``. Products with ``Aᵀ``
    come from ``A.T`` for an array, from ``transpose`` when given (a function's builder
    knows it: a Jacobian's transpose is reverse mode), from ``A`` itself when ``symmetric``,
    and otherwise from reverse mode through the function (``wengert.vjp``), whose forward
    pass costs as many products again.
    """

    def __init__(
        self,
        A,
        n: int | None,
        caller: str,
        *,
        dtype=None,
        vectorized: bool = True,
        symmetric: bool = False,
        transpose: Callable | None = None,
    ):
        self.caller = caller
        self.symmetric = symmetric
        self.num_matvecs = 0
        self._transpose = transpose
        if callable(A) and not hasattr(A, "shape"):
            if n is None or isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ArgumentError(
                    f"{caller}: A is a function, so give the size of the square matrix it multiplies by: n=<int >= 1> "
                    f"(got n={n!r})."
                )
            self.n = n
            self.dtype = xp.dtype(dtype or xp.float64)
            self._array = None
            self._product = A if vectorized else vmap(A, in_axes=1, out_axes=1)
            return
        shape = tuple(shape_of(A))
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ShapeError(
                f"{caller}: A must be a square matrix (n, n) or a function computing A @ V; got shape {shape}."
            )
        if n is not None and n != shape[0]:
            raise ShapeError(f"{caller}: n={n} does not match A of shape {shape}; leave n out for an array.")
        self.n = shape[0]
        own = dtype_of(A)
        self.dtype = xp.dtype(dtype or (own if is_float_dtype(own) else xp.float64))
        self._array = A if isinstance(A, Tracer) else xp.asarray(A)
        self._product = None

    def matmat(self, V):
        """``A @ V`` for an ``(n, k)`` block of probes, counted as ``k`` products and checked for shape."""
        k = shape_of(V)[1]
        out = self._array @ V if self._array is not None else self._product(V)
        self._check(out, k, "A")
        self.num_matvecs += k
        return out

    def rmatmat(self, V):
        """``Aᵀ @ V``: counted, like :meth:`matmat`, as ``k`` products."""
        if self.symmetric:
            return self.matmat(V)
        k = shape_of(V)[1]
        if self._array is not None:
            out = wnp.matmul(wnp.matrix_transpose(self._array), V)
        elif self._transpose is not None:
            out = self._transpose(V)
        else:  # reverse mode through the function: its forward pass is k more products, counted by matmat
            out = vjp(self.matmat, V)[1](V)[0]
        self._check(out, k, "the transpose of A")
        self.num_matvecs += k
        return out

    def _check(self, out, k: int, what: str) -> None:
        shape = tuple(shape_of(out))
        if shape != (self.n, k):
            hint = (
                " If A takes one vector, pass vectorized=False and the probes are mapped through it by wengert.vmap."
                if self._array is None and shape in ((self.n,), (k,))
                else ""
            )
            raise ShapeError(
                f"{self.caller}: the product with {what} returned shape {shape} for a block of {k} probes of shape "
                f"({self.n}, {k}); it must return A @ V, of shape ({self.n}, {k}).{hint}"
            )


def draw_probes(generator, n: int, k: int, kind: str, dtype):
    """An ``(n, k)`` block of independent probes: signs, normal entries, or columns on the sphere of radius ``sqrt(n)``.

    Drawn one probe after another, so a generator in the same state gives the first ``k``
    probes of a larger draw: a larger budget extends a smaller one with the same seed.
    """
    if kind == "rademacher":  # one random bit per sign: a quarter of the time of drawing integers
        bits = xp.unpackbits(xp.frombuffer(generator.bytes((k * n + 7) // 8), dtype=xp.uint8), count=k * n)
        return xp.where(bits.reshape(k, n).T, -1.0, 1.0).astype(dtype, copy=False)
    rows = generator.standard_normal((k, n))
    if kind == "sphere":
        rows *= math.sqrt(n) / xp.linalg.norm(rows, axis=1, keepdims=True)
    return xp.ascontiguousarray(rows.T, dtype=dtype)


PROBE_CACHE_ELEMENTS = 1 << 18
"""The largest draw, in elements, kept for reuse. An int seed gives the same probes on every call, so the last
8 such draws (each at most 2 MiB in float64) are kept instead of drawn again (an ODE solver asks for a
divergence with the same seed at every step); a generator or ``None`` draws afresh, as it must."""


def probe_blocks(seed, n: int, sizes: tuple, kind: str, dtype, joined: bool = False) -> tuple:
    """Blocks of ``n``-dimensional probes, one ``(n, k)`` block per ``k`` in ``sizes``, drawn in turn from ``seed``.

    ``joined=True`` gives the same blocks side by side in one ``(n, sum(sizes))`` array, so that
    probes whose products do not depend on each other go to ``A`` in one block, with no copy per call.
    """
    if isinstance(seed, (int, xp.integer)) and not isinstance(seed, bool) and n * sum(sizes) <= PROBE_CACHE_ELEMENTS:
        return _kept_blocks(int(seed), n, sizes, kind, xp.dtype(dtype).str, joined)
    return _drawn_blocks(resolve_generator(seed), n, sizes, kind, dtype, joined)


def _drawn_blocks(generator, n: int, sizes: tuple, kind: str, dtype, joined: bool) -> tuple:
    blocks = tuple(draw_probes(generator, n, k, kind, dtype) for k in sizes)
    return (xp.concatenate(blocks, axis=1),) if joined and len(blocks) > 1 else blocks


@functools.lru_cache(maxsize=8)
def _kept_blocks(seed: int, n: int, sizes: tuple, kind: str, dtype: str, joined: bool) -> tuple:
    blocks = _drawn_blocks(resolve_generator(seed), n, sizes, kind, xp.dtype(dtype), joined)
    for block in blocks:
        block.flags.writeable = False  # shared by every call with this seed
    return blocks


def _probe_kind(probes, default: str, caller: str) -> str:
    kind = default if probes is None else probes
    if kind not in PROBES:
        raise ArgumentError(f"{caller}: probes={probes!r} is not one of {PROBES}.")
    return kind


def _budget(num_matvecs, minimum: int, caller: str, why: str) -> int:
    if isinstance(num_matvecs, bool) or not isinstance(num_matvecs, (int, xp.integer)):
        raise ArgumentError(f"{caller}: num_matvecs must be an int, got {type(num_matvecs).__name__}.")
    if num_matvecs < minimum:
        raise ArgumentError(f"{caller}: num_matvecs={num_matvecs} is too small; {why}. Give num_matvecs >= {minimum}.")
    return int(num_matvecs)


def _fits(columns: int, op: Operator, caller: str) -> None:
    """A sketch of more columns than ``n`` spans everything: the exact trace is cheaper."""
    if columns > op.n:
        raise ArgumentError(
            f"{caller}: a sketch of {columns} probes for an {op.n} x {op.n} matrix has more columns than rows; "
            f"the exact trace costs only {op.n} products (multiply by the identity), so ask for fewer."
        )


def _mean_and_stderr(samples):
    """The mean of the samples along the last axis and its standard error (``nan`` for one sample).

    Written as sums (``wnp.mean`` and ``wnp.std`` cost three times as much on the few samples an
    estimator has): ``stderr = sqrt(sum((s - mean)^2) / ((m - 1) m))``.
    """
    np_ = _namespace(samples)
    count = shape_of(samples)[-1]
    mean = np_.sum(samples, axis=-1, keepdims=True) * (1.0 / count)
    if count < 2:
        return mean[..., 0], np_.full_like(mean[..., 0], xp.nan)
    centered = samples - mean
    squares = np_.einsum("...i,...i->...", centered, centered)
    return mean[..., 0], np_.sqrt(squares * (1.0 / ((count - 1) * count)))


def _column_dots(a, b):
    """``sum(a * b, axis=0)``: the dot product of each column of ``a`` with the same column of ``b`` (one
    ``einsum``, which reads a transposed block as it lies, where ``a * b`` of two layouts runs slower)."""
    return _namespace(a, b).einsum("ij,ij->j", a, b)


def _namespace(*values):
    """NumPy itself for plain arrays (an eager estimate's few sums cost more in ``wnp``'s dispatch than in
    NumPy), ``wengert.numpy`` when a value is traced (an estimate under ``grad``, ``vmap`` or ``jit``)."""
    return wnp if any(isinstance(value, Tracer) for value in values) else xp


def _orthonormal_basis(Y):
    """An orthonormal basis of the range of ``Y`` by Householder QR: orthonormal even for a rank-deficient ``Y``."""
    return wnp.linalg.qr(Y)[0]


# --- the estimators -------------------------------------------------------------------------------------------


def hutchinson_on(op: Operator, num_matvecs: int, seed, kind: str) -> Estimate:
    """Hutchinson: ``tr(A) ~ mean_i w_iᵀ A w_i`` over ``m`` independent probes."""
    (probes,) = probe_blocks(seed, op.n, (num_matvecs,), kind, op.dtype)
    samples = _column_dots(probes, op.matmat(probes))
    estimate, stderr = _mean_and_stderr(samples)
    return Estimate(estimate, stderr, op.num_matvecs, "hutchinson")


def hutchpp_on(op: Operator, num_matvecs: int, seed, kind: str) -> Estimate:
    """Hutch++: the trace of a sketched top subspace exactly, Hutchinson on the rest.

    With ``s = m // 3`` sketch probes ``S`` and ``g = m - 2s`` Hutchinson probes ``G``:
    ``Q = orth(A S)``, then ``tr(A) = tr(Qᵀ A Q) + tr((I - QQᵀ) A (I - QQᵀ))``, the second
    term estimated by Hutchinson with the projected probes ``P G = (I - QQᵀ) G``. Unbiased for
    any square ``A``; the error falls like ``1/m`` instead of ``1/sqrt(m)`` when the spectrum decays.

    Two blocks of products, the fewest the method allows (``Q`` depends on ``A S``): ``A [S G]``,
    then ``A Q``. The products with the projected probes come by linearity,
    ``A P G = A G - (A Q)(Qᵀ G)``, so ``G`` goes in the first block instead of waiting for ``Q``:
    the same estimate as multiplying ``P G`` itself, up to rounding.
    """
    sketch_size = num_matvecs // 3
    _fits(sketch_size, op, "hutchpp")
    (probes,) = probe_blocks(seed, op.n, (sketch_size, num_matvecs - 2 * sketch_size), kind, op.dtype, joined=True)
    products = op.matmat(probes)
    Q = _orthonormal_basis(products[:, :sketch_size])
    AQ = op.matmat(Q)
    coefficients = wnp.matrix_transpose(Q) @ probes[:, sketch_size:]  # Qᵀ G
    projected = probes[:, sketch_size:] - Q @ coefficients
    projected_products = products[:, sketch_size:] - AQ @ coefficients
    rest, stderr = _mean_and_stderr(_column_dots(projected, projected_products))
    return Estimate(wnp.sum(Q * AQ) + rest, stderr, op.num_matvecs, "hutchpp")


def na_hutchpp_on(op: Operator, num_matvecs: int, seed, kind: str) -> Estimate:
    """NA-Hutch++: Hutch++ in one round of products, with the paper's split ``c1, c2, c3 = 1/6, 1/3, 1/2``.

    With probes ``S`` (``m/6``), ``R`` (``m/3``) and ``G`` (the rest), ``Z = A R`` and
    ``W = Aᵀ S`` give the low-rank approximation ``Â = Z (Sᵀ Z)⁺ Wᵀ``; the estimate is
    ``tr(Â) + mean_i g_iᵀ (A - Â) g_i``. No product depends on another, so ``A R`` and ``A G``
    (and ``A S``, when ``A`` is symmetric) go in one block.
    """
    s = max(1, num_matvecs // 6)
    r = max(1, num_matvecs // 3)
    _fits(r, op, "na_hutchpp")
    S, R, G = probe_blocks(seed, op.n, (s, r, num_matvecs - s - r), kind, op.dtype)
    if op.symmetric:
        products = op.matmat(wnp.concatenate([R, G, S], axis=1))
        W = products[:, num_matvecs - s :]
    else:
        products = op.matmat(wnp.concatenate([R, G], axis=1))
        W = op.rmatmat(S)
    Z, AG = products[:, :r], products[:, r : num_matvecs - s]
    core = wnp.linalg.pinv(wnp.matrix_transpose(S) @ Z)
    low_rank = wnp.sum(wnp.matrix_transpose(core) * (wnp.matrix_transpose(W) @ Z))
    approx_on_G = _column_dots(core @ (wnp.matrix_transpose(W) @ G), wnp.matrix_transpose(Z) @ G)
    rest, stderr = _mean_and_stderr(_column_dots(G, AG) - approx_on_G)
    return Estimate(low_rank + rest, stderr, op.num_matvecs, "na_hutchpp")


def xtrace_on(op: Operator, num_matvecs: int, seed, kind: str) -> Estimate:
    """XTrace: the average of ``k = m // 2`` Hutch++ estimates, each leaving one probe out of the sketch.

    With probes ``Ω`` (``n x k``), ``Y = A Ω = Q R`` and ``Z = A Q``, the estimate that
    leaves probe ``i`` out uses the basis ``Q_(i)`` of the other columns of ``Y`` (``Q`` less
    the direction ``Q s_i``, ``s_i`` the normalised ``i``-th column of ``R⁻ᵀ``) and the probe
    ``ω_i``: ``tr(Q_(i)ᵀ A Q_(i)) + ω_iᵀ (I - P_(i)) A (I - P_(i)) ω_i``. With ``H = Qᵀ Z``,
    ``w_i = Qᵀ ω_i``, ``c_i = s_iᵀ w_i`` and ``d_i = w_i - c_i s_i``, it is
    ``tr(H) - s_iᵀ H s_i + ω_iᵀ y_i - (Zᵀ ω_i)ᵀ d_i - d_iᵀ r_i + d_iᵀ H d_i``: all ``k``
    estimates from two blocks of products. With probes on the sphere (the default) the probe
    part is rescaled by ``(n - k + 1) / ||(I - P_(i)) ω_i||^2`` (the paper's improved
    estimator). The standard error is that of the ``k`` exchangeable estimates.
    """
    k = num_matvecs // 2
    _fits(k, op, "xtrace")
    (omega,) = probe_blocks(seed, op.n, (k,), kind, op.dtype)
    Y = op.matmat(omega)
    Q, R = wnp.linalg.qr(Y)
    Z = op.matmat(Q)
    H = wnp.matrix_transpose(Q) @ Z
    W = wnp.matrix_transpose(Q) @ omega
    inverse_transpose = wnp.matrix_transpose(wnp.linalg.inv(R))
    S = inverse_transpose / wnp.linalg.norm(inverse_transpose, axis=0)
    c = _column_dots(S, W)
    D = W - S * c
    probe_part = (
        _column_dots(omega, Y)
        - _column_dots(wnp.matrix_transpose(Z) @ omega, D)
        - _column_dots(D, R)
        + _column_dots(D, H @ D)
    )
    if kind == "sphere":
        probe_part = probe_part * ((op.n - k + 1) / (op.n - _column_dots(W, W) + c * c))
    estimates = wnp.trace(H) - _column_dots(S, H @ S) + probe_part
    estimate, stderr = _mean_and_stderr(estimates)
    return Estimate(estimate, stderr, op.num_matvecs, "xtrace")


def xnystrace_on(op: Operator, num_matvecs: int, seed, kind: str) -> Estimate:
    """XNysTrace: XTrace for a symmetric positive semi-definite ``A``, with Nyström approximations; one block.

    With ``Y = A Ω`` (shifted by a tiny ``ν Ω`` so that ``H = Ωᵀ Y`` is positive definite),
    the Nyström approximation is ``Â = Y H⁻¹ Yᵀ`` and leaving probe ``i`` out removes
    ``(Y h_i)(Y h_i)ᵀ / (H⁻¹)_ii`` (``h_i = H⁻¹ e_i``). Estimate ``i`` is then
    ``tr(Â) - ||Y h_i||^2 / (H⁻¹)_ii + 1 / (H⁻¹)_ii - ν n``: all ``m`` estimates from one
    block of ``m`` products and a Cholesky factorisation of ``H``.
    """
    _fits(num_matvecs, op, "xnystrace")
    (omega,) = probe_blocks(seed, op.n, (num_matvecs,), kind, op.dtype)
    Y = op.matmat(omega)
    shift = xp.finfo(op.dtype).eps * wnp.linalg.norm(Y) / math.sqrt(op.n)
    Y = Y + shift * omega
    H = wnp.matrix_transpose(omega) @ Y
    try:
        L = wnp.linalg.cholesky((H + wnp.matrix_transpose(H)) / 2)
    except xp.linalg.LinAlgError as error:
        raise ArgumentError(
            "xnystrace: the probes' Gram matrix Ωᵀ A Ω is not positive definite, so A is not positive semi-definite; "
            "XNysTrace needs a symmetric positive semi-definite A. Use xtrace for any square matrix."
        ) from error
    L_inverse = wnp.linalg.solve(L, xp.eye(num_matvecs, dtype=op.dtype))
    H_inverse_diagonal = wnp.sum(L_inverse * L_inverse, axis=0)
    half = L_inverse @ wnp.matrix_transpose(Y)
    Y_H_inverse = wnp.matrix_transpose(wnp.matrix_transpose(L_inverse) @ half)
    probe_part = 1.0 / H_inverse_diagonal
    if kind == "sphere":
        probe_part = probe_part * xp.asarray(_sphere_scale(omega), op.dtype)
    estimates = wnp.sum(half * half) - _column_dots(Y_H_inverse, Y_H_inverse) / H_inverse_diagonal + probe_part
    estimate, stderr = _mean_and_stderr(estimates - shift * op.n)
    return Estimate(estimate, stderr, op.num_matvecs, "xnystrace")


def _sphere_scale(omega):
    """``(n - k + 1) / ||(I - P_(i)) ω_i||^2``, ``P_(i)`` the projection on the other probes (plain arrays)."""
    n, k = omega.shape
    R = xp.linalg.qr(omega)[1]
    return (n - k + 1) * xp.sum(xp.linalg.inv(R) ** 2, axis=1)


def diagonal_on(op: Operator, num_matvecs: int, seed, kind: str, method: str) -> Estimate:
    """The diagonal of ``A``: Hutchinson's ``mean_i w_i * A w_i``, or deflated first by a sketch (Diag++).

    ``method="hutchpp"`` takes ``Q = orth(A S)`` from ``s = m // 3`` probes; then
    ``diag(A) = diag(Q Qᵀ A) + diag((I - Q Qᵀ) A)``, the first exactly
    (row sums of ``Q * Aᵀ Q``), the second by Hutchinson's estimator with the rest. The
    Hutchinson probes ``G`` need no ``Q`` (``(I - QQᵀ) A G`` is ``A G`` projected afterwards), so
    ``A [S G]`` is one block of products and ``Aᵀ Q`` the second (three blocks otherwise).
    """
    if method == "hutchinson":
        (probes,) = probe_blocks(seed, op.n, (num_matvecs,), kind, op.dtype)
        estimate, stderr = _mean_and_stderr(probes * op.matmat(probes))
        return Estimate(estimate, stderr, op.num_matvecs, "diagonal")
    sketch_size = num_matvecs // 3
    _fits(sketch_size, op, "diagonal")
    sizes = (sketch_size, num_matvecs - 2 * sketch_size)
    (probes,) = probe_blocks(seed, op.n, sizes, kind, op.dtype, joined=True)
    products = op.matmat(probes)  # A S and A G in one block: G needs no Q
    Q = _orthonormal_basis(products[:, :sketch_size])
    AtQ = op.rmatmat(Q)
    AG = products[:, sketch_size:]
    rest, stderr = _mean_and_stderr(probes[:, sketch_size:] * (AG - Q @ (wnp.matrix_transpose(Q) @ AG)))
    return Estimate(wnp.sum(Q * AtQ, axis=1) + rest, stderr, op.num_matvecs, "diagonal")


ESTIMATORS = {
    "hutchinson": (hutchinson_on, 1, "rademacher", "Hutchinson's estimator needs at least one product"),
    "hutchpp": (hutchpp_on, 3, "rademacher", "Hutch++ needs at least 3: a sketch, its product, one probe"),
    "na_hutchpp": (na_hutchpp_on, 3, "rademacher", "NA-Hutch++ needs at least 3: one probe in each of S, R and G"),
    "xtrace": (xtrace_on, 2, "sphere", "XTrace needs at least 2: one probe and the product with its basis"),
    "xnystrace": (xnystrace_on, 1, "sphere", "XNysTrace needs at least one product"),
}
"""Each trace estimator by name: its function, its smallest budget, its default probes, why that budget."""


def estimate_trace(op: Operator, method: str, num_matvecs, seed, probes) -> Estimate:
    """Run the trace estimator ``method`` on ``op`` with a budget of ``num_matvecs`` products."""
    estimator, minimum, default, why = ESTIMATORS[method]
    budget = _budget(num_matvecs, minimum, method, why)
    return estimator(op, budget, seed, _probe_kind(probes, default, method))


def estimate_diagonal(op: Operator, num_matvecs, seed, probes, method: str) -> Estimate:
    """Run the diagonal estimator ``method`` (``"hutchinson"`` or ``"hutchpp"``) on ``op``."""
    if method not in ("hutchinson", "hutchpp"):
        raise ArgumentError(f"diagonal: method={method!r} is not one of ('hutchinson', 'hutchpp').")
    minimum, why = (
        (1, "it needs at least one probe")
        if method == "hutchinson"
        else (3, "the deflated estimator needs at least 3: a sketch, its product, one probe")
    )
    budget = _budget(num_matvecs, minimum, "diagonal", why)
    return diagonal_on(op, budget, seed, _probe_kind(probes, "rademacher", "diagonal"), method)
