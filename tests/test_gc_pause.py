"""The cyclic garbage collector is paused while a tape is recorded and replayed, then restored."""

import gc

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp


def test_collector_is_off_inside_grad_and_back_on_after():
    seen = []

    def f(x):
        seen.append(gc.isenabled())
        return wnp.sum(x**2)

    assert gc.isenabled()
    wengert.grad(f)(np.ones(3))
    assert seen == [False]
    assert gc.isenabled()


def test_collector_stays_off_when_the_user_turned_it_off():
    gc.disable()
    try:
        wengert.grad(lambda x: wnp.sin(x))(1.0)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_nested_transforms_restore_the_collector_once_outermost_returns():
    states = []

    def inner(x):
        states.append(gc.isenabled())
        return wnp.cos(x) * x

    def outer(x):
        value = wengert.grad(inner)(x)
        states.append(gc.isenabled())
        return value

    assert float(wengert.grad(outer)(0.3)) == pytest.approx(-2 * np.sin(0.3) - 0.3 * np.cos(0.3))
    assert states == [False, False]
    assert gc.isenabled()


def test_an_error_inside_the_function_restores_the_collector():
    def broken(x):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        wengert.grad(broken)(1.0)
    assert gc.isenabled()


def test_backward_of_a_returned_vjp_runs_with_the_collector_paused(monkeypatch):
    out, vjp_fn = wengert.vjp(wnp.exp, 0.0)
    assert gc.isenabled()
    pauses = []
    real_disable = gc.disable
    monkeypatch.setattr(gc, "disable", lambda: (pauses.append(True), real_disable()))

    (ct,) = vjp_fn(1.0)

    assert ct == pytest.approx(1.0)
    assert pauses == [True]
    assert gc.isenabled()
