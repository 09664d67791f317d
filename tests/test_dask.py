"""Transforms over Dask arrays (docs/dask.md): the same wengert calls, chunk by chunk on a cluster's workers.

One LocalCluster of two worker processes serves the module. Every result is held to the one-process
result on the NumPy arrays to 1e-12 (float64).
"""

from __future__ import annotations

import os
import pathlib
import runpy
import signal
import sys
import time

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
import wengert.scipy.special as wsp
from wengert.errors import TransformError

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
N, D = 1000, 4


@pytest.fixture(scope="module")
def client():
    source = str(pathlib.Path(wengert.__file__).resolve().parents[1])  # the workers import this wengert
    os.environ["PYTHONPATH"] = os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D))
    y = (rng.random(N) < 0.5).astype(float)
    labels = rng.integers(0, 3, N)
    return rng.standard_normal(D), X, y, labels


def chunked(array, rows=300):
    return da.from_array(array, chunks=(rows, *array.shape[1:]))


def mean_loss(w, X, y):
    z = X @ w
    return wnp.mean(wnp.logaddexp(0.0, z) - y * z) + 0.01 * wnp.sum(w**2)


def sum_loss(w, X, y):
    z = X @ w
    return wnp.sum(wnp.logaddexp(0.0, z) - y * z) + 0.01 * wnp.sum(w**2)


def squared_error_by_len(w, X, y):
    return wnp.sum((X @ w - y) ** 2) / len(X)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("loss", [mean_loss, sum_loss, squared_error_by_len])
def test_value_and_grad_over_chunks_equals_one_process(client, data, loss):
    w, X, y, _ = data
    value, grad = wengert.value_and_grad(loss)(w, chunked(X), chunked(y))
    assert isinstance(value, da.Array) and isinstance(grad, da.Array)  # lazy until computed
    value, grad = dask.compute(value, grad)
    expected_value, expected_grad = wengert.value_and_grad(loss)(w, X, y)
    close(value, expected_value)
    close(grad, expected_grad)


def test_uneven_chunks_and_grad_of_the_data(client, data):
    w, X, y, _ = data
    Xd = da.from_array(X, chunks=((100, 450, 1, 449), (D,)))
    grads = wengert.grad(mean_loss, argnums=(0, 1))(w, Xd, chunked(y, 250))
    expected = wengert.grad(mean_loss, argnums=(0, 1))(w, X, y)
    assert grads[1].chunks[0] == (100, 450, 1, 449)
    for got, want in zip(dask.compute(*grads), expected):
        close(got, want)


def test_has_aux_sums_and_rows(client, data):
    w, X, y, _ = data

    def loss(w, X, y):
        z = X @ w
        return wnp.mean((z - y) ** 2), {"errors": wnp.sum(wnp.abs(z - y) > 1.0), "predictions": z}

    (value, aux), grad = wengert.value_and_grad(loss, has_aux=True)(w, chunked(X), chunked(y))
    (value0, aux0), grad0 = wengert.value_and_grad(loss, has_aux=True)(w, X, y)
    close(value.compute(), value0)
    close(grad.compute(), grad0)
    assert aux["errors"].compute() == aux0["errors"]
    close(aux["predictions"].compute(), aux0["predictions"])


def test_jvp_over_chunks(client, data):
    w, X, y, _ = data
    tangents = (np.ones(D), np.full((N, D), 0.5), np.zeros(N))
    out, tangent = wengert.jvp(mean_loss, (w, chunked(X), chunked(y)), tangents)
    out0, tangent0 = wengert.jvp(mean_loss, (w, X, y), tangents)
    close(out.compute(), out0)
    close(tangent.compute(), tangent0)


def test_jit_of_value_and_grad_and_of_per_example_outputs(client, data):
    w, X, _, labels = data
    W = np.random.default_rng(1).standard_normal((D, 3))

    def cross_entropy(W, X, labels):
        log_p = wsp.log_softmax(X @ W, axis=1)
        return -wnp.mean(wnp.take_along_axis(log_p, labels[:, None], axis=1)) + wnp.sum(W * W)

    value, grad = dask.compute(*wengert.jit(wengert.value_and_grad(cross_entropy))(W, chunked(X), chunked(labels)))
    value0, grad0 = wengert.value_and_grad(cross_entropy)(W, X, labels)
    close(value, value0)
    close(grad, grad0)
    predictions = wengert.jit(lambda w, X: wnp.tanh(X @ w))(w, chunked(X))
    assert predictions.chunks == ((300, 300, 300, 100),)
    close(predictions.compute(), np.tanh(X @ w))


@pytest.mark.parametrize(
    ("loss", "reason"),
    [
        (lambda w, X, y: wnp.log(wnp.sum(wnp.exp(X @ w))), "not linear in a sum over the examples"),
        (lambda w, X, y: wnp.max(X @ w), "other than by a sum or a mean"),
        (lambda w, X, y: wnp.sum((X - X.mean(0)) @ w), "combines a sum over the examples with single examples"),
        (lambda w, X, y: wnp.sum(X @ w) + wnp.mean(y), "neither a sum nor a mean"),
        (lambda w, X, y: wnp.sum(wnp.cumsum(X @ w)), "mixes different examples"),
        (lambda w, X, y: wnp.sum((X @ w) * wnp.arange(len(X))), "its rows differ"),
        (lambda w, X, y: wnp.sum(X[:10] @ w), "one entry per example"),
        (lambda w, X, y: wnp.sum(X @ w) if float(wnp.sum(y)) > 0 else 0.0, "depend on the values"),
    ],
)
def test_a_loss_that_is_not_a_sum_over_examples_is_refused(data, loss, reason):
    w, X, y, _ = data
    with pytest.raises(TransformError, match=reason):
        wengert.value_and_grad(loss)(w, chunked(X), chunked(y))


def _slow_rows(block):
    time.sleep(0.5)
    return block


def test_a_worker_killed_mid_computation_is_retried_and_the_result_unchanged(client, data):
    w, X, y, _ = data
    slow_X = chunked(X, 100).map_blocks(_slow_rows, dtype=X.dtype)
    value, grad = wengert.value_and_grad(mean_loss)(w, slow_X, chunked(y, 100))
    pids = client.run(os.getpid)
    futures = client.compute([value, grad])
    deadline = time.time() + 20
    while not any(client.processing().values()) and time.time() < deadline:
        time.sleep(0.05)
    busy = next(address for address, tasks in client.processing().items() if tasks)
    os.kill(client.run(os.getpid, workers=[busy])[busy], signal.SIGKILL)  # the process, not a polite close
    got_value, got_grad = client.gather(futures)
    assert client.run(os.getpid).get(busy) != pids[busy]  # the killed worker is gone (its nanny started another)
    expected_value, expected_grad = wengert.value_and_grad(mean_loss)(w, X, y)
    close(got_value, expected_value)
    close(got_grad, expected_grad)


@pytest.mark.parametrize(
    ("script", "flags"),
    [("dask_logistic_lbfgs.py", ["--iterations", "30"]), ("dask_sgd.py", ["--steps", "30", "--batch", "2000"])],
)
def test_examples_run_at_small_size_against_a_scheduler_address(client, tmp_path, capsys, script, flags, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    argv = [script, "--rows", "20000", "--chunk-rows", "5000", "--data-dir", str(tmp_path), "--scheduler"]
    monkeypatch.setattr(sys, "argv", [*argv, client.scheduler.address, *flags])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    fitted = np.array(lines[-2].split(":")[1].split(), float)
    true = np.array(lines[-1].split(":")[1].split(), float)
    assert np.max(np.abs(fitted - true)) < 0.2  # 20000 rows estimate the weights the data were drawn from


def test_other_transforms_compute_a_dask_array_into_memory_as_numpy_does():
    data = np.arange(4.0)
    square_sum = lambda x: wnp.sum(x**2)  # noqa: E731
    value, pull_back = wengert.vjp(square_sum, da.from_array(data, chunks=2))
    np.testing.assert_array_equal(pull_back(1.0)[0], 2 * data)
    np.testing.assert_array_equal(wengert.hessian(square_sum)(da.from_array(data, chunks=2)), 2 * np.eye(4))
