"""wengert.scipy.special and wengert.nn.functional: second derivatives against JAX, conventions.

Values, first derivatives, finite differences to second order and float32
for every case of ``tests/registry/special.py`` are checked by the shared
sweep (``tests/test_registry_sweep.py``, ``tests/test_peers.py``).
"""

import sys

import numpy as np
import pytest
import scipy.special as ss

import wengert
import wengert.nn.functional as F
import wengert.numpy as wnp
import wengert.scipy.special as wsp
from wengert.errors import DtypeError, ShapeError, WengertError

from .registry.special import CASES

SECOND_ORDER_WITH_JAX = [case for case in CASES if case.order >= 2 and case.jax_fn is not None]


def _case_id(case):
    return case.name


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


# --- second derivatives against JAX: one scalar loss per case, sum(weights * f(args)) -------------


def _full_args(case, diff_values):
    args = list(case.args)
    for position, value in zip(case.diff_argnums, diff_values):
        args[position] = value
    return args


def _problem(case):
    """``(primals, direction, weights)``: the case's differentiated arguments, a random direction
    and random weights for the loss ``sum(weights * f(args))``."""
    generator = np.random.default_rng(0)
    weights = generator.normal(size=np.shape(case.fn(*case.args)))
    primals = tuple(case.args[i] for i in case.diff_argnums)
    direction = tuple(generator.normal(size=np.shape(p)) for p in primals)
    return primals, direction, weights


def _all_argnums(primals):
    return tuple(range(len(primals)))


@pytest.fixture(scope="module")
def jax_derivatives(jax):
    """For every case with a JAX twin: JAX's gradient and Hessian-vector product of its loss.

    All cases are compiled as one program: one XLA compilation instead of one per case.
    """
    import jax.numpy as jnp

    def derivatives_of(case):
        primals, direction, weights = _problem(case)

        def jax_loss(*diff_values):
            return jnp.sum(case.jax_fn(jnp, *_full_args(case, diff_values)) * weights)

        gradient = jax.grad(jax_loss, argnums=_all_argnums(primals))
        return lambda: jax.jvp(gradient, primals, direction)

    computations = {case.name: derivatives_of(case) for case in SECOND_ORDER_WITH_JAX}
    results = jax.jit(lambda: {name: compute() for name, compute in computations.items()})()
    return jax.tree_util.tree_map(np.asarray, results)


@pytest.mark.parametrize("case", SECOND_ORDER_WITH_JAX, ids=_case_id)
def test_gradient_and_hessian_vector_product_agree_with_jax(case, jax_derivatives):
    primals, direction, weights = _problem(case)

    def loss(*diff_values):
        return wnp.sum(case.fn(*_full_args(case, diff_values)) * weights)

    gradient = wengert.grad(loss, argnums=_all_argnums(primals))
    gradients, hessian_times_direction = wengert.jvp(gradient, primals, direction)
    jax_gradients, jax_hessian_times_direction = jax_derivatives[case.name]
    for got, want in zip(gradients, jax_gradients):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    for got, want in zip(hessian_times_direction, jax_hessian_times_direction):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-11)


def test_one_hot_agrees_with_jax(jax):
    case = next(c for c in CASES if c.name == "F.one_hot")
    import jax.numpy as jnp

    np.testing.assert_array_equal(case.fn(*case.args), np.asarray(case.jax_fn(jnp, *case.args)))


# --- the gamma family: derivative chains ---------------------------------------------------------


def test_derivatives_of_gammaln_walk_down_the_polygamma_chain():
    f = wsp.gammaln
    for n in range(4):
        f = wengert.grad(f)
        assert f(2.5) == pytest.approx(ss.polygamma(n, 2.5), rel=1e-12)


def test_psi_is_digamma_and_polygamma_of_order_zero():
    x = np.array([0.5, 1.0, 7.5])
    np.testing.assert_array_equal(wsp.psi(x), ss.digamma(x))
    np.testing.assert_allclose(wsp.polygamma(0, x), ss.digamma(x), rtol=1e-14)


def test_gamma_derivative_is_gamma_times_digamma_at_negative_non_integers():
    x = -1.5
    assert wengert.grad(wsp.gamma)(x) == pytest.approx(ss.gamma(x) * ss.digamma(x), rel=1e-12)


@pytest.mark.parametrize("n", [-1, 1.5, [1, 2]])
def test_polygamma_rejects_an_order_that_is_not_one_non_negative_integer(n):
    with pytest.raises(WengertError, match="non-negative integer"):
        wsp.polygamma(n, 1.0)


def test_polygamma_takes_an_integral_float_order_as_scipy_does():
    assert wsp.polygamma(2.0, 1.5) == pytest.approx(ss.polygamma(2, 1.5), rel=1e-14)


# --- xlogy, xlog1py, entr at zero ----------------------------------------------------------------


def test_xlogy_is_zero_where_x_is_zero_even_at_y_zero():
    np.testing.assert_array_equal(wsp.xlogy(np.zeros(3), np.array([0.0, 2.0, -1.0])), np.zeros(3))


@pytest.mark.parametrize("y", [0.0, 2.0])
def test_xlogy_derivative_with_respect_to_y_is_zero_where_x_is_zero(y):
    assert wengert.grad(wsp.xlogy, argnums=1)(0.0, y) == 0.0


def test_xlogy_derivative_with_respect_to_x_at_zero_is_log_y():
    assert wengert.grad(wsp.xlogy)(0.0, 3.0) == pytest.approx(np.log(3.0), rel=1e-15)


def test_xlogy_mixed_second_derivative_at_x_zero_is_one_over_y():
    d_dy = wengert.grad(wsp.xlogy, argnums=1)
    assert wengert.grad(d_dy)(0.0, 4.0) == pytest.approx(0.25, rel=1e-15)


def test_xlog1py_derivative_with_respect_to_y_is_zero_where_x_is_zero_even_at_y_minus_one():
    assert wsp.xlog1py(0.0, -1.0) == 0.0
    assert wengert.grad(wsp.xlog1py, argnums=1)(0.0, -1.0) == 0.0


def test_entr_follows_scipy_outside_the_open_half_line():
    x = np.array([-1.0, 0.0, np.nan])
    np.testing.assert_array_equal(wsp.entr(x), ss.entr(x))


def test_entr_derivative_at_zero_is_plus_infinity_and_finite_nowhere_negative():
    with np.errstate(divide="ignore"):
        gradient = wengert.grad(lambda x: wnp.sum(wsp.entr(x)))(np.array([0.0, -1.0]))
    np.testing.assert_array_equal(gradient, [np.inf, 0.0])


# --- logsumexp and the softmaxes: stability, exactness -------------------------------------------


def test_logsumexp_ignores_terms_whose_weight_is_zero_even_when_infinite():
    a, b = np.array([np.inf, 1.0, 2.0]), np.array([0.0, 1.0, 1.0])
    assert wsp.logsumexp(a, b=b) == pytest.approx(ss.logsumexp(a, b=b), rel=1e-15)


def test_logsumexp_returns_the_sign_of_a_negative_sum():
    a, b = np.array([1.0, 2.0]), np.array([1.0, -2.0])
    value, sign = wsp.logsumexp(a, b=b, return_sign=True)
    expected_value, expected_sign = ss.logsumexp(a, b=b, return_sign=True)
    assert (value, sign) == (pytest.approx(expected_value, rel=1e-15), expected_sign)


def test_logsumexp_gradient_with_respect_to_the_weights_is_exp_a_over_the_sum():
    a, b = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 0.5])
    gradient = wengert.grad(lambda w: wsp.logsumexp(a, b=w), argnums=0)(b)
    np.testing.assert_allclose(gradient, np.exp(a) / np.sum(b * np.exp(a)), rtol=1e-14)


def test_softmax_is_stable_for_inputs_of_1e4():
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4 - 1.0]])
    expected_last = np.array([1.0, 1.0, np.exp(-1.0)]) / (2.0 + np.exp(-1.0))
    np.testing.assert_allclose(F.softmax(x), [[1.0, 0.0, 0.0], expected_last], rtol=1e-14, atol=0)
    np.testing.assert_allclose(wsp.log_softmax(x, axis=1)[1], np.log(expected_last), rtol=1e-14)


def test_softmax_gradient_is_exact_at_1e4():
    x = np.array([1e4, 1e4, 1e4 - 1.0])
    s = np.array([1.0, 1.0, np.exp(-1.0)]) / (2.0 + np.exp(-1.0))
    jacobian_row_0 = wengert.grad(lambda v: F.softmax(v)[0])(x)
    np.testing.assert_allclose(jacobian_row_0, s[0] * (np.eye(3)[0] - s), rtol=1e-14, atol=1e-16)


def test_log_softmax_gradient_is_exact_at_1e4():
    x = np.array([1e4, 0.0, -1e4])
    np.testing.assert_array_equal(wengert.grad(lambda v: wsp.log_softmax(v)[1])(x), [-1.0, 1.0, 0.0])


def test_log_softmax_hessian_at_1e4_is_finite_and_exact():
    x = np.array([1e4, 1e4, -1e4])
    s = np.array([0.5, 0.5, 0.0])
    row_1 = wengert.grad(lambda v: wsp.log_softmax(v)[1])
    _, hessian_column = wengert.jvp(row_1, (x,), (np.array([1.0, 0.0, 0.0]),))
    np.testing.assert_allclose(hessian_column, -(np.diag(s) - np.outer(s, s))[0], atol=1e-16)


def test_softmax_over_no_axis_normalizes_all_elements_as_scipy_does():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(wsp.softmax(x), ss.softmax(x), rtol=1e-14)
    assert float(np.sum(wsp.softmax(x))) == pytest.approx(1.0, rel=1e-15)


# --- softplus, log_expit, logit: the tails -------------------------------------------------------


def test_softplus_and_log_expit_are_exact_far_in_both_tails():
    x = np.array([-1000.0, -40.0, 40.0, 1000.0])
    np.testing.assert_allclose(wsp.softplus(x), np.logaddexp(0.0, x), rtol=1e-15, atol=0)
    np.testing.assert_allclose(wsp.log_expit(x), ss.log_expit(x), rtol=1e-15, atol=0)
    gradient = wengert.grad(lambda v: wnp.sum(wsp.log_expit(v)))(x[:2])
    np.testing.assert_array_equal(gradient, [1.0, 1.0])


def test_logit_is_the_inverse_of_expit_with_the_reciprocal_derivative():
    p = np.array([0.01, 0.5, 0.99])
    np.testing.assert_allclose(wsp.expit(wsp.logit(p)), p, rtol=1e-14)
    np.testing.assert_allclose(wengert.grad(lambda q: wnp.sum(wsp.logit(q)))(p), 1.0 / (p * (1.0 - p)), rtol=1e-13)


def test_log_ndtr_gradient_is_accurate_far_in_the_left_tail():
    x = -30.0
    mills_ratio_inverse = np.exp(-0.5 * x * x - ss.log_ndtr(x)) / np.sqrt(2.0 * np.pi)
    assert wengert.grad(wsp.log_ndtr)(x) == pytest.approx(mills_ratio_inverse, rel=1e-13)
    assert wengert.grad(wsp.log_ndtr)(x) == pytest.approx(-x, rel=2e-3)


# --- SciPy is optional ----------------------------------------------------------------------------


@pytest.fixture
def without_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.special", None)


def test_a_function_that_needs_scipy_says_how_to_install_it(without_scipy):
    with pytest.raises(WengertError, match=r"gammaln .*pip install scipy"):
        wsp.gammaln(2.0)


def test_erf_and_the_exact_gelu_work_without_scipy(without_scipy):
    x = np.array([-2.0, 0.3, 1.0], dtype=np.float32)
    values = wsp.erf(x)
    assert values.dtype == np.float32
    np.testing.assert_allclose(values, [-0.9953223, 0.32862676, 0.8427008], rtol=1e-6)
    gradient = wengert.grad(lambda v: wnp.sum(F.gelu(v)))(np.array([0.5]))
    assert gradient[0] == pytest.approx(ss.ndtr(0.5) + 0.5 * np.exp(-0.125) / np.sqrt(2 * np.pi))


# --- nn.functional: conventions at kinks, PyTorch's semantics ------------------------------------


def test_relu_derivative_at_zero_is_zero():
    assert wengert.grad(F.relu)(0.0) == 0.0
    np.testing.assert_array_equal(
        wengert.grad(lambda x: wnp.sum(F.relu(x)))(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0]
    )


def test_leaky_relu_and_elu_derivatives_at_zero_are_the_left_ones_as_in_pytorch():
    assert wengert.grad(lambda x: F.leaky_relu(x, 0.1))(0.0) == pytest.approx(0.1)
    assert wengert.grad(lambda x: F.elu(x, alpha=2.0))(0.0) == pytest.approx(2.0)


def test_kink_conventions_match_pytorch():
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    cases = [
        (F.relu, torch.nn.functional.relu),
        (lambda v: F.leaky_relu(v, 0.1), lambda v: torch.nn.functional.leaky_relu(v, 0.1)),
        (lambda v: F.elu(v, 2.0), lambda v: torch.nn.functional.elu(v, 2.0)),
    ]
    for ours, theirs in cases:
        (expected,) = torch.autograd.grad(theirs(x).sum(), x)
        assert wengert.grad(lambda v: wnp.sum(ours(v)))(np.zeros(1)) == pytest.approx(expected.numpy())


def test_elu_gradient_is_finite_for_large_inputs():
    np.testing.assert_array_equal(wengert.grad(lambda x: wnp.sum(F.elu(x)))(np.array([1000.0])), [1.0])


def test_softplus_follows_pytorch_beta_and_threshold():
    torch = pytest.importorskip("torch")
    x = np.array([-50.0, -1.0, 0.5, 9.0, 11.0, 800.0])
    expected = torch.nn.functional.softplus(torch.from_numpy(x), beta=2.0, threshold=20.0).numpy()
    np.testing.assert_allclose(F.softplus(x, beta=2.0), expected, rtol=1e-15, atol=0)


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(WengertError, match="'none' or 'tanh'"):
        F.gelu(1.0, approximate="erf")


def test_one_hot_infers_the_number_of_classes_and_gives_int64():
    out = F.one_hot(np.array([2, 0]))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0]])


def test_one_hot_rejects_float_labels():
    with pytest.raises(DtypeError, match="integers"):
        F.one_hot(np.array([0.0, 1.0]), 2)


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0]])
def test_one_hot_rejects_labels_outside_the_classes(labels):
    with pytest.raises(ShapeError):
        F.one_hot(np.array(labels), num_classes=3)
