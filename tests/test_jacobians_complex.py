"""``jacfwd``, ``jacrev``, ``jacobian`` and ``hessian`` on complex values, with JAX's ``holomorphic=`` semantics."""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert.errors import ArgumentError, DtypeError

jax = pytest.importorskip("jax")
jnp = jax.numpy
jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(7)
Z = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
X = RNG.standard_normal(3)


def holomorphic(m):
    return lambda z: m.sin(z) * z[0] + m.exp(z[::-1]) / (2.0 + z)


@pytest.mark.parametrize("name", ["jacfwd", "jacrev", "jacobian"])
def test_holomorphic_jacobians_are_jaxs_complex_jacobian(name):
    got = getattr(wengert, name)(holomorphic(wnp), holomorphic=True)(Z)
    want = getattr(jax, name)(holomorphic(jnp), holomorphic=True)(Z)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_holomorphic_jacobian_is_the_derivative_f_prime():
    np.testing.assert_allclose(wengert.jacrev(wnp.sin, holomorphic=True)(Z), np.diag(np.cos(Z)), rtol=1e-14)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(
            wengert.jacobian(wnp.exp, mode=mode, holomorphic=True)(Z), np.diag(np.exp(Z)), rtol=1e-14
        )


def test_holomorphic_hessian_is_jaxs():
    f = lambda m: lambda z: m.sum(m.sin(z) * z[0] ** 2)  # noqa: E731
    np.testing.assert_allclose(
        wengert.hessian(f(wnp), holomorphic=True)(Z), jax.hessian(f(jnp), holomorphic=True)(Z), rtol=1e-12
    )


def test_jacfwd_of_a_complex_output_of_real_inputs_is_complex_as_jaxs():
    f = lambda m: lambda x: m.exp(1j * x) * x[1]  # noqa: E731
    np.testing.assert_allclose(wengert.jacfwd(f(wnp))(X), jax.jacfwd(f(jnp))(X), rtol=1e-14)


def test_real_jacobians_keep_their_values():
    f = lambda m: lambda x: m.tanh(x) * m.sum(x**2)  # noqa: E731
    for name in ("jacfwd", "jacrev", "jacobian", "hessian"):
        g = (lambda m: lambda x: m.sum(f(m)(x))) if name == "hessian" else f
        np.testing.assert_allclose(getattr(wengert, name)(g(wnp))(X), getattr(jax, name)(g(jnp))(X), rtol=1e-12)


@pytest.mark.parametrize("name", ["jacfwd", "jacrev", "jacobian", "hessian"])
def test_complex_input_without_holomorphic_says_to_pass_it(name):
    with pytest.raises(DtypeError, match="holomorphic=True"):
        getattr(wengert, name)(lambda z: wnp.sum(wnp.sin(z)))(Z)


def test_holomorphic_needs_complex_inputs_and_outputs():
    with pytest.raises(DtypeError, match="input leaf 0 has dtype float64"):
        wengert.jacfwd(wnp.sin, holomorphic=True)(X)
    with pytest.raises(DtypeError, match="output leaf 0 has dtype float64"):
        wengert.jacrev(wnp.abs, holomorphic=True)(Z)


def test_jacrev_refuses_a_complex_output_of_real_inputs_and_points_to_jacfwd():
    with pytest.raises(DtypeError, match="use jacfwd"):
        wengert.jacrev(lambda x: wnp.exp(1j * x))(X)


def test_elimination_is_refused_for_holomorphic():
    with pytest.raises(ArgumentError, match="method='modes'"):
        wengert.jacobian(wnp.sin, method="elimination", holomorphic=True)
