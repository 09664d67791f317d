"""Specification of transforms in threads: each thread has its own trace stack.

Two threads differentiating different functions at the same time each get
their own right answers, and a transform active in one thread is invisible
to the other.
"""

import math
import threading

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert import grad, jvp
from wengert._src.core.primitive import trace_depth

ROUNDS = 200
TIMEOUT_S = 20


def _run_in_threads(*targets):
    """Run each target in its own thread; re-raise the first failure in the caller."""
    failures = []

    def guarded(target):
        try:
            target()
        except BaseException as error:  # handed back to the test thread below
            failures.append(error)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
        assert not thread.is_alive(), "a thread did not finish"
    if failures:
        raise failures[0]


def test_two_threads_differentiating_concurrently_each_get_correct_answers():
    barrier = threading.Barrier(2, timeout=TIMEOUT_S)

    def reverse_sin_worker():
        for k in range(ROUNDS):
            x = 0.01 * k
            barrier.wait()
            g = grad(lambda x: wnp.sin(x) * x)(x)
            assert g == pytest.approx(math.cos(x) * x + math.sin(x))

    def forward_exp_worker():
        for k in range(ROUNDS):
            x = np.array([0.02 * k, 1.0])
            barrier.wait()
            _, t = jvp(lambda x: wnp.exp(2.0 * x), (x,), (np.ones(2),))
            np.testing.assert_allclose(t, 2.0 * np.exp(2.0 * x))

    _run_in_threads(reverse_sin_worker, forward_exp_worker)


def test_nested_transforms_in_two_threads_do_not_mix_levels():
    barrier = threading.Barrier(2, timeout=TIMEOUT_S)

    def second_derivative_worker():
        for k in range(ROUNDS // 4):
            x = 0.1 * k
            barrier.wait()
            assert grad(grad(lambda x: x**4))(x) == pytest.approx(12 * x * x)

    def jvp_of_grad_worker():
        for k in range(ROUNDS // 4):
            x = 0.1 * k
            barrier.wait()
            assert jvp(grad(wnp.cos), (x,), (1.0,))[1] == pytest.approx(-math.cos(x))

    _run_in_threads(second_derivative_worker, jvp_of_grad_worker)


def test_trace_depth_in_one_thread_is_not_seen_by_the_other():
    inside = threading.Barrier(2, timeout=TIMEOUT_S)
    checked = threading.Barrier(2, timeout=TIMEOUT_S)
    depths = {}

    def transforming_thread():
        def f(x):
            depths["inside grad(grad)"] = trace_depth()
            inside.wait()  # the other thread looks now, while two levels are active here
            checked.wait()
            return x * x * x

        grad(grad(f))(1.0)

    def watching_thread():
        inside.wait()
        depths["other thread"] = trace_depth()
        checked.wait()

    _run_in_threads(transforming_thread, watching_thread)
    assert depths == {"inside grad(grad)": 2, "other thread": 0}
