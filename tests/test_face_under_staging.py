"""The NumPy face staged with hidden values (as jit stages): one program serves every value of the shapes.

Functions that once read a traced value's array in Python (boolean reductions,
integer casts, sorting and what is built on it, norms, ranks, searchsorted,
one_hot) now stage primitives. Each is staged on one sample with
``values_visible=False`` and the program run on other values, where it must
give what NumPy gives for those; its derivatives stage too. Functions whose
result's shape depends on the values still raise a clear ``TracerError``.
"""

import numpy as np
import pytest

import wengert
import wengert.nn.functional as F
import wengert.numpy as wnp
from wengert._src.transforms.stage import stage
from wengert.errors import TracerError

rng = np.random.default_rng(11)


def _hidden(fun, *args):
    """The program of ``fun`` staged on ``args`` with their values hidden."""
    return stage(fun, args, values_visible=False)


def _with_ties_and_zeros(shape):
    return rng.integers(-2, 3, size=shape).astype(float)


# name, function, NumPy's function, sample factory (each call gives new values of the same shapes)
FUNCTIONS = [
    ("all", lambda x: wnp.all(x, axis=1), lambda x: np.all(x, axis=1), lambda: (_with_ties_and_zeros((4, 3)),)),
    ("any", lambda x: wnp.any(x), lambda x: np.any(x), lambda: (_with_ties_and_zeros((4, 3)),)),
    (
        "count_nonzero",
        lambda x: wnp.count_nonzero(x, axis=0),
        lambda x: np.count_nonzero(x, axis=0),
        lambda: (_with_ties_and_zeros((4, 3)),),
    ),
    (
        "astype int",
        lambda x: wnp.astype(x * 3, np.int64),
        lambda x: (x * 3).astype(np.int64),
        lambda: (rng.normal(size=(2, 3)),),
    ),
    (
        "isclose",
        lambda x, y: wnp.isclose(x, y),
        np.isclose,
        lambda: (rng.normal(size=5), np.where(rng.random(5) < 0.5, rng.normal(size=5), 0.0)),
    ),
    (
        "nanmean",
        lambda x: wnp.nanmean(x, axis=0),
        lambda x: np.nanmean(x, axis=0),
        lambda: (np.where(rng.random((4, 3)) < 0.3, np.nan, rng.normal(size=(4, 3))),),
    ),
    (
        "searchsorted",
        lambda a, v: wnp.searchsorted(a, v, side="right"),
        lambda a, v: np.searchsorted(a, v, "right"),
        lambda: (np.sort(_with_ties_and_zeros(6)), _with_ties_and_zeros(4)),
    ),
    (
        "argsort",
        lambda x: wnp.argsort(x, axis=0),
        lambda x: np.argsort(x, axis=0, stable=True),
        lambda: (_with_ties_and_zeros((5, 3)),),
    ),
    ("sort", lambda x: wnp.sort(x, axis=None), lambda x: np.sort(x, axis=None), lambda: (rng.normal(size=(3, 4)),)),
    ("median", lambda x: wnp.median(x, axis=1), lambda x: np.median(x, axis=1), lambda: (rng.normal(size=(3, 4)),)),
    (
        "quantile",
        lambda x: wnp.quantile(x, [0.2, 0.9]),
        lambda x: np.quantile(x, [0.2, 0.9]),
        lambda: (rng.normal(size=7),),
    ),
    (
        "percentile",
        lambda x: wnp.percentile(x, 30.0, axis=0),
        lambda x: np.percentile(x, 30.0, axis=0),
        lambda: (rng.normal(size=(5, 2)),),
    ),
    (
        "take_along_axis",
        lambda x: wnp.take_along_axis(x, wnp.argsort(-x, axis=1)[:, :2], axis=1),
        lambda x: np.take_along_axis(x, np.argsort(-x, axis=1)[:, :2], axis=1),
        lambda: (rng.normal(size=(3, 4)),),
    ),
    (
        "take",
        lambda x: wnp.take(x, wnp.argmax(x, axis=0), axis=1),
        lambda x: np.take(x, np.argmax(x, axis=0), axis=1),
        lambda: (rng.normal(size=(3, 4)),),
    ),
    (
        "select",
        lambda x: wnp.select([x > 0.5, x < -0.5], [x, 2 * x], 0.25),
        lambda x: np.select([x > 0.5, x < -0.5], [x, 2 * x], 0.25),
        lambda: (rng.normal(size=(3, 4)),),
    ),
    (
        "norm",
        lambda x: wnp.linalg.norm(x, axis=1),
        lambda x: np.linalg.norm(x, axis=1),
        lambda: (rng.normal(size=(3, 4)) * (rng.random((3, 1)) < 0.5),),
    ),
    ("norm ord=0", lambda x: wnp.linalg.norm(x, 0), lambda x: np.linalg.norm(x, 0), lambda: (_with_ties_and_zeros(6),)),
    ("norm ord=3", lambda x: wnp.linalg.norm(x, 3), lambda x: np.linalg.norm(x, 3), lambda: (_with_ties_and_zeros(6),)),
    (
        "matrix_rank",
        wnp.linalg.matrix_rank,
        np.linalg.matrix_rank,
        lambda: (rng.normal(size=(4, 2)) @ rng.normal(size=(2, 3)) * (rng.random() < 0.5),),
    ),
    (
        "one_hot",
        lambda labels: F.one_hot(labels, num_classes=4),
        lambda labels: np.eye(4, dtype=np.int64)[labels],
        lambda: (rng.integers(0, 4, size=(2, 3)),),
    ),
]


@pytest.mark.parametrize(("name", "fun", "numpy_fun", "sample"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_a_program_staged_with_hidden_values_serves_other_values(name, fun, numpy_fun, sample):
    program = _hidden(fun, *sample())
    for _ in range(3):
        args = sample()
        got, want = np.asarray(program(*args)), np.asarray(numpy_fun(*args))
        assert got.shape == want.shape and got.dtype == want.dtype, f"{name}: {got.dtype}{got.shape} vs {want.dtype}"
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)


def test_sorting_stages_an_argsort_and_a_gather_by_an_operand():
    program = _hidden(wnp.sort, rng.normal(size=5))
    assert [eqn.primitive.name for eqn in program.equations] == ["argsort", "take_along_axis"]


def test_the_gradient_of_a_median_stages_and_follows_the_middle_element():
    gradient = wengert.grad(wnp.median)
    program = _hidden(gradient, rng.normal(size=5))
    for _ in range(3):
        x = rng.normal(size=5)
        expected = (x == np.median(x)).astype(float)
        np.testing.assert_array_equal(program(x), expected)
        np.testing.assert_array_equal(gradient(x), expected)


def test_the_gradient_of_a_sort_weighted_sum_stages_and_gives_each_element_its_rank_weight():
    weights = np.arange(4.0)
    gradient = wengert.grad(lambda x: wnp.sum(wnp.sort(x) * weights))
    program = _hidden(gradient, rng.normal(size=4))
    x = rng.normal(size=4)
    np.testing.assert_array_equal(program(x), np.argsort(np.argsort(x)).astype(float))
    assert "put_along_axis_add" in {eqn.primitive.name for eqn in program.equations}


def test_the_norm_at_zero_keeps_its_zero_gradient_when_staged():
    program = _hidden(wengert.grad(wnp.linalg.norm), np.ones(3))
    np.testing.assert_array_equal(program(np.zeros(3)), np.zeros(3))
    np.testing.assert_allclose(program(np.array([3.0, 4.0, 0.0])), [0.6, 0.8, 0.0])


def test_lstsq_with_hidden_values_returns_a_traced_int32_rank_and_the_residuals_of_a_tall_matrix():
    a, b = rng.normal(size=(5, 3)), rng.normal(size=5)
    program = _hidden(lambda a, b: wnp.linalg.lstsq(a, b), a, b)
    x, residuals, rank, s = program(a, b)
    want_x, want_residuals, want_rank, want_s = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(x, want_x, rtol=1e-10)
    np.testing.assert_allclose(residuals, want_residuals, rtol=1e-10)
    np.testing.assert_allclose(s, want_s, rtol=1e-12)
    assert rank == want_rank and np.asarray(rank).dtype == np.int32


def test_lstsq_under_an_eager_transform_keeps_numpys_rule_for_a_rank_deficient_matrix():
    a = np.outer(rng.normal(size=5), rng.normal(size=3))  # rank 1: NumPy returns no residuals
    seen = {}

    def f(a):
        x, residuals, rank, _ = wnp.linalg.lstsq(a, np.ones(5))
        seen.update(residuals_shape=residuals.shape, rank=rank)
        return wnp.sum(x)

    wengert.grad(f)(a)
    assert seen == {"residuals_shape": (0,), "rank": 1}


@pytest.mark.parametrize(
    "fun",
    [wnp.nonzero, wnp.argwhere, wnp.unique, lambda x: wnp.where(x > 0)],
    ids=["nonzero", "argwhere", "unique", "where[one argument]"],
)
def test_a_result_shaped_by_the_values_cannot_be_staged_with_hidden_values(fun):
    with pytest.raises(TracerError, match="needs the value of a traced array"):
        _hidden(fun, rng.normal(size=4))


def test_one_hot_cannot_infer_the_number_of_classes_from_hidden_labels():
    with pytest.raises(TracerError, match="pass num_classes"):
        _hidden(F.one_hot, np.array([0, 2, 1]))


@pytest.mark.parametrize(
    "index",
    [
        lambda i, j: (i,),
        lambda i, j: (slice(None), i),
        lambda i, j: (i, j),
        lambda i, j: (1, j),
    ],
    ids=["x[i]", "x[:, i]", "x[i, j]", "x[1, j]"],
)
def test_indexing_with_traced_integer_arrays_matches_numpy_under_jit_and_its_gradient_scatters(index):
    x = np.arange(24.0).reshape(4, 3, 2)
    i, j = np.array([[2, 0], [-1, 1]]), np.array([1, -2])

    got = wengert.jit(lambda x, i, j: x[index(i, j)])(x, i, j)
    np.testing.assert_array_equal(got, x[index(i, j)])

    gradient = wengert.jit(wengert.grad(lambda x, i, j: wnp.sum(x[index(i, j)] ** 2)))(x, i, j)
    expected = np.zeros_like(x)
    np.add.at(expected, index(i, j), 2 * x[index(i, j)])
    np.testing.assert_array_equal(gradient, expected)
