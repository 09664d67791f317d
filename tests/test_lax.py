"""wengert.lax: cond, switch, while_loop, fori_loop, scan, eagerly and under jit, with derivatives."""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import jit, lax, vmap
from wengert.errors import TransformError


def piecewise(x):
    return lax.cond(x > 0, wnp.sin, lambda x: x**3, x)


def expected_piecewise(x):
    return (np.sin(x), np.cos(x), -np.sin(x)) if x > 0 else (x**3, 3 * x**2, 6 * x)


# --- cond / switch --------------------------------------------------------------------------------------
@pytest.mark.parametrize("x", [0.8, -0.8])
@pytest.mark.parametrize("wrap", [lambda f: f, jit], ids=["eager", "jit"])
def test_cond_value_and_derivatives_in_every_mode(x, wrap):
    value, first, second = expected_piecewise(x)
    assert wrap(piecewise)(x) == pytest.approx(value)
    assert wrap(wengert.grad(piecewise))(x) == pytest.approx(first)
    assert wengert.grad(wrap(piecewise))(x) == pytest.approx(first)
    assert wengert.jvp(wrap(piecewise), (x,), (1.0,))[1] == pytest.approx(first)
    assert wrap(wengert.grad(wengert.grad(piecewise)))(x) == pytest.approx(second)
    assert wengert.grad(wengert.grad(wrap(piecewise)))(x) == pytest.approx(second)


def test_staged_cond_runs_only_the_chosen_branch_and_reads_closures():
    w = np.array([2.0, 3.0])

    def f(x, w):
        return lax.cond(wnp.sum(x) > 0, lambda: {"out": x * w}, lambda: {"out": x + w})

    compiled = jit(wengert.grad(lambda x, w: wnp.sum(f(x, w)["out"] ** 2), argnums=(0, 1)))
    eager = wengert.grad(lambda x, w: wnp.sum(f(x, w)["out"] ** 2), argnums=(0, 1))
    for x in (np.ones(2), -np.ones(2)):
        for got, want in zip(compiled(x, w), eager(x, w)):
            np.testing.assert_allclose(got, want, rtol=1e-14)
    assert jit(f).lower(np.ones(2), w).count_ops()["cond"] == 1


def test_staged_branches_must_agree_in_structure_shape_and_dtype():
    with pytest.raises(TransformError, match="branch 1"):
        jit(lambda x: lax.cond(x[0] > 0, lambda: x, lambda: x[:1]))(np.ones(2))
    with pytest.raises(TransformError, match="scalar"):
        lax.cond(np.array([True, False]), lambda: 1.0, lambda: 2.0)


def test_switch_clamps_its_index_eagerly_and_under_jit():
    branches = [lambda x: x, lambda x: -x, lambda x: 10.0 * x]
    for index, want in [(-3, 1.0), (1, -1.0), (9, 10.0)]:
        assert lax.switch(index, branches, 1.0) == want
        assert jit(lambda i, x: lax.switch(i, branches, x))(np.int64(index), 1.0) == want


# --- while_loop / fori_loop ---------------------------------------------------------------------------
def halve_until_small(x):
    return lax.while_loop(lambda s: s[1] > 1.0, lambda s: (s[0] + 1, s[1] / 2.0), (0, x))


def test_while_loop_eager_and_staged_agree():
    for x in (10.0, 0.5, 1000.0):
        count, value = halve_until_small(x)
        staged_count, staged_value = jit(halve_until_small)(x)
        assert (int(staged_count), float(staged_value)) == (int(count), float(value))
    assert jit(halve_until_small).lower(10.0).count_ops()["while"] == 1


def test_while_loop_differentiates_eagerly_in_both_modes_and_forward_under_jit():
    def grow(x):
        return lax.while_loop(lambda s: s[1] < 10.0, lambda s: (s[0] + 1, s[1] * x), (0, x))[1]

    x = 1.5  # 1.5 ** 6 = 11.39: six factors, so the derivative is 6 x^5
    assert wengert.grad(grow)(x) == pytest.approx(6 * x**5)
    assert wengert.jvp(grow, (x,), (1.0,))[1] == pytest.approx(6 * x**5)
    assert wengert.jvp(jit(grow), (x,), (1.0,))[1] == pytest.approx(6 * x**5)
    with pytest.raises(TransformError, match="scan or fori_loop"):
        wengert.grad(jit(grow))(x)


def test_the_carry_must_keep_its_structure_shapes_and_dtypes():
    with pytest.raises(TransformError, match="carry leaf 0"):
        lax.while_loop(lambda c: c < 3.0, lambda c: wnp.astype(c + 1.0, np.float32), np.float64(0.0))
    with pytest.raises(TransformError, match="structure"):
        lax.scan(lambda c, x: ((c, c), x), 0.0, np.ones(2))


def test_fori_loop_with_known_bounds_is_a_scan_and_reverse_differentiable_under_jit():
    def poly(x):
        return lax.fori_loop(0, 3, lambda i, v: v * x + i, x)  # x^4 + x + 2

    assert jit(poly)(2.0) == pytest.approx(20.0)
    assert jit(wengert.grad(poly))(2.0) == pytest.approx(33.0)
    assert jit(lambda n, x: lax.fori_loop(0, n, lambda i, v: v * x, x))(np.int64(3), 2.0) == 16.0


# --- scan -----------------------------------------------------------------------------------------------
def python_scan(f, carry, xs, reverse=False):
    ys = []
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for i in order:
        carry, y = f(carry, xs[i])
        ys.append(y)
    return carry, np.array(ys[::-1] if reverse else ys)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_equals_a_python_loop(reverse):
    def step(c, x):
        return c * 0.5 + x, wnp.sin(c) * x

    xs = np.linspace(-1.0, 2.0, 5)
    want = python_scan(lambda c, x: (c * 0.5 + x, np.sin(c) * x), 0.3, xs, reverse)
    for run in (lax.scan, jit(lax.scan, static_argnums=(0, 3, 4))):
        carry, ys = run(step, 0.3, xs, None, reverse)
        assert carry == pytest.approx(want[0])
        np.testing.assert_allclose(ys, want[1], rtol=1e-14)


def test_scan_over_pytrees_with_gradients_eager_and_jitted():
    def rnn(params, xs):
        def step(h, x):
            h = wnp.tanh(params["w"] * h + params["u"] * x["a"] + x["b"])
            return h, {"h": h, "twice": 2.0 * h}

        h, ys = lax.scan(step, 0.0, xs)
        return h + wnp.sum(ys["h"]) + wnp.sum(ys["twice"])

    params = {"w": 0.8, "u": -0.4}
    xs = {"a": np.linspace(0.0, 1.0, 6), "b": np.linspace(1.0, -1.0, 6)}
    want = wengert.grad(rnn)(params, xs)
    for got in (jit(wengert.grad(rnn))(params, xs), wengert.grad(jit(rnn))(params, xs)):
        for key in params:
            assert got[key] == pytest.approx(want[key], rel=1e-13)
    eps = 1e-6
    numeric = (rnn({"w": 0.8 + eps, "u": -0.4}, xs) - rnn({"w": 0.8 - eps, "u": -0.4}, xs)) / (2 * eps)
    assert want["w"] == pytest.approx(numeric, rel=1e-7)


def test_scan_length_without_xs_and_empty_scans():
    carry, ys = lax.scan(lambda c, _: (c + 1.0, c), 0.0, None, length=4)
    assert carry == 4.0 and list(ys) == [0.0, 1.0, 2.0, 3.0]
    carry, ys = lax.scan(lambda c, x: (c + wnp.sum(x), {"y": c * x}), 1.0, np.zeros((0, 2)))
    assert carry == 1.0 and ys["y"].shape == (0, 2)
    with pytest.raises(TransformError, match="length"):
        lax.scan(lambda c, x: (c, x), 0.0, np.ones(3), length=4)


def test_scan_walks_its_slices_with_one_unstack():
    program = jit(lambda xs: lax.scan(lambda c, x: (c + x, None), 0.0, xs)[0]).lower(np.ones(50))
    assert program.count_ops()["unstack"] == 1
    gradient = jit(wengert.grad(lambda xs: lax.scan(lambda c, x: (c * x, None), 1.0, xs)[0]))
    np.testing.assert_allclose(gradient(np.full(4, 2.0)), np.full(4, 8.0))


# --- vmap ---------------------------------------------------------------------------------------------
def test_vmap_of_control_flow_equals_a_loop_over_examples():
    xs = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(vmap(piecewise)(xs), [piecewise(x) for x in xs])
    np.testing.assert_allclose(jit(vmap(piecewise))(xs), [piecewise(x) for x in xs])
    np.testing.assert_allclose(vmap(jit(piecewise))(xs), [piecewise(x) for x in xs])
    counts, values = vmap(halve_until_small)(np.array([10.0, 0.5, 1000.0]))
    assert list(counts) == [4, 0, 10]
    np.testing.assert_allclose(values, [0.625, 0.5, 1000.0 / 1024])
    rows = np.arange(6.0).reshape(2, 3)
    carry, ys = vmap(lambda x: lax.scan(lambda c, a: (c * a, c), 1.0, x))(rows)
    np.testing.assert_allclose(carry, [0.0, 60.0])
    np.testing.assert_allclose(ys, [[1.0, 0.0, 0.0], [1.0, 3.0, 12.0]])


def test_staged_cond_and_while_equations_batch():
    cond_program = jit(piecewise).lower(1.0)
    while_program = jit(halve_until_small).lower(10.0)
    xs = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(vmap(lambda x: cond_program.run_flat([x])[0])(xs), [piecewise(x) for x in xs])
    counts, _ = vmap(lambda x: tuple(while_program.run_flat([x])))(np.array([10.0, 3.0]))
    assert list(counts) == [4, 2]
