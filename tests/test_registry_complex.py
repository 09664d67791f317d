"""The complex registry cases (``tests/registry/complex_cases.py``), swept with complex-aware checks.

For a case ``f`` at sample ``z``, with random tangents ``v``, cotangents ``u`` and output weights
``w`` (complex where the value is complex, real where it is real):

* value: ``f(z)`` equals JAX's, in dtype and value;
* forward: the JVP ``J v`` equals central differences along ``v`` for real ``v`` and for
  imaginary ``i v`` (a function of complex inputs need not be holomorphic, so both directions
  count), in the output's dtype;
* reverse: the VJP is the *transpose* of the JVP for the pairing ``<a, b> = Re(sum(a b))`` (JAX's
  convention, no conjugate): ``<u, J v> = <Jᵀ u, v>``; each cotangent has its input's dtype, so a
  real input reached through complex values gets a real cotangent;
* JAX: ``jax.jvp`` and ``jax.vjp`` give the same tangent and cotangents (for a function JAX does not
  take in complex, ``erf``: the value is SciPy's, and HIPS autograd's ``make_vjp`` gives the cotangents;
  ``arccosh`` where ``Re z < 0``: finite differences alone, JAX's and autograd's ``1/sqrt(z^2 - 1)`` having
  the wrong sign there);
* order 2: for ``s(z) = Re(sum(f(z) w))``, ``H v`` by forward over reverse and by reverse over
  reverse equals central differences of ``grad s`` (and JAX's ``jvp`` of ``grad``);
* complex64: complex64 (and float32) inputs give complex64 values, tangents and cotangents;
* the compiled backward pass and ``jit(grad(s))`` give the eager tape's cotangents.
"""

from __future__ import annotations

import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from tests.registry.complex_cases import COMPLEX_CASES
from wengert._src.compile import compiled_backward

jax.config.update("jax_enable_x64", True)

STEP = 1e-5
"""Central differences in float64: truncation about STEP^2, rounding about 1e-16 / STEP."""


def _params(predicate=lambda case: True):
    return [pytest.param(case, id=case.name) for case in COMPLEX_CASES if predicate(case)]


def _generator(case, purpose: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{case.name}/{purpose}".encode()))


def _random_like(values, generator, imaginary: bool = False) -> list:
    """Standard normal arrays of the shapes and dtypes of ``values``: complex ones get both parts
    (or only the imaginary part, with ``imaginary``), real ones real values."""
    out = []
    for value in values:
        value = np.asarray(value)
        real = generator.standard_normal(value.shape)
        if value.dtype.kind == "c":
            other = generator.standard_normal(value.shape)
            out.append(((1j * real) if imaginary else (real + 1j * other)).astype(value.dtype))
        else:
            out.append(real.astype(value.dtype))
    return out


def _differentiated(case, args=None):
    args = case.args if args is None else args

    def f(*diff_args):
        full = list(args)
        for position, value in zip(case.diff_argnums, diff_args):
            full[position] = value
        return case.fn(*full)

    def f_jax(*diff_args):
        full = list(args)
        for position, value in zip(case.diff_argnums, diff_args):
            full[position] = value
        return case.jax_fn(jnp, *full)

    return f, f_jax, tuple(args[p] for p in case.diff_argnums)


def _leaves(tree) -> list:
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(tree)]


def _pairing(a: list, b: list) -> float:
    """``Re(sum(a b))`` over the leaves: the bilinear pairing whose transpose a VJP is (no conjugate)."""
    return float(sum(np.real(np.sum(np.asarray(x) * np.asarray(y))) for x, y in zip(a, b)))


def _central_difference(f, primals, tangents) -> list:
    def at(t):
        return _leaves(f(*[p + t * v for p, v in zip(primals, tangents)]))

    return [(plus - minus) / (2 * STEP) for plus, minus in zip(at(STEP), at(-STEP))]


def _close(actual, expected, what, rtol=1e-6, atol=1e-7) -> None:
    actual, expected = _leaves(actual), _leaves(expected)
    assert len(actual) == len(expected), what
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"{what} [{i}]: shape {a.shape}, expected {e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"{what} [{i}]")


def _directions(case, x) -> dict:
    directions = {"real": _random_like(x, _generator(case, "real direction"))}
    if any(np.asarray(p).dtype.kind == "c" for p in x):
        directions["imaginary"] = _random_like(x, _generator(case, "imaginary direction"), imaginary=True)
        directions["both"] = _random_like(x, _generator(case, "tangents"))
    return directions


@pytest.mark.parametrize("case", _params())
def test_the_value_and_its_dtype_are_jaxs(case):
    reference = case.numpy_fn(*case.args) if case.jax_fn is None else case.jax_fn(jnp, *case.args)
    got, want = _leaves(case.fn(*case.args)), _leaves(reference)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
    _close(got, want, "value", rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", _params())
def test_forward_mode_matches_finite_differences_along_real_and_imaginary_directions(case):
    f, _, x = _differentiated(case)
    for name, v in _directions(case, x).items():
        out, tangent = wengert.jvp(f, x, v)
        for t, o in zip(_leaves(tangent), _leaves(out)):
            assert t.dtype == o.dtype, f"{name}: tangent dtype {t.dtype}, output {o.dtype}"
        _close(tangent, _central_difference(f, x, v), f"jvp along a {name} direction vs finite differences")


@pytest.mark.parametrize("case", _params())
def test_reverse_mode_is_the_transpose_of_forward_mode_without_conjugation(case):
    f, _, x = _differentiated(case)
    v = _random_like(x, _generator(case, "tangents"))
    _, tangent = wengert.jvp(f, x, v)
    out, pullback = wengert.vjp(f, *x)
    u = _random_like(_leaves(out), _generator(case, "cotangents"))
    cotangents = pullback(jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(out), u))
    for i, (c, p) in enumerate(zip(_leaves(cotangents), x)):
        assert c.dtype == np.asarray(p).dtype, f"cotangent {i}: dtype {c.dtype}, its input {np.asarray(p).dtype}"
    forward, backward = _pairing(u, _leaves(tangent)), _pairing(_leaves(cotangents), v)
    assert forward == pytest.approx(backward, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("case", _params(lambda case: case.jax_fn is not None))
def test_jvp_and_vjp_are_jaxs(case):
    f, f_jax, x = _differentiated(case)
    v = _random_like(x, _generator(case, "tangents"))
    _close(wengert.jvp(f, x, v)[1], jax.jvp(f_jax, x, tuple(v))[1], "jvp vs JAX", rtol=1e-10, atol=1e-12)
    out, pullback = wengert.vjp(f, *x)
    u = _random_like(_leaves(out), _generator(case, "cotangents"))
    tree = jax.tree_util.tree_structure(out)
    _, jax_pullback = jax.vjp(f_jax, *x)
    want = jax_pullback(jax.tree_util.tree_unflatten(tree, u))
    _close(pullback(jax.tree_util.tree_unflatten(tree, u)), want, "vjp vs JAX", rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", _params(lambda case: case.jax_fn is None and case.autograd_fn is not None))
def test_vjp_is_hips_autograds_where_jax_has_no_complex_function(case):
    """autograd has no forward-mode rule for these; the JVP is held to finite differences and to the VJP."""
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    f, _, x = _differentiated(case)
    u = _random_like(_leaves(case.fn(*case.args)), _generator(case, "cotangents"))
    fixed = list(case.args)

    def peer(diff_args):
        for position, value in zip(case.diff_argnums, diff_args):
            fixed[position] = value
        return case.autograd_fn(anp, *fixed)

    their_pullback, _ = autograd.make_vjp(peer)(x)
    _close(wengert.vjp(f, *x)[1](*u), their_pullback(*u), "vjp vs autograd", rtol=1e-10, atol=1e-12)


def _scalarised(case, f, module):
    """``s(z) = Re(sum(f(z) w))`` with fixed random weights (complex for a complex output)."""
    weights = _random_like(_leaves(case.fn(*case.args)), _generator(case, "weights"))

    def s(*x):
        leaves = jax.tree_util.tree_leaves(f(*x))
        return sum(module.real(module.sum(leaf * w)) for leaf, w in zip(leaves, weights))

    return s


@pytest.mark.parametrize("case", _params(lambda case: case.order >= 2))
def test_hessian_vector_products_match_differences_of_the_gradient_and_jax(case):
    f, f_jax, x = _differentiated(case)
    argnums = tuple(range(len(x)))
    gradient = wengert.grad(_scalarised(case, f, wnp), argnums=argnums)
    v = _random_like(x, _generator(case, "tangents"))
    expected = _central_difference(gradient, x, v)
    _close(wengert.jvp(gradient, x, v)[1], expected, "H v, forward over reverse", rtol=1e-5, atol=1e-6)

    def gradient_along_v(*y):
        return sum(wnp.real(wnp.sum(g * t)) for g, t in zip(gradient(*y), v))

    _close(wengert.grad(gradient_along_v, argnums=argnums)(*x), expected, "H v, reverse over reverse", 1e-5, 1e-6)
    if case.jax_fn is not None:
        jax_gradient = jax.grad(_scalarised(case, f_jax, jnp), argnums=argnums)
        _close(wengert.jvp(gradient, x, v)[1], jax.jvp(jax_gradient, x, tuple(v))[1], "H v vs JAX", 1e-9, 1e-11)


@pytest.mark.parametrize("case", _params(lambda case: "astype" not in case.name))  # that one casts to complex128
def test_complex64_inputs_give_complex64_values_tangents_and_cotangents(case):
    single = {np.dtype(np.complex128): np.complex64, np.dtype(np.float64): np.float32}
    args = tuple(np.asarray(a).astype(single.get(np.asarray(a).dtype, np.asarray(a).dtype)) for a in case.args)
    f, _, x = _differentiated(case, args)
    out, tangent = wengert.jvp(f, x, _random_like(x, _generator(case, "tangents")))
    for o, t in zip(_leaves(out), _leaves(tangent)):
        assert o.dtype in (np.complex64, np.float32) and t.dtype == o.dtype
    _, pullback = wengert.vjp(f, *x)
    cotangents = pullback(jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(out), _leaves(out)))
    for c, p in zip(_leaves(cotangents), x):
        assert c.dtype == p.dtype


@pytest.mark.parametrize("case", _params())
def test_the_compiled_backward_pass_and_jit_of_grad_give_the_tapes_cotangents(case):
    f, _, x = _differentiated(case)
    s = _scalarised(case, f, wnp)
    argnums = tuple(range(len(x)))
    nudged = tuple(p + 1e-3 * n for p, n in zip(x, _random_like(x, _generator(case, "nudges"))))
    compiled_backward.clear_cache()
    try:
        eager = _leaves(wengert.grad(s, argnums=argnums)(*nudged))
        wengert.grad(s, argnums=argnums)(*x)  # the second tape of its structure compiles
        compiled = _leaves(wengert.grad(s, argnums=argnums)(*nudged))
    finally:
        compiled_backward.clear_cache()
    for got, want in zip(compiled, eager):  # to rounding: the compiled pass multiplies complex values in place
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    _close(wengert.jit(wengert.grad(s, argnums=argnums))(*nudged), eager, "jit of grad", rtol=1e-12, atol=1e-14)
