"""Specification of wengert.check: finite differences, and check_grads against them."""

import pathlib
import re

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert._src.core.primitive import Primitive
from wengert.check import (
    METHODS,
    GradientCheckError,
    check_grads,
    default_step,
    default_tolerance,
    numerical_derivative,
    numerical_grad,
    numerical_jacobian,
)
from wengert.errors import DtypeError, ShapeError, TransformError, WengertError

EPS64 = float(np.finfo(np.float64).eps)
STEPS = np.logspace(-13, -1, 37)
POINTS = np.linspace(0.5, 1.5, 15)


def error_of(method: str, h=None, f=np.exp, x=1.0, derivative=np.e) -> float:
    return abs(float(numerical_derivative(f, x, method=method, h=h)) - derivative)


def typical_error(method: str, h=None, f=np.exp, derivative=np.exp) -> float:
    """The median error over several points: one point can be lucky when roundings cancel."""
    return float(np.median([error_of(method, h, f, x, derivative(x)) for x in POINTS]))


def squire_trapp(x):
    """exp(x) / sqrt(sin(x)^3 + cos(x)^3): the classic test function of the complex step."""
    return np.exp(x) / np.sqrt(np.sin(x) ** 3 + np.cos(x) ** 3)


def squire_trapp_derivative(x):
    s, c = np.sin(x), np.cos(x)
    return squire_trapp(x) * (1.0 - 3.0 * s * c * (s - c) / (2.0 * (s**3 + c**3)))


# --- the truncation / rounding trade-off ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "power"), [("forward", 2), ("backward", 2), ("central", 3)])
def test_error_against_step_is_a_v_with_its_bottom_near_eps_to_the_one_over_p(method, power):
    errors = np.array([typical_error(method, h) for h in STEPS])
    best = int(np.argmin(errors))
    predicted = EPS64 ** (1 / power)
    assert predicted / 100 <= STEPS[best] <= predicted * 100
    assert errors[0] > 100 * errors[best]  # rounding dominates at tiny steps
    assert errors[-1] > 100 * errors[best]  # truncation dominates at large steps


@pytest.mark.parametrize(("method", "order"), [("forward", 1), ("central", 2), ("richardson", 6)])
def test_truncation_error_shrinks_like_h_to_the_order_of_the_formula(method, order):
    coarse, fine = error_of(method, 0.4), error_of(method, 0.2)
    assert np.log2(coarse / fine) == pytest.approx(order, abs=0.3)


@pytest.mark.parametrize("method", ["forward", "backward", "central", "richardson"])
def test_default_step_lands_at_the_bottom_of_the_v(method):
    best_on_grid = min(typical_error(method, h) for h in np.logspace(-13, -0.5, 27))
    assert typical_error(method) <= 3 * best_on_grid


def test_default_step_grows_with_the_size_of_x_and_the_coarseness_of_the_dtype():
    assert float(default_step(1e6, "central")) == pytest.approx(1e6 * EPS64 ** (1 / 3))
    assert float(default_step(1e-6, "central")) == pytest.approx(EPS64 ** (1 / 3))
    assert default_step(np.float32(1.0), "central") > default_step(1.0, "central")
    assert default_step(np.ones((2, 3)), "forward").shape == (2, 3)


def test_complex_step_is_accurate_to_machine_precision():
    for x in (0.5, 1.0, 1.5):
        estimate = float(numerical_derivative(squire_trapp, x, method="complex_step"))
        assert estimate == pytest.approx(squire_trapp_derivative(x), rel=1e-15)


def test_complex_step_has_no_cancellation_so_tiny_steps_are_fine():
    estimate = float(numerical_derivative(squire_trapp, 1.0, method="complex_step", h=1e-100))
    assert estimate == pytest.approx(squire_trapp_derivative(1.0), rel=1e-15)
    assert float(numerical_derivative(squire_trapp, 1.0, method="central", h=1e-100)) == 0.0


@pytest.mark.parametrize("method", ["forward", "backward", "central", "richardson"])
def test_numerical_derivative_takes_a_step_that_vanishes_and_reports_zero(method):
    """Below half the float spacing x + h == x: the difference is 0, and so is the honest estimate."""
    assert float(numerical_derivative(lambda x: x**3, 1.0, method=method, h=1e-17)) == 0.0
    assert float(numerical_derivative(lambda x: x**3, 1.0, method=method, h=1e-6)) == pytest.approx(3.0, rel=1e-5)


def test_numerical_grad_still_refuses_a_step_that_vanishes():
    with pytest.raises(TransformError, match="vanishes"):
        numerical_grad(squire_trapp, 1.0, method="central", h=1e-100)


def test_complex_step_refuses_a_function_that_drops_the_imaginary_part():
    with pytest.raises(DtypeError, match="imaginary part"):
        numerical_derivative(lambda x: np.abs(x) ** 2, 1.0, method="complex_step")


@pytest.mark.parametrize(
    ("f", "derivative"), [(np.exp, np.exp), (np.sin, np.cos), (squire_trapp, squire_trapp_derivative)]
)
def test_richardson_extrapolation_beats_plain_central_differences(f, derivative):
    richardson = typical_error("richardson", f=f, derivative=derivative)
    assert richardson < typical_error("central", f=f, derivative=derivative) / 10


@pytest.mark.parametrize("method", METHODS)
def test_float32_inputs_give_float32_derivatives_to_float32_accuracy(method):
    estimate = numerical_derivative(np.sin, np.float32(0.5), method=method)
    assert estimate.dtype == np.float32
    assert float(estimate) == pytest.approx(np.cos(0.5), abs=2e-3)


# --- numerical_derivative, numerical_grad, numerical_jacobian -----------------------------------------


def test_numerical_derivative_keeps_the_structure_of_the_output():
    derivative = numerical_derivative(lambda t: {"pos": np.array([t, t**2]), "speed": 3.0 * t}, 2.0)
    assert derivative["pos"].tolist() == pytest.approx([1.0, 4.0])
    assert float(derivative["speed"]) == pytest.approx(3.0)


def test_numerical_grad_of_a_sum_of_squares_is_twice_x():
    x = np.arange(12.0).reshape(3, 4) / 7
    grad = numerical_grad(lambda x: np.sum(x**2), x)
    assert grad.shape == (3, 4)
    np.testing.assert_allclose(grad, 2 * x, atol=1e-8)


def test_numerical_grad_with_several_argnums_returns_a_tuple_shaped_like_them():
    x, y, scale = np.array([1.0, 2.0]), np.array([3.0, -1.0]), 5.0
    gx, gy = numerical_grad(lambda x, y, s: s * np.sum(x * y), x, y, scale, argnums=(0, 1))
    np.testing.assert_allclose(gx, scale * y, atol=1e-8)
    np.testing.assert_allclose(gy, scale * x, atol=1e-8)


def test_numerical_grad_of_a_pytree_argument_has_its_structure():
    params = {"w": np.array([[1.0, 2.0]]), "b": (0.5, np.array([2.0]))}
    grad = numerical_grad(lambda p: np.sum(p["w"] ** 2) * p["b"][0] + np.sum(p["b"][1]), params)
    np.testing.assert_allclose(grad["w"], 2 * params["w"] * 0.5, atol=1e-8)
    assert float(grad["b"][0]) == pytest.approx(5.0)
    np.testing.assert_allclose(grad["b"][1], [1.0], atol=1e-8)


def test_numerical_jacobian_of_a_linear_map_is_its_matrix():
    A = np.arange(6.0).reshape(2, 3) - 2.5
    jacobian = numerical_jacobian(lambda x: A @ x, np.ones(3))
    assert jacobian.shape == (2, 3)
    np.testing.assert_allclose(jacobian, A, atol=1e-8)


def test_numerical_jacobian_has_shape_out_shape_plus_in_shape():
    X = np.arange(6.0).reshape(2, 3)
    jacobian = numerical_jacobian(lambda X: X.T, X)
    assert jacobian.shape == (3, 2, 2, 3)
    np.testing.assert_allclose(jacobian, np.eye(6).reshape(2, 3, 2, 3).transpose(1, 0, 2, 3), atol=1e-8)


def test_numerical_jacobian_of_several_outputs_and_arguments_nests_inputs_inside_outputs():
    x, y = np.array([0.1, 0.2, 0.3]), np.array(2.0)
    product, total = numerical_jacobian(lambda x, y: (np.sin(x) * y, np.sum(x)), x, y, argnums=(0, 1))
    assert [a.shape for a in product] == [(3, 3), (3,)]
    np.testing.assert_allclose(product[0], np.diag(np.cos(x) * 2.0), atol=1e-8)
    np.testing.assert_allclose(product[1], np.sin(x), atol=1e-8)
    np.testing.assert_allclose(total[0], np.ones(3), atol=1e-8)
    assert total[1].shape == () and abs(float(total[1])) < 1e-8


@pytest.mark.parametrize(
    ("method", "tolerance"),
    [("forward", 1e-6), ("backward", 1e-6), ("central", 1e-9), ("richardson", 1e-11), ("complex_step", 1e-14)],
)
def test_every_method_finds_the_jacobian_of_tanh_of_a_matmul(method, tolerance):
    W = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 0.9]])
    x = np.array([0.2, -0.4, 0.6])
    expected = (1 - np.tanh(x @ W) ** 2)[:, None] * W.T
    np.testing.assert_allclose(numerical_jacobian(lambda x: np.tanh(x @ W), x, method=method), expected, atol=tolerance)


def test_integer_inputs_are_refused_with_a_hint():
    with pytest.raises(DtypeError, match="1.0 instead of 1"):
        numerical_grad(lambda x: x**2, 3)


def test_unknown_method_is_refused_with_the_list_of_methods():
    with pytest.raises(TransformError, match="richardson"):
        numerical_derivative(np.sin, 1.0, method="five-point")


def test_numerical_grad_needs_a_scalar_output():
    with pytest.raises(TransformError, match="numerical_jacobian"):
        numerical_grad(np.sin, np.ones(3))


def test_numerical_derivative_needs_a_scalar_input():
    with pytest.raises(ShapeError, match="numerical_grad"):
        numerical_derivative(np.sin, np.ones(3))


def test_argnums_out_of_range_is_refused():
    with pytest.raises(TransformError, match="argnums"):
        numerical_grad(lambda x: x, 1.0, argnums=1)


# --- check_grads: passing --------------------------------------------------------------------------------

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 2))


def tanh_of_matmul(x, w):
    return wnp.tanh(x @ w)


def test_check_grads_passes_on_sin():
    check_grads(wnp.sin, (X,))


def test_check_grads_passes_on_tanh_of_a_matmul_to_second_order():
    check_grads(tanh_of_matmul, (X, W), order=2)


def test_check_grads_passes_to_third_order():
    check_grads(lambda x: wnp.sum(wnp.exp(x) * wnp.sin(x)), (X[0],), order=3)


def test_check_grads_passes_on_float32_inputs_with_the_float32_tolerance():
    check_grads(tanh_of_matmul, (X.astype(np.float32), W.astype(np.float32)), order=2)


def test_float32_needs_a_looser_tolerance_than_float64():
    assert default_tolerance(np.float32) > default_tolerance(np.float64)
    float32_args = (X.astype(np.float32), W.astype(np.float32))
    tight = default_tolerance(np.float64)
    with pytest.raises(GradientCheckError):
        check_grads(tanh_of_matmul, float32_args, order=1, atol=tight, rtol=tight)


def test_check_grads_takes_pytrees_in_and_out():
    def layer(params, x):
        hidden = wnp.tanh(x @ params["w"] + params["b"])
        return {"out": hidden, "norm": (wnp.sum(hidden**2),)}

    check_grads(layer, ({"w": W, "b": np.array([0.1, -0.2])}, X), order=2)


# --- check_grads: failing, with a report --------------------------------------------------------------

BUMP = np.zeros((3, 4))
BUMP[1, 2] = 0.5

# doubles x; its VJP is off by 25% at element (1, 2) only.
double_with_bad_vjp = Primitive(
    "double_with_bad_vjp",
    lambda x: 2.0 * x,
    jvps=(lambda t, ans, x: 2.0 * t,),
    vjps=(lambda g, ans, x: g * (2.0 + BUMP),),
)

# sin with the derivative of cos in its JVP.
sin_with_bad_jvp = Primitive(
    "sin_with_bad_jvp",
    np.sin,
    jvps=(lambda t, ans, x: t * wnp.sin(x),),
    vjps=(lambda g, ans, x: g * wnp.cos(x),),
)

# sin whose rules are right but hide their own derivative behind stop_gradient.
sin_with_frozen_rules = Primitive(
    "sin_with_frozen_rules",
    np.sin,
    jvps=(lambda t, ans, x: t * wnp.stop_gradient(wnp.cos(x)),),
    vjps=(lambda g, ans, x: g * wnp.stop_gradient(wnp.cos(x)),),
)


# doubles x; its VJP is 5e-6 too large, relatively: just outside the float64 default tolerance.
double_with_slightly_large_vjp = Primitive(
    "double_with_slightly_large_vjp",
    lambda x: 2.0 * x,
    jvps=(lambda t, ans, x: 2.0 * t,),
    vjps=(lambda g, ans, x: g * (2.0 * (1.0 + 5e-6)),),
)


def test_an_error_just_outside_the_tolerance_fails_and_passes_when_the_tolerance_is_raised():
    with pytest.raises(GradientCheckError) as caught:
        check_grads(double_with_slightly_large_vjp, (X,), order=1, modes="rev")
    assert caught.value.rel_error == pytest.approx(5e-6, rel=1e-3)
    check_grads(double_with_slightly_large_vjp, (X,), order=1, modes="rev", rtol=1e-5)


def test_a_wrong_vjp_rule_fails_reverse_mode_naming_the_worst_element():
    with pytest.raises(GradientCheckError) as caught:
        check_grads(double_with_bad_vjp, (X,), order=1)
    error = caught.value
    assert (error.mode, error.order, error.where, error.index) == ("rev", 1, "args[0]", (1, 2))
    assert error.analytic / error.numeric == pytest.approx(1.25)
    assert error.rel_error == pytest.approx(0.25)
    message = str(error)
    for part in (
        "reverse mode",
        "order 1",
        "args[0] at index (1, 2)",
        repr(error.analytic),
        repr(error.numeric),
        "rel error 0.25",
        "1 of 12 elements",
    ):
        assert part in message


def test_a_wrong_vjp_rule_passes_the_forward_mode_check():
    check_grads(double_with_bad_vjp, (X,), order=1, modes=("fwd",))


def test_a_wrong_jvp_rule_fails_forward_mode_naming_an_output_element():
    with pytest.raises(GradientCheckError) as caught:
        check_grads(sin_with_bad_jvp, (X,), order=1)
    error = caught.value
    assert (error.mode, error.order, error.where) == ("fwd", 1, "output")
    assert error.index in np.ndindex(3, 4)
    assert "forward mode" in str(error) and f"index {error.index}" in str(error)


def test_a_wrong_jvp_rule_passes_the_reverse_mode_check():
    check_grads(sin_with_bad_jvp, (X,), order=1, modes=("rev",))


def test_rules_that_do_not_differentiate_pass_order_1_and_fail_order_2():
    check_grads(sin_with_frozen_rules, (X,), order=1)
    for mode in ("fwd", "rev"):
        with pytest.raises(GradientCheckError) as caught:
            check_grads(sin_with_frozen_rules, (X,), order=2, modes=(mode,))
        assert (caught.value.mode, caught.value.order) == (mode, 2)
        derivative_function = {"fwd": "jvp(f, primals, tangents)", "rev": "vjp(f, *primals)"}[mode]
        assert "order 2" in str(caught.value) and derivative_function in str(caught.value)


def test_a_wrong_rule_is_caught_in_float32_too():
    with pytest.raises(GradientCheckError) as caught:
        check_grads(double_with_bad_vjp, (X.astype(np.float32),), order=1)
    assert caught.value.index == (1, 2)


def test_the_report_names_the_pytree_leaf_that_holds_the_worst_element():
    with pytest.raises(GradientCheckError) as caught:
        check_grads(lambda p: double_with_bad_vjp(p["w"]) * p["b"], ({"b": 2.0, "w": X},), order=1, modes="rev")
    assert (caught.value.where, caught.value.index) == ("args[0]['w']", (1, 2))


def test_gradient_check_errors_are_assertion_errors_and_wengert_errors():
    assert issubclass(GradientCheckError, AssertionError)
    assert issubclass(GradientCheckError, WengertError)


@pytest.mark.parametrize(
    "bad_call",
    [
        lambda: check_grads(wnp.sin, (X,), order=0),
        lambda: check_grads(wnp.sin, (X,), modes=("sideways",)),
        lambda: check_grads(wnp.sin, X),
    ],
    ids=["order 0", "unknown mode", "args not a tuple"],
)
def test_check_grads_refuses_bad_arguments(bad_call):
    with pytest.raises(TransformError):
        bad_call()


def test_the_examples_of_the_user_page_run():
    page = pathlib.Path(__file__).parents[1] / "docs" / "numerical_differentiation.md"
    code = "\n".join(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
    assert "check_grads" in code
    exec(compile(code, str(page), "exec"), {})
