"""wengert.compat.autograd on complex values, against HIPS autograd: the same convention, checks and errors."""

import numpy as np
import pytest

import wengert.compat.autograd as wag
import wengert.compat.autograd.numpy as wnp
from wengert.compat.autograd import extend as wext
from wengert.compat.autograd.core import vspace as wvspace
from wengert.compat.autograd.test_util import check_grads as wcheck_grads
from wengert.errors import GradientCheckError

autograd = pytest.importorskip("autograd")
import autograd.numpy as anp  # noqa: E402
from autograd.core import vspace as avspace  # noqa: E402

RNG = np.random.default_rng(3)
Z = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)


def test_grad_of_a_real_function_of_complex_input_is_autograds():
    """autograd's convention is JAX's: grad of |z|^2 is 2 conj(z), not PyTorch's 2 z."""
    for f in ("abs2", "mixed"):
        fun = {
            "abs2": lambda np_: lambda z: np_.sum(np_.abs(z) ** 2),
            "mixed": lambda np_: lambda z: np_.sum(np_.real(np_.sin(z) * np_.conj(z))),
        }[f]
        np.testing.assert_allclose(wag.grad(fun(wnp))(Z), autograd.grad(fun(anp))(Z), rtol=1e-12)
    np.testing.assert_allclose(wag.grad(lambda z: wnp.abs(z) ** 2)(1 + 2j), 2 - 4j)


def test_holomorphic_grad_of_complex_input_is_the_complex_derivative():
    for z in (1.0 + 0.0j, 0.3 - 1.2j):
        got = wag.holomorphic_grad(lambda z: wnp.sin(z) * (1.0 + 0.2j))(z)
        assert got == pytest.approx(autograd.holomorphic_grad(lambda z: anp.sin(z) * (1.0 + 0.2j))(z), rel=1e-12)
        assert got == pytest.approx(np.cos(z) * (1.0 + 0.2j), rel=1e-12)


def test_grad_and_elementwise_grad_of_a_complex_output_raise_type_error_as_autograd():
    with pytest.raises(TypeError, match="real scalar-output"):
        wag.grad(lambda x: x * (1.0 + 0.2j))(1.0)
    with pytest.raises(TypeError, match="holomorphic_grad"):
        wag.elementwise_grad(lambda z: z**2)(Z)


def test_a_complex_vspace_is_autograds():
    z = np.array([1.0 + 2.0j, -0.5j])
    w_vs, a_vs = wvspace(z), avspace(z)
    assert w_vs.iscomplex and w_vs.size == a_vs.size == 4
    np.testing.assert_array_equal(w_vs.ones(), a_vs.ones())
    np.testing.assert_array_equal(list(w_vs.standard_basis()), list(a_vs.standard_basis()))
    np.testing.assert_array_equal(w_vs.covector(z), a_vs.covector(z))
    other = np.array([0.5 - 1.0j, 2.0 + 1.0j])
    assert float(w_vs.inner_prod(z, other)) == pytest.approx(a_vs.inner_prod(z, other), rel=1e-15)
    np.random.seed(0)
    drawn = w_vs.randn()
    np.random.seed(0)
    np.testing.assert_array_equal(drawn, a_vs.randn())
    pair = wvspace((z, 1.0))
    assert pair.size == 5
    assert float(pair.inner_prod((z, 2.0), (other, 3.0))) == pytest.approx(a_vs.inner_prod(z, other) + 6.0)


@pytest.mark.parametrize(
    "fun",
    [
        lambda z: wnp.abs(z),
        lambda z: wnp.angle(z),
        lambda z: wnp.sin(z) * wnp.conj(z),
        lambda z: wnp.real(wnp.exp(z)),
        lambda x: wnp.exp(1j * x),
    ],
    ids=["abs", "angle", "sin_times_conj", "real_exp", "real_to_complex"],
)
def test_check_grads_passes_complex_functions_in_both_modes_to_second_order(fun):
    np.random.seed(1)
    x = Z.real if fun.__code__.co_varnames[0] == "x" else Z
    wcheck_grads(fun, modes=["fwd", "rev"], order=2)(x)


def test_check_grads_fails_a_wrong_rule_met_by_a_complex_input():
    @wext.primitive
    def cube(x):
        return x**3

    wext.defvjp(cube, lambda ans, x: lambda g: g * 3.0 * x)

    def fun(z):
        return cube(wnp.imag(z)) + wnp.real(z)

    np.random.seed(2)
    with pytest.raises(GradientCheckError, match=r"\(VJP\) check of fun failed"):
        wcheck_grads(fun, modes=["rev"], order=1)(Z)
    wext.defvjp(cube, lambda ans, x: lambda g: g * 3.0 * x**2)
    wcheck_grads(fun, modes=["rev"], order=1)(Z)


def test_check_grads_names_the_derivative_function_that_fails_at_second_order():
    @wext.primitive
    def double(x):
        return x * 2.0

    @wext.primitive
    def almost_identity(x):
        return x

    wext.defvjp(double, lambda ans, x: lambda g: almost_identity(g) * 2)
    wext.defvjp(almost_identity, lambda ans, x: lambda g: g * 1.001)
    with pytest.raises(GradientCheckError, match=r"\(VJP\) check of vjp_double failed"):
        wcheck_grads(double, modes=["rev"])(1.0)


def _user_primitives(ext, np_, with_vjps: bool = True):
    """``f(z, c) = Σ |c z²|² + Re(c z² (1/2 - i))`` through two user primitives, one holomorphic (``c z²``) and
    one real-valued (``|y|²``), their rules written in autograd's convention (the VJP is the JVP's transpose)."""

    @ext.primitive
    def scaled_square(z, c):
        return c * z**2

    @ext.primitive
    def squared_modulus(y):
        return np_.real(y * np_.conj(y))

    ext.defjvp(scaled_square, lambda g, ans, z, c: g * 2 * c * z, lambda g, ans, z, c: g * z**2)
    ext.defjvp(squared_modulus, lambda g, ans, y: 2 * np_.real(np_.conj(y) * g))
    if with_vjps:
        ext.defvjp(
            scaled_square, lambda ans, z, c: lambda g: g * 2 * c * z, lambda ans, z, c: lambda g: np_.sum(g * z**2)
        )
        ext.defvjp(squared_modulus, lambda ans, y: lambda g: 2 * g * np_.conj(y))

    def f(z, c):
        y = scaled_square(z, c)
        return np_.sum(squared_modulus(y) + np_.real(y * (0.5 - 1j)))

    return f


C = 0.7 - 0.4j
V = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)


def test_user_primitives_on_complex_values_give_autograds_derivatives_in_both_modes_and_to_second_order():
    ours, theirs = _user_primitives(wext, wnp), _user_primitives(autograd.extend, anp)
    for argnum in (0, 1):
        np.testing.assert_allclose(wag.grad(ours, argnum)(Z, C), autograd.grad(theirs, argnum)(Z, C), rtol=1e-12)
    assert wag.make_jvp(ours)(Z, C)(V)[1] == pytest.approx(autograd.make_jvp(theirs)(Z, C)(V)[1], rel=1e-12)
    second = wag.grad(lambda z: wnp.real(wnp.sum(wag.grad(ours)(z, C) * V)))(Z)
    np.testing.assert_allclose(second, autograd.grad(lambda z: anp.real(anp.sum(autograd.grad(theirs)(z, C) * V)))(Z))
    np.random.seed(4)
    wcheck_grads(lambda z: ours(z, C), modes=["fwd", "rev"], order=2)(Z)


def test_a_user_primitive_with_only_a_jvp_is_transposed_in_complex_as_autograd_differentiates_its_vjp():
    only_jvps = _user_primitives(wext, wnp, with_vjps=False)
    want = autograd.grad(_user_primitives(autograd.extend, anp))(Z, C)
    np.testing.assert_allclose(wag.grad(only_jvps)(Z, C), want, rtol=1e-12)
