"""Probes: arrays handed between wengert and its caller stay each their own.

NumPy arrays are mutable. A pullback or a linear function that reads an array the caller
still holds, or gradients that share memory, turn an ordinary in-place update
(``w -= lr * g``) into a silently wrong derivative.
"""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp


def test_writing_into_the_input_after_vjp_leaves_the_pullback_unchanged():
    x = np.array([1.0, 2.0])
    _, pullback = wengert.vjp(lambda v: wnp.sum(v**3), x)
    x[0] = 5.0
    np.testing.assert_allclose(pullback(1.0)[0], [3.0, 12.0])  # it gave [75, 12]


def test_writing_into_the_output_of_vjp_leaves_the_pullback_unchanged():
    x = np.array([1.0, 2.0])
    out, pullback = wengert.vjp(wnp.exp, x)  # exp's VJP reads its output
    out *= 2.0
    np.testing.assert_allclose(pullback(np.ones(2))[0], np.exp(x))


def test_writing_into_the_input_or_output_after_linearize_leaves_f_lin_unchanged():
    x = np.array([1.0, 2.0])
    out, f_lin = wengert.linearize(wnp.exp, x)
    out *= 2.0
    np.testing.assert_allclose(f_lin(np.ones(2)), np.exp([1.0, 2.0]))
    y = np.array([1.0, 2.0])
    _, f_lin = wengert.linearize(lambda v: v * v, y)
    y[0] = 7.0
    np.testing.assert_allclose(f_lin(np.ones(2)), [2.0, 4.0])


@pytest.mark.parametrize("call", range(3))  # eager first, then the compiled backward pass
def test_gradients_of_two_arguments_are_two_arrays(call):
    a, b, ct = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0])
    ga, gb = wengert.vjp(lambda x, y: x + y, a, b)[1](ct)
    assert not np.shares_memory(ga, gb)  # x + y pulls one cotangent back to both
    assert not np.shares_memory(ga, ct) and not np.shares_memory(gb, ct)
    ga += 1.0
    np.testing.assert_array_equal(gb, [5.0, 6.0])
    np.testing.assert_array_equal(ct, [5.0, 6.0])


def test_the_gradient_of_the_identity_is_not_the_callers_cotangent():
    ct = np.array([5.0, 6.0])
    (g,) = wengert.vjp(lambda x: x, np.ones(2))[1](ct)
    g *= 0.0
    np.testing.assert_array_equal(ct, [5.0, 6.0])


def test_a_reshaped_cotangent_pulled_back_is_a_copy():
    ct = np.arange(6.0).reshape(2, 3)
    (g,) = wengert.vjp(lambda x: x.reshape(2, 3), np.ones(6))[1](ct)
    assert not np.shares_memory(g, ct)


def test_gradients_are_writable():
    g = wengert.grad(lambda x: wnp.sum(x))(np.ones(3))  # the VJP of a sum is a read-only broadcast
    g += 1.0
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])


PULLBACKS_BY_TRANSPOSITION = {
    "vjp(method='transpose')": lambda f, *primals: wengert.vjp(f, *primals, method="transpose")[1],
    "linear_transpose": wengert.linear_transpose,
}


@pytest.mark.parametrize("pullback", PULLBACKS_BY_TRANSPOSITION)
def test_cotangents_pulled_back_by_transposition_are_arrays_of_their_own(pullback):
    a, b, ct = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0])
    ga, gb = PULLBACKS_BY_TRANSPOSITION[pullback](lambda x, y: x + y, a, b)(ct)
    ga += 1.0  # the tape's pullback gives the same guarantee (above)
    np.testing.assert_array_equal(gb, [5.0, 6.0])
    np.testing.assert_array_equal(ct, [5.0, 6.0])
    (g,) = PULLBACKS_BY_TRANSPOSITION[pullback](lambda x: x, a)(ct)
    g *= 0.0
    np.testing.assert_array_equal(ct, [5.0, 6.0])
    (g,) = PULLBACKS_BY_TRANSPOSITION[pullback](lambda x: wnp.sum(x), a)(1.0)  # a read-only broadcast
    g += 1.0
    np.testing.assert_array_equal(g, [2.0, 2.0])
