"""The compiled backward pass of eager reverse mode (``_src/compile/compiled_backward.py``).

``grad`` / ``value_and_grad`` / ``vjp`` compile the backward pass of a tape whose
structure they see a second time. Through the public API nothing changes but
the speed: these tests hold the compiled pass to the eager one, bit for bit, on
new values of the same structure, and check when it is (and is not) used.
"""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert._src.compile import compiled_backward


@pytest.fixture(autouse=True)
def _empty_cache():
    compiled_backward.clear_cache()
    yield
    compiled_backward.clear_cache()


def _model_loss(params, X, Y):
    """A small makemore-style model: embedding gather, batch norm, tanh, log-softmax, picked labels."""
    n = X.shape[0]
    emb = params["C"][X].reshape(n, -1)
    h = emb @ params["W1"] + params["b1"]
    centered = h - wnp.mean(h, axis=0, keepdims=True)
    var = wnp.sum(centered**2, axis=0, keepdims=True) / (n - 1)
    h = wnp.tanh(params["gain"] * centered * (var + 1e-5) ** -0.5)
    logits = h @ params["W2"]
    shifted = logits - wnp.amax(logits, axis=1, keepdims=True)
    logprobs = shifted - wnp.log(wnp.sum(wnp.exp(shifted), axis=1, keepdims=True))
    return -wnp.mean(logprobs[wnp.arange(n), Y])


def _params(dtype, rng):
    shapes = {"C": (7, 3), "W1": (6, 5), "b1": (5,), "gain": (1, 5), "W2": (5, 7)}
    return {name: rng.standard_normal(shape).astype(dtype) for name, shape in shapes.items()}


def _batch(rng, n=6):
    return rng.integers(-7, 7, size=(n, 2)), rng.integers(0, 7, size=n)  # negative indices wrap, as in NumPy


def _eager(fun, *args):
    """``fun(*args)`` with the compiled passes forgotten first, so its backward pass runs eagerly."""
    compiled_backward.clear_cache()
    return fun(*args)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_recurring_tape_compiles_and_matches_the_eager_pass_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    params = _params(dtype, rng)
    step = wengert.value_and_grad(_model_loss)
    for _ in range(4):
        X, Y = _batch(rng)
        expected_value, expected = _eager(step, params, X, Y)
        step(params, X, Y)  # the second sighting compiles
        assert compiled_backward.cache_size() == 1
        value, grads = step(params, X, Y)
        assert value == expected_value
        for name in params:
            assert grads[name].dtype == dtype
            np.testing.assert_array_equal(grads[name], expected[name])


def test_new_indices_are_read_by_the_compiled_pass_not_baked_into_it():
    table = np.arange(12.0).reshape(4, 3)
    grad = wengert.grad(lambda t, rows, cols: wnp.sum(t[rows, cols] * t[rows, cols]) + wnp.sum(t[rows]))
    first_rows, first_cols = np.array([0, 1, 1]), np.array([2, 0, 0])
    grad(table, first_rows, first_cols)
    grad(table, first_rows, first_cols)
    assert compiled_backward.cache_size() == 1
    rows, cols = np.array([3, -1, 2]), np.array([-3, 1, 1])  # same shapes, new values
    expected = np.zeros_like(table)
    np.add.at(expected, (rows, cols), 2 * table[rows, cols])
    np.add.at(expected, rows, 1.0)
    np.testing.assert_allclose(grad(table, rows, cols), expected)
    assert compiled_backward.cache_size() == 1


def test_each_path_through_python_control_flow_has_its_own_structure():
    def f(x):
        if wnp.sum(x) > 0:
            return wnp.sum(x**3)
        return wnp.sum(wnp.sin(x))

    grad = wengert.grad(f)
    for _ in range(3):
        for x in (np.array([1.0, 2.0]), np.array([-1.0, -2.0])):
            expected = 3 * x**2 if x.sum() > 0 else np.cos(x)
            np.testing.assert_allclose(grad(x), expected)
    assert compiled_backward.cache_size() == 2


def test_new_shapes_are_a_new_structure():
    grad = wengert.grad(lambda x: wnp.sum(wnp.tanh(x)))
    for n in (2, 3, 2, 3, 2, 3):
        x = np.linspace(-1, 1, n)
        np.testing.assert_allclose(grad(x), 1 - np.tanh(x) ** 2)
    assert compiled_backward.cache_size() == 2


def test_the_gradients_returned_are_the_callers_own():
    y = np.array([1.0, 2.0, 3.0])
    grad_x = wengert.grad(lambda x, y: wnp.sum(x * y))  # the compiled pass would return y itself
    grad_twice = wengert.grad(lambda x: wnp.sum(2.0 * x))  # ... or a constant it keeps
    for _ in range(3):
        g = grad_x(np.zeros(3), y)
        g += 10.0
        h = grad_twice(np.zeros(3))
        h += 10.0
    assert compiled_backward.cache_size() == 2
    np.testing.assert_array_equal(y, [1.0, 2.0, 3.0])
    assert g.flags.writeable and h.flags.writeable
    np.testing.assert_array_equal(grad_x(np.zeros(3), y), y)
    np.testing.assert_array_equal(grad_twice(np.zeros(3)), [2.0, 2.0, 2.0])


def test_gradients_are_writable_arrays_eager_and_compiled():
    grad = wengert.grad(lambda x: wnp.sum(x))  # the eager pass ends in a read-only broadcast of the seed
    for _ in range(3):
        g = grad(np.zeros(4))
        g *= 2.0
        np.testing.assert_array_equal(g, 2.0)


def test_the_compiled_pass_holds_no_large_arrays():
    # Folding the unit seed could make a large constant (the gradient of sum(x / 3) is one), and a
    # scatter-add by a table of every position would hold one as large as an embedding table: the
    # program keeps small values (and tables the size of one axis) and computes the rest per call.
    x = np.linspace(-1.0, 1.0, 100_000)
    table, rows = np.ones((4096, 32)), np.array([[0, 4095], [7, -1]])
    calls = [
        (wengert.grad(lambda x: wnp.sum(x / 3.0)), (x,)),
        (wengert.grad(lambda x: -wnp.sum(wnp.tanh(x))), (x,)),
        (wengert.grad(lambda t, r: wnp.sum(wnp.sin(t[r]))), (table, rows)),
        (wengert.grad(lambda t, r: wnp.sum(wnp.sin(t[:, r[0]]))), (table.T.copy(), rows)),
    ]
    for grad, args in calls:
        for _ in range(3):
            grad(*args)
    assert compiled_backward.cache_size() == len(calls)
    for _, compiled in compiled_backward._compiled.values():
        held = [v for v in compiled.function.__globals__.values() if isinstance(v, np.ndarray)]
        assert all(v.nbytes < 1 << 16 for v in held)
    np.testing.assert_allclose(calls[0][0](x), np.full_like(x, 1 / 3))
    want = np.zeros_like(table)
    np.add.at(want, rows, np.cos(table[rows]))
    np.testing.assert_allclose(calls[2][0](table, rows), want)


def test_vjp_cotangents_are_operands_of_the_compiled_pass():
    x = np.array([0.5, -1.0, 2.0])
    _, pullback = wengert.vjp(lambda x: wnp.exp(x) * x, x)
    for scale in (1.0, 2.0, -3.0, 0.5):
        (ct,) = pullback(scale * np.ones(3))
        np.testing.assert_allclose(ct, scale * (np.exp(x) * x + np.exp(x)))
    assert compiled_backward.cache_size() == 1


def test_grad_of_grad_compiles_the_outer_tape_only():
    # The inner tape holds the outer one's tracers and runs eagerly; the outer tape (which
    # recorded the inner backward pass as ordinary operations) holds plain arrays and compiles.
    second = wengert.grad(wengert.grad(lambda x: wnp.sum(x**4)))
    for x in (1.5, -0.5, 2.0):
        np.testing.assert_allclose(second(np.array(x)), 12 * x**2)
    assert compiled_backward.cache_size() == 1


def test_tapes_with_masks_or_custom_rules_run_eagerly():
    @wengert.custom_vjp
    def clipped(x):
        return wnp.clip(x, -1.0, 1.0)

    clipped.defvjp(lambda x: (clipped(x), None), lambda _, g: (g,))  # straight-through
    masked = wengert.grad(lambda x: wnp.sum(x[x > 0] ** 2))  # the mask's values set the shapes
    custom = wengert.grad(lambda x: wnp.sum(clipped(x) * x))  # the rule is a Python function
    for x in ([-2.0, 0.5, 3.0], [2.0, 0.5, -3.0], [1.0, 2.0, 3.0]):
        x = np.array(x)
        np.testing.assert_allclose(masked(x), np.where(x > 0, 2 * x, 0.0))
        np.testing.assert_allclose(custom(x), np.clip(x, -1, 1) + x)
    assert compiled_backward.cache_size() == 0


def test_threads_share_the_compiled_passes_safely():
    from concurrent.futures import ThreadPoolExecutor

    grad = wengert.grad(lambda x, w: wnp.sum(wnp.tanh(x @ w) ** 2), argnums=1)

    def work(seed):
        rng = np.random.default_rng(seed)
        w = rng.standard_normal((3, 2))
        for n in (4, 5) * 20:
            x = rng.standard_normal((n, 3))
            t = np.tanh(x @ w)
            np.testing.assert_allclose(grad(x, w), 2 * x.T @ (t * (1 - t**2)))
        return True

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, range(8)))
    assert compiled_backward.cache_size() == 2


def test_long_tapes_run_eagerly():
    def f(x):
        for _ in range(600):  # 1,200 operations: past the limit
            x = wnp.sin(x) * 1.0001
        return wnp.sum(x)

    grad = wengert.grad(f)
    for _ in range(3):
        grad(np.ones(2))
    assert compiled_backward.cache_size() == 0


def _compiled_and_eager(grad, *args):
    """``grad(*args)`` by the compiled pass (compiled from this very call's structure), and by the eager one."""
    compiled_backward.clear_cache()
    eager = grad(*args)
    grad(*args)
    compiled = grad(*args)
    assert compiled_backward.cache_size() == 1
    return compiled, eager


def _assert_same_bits(compiled, eager):
    assert compiled.dtype == eager.dtype
    np.testing.assert_array_equal(compiled, eager)
    np.testing.assert_array_equal(np.signbit(compiled), np.signbit(eager))


def test_a_gather_whose_index_take_cannot_express_runs_eagerly():
    """Index arrays that are not on the leading axes (``x[:, i, j]``) have no form ``take`` reads as
    operands: the structure stays eager, with the eager pass's gradient."""
    x = np.arange(24.0).reshape(2, 3, 4)
    grad = wengert.grad(lambda x, i, j: wnp.sum(x[:, i, j] ** 2))
    i, j = np.array([0, 2, 2]), np.array([1, 3, 3])
    expected = np.zeros_like(x)
    np.add.at(expected, (slice(None), i, j), 2 * x[:, i, j])
    for _ in range(3):
        np.testing.assert_array_equal(grad(x, i, j), expected)
    assert compiled_backward.cache_size() == 0


def test_a_boolean_index_is_not_an_integer_one():
    # x[True] adds an axis where x[1] picks an element, though True == 1 and hash(True) == hash(1)
    x, w = np.array([1.0, 2.0, 3.0]), np.array([1.0, 10.0, 100.0])
    picked = wengert.grad(lambda x, i: wnp.sum(x[i] * x))
    written = wengert.grad(lambda x, i: wnp.sum(x.at[i].set(x[0] * 5.0) * w))
    for _ in range(3):  # index 1 compiles
        np.testing.assert_array_equal(picked(x, 1), [2.0, 8.0, 2.0])  # x_1 sum(x)
        np.testing.assert_array_equal(written(x, 1), [51.0, 0.0, 100.0])  # x_0 + 50 x_0 + 100 x_2
    np.testing.assert_array_equal(picked(x, True), 2 * x)  # x[True] * x is x * x, with an axis
    np.testing.assert_array_equal(written(x, True), [555.0, 0.0, 0.0])  # every element set to 5 x_0


def test_small_integer_index_dtypes_do_not_overflow_in_the_flattened_index():
    x = np.zeros((100, 100))
    for dtype in (np.uint8, np.int8, np.int16):
        rows = cols = np.array([99 if dtype != np.int8 else -1], dtype)
        grad = wengert.grad(lambda x, rows, cols: wnp.sum(x[rows, cols] * 3.0))
        compiled, eager = _compiled_and_eager(grad, x, rows, cols)
        assert np.argwhere(compiled).tolist() == [[99, 99]]
        _assert_same_bits(compiled, eager)


def test_a_rule_that_branches_on_a_scalar_constant_branches_the_same_way():
    # x ** y at y == 0 has derivative 0 * x (nan at inf and nan, -0 at negative x): the scalar is
    # held by value, not made an operand of the compiled pass (where the rule would take its general form)
    x = np.array([np.inf, -2.0, np.nan, 3.0])
    for exponent in (np.float64(0.0), np.array(0.0), np.float64(2.5)):
        grad = wengert.grad(lambda x, e=exponent: wnp.sum(x**e))
        with np.errstate(invalid="ignore"):
            _assert_same_bits(*_compiled_and_eager(grad, x))


def test_signed_zeros_come_out_as_the_eager_pass_makes_them():
    x = np.array([1.0, 2.0, 3.0])
    grad_scaled = wengert.grad(lambda x, s: wnp.sum(x * s))
    for _ in range(3):  # compiled for s = -0.0
        _assert_same_bits(grad_scaled(x, -0.0), np.full(3, -0.0))
    _assert_same_bits(grad_scaled(x, 0.0), np.zeros(3))  # equal to -0.0 as a number: keyed apart
    y = np.array([-0.0, 1.0, -0.0])
    grad_sum = wengert.grad(lambda x: wnp.sum(x * 0.0) + wnp.sum(x * y))  # the pass adds 0.0 to -0.0
    _assert_same_bits(*_compiled_and_eager(grad_sum, x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scatter_adds_of_repeated_indices_round_as_the_eager_pass(dtype):
    rng = np.random.default_rng(3)
    table = rng.standard_normal((6, 5)).astype(dtype)
    rows, cols = rng.integers(-6, 6, 200), rng.integers(0, 5, 200)
    weights = rng.standard_normal(200).astype(dtype)
    for loss in (
        lambda t: wnp.sum(t[rows, cols] * weights),
        lambda t: wnp.sum(wnp.ravel(t)[rows + 6] * weights),
        lambda t: wnp.sum(t[rows.astype(np.uint8) % 6] * weights[:, None]),
        lambda t: wnp.sum(t[2, cols] * weights),
    ):
        _assert_same_bits(*_compiled_and_eager(wengert.grad(loss), table))


def test_a_held_0d_array_is_the_value_it_was_keyed_by():
    exponent, x = np.array(2.0), np.array([1.0, 3.0])
    grad = wengert.grad(lambda x, e: wnp.sum(x**e))
    for _ in range(3):
        np.testing.assert_array_equal(grad(x, exponent), 2 * x)
    exponent[...] = 3.0  # the caller changes the array the compiled pass was keyed by
    np.testing.assert_array_equal(grad(x, np.array(2.0)), 2 * x)
    np.testing.assert_array_equal(grad(x, exponent), 3 * x**2)
