"""``wengert.numpy.fft`` through the public API: NumPy's values and dtypes, NumPy's arguments, derivatives as JAX's,
and the errors. The registry (``tests/registry/fourier.py``, ``complex_cases.py``) sweeps every transform."""

import numpy as np
import pytest

import wengert
import wengert.compat.autograd as wag
import wengert.compat.autograd.numpy as anp_compat
import wengert.numpy as wnp
from wengert.errors import ArgumentError, DtypeError, ShapeError

RNG = np.random.default_rng(14)
X = RNG.standard_normal((4, 6))
Z = X + 1j * RNG.standard_normal((4, 6))

CALLS = [
    ("fft", Z, {}),
    ("fft", X, {"n": 4, "axis": 0, "norm": "ortho"}),
    ("fft", X, {"n": 9}),
    ("ifft", Z, {"norm": "forward"}),
    ("fft2", Z, {"s": (3, 8)}),
    ("ifft2", X, {}),
    ("fftn", Z, {"axes": (1,)}),
    ("ifftn", Z, {"s": (5, -1), "axes": (0, 1)}),
    ("rfft", X, {}),
    ("rfft", X, {"n": 7, "axis": 0}),
    ("rfft2", X, {"norm": "ortho"}),
    ("rfftn", X, {"s": (4, 5), "axes": (0, 1)}),
    ("irfft", Z, {}),
    ("irfft", Z, {"n": 11, "norm": "forward"}),
    ("irfft2", Z, {"s": (4, 9)}),
    ("irfftn", Z, {"axes": (0,)}),
    ("hfft", Z, {"n": 5}),
    ("ihfft", X, {"norm": "ortho"}),
    ("fftshift", X, {}),
    ("ifftshift", Z, {"axes": 1}),
]


@pytest.mark.parametrize("name, a, kwargs", CALLS, ids=[f"{c[0]}{sorted(c[2].items())}" for c in CALLS])
def test_values_and_dtypes_are_numpys(name, a, kwargs):
    got, want = getattr(wnp.fft, name)(a, **kwargs), getattr(np.fft, name)(a, **kwargs)
    assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_float32_stays_single_precision():
    x = X.astype(np.float32)
    assert wnp.fft.fft(x).dtype == np.complex64
    assert wnp.fft.irfft(wnp.fft.rfft(x)).dtype == np.float32
    assert wengert.grad(lambda x: wnp.sum(wnp.abs(wnp.fft.rfft(x)) ** 2))(x).dtype == np.float32


def test_grad_of_the_power_spectrum_is_parsevals():
    """sum |fft(x)|^2 = N sum x^2, so its gradient is 2 N x, real for a real input."""
    x = X[0]
    g = wengert.grad(lambda x: wnp.sum(wnp.abs(wnp.fft.fft(x)) ** 2))(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x.size * x, rtol=1e-12)


def test_the_vjp_of_fft_is_fft_not_its_inverse():
    """The DFT matrix is symmetric: the transpose of fft is fft (JAX's convention, no conjugate)."""
    z, ct = Z[0], Z[1]
    (pulled,) = wengert.vjp(wnp.fft.fft, z)[1](ct)
    np.testing.assert_allclose(pulled, np.fft.fft(ct), rtol=1e-12)


def test_derivatives_match_jax():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    half = Z[:, :4]

    def loss(m, h):
        return m.sum(m.abs(m.fft.irfft(h, n=7, axis=0, norm="ortho")) ** 3) + m.real(m.fft.fft2(h)[1, 2])

    np.testing.assert_allclose(wengert.grad(lambda h: loss(wnp, h))(half), jax.grad(lambda h: loss(jnp, h))(half))
    hvp = wengert.jvp(wengert.grad(lambda h: loss(wnp, h)), (half,), (Z[:, 2:],))[1]
    np.testing.assert_allclose(hvp, jax.jvp(jax.grad(lambda h: loss(jnp, h)), (half,), (Z[:, 2:],))[1], rtol=1e-10)


def test_jacfwd_of_rfft_power_equals_jacrev_and_vmap_equals_a_loop():
    power = lambda x: wnp.abs(wnp.fft.rfft(x)) ** 2  # noqa: E731
    np.testing.assert_allclose(wengert.jacfwd(power)(X[0]), wengert.jacrev(power)(X[0]), atol=1e-12)
    np.testing.assert_allclose(wengert.vmap(power)(X), np.stack([power(x) for x in X]), atol=1e-12)
    np.testing.assert_allclose(wengert.jit(power)(X[1]), power(X[1]), atol=1e-12)


def _traced(f, x=X):
    """``f`` at ``x`` under forward mode, where the face's own checks run (a plain array goes to NumPy)."""
    return wengert.jvp(f, (x,), (x,))


def test_user_errors_on_traced_values_say_what_to_do():
    with pytest.raises(ArgumentError, match="norm must be one of"):
        _traced(lambda x: wnp.fft.fft(x, norm="unitary"))
    with pytest.raises(DtypeError, match="use fft"):
        _traced(wnp.fft.rfft, Z)
    with pytest.raises(ShapeError, match="none twice"):
        _traced(lambda x: wnp.fft.rfftn(x, axes=(1, 1)))
    with pytest.raises(ShapeError, match="n >= 1"):
        _traced(lambda x: wnp.fft.fft(x, n=0))
    with pytest.raises(ShapeError, match="out of bounds"):
        _traced(lambda x: wnp.fft.fft(x, axis=2))


def test_plain_arrays_go_to_numpy_and_lists_are_arrays():
    with pytest.raises(ValueError, match="Invalid norm"):
        wnp.fft.fft(X, norm="unitary")
    np.testing.assert_allclose(wnp.fft.fft([1.0, 2.0, 3.0]), np.fft.fft([1.0, 2.0, 3.0]))


def test_autograds_numpy_fft_is_wengerts_and_gives_autograds_gradients():
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    assert anp_compat.fft.rfft is wnp.fft.rfft

    def loss(m, x):
        return m.sum(m.abs(m.fft.fftshift(m.fft.fft2(x))) ** 2 * m.arange(6.0)) + m.sum(m.fft.irfft(m.fft.rfft(x)) ** 3)

    np.testing.assert_allclose(
        wag.grad(lambda x: loss(anp_compat, x))(X), autograd.grad(lambda x: loss(anp, x))(X), rtol=1e-10
    )
