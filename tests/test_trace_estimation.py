"""wengert.trace_estimation: Hutchinson, Hutch++, NA-Hutch++, XTrace, XNysTrace and diagonals, from products."""

import doctest
import importlib.util
import pathlib

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import trace_estimation as te
from wengert.errors import ArgumentError, ShapeError

ROOT = pathlib.Path(__file__).resolve().parent.parent
TRACE_METHODS = ["hutchinson", "hutchpp", "na_hutchpp", "xtrace", "xnystrace"]


def decaying(n: int, c: float, seed: int = 0) -> np.ndarray:
    """``Q diag(i^-c) Qᵀ``: symmetric positive definite, its trace concentrated in a few eigenvalues."""
    Q = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]
    return (Q * np.arange(1, n + 1) ** -c) @ Q.T


A_PSD = decaying(60, 2.0)
A_GENERAL = np.random.default_rng(1).standard_normal((40, 40)) + np.diag(np.arange(40.0))


def estimator(name):
    return getattr(te, name)


def test_module_doctests_run():
    assert doctest.testmod(te, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


@pytest.mark.parametrize("name", TRACE_METHODS)
def test_each_estimator_finds_the_trace_of_a_decaying_spectrum(name):
    result = estimator(name)(A_PSD, 30, seed=0)
    assert abs(float(result) - np.trace(A_PSD)) / np.trace(A_PSD) < {"hutchinson": 0.2, "na_hutchpp": 0.1}.get(
        name, 0.02
    )
    assert result.method == name and np.isfinite(result.stderr) and result.stderr > 0


@pytest.mark.parametrize("name", ["hutchpp", "na_hutchpp", "xtrace"])
def test_sketching_estimators_are_exact_when_the_sketch_spans_the_range(name):
    low_rank = np.random.default_rng(2).standard_normal((30, 3)) @ np.random.default_rng(3).standard_normal((3, 30))
    np.testing.assert_allclose(float(estimator(name)(low_rank, 24, seed=0)), np.trace(low_rank), atol=1e-9)


def test_hutchinson_with_signs_is_exact_on_a_diagonal_matrix():
    assert float(te.hutchinson(np.diag(np.arange(5.0)), 1, seed=3)) == 10.0


@pytest.mark.parametrize("name", ["hutchinson", "hutchpp", "na_hutchpp", "xtrace"])
def test_estimators_of_a_general_square_matrix_are_unbiased(name):
    A = A_GENERAL[:12, :12]
    estimates = [float(estimator(name)(A, 6, seed=s)) for s in range(400)]
    mean, stderr = np.mean(estimates), np.std(estimates) / np.sqrt(len(estimates))
    assert abs(mean - np.trace(A)) < 4 * stderr


def test_xtrace_is_the_mean_of_its_leave_one_out_hutchpp_estimates():
    from wengert.trace_estimation._estimators import draw_probes

    n, k, A = 25, 5, A_GENERAL[:25, :25]
    for probes in ("rademacher", "sphere"):
        omega = draw_probes(np.random.default_rng(7), n, k, probes, np.float64)
        estimates = []
        for i in range(k):
            Q = np.linalg.qr(A @ np.delete(omega, i, axis=1))[0]
            u = omega[:, i] - Q @ (Q.T @ omega[:, i])
            scale = (n - k + 1) / (u @ u) if probes == "sphere" else 1.0
            estimates.append(np.trace(Q.T @ A @ Q) + scale * (u @ A @ u))
        result = te.xtrace(A, 2 * k, seed=7, probes=probes)
        np.testing.assert_allclose(float(result), np.mean(estimates), rtol=1e-10)
        np.testing.assert_allclose(result.stderr, np.std(estimates, ddof=1) / np.sqrt(k), rtol=1e-8)


def test_xnystrace_is_the_mean_of_its_leave_one_out_nystrom_estimates():
    from wengert.trace_estimation._estimators import draw_probes

    n, k = 25, 5
    A = A_GENERAL[:25, :25] @ A_GENERAL[:25, :25].T
    omega = draw_probes(np.random.default_rng(7), n, k, "gaussian", np.float64)
    estimates = []
    for i in range(k):
        others = np.delete(omega, i, axis=1)
        Y = A @ others
        nystrom = Y @ np.linalg.solve(others.T @ Y, Y.T)
        estimates.append(np.trace(nystrom) + omega[:, i] @ (A - nystrom) @ omega[:, i])
    np.testing.assert_allclose(float(te.xnystrace(A, k, seed=7, probes="gaussian")), np.mean(estimates), rtol=1e-8)


@pytest.mark.parametrize("name", TRACE_METHODS)
def test_a_seed_repeats_the_result_exactly_and_another_seed_differs(name):
    first, again = estimator(name)(A_PSD, 12, seed=5), estimator(name)(A_PSD, 12, seed=5)
    assert float(first) == float(again) and float(first.stderr) == float(again.stderr)
    assert float(estimator(name)(A_PSD, 12, seed=6)) != float(first)
    assert float(estimator(name)(A_PSD, 12, seed=np.random.default_rng(5))) == float(first)


def test_seed_none_draws_from_the_default_generator_that_manual_seed_seeds():
    wengert.manual_seed(4)
    first = float(te.hutchinson(A_PSD, 5))
    wengert.manual_seed(4)
    assert float(te.hutchinson(A_PSD, 5)) == first == float(te.hutchinson(A_PSD, 5, seed=4))


def test_a_larger_budget_extends_the_probes_of_a_smaller_one():
    from wengert.trace_estimation._estimators import draw_probes

    small = draw_probes(np.random.default_rng(0), 10, 3, "rademacher", np.float64)
    large = draw_probes(np.random.default_rng(0), 10, 8, "rademacher", np.float64)
    np.testing.assert_array_equal(small, large[:, :3])


@pytest.mark.parametrize("name", TRACE_METHODS)
def test_a_function_of_a_block_a_function_of_a_vector_and_the_array_agree(name):
    from_array = estimator(name)(A_PSD, 12, seed=1)
    block = estimator(name)(lambda V: A_PSD @ V, 12, n=60, seed=1)
    vector = estimator(name)(lambda v: wnp.dot(A_PSD, v), 12, n=60, seed=1, vectorized=False)
    np.testing.assert_allclose([float(block), float(vector)], float(from_array), rtol=1e-10)


@pytest.mark.parametrize(
    ("name", "budget", "used"),
    [("hutchinson", 7, 7), ("hutchpp", 10, 10), ("na_hutchpp", 10, 10), ("xtrace", 11, 10), ("xnystrace", 7, 7)],
)
def test_num_matvecs_counts_the_products_the_method_used(name, budget, used):
    products = []

    def counted(V):
        products.append(V.shape[1])
        return A_PSD @ V

    assert (
        estimator(name)(
            counted, budget, n=60, seed=0, **({"symmetric": True} if name == "na_hutchpp" else {})
        ).num_matvecs
        == used
    )
    assert sum(products) == used


def counting(A, blocks: list):
    """``V -> A @ V``, appending each block's number of probes to ``blocks``."""

    def counted(V):
        blocks.append(V.shape[1])
        return A @ V

    return counted


def test_hutchpp_multiplies_two_blocks_and_equals_the_textbook_projected_probes():
    blocks = []
    result = te.hutchpp(counting(A_GENERAL, blocks), 14, n=40, seed=3, probes="gaussian")
    assert blocks == [4 + 6, 4]  # A [S G], then A Q
    generator = np.random.default_rng(3)  # the probes as drawn: S, then G, one probe after another
    S, G = (generator.standard_normal((k, 40)).T for k in (4, 6))
    Q = np.linalg.qr(A_GENERAL @ S)[0]
    projected = G - Q @ (Q.T @ G)  # the paper's three rounds: A S, then A Q and A (I - QQᵀ) G
    want = np.trace(Q.T @ A_GENERAL @ Q) + np.mean(np.sum(projected * (A_GENERAL @ projected), 0))
    np.testing.assert_allclose(float(result), want, rtol=1e-12)


def test_deflated_diagonal_multiplies_two_blocks_the_second_by_the_transpose():
    blocks = []
    result = te.diagonal(counting(A_GENERAL, blocks), 15, n=40, seed=0, method="hutchpp")
    assert blocks == [5 + 5, 5]  # A [S G], then Aᵀ Q by reverse mode through counted (its forward pass: A Q)
    assert result.num_matvecs == 15 + 5
    np.testing.assert_allclose(result.estimate, te.diagonal(A_GENERAL, 15, seed=0, method="hutchpp").estimate)


def test_na_hutchpp_of_a_general_matrix_uses_the_transpose_of_the_array_or_of_the_function():
    from_array = te.na_hutchpp(A_GENERAL, 18, seed=2)
    from_function = te.na_hutchpp(lambda V: A_GENERAL @ V, 18, n=40, seed=2)
    np.testing.assert_allclose(float(from_function), float(from_array), rtol=1e-10)
    assert from_function.num_matvecs == 18 + 3  # Aᵀ S by reverse mode: its forward pass A S costs 3 more
    batch = np.stack([A_GENERAL, -A_GENERAL])
    mapped = wengert.vmap(lambda M: te.na_hutchpp(lambda V: M @ V, 18, n=40, seed=2).estimate)(batch)
    np.testing.assert_allclose(mapped, [float(from_array), -float(from_array)], rtol=1e-10)
    jitted = wengert.jit(lambda M: te.na_hutchpp(lambda V: M @ V, 18, n=40, seed=2).estimate)(A_GENERAL)
    np.testing.assert_allclose(jitted, float(from_array), rtol=1e-10)
    assert float(te.na_hutchpp(lambda V: A_GENERAL @ V, 18, n=40, seed=2, symmetric=True)) != float(from_array)


def test_diagonal_estimators_hutchinson_and_deflated():
    exact = np.diag(A_PSD)
    plain = te.diagonal(A_PSD, 60, seed=0)
    deflated = te.diagonal(A_PSD, 60, seed=0, method="hutchpp")
    assert plain.estimate.shape == plain.stderr.shape == (60,) and plain.num_matvecs == deflated.num_matvecs == 60
    assert np.abs(deflated.estimate - exact).max() < np.abs(plain.estimate - exact).max() / 10
    np.testing.assert_allclose(te.diagonal(np.diag([1.0, 2.0, 3.0]), 1, seed=0).estimate, [1.0, 2.0, 3.0])
    general = te.diagonal(lambda V: A_GENERAL @ V, 30, n=40, seed=0, method="hutchpp")
    np.testing.assert_allclose(general.estimate, te.diagonal(A_GENERAL, 30, seed=0, method="hutchpp").estimate)
    with pytest.raises(TypeError, match="only a trace"):
        float(plain)


@pytest.mark.parametrize("name", TRACE_METHODS)
def test_estimators_run_under_jit_and_vmap_and_return_the_estimate_whole(name):
    run = lambda A: estimator(name)(A, 12, seed=3)  # noqa: E731
    jitted = wengert.jit(run)(A_PSD)
    assert isinstance(jitted, te.Estimate) and jitted.num_matvecs == run(A_PSD).num_matvecs
    np.testing.assert_allclose(float(jitted), float(run(A_PSD)), rtol=1e-10)
    batch = np.stack([A_PSD, 2.0 * A_PSD])
    mapped = wengert.vmap(run)(batch)
    np.testing.assert_allclose(mapped.estimate, [float(run(a)) for a in batch], rtol=1e-10)


def test_an_estimate_differentiates_through_the_matrix():
    slope = wengert.grad(lambda s: te.hutchpp(s * A_PSD, 12, seed=0).estimate)(2.0)
    np.testing.assert_allclose(slope, float(te.hutchpp(A_PSD, 12, seed=0)), rtol=1e-8)


@pytest.mark.parametrize(("name", "budget", "minimum"), [("hutchpp", 2, 3), ("na_hutchpp", 2, 3), ("xtrace", 1, 2)])
def test_a_budget_too_small_for_the_method_is_refused(name, budget, minimum):
    with pytest.raises(ArgumentError, match=f"num_matvecs={budget} is too small.*>= {minimum}"):
        estimator(name)(A_PSD, budget)


def test_bad_inputs_say_what_was_wrong():
    with pytest.raises(ShapeError, match=r"returned shape \(60,\).*vectorized=False"):
        te.hutchinson(lambda V: A_PSD @ V[:, 0], 5, n=60)
    with pytest.raises(ShapeError, match=r"returned shape \(59, 10\)"):
        te.hutchpp(lambda V: (A_PSD @ V)[1:], 15, n=60)
    with pytest.raises(ShapeError, match="square"):
        te.hutchinson(np.ones((3, 4)), 5)
    with pytest.raises(ArgumentError, match="n="):
        te.xtrace(lambda V: V, 4)
    with pytest.raises(ArgumentError, match="probes='uniform'"):
        te.hutchinson(A_PSD, 4, probes="uniform")
    with pytest.raises(ArgumentError, match="more columns than rows"):
        te.hutchpp(np.eye(5), 30)
    with pytest.raises(ArgumentError, match="positive semi-definite"):
        te.xnystrace(-np.eye(10), 4, seed=0)
    with pytest.raises(ArgumentError, match="must be an int"):
        te.hutchinson(A_PSD, 4.0)


def _experiment():
    spec = importlib.util.spec_from_file_location("hutchpp_experiment", ROOT / "examples" / "hutchpp_experiment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hutchpp_paper_experiment_keeps_its_shape():
    """At c = 2, n = 1000 and 300 products Hutch++ is >= 10x more accurate than Hutchinson (about 700x
    measured, so 5 trials suffice); Hutchinson's median error falls like m^-1/2 (on a 150 x 150 matrix
    of the same family, with 250 trials per budget, so that the fitted slope is not at the mercy of noise)."""
    experiment = _experiment()
    at_300 = experiment.run(n=1000, decays=(2.0,), budgets=(300,), methods=("hutchinson", "hutchpp"), trials=5)
    ratio = np.median(at_300[2.0, "hutchinson", 300]) / np.median(at_300[2.0, "hutchpp", 300])
    assert ratio >= 10, ratio
    budgets = (10, 20, 40, 80, 160, 300)
    errors = experiment.run(n=150, decays=(2.0,), budgets=budgets, methods=("hutchinson",), trials=250)
    slope = experiment.loglog_slope(budgets, [np.median(errors[2.0, "hutchinson", b]) for b in budgets])
    assert -0.6 <= slope <= -0.4, slope
    assert "median [q1, q3]" in experiment.table(
        at_300, decays=(2.0,), budgets=(300,), methods=("hutchinson", "hutchpp")
    )


def test_the_probes_of_an_int_seed_are_kept_for_reuse_but_bounded():
    from wengert.trace_estimation import _estimators

    for n in range(10, 30):
        te.hutchinson(np.eye(n), 3, seed=0)
    assert _estimators._kept_blocks.cache_info().currsize <= 8
    before = _estimators._kept_blocks.cache_info()
    te.hutchinson(np.eye(29), 3, seed=0)
    assert _estimators._kept_blocks.cache_info().hits == before.hits + 1
    te.hutchinson(np.eye(700), 400, seed=0)  # 280,000 elements: drawn, not kept
    assert _estimators._kept_blocks.cache_info().misses == before.misses
