"""Specification of the NumPy face: traced values behave like the arrays they stand for.

Broadcasting, type promotion, axis conventions, methods and operators
follow NumPy; derivatives come back with each input's shape and dtype; and
with no transform active ``wengert.numpy`` returns plain NumPy arrays.
"""

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert import grad, jvp, vjp
from wengert._src.core.primitive import Tracer

X = np.arange(12.0).reshape(4, 3) / 7.0 - 0.6
V = np.linspace(-1.0, 1.0, 12).reshape(4, 3) ** 3 + 0.1
CUBE = np.arange(24.0).reshape(2, 3, 4) / 10.0 - 1.0
MASK = np.array([[True, False, True], [False, False, True], [True, True, False], [False, True, False]])

# Functions linear in their argument, written the same way NumPy users write them.
# Each works on a plain ndarray as well (through NumPy or wengert.numpy), which
# gives the expected value, and its JVP is the function itself applied to the tangent.
LINEAR_EXPRESSIONS = {
    "x.T": lambda x: x.T,
    "x.sum(1)": lambda x: x.sum(1),
    "x.sum(axis=-1)": lambda x: x.sum(axis=-1),
    "x.sum(axis=0, keepdims=True)": lambda x: x.sum(axis=0, keepdims=True),
    "x.mean(0)": lambda x: x.mean(0),
    "x.reshape(2, -1)": lambda x: x.reshape(2, -1),
    "x.reshape((3, 4))": lambda x: x.reshape((3, 4)),
    "x.ravel()": lambda x: x.ravel(),
    "x.transpose(1, 0)": lambda x: x.transpose(1, 0),
    "x[1]": lambda x: x[1],
    "x[-1, 1:]": lambda x: x[-1, 1:],
    "x[1, ::2]": lambda x: x[1, ::2],
    "x[::-1]": lambda x: x[::-1],
    "x[:, None, 1]": lambda x: x[:, None, 1],
    "x[..., 0]": lambda x: x[..., 0],
    "x[[0, 2, 0]]": lambda x: x[[0, 2, 0]],
    "x[[0, 3], [2, 0]]": lambda x: x[[0, 3], [2, 0]],
    "x[np.array([3, 1])]": lambda x: x[np.array([3, 1])],
    "x[mask]": lambda x: x[MASK],
    "x[:, [True, False, True]]": lambda x: x[:, np.array([True, False, True])],
    "x @ w": lambda x: x @ np.ones((3, 2)),
    "w @ x": lambda x: np.arange(8.0).reshape(2, 4) @ x,
    "-x + 2 * x - x / 4": lambda x: -x + 2 * x - x / 4,
    "wnp.sum(x, axis=(0, 1))": lambda x: wnp.sum(x.reshape(2, 2, 3), axis=(0, 1)),
    "wnp.sum(x, axis=(-1, 0), keepdims=True)": lambda x: wnp.sum(x.reshape(2, 2, 3), axis=(-1, 0), keepdims=True),
    "wnp.mean(x, axis=(0, 2))": lambda x: wnp.mean(x.reshape(2, 2, 3), axis=(0, 2)),
    "wnp.swapaxes(x, 0, 1)": lambda x: wnp.swapaxes(x, 0, 1),
    "wnp.concatenate([x, x[:1]])": lambda x: wnp.concatenate([x, x[:1]]),
    "wnp.stack([x[0], x[1]], axis=1)": lambda x: wnp.stack([x[0], x[1]], axis=1),
}


@pytest.mark.parametrize("name", sorted(LINEAR_EXPRESSIONS))
def test_traced_expression_has_numpys_value_and_its_own_jvp(name):
    fn = LINEAR_EXPRESSIONS[name]
    expected = fn(X)
    assert isinstance(expected, np.ndarray), "the same expression on plain arrays gives NumPy arrays"
    y, t = jvp(fn, (X,), (V,))
    assert np.shape(y) == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_allclose(t, fn(V), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(LINEAR_EXPRESSIONS))
def test_traced_expression_vjp_is_the_transpose_of_its_jvp(name):
    # <ct, f(v)> = <f^T(ct), v> for a linear f.
    fn = LINEAR_EXPRESSIONS[name]
    y, pullback = vjp(fn, X)
    ct = np.cos(np.arange(np.size(y), dtype=float)).reshape(np.shape(y))
    (transposed,) = pullback(ct)
    assert transposed.shape == X.shape
    assert np.sum(ct * fn(V)) == pytest.approx(np.sum(transposed * V), rel=1e-12)


# --- indexing ---------------------------------------------------------------------------


def test_repeated_fancy_index_accumulates_gradient():
    g = grad(lambda x: x[[0, 2, 0, 0]].sum())(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [3.0, 0.0, 1.0])


def test_boolean_mask_computed_from_traced_value_selects_and_differentiates():
    x = np.array([-1.0, 2.0, -3.0, 4.0])
    np.testing.assert_array_equal(grad(lambda x: (x[x > 0] ** 2).sum())(x), [0.0, 4.0, 0.0, 8.0])


def test_len_of_traced_array_is_its_first_dimension():
    seen = []

    def f(x):
        seen.append(len(x))
        return x.sum()

    grad(f)(X)
    assert seen == [4]


def test_iterating_a_traced_array_gives_its_rows():
    def f(x):
        rows = list(x)
        assert len(rows) == 4 and rows[2].shape == (3,)
        return sum(row * k for k, row in enumerate(rows)).sum()

    np.testing.assert_array_equal(grad(f)(X), np.repeat(np.arange(4.0)[:, None], 3, axis=1))


def test_at_on_plain_array_returns_an_updated_copy():
    x = np.zeros(3)
    y = wnp.at(x)[1].set(5.0)
    np.testing.assert_array_equal(y, [0.0, 5.0, 0.0])
    np.testing.assert_array_equal(x, np.zeros(3))


# --- operators --------------------------------------------------------------------------


def test_matmul_operator_of_two_traced_matrices():
    # d/dx sum(x x^T) = 2 * (column sums of x), repeated on every row.
    g = grad(lambda x: (x @ x.T).sum())(X)
    np.testing.assert_allclose(g, 2 * np.broadcast_to(X.sum(0), X.shape))


def test_power_operator_with_traced_base():
    np.testing.assert_allclose(grad(lambda x: (x**3).sum())(X), 3 * X**2)


def test_power_operator_with_traced_exponent():
    np.testing.assert_allclose(grad(lambda x: (2.0**x).sum())(X), 2.0**X * np.log(2.0))


def test_power_operator_with_both_traced():
    x = np.array([1.5, 2.0])
    gx, gy = grad(lambda x, y: (x**y).sum(), argnums=(0, 1))(x, x[::-1].copy())
    y = x[::-1]
    np.testing.assert_allclose(gx, y * x ** (y - 1))
    np.testing.assert_allclose(gy, x**y * np.log(x))


@pytest.mark.parametrize(
    "compare",
    [
        lambda x: x > 0,
        lambda x: x >= 0.1,
        lambda x: x < 0,
        lambda x: x <= 0.1,
        lambda x: x == x[0, 0],
        lambda x: x != x[0, 0],
    ],
    ids=[">", ">=", "<", "<=", "==", "!="],
)
def test_comparisons_of_traced_values_give_numpys_boolean_arrays(compare):
    results = []

    def f(x):
        results.append(compare(x))
        return x.sum()

    grad(f)(X)
    (result,) = results
    assert not isinstance(result, Tracer)
    np.testing.assert_array_equal(result, compare(X))


def test_numpy_array_on_the_left_of_an_operator_with_a_traced_value():
    a = np.array([1.0, 2.0, 3.0])
    g = grad(lambda x: (a * x).sum() + a @ x - (a / (x + 2.0)).sum())(np.ones(3))
    np.testing.assert_allclose(g, a + a + a / 9.0)


# --- broadcasting -------------------------------------------------------------------------


def test_broadcast_operands_get_gradients_of_their_own_shapes():
    a = np.array([[1.0], [2.0], [3.0]])
    b = np.array([[10.0, 20.0, 30.0, 40.0]])
    ga, gb = grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(a, b)
    assert ga.shape == (3, 1) and gb.shape == (1, 4)
    np.testing.assert_allclose(ga, np.full((3, 1), 100.0))
    np.testing.assert_allclose(gb, np.full((1, 4), 6.0))


def test_vector_broadcast_against_matrix_rows_sums_the_gradient():
    g = grad(lambda v: (X + v).sum())(np.zeros(3))
    np.testing.assert_allclose(g, np.full(3, 4.0))


def test_scalar_broadcast_against_array_sums_the_gradient():
    assert grad(lambda s: (X * s).sum())(1.0) == pytest.approx(X.sum())


def test_jvp_tangent_of_broadcast_result_has_the_result_shape():
    _, t = jvp(lambda a: a + np.zeros((2, 3)), (np.ones(3),), (np.arange(3.0),))
    np.testing.assert_array_equal(t, np.broadcast_to(np.arange(3.0), (2, 3)))


# --- dtypes ----------------------------------------------------------------------------------

F32 = np.array([0.5, -1.0, 2.0], dtype=np.float32)


def test_float32_plus_python_float_stays_float32():
    y, t = jvp(lambda x: x + 1.5, (F32,), (np.ones(3, np.float32),))
    assert y.dtype == np.float32 and t.dtype == np.float32
    assert (wnp.add(F32, 1.5)).dtype == np.float32


def test_float32_function_has_float32_gradient():
    g = grad(lambda x: (wnp.sin(x) * 2.0 + x**2).sum())(F32)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * np.cos(F32) + 2 * F32, rtol=1e-6)


def test_float32_with_float64_promotes_to_float64_and_casts_gradients_back():
    f64 = np.array([1.0, 2.0, 3.0])
    y, t = jvp(lambda a, b: a * b, (F32, f64), (np.ones(3, np.float32), np.ones(3)))
    assert y.dtype == np.float64 and t.dtype == np.float64
    g32, g64 = grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(F32, f64)
    assert g32.dtype == np.float32 and g64.dtype == np.float64
    np.testing.assert_allclose(g32, f64)
    np.testing.assert_allclose(g64, F32)


@pytest.mark.parametrize(
    "other",
    [2, 1.5, np.float32(2.0), np.array([1, 2, 3]), np.ones(3), np.ones(3, np.float16)],
    ids=["int", "float", "float32 scalar", "int array", "float64 array", "float16 array"],
)
def test_result_dtype_follows_numpy_promotion(other):
    y, t = jvp(lambda x: x * other, (F32,), (np.ones(3, np.float32),))
    expected = (F32 * other).dtype
    assert y.dtype == expected
    assert t.dtype == expected


def test_mean_of_float32_stays_float32():
    y, _ = jvp(lambda x: x.mean(), (F32,), (np.ones(3, np.float32),))
    assert y.dtype == np.float32


# --- axis conventions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "axis, keepdims",
    [(None, False), (0, False), (-1, True), ((0, 2), False), ((-1, 0), True), (1, True)],
)
@pytest.mark.parametrize("reduction", ["sum", "mean", "max", "min", "prod", "var"])
def test_reductions_accept_numpys_axis_and_keepdims(reduction, axis, keepdims):
    fn = getattr(wnp, reduction)
    expected = getattr(np, reduction)(CUBE, axis=axis, keepdims=keepdims)
    y, _ = jvp(lambda c: fn(c, axis=axis, keepdims=keepdims), (CUBE,), (np.ones_like(CUBE),))
    assert np.shape(y) == np.shape(expected)
    np.testing.assert_allclose(y, expected, rtol=1e-12)


def test_mean_gradient_over_tuple_axes_is_one_over_count():
    g = grad(lambda c: wnp.mean(c, axis=(0, 2)).sum())(CUBE)
    np.testing.assert_allclose(g, np.full(CUBE.shape, 1.0 / 8.0))


# --- no transform active: plain NumPy -----------------------------------------------------

PLAIN_CALLS = {
    "sin": lambda: wnp.sin(X),
    "add": lambda: wnp.add(X, 1.0),
    "sum(axis=0)": lambda: wnp.sum(X, axis=0),
    "mean(keepdims)": lambda: wnp.mean(X, axis=1, keepdims=True),
    "max(axis)": lambda: wnp.max(X, axis=0),
    "reshape": lambda: wnp.reshape(X, (2, 6)),
    "transpose": lambda: wnp.transpose(X),
    "matmul": lambda: wnp.matmul(X, X.T),
    "where": lambda: wnp.where(X > 0, X, 0.0),
    "clip": lambda: wnp.clip(X, -0.1, 0.1),
    "concatenate": lambda: wnp.concatenate([X, X]),
    "exp of list": lambda: wnp.exp([0.0, 1.0]),
}


@pytest.mark.parametrize("name", sorted(PLAIN_CALLS))
def test_without_a_transform_wengert_numpy_returns_plain_ndarrays(name):
    assert type(PLAIN_CALLS[name]()) is np.ndarray


def test_without_a_transform_full_reductions_return_numpy_scalars():
    for result in (wnp.sum(X), wnp.mean(X), wnp.max(X), wnp.prod(X)):
        assert isinstance(result, (np.generic, np.ndarray))
        assert not isinstance(result, Tracer)


def test_without_a_transform_values_match_numpy():
    np.testing.assert_allclose(wnp.tanh(X) @ wnp.exp(X).T, np.tanh(X) @ np.exp(X).T, rtol=1e-14)
    np.testing.assert_allclose(wnp.var(X, axis=0, ddof=1), np.var(X, axis=0, ddof=1))
