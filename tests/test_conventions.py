"""Specification of the derivative conventions at non-differentiable points.

What wengert returns where calculus gives no single answer (kinks, ties,
steps, the edge of a domain), and the ``where`` patterns that keep ``nan``
out of gradients. Each convention holds in forward and in reverse mode.
The same conventions are written down, with examples, in docs/conventions.md.
"""

import doctest
import math
import pathlib

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert import grad, jvp

MODES = ["forward", "reverse"]


def derivative(f, x, mode):
    """f'(x) for a scalar function, by forward (jvp) or reverse (grad) mode."""
    if mode == "reverse":
        return float(grad(f)(x))
    return float(jvp(f, (x,), (1.0,))[1])


def partials(f, x, y, mode):
    """(df/dx, df/dy) of a function of two scalars."""
    if mode == "reverse":
        gx, gy = grad(f, argnums=(0, 1))(x, y)
        return float(gx), float(gy)
    return (
        float(jvp(f, (x, y), (1.0, 0.0))[1]),
        float(jvp(f, (x, y), (0.0, 1.0))[1]),
    )


def gradient(f, x, mode):
    """The gradient of a scalar function of an array, column by column in forward mode."""
    if mode == "reverse":
        return np.asarray(grad(f)(x))
    basis = np.eye(x.size).reshape(-1, *x.shape)
    return np.array([float(jvp(f, (x,), (e,))[1]) for e in basis]).reshape(x.shape)


# --- kinks ---------------------------------------------------------------------------------


def _relu_by_where(x):
    return wnp.where(x > 0, x, 0.0)


@pytest.mark.parametrize("mode", MODES)
def test_relu_written_with_where_has_derivative_zero_at_zero(mode):
    assert derivative(_relu_by_where, 0.0, mode) == 0.0
    assert derivative(_relu_by_where, 2.0, mode) == 1.0


@pytest.mark.parametrize("mode", MODES)
def test_nn_relu_has_derivative_zero_at_zero(mode):
    functional = pytest.importorskip("wengert.nn.functional", exc_type=ImportError)
    assert derivative(functional.relu, 0.0, mode) == 0.0
    assert derivative(functional.relu, 2.0, mode) == 1.0
    assert derivative(functional.relu, -2.0, mode) == 0.0


@pytest.mark.parametrize("mode", MODES)
def test_abs_has_derivative_zero_at_zero(mode):
    assert derivative(wnp.abs, 0.0, mode) == 0.0
    assert derivative(wnp.abs, -3.0, mode) == -1.0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", [wnp.maximum, wnp.minimum], ids=["maximum", "minimum"])
def test_maximum_and_minimum_split_ties_evenly(fn, mode):
    assert partials(fn, 1.5, 1.5, mode) == (0.5, 0.5)


@pytest.mark.parametrize("mode", MODES)
def test_maximum_gives_everything_to_the_strict_winner(mode):
    assert partials(wnp.maximum, 2.0, 1.0, mode) == (1.0, 0.0)
    assert partials(wnp.minimum, 2.0, 1.0, mode) == (0.0, 1.0)


@pytest.mark.parametrize("mode", MODES)
def test_maximum_of_a_value_with_itself_has_derivative_one(mode):
    assert derivative(lambda x: wnp.maximum(x, x), 0.7, mode) == 1.0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reduction", [wnp.max, wnp.min], ids=["max", "min"])
def test_max_and_min_reductions_split_among_k_ties_as_one_over_k(reduction, mode):
    x = np.array([1.0, 3.0, 3.0, 3.0, 2.0]) * (1.0 if reduction is wnp.max else -1.0)
    np.testing.assert_allclose(gradient(reduction, x, mode), [0.0, 1 / 3, 1 / 3, 1 / 3, 0.0])


@pytest.mark.parametrize("mode", MODES)
def test_max_reduction_along_an_axis_splits_ties_per_row(mode):
    x = np.array([[5.0, 5.0, 1.0], [0.0, 2.0, -1.0]])
    weights = np.array([[1.0], [10.0]])
    g = gradient(lambda x: (wnp.max(x, axis=1, keepdims=True) * weights).sum(), x, mode)
    np.testing.assert_allclose(g, [[0.5, 0.5, 0.0], [0.0, 10.0, 0.0]])


# --- the edge of a domain and powers -------------------------------------------------------


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", MODES)
def test_sqrt_has_infinite_derivative_at_zero(mode):
    assert derivative(wnp.sqrt, 0.0, mode) == math.inf


@pytest.mark.parametrize("mode", MODES)
def test_square_by_power_has_derivative_zero_at_zero_not_nan(mode):
    assert derivative(lambda x: x**2, 0.0, mode) == 0.0


def _derivative_function(f, mode):
    if mode == "reverse":
        return grad(f)
    return lambda x: jvp(f, (x,), (1.0,))[1]


@pytest.mark.parametrize("mode", MODES)
def test_integer_powers_have_exact_derivatives_at_zero_to_every_order(mode):
    first = _derivative_function(lambda x: x**3, mode)
    second = _derivative_function(first, mode)
    third = _derivative_function(second, mode)
    assert [float(d(0.0)) for d in (first, second, third)] == [0.0, 0.0, 6.0]


@pytest.mark.parametrize("mode", MODES)
def test_zeroth_power_has_derivative_zero_at_zero(mode):
    assert derivative(lambda x: x**0.0, 0.0, mode) == 0.0


@pytest.mark.parametrize("mode", MODES)
def test_derivative_of_power_with_respect_to_exponent_is_zero_at_base_zero(mode):
    d_dx, d_dy = partials(lambda x, y: x**y, 0.0, 2.0, mode)
    assert d_dx == 0.0
    assert d_dy == 0.0


@pytest.mark.parametrize("mode", MODES)
def test_norm_has_gradient_zero_at_the_origin(mode):
    norm = wnp.linalg.norm
    g = gradient(norm, np.zeros(3), mode)
    assert not np.isnan(g).any()
    np.testing.assert_array_equal(g, np.zeros(3))
    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(gradient(norm, x, mode), x / 5.0)


# --- where: the taken branch only, and how to keep nan out ---------------------------------


def _naive_sqrt_or_zero(x):
    return wnp.where(x > 0, wnp.sqrt(x), 0.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_naive_where_gives_nan_from_the_untaken_sqrt_branch_in_reverse_mode():
    # The documented pitfall: sqrt(-1) is computed anyway, its derivative is nan,
    # and the zero cotangent of the untaken branch times nan is nan.
    assert math.isnan(derivative(_naive_sqrt_or_zero, -1.0, "reverse"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_naive_where_selects_tangents_in_forward_mode_so_gives_zero():
    # Forward mode selects the tangent of the taken branch instead of multiplying,
    # so the nan tangent of the untaken branch is dropped. Don't rely on it: the
    # same code differentiated in reverse mode gives nan (above).
    assert derivative(_naive_sqrt_or_zero, -1.0, "forward") == 0.0


@pytest.mark.parametrize("mode", MODES)
def test_double_where_keeps_nan_out_of_the_untaken_branch(mode):
    def guarded(x):
        safe = wnp.where(x > 0, x, 1.0)
        return wnp.where(x > 0, wnp.sqrt(safe), 0.0)

    assert derivative(guarded, -1.0, mode) == 0.0
    assert derivative(guarded, 4.0, mode) == pytest.approx(0.25)


@pytest.mark.parametrize("mode", MODES)
def test_double_where_guards_log_at_zero(mode):
    def guarded(x):
        positive = x > 0
        return wnp.where(positive, wnp.log(wnp.where(positive, x, 1.0)), 0.0)

    assert derivative(guarded, 0.0, mode) == 0.0


@pytest.mark.parametrize("mode", MODES)
def test_where_sends_derivative_only_to_the_taken_branch(mode):
    def f(x, y):
        return wnp.where(x > y, x * 3.0, y * 5.0)

    assert partials(f, 2.0, 1.0, mode) == (3.0, 0.0)
    assert partials(f, 1.0, 2.0, mode) == (0.0, 5.0)


# --- clip and steps -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x, expected", [(-1.0, 0.0), (0.0, 1.0), (0.5, 1.0), (1.0, 1.0), (2.0, 0.0)])
def test_clip_has_derivative_one_inside_and_at_the_bounds_zero_outside(x, expected, mode):
    assert derivative(lambda x: wnp.clip(x, 0.0, 1.0), x, mode) == expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "fn",
    [wnp.floor, wnp.ceil, wnp.round, wnp.rint, wnp.trunc, wnp.sign],
    ids=["floor", "ceil", "round", "rint", "trunc", "sign"],
)
@pytest.mark.parametrize("x", [-1.5, 0.0, 0.3, 2.0])
def test_step_functions_have_derivative_zero_everywhere(fn, x, mode):
    assert derivative(fn, x, mode) == 0.0


# --- the written conventions ----------------------------------------------------------------

CONVENTIONS_DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "conventions.md"


def test_examples_in_the_conventions_document_run_as_written():
    results = doctest.testfile(
        str(CONVENTIONS_DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert results.attempted > 0
    assert results.failed == 0
