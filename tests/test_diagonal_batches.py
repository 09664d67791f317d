"""vmap holds the identity basis as its diagonal: what it gives, and the programs it makes.

Structural checks (which equations a derivative program holds) and values against the dense
computation; ``tests/test_sweep_diagonal_batches.py`` sweeps the registry.
"""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp


def _softplus_layer(x, A):
    return wnp.log(1.0 + wnp.exp(A @ x))


def _problem(m: int = 6, n: int = 4):
    rng = np.random.default_rng(0)
    return rng.standard_normal(n), rng.standard_normal((m, n))


def _jacobian_by_hand(x, A):
    return (1.0 / (1.0 + np.exp(-(A @ x))))[:, None] * A


def _largest_value(program) -> int:
    return max(int(np.prod(v.shape)) for eq in program.equations for v in eq.outputs)


@pytest.mark.parametrize("transform", [wengert.jacrev, wengert.jacfwd])
def test_the_jacobian_through_a_matrix_product_is_the_matrix_scaled_with_no_product(transform):
    x, A = _problem()
    program = wengert.trace(transform(_softplus_layer))(x, A)
    assert [eq.primitive.name for eq in program.equations].count("matmul") == 1  # the forward A @ x only
    assert _largest_value(program) == A.size  # no m x m (or n x n) basis materialised
    np.testing.assert_allclose(transform(_softplus_layer)(x, A), _jacobian_by_hand(x, A), rtol=1e-13)


def test_jacrev_through_a_matrix_product_under_jit_equals_eager():
    x, A = _problem()
    jitted = wengert.jit(wengert.jacrev(_softplus_layer))
    np.testing.assert_array_equal(jitted(x, A), wengert.jacrev(_softplus_layer)(x, A))
    assert jitted.source(x, A).count("@") == 1  # the forward A @ x only


def test_jacrev_of_a_row_times_a_matrix_is_the_matrix_scaled():
    x, B = np.linspace(-1.0, 1.0, 4), np.arange(12.0).reshape(4, 3) / 10
    f = lambda x: wnp.tanh(x) @ B  # noqa: E731
    np.testing.assert_allclose(wengert.jacrev(f)(x), (B * (1.0 - np.tanh(x) ** 2)[:, None]).T, rtol=1e-13)


@pytest.mark.parametrize("in_axes", [0, 1])
def test_vmap_over_the_identity_on_either_axis_equals_the_loop(in_axes):
    w = np.array([2.0, -3.0, 0.5])
    f = lambda v: -(v * w) / 4.0 + v  # noqa: E731
    out = wengert.vmap(f, in_axes=in_axes)(np.eye(3))
    np.testing.assert_array_equal(out, np.stack([f(e) for e in np.eye(3)]))


def test_vmap_over_an_identity_basis_of_matrices_equals_the_loop():
    basis = np.eye(6, dtype=np.float32).reshape(6, 2, 3)
    w = np.arange(1.0, 4.0, dtype=np.float32)
    f = lambda v: wnp.reshape(v * w, (3, 2)).astype(np.float64)  # noqa: E731
    out = wengert.vmap(f)(basis)
    expected = np.stack([f(e) for e in basis])
    assert out.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    "f",
    [
        lambda v: wnp.sum(v * 2.0),  # a reduction: the dense batch
        lambda v: v * np.ones((2, 3)),  # an operand that widens the example
        lambda v: wnp.sin(v) + np.arange(3.0),  # not a scaling
        lambda v: wnp.transpose(wnp.reshape(v, (3, 1))),
    ],
    ids=["sum", "widening", "sin", "transpose"],
)
def test_what_keeps_no_diagonal_runs_on_the_dense_batch(f):
    np.testing.assert_array_equal(wengert.vmap(f)(np.eye(3)), np.stack([f(e) for e in np.eye(3)]))


def test_an_identity_lookalike_is_an_ordinary_batch():
    almost = np.eye(3)
    almost[2, 0] = 1e-300
    f = lambda v: np.array([[1.0, 2.0, 3.0]]) @ (v * 2.0)  # noqa: E731
    np.testing.assert_array_equal(wengert.vmap(f)(almost), np.stack([f(e) for e in almost]))
