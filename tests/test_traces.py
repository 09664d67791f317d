"""divergence, jacobian_trace and hessian_trace: exact by one vmapped pass, or estimated, from a function."""

import doctest
import pathlib

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from tests.registry import all_cases
from wengert import trace_estimation as te
from wengert.errors import ArgumentError, DtypeError, ShapeError
from wengert.trace_estimation import _functions

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "traces.md"
RNG = np.random.default_rng(3)
D, HIDDEN = 12, 8
W1, B1, W2 = RNG.standard_normal((HIDDEN, D)) / 3, RNG.standard_normal(HIDDEN), RNG.standard_normal((D, HIDDEN)) / 3
X = RNG.standard_normal(D)
ESTIMATORS = ["hutchinson", "hutchpp", "na_hutchpp", "xtrace", "xnystrace"]


def mlp_field(x):
    """A small MLP vector field R^D -> R^D, as FFJORD integrates."""
    return W2 @ wnp.tanh(W1 @ x + B1) + 0.1 * x


def convex(x):
    """A convex scalar: its Hessian is positive definite, as XNysTrace needs."""
    return wnp.sum(wnp.logaddexp(0.0, W1 @ x)) + 0.5 * wnp.sum(x**2)


def _square_cases():
    cases = []
    for case in all_cases():
        if case.order < 1:
            continue
        out = case.fn(*case.args)
        if not (isinstance(out, np.ndarray) and np.issubdtype(out.dtype, np.floating)):
            continue
        size = sum(np.size(case.args[i]) for i in case.diff_argnums)
        if out.size == size > 0:
            cases.append(case)
    return cases


SQUARE_CASES = _square_cases()


def test_docs_page_runs():
    assert doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def test_module_doctests_run():
    assert doctest.testmod(_functions, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def test_there_are_square_registry_cases_to_sweep():
    assert len(SQUARE_CASES) > 100


@pytest.mark.parametrize("case", SQUARE_CASES, ids=lambda case: case.name)
def test_jacobian_trace_is_the_trace_of_the_jacobian_on_the_registry(case):
    argnums = case.diff_argnums
    blocks = wengert.jacobian(case.fn, argnums=argnums)(*case.args)
    out_size = np.size(case.fn(*case.args))
    expected = np.trace(np.hstack([np.reshape(block, (out_size, -1)) for block in blocks]))
    np.testing.assert_allclose(
        wengert.jacobian_trace(case.fn, argnums=argnums)(*case.args), expected, rtol=1e-10, atol=1e-12
    )
    if len(argnums) == 1 and np.shape(case.fn(*case.args)) == np.shape(case.args[argnums[0]]):
        np.testing.assert_allclose(
            wengert.divergence(case.fn, argnums=argnums[0])(*case.args), expected, rtol=1e-10, atol=1e-12
        )


def test_divergence_of_a_pytree_field_sums_the_diagonal_of_every_block():
    field = lambda p: {"a": wnp.sin(p["a"]) * wnp.sum(p["b"]), "b": p["a"][:2] * p["b"] ** 2}  # noqa: E731
    point = {"a": np.array([0.3, 0.5, 0.7]), "b": np.array([1.5, -2.0])}
    J = wengert.jacfwd(field)(point)
    expected = np.trace(J["a"]["a"]) + np.trace(J["b"]["b"])
    np.testing.assert_allclose(wengert.divergence(field)(point), expected, rtol=1e-12)


def test_argnums_picks_the_state_of_a_time_dependent_field():
    field = lambda t, x: wnp.sin(t * x)  # noqa: E731
    np.testing.assert_allclose(wengert.divergence(field, argnums=1)(2.0, X), np.sum(2.0 * np.cos(2.0 * X)), rtol=1e-12)
    both = wengert.divergence(lambda x, y: (x * y, x + y), argnums=(0, 1))
    np.testing.assert_allclose(both(X, 2.0 * X), np.sum(2.0 * X) + len(X), rtol=1e-12)


def test_hessian_trace_is_the_trace_of_the_hessian():
    np.testing.assert_allclose(wengert.hessian_trace(convex)(X), np.trace(wengert.hessian(convex)(X)), rtol=1e-12)
    tree = lambda p: wnp.sum(p["w"] ** 3) * p["s"]  # noqa: E731
    point = {"w": np.array([1.0, 2.0]), "s": np.float64(3.0)}
    np.testing.assert_allclose(wengert.hessian_trace(tree)(point), 6.0 * 3.0 * 3.0, rtol=1e-12)


@pytest.mark.parametrize("method", ["hutchinson", "hutchpp", "na_hutchpp", "xtrace"])
def test_an_estimated_divergence_equals_the_estimator_on_the_jacobian_with_the_same_seed(method):
    estimate = wengert.divergence(mlp_field, method=method, num_matvecs=9, seed=4)(X)
    on_matrix = getattr(te, method)(wengert.jacfwd(mlp_field)(X), 9, seed=4)
    assert isinstance(estimate, te.Estimate) and estimate.num_matvecs == on_matrix.num_matvecs
    np.testing.assert_allclose(
        [float(estimate), float(estimate.stderr)], [float(on_matrix), float(on_matrix.stderr)], rtol=1e-9
    )


@pytest.mark.parametrize("method", ESTIMATORS)
def test_an_estimated_hessian_trace_equals_the_estimator_on_the_hessian(method):
    estimate = wengert.hessian_trace(convex, method=method, num_matvecs=9, seed=4)(X)
    on_matrix = getattr(te, method)(wengert.hessian(convex)(X), 9, seed=4)
    np.testing.assert_allclose(float(estimate), float(on_matrix), rtol=1e-9)


@pytest.mark.parametrize(
    ("method", "passes"),
    [("exact", 1), ("hutchinson", 1), ("hutchpp", 2), ("na_hutchpp", 2), ("xtrace", 2)],
)
def test_the_products_are_batched_one_vmapped_pass_per_round_not_one_per_probe(method, passes):
    calls = []

    def field(x):
        calls.append(x.shape)
        return mlp_field(x)

    kwargs = {} if method == "exact" else {"num_matvecs": 9, "seed": 0}
    wengert.divergence(field, method=method, **kwargs)(X)
    assert len(calls) == passes  # na_hutchpp: one vmapped jvp for A R, A G and one vmapped vjp for Aᵀ S


@pytest.mark.parametrize("method", ["exact", *ESTIMATORS])
def test_divergence_runs_under_jit_and_vmap(method):
    kwargs = {} if method == "exact" else {"num_matvecs": 9, "seed": 1}
    fun = (
        wengert.hessian_trace(convex, method=method, **kwargs)
        if method == "xnystrace"
        else wengert.divergence(mlp_field, method=method, **kwargs)
    )
    value = lambda x: fun(x) if method == "exact" else fun(x).estimate  # noqa: E731
    np.testing.assert_allclose(wengert.jit(value)(X), value(X), rtol=1e-10)
    batch = np.stack([X, -X, 0.5 * X])
    np.testing.assert_allclose(wengert.vmap(value)(batch), [value(x) for x in batch], rtol=1e-10)


def test_divergence_differentiates_with_respect_to_the_fields_parameters():
    def trace_of(scale):
        return wengert.divergence(lambda x: scale * mlp_field(x), method="hutchpp", num_matvecs=9, seed=0)(X).estimate

    np.testing.assert_allclose(wengert.grad(trace_of)(2.0), trace_of(1.0), rtol=1e-9)
    exact_grad = wengert.grad(wengert.divergence(mlp_field))(X)
    step = 1e-6 * np.eye(D)
    numeric = [(wengert.divergence(mlp_field)(X + e) - wengert.divergence(mlp_field)(X - e)) / 2e-6 for e in step]
    np.testing.assert_allclose(exact_grad, numeric, rtol=1e-6, atol=1e-8)


def test_float32_stays_float32():
    x = X.astype(np.float32)
    assert wengert.divergence(mlp_field)(x).dtype == np.float32
    assert wengert.divergence(lambda v: v * v, method="hutchpp", num_matvecs=6, seed=0)(x).estimate.dtype == np.float32


def test_bad_input_says_what_was_wrong():
    with pytest.raises(ShapeError, match="3 x 4.*not square"):
        wengert.jacobian_trace(lambda x: x[:3])(np.ones(4))
    with pytest.raises(ShapeError, match="same structure and shapes.*jacobian_trace"):
        wengert.divergence(lambda x: wnp.ravel(x))(np.ones((2, 2)))
    with pytest.raises(ArgumentError, match="num_matvecs=2 is too small.*>= 3"):
        wengert.divergence(mlp_field, method="hutchpp", num_matvecs=2)(X)
    with pytest.raises(ArgumentError, match="needs a budget"):
        wengert.divergence(mlp_field, method="xtrace")
    with pytest.raises(ArgumentError, match="method='exact' uses n products"):
        wengert.divergence(mlp_field, num_matvecs=5)
    with pytest.raises(ArgumentError, match="not one of"):
        wengert.hessian_trace(convex, method="hutch++")
    with pytest.raises(DtypeError, match="floating-point"):
        wengert.divergence(lambda x: x * 2)(np.arange(3))


def test_the_divergence_benchmark_rows_compute_what_the_hand_written_ones_do():
    """wengert's rows of ``benchmarks/run.py --only divergence`` pass their checks against the hand-written rows
    (the peers' rows check themselves the same way when the benchmark runs; importing them here would cost seconds)."""
    import sys

    sys.path.insert(0, str(DOC.parent.parent / "benchmarks"))
    import divergence as section
    import harness

    x, params = section.divergence_problem(40)
    np.testing.assert_allclose(
        section.divergence_by_hand(x, *params), wengert.divergence(section.mlp_field(wnp))(x, *params)
    )
    no_peers = {"jax": None, "torch": None, "matfree": None}
    for column, implementations in section.divergence_implementations(no_peers, 40).items():
        steps, problems = harness.checked_steps(implementations, column)
        assert [(name, repr(error)) for name, _, error in problems] == []
        assert set(steps) == {"numpy (by hand)", "wengert", "wengert (jit)"}
