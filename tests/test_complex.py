"""Complex differentiation through the public API: JAX's convention (docs/complex.md), PyTorch's conjugate,
``holomorphic=True``, real inputs through complex values, and the refusal of what is not proven."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import grad, jvp, vjp
from wengert.errors import DtypeError

jax.config.update("jax_enable_x64", True)

Z = np.complex128(1 + 2j)


def test_grad_of_a_real_function_of_complex_input_is_jaxs():
    for f, f_jax in [
        (lambda z: wnp.abs(z) ** 2, lambda z: jnp.abs(z) ** 2),
        (wnp.abs, jnp.abs),
        (wnp.angle, jnp.angle),
        (lambda z: wnp.real(z * z), lambda z: jnp.real(z * z)),
        (lambda z: wnp.imag(wnp.exp(z)), lambda z: jnp.imag(jnp.exp(z))),
    ]:
        assert complex(grad(f)(Z)) == pytest.approx(complex(jax.grad(f_jax)(Z)), rel=1e-14)
    assert complex(grad(lambda z: wnp.abs(z) ** 2)(Z)) == pytest.approx(2 * np.conj(Z))


def test_pytorchs_grad_is_the_conjugate_of_wengerts():
    torch = pytest.importorskip("torch")
    for f, f_torch in [(lambda z: wnp.abs(z) ** 2, lambda z: z.abs() ** 2), (wnp.abs, lambda z: z.abs())]:
        z = torch.tensor(Z, requires_grad=True)
        f_torch(z).backward()
        assert complex(grad(f)(Z)) == pytest.approx(np.conj(complex(z.grad)), rel=1e-14)


def test_holomorphic_grad_is_the_complex_derivative_to_every_order():
    assert complex(grad(wnp.sin, holomorphic=True)(Z)) == pytest.approx(complex(np.cos(Z)), rel=1e-14)
    second = grad(grad(wnp.sin, holomorphic=True), holomorphic=True)(Z)
    assert complex(second) == pytest.approx(complex(-np.sin(Z)), rel=1e-14)
    assert complex(grad(lambda z: z**3 / z, holomorphic=True)(Z)) == pytest.approx(2 * Z, rel=1e-14)


def test_grad_of_a_complex_output_without_holomorphic_says_what_to_do():
    with pytest.raises(DtypeError, match="pass holomorphic=True"):
        grad(wnp.sin)(Z)
    with pytest.raises(DtypeError, match="holomorphic function returns a complex value"):
        grad(wnp.abs, holomorphic=True)(Z)
    with pytest.raises(DtypeError, match="input leaf 0 has dtype float64"):
        grad(lambda x: x * 1j, holomorphic=True)(1.0)


def test_vjp_is_the_transpose_not_the_conjugate_transpose_and_jvp_the_push_forward():
    (cotangent,) = vjp(wnp.sin, Z)[1](1j)
    assert complex(cotangent) == pytest.approx(complex(1j * np.cos(Z)), rel=1e-14)
    (cotangent,) = vjp(wnp.conj, Z)[1](1 + 1j)
    assert complex(cotangent) == 1 - 1j
    value, tangent = jvp(wnp.abs, (Z,), (1j,))
    assert tangent.dtype == np.float64 and float(tangent) == pytest.approx(2 / np.sqrt(5), rel=1e-14)


def test_a_real_input_through_complex_values_gets_a_real_gradient():
    gradient = grad(lambda x: wnp.abs(x * 1j) ** 2)(3.0)
    assert gradient.dtype == np.float64 and float(gradient) == 6.0
    assert float(grad(lambda x: wnp.real(wnp.exp(1j * x)))(0.3)) == pytest.approx(-np.sin(0.3), rel=1e-14)
    x, y = grad(lambda x, y: wnp.abs(x + 1j * y) ** 2, argnums=(0, 1))(1.0, 2.0)
    assert (float(x), float(y)) == (2.0, 4.0)


def test_hessian_of_a_real_function_through_complex_values_is_jaxs():
    f = lambda x: wnp.abs(x * (1 + 1j)) ** 2  # noqa: E731
    want = jax.hessian(lambda x: jnp.abs(x * (1 + 1j)) ** 2)(3.0)
    assert float(wengert.hessian(f)(3.0)) == pytest.approx(float(want)) == 4.0


def test_complex_seeds_for_complex_values_are_taken_and_for_real_values_refused():
    assert complex(jvp(wnp.exp, (Z,), (1j,))[1]) == pytest.approx(complex(1j * np.exp(Z)), rel=1e-14)
    with pytest.raises(DtypeError, match="tangent 0 is complex .* but the value it belongs to is real"):
        jvp(wnp.sin, (1.0,), (np.array(1j),))


def test_an_operation_not_proven_in_complex_is_refused_naming_those_that_are():
    with pytest.raises(DtypeError, match=r"`maximum` meets a complex value.*in complex: absolute, add"):
        grad(lambda z: wnp.real(wnp.maximum(z, 1j)))(Z)
    with pytest.raises(DtypeError, match="`maximum` meets a complex value"):
        jvp(lambda z: wnp.maximum(z, 1j), (Z,), (1.0 + 0j,))
    hermitian = np.array([[2.0, 1j], [-1j, 3.0]])
    with pytest.raises(DtypeError, match="`det` meets a complex value"):
        grad(lambda x: wnp.real(wnp.linalg.det(x * hermitian)))(1.0)


def test_the_real_path_stays_real_and_unchecked():
    gradient = grad(lambda x: wnp.sum(wnp.abs(x) * wnp.sin(x)))(np.array([1.5, -2.0], np.float32))
    assert gradient.dtype == np.float32
    x = np.array([1.5, -2.0])
    np.testing.assert_allclose(gradient, np.sign(x) * np.sin(x) + np.abs(x) * np.cos(x), rtol=1e-6)


def test_the_docs_example_runs_as_written():
    source = open(__file__.replace("tests/test_complex.py", "docs/complex.md")).read()
    block = source.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(block, "docs/complex.md", "exec"), namespace)  # noqa: S102 - the page's own example
    assert complex(namespace["wengert"].grad(lambda z: namespace["wnp"].abs(z) ** 2)(namespace["z"])) == 2 - 4j
