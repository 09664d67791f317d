"""wengert's JVPs and VJPs agree with HIPS autograd and JAX on every registry case that names them.

Each peer runs only where it is installed. JAX runs with 64-bit floats
enabled (set when the first JAX test runs), so that float64 cases compare
at float64 precision. Each case's JAX derivatives are compiled as one
program, and compiled programs are kept in pytest's cache directory (JAX's
persistent compilation cache): compiling is most of JAX's cost here, so the
first run takes about a minute and later ones seconds.

HIPS autograd has forward-mode rules for fewer functions than reverse-mode
ones: its VJP is compared on every case that names it, its JVP where it
has the rules (the JVP is compared with JAX's everywhere).
"""

import numpy as np
import pytest

import wengert
from tests import sweep
from tests.registry import all_cases

CASES = all_cases()
PEER_RTOL, PEER_ATOL = 1e-9, 1e-11
PEER_RTOL_FLOAT32, PEER_ATOL_FLOAT32 = 1e-5, 1e-6


def _cases(attribute):
    return [
        pytest.param(case, id=case.name) for case in CASES if getattr(case, attribute) is not None and case.order >= 1
    ]


@pytest.fixture(scope="module")
def autograd():
    return pytest.importorskip("autograd")


@pytest.fixture(scope="module")
def jax(request):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    if cache is not None:
        jax.config.update("jax_compilation_cache_dir", str(cache.mkdir("jax-compilation-cache")))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return jax


def _peer_function(case, peer_fn, module):
    """The peer's version of the case, as a function of the differentiated arguments only."""

    def f(*diff_args):
        full = list(case.args)
        for position, value in zip(case.diff_argnums, diff_args):
            full[position] = value
        return peer_fn(module, *full)

    return f


def _ours(case):
    """wengert's output tangents and input cotangents for the case's seeded random vectors, and
    the tolerances to compare them with (looser when an output is float32)."""
    f, x = sweep.differentiated(case)
    v = sweep.random_like(x, sweep.seeded(case, "tangents"))
    out, tangents = wengert.jvp(f, x, v)
    out_leaves, out_tree = wengert.tree_flatten(out)
    u = sweep.random_like(out_leaves, sweep.seeded(case, "cotangents"))
    cotangents = wengert.vjp(f, *x)[1](wengert.tree_unflatten(out_tree, u))
    exact = all(np.asarray(leaf).dtype != np.float32 for leaf in out_leaves)
    tolerances = (PEER_RTOL, PEER_ATOL) if exact else (PEER_RTOL_FLOAT32, PEER_ATOL_FLOAT32)
    u = wengert.tree_unflatten(out_tree, u)
    return x, v, u, sweep.leaves(tangents), sweep.leaves(cotangents), tolerances


@pytest.mark.parametrize("case", _cases("autograd_fn"))
def test_jvp_and_vjp_agree_with_autograd(case, autograd):
    import autograd.numpy as anp

    x, v, u, our_tangents, our_cotangents, (rtol, atol) = _ours(case)
    peer = _peer_function(case, case.autograd_fn, anp)

    def packed(xs):
        return peer(*xs)

    pullback, _ = autograd.make_vjp(packed)(tuple(x))
    their_cotangents = [np.asarray(c) for c in pullback(u)]
    sweep.assert_all_close(our_cotangents, their_cotangents, rtol, atol, "vjp vs autograd")
    try:
        _, their_tangents = autograd.make_jvp(packed)(tuple(x))(tuple(v))
    except NotImplementedError:
        return  # autograd has no forward-mode rule here; its VJP was compared above
    sweep.assert_all_close(our_tangents, sweep.leaves(their_tangents), rtol, atol, "jvp vs autograd")


@pytest.mark.parametrize("case", _cases("jax_fn"))
def test_jvp_and_vjp_agree_with_jax(case, jax):
    import jax.numpy as jnp

    x, v, u, our_tangents, our_cotangents, (rtol, atol) = _ours(case)
    peer = _peer_function(case, case.jax_fn, jnp)

    @jax.jit
    def derivatives(x, v, u):
        _, tangents = jax.jvp(peer, x, v)
        _, pullback = jax.vjp(peer, *x)
        return tangents, pullback(u)

    their_tangents, their_cotangents = derivatives(tuple(x), tuple(v), u)
    sweep.assert_all_close(our_tangents, sweep.leaves(their_tangents), rtol, atol, "jvp vs JAX")
    sweep.assert_all_close(our_cotangents, sweep.leaves(their_cotangents), rtol, atol, "vjp vs JAX")
