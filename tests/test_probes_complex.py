"""Probes: a complex value in the middle of a function never gives a wrong derivative.

wengert differentiates complex values with JAX's convention (docs/complex.md) through the
primitives proven in complex; every other one is refused by every transform that differentiates
(the tape's grad, vjp, jacrev and hessian; jvp, jacfwd and linearize; linear_transpose; jit of any
of them; the Tensor graph, which differentiates none), with an error naming the operation and the
user's line, where the real-number rules would otherwise give a wrong number (``|x i|^2`` gave
``-2x`` before issue 12). Complex values no derivative flows through are NumPy's: ``wnp.real``,
``imag``, ``conj``, ``angle`` compute what NumPy computes, eagerly and under ``jit`` and ``vmap``,
and on real arrays they differentiate as NumPy's semantics imply.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import Tensor, grad, jit, jvp, linear_transpose, linearize, vjp, vmap
from wengert.check import numerical_derivative
from wengert.errors import DtypeError

jax.config.update("jax_enable_x64", True)

HERMITIAN = np.array([[2.0, 1j], [-1j, 3.0]])
NOT_YET = "has no complex derivative rule"
HERE = r"test_probes_complex\.py:\d+"


def abs_of_x_times_1_plus_i(x):
    return wnp.abs(x * (1 + 1j))


def squared_abs_of_x_times_i(x):
    return wnp.abs(x * 1j) ** 2


def largest_eigenvalue_of_x_times_hermitian(x):
    return wnp.linalg.eigh(x * HERMITIAN)[0][1]


def determinant_of_x_times_hermitian(x):
    return wnp.real(wnp.linalg.det(x * HERMITIAN))


# The right derivatives (JAX's) at x = 3, 1 and 1: 6, sqrt(2) and the largest eigenvalue (5 + sqrt(5)) / 2; before
# issue 12 wengert gave -6 and 0 with no error, then refused them (the eigenvalue until issue 14); now they are
# JAX's. The determinant of a complex matrix is still refused.
NOW_DIFFERENTIATED = {
    squared_abs_of_x_times_i: 6.0,
    abs_of_x_times_1_plus_i: np.sqrt(2.0),
    largest_eigenvalue_of_x_times_hermitian: (5.0 + np.sqrt(5.0)) / 2,
}
ISSUE_CASES = [determinant_of_x_times_hermitian]

TRANSFORMS = {
    "grad": lambda f, x: grad(f)(x),
    "value_and_grad": lambda f, x: wengert.value_and_grad(f)(x),
    "vjp": lambda f, x: vjp(f, x)[1](1.0),
    "vjp by transposition": lambda f, x: vjp(f, x, method="transpose")[1](1.0),
    "jacrev": lambda f, x: wengert.jacrev(f)(x),
    "jvp": lambda f, x: jvp(f, (x,), (1.0,)),
    "jacfwd": lambda f, x: wengert.jacfwd(f)(x),
    "linearize": lambda f, x: linearize(f, x)[1](1.0),
    "hessian": lambda f, x: wengert.hessian(f)(x),
    "jit of grad": lambda f, x: jit(grad(f))(x),
    "grad of jit": lambda f, x: grad(jit(f))(x),
    "vmap of grad": lambda f, x: vmap(grad(f))(np.array([x, x])),
    "grad of checkpoint": lambda f, x: grad(wengert.checkpoint(f))(x),
    "grad of grad": lambda f, x: grad(grad(f))(x),
}


# --- the issue's cases: JAX's number where the rules are proven, an error where not -----------------------


@pytest.mark.parametrize("transform", TRANSFORMS, ids=str)
@pytest.mark.parametrize("f", list(NOW_DIFFERENTIATED), ids=lambda f: f.__name__)
def test_every_differentiating_transform_gives_jaxs_derivative_through_a_complex_intermediate(transform, f):
    result = np.asarray(TRANSFORMS[transform](f, 3.0 if f is squared_abs_of_x_times_i else 1.0))
    second_order = transform in ("hessian", "grad of grad")  # |x i|^2 = x^2 and |x (1 + i)| = sqrt(2) |x|
    want = (2.0 if f is squared_abs_of_x_times_i else 0.0) if second_order else NOW_DIFFERENTIATED[f]
    np.testing.assert_allclose(result.ravel()[-1] if transform != "jvp" else result[1], want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("transform", TRANSFORMS, ids=str)
@pytest.mark.parametrize("f", ISSUE_CASES, ids=lambda f: f.__name__)
def test_every_differentiating_transform_refuses_an_unproven_complex_intermediate(transform, f):
    with pytest.raises(DtypeError, match=NOT_YET):
        TRANSFORMS[transform](f, 1.0)


def test_the_error_names_the_operation_and_the_users_line():
    with pytest.raises(DtypeError, match=rf"`det` meets a complex value \(dtype complex128\).*{HERE}"):
        grad(determinant_of_x_times_hermitian)(3.0)


def test_the_compiled_backward_pass_of_a_recurring_tape_gives_the_same_derivative():
    for _ in range(3):  # the second tape of a structure would be compiled
        assert float(grad(squared_abs_of_x_times_i)(3.0)) == 6.0


MAKES_COMPLEX = {
    "x + 0j": lambda x: x + 0j,
    "x * 1j": lambda x: x * 1j,
    "1j * x": lambda x: 1j * x,
    "x / 1j": lambda x: x / 1j,
    "x.astype(complex)": lambda x: x.astype(complex),
    "wnp.astype(x, complex64)": lambda x: wnp.astype(x, np.complex64),
    "wnp.array(x, dtype=complex)": lambda x: wnp.array(x, dtype=complex),
    "wnp.asarray(x, dtype=complex)": lambda x: wnp.asarray(x, dtype=np.complex128),
    "wnp.array([x, 1j])": lambda x: wnp.array([x, 1j]),
    "wnp.stack([x, complex])": lambda x: wnp.stack([x, np.array(1j)]),
    "wnp.where(x > 0, x, 1j)": lambda x: wnp.where(x > 0, x, 1j),
    "x ** complex": lambda x: x ** (2 + 0j),
    "x @ complex matrix": lambda x: wnp.ones(2) * x @ HERMITIAN,
    "wnp.exp(x * 1j)": lambda x: wnp.exp(x * 1j),
}


@pytest.mark.parametrize("make", MAKES_COMPLEX, ids=str)
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_every_way_of_making_a_complex_value_from_a_traced_one_differentiates_as_finite_differences(make, mode):
    def f(x):
        return wnp.sum(wnp.abs(MAKES_COMPLEX[make](x)))

    derivative = grad(f)(3.0) if mode == "grad" else jvp(f, (3.0,), (1.0,))[1]
    assert np.asarray(derivative).dtype.kind == "f"
    single = "complex64" in make  # its differences are float32's
    expected = float(numerical_derivative(f, 3.0))
    assert float(derivative) == pytest.approx(expected, rel=1e-2 if single else 1e-6, abs=1e-6)


def test_astype_complex_no_longer_drops_the_derivative_to_a_silent_zero():
    assert float(grad(lambda x: wnp.abs(x.astype(complex)) ** 2)(3.0)) == 6.0


def _times_a_complex_number(c):
    """``x -> c x`` as a custom_vjp and as a custom_jvp function, each with the rule of the transpose convention
    (the cotangent of ``x`` is ``c ḡ``, of which a real ``x`` keeps the real part)."""

    @wengert.custom_vjp
    def by_vjp(x):
        return x * c

    by_vjp.defvjp(lambda x: (x * c, None), lambda residuals, g: (g * c,))

    @wengert.custom_jvp
    def by_jvp(x):
        return x * c

    by_jvp.defjvp(lambda primals, tangents: (primals[0] * c, tangents[0] * c))
    return by_vjp, by_jvp


@pytest.mark.parametrize("x", [1.0, 0.5 - 2.0j], ids=["real x", "complex x"])
def test_custom_rules_on_complex_values_give_jaxs_derivatives(x):
    c = 0.6 + 0.8j
    by_vjp, by_jvp = _times_a_complex_number(c)

    @jax.custom_jvp
    def jax_times_c(x):
        return x * c

    jax_times_c.defjvp(lambda primals, tangents: (primals[0] * c, tangents[0] * c))

    def loss(module, times_c):
        return lambda x: module.abs(times_c(x) - 1.0) ** 2

    want = jax.grad(loss(jnp, jax_times_c))(x)
    assert complex(want) == pytest.approx(complex(jax.grad(loss(jnp, lambda x: x * c))(x)), rel=1e-12)
    for times_c in (by_vjp, by_jvp):
        got = grad(loss(wnp, times_c))(x)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        assert complex(got) == pytest.approx(complex(want), rel=1e-12)
    assert float(wengert.hessian(loss(wnp, by_jvp))(1.0)) == pytest.approx(2.0, rel=1e-12)  # 2 |c|^2, |c| = 1
    direction = np.ones_like(x)
    want_tangent = jax.jvp(loss(jnp, jax_times_c), (x,), (direction,))[1]
    assert float(jvp(loss(wnp, by_jvp), (x,), (direction,))[1]) == pytest.approx(float(want_tangent), rel=1e-12)


def test_a_custom_jvp_rule_giving_a_complex_tangent_for_a_real_output_is_refused():
    @wengert.custom_jvp
    def modulus(z):
        return wnp.abs(z)

    modulus.defjvp(lambda primals, tangents: (wnp.abs(primals[0]), wnp.conj(primals[0]) * tangents[0]))
    with pytest.raises(DtypeError, match="complex tangent .* for output leaf 0, which is real"):
        jvp(modulus, (1.0 + 1.0j,), (1.0 + 0.0j,))


# --- what still works: complex values no derivative flows through --------------------------------------


def test_complex_constants_off_the_derivative_path_are_fine():
    assert float(grad(lambda x: x * wnp.abs(np.array(3 + 4j)))(2.0)) == 5.0
    assert float(jvp(lambda x: x * wnp.real(np.exp(1j * np.pi)), (2.0,), (1.0,))[1]) == pytest.approx(-1.0)


def test_stop_gradient_before_the_complex_number_lets_the_rest_differentiate():
    f = lambda x: x * wnp.abs(wengert.stop_gradient(x) * 1j)  # noqa: E731
    assert float(grad(f)(3.0)) == 3.0
    assert float(jvp(f, (3.0,), (1.0,))[1]) == 3.0


def test_complex_arithmetic_under_vmap_and_jit_computes_what_numpy_computes():
    z = np.array([1 + 2j, -3 - 0.5j, 0.25j])

    def f(z):
        return wnp.abs(wnp.exp(z) * wnp.conj(z)) + wnp.angle(z) * wnp.imag(z) - wnp.real(z) ** 2

    want = np.abs(np.exp(z) * np.conj(z)) + np.angle(z) * np.imag(z) - np.real(z) ** 2
    np.testing.assert_allclose(f(z), want)
    np.testing.assert_allclose(jit(f)(z), want)
    np.testing.assert_allclose(vmap(f)(z), want)


def test_complex_step_differences_of_wengert_numpy_functions_still_work():
    def f(x):
        return wnp.exp(x) * wnp.sin(x) / wnp.sqrt(1.0 + x * x)

    exact = float(grad(f)(0.7))
    assert float(numerical_derivative(f, 0.7, method="complex_step")) == pytest.approx(exact, rel=1e-14)


# --- seeds: a complex tangent or cotangent for a real value is refused, not cast -------------------------


def test_a_complex_tangent_or_cotangent_is_refused_rather_than_losing_its_imaginary_part():
    with pytest.raises(DtypeError, match=rf"jvp: tangent 0 is complex.*{HERE}"):
        jvp(wnp.sin, (1.0,), (np.array(1j),))
    _, pullback = vjp(wnp.sin, 1.0)
    with pytest.raises(DtypeError, match="vjp_fn: cotangent 0 is complex"):
        pullback(np.array(1j))
    with pytest.raises(DtypeError, match="linear_transpose: cotangent 0 is complex"):
        linear_transpose(lambda x: 2.0 * x, 1.0)(np.array(1j))


def test_linear_transpose_refuses_complex_primals_and_transposes_real_maps_through_complex_values():
    with pytest.raises(DtypeError, match="linear_transpose: primal 0 is complex"):
        linear_transpose(lambda z: 2.0 * z, np.array(1j))(np.array(1.0 + 0j))
    (ct,) = linear_transpose(lambda x: wnp.real(x * (2.0 + 1j)), 1.0)(3.0)
    assert ct == 6.0 and np.asarray(ct).dtype == np.float64
    (ct,) = linear_transpose(lambda x: wnp.imag(wnp.fft.fft(x)), np.ones(4))(np.array([0.0, 1.0, 0.0, 0.0]))
    np.testing.assert_allclose(ct, np.imag(np.fft.fft([0.0, 1.0, 0.0, 0.0])), atol=1e-15)


# --- the Tensor face ---------------------------------------------------------------------------------


def test_a_tensor_that_requires_grad_cannot_become_complex():
    x = Tensor(3.0, requires_grad=True)
    with pytest.raises(DtypeError, match=rf"Tensor autograd: `multiply` meets a complex value.*{HERE}"):
        (x * 1j).abs()


def test_complex_tensors_without_grad_compute_as_numpy_and_torch():
    torch = pytest.importorskip("torch")
    values = np.array([1 + 2j, -3 - 0.5j])
    z, zt = Tensor(values), torch.tensor(values)
    for got, want in [(z.real, zt.real), (z.imag, zt.imag), (z.conj(), zt.conj()), (z.angle(), zt.angle())]:
        np.testing.assert_allclose(got.numpy(), want.resolve_conj().numpy())
    x = Tensor(3.0, requires_grad=True)
    with wengert.no_grad():
        np.testing.assert_allclose(((x * 1j).abs() ** 2).numpy(), 9.0)


def test_a_complex_gradient_seed_for_a_real_tensor_is_refused():
    x = Tensor(3.0, requires_grad=True)
    with pytest.raises(DtypeError, match="backward: the gradient for output 0 is complex"):
        (x * 2.0).backward(np.array(1j))


def test_an_autograd_function_returning_complex_is_refused():
    class TimesI(wengert.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1j

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(DtypeError, match=r"`TimesI\.forward` meets a complex value"):
        TimesI.apply(Tensor(3.0, requires_grad=True))


def test_real_imag_conj_angle_of_a_real_tensor_differentiate_as_in_torch():
    torch = pytest.importorskip("torch")
    values = np.array([1.5, -2.0, 0.5])
    x, xt = Tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    (x.angle() * 3.0 + x.real * x + x.conj()).sum().backward()
    (xt.angle() * 3.0 + xt.real * xt + xt.conj()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_allclose(x.angle().detach().numpy(), xt.angle().detach().numpy())
    with pytest.raises(DtypeError, match="imag is not defined for a tensor of the real dtype"):
        x.imag  # noqa: B018
    with pytest.raises(RuntimeError):
        xt.imag  # noqa: B018


# --- wnp.real, imag, conj, conjugate, angle ----------------------------------------------------------------

COMPLEX_SAMPLE = np.array([[1 + 2j, -3 - 0.5j], [0.25j, -2.0 + 0j]])
PARTS = ["real", "imag", "conj", "conjugate", "angle"]


@pytest.mark.parametrize("name", PARTS)
def test_the_parts_of_a_complex_array_are_numpys_eagerly_and_under_jit_and_vmap(name):
    f, want = getattr(wnp, name), getattr(np, name)(COMPLEX_SAMPLE)
    for got in (f(COMPLEX_SAMPLE), jit(f)(COMPLEX_SAMPLE), vmap(f)(COMPLEX_SAMPLE)):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_angle_in_degrees_is_numpys():
    np.testing.assert_allclose(wnp.angle(COMPLEX_SAMPLE, deg=True), np.angle(COMPLEX_SAMPLE, deg=True))
    assert float(wnp.angle(1j, deg=True)) == 90.0


def test_traced_values_have_real_imag_and_conj_as_ndarray_has():
    def f(z):
        return z.real * 2.0 + z.imag + z.conj().imag + z.conjugate().real

    want = COMPLEX_SAMPLE.real * 2.0 + COMPLEX_SAMPLE.imag + COMPLEX_SAMPLE.conj().imag + COMPLEX_SAMPLE.real
    np.testing.assert_allclose(jit(f)(COMPLEX_SAMPLE), want)
    np.testing.assert_allclose(vmap(f)(COMPLEX_SAMPLE), want)


def test_on_real_arrays_real_and_conj_are_the_identity_and_imag_is_zero():
    x = np.array([1.5, -2.0, 0.0])
    assert float(grad(lambda x: wnp.sum(wnp.real(x) ** 2))(x)[0]) == 3.0
    np.testing.assert_array_equal(grad(lambda x: wnp.sum(wnp.conj(x) * x.conj()))(x), 2 * x)
    np.testing.assert_array_equal(grad(lambda x: wnp.sum(wnp.imag(x) + x.imag + x.real))(x), np.ones(3))
    np.testing.assert_array_equal(wnp.imag(np.float32(2.0)), np.imag(np.float32(2.0)))
    assert wnp.imag(np.ones(2, np.float32)).dtype == np.float32


def test_angle_of_a_real_array_is_zero_or_pi_with_derivative_zero_as_numpy_and_jax():
    x = np.array([2.0, -1.5, 0.0, -0.0])
    np.testing.assert_array_equal(wnp.angle(x), np.angle(x))
    np.testing.assert_array_equal(jit(wnp.angle)(x), np.angle(x))
    assert wnp.angle(x.astype(np.float32)).dtype == np.angle(x.astype(np.float32)).dtype
    gradient = grad(lambda x: wnp.sum(wnp.angle(x)))(x)
    np.testing.assert_array_equal(gradient, np.zeros(4))  # JAX: 0 away from 0, nan at 0 (0/0)
    np.testing.assert_array_equal(jax.grad(lambda x: jnp.sum(jnp.angle(x)))(x[:2]), np.zeros(2))
    assert float(jvp(wnp.angle, (-1.0,), (1.0,))[1]) == 0.0


def test_vdot_conjugates_its_first_argument_as_numpy_does():
    a, b = np.array([1 + 2j, 3j]), np.array([2 - 1j, 1 + 1j])
    assert wnp.vdot(a, b) == np.vdot(a, b)
    assert float(grad(lambda x: wnp.vdot(x, x))(np.arange(3.0))[2]) == 4.0


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_of_a_complex_hermitian_matrix_under_jit_reads_one_triangle_as_numpy(uplo):
    a = np.array([[2.0, 5 + 1j], [-1j, 3.0]])  # not Hermitian: only the UPLO triangle counts
    w, v = jit(lambda a: wnp.linalg.eigh(a, UPLO=uplo))(a)
    want_w, want_v = np.linalg.eigh(a, UPLO=uplo)
    np.testing.assert_allclose(w, want_w)
    np.testing.assert_allclose(np.abs(np.sum(v.conj() * want_v, axis=0)), np.ones(2))  # same up to a phase
    np.testing.assert_allclose(jit(lambda a: wnp.linalg.eigvalsh(a, UPLO=uplo))(a), want_w)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_of_a_complex_hermitian_matrix_under_jit_is_numpys(upper):
    a = np.array([[4.0, 1 + 1j], [1 - 1j, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = jit(lambda a: wnp.linalg.cholesky(a, upper=upper))(a)
    np.testing.assert_allclose(got, np.linalg.cholesky(a, upper=upper))


def test_hermitian_svd_and_pinv_of_a_complex_matrix_under_jit_are_numpys():
    a = np.array([[2.0, 5 + 1j], [5 - 1j, 3.0]])
    singular_values = jit(lambda a: wnp.linalg.svd(a, hermitian=True)[1])(a)
    np.testing.assert_allclose(singular_values, np.linalg.svd(a, hermitian=True)[1])
    np.testing.assert_allclose(jit(lambda a: wnp.linalg.pinv(a, hermitian=True))(a), np.linalg.pinv(a, hermitian=True))
