"""The fast VJPs (NumPy directly, on plain arrays) agree with forward mode, exactly where it matters.

Several primitives declare ``fast_vjps`` that the tape's backward loop calls on plain arrays (the
common case, no transform above reverse mode): the gather's scatter-add, the sum's broadcast,
``reduce_max``'s tie weights, ``matmul``, ``tanh`` and the broadcasting arithmetic's
``unbroadcast``. Each case below takes a gradient by reverse mode (those paths) and compares it
with ``jacfwd`` (forward mode, the JVP rules), checks the dtype, and checks the case the shortcut
must not change (repeated and negative indices, ties, mixed dtypes, non-contiguous cotangents).
``tests/test_fast_vjps.py`` holds each fast VJP equal to its general rule over the registry.
"""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp


def assert_rev_equals_fwd(f, x, rtol=1e-12):
    rev = wengert.grad(f)(x)
    fwd = wengert.jacfwd(f)(x)
    assert rev.dtype == x.dtype
    assert rev.shape == x.shape
    np.testing.assert_allclose(rev, fwd, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_rows_repeated_and_negative_indices(dtype):
    table = (np.arange(15.0).reshape(5, 3) / 7).astype(dtype)
    rows = np.array([[0, 4, -1], [2, 2, 0]])  # row 4 is named three times (4 and -1), row 2 twice
    weights = np.linspace(-1.0, 1.0, 18).reshape(2, 3, 3).astype(dtype)
    assert_rev_equals_fwd(lambda c: wnp.sum(c[rows] * weights), table, rtol=1e-6)


def test_scatter_add_matches_numpy_add_at_bit_for_bit():
    table = np.zeros((6, 4))
    rows = np.array([1, 3, 1, 5, 1, 0, 3])
    weights = np.random.default_rng(0).standard_normal((7, 4))
    expected = np.zeros_like(table)
    np.add.at(expected, rows, weights)
    assert np.array_equal(wengert.grad(lambda c: wnp.sum(c[rows] * weights))(table), expected)


def test_two_index_arrays_with_trailing_axis():
    x = np.arange(24.0).reshape(2, 3, 4) / 5
    i, j = np.array([1, 0, 1, -1]), np.array([[2], [0]])  # broadcast to (2, 4), then the trailing axis
    weights = np.cos(np.arange(32.0)).reshape(2, 4, 4)
    assert_rev_equals_fwd(lambda a: wnp.sum(a[i, j] * weights), x)


def test_gather_of_pairs_and_slices():
    x = np.arange(12.0).reshape(3, 4)
    assert_rev_equals_fwd(lambda a: wnp.sum(a[np.array([0, 2, 0]), np.array([1, 3, 1])] ** 2), x)
    assert_rev_equals_fwd(lambda a: wnp.sum(a[1:, ::2] ** 2), x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("axis, keepdims", [(1, True), (1, False), (0, False), (None, False), ((0, 1), True)])
def test_max_ties_split_evenly(dtype, axis, keepdims):
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, -1.0, 4.0, 5.0]], dtype=dtype)
    weights = np.arange(1.0, 1.0 + np.max(x, axis=axis, keepdims=keepdims).size, dtype=dtype)

    def f(a):
        m = wnp.max(a, axis=axis, keepdims=keepdims)
        return wnp.sum(m * weights.reshape(np.shape(m)))

    grad = wengert.grad(f)(x)
    assert grad.dtype == dtype
    if axis == 1 and not keepdims:
        np.testing.assert_array_equal(grad[0], [0, 0.5, 0.5, 0])
        np.testing.assert_array_equal(grad[1], [0.5, 0.5, 0.5, 0.5])
    assert_rev_equals_fwd(f, x, rtol=1e-6)


@pytest.mark.parametrize("axis, keepdims", [(0, True), (1, False), ((0, 2), False), (None, False), (None, True)])
def test_sum_broadcasts_back(axis, keepdims):
    x = np.arange(24.0).reshape(2, 3, 4) / 3
    assert_rev_equals_fwd(lambda a: wnp.sum(wnp.sin(wnp.sum(a, axis=axis, keepdims=keepdims))), x)


def test_sum_of_a_transposed_cotangent():
    x = np.arange(12.0).reshape(3, 4)
    # the cotangent reaching the inner sum is a transposed (non-contiguous) array
    assert_rev_equals_fwd(lambda a: wnp.sum(wnp.sum(a, axis=0, keepdims=True).T @ np.ones((1, 5)) * 2), x)


def test_matmul_mixed_dtypes_give_each_argument_its_dtype():
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    b = np.linspace(0.0, 1.0, 12).reshape(3, 4)
    grad_a, grad_b = wengert.grad(lambda a, b: wnp.sum(wnp.tanh(a @ b)), argnums=(0, 1))(a, b)
    assert grad_a.dtype == np.float32 and grad_b.dtype == np.float64
    assert_rev_equals_fwd(lambda a: wnp.sum(wnp.tanh(a @ b)), a.astype(np.float64))
    assert_rev_equals_fwd(lambda b: wnp.sum(wnp.tanh(a.astype(np.float64) @ b)), b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_in_place_rule(dtype):
    x = np.linspace(-2.0, 2.0, 10, dtype=dtype).reshape(2, 5)
    assert_rev_equals_fwd(lambda a: wnp.sum(wnp.tanh(a) * x), x, rtol=1e-6)
    assert_rev_equals_fwd(lambda a: wnp.tanh(a[0, 0]) * 3.0, x, rtol=1e-6)  # a 0-d cotangent


def test_unbroadcast_leading_and_stretched_axes():
    bias = np.array([[1.0], [2.0], [3.0]])  # (3, 1) against (2, 3, 4): one leading, one stretched axis
    big = np.arange(24.0).reshape(2, 3, 4)
    assert_rev_equals_fwd(lambda b: wnp.sum((big - b) ** 2), bias)
    assert_rev_equals_fwd(lambda b: wnp.sum((big * b[0, 0]) ** 2), bias)


def test_second_order_runs_the_same_rules_on_tracers():
    rows = np.array([0, 2, 2])
    x = np.arange(6.0).reshape(3, 2) / 4

    def f(a):
        return wnp.sum(wnp.tanh(a[rows]) ** 2) + wnp.sum(wnp.max(a, axis=1))

    hessian_rev = wengert.jacrev(wengert.grad(f))(x)
    hessian_fwd = wengert.jacfwd(wengert.jacfwd(f))(x)
    np.testing.assert_allclose(hessian_rev, hessian_fwd, rtol=1e-10, atol=1e-12)
