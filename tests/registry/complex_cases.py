"""Registry cases in complex numbers: every primitive the engine differentiates in complex
(``complex_guard.COMPLEX_DIFFERENTIABLE``), through the ``wengert.numpy`` functions built on it.

These are :data:`COMPLEX_CASES`, not ``CASES``: the real sweeps (float32, vmap, finite differences
along real directions) assume real dtypes, and ``tests/test_registry_complex.py`` sweeps these
with the complex checks instead (finite differences along real and imaginary directions, reverse as
the transpose of forward for the pairing ``Re(sum(a b))``, order 2, complex64, against JAX's
``jvp`` and ``vjp``, or, for a function JAX has not in complex, SciPy's value and HIPS autograd's
derivatives). Samples keep away from branch cuts (``log`` and ``sqrt`` have theirs on the
negative real axis) and from ``|z| = 0``. An argument sampled real is a real input whose path goes
through complex values: its cotangent must be real.
"""

from __future__ import annotations

import numpy as np
import scipy.special

import wengert.numpy as wnp
import wengert.scipy.special

from . import OpCase, rng

_R = rng(20250101)


def _complex(shape, lo=-1.5, hi=1.5):
    return _R.uniform(lo, hi, size=shape) + 1j * _R.uniform(lo, hi, size=shape)


def _right_half_plane(shape):
    """Real parts in [0.4, 2]: away from the branch cut of log and sqrt."""
    return _R.uniform(0.4, 2.0, size=shape) + 1j * _R.uniform(-1.5, 1.5, size=shape)


def _real(shape):
    return _R.uniform(-1.5, 1.5, size=shape)


def _same(name, **kwargs):
    """The function ``name`` of ``wengert.numpy`` and of ``jax.numpy``, with the same arguments."""
    return getattr(wnp, name), lambda jnp, *args: getattr(jnp, name)(*args, **kwargs)


def _case(name, args, order=2, **kwargs):
    fn, jax_fn = _same(name, **kwargs)
    call = (lambda *a: fn(*a, **kwargs)) if kwargs else fn
    suffix = "[" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + "]" if kwargs else ""
    return OpCase(f"complex wnp.{name}{suffix}", call, args, order=order, jax_fn=jax_fn)


def _fft_case(name, args, **kwargs):
    """``wnp.fft.<name>(*args, **kwargs)`` against ``jnp.fft.<name>``."""
    suffix = "[" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + "]" if kwargs else ""
    return OpCase(
        f"complex wnp.fft.{name}{suffix}",
        lambda *a: getattr(wnp.fft, name)(*a, **kwargs),
        args,
        jax_fn=lambda jnp, *a: getattr(jnp.fft, name)(*a, **kwargs),
    )


def _off_the_real_axis(shape, lo, hi):
    """Real parts in [lo, hi], imaginary parts at least 0.3 from 0: away from the branch cut of arccosh
    (the real axis below 1), on both sides of it (its own generator)."""
    generator = rng(5)
    imaginary = generator.uniform(0.3, 1.5, size=shape) * generator.choice([-1.0, 1.0], size=shape)
    return generator.uniform(lo, hi, size=shape) + 1j * imaginary


def _special_case(name, args):
    """``wengert.scipy.special.<name>`` in complex, against SciPy's value and HIPS autograd's derivatives
    (JAX's ``erf`` takes no complex argument)."""

    def autograd_fn(anp, *a):
        import autograd.scipy.special

        return getattr(autograd.scipy.special, name)(*a)

    return OpCase(
        f"complex wengert.scipy.special.{name}",
        getattr(wengert.scipy.special, name),
        args,
        numpy_fn=getattr(scipy.special, name),
        autograd_fn=autograd_fn,
    )


def _hermitian_part(module, a):
    return (a + module.conj(module.swapaxes(a, -1, -2))) / 2


def _hermitian_from_lower(module, a):
    """The Hermitian matrix NumPy's ``eigh`` reads from ``a``'s lower triangle (the diagonal's real part)."""
    lower = module.tril(a, -1)
    return lower + module.conj(lower.T) + module.diag(module.real(module.diagonal(a)))


def _hermitian_from_upper(module, a):
    return module.conj(_hermitian_from_lower(module, module.conj(a.T)))


def _eigh_invariants(module, result):
    """The eigenvalues and the moduli of the eigenvectors' entries: what their phases leave unchanged."""
    w, v = result
    return w, module.abs(v)


def _matrix_exp(module, result):
    """``V diag(exp(w)) Vᴴ``: the exponential of the Hermitian matrix."""
    w, v = result
    return (v * module.exp(w)[..., None, :]) @ module.conj(module.swapaxes(v, -1, -2))


def _svd_invariants(module, result):
    u, s, vh = result
    return module.abs(u), s, module.abs(vh)


def _svd_recomposed(result):
    """``U diag(s²) Vh``: each pair's common phase cancels."""
    u, s, vh = result
    return (u * (s * s)[..., None, :]) @ vh


_SPREAD = np.diag([2.5, 1.0, -0.8]) + 0.3 * (rng(3).uniform(-1, 1, (3, 3)) + 1j * rng(4).uniform(-1, 1, (3, 3)))
"""A complex matrix with well-separated eigenvalues (of its Hermitian part) and singular values (its own
generators: the samples drawn from ``_R`` stay as they were)."""
_Z = _complex((3,))
_WELL = np.eye(3) + 0.3 * _complex((3, 3))
_W = _complex((3,))
_M = _complex((2, 3))

COMPLEX_CASES = [
    # holomorphic elementwise
    *(_case(name, (_complex((2, 3)),)) for name in ("negative", "exp", "sin", "cos", "sinh", "cosh", "square")),
    _case("tan", (_complex((3,), -0.6, 0.6),)),
    _case("tanh", (_complex((3,), -0.6, 0.6),)),
    _case("log", (_right_half_plane((2, 3)),)),
    *(_case(name, (_right_half_plane((2, 3)),)) for name in ("log2", "log10", "log1p")),
    *(_case(name, (_complex((2, 3)),)) for name in ("exp2", "expm1")),
    # inverse functions: samples near 0, away from the branch cuts (|Re z| > 1 or |Im z| > 1 on an axis)
    *(_case(name, (_complex((2, 3), -0.6, 0.6),)) for name in ("arcsin", "arccos", "arctan", "arcsinh", "arctanh")),
    _case("arccosh", (_off_the_real_axis((2, 3), 0.1, 1.5),)),
    # JAX's and autograd's rule 1/sqrt(z^2 - 1) has the wrong sign where Re z < 0: finite differences decide
    OpCase(
        "complex wnp.arccosh[Re z < 0]", wnp.arccosh, (_off_the_real_axis((2, 3), -1.5, -0.1),), numpy_fn=np.arccosh
    ),
    _case("sqrt", (_right_half_plane((2, 3)),)),
    _case("reciprocal", (_right_half_plane((3,)),)),
    _case("add", (_M, _complex((3,)))),
    _case("subtract", (_complex((3,)), _M)),
    _case("multiply", (_M, _complex((2, 1)))),
    _case("divide", (_complex((3,)), _right_half_plane((3,)))),
    _case("power", (_right_half_plane((3,)), _complex((3,), -1.0, 1.0))),
    OpCase("complex z ** 2.5", lambda z: z**2.5, (_right_half_plane((3,)),), jax_fn=lambda jnp, z: z**2.5),
    OpCase("complex z ** 3 (integer)", lambda z: z**3, (_Z,), jax_fn=lambda jnp, z: z**3),
    # entire special functions (d erf(z) = 2/sqrt(pi) exp(-z^2) dz)
    *(_special_case(name, (_complex((2, 3), -1.2, 1.2),)) for name in ("erf", "erfc")),
    # real inputs through complex values: their cotangents are real parts
    OpCase("complex x * (1 + 2j)", lambda x: x * (1 + 2j), (_real((3,)),), jax_fn=lambda jnp, x: x * (1 + 2j)),
    OpCase(
        "complex x + 1j * y", lambda x, y: x + 1j * y, (_real((3,)), _real((3,))), jax_fn=lambda jnp, x, y: x + 1j * y
    ),
    OpCase("complex real x * complex z", lambda x, z: x * z, (_real((2, 3)), _Z), jax_fn=lambda jnp, x, z: x * z),
    OpCase(
        "complex exp(1j * x)",
        lambda x: wnp.exp(1j * x),
        (_real((3,)),),
        jax_fn=lambda jnp, x: jnp.exp(1j * x),
    ),
    OpCase(
        "complex x.astype(complex128)",
        lambda x: wnp.astype(x, np.complex128) * _W,
        (_real((3,)),),
        jax_fn=lambda jnp, x: x.astype(np.complex128) * _W,
    ),
    OpCase(
        "complex where(x > 0, z, w)",
        lambda x, z, w: wnp.where(x > 0, z, w),
        (_real((3,)), _Z, _W),
        argnums=(1, 2),
        jax_fn=lambda jnp, x, z, w: jnp.where(x > 0, z, w),
    ),
    # not holomorphic
    _case("real", (_M,)),
    _case("imag", (_M,)),
    _case("conj", (_M,)),
    _case("abs", (_M,)),
    _case("angle", (_M,)),
    OpCase("complex |z|^2", lambda z: wnp.abs(z) ** 2, (_M,), jax_fn=lambda jnp, z: jnp.abs(z) ** 2),
    OpCase("complex z * conj(z)", lambda z: z * wnp.conj(z), (_Z,), jax_fn=lambda jnp, z: z * jnp.conj(z)),
    OpCase("complex z.real, z.imag", lambda z: z.real * z.imag, (_Z,), jax_fn=lambda jnp, z: z.real * z.imag),
    # linear: reductions, shapes, indexing
    _case("sum", (_M,)),
    _case("max", (_M,)),
    _case("min", (_M,), axis=1),
    _case("var", (_M,)),
    _case("std", (_M,), axis=1),
    OpCase("complex wnp.linalg.norm", lambda z: wnp.linalg.norm(z), (_M,), jax_fn=lambda jnp, z: jnp.linalg.norm(z)),
    OpCase(
        "complex wnp.linalg.norm[ord=3,axis=0]",
        lambda z: wnp.linalg.norm(z, 3, axis=0),
        (_M,),
        jax_fn=lambda jnp, z: jnp.linalg.norm(z, 3, axis=0),
    ),
    _case("sum", (_M,), axis=1),
    _case("mean", (_M,), axis=0),
    OpCase("complex reshape", lambda z: wnp.reshape(z, (3, 2)), (_M,), jax_fn=lambda jnp, z: jnp.reshape(z, (3, 2))),
    OpCase("complex transpose", lambda z: z.T, (_M,), jax_fn=lambda jnp, z: z.T),
    OpCase("complex z[1, ::2]", lambda z: z[1, ::2], (_M,), jax_fn=lambda jnp, z: z[1, ::2]),
    OpCase(
        "complex z[[0, 2, 2]]", lambda z: z[np.array([0, 2, 2])], (_Z,), jax_fn=lambda jnp, z: z[np.array([0, 2, 2])]
    ),
    OpCase(
        "complex take",
        lambda z: wnp.take(z, np.array([2, 0, 2]), axis=1),
        (_M,),
        jax_fn=lambda jnp, z: jnp.take(z, np.array([2, 0, 2]), axis=1),
    ),
    OpCase(
        "complex concatenate",
        lambda z, w: wnp.concatenate([z, w, z]),
        (_Z, _W),
        jax_fn=lambda jnp, z, w: jnp.concatenate([z, w, z]),
    ),
    OpCase(
        "complex stack",
        lambda z, w: wnp.stack([z, w], axis=1),
        (_Z, _W),
        jax_fn=lambda jnp, z, w: jnp.stack([z, w], axis=1),
    ),
    OpCase("complex flip", lambda z: wnp.flip(z, axis=1), (_M,), jax_fn=lambda jnp, z: jnp.flip(z, axis=1)),
    OpCase(
        "complex broadcast_to",
        lambda z: wnp.broadcast_to(z, (2, 3)),
        (_Z,),
        jax_fn=lambda jnp, z: jnp.broadcast_to(z, (2, 3)),
    ),
    # contractions: transposed, never conjugated
    OpCase("complex matmul", lambda a, b: a @ b, (_M, _complex((3, 2))), jax_fn=lambda jnp, a, b: a @ b),
    OpCase("complex matrix @ vector", lambda a, z: a @ z, (_M, _Z), jax_fn=lambda jnp, a, z: a @ z),
    _case("dot", (_Z, _W)),
    OpCase(
        "complex real matrix @ complex vector",
        lambda a, z: a @ z,
        (_real((2, 3)), _Z),
        jax_fn=lambda jnp, a, z: a @ z,
    ),
    OpCase(
        "complex einsum",
        lambda a, b: wnp.einsum("ij,jk->ik", a, b),
        (_M, _complex((3, 2))),
        jax_fn=lambda jnp, a, b: jnp.einsum("ij,jk->ik", a, b),
    ),
    OpCase(
        "complex tensordot",
        lambda a, b: wnp.tensordot(a, b, axes=([1, 2], [1, 0])),
        (_complex((2, 3, 2)), _complex((2, 3, 2))),
        jax_fn=lambda jnp, a, b: jnp.tensordot(a, b, axes=([1, 2], [1, 0])),
    ),
    OpCase(
        "complex dot, 3-d",
        lambda a, b: wnp.dot(a, b),
        (_complex((2, 2, 3)), _real((2, 3, 2))),
        jax_fn=lambda jnp, a, b: jnp.dot(a, b),
    ),
    OpCase(
        "complex vdot",
        lambda z, w: wnp.vdot(z, w),
        (_Z, _W),
        jax_fn=lambda jnp, z, w: jnp.vdot(z, w),
    ),
    # linear algebra: transposed, never conjugated (well-conditioned samples: the identity plus a small matrix)
    OpCase("complex wnp.linalg.inv", wnp.linalg.inv, (_WELL,), jax_fn=lambda jnp, a: jnp.linalg.inv(a)),
    OpCase(
        "complex wnp.linalg.solve",
        wnp.linalg.solve,
        (_WELL, _complex((3, 2))),
        jax_fn=lambda jnp, a, b: jnp.linalg.solve(a, b),
    ),
    OpCase(
        "complex wnp.linalg.solve[factored]",
        wnp.linalg.solve,
        (np.eye(32) + 0.05 * _complex((32, 32)), _complex((32, 2))),
        jax_fn=lambda jnp, a, b: jnp.linalg.solve(a, b),
    ),
    OpCase(
        "complex wnp.linalg.solve[vector, real matrix]",
        wnp.linalg.solve,
        (np.eye(3) + 0.3 * _real((3, 3)), _Z),
        jax_fn=lambda jnp, a, b: jnp.linalg.solve(a, b),
    ),
    # Hermitian eigenvectors and singular vectors, each up to a phase: cases read what does not depend on it
    OpCase(
        "complex wnp.linalg.eigh[Hermitian part]",
        lambda a: _eigh_invariants(wnp, wnp.linalg.eigh(_hermitian_part(wnp, a))),
        (_SPREAD,),
        jax_fn=lambda jnp, a: _eigh_invariants(jnp, jnp.linalg.eigh(_hermitian_part(jnp, a))),
    ),
    OpCase(
        "complex wnp.linalg.eigh[UPLO=U, complex diagonal]",
        lambda a: _eigh_invariants(wnp, wnp.linalg.eigh(a, UPLO="U")),
        (_SPREAD,),
        jax_fn=lambda jnp, a: _eigh_invariants(jnp, jnp.linalg.eigh(_hermitian_from_upper(jnp, a))),
    ),
    OpCase(
        "complex wnp.linalg.eigh[matrix function, batched]",
        lambda a: _matrix_exp(wnp, wnp.linalg.eigh(_hermitian_part(wnp, a))),
        (np.stack([_SPREAD, _SPREAD[::-1, ::-1]]),),
        jax_fn=lambda jnp, a: _matrix_exp(jnp, jnp.linalg.eigh(_hermitian_part(jnp, a))),
    ),
    OpCase(
        "complex wnp.linalg.eigvalsh",
        lambda a: wnp.linalg.eigvalsh(a),
        (_SPREAD,),
        jax_fn=lambda jnp, a: jnp.linalg.eigvalsh(_hermitian_from_lower(jnp, a)),
    ),
    *(
        OpCase(
            f"complex wnp.linalg.svd[{label}]",
            lambda a: _svd_invariants(wnp, wnp.linalg.svd(a, full_matrices=False)),
            (sample,),
            jax_fn=lambda jnp, a: _svd_invariants(jnp, jnp.linalg.svd(a, full_matrices=False)),
        )
        for label, sample in (("tall", _SPREAD[:, :2]), ("wide", _SPREAD[:2]), ("square", _SPREAD))
    ),
    OpCase(
        "complex wnp.linalg.svd[U diag(s^2) Vh, batched]",
        lambda a: _svd_recomposed(wnp.linalg.svd(a, full_matrices=False)),
        (np.stack([_SPREAD[:, :2], _SPREAD[::-1, 1:]]),),
        jax_fn=lambda jnp, a: _svd_recomposed(jnp.linalg.svd(a, full_matrices=False)),
    ),
    OpCase(
        "complex wnp.linalg.norm[ord=nuc]",
        lambda a: wnp.linalg.norm(a, "nuc"),
        (_SPREAD[:2],),
        jax_fn=lambda jnp, a: jnp.linalg.norm(a, "nuc"),
    ),
    OpCase(
        "complex pad",
        lambda z: wnp.pad(z, ((1, 0), (0, 2))),
        (_M,),
        jax_fn=lambda jnp, z: jnp.pad(z, ((1, 0), (0, 2))),
    ),
    # Fourier transforms: linear, transposed (the DFT matrix is symmetric), never conjugated
    _fft_case("fft", (_complex((6,)),)),
    _fft_case("fft", (_M,), n=5, axis=0, norm="ortho"),
    _fft_case("fft", (_real((5,)),), n=4),
    _fft_case("ifft", (_complex((6,)),), n=8, norm="forward"),
    _fft_case("fft2", (_complex((3, 4)),)),
    _fft_case("ifft2", (_complex((3, 4)),), s=(2, 5), norm="ortho"),
    _fft_case("fftn", (_complex((2, 3, 4)),), axes=(0, 2)),
    _fft_case("ifftn", (_complex((2, 3, 4)),)),
    _fft_case("rfft", (_real((8,)),)),
    _fft_case("rfft", (_real((2, 7)),), n=9, norm="forward"),
    _fft_case("rfftn", (_real((3, 4)),), norm="ortho"),
    _fft_case("irfft", (_complex((5,)),)),
    _fft_case("irfft", (_complex((5,)),), n=9, norm="ortho"),
    _fft_case("irfft2", (_complex((3, 4)),), s=(3, 5), norm="forward"),
    _fft_case("irfftn", (_complex((2, 3, 4)),)),
    _fft_case("hfft", (_complex((4,)),), n=7),
    _fft_case("ihfft", (_real((6,)),), norm="ortho"),
    _fft_case("fftshift", (_M,)),
    _fft_case("ifftshift", (_complex((5,)),)),
]
