"""checkpoint: gradients unchanged to every order, intermediates recomputed instead of stored."""

import tracemalloc

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import checkpoint
from wengert.errors import TransformError


def block(x, w):
    """Ten elementwise operations: ten stored intermediates without checkpointing."""
    for _ in range(5):
        x = wnp.tanh(x * w)
    return x


def chain(x, w, blocks=20, remat=False):
    step = checkpoint(block) if remat else block
    for _ in range(blocks):
        x = step(x, w)
    return wnp.sum(x)


def test_gradients_are_unchanged_by_checkpointing():
    x, w = np.linspace(-1.0, 1.0, 7), 1.3
    plain = wengert.grad(lambda x, w: chain(x, w, 3), argnums=(0, 1))(x, w)
    remat = wengert.grad(lambda x, w: chain(x, w, 3, remat=True), argnums=(0, 1))(x, w)
    np.testing.assert_allclose(remat[0], plain[0], rtol=1e-13)
    np.testing.assert_allclose(remat[1], plain[1], rtol=1e-13)


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(lambda f: wengert.grad(wengert.grad(f)), id="reverse-over-reverse"),
        pytest.param(lambda f: wengert.grad(lambda x: wengert.jvp(f, (x,), (1.0,))[1]), id="reverse-over-forward"),
        pytest.param(lambda f: lambda x: wengert.jvp(wengert.grad(f), (x,), (1.0,))[1], id="forward-over-reverse"),
        pytest.param(lambda f: wengert.grad(wengert.grad(wengert.grad(f))), id="third-order"),
    ],
)
def test_higher_derivatives_through_a_checkpoint_are_unchanged(order):
    def f(x):
        return wnp.sin(block(x, 0.7)) * x

    def f_remat(x):
        return wnp.sin(checkpoint(block)(x, 0.7)) * x

    np.testing.assert_allclose(order(f_remat)(0.4), order(f)(0.4), rtol=1e-12)


def test_pytree_arguments_and_results_and_keyword_arguments():
    @checkpoint
    def layer(params, x, scale=1.0):
        return {"out": wnp.tanh(x @ params["w"] + params["b"]) * scale, "norm": wnp.sum(params["w"] ** 2)}

    def loss(params, x, remat):
        out = (layer if remat else layer.__wrapped__)(params, x, scale=2.0)
        return wnp.sum(out["out"]) + out["norm"]

    params = {"w": np.arange(6.0).reshape(3, 2) / 10, "b": np.array([0.1, -0.2])}
    x = np.ones((4, 3))
    got = wengert.grad(loss)(params, x, True)
    want = wengert.grad(loss)(params, x, False)
    for key in params:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-13)


def test_outside_reverse_mode_a_checkpointed_function_just_runs():
    f = checkpoint(lambda x: wnp.exp(x) * 2.0)
    assert f(0.0) == 2.0
    assert wengert.jvp(f, (0.0,), (1.0,)) == (2.0, 2.0)


def test_a_differentiated_value_read_from_a_closure_is_refused():
    w = np.ones(3)
    with pytest.raises(TransformError, match="pass it as an argument"):
        wengert.grad(lambda w: checkpoint(lambda x: wnp.sum(x * w))(w * 2.0))(w)


def _peak_bytes_of_gradient(remat: bool) -> int:
    x = np.linspace(-1.0, 1.0, 20_000)
    gradient = wengert.grad(lambda x: chain(x, 0.9, blocks=20, remat=remat))
    tracemalloc.start()
    try:
        gradient(x)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_of_a_deep_chains_gradient_falls():
    # 20 blocks of 10 operations on 160 kB arrays: ~200 intermediates, of which the tape keeps the
    # ~100 its rules read (~16 MB) without checkpointing, ~20 block inputs plus one block's
    # intermediates (~5 MB) with it.
    stored = _peak_bytes_of_gradient(remat=False)
    recomputed = _peak_bytes_of_gradient(remat=True)
    assert recomputed < stored / 3, f"peak {recomputed} bytes with checkpoint vs {stored} without"
