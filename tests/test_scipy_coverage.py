"""wengert.scipy beyond the registry sweeps: refusals that name the argument, odeint's adjoint
gradients, expm's derivative against SciPy's Fréchet derivative, and the autograd compat modules."""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
import wengert.scipy.linalg as wsl
import wengert.scipy.special as wsp
from wengert.errors import ArgumentError, TransformError
from wengert.scipy.integrate import odeint
from wengert.scipy.stats import gamma, t

scipy_linalg = pytest.importorskip("scipy.linalg")


@pytest.mark.parametrize(
    ("function", "argument"),
    [
        (lambda v: wsp.jv(v, 1.3), "the order v"),
        (lambda v: wsp.kve(v, 1.3), "the order v"),
        (lambda a: wsp.gammainc(a, 1.3), "a"),
        (lambda a: wsp.betainc(a, 2.0, 0.4), "a and b"),
    ],
)
def test_a_derivative_in_an_order_or_shape_parameter_raises_naming_it(function, argument):
    for transform in (wengert.grad, lambda f: lambda x: wengert.jvp(f, (x,), (1.0,))):
        with pytest.raises(ArgumentError, match=f"no derivative with respect to {argument}"):
            transform(function)(1.5)


def test_a_shape_parameter_of_a_cdf_is_refused_but_a_constant_one_differentiates():
    assert np.isfinite(wengert.grad(lambda x: gamma.cdf(x, 2.5))(1.3))
    with pytest.raises(ArgumentError, match="a"):
        wengert.grad(lambda a: gamma.cdf(1.3, a))(2.5)
    with pytest.raises(ArgumentError):
        wengert.grad(lambda df: t.cdf(0.7, df))(3.0)


def test_gammasgn_carries_no_derivative():
    assert wengert.grad(wsp.gammasgn)(-1.5) == 0.0


def _logistic(y, time, rate, capacity):
    return rate * y * (1.0 - y / capacity)


def _loss(y0, times, rate, capacity):
    return wengert.numpy.sum(odeint(_logistic, y0, times, (rate, capacity)) ** 2)


def test_odeint_matches_scipy():
    from scipy.integrate import odeint as scipy_odeint

    y0, times = np.array([0.1, 0.4]), np.linspace(0.0, 2.0, 5)
    expected = scipy_odeint(_logistic, y0, times, (1.3, 2.0), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(odeint(_logistic, y0, times, (1.3, 2.0)), expected, rtol=1e-9)


def test_odeint_gradients_by_the_adjoint_method_match_finite_differences():
    y0, times, rate, capacity = np.array([0.1, 0.4]), np.linspace(0.0, 2.0, 5), 1.3, 2.0
    grads = wengert.grad(_loss, argnums=(0, 1, 2, 3))(y0, times, rate, capacity)
    step = 1e-6
    args = [y0, times, rate, capacity]
    for position, gradient in enumerate(grads):
        value = np.asarray(args[position], dtype=float)
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            ahead, behind = value.copy(), value.copy()
            ahead[index] += step
            behind[index] -= step
            shifted = [*args]
            shifted[position] = ahead
            plus = _loss(*shifted)
            shifted[position] = behind
            numeric[index] = (plus - _loss(*shifted)) / (2 * step)
        np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7, err_msg=f"argument {position}")


def test_odeint_gradient_matches_differentiating_through_a_fixed_step_solver():
    def euler(y0, rate, steps=4000):
        y, dt = y0, 2.0 / steps
        for k in range(steps):
            y = y + dt * _logistic(y, k * dt, rate, 2.0)
        return wengert.numpy.sum(y)

    def adjoint(y0, rate):
        return wengert.numpy.sum(odeint(_logistic, y0, np.array([0.0, 2.0]), (rate, 2.0))[-1])

    y0 = np.array([0.1, 0.4])
    for ours, through_steps in zip(
        wengert.grad(adjoint, argnums=(0, 1))(y0, 1.3), wengert.grad(euler, argnums=(0, 1))(y0, 1.3)
    ):
        np.testing.assert_allclose(ours, through_steps, rtol=2e-3)


def test_expm_derivative_is_scipys_frechet_derivative():
    a = np.random.default_rng(0).normal(size=(4, 4)) * 2.0
    direction = np.random.default_rng(1).normal(size=(4, 4))
    _, tangent = wengert.jvp(wsl.expm, (a,), (direction,))
    np.testing.assert_allclose(tangent, scipy_linalg.expm_frechet(a, direction)[1], rtol=1e-9, atol=1e-10)


def test_the_compat_package_provides_autograds_scipy_modules():
    import wengert.compat.autograd as wag

    wag.install()
    try:
        import autograd.scipy.integrate
        import autograd.scipy.linalg
        import autograd.scipy.signal
        import autograd.scipy.stats.multivariate_normal as mvn
        import autograd.scipy.stats.norm as norm
        from autograd import grad
        from autograd.misc.fixed_points import fixed_point

        assert grad(lambda x: norm.logpdf(x, 0.5, 2.0))(1.0) == pytest.approx(-0.125)
        assert grad(lambda m: mvn.logpdf(np.zeros(2), m, np.eye(2)))(np.ones(2)) == pytest.approx(-np.ones(2))
        assert autograd.scipy.integrate.odeint is odeint
        assert autograd.scipy.linalg.solve_triangular is wsl.solve_triangular

        def babylonian(a):
            return lambda x: 0.5 * (x + a / x)

        root = grad(lambda a: fixed_point(babylonian, a, 1.0, lambda x, y: abs(x - y), 1e-12))
        assert root(4.0) == pytest.approx(0.25)
        kernel = autograd.scipy.signal.convolve(np.ones((2, 3)), np.ones(2), axes=([1], [0]), dot_axes=[(), ()])
        assert kernel.shape == (2, 4)
    finally:
        wag.uninstall()


def test_lu_factor_gives_scipys_factors_and_pivots_on_plain_and_traced_matrices():
    sl = scipy_linalg
    a = np.random.default_rng(5).normal(size=(4, 4))
    want_lu, want_piv = sl.lu_factor(a)
    got_lu, got_piv = wengert.vmap(wsl.lu_factor)(a[None])
    np.testing.assert_allclose(got_lu[0], want_lu, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(got_piv[0], want_piv)
    assert got_piv.dtype == want_piv.dtype
    b = np.arange(4.0)
    for trans in (0, 1, 2):
        np.testing.assert_allclose(wsl.lu_solve((want_lu, want_piv), b, trans=trans),
                                   sl.lu_solve((want_lu, want_piv), b, trans=trans), rtol=1e-12)  # fmt: skip


def test_logm_refuses_a_matrix_without_a_real_logarithm():
    from wengert.errors import DtypeError

    with pytest.raises(DtypeError, match="no real principal logarithm"):
        wsl.logm(-np.eye(2))


def _logistic_decay(y, time, k):
    return -k * y + wnp.sin(time) * y**2


def test_odeint_jvp_in_y0_t_and_args_matches_finite_differences():
    times, y0, k = np.linspace(0.0, 1.0, 5), np.array([1.0, 0.5]), 1.5
    solve = lambda y0, times, k: odeint(_logistic_decay, y0, times, k)  # noqa: E731
    direction = (np.array([0.3, -0.2]), np.array([0.1, 0.0, 0.2, -0.1, 0.3]), 0.7)
    value, tangent = wengert.jvp(solve, (y0, times, k), direction)
    h = 1e-6
    plus = solve(*(p + h * d for p, d in zip((y0, times, k), direction)))
    minus = solve(*(p - h * d for p, d in zip((y0, times, k), direction)))
    np.testing.assert_allclose(value, solve(y0, times, k), rtol=1e-8)  # the state, solved beside its sensitivities
    np.testing.assert_allclose(tangent, (plus - minus) / (2 * h), rtol=1e-6, atol=1e-8)


def test_odeint_jacfwd_agrees_with_the_adjoint_gradients_and_second_order_is_refused():
    times, y0 = np.linspace(0.0, 1.0, 4), np.array([1.0, 0.5])
    solve = lambda y0: odeint(_logistic_decay, y0, times, (1.5,))  # noqa: E731
    forward = wengert.jacfwd(solve)(y0)
    for i, j in np.ndindex(forward.shape[:2]):
        np.testing.assert_allclose(forward[i, j], wengert.grad(lambda y0: solve(y0)[i, j])(y0), rtol=1e-7, atol=1e-10)
    with pytest.raises(TransformError, match="first order"):
        wengert.hessian(lambda y0: wnp.sum(solve(y0)))(y0)
    with pytest.raises(TransformError, match="use jacfwd|Use jacfwd"):
        wengert.jacrev(solve)(y0)
