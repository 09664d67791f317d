"""The benchmark's sections check what they time: every row computes what the hand-written reference does.

Each section of ``benchmarks/run.py`` checks every implementation's result
once before timing it and shows a row that disagrees as FAILED. These tests
run those same checks on tiny problems (no timing) and require every row to
pass: wengert's rows always, the peers' when they are installed. They also
hold the hand-written references (Jacobian, Hessian, HVP) to finite
differences, and show that a wrong row is caught.
"""

import os
import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

import harness  # noqa: E402
import jacobians  # noqa: E402
import makemore_reference as reference  # noqa: E402
import run as benchmark  # noqa: E402
import training_step  # noqa: E402


@pytest.fixture(scope="module")
def peers():
    """The installed peers, JAX on the CPU in float64 as the benchmark runs it; torch's threads left alone."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    found = {name: harness.import_peer(name) for name in ("autograd", "torch", "jax")}
    if found["jax"] is not None:
        found["jax"].config.update("jax_enable_x64", True)
    return found


def assert_every_row_passes(implementations, where: str) -> None:
    steps, problems = harness.checked_steps(implementations, where)
    assert [(name, where, repr(error)) for name, where, error in problems] == []
    assert set(steps) == {name for name, make in implementations if make is not None}


# --- makemore: the jitted rows -------------------------------------------------------------------


def makemore_rows(implementations, dtype=np.float64):
    params = reference.init_params(dtype)
    Xb, Yb = reference.random_batch(8)
    return benchmark.makemore_rows(implementations, params, Xb, Yb, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_makemore_jitted_step_gives_the_hand_written_gradients(dtype):
    assert_every_row_passes(makemore_rows([("wengert (jit)", benchmark.prepare_wengert_jit)], dtype), "batch 8")


def test_makemore_section_checks_every_installed_peer(peers):
    rows = makemore_rows(benchmark.makemore_implementations(peers))
    assert_every_row_passes(rows, "batch 8")


# --- Jacobians, Hessians, HVPs ------------------------------------------------------------------


@pytest.mark.parametrize(("n_in", "n_out"), [(7, 3), (3, 7)])
def test_jacobian_section_rows_agree_with_the_hand_written_jacobian(peers, n_in, n_out):
    x, B = jacobians.jacobian_problem(n_in, n_out)
    assert_every_row_passes(jacobians.jacobian_implementations(peers, x, B), f"{n_in}x{n_out}")


def test_hessian_section_rows_agree_with_the_hand_written_hessian_and_hvp(peers):
    by_column = jacobians.hessian_implementations(peers, *jacobians.hessian_problem(6))
    assert set(by_column) == {"hessian", "hvp"}
    for column, implementations in by_column.items():
        assert_every_row_passes(implementations, column)


def test_hand_written_jacobian_matches_central_differences():
    x, B = jacobians.jacobian_problem(5, 4)
    f = jacobians.tanh_layer(np)
    step = 1e-6
    columns = [(f(x + step * e, B) - f(x - step * e, B)) / (2 * step) for e in np.eye(x.size)]
    np.testing.assert_allclose(jacobians.jacobian_by_hand(x, B), np.stack(columns, axis=1), rtol=1e-7, atol=1e-9)


def test_hand_written_hessian_and_hvp_match_central_differences_of_the_gradient():
    x, v, A = jacobians.hessian_problem(6)

    def gradient(x):  # d/dx sum(tanh(A x)^2) = A^T (2 y (1 - y^2)), y = tanh(A x)
        y = np.tanh(A @ x)
        return A.T @ (2 * y * (1 - y**2))

    step = 1e-6
    numeric = np.stack([(gradient(x + step * e) - gradient(x - step * e)) / (2 * step) for e in np.eye(x.size)], 1)
    hessian = jacobians.hessian_by_hand(x, A)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-12)
    np.testing.assert_allclose(jacobians.hvp_by_hand(x, v, A), hessian @ v, rtol=1e-12, atol=1e-12)


# --- the training step ---------------------------------------------------------------------------


def training_rows(peers):
    Xb, Yb = reference.random_batch(8)
    return training_step.training_implementations(peers, Xb, Yb)


def test_training_section_rows_take_the_hand_written_sgd_step(peers):
    assert_every_row_passes(training_rows(peers), "batch 8")


def test_training_jitted_functional_step_takes_the_hand_written_sgd_step(peers):
    rows = [(name, make) for name, make in training_rows(peers) if name == "wengert (jit)"]
    assert len(rows) == 1
    assert_every_row_passes(rows, "batch 8")


def test_module_state_round_trips_to_the_reference_parameters():
    params = reference.init_params()
    state = training_step.to_module_state(params)
    assert state["2.weight"].shape == (reference.HIDDEN, reference.BLOCK_SIZE * reference.EMBED_DIM)
    assert state["3.weight"].shape == (reference.HIDDEN,)
    back = training_step.from_module_state(state)
    for name in reference.PARAM_NAMES:
        np.testing.assert_array_equal(back[name], params[name], err_msg=name)


# --- the harness ---------------------------------------------------------------------------------


def test_a_row_that_computes_something_else_is_reported_and_not_timed():
    want = np.arange(3.0)

    def check(result):
        harness.check_close("row", result, want, np.float64, 1.0)

    implementations = [
        ("right", lambda: ((lambda: want.copy()), check)),
        ("wrong", lambda: ((lambda: want + 1e-6), check)),
        ("missing peer", None),
    ]
    steps, problems = harness.checked_steps(implementations, "here")
    assert set(steps) == {"right"}
    [(name, where, error)] = problems
    assert (name, where, type(error)) == ("wrong", "here", harness.ResultMismatch)
    assert "relative error" in str(error)


def test_every_section_is_selectable_with_only():
    assert benchmark.SECTIONS == (
        "makemore",
        "chain",
        "jacobian",
        "hessian",
        "training",
        "divergence",
        "gp",
        "matmul",
        "elimination",
        "memory",
        "scalar",
        "rnn",
    )
    with pytest.raises(SystemExit):
        benchmark.main(["--only", "no-such-section"])


# --- gp: the Gaussian process likelihood ---------------------------------------------------------


def test_gp_section_checks_every_installed_peer(peers):
    import gaussian_process

    rows = gaussian_process.gp_implementations(peers, gaussian_process.THETA, *gaussian_process.gp_problem(40))
    assert_every_row_passes(rows, "N=40")


def test_gp_reference_gradient_matches_central_differences():
    import gaussian_process

    D, identity, y = gaussian_process.gp_problem(20)
    theta, h = gaussian_process.THETA, 1e-6
    _, gradient = gaussian_process.gp_by_hand(theta, D, identity, y)
    for k in range(3):
        step = h * np.eye(3)[k]
        up, down = (gaussian_process.gp_by_hand(theta + s, D, identity, y)[0] for s in (step, -step))
        assert abs((up - down) / (2 * h) - gradient[k]) < 1e-6 * max(1.0, abs(gradient[k]))


# --- matmul: derivatives through a matrix product ------------------------------------------------


def test_matmul_section_checks_every_installed_peer(peers):
    import matmul_hessian

    by_column = matmul_hessian.matmul_implementations(peers, *matmul_hessian.logistic_problem(7, 4))
    for column, implementations in by_column.items():
        assert_every_row_passes(implementations, column)


def test_matmul_references_match_central_differences():
    import matmul_hessian

    x, A = matmul_hessian.logistic_problem(7, 4)
    h, basis = 1e-5, np.eye(4)

    def gradient(x):
        return A.T @ (1.0 / (1.0 + np.exp(-(A @ x))))

    def layer(x):
        return np.log1p(np.exp(A @ x))

    hessian = np.stack([(gradient(x + h * e) - gradient(x - h * e)) / (2 * h) for e in basis], axis=1)
    jacobian = np.stack([(layer(x + h * e) - layer(x - h * e)) / (2 * h) for e in basis], axis=1)
    np.testing.assert_allclose(matmul_hessian.hessian_by_hand(x, A), hessian, atol=1e-8)
    np.testing.assert_allclose(matmul_hessian.jacobian_by_hand(x, A), jacobian, atol=1e-8)


# --- scalar: a program on 0-d values ------------------------------------------------------------


def test_scalar_section_checks_every_installed_peer(peers):
    import scalar_program

    by_column = scalar_program.scalar_implementations(peers, trajectories=2, steps=3)
    for column, implementations in by_column.items():
        assert_every_row_passes(implementations, column)


def test_scalar_reference_gradient_matches_central_differences():
    import math

    import scalar_program

    program, h = scalar_program.scalar_program(math, 2, 3), 1e-6
    gradient = scalar_program.gradient_by_hand(*scalar_program.INPUTS, 2, 3)
    for k in range(4):
        up, down = ([v + s * h * (i == k) for i, v in enumerate(scalar_program.INPUTS)] for s in (1, -1))
        assert abs((program(*up) - program(*down)) / (2 * h) - gradient[k]) < 1e-8


# --- rnn: a long tape ----------------------------------------------------------------------------


def test_rnn_section_checks_every_installed_peer(peers):
    import long_tape

    rows = long_tape.long_tape_implementations(peers, long_tape.rnn_problem(steps=6, batch=3, inputs=2, hidden=4))
    assert_every_row_passes(rows[long_tape.COLUMN], "rnn")


def test_rnn_reference_gradient_matches_central_differences():
    import long_tape

    params, xs, y = long_tape.rnn_problem(steps=5, batch=3, inputs=2, hidden=4)
    loss = long_tape.rnn_loss(np, xs, y)
    _, grads = long_tape.gradient_by_hand(params, xs, y)
    h = 1e-6
    for k, (p, g) in enumerate(zip(params, grads)):
        direction = np.random.default_rng(k).standard_normal(p.shape)
        up = [q + h * direction if i == k else q for i, q in enumerate(params)]
        down = [q - h * direction if i == k else q for i, q in enumerate(params)]
        np.testing.assert_allclose((loss(*up) - loss(*down)) / (2 * h), np.sum(g * direction), rtol=1e-6)
