"""The benchmark's hand-written references compute what wengert computes.

The benchmark reports wengert's speed as a ratio to a hand-written NumPy
makemore step and to a bare reference tape; these tests keep both honest: same
loss, same gradients, same dtype. No timings here.
"""

import pathlib
import sys

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

import makemore_reference as reference  # noqa: E402
import run as benchmark  # noqa: E402


def small_problem(dtype=np.float64, batch_size=8):
    params = reference.init_params(dtype)
    Xb, Yb = reference.random_batch(batch_size)
    return params, Xb, Yb


def test_hand_written_makemore_gradient_equals_wengert_gradient_in_float64():
    params, Xb, Yb = small_problem()
    assert len(np.unique(Xb)) < Xb.size, "the batch must repeat a character to exercise np.add.at"
    loss, grads = reference.loss_and_grads(params, Xb, Yb)
    wengert_loss, wengert_grads = wengert.value_and_grad(reference.make_loss(wnp))(params, Xb, Yb)
    np.testing.assert_allclose(loss, wengert_loss, rtol=1e-10, atol=1e-10)
    assert set(grads) == set(reference.PARAM_NAMES) == set(wengert_grads)
    for name in reference.PARAM_NAMES:
        np.testing.assert_allclose(grads[name], wengert_grads[name], rtol=1e-10, atol=1e-10, err_msg=name)


def test_hand_written_makemore_gradient_matches_central_differences():
    params, Xb, Yb = small_problem()
    _, grads = reference.loss_and_grads(params, Xb, Yb)
    rng = np.random.default_rng(7)
    direction = {name: rng.standard_normal(value.shape) for name, value in params.items()}
    step = 1e-5

    def loss_at(t):
        moved = {name: params[name] + t * direction[name] for name in params}
        return reference.loss_and_grads(moved, Xb, Yb)[0]

    numeric = (loss_at(step) - loss_at(-step)) / (2 * step)
    analytic = sum(np.sum(grads[name] * direction[name]) for name in params)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hand_written_makemore_step_keeps_the_parameter_dtype(dtype):
    params, Xb, Yb = small_problem(dtype)
    loss, grads = reference.loss_and_grads(params, Xb, Yb)
    assert loss.dtype == dtype
    for name in reference.PARAM_NAMES:
        assert grads[name].dtype == dtype and grads[name].shape == params[name].shape, name


def test_makemore_loss_on_plain_numpy_equals_the_hand_written_loss():
    params, Xb, Yb = small_problem()
    np.testing.assert_allclose(
        reference.make_loss(np)(params, Xb, Yb), reference.loss_and_grads(params, Xb, Yb)[0], rtol=1e-14
    )


def test_reference_tape_chain_gradient_equals_wengert_and_the_chain_rule():
    x0 = np.array([0.5])
    expected = benchmark.chain_gradient(x0)
    assert 1e-3 < abs(expected[0]) < 1e3, "the chain's gradient should be far from underflow and overflow"
    np.testing.assert_allclose(benchmark.reference_tape_grad(x0), expected, rtol=1e-12)
    np.testing.assert_allclose(wengert.grad(lambda x: benchmark.chain(wnp, x))(x0), expected, rtol=1e-12)
