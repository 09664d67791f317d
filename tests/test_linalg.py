"""wengert.numpy.linalg: derivatives against JAX and autograd, conventions, batching, errors.

The registry sweep (``tests/test_registry_sweep.py``) already holds every case
of ``tests/registry/linalg.py`` to NumPy's values, to finite differences in
both modes, to second order and in float32. This file adds what a sweep
cannot say: agreement with the peers, the documented choices (one triangle
read, subgradient 0 at the zero vector, ties of eigenvalues), batching, and
the errors.
"""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert.check import check_grads
from wengert.errors import ShapeError, TransformError

from .registry.linalg import CASES

la = wnp.linalg
DIFFERENTIABLE = [case for case in CASES if case.order >= 1]
_BY_NAME = {case.name: case for case in CASES}
WITH_JAX = [
    _BY_NAME[name]
    for name in (
        "wnp.linalg.slogdet[logabsdet]",
        "wnp.linalg.cholesky[x x.T + I, batched]",
        "wnp.linalg.eigh[matrix function]",
        "wnp.linalg.svd[tall]",
        "wnp.linalg.qr[tall]",
        "wnp.linalg.pinv[wide]",
    )
]
"""Second order against JAX for one case of each factorization (``tests/test_peers.py`` compares
first order on every case that names JAX); JAX compiles per case, so a few are enough."""
WITH_AUTOGRAD = [case for case in DIFFERENTIABLE if case.autograd_fn is not None]


def _case_id(case):
    return case.name


def _generator(seed=0):
    return np.random.default_rng(seed)


def _spd(n, seed=0):
    x = _generator(seed).standard_normal((n, n))
    return x @ x.T + n * np.eye(n)


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


# --- the peers ----------------------------------------------------------------------------------------


def _weighted_loss(case, module_fn, module_sum, weights):
    def loss(*values):
        args = list(case.args)
        for position, value in zip(case.diff_argnums, values):
            args[position] = value
        return module_sum(module_fn(*args) * weights)

    return loss


def _problem(case):
    generator = _generator(1)
    weights = generator.standard_normal(np.shape(case.fn(*case.args)))
    primals = tuple(case.args[i] for i in case.diff_argnums)
    direction = tuple(generator.standard_normal(np.shape(p)) for p in primals)
    return weights, primals, direction, tuple(range(len(primals)))


@pytest.mark.parametrize("case", WITH_JAX, ids=_case_id)
def test_gradient_and_hessian_vector_product_agree_with_jax(case, jax):
    import jax.numpy as jnp

    weights, primals, direction, argnums = _problem(case)
    jax_gradient = jax.grad(_weighted_loss(case, lambda *a: case.jax_fn(jnp, *a), jnp.sum, weights), argnums)
    jax_results = jax.jit(lambda p, d: (jax_gradient(*p), jax.jvp(jax_gradient, p, d)[1]))
    expected_gradient, expected_hvp = jax_results(primals, direction)
    gradient = wengert.grad(_weighted_loss(case, case.fn, wnp.sum, weights), argnums)
    for got, want in zip(gradient(*primals), expected_gradient):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-8, atol=1e-11)
    _, hvp = wengert.jvp(gradient, primals, direction)
    for got, want in zip(hvp, expected_hvp):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("case", WITH_AUTOGRAD, ids=_case_id)
def test_gradient_agrees_with_autograd(case):
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    weights, primals, _, argnums = _problem(case)
    expected = autograd.grad(_weighted_loss(case, lambda *a: case.autograd_fn(anp, *a), anp.sum, weights), argnums)
    got = wengert.grad(_weighted_loss(case, case.fn, wnp.sum, weights), argnums)(*primals)
    for g, e in zip(got, expected(*primals)):
        np.testing.assert_allclose(g, e, rtol=1e-8, atol=1e-11)


# --- norms: the subgradient at zero -----------------------------------------------------------------


@pytest.mark.parametrize("ord", [None, 2, 1, np.inf, -np.inf, 3, 1.5, 0.5])
def test_vector_norm_gradient_at_the_zero_vector_is_zero(ord):
    zero = np.zeros(4)
    gradient = wengert.grad(lambda x: la.norm(x, ord))(zero)
    np.testing.assert_array_equal(gradient, np.zeros(4))
    _, tangent = wengert.jvp(lambda x: la.norm(x, ord), (zero,), (np.ones(4),))
    assert tangent == 0.0
    second = wengert.grad(lambda x: wnp.sum(wengert.grad(lambda y: la.norm(y, ord))(x)))(zero)
    np.testing.assert_array_equal(second, np.zeros(4))


def test_frobenius_norm_gradient_at_the_zero_matrix_is_zero():
    np.testing.assert_array_equal(wengert.grad(la.norm)(np.zeros((2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(wengert.grad(la.matrix_norm)(np.zeros((2, 3))), np.zeros((2, 3)))


def test_vector_norm_gradient_is_zero_only_in_the_rows_that_vanish():
    x = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 4.0]])
    gradient = wengert.grad(lambda x: wnp.sum(la.norm(x, axis=1)))(x)
    np.testing.assert_allclose(gradient, [[0.0, 0.0, 0.0], [0.6, 0.0, 0.8]])


def test_p_norm_gives_zero_entries_a_zero_derivative():
    x = np.array([0.0, 1.0, -2.0])
    gradient = wengert.grad(lambda x: la.norm(x, 0.5))(x)
    assert gradient[0] == 0.0 and np.all(np.isfinite(gradient))
    check_grads(lambda y: la.norm(y, 0.5), (x[1:],))


def test_norm_of_order_zero_counts_nonzero_entries_and_has_no_derivative():
    x = np.array([0.0, 2.0, -1.0])
    value, gradient = wengert.value_and_grad(lambda x: la.norm(x, 0))(x)
    assert value == 2.0
    np.testing.assert_array_equal(gradient, np.zeros(3))


def test_spectral_and_nuclear_norms_are_differentiable_at_repeated_singular_values():
    identity = np.eye(3)
    np.testing.assert_allclose(wengert.grad(lambda a: la.norm(a, "nuc"))(identity), identity, atol=1e-12)
    np.testing.assert_allclose(wengert.grad(lambda a: la.norm(a, 2))(2 * identity), np.diag([1.0, 0, 0]), atol=1e-12)


def test_norm_rejects_string_orders_for_vectors_and_unknown_matrix_orders():
    def under_grad(f):
        return wengert.grad(f)(np.ones((2, 2)))

    with pytest.raises(ValueError, match="vectors"):
        under_grad(lambda x: wnp.sum(la.norm(x, "fro", axis=1)))
    with pytest.raises(ValueError, match="matrices"):
        under_grad(lambda x: la.norm(x, 3))


def test_norm_over_three_axes_says_to_use_vector_norm():
    with pytest.raises(ShapeError, match="vector_norm"):
        wengert.grad(lambda x: la.norm(x, 2, axis=(0, 1, 2)))(np.ones((2, 2, 2)))


# --- one triangle read --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, upper",
    [
        (lambda a: la.cholesky(a), False),
        (lambda a: la.cholesky(a, upper=True), True),
        (lambda a: la.eigvalsh(a), False),
        (lambda a: la.eigvalsh(a, UPLO="U"), True),
        (lambda a: la.eigh(a).eigenvectors ** 2, False),
    ],
    ids=["cholesky", "cholesky upper", "eigvalsh", "eigvalsh U", "eigh"],
)
def test_symmetric_routines_read_one_triangle_and_the_other_gets_zero_derivative(fn, upper):
    junk = np.triu(np.full((3, 3), 100.0), 1)
    a = _spd(3) + (junk.T if upper else junk)
    ignored = np.tril(np.ones((3, 3)), -1) if upper else np.triu(np.ones((3, 3)), 1)
    out, pullback = wengert.vjp(fn, a)
    np.testing.assert_allclose(out, fn(a), rtol=1e-12)
    (cotangent,) = pullback(np.ones_like(out))
    np.testing.assert_array_equal(cotangent * ignored, np.zeros((3, 3)))
    check_grads(fn, (a,), order=1)


def test_eigvalsh_gradient_at_repeated_eigenvalues_is_exact_for_the_trace():
    gradient = wengert.grad(lambda a: wnp.sum(la.eigvalsh(a)))(np.eye(3))
    np.testing.assert_allclose(gradient, np.eye(3), atol=1e-12)


def test_eigh_eigenvector_derivative_holds_to_second_order_at_distinct_eigenvalues():
    def matrix_function(a):
        w, v = la.eigh(a)
        return (v * wnp.sin(w)) @ v.T

    check_grads(matrix_function, (np.diag([1.0, 2.0, 3.5]) + 0.1 * _spd(3),), order=2)


# --- singular values and QR ---------------------------------------------------------------------------


def test_svd_full_matrices_of_a_non_square_traced_matrix_raises_and_names_the_fix():
    with pytest.raises(TransformError, match="full_matrices=False"):
        wengert.grad(lambda a: wnp.sum(la.svd(a)[0]))(np.ones((4, 3)))


def test_svd_full_matrices_of_a_square_matrix_is_the_thin_svd():
    a = _generator(2).standard_normal((3, 3))
    check_grads(lambda a: (lambda u, s, vh: (u * s) @ vh)(*la.svd(a)), (a,), order=1)


def test_svd_of_a_plain_array_returns_numpy_results():
    a = _generator(3).standard_normal((4, 3))
    u, s, vh = la.svd(a)
    assert u.shape == (4, 4)
    for got, want in zip((u, s, vh), np.linalg.svd(a)):
        np.testing.assert_array_equal(got, want)


def test_qr_of_a_wide_matrix_matches_numpy_under_a_transform():
    a = _generator(4).standard_normal((3, 5))
    (q, r), _ = wengert.vjp(lambda a: tuple(la.qr(a)), a)
    q_np, r_np = np.linalg.qr(a)
    np.testing.assert_allclose(q, q_np, atol=1e-12)
    np.testing.assert_allclose(r, r_np, atol=1e-12)


def test_qr_complete_of_a_tall_traced_matrix_raises():
    with pytest.raises(TransformError, match="mode='reduced'"):
        wengert.grad(lambda a: wnp.sum(la.qr(a, mode="complete")[0]))(np.ones((4, 3)))


def test_pinv_is_differentiable_with_repeated_singular_values():
    check_grads(la.pinv, (np.diag([2.0, 2.0, 1.0])[:, :2] + 0.0,), order=2)


# --- determinants -------------------------------------------------------------------------------------


def test_det_gradient_is_the_cofactor_matrix():
    a = _generator(5).standard_normal((3, 3)) + 3 * np.eye(3)
    np.testing.assert_allclose(wengert.grad(la.det)(a), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-12)


def test_slogdet_sign_carries_no_derivative():
    a = -_spd(3)
    (sign, logabsdet), (sign_tangent, log_tangent) = wengert.jvp(la.slogdet, (a,), (np.eye(3),))
    assert sign == -1.0 and sign_tangent == 0.0
    np.testing.assert_allclose(log_tangent, np.trace(np.linalg.inv(a)), rtol=1e-12)
    np.testing.assert_allclose(wengert.grad(lambda a: la.slogdet(a)[0])(a), np.zeros((3, 3)))


# --- batching and broadcasting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        la.inv,
        la.det,
        lambda a: la.slogdet(a).logabsdet,
        lambda a: la.cholesky(a),
        lambda a: la.eigh(a).eigenvalues,
        la.svdvals,
        lambda a: la.qr(a).R ** 2,
        la.pinv,
        lambda a: la.matrix_power(a, 3),
        lambda a: la.matrix_norm(a, ord="nuc"),
    ],
    ids=["inv", "det", "slogdet", "cholesky", "eigh", "svdvals", "qr", "pinv", "matrix_power", "matrix_norm"],
)
def test_stacks_of_matrices_give_what_each_matrix_gives_alone(fn):
    stack = np.stack([_spd(3, seed) for seed in range(4)]).reshape(2, 2, 3, 3)
    weights = _generator(6).standard_normal(np.shape(fn(stack)))

    def loss(a):
        return wnp.sum(fn(a) * weights)

    value, gradient = wengert.value_and_grad(loss)(stack)
    for index in np.ndindex(2, 2):
        alone_value, alone_gradient = wengert.value_and_grad(lambda a: wnp.sum(fn(a) * weights[index]))(stack[index])
        np.testing.assert_allclose(gradient[index], alone_gradient, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(value, loss(stack), rtol=1e-12)


def test_solve_broadcasts_batch_axes_and_sums_the_cotangent_back():
    a = np.stack([_spd(3, 0), _spd(3, 1)])
    b = _generator(7).standard_normal((3, 2))
    grad_a, grad_b = wengert.grad(lambda a, b: wnp.sum(la.solve(a, b)), argnums=(0, 1))(a, b)
    assert grad_a.shape == (2, 3, 3) and grad_b.shape == (3, 2)
    expected_b = sum(wengert.grad(lambda b: wnp.sum(la.solve(a[i], b)))(b) for i in range(2))
    np.testing.assert_allclose(grad_b, expected_b, rtol=1e-12)


def test_solve_takes_a_one_dimensional_b_as_one_vector():
    a, b = _spd(3), np.arange(3.0)
    x, tangent = wengert.jvp(lambda b: la.solve(a, b), (b,), (np.ones(3),))
    assert x.shape == (3,)
    np.testing.assert_allclose(tangent, np.linalg.solve(a, np.ones(3)), rtol=1e-12)


# --- compositions ---------------------------------------------------------------------------------


def test_matrix_power_zero_is_the_identity_and_has_no_derivative():
    a = _spd(3)
    np.testing.assert_array_equal(wengert.grad(lambda a: wnp.sum(la.matrix_power(a, 0)))(a), np.zeros((3, 3)))
    np.testing.assert_array_equal(la.matrix_power(a, 0), np.eye(3))


def test_matrix_power_rejects_a_non_integer_exponent():
    with pytest.raises(TypeError, match="integer"):
        la.matrix_power(np.eye(2), 1.5)


def test_multi_dot_of_traced_arrays_matches_numpy_in_value_and_shape():
    generator = _generator(8)
    arrays = [generator.standard_normal(s) for s in [(5,), (5, 2), (2, 6), (6, 3), (3,)]]
    value, gradients = wengert.value_and_grad(lambda *xs: la.multi_dot(list(xs)), argnums=(0, 1, 2, 3, 4))(*arrays)
    np.testing.assert_allclose(value, np.linalg.multi_dot(arrays), rtol=1e-12)
    assert [g.shape for g in gradients] == [a.shape for a in arrays]


def test_lstsq_under_a_transform_returns_what_numpy_returns():
    generator = _generator(9)
    a, b = generator.standard_normal((5, 3)), generator.standard_normal((5, 2))
    traced, _ = wengert.vjp(lambda a, b: la.lstsq(a, b), a, b)
    for got, want in zip(traced, np.linalg.lstsq(a, b)):
        np.testing.assert_allclose(got, want, rtol=1e-10)


# --- float32 and errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [la.inv, la.det, la.cholesky, la.eigvalsh, la.svdvals, la.pinv, la.norm, lambda a: la.qr(a).Q],
    ids=["inv", "det", "cholesky", "eigvalsh", "svdvals", "pinv", "norm", "qr"],
)
def test_float32_matrices_give_float32_values_tangents_and_cotangents(fn):
    a = _spd(3).astype(np.float32)
    out, tangent = wengert.jvp(fn, (a,), (np.ones_like(a),))
    _, pullback = wengert.vjp(fn, a)
    (cotangent,) = pullback(np.ones_like(out))
    assert out.dtype == tangent.dtype == cotangent.dtype == np.float32
    second = wengert.grad(lambda a: wnp.sum(wengert.grad(lambda b: wnp.sum(fn(b)))(a) ** 2))(a)
    assert second.dtype == np.float32


@pytest.mark.parametrize("fn", [la.inv, la.det, la.slogdet, la.cholesky, la.eigh, la.eigvalsh])
def test_non_square_input_raises_a_shape_error_naming_the_shape(fn):
    with pytest.raises(ShapeError, match=r"\(2, 3\)"):
        fn(np.ones((2, 3)))


def test_solve_with_mismatched_right_hand_side_raises_a_shape_error():
    with pytest.raises(ShapeError, match="needs b with 3 rows"):
        la.solve(np.eye(3), np.ones(4))


def test_singular_matrix_raises_numpys_linalg_error():
    with pytest.raises(la.LinAlgError):
        wengert.grad(lambda a: wnp.sum(la.inv(a)))(np.ones((2, 2)))


def test_cholesky_of_a_matrix_that_is_not_positive_definite_raises_linalg_error():
    with pytest.raises(la.LinAlgError):
        wengert.grad(lambda a: wnp.sum(la.cholesky(a)))(-np.eye(2))
