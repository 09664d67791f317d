"""Specification of the functional transforms: grad, value_and_grad, jvp, vjp.

Each test states one behaviour: what the transform returns, that the tape
adds up every use of a value, that chains of any length work, that forward
and reverse mode agree, and that Python control flow (loops, branches,
recursion, value-dependent ``while``) differentiates as written.
"""

import math

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import grad, jvp, value_and_grad, vjp
from wengert._src.core.primitive import Tracer
from wengert.errors import ShapeError, TransformError

# --- grad and value_and_grad ---------------------------------------------------------------


def test_grad_of_scalar_function_is_its_derivative():
    assert grad(wnp.sin)(0.3) == pytest.approx(math.cos(0.3))


def test_grad_returns_gradient_with_shape_of_argument():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    g = grad(lambda x: (x * x).sum())(x)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, 2 * x)


def test_value_and_grad_returns_value_and_gradient():
    value, g = value_and_grad(lambda x: x**3)(2.0)
    assert value == pytest.approx(8.0)
    assert g == pytest.approx(12.0)


def test_grad_argnums_int_differentiates_that_argument():
    def f(x, y):
        return x * y * y

    assert grad(f, argnums=1)(3.0, 2.0) == pytest.approx(12.0)


def test_grad_argnums_tuple_returns_tuple_of_gradients():
    def f(x, y, z):
        return x * y + z

    g = grad(f, argnums=(0, 2))(3.0, 2.0, 5.0)
    assert isinstance(g, tuple) and len(g) == 2
    assert g[0] == pytest.approx(2.0)
    assert g[1] == pytest.approx(1.0)


def test_value_and_grad_argnums_tuple():
    value, (gx, gy) = value_and_grad(lambda x, y: x / y, argnums=(0, 1))(3.0, 2.0)
    assert value == pytest.approx(1.5)
    assert gx == pytest.approx(0.5)
    assert gy == pytest.approx(-0.75)


def test_grad_passes_keyword_arguments_through_undifferentiated():
    def f(x, scale=1.0):
        return scale * x * x

    assert grad(f)(3.0, scale=2.0) == pytest.approx(12.0)


def test_grad_has_aux_returns_gradient_and_plain_aux():
    def f(x):
        y = wnp.sin(x)
        return y * y, {"sin": y}

    g, aux = grad(f, has_aux=True)(0.5)
    assert g == pytest.approx(2 * math.sin(0.5) * math.cos(0.5))
    assert float(aux["sin"]) == pytest.approx(math.sin(0.5))
    assert not isinstance(aux["sin"], Tracer)


def test_value_and_grad_has_aux_returns_value_aux_pair_and_gradient():
    (value, aux), g = value_and_grad(lambda x: (x * x, x + 1.0), has_aux=True)(3.0)
    assert value == pytest.approx(9.0)
    assert aux == pytest.approx(4.0)
    assert g == pytest.approx(6.0)


def test_grad_argnums_out_of_range_raises_transform_error():
    with pytest.raises(TransformError, match="argnums"):
        grad(lambda x: x * x, argnums=1)(1.0)


def test_grad_with_respect_to_unused_argument_is_zero():
    g = grad(lambda x, y: x * 2.0, argnums=1)(1.0, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, np.zeros(2))


def test_grad_of_constant_function_is_zero():
    g = grad(lambda x: wnp.asarray(3.0))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, np.zeros(2))


def test_grad_has_the_name_of_the_function():
    def loss(x):
        return x * x

    assert "loss" in grad(loss).__name__


# --- jvp and vjp ---------------------------------------------------------------------------


def test_jvp_returns_value_and_directional_derivative():
    x = np.array([0.1, 0.2, 0.3])
    v = np.array([1.0, -1.0, 2.0])
    y, t = jvp(lambda x: wnp.exp(x) * x, (x,), (v,))
    np.testing.assert_allclose(y, np.exp(x) * x)
    np.testing.assert_allclose(t, (np.exp(x) * x + np.exp(x)) * v)


def test_jvp_of_several_arguments_sums_their_contributions():
    _, t = jvp(lambda x, y: x * y, (2.0, 3.0), (1.0, 10.0))
    assert t == pytest.approx(3.0 * 1.0 + 2.0 * 10.0)


def test_jvp_of_output_independent_of_input_has_zero_tangent():
    y, t = jvp(lambda x: wnp.ones(3), (1.0,), (1.0,))
    np.testing.assert_array_equal(t, np.zeros(3))


def test_vjp_pulls_cotangent_back_through_jacobian_transpose():
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    x = np.array([0.5, -1.0])
    y, pullback = vjp(lambda x: a @ x, x)
    np.testing.assert_allclose(y, a @ x)
    ct = np.array([1.0, 0.0, 2.0])
    (gx,) = pullback(ct)
    np.testing.assert_allclose(gx, a.T @ ct)


def test_vjp_fn_returns_one_cotangent_per_primal():
    _, pullback = vjp(lambda x, y: x * y, 2.0, 3.0)
    gx, gy = pullback(1.0)
    assert gx == pytest.approx(3.0)
    assert gy == pytest.approx(2.0)


def test_vjp_fn_called_twice_gives_the_same_result():
    _, pullback = vjp(lambda x: wnp.sin(x) * x, np.array([0.1, 0.7]))
    first = pullback(np.array([1.0, 2.0]))
    second = pullback(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(first[0], second[0])


def test_vjp_fn_is_linear_in_the_cotangent():
    _, pullback = vjp(lambda x: wnp.tanh(x) ** 2, np.array([0.1, 0.7]))
    (one,) = pullback(np.array([1.0, 1.0]))
    (three,) = pullback(np.array([3.0, 3.0]))
    np.testing.assert_allclose(three, 3 * one)


def test_vjp_has_aux_returns_output_pullback_and_aux():
    out, pullback, aux = vjp(lambda x: (x * x, x + 1.0), 3.0, has_aux=True)
    assert out == pytest.approx(9.0)
    assert aux == pytest.approx(4.0)
    assert pullback(1.0)[0] == pytest.approx(6.0)


def test_vjp_cotangent_of_wrong_shape_raises_shape_error():
    _, pullback = vjp(lambda x: x * 2.0, np.ones(3))
    with pytest.raises(ShapeError, match="shape"):
        pullback(np.ones(4))


def test_jvp_tangent_of_wrong_shape_raises_shape_error():
    with pytest.raises(ShapeError, match=r"\(4,\).*\(3,\)"):
        jvp(wnp.sin, (np.ones(3),), (np.ones(4),))


# --- the tape adds up every use of a value -------------------------------------------------


def test_tape_accumulates_over_every_use_of_a_value():
    def e(a, b):
        return (a * b) * (b + 1.0)

    de_da, de_db = grad(e, argnums=(0, 1))(2.0, 3.0)
    assert de_da == pytest.approx(12.0)
    assert de_db == pytest.approx(14.0)


def test_cube_as_repeated_product_has_derivative_three_x_squared():
    assert grad(lambda x: x * x * x)(2.0) == pytest.approx(12.0)


def test_value_used_in_many_branches_collects_all_contributions():
    def f(x):
        s = wnp.sin(x)
        branches = [s * k for k in range(1, 11)]
        return sum(branches[1:], branches[0]) + s * s

    x = 0.4
    expected = 55 * math.cos(x) + 2 * math.sin(x) * math.cos(x)
    assert grad(f)(x) == pytest.approx(expected)


def test_diamond_dependency_accumulates_both_paths():
    def f(x):
        a = x * 2.0
        b = x + a
        return a * b  # = 6 x^2

    assert grad(f)(1.5) == pytest.approx(18.0)


# --- any depth -------------------------------------------------------------------------------

CHAIN_LENGTH = 100_000
CHAIN_FACTOR = 1.0 + 1.0 / CHAIN_LENGTH


def _long_chain(x):
    for _ in range(CHAIN_LENGTH):
        x = x * CHAIN_FACTOR
    return x


def test_reverse_mode_differentiates_a_chain_of_100000_operations():
    g = grad(_long_chain)(1.0)
    assert g == pytest.approx(CHAIN_FACTOR**CHAIN_LENGTH, rel=1e-9)


def test_forward_mode_differentiates_a_chain_of_100000_operations():
    _, t = jvp(_long_chain, (1.0,), (1.0,))
    assert t == pytest.approx(CHAIN_FACTOR**CHAIN_LENGTH, rel=1e-9)


# --- forward and reverse agree ---------------------------------------------------------------


def _jacobian_forward(f, x):
    columns = [jvp(f, (x,), (basis,))[1] for basis in np.eye(x.size).reshape(-1, *x.shape)]
    return np.stack([np.asarray(c).ravel() for c in columns], axis=1)


def _jacobian_reverse(f, x):
    y, pullback = vjp(f, x)
    rows = [pullback(basis)[0] for basis in np.eye(np.size(y)).reshape(-1, *np.shape(y))]
    return np.stack([np.asarray(r).ravel() for r in rows], axis=0)


FUNCTIONS_R3_TO_RN = {
    "elementwise": lambda x: wnp.sin(x) * wnp.exp(-x * x),
    "softmax": lambda x: wnp.exp(x) / wnp.exp(x).sum(),
    "outer": lambda x: (x[:, None] * x[None, :]).ravel(),
    "norm_squared": lambda x: (x @ x).reshape(1),
    "cumulative": lambda x: wnp.cumsum(wnp.tanh(x) ** 3),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS_R3_TO_RN))
def test_forward_and_reverse_mode_give_the_same_jacobian(name):
    f = FUNCTIONS_R3_TO_RN[name]
    x = np.array([0.3, -0.8, 1.1])
    np.testing.assert_allclose(_jacobian_forward(f, x), _jacobian_reverse(f, x), rtol=1e-12, atol=1e-14)


# --- Python control flow -------------------------------------------------------------------


def test_for_loop_differentiates_as_unrolled():
    def f(x):
        y = x
        for _ in range(5):
            y = wnp.sin(y)
        return y

    y, expected = 0.7, 1.0
    for _ in range(5):
        expected *= math.cos(y)
        y = math.sin(y)
    assert grad(f)(0.7) == pytest.approx(expected)


def test_if_on_a_traced_value_takes_the_branch_of_its_value():
    def f(x):
        if x > 0:
            return x * x
        return -3.0 * x

    assert grad(f)(2.0) == pytest.approx(4.0)
    assert grad(f)(-2.0) == pytest.approx(-3.0)


def test_branch_condition_under_forward_mode():
    def f(x):
        return wnp.exp(x) if x < 1.0 else x * 10.0

    assert jvp(f, (0.0,), (1.0,))[1] == pytest.approx(1.0)
    assert jvp(f, (2.0,), (1.0,))[1] == pytest.approx(10.0)


def _recursive_power(x, n):
    return 1.0 if n == 0 else x * _recursive_power(x, n - 1)


def test_recursive_power_differentiates():
    assert grad(lambda x: _recursive_power(x, 6))(1.5) == pytest.approx(6 * 1.5**5)


def _horner(coefficients, x):
    """c0 + x (c1 + x (c2 + ...)), recursively."""
    if len(coefficients) == 1:
        return coefficients[0] + 0.0 * x
    return coefficients[0] + x * _horner(coefficients[1:], x)


def test_recursive_horner_polynomial_differentiates():
    coefficients = [1.0, -2.0, 0.5, 3.0]  # 1 - 2x + 0.5x^2 + 3x^3
    x = 0.8
    assert grad(lambda x: _horner(coefficients, x))(x) == pytest.approx(-2.0 + x + 9.0 * x * x)
    assert jvp(lambda x: _horner(coefficients, x), (x,), (1.0,))[1] == pytest.approx(-2.0 + x + 9.0 * x * x)


def _newton_sqrt(a):
    """sqrt(a) by Newton's iteration, stopping when the residual is small (value-dependent)."""
    y = a
    while abs(y * y - a) > 1e-12:
        y = 0.5 * (y + a / y)
    return y


def test_while_loop_with_value_dependent_termination_differentiates():
    a = 2.0
    assert grad(_newton_sqrt)(a) == pytest.approx(0.5 / math.sqrt(a), rel=1e-8)
    assert jvp(_newton_sqrt, (a,), (1.0,))[1] == pytest.approx(0.5 / math.sqrt(a), rel=1e-8)


def test_loop_over_rows_of_a_traced_matrix():
    def f(m):
        total = 0.0
        for row in m:
            total = total + wnp.max(row)
        return total

    m = np.array([[1.0, 5.0], [7.0, 2.0]])
    np.testing.assert_array_equal(grad(f)(m), [[0.0, 1.0], [1.0, 0.0]])


# --- stop_gradient -------------------------------------------------------------------------


def test_stop_gradient_treats_its_argument_as_a_constant():
    assert grad(lambda x: wengert.stop_gradient(x) * x)(3.0) == pytest.approx(3.0)


def test_stop_gradient_keeps_the_value():
    value = value_and_grad(lambda x: wengert.stop_gradient(x * x))(3.0)[0]
    assert value == pytest.approx(9.0)


def test_stop_gradient_blocks_forward_mode_too():
    _, t = jvp(lambda x: wengert.stop_gradient(x) + x, (3.0,), (1.0,))
    assert t == pytest.approx(1.0)


def test_stop_gradient_blocks_every_order():
    def f(x):
        return wengert.stop_gradient(x * x) * x

    assert grad(grad(f))(3.0) == pytest.approx(0.0)
