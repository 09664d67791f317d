"""The fast paths of issue 19 compute what the general rules do, and the derivative programs take them.

Structural checks only (which primitives a derivative program holds, which route an
implementation takes), never timings: the benchmark's sections measure those.
"""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert._src.primitives import linalg as la

N = 40  # above the size where lu_factor factors and solve looks for a triangular matrix


def _spd(n: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, n))
    return x @ x.T / n + np.eye(n)


def _names(program) -> list:
    return [equation.primitive.name for equation in program.equations]


# --- cholesky: triangular solves, no inverse ------------------------------------------------------


def test_cholesky_gradient_is_two_triangular_solves_and_no_inverse():
    program = wengert.trace(wengert.grad(lambda a: wnp.sum(wnp.linalg.cholesky(a) ** 2)))(_spd(4))
    names = _names(program)
    assert names.count("triangular_solve") == 2
    assert "inv" not in names and "solve" not in names


def test_cholesky_second_derivative_needs_no_inverse():
    f = wengert.grad(lambda a: wnp.sum(wnp.linalg.cholesky(a) ** 3))
    names = _names(wengert.trace(lambda a, v: wengert.jvp(f, (a,), (v,))[1])(_spd(4), _spd(4, 1)))
    assert "inv" not in names


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("batch", [(), (2,)], ids=["matrix", "stack"])
def test_triangular_solve_reads_one_triangle_and_matches_a_general_solve(lower, transpose_a, batch):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(batch + (5, 5)) + 4 * np.eye(5)
    b = rng.standard_normal(batch + (5, 3))
    triangle = np.tril(a) if lower else np.triu(a)
    want = np.linalg.solve(np.swapaxes(triangle, -1, -2) if transpose_a else triangle, b)
    np.testing.assert_allclose(la.triangular_solve(a, b, lower=lower, transpose_a=transpose_a), want, rtol=1e-12)


def test_triangular_solve_without_scipy_is_a_general_solve_of_the_triangle(monkeypatch):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((6, 6)) + 4 * np.eye(6), rng.standard_normal((6, 2))
    with_scipy = la.triangular_solve(a, b, lower=False, transpose_a=True)
    monkeypatch.setattr(la, "_scipy_linalg", lambda: None)
    np.testing.assert_allclose(la.triangular_solve(a, b, lower=False, transpose_a=True), with_scipy, rtol=1e-12)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose_a", [False, True])
def test_triangular_solve_derivatives_match_finite_differences_to_second_order(lower, transpose_a):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 4)) + 4 * np.eye(4), rng.standard_normal((4, 2))

    def f(a, b):
        return wnp.sum(la.triangular_solve(a, b, lower=lower, transpose_a=transpose_a) ** 3)

    wengert.check.check_grads(f, (a, b), order=2)


# --- solve: a triangular matrix by a triangular solve ----------------------------------------------


@pytest.mark.parametrize("lower", [True, False])
def test_solve_of_a_triangular_matrix_and_its_gradient_match_the_general_route(lower):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((N, N)) / np.sqrt(N) + 2 * np.eye(N)
    a = np.tril(a) if lower else np.triu(a)
    b, c = rng.standard_normal((N, 3)), rng.standard_normal((N, 3))
    x = np.linalg.solve(a, b)
    np.testing.assert_allclose(wnp.linalg.solve(a, b), x, rtol=1e-10)
    a_bar, b_bar = wengert.grad(lambda a, b: wnp.sum(wnp.linalg.solve(a, b) * c), argnums=(0, 1))(a, b)
    want_b_bar = np.linalg.solve(a.T, c)
    np.testing.assert_allclose(b_bar, want_b_bar, rtol=1e-9)
    np.testing.assert_allclose(a_bar, -want_b_bar @ x.T, rtol=1e-9, atol=1e-12)


def test_triangle_check_answers_for_triangular_matrices_only():
    a = np.random.default_rng(5).standard_normal((N, N))
    assert la._triangle_of(np.tril(a)) is True
    assert la._triangle_of(np.triu(a)) is False
    assert la._triangle_of(a) is None
    assert la._triangle_of(np.tril(a)[:4, :4]) is None  # small: LAPACK's general solve


def test_solve_pulls_back_to_both_arguments_with_one_solve_and_the_forward_factors():
    a, b = _spd(N), np.ones((N, 2))
    program = wengert.trace(wengert.grad(lambda a, b: wnp.sum(wnp.linalg.solve(a, b) ** 2), argnums=(0, 1)))(a, b)
    names = _names(program)
    assert names.count("solve") == 2  # the forward solve and one with Aᵀ
    assert names.count("lu_factor") == 1  # which share one factorisation


# --- one LU factorisation per forward and backward pass ----------------------------------------------

_REFACTORING = ("solve", "inv", "det", "slogdet")  # NumPy's linalg functions that factor their matrix


def _count_factorisations(monkeypatch) -> dict:
    """Count LAPACK's LU factorisations: ``getrf`` asked of SciPy by the linalg primitives, and every call
    of a NumPy linalg function that factors its matrix itself."""
    counts = dict.fromkeys(("getrf",) + _REFACTORING, 0)
    lapack = la._lapack

    def counting_lapack(names, *arrays):
        for name in (names,) if isinstance(names, str) else names:
            counts[name] = counts.get(name, 0) + 1
        return lapack(names, *arrays)

    monkeypatch.setattr(la, "_lapack", counting_lapack)
    for name in _REFACTORING:
        numpy_function = getattr(np.linalg, name)

        def counting(*args, _name=name, _function=numpy_function, **kwargs):
            counts[_name] += 1
            return _function(*args, **kwargs)

        monkeypatch.setattr(np.linalg, name, counting)
    return counts


def _log_det_plus_solve(a, b):
    return wnp.linalg.slogdet(a)[1] + wnp.sum(wnp.linalg.solve(a, b))


def test_the_gradient_of_slogdet_and_solve_factors_each_once_eagerly_and_their_matrix_once_under_jit(monkeypatch):
    a, b = _spd(N) + 0.3 * np.random.default_rng(6).standard_normal((N, N)), np.ones((N, 2))
    want = np.linalg.inv(a).T - np.linalg.solve(a.T, np.ones_like(b)) @ np.linalg.solve(a, b).T
    compiled = wengert.jit(wengert.grad(_log_det_plus_solve))
    compiled(a, b)
    counts = _count_factorisations(monkeypatch)
    np.testing.assert_allclose(wengert.grad(_log_det_plus_solve)(a, b), want, rtol=1e-9)
    assert counts["getrf"] == 2 and all(counts[name] == 0 for name in _REFACTORING)  # slogdet's and solve's
    counts.update(dict.fromkeys(counts, 0))
    np.testing.assert_allclose(compiled(a, b), want, rtol=1e-9)
    assert counts["getrf"] == 1 and all(counts[name] == 0 for name in _REFACTORING)


def test_the_gradient_of_det_reuses_the_forward_factorisation(monkeypatch):
    a = _spd(N)
    want = np.linalg.det(a) * np.linalg.inv(a).T
    counts = _count_factorisations(monkeypatch)
    np.testing.assert_allclose(wengert.grad(wnp.linalg.det)(a), want, rtol=1e-9)
    assert counts["getrf"] == 1 and all(counts[name] == 0 for name in _REFACTORING)


# --- matrix products under vmap: one product, the batch folded in ------------------------------------


def _matmul_operand_ranks(program) -> list:
    return [tuple(len(v.shape) for v in eq.inputs) for eq in program.equations if eq.primitive.name == "matmul"]


def test_jacfwd_through_a_matrix_product_is_the_matrix_itself():
    x, A = np.ones(3), np.arange(12.0).reshape(4, 3)
    assert _matmul_operand_ranks(wengert.trace(wengert.jacfwd(lambda x, A: A @ x))(x, A)) == []
    jacobian = wengert.jacfwd(lambda x: A @ x)(x)
    np.testing.assert_array_equal(jacobian, A)
    assert not np.shares_memory(jacobian, A)


def test_jacfwd_through_a_row_times_a_matrix_is_the_matrix_itself():
    x, B = np.ones(4), np.arange(12.0).reshape(4, 3)
    assert _matmul_operand_ranks(wengert.trace(wengert.jacfwd(lambda x, B: x @ B))(x, B)) == []
    np.testing.assert_array_equal(wengert.jacfwd(lambda x: x @ B)(x), B.T)


def test_hessian_through_a_matrix_product_is_one_matrix_product():
    rng = np.random.default_rng(6)
    x, A = rng.standard_normal(5), rng.standard_normal((7, 5))
    f = lambda x, A: wnp.sum(wnp.log(1.0 + wnp.exp(A @ x)))  # noqa: E731
    program = wengert.trace(wengert.hessian(f))(x, A)
    assert all(max(ranks) <= 2 for ranks in _matmul_operand_ranks(program))
    s = 1.0 / (1.0 + np.exp(-(A @ x)))
    np.testing.assert_allclose(wengert.hessian(f)(x, A), A.T @ ((s * (1 - s))[:, None] * A), rtol=1e-12)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("example_shape", [(3, 2), (2, 3, 2)], ids=["matrices", "stacks"])
def test_vmap_of_one_matrix_times_a_batch_of_matrices_is_one_product_and_the_loop(side, example_shape):
    rng = np.random.default_rng(7)
    xs = rng.standard_normal((4, *example_shape))
    if side == "left":
        A = rng.standard_normal((5, example_shape[-2]))
        f = lambda x, A: A @ x  # noqa: E731
    else:
        xs = np.swapaxes(xs, -1, -2)
        A = rng.standard_normal((example_shape[-2], 5))
        f = lambda x, A: x @ A  # noqa: E731
    batched = wengert.vmap(f, in_axes=(0, None))
    np.testing.assert_allclose(batched(xs, A), np.stack([f(x, A) for x in xs]), rtol=1e-12)
    assert all(max(ranks) <= 2 for ranks in _matmul_operand_ranks(wengert.trace(batched)(xs, A)))


def test_an_identity_basis_of_another_dtype_is_multiplied_as_numpy_would():
    A = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = wengert.vmap(lambda e: A @ e)(np.eye(3))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, A.T)


def test_vmap_over_the_right_hand_sides_solves_them_as_columns_of_one_factorisation(monkeypatch):
    a, bs = _spd(N), np.random.default_rng(7).standard_normal((5, N, 2))
    counts = _count_factorisations(monkeypatch)
    x, pullback = wengert.vjp(wengert.vmap(lambda b: wnp.linalg.solve(a, b)), bs)
    (b_bar,) = pullback(np.ones_like(bs))
    assert counts["getrf"] == 1 and counts["getrs"] == 2 and all(counts[name] == 0 for name in _REFACTORING)
    monkeypatch.undo()
    np.testing.assert_allclose(x, np.linalg.solve(a, bs), rtol=1e-10)
    np.testing.assert_allclose(b_bar, np.linalg.solve(a.T, np.ones_like(bs)), rtol=1e-10)


def test_without_scipy_solve_and_the_determinants_solve_from_the_matrix_as_numpy_does(monkeypatch):
    a, b = _spd(N) + 0.3 * np.random.default_rng(8).standard_normal((N, N)), np.ones((N, 2))

    def f(a, b):
        return _log_det_plus_solve(a, b) + wnp.linalg.det(a)

    with_scipy = wengert.grad(f, argnums=(0, 1))(a, b)
    monkeypatch.setattr(la, "_scipy_linalg", lambda: None)
    assert np.all(la.lu_factor(a)[1] == -1)  # not factored
    for got, want in zip(wengert.grad(f, argnums=(0, 1))(a, b), with_scipy):
        np.testing.assert_allclose(got, want, rtol=1e-10)
