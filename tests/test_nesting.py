"""Specification of nested transforms: derivatives of derivatives, in any mix of modes.

Higher derivatives are checked against closed forms, and nested transforms
must keep their perturbations apart (no "perturbation confusion"): a value
of an outer transform is a constant to an inner one.
"""

import math

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert import grad, jvp, value_and_grad, vjp


def _nth_grad(f, n):
    for _ in range(n):
        f = grad(f)
    return f


def _forward_derivative(f):
    return lambda x: jvp(f, (x,), (1.0,))[1]


# --- higher orders against closed forms ----------------------------------------------------

CLOSED_FORMS = {
    "sin": (wnp.sin, [math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x), math.sin]),
    "exp": (wnp.exp, [math.exp] * 4),
    "x^5": (
        lambda x: x**5,
        [lambda x: 5 * x**4, lambda x: 20 * x**3, lambda x: 60 * x**2, lambda x: 120 * x],
    ),
    "cubic polynomial": (
        lambda x: 2.0 * x * x * x - 3.0 * x * x + x - 7.0,
        [lambda x: 6 * x * x - 6 * x + 1, lambda x: 12 * x - 6, lambda x: 12.0, lambda x: 0.0],
    ),
    "tanh": (
        wnp.tanh,
        [
            lambda x: 1 - math.tanh(x) ** 2,
            lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
            lambda x: (1 - math.tanh(x) ** 2) * (6 * math.tanh(x) ** 2 - 2),
            lambda x: 8 * math.tanh(x) * (1 - math.tanh(x) ** 2) * (2 - 3 * math.tanh(x) ** 2),
        ],
    ),
}


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_repeated_grad_matches_closed_form(name, order):
    f, derivatives = CLOSED_FORMS[name]
    for x in (-0.7, 0.4, 1.3):
        assert _nth_grad(f, order)(x) == pytest.approx(derivatives[order - 1](x), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_repeated_jvp_matches_closed_form(name, order):
    f, derivatives = CLOSED_FORMS[name]
    for _ in range(order):
        f = _forward_derivative(f)
    assert f(0.4) == pytest.approx(derivatives[order - 1](0.4), rel=1e-10, abs=1e-12)


# --- mixing modes ------------------------------------------------------------------------------


def test_jvp_of_grad_is_the_second_derivative():
    _, second = jvp(grad(wnp.sin), (0.3,), (1.0,))
    assert second == pytest.approx(-math.sin(0.3))


def test_grad_of_jvp_is_the_second_derivative():
    assert grad(_forward_derivative(wnp.exp))(0.3) == pytest.approx(math.exp(0.3))


def test_jvp_of_jvp_is_the_second_derivative():
    assert _forward_derivative(_forward_derivative(lambda x: x**4))(2.0) == pytest.approx(48.0)


def test_alternating_modes_to_fourth_order():
    f = grad(_forward_derivative(grad(_forward_derivative(wnp.sin))))
    assert f(0.9) == pytest.approx(math.sin(0.9))


def test_hessian_vector_product_by_forward_over_reverse():
    def f(x):
        return (x[0] ** 2) * x[1] + wnp.sin(x[1]) * x[2]

    x = np.array([1.0, 2.0, 3.0])
    v = np.array([1.0, -1.0, 0.5])
    hessian = np.array(
        [
            [2 * x[1], 2 * x[0], 0.0],
            [2 * x[0], -math.sin(x[1]) * x[2], math.cos(x[1])],
            [0.0, math.cos(x[1]), 0.0],
        ]
    )
    _, hv = jvp(grad(f), (x,), (v,))
    np.testing.assert_allclose(hv, hessian @ v)


def test_hessian_vector_product_by_reverse_over_reverse():
    def f(x):
        return (wnp.exp(x) * x).sum()

    x = np.array([0.1, -0.5])
    v = np.array([2.0, 3.0])
    hv = grad(lambda x: (grad(f)(x) * v).sum())(x)
    np.testing.assert_allclose(hv, (np.exp(x) * x + 2 * np.exp(x)) * v)


def test_vjp_of_grad_is_the_hessian_transpose_product():
    def f(x):
        return x[0] * x[0] * x[1]

    x = np.array([2.0, 3.0])
    _, pullback = vjp(grad(f), x)
    (row,) = pullback(np.array([1.0, 0.0]))
    np.testing.assert_allclose(row, [2 * x[1], 2 * x[0]])


def test_grad_through_a_vjp_pullback_gives_the_jacobian_applied_to_ones():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([0.1, 0.2])
    _, pullback = vjp(lambda x: wnp.sin(a @ x), x)
    # pullback(ct) = J^T ct is linear in ct, so d/d ct of sum(J^T ct) = J @ 1.
    g = grad(lambda ct: pullback(ct)[0].sum())(np.ones(2))
    np.testing.assert_allclose(g, np.cos(a @ x) * a.sum(1))


def test_value_and_grad_inside_grad():
    def f(x):
        value, slope = value_and_grad(lambda y: y**3)(x)
        return value + slope  # x^3 + 3x^2

    assert grad(f)(2.0) == pytest.approx(3 * 4.0 + 6 * 2.0)


# --- perturbation confusion ----------------------------------------------------------------


@pytest.mark.parametrize("x, y", [(0.0, 0.0), (1.0, 1.0), (3.0, -2.0), (-1.5, 7.0)])
def test_no_perturbation_confusion_with_nested_grad(x, y):
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1; confusing the two perturbations gives 2.
    def outer(x):
        return x * grad(lambda y: x + y)(y)

    assert grad(outer)(x) == pytest.approx(1.0)


@pytest.mark.parametrize("x, y", [(0.0, 0.0), (3.0, -2.0)])
def test_no_perturbation_confusion_with_nested_jvp(x, y):
    def outer(x):
        return x * jvp(lambda y: x + y, (y,), (1.0,))[1]

    _, derivative = jvp(outer, (x,), (1.0,))
    assert derivative == pytest.approx(1.0)


def test_no_perturbation_confusion_mixing_jvp_inside_grad():
    def outer(x):
        return x * jvp(lambda y: x + y, (1.0,), (1.0,))[1]

    assert grad(outer)(2.0) == pytest.approx(1.0)


def test_no_perturbation_confusion_mixing_grad_inside_jvp():
    def outer(x):
        return x * grad(lambda y: x + y)(1.0)

    assert jvp(outer, (2.0,), (1.0,))[1] == pytest.approx(1.0)


def test_inner_derivative_depending_on_outer_variable():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x
    def outer(x):
        return x * grad(lambda y: x * y)(1.0)

    assert grad(outer)(3.0) == pytest.approx(6.0)
    assert jvp(outer, (3.0,), (1.0,))[1] == pytest.approx(6.0)


def test_classic_counterexample_with_jvp_of_jvp():
    # Siskind & Pearlmutter (2005): D(lambda x. x * D(lambda y. x + y)(1))(1) = 1.
    # An implementation that cannot tell the two epsilons apart answers 2.
    def f(x):
        _, inner = jvp(lambda y: x + y, (1.0,), (1.0,))
        return x * inner

    assert jvp(f, (1.0,), (1.0,))[1] == pytest.approx(1.0)


def test_inner_tangent_does_not_leak_into_the_outer_one_with_jvp_of_jvp():
    # f(x) = x * d/dy [x * y] = x^2, so f'(1) = 2.
    def f(x):
        _, inner = jvp(lambda y: x * y, (2.0,), (1.0,))
        return x * inner

    assert jvp(f, (1.0,), (1.0,))[1] == pytest.approx(2.0)


def test_outer_value_closed_over_by_inner_transform_is_a_constant_there():
    def outer(x):
        inner = grad(lambda y: wnp.sin(x) * y * y)  # d/dy = 2 y sin(x)
        return inner(3.0)

    assert grad(outer)(0.5) == pytest.approx(6.0 * math.cos(0.5))
