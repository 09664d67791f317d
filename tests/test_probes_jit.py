"""Probes of jit and compiling: dtypes as without jit, results of their own, nothing that grows without bound.

Each test names one behaviour; each failed before the change that made it hold.
"""

import gc
import linecache
import tracemalloc
import weakref

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import lax

F32 = np.ones(3, np.float32)


def kinds(tree):
    """The type and dtype of every leaf: what must be the same with and without jit."""
    return [(type(leaf).__name__, str(getattr(leaf, "dtype", ""))) for leaf in wengert.tree_leaves(tree)]


def assert_same_as_eager(fun, *args):
    eager = fun(*args)
    jitted = wengert.jit(fun)
    assert kinds(jitted(*args)) == kinds(eager)
    assert kinds(jitted(*args)) == kinds(eager)  # the compiled signature, called again
    for a, b in zip(wengert.tree_leaves(jitted(*args)), wengert.tree_leaves(eager)):
        np.testing.assert_allclose(a, b)


# --- 1. a Python number argument promotes weakly, as without jit -------------------------------------------
def test_a_python_float_argument_keeps_a_float32_result():
    assert wengert.jit(lambda a, s: a * s)(F32, 2.0).dtype == np.float32


@pytest.mark.parametrize(
    "scalar",
    [2.0, 2, True, 2j, np.float64(2.0), np.float32(2.0), np.int64(2), np.array(2.0), np.array(2.0, np.float32)],
    ids=repr,
)
@pytest.mark.parametrize(
    "array",
    [F32, np.ones(3, np.float16), np.ones(3, np.int8), np.ones(3, bool), np.ones(3)],
    ids=lambda a: a.dtype.name,
)
def test_every_scalar_argument_promotes_as_numpy_does(array, scalar):
    assert_same_as_eager(lambda a, s: a * s + s, array, scalar)


@pytest.mark.parametrize("lr", [0.1, 1, np.float64(0.1)], ids=repr)
def test_a_jitted_sgd_step_with_momentum_keeps_the_parameters_dtype(lr):
    assert_same_as_eager(lambda w, g, m, lr, beta: w - lr * (beta * m + (1 - beta) * g), F32, F32, F32, lr, 0.9)


def test_python_arithmetic_on_python_number_arguments_gives_python_numbers():
    assert_same_as_eager(lambda s, n: (s * 2, s > 1, -s, abs(s), s**2, 1 / s, n // 2, n % 3, n**-1, s), 2.0, 3)


def test_a_numpy_function_of_a_python_number_argument_gives_a_numpy_value():
    assert_same_as_eager(lambda a, s: (a * wnp.sin(s), a * wnp.multiply(s, 2), wnp.sum(s) * a), F32, 2.0)


def test_numpy_functions_mixing_arrays_and_python_number_arguments_promote_weakly():
    assert_same_as_eager(
        lambda a, s: (wnp.where(a > 0, s, a), wnp.clip(a, 0, s), wnp.maximum(a, s), wnp.full_like(a, s)), F32, 2.0
    )


def test_python_numbers_in_pytrees_promote_weakly():
    assert_same_as_eager(
        lambda p, h: {k: v - h["lr"] * v for k, v in p.items()}, {"w": F32, "b": F32[:2]}, {"lr": 0.1}
    )


def test_a_python_number_after_an_int_and_a_numpy_scalar_compiles_its_own_signature():
    f = wengert.jit(lambda a, s: a * s)
    int8 = np.ones(3, np.int8)
    for s in (2.0, 2, np.float32(2.0), np.float64(2.0), 2.0, True):
        assert f(int8, s).dtype == (int8 * s).dtype
    assert f.cache_size() == 5


def test_jit_of_grad_value_and_grad_vmap_and_jvp_keep_dtypes():
    assert_same_as_eager(wengert.grad(lambda a, s: wnp.sum(a * s)), F32, 2.0)
    assert_same_as_eager(wengert.value_and_grad(lambda a, s: wnp.sum(a * (s * 0.5))), F32, 2.0)
    assert_same_as_eager(wengert.vmap(lambda a, s: a * (s + 1), in_axes=(0, None)), F32, 2.0)
    assert_same_as_eager(lambda a, s: wengert.jvp(lambda a: a * s, (a,), (a,)), F32, 2.0)


def test_a_differentiated_python_number_is_an_array_under_jit_as_without():
    assert_same_as_eager(wengert.grad(lambda s, a: wnp.sum(a * s)), 2.0, F32)
    assert_same_as_eager(lambda a, s: wengert.jvp(lambda s: a * s, (s,), (1.0,)), F32, 2.0)


def test_jit_within_jit_and_grad_of_jit_keep_weak_promotion():
    assert_same_as_eager(lambda a, s: wengert.jit(lambda a, s: a * (s * 2))(a, s), F32, 2.0)
    g = wengert.grad(wengert.jit(lambda a, s: wnp.sum(a * (s * 2))))
    assert g(F32, 2.0).dtype == np.float32
    np.testing.assert_allclose(g(F32, 2.0), 4.0)


def test_a_program_lowered_with_a_python_number_differentiates_in_that_number():
    program = wengert.jit(lambda a, s: wnp.sum(a * (s * s))).lower(F32, 2.0)
    assert float(wengert.grad(program, argnums=1)(F32, 2.0)) == pytest.approx(12.0)


def test_dividing_a_python_number_argument_by_zero_divides_as_numpy():
    with np.errstate(divide="ignore"):
        assert wengert.jit(lambda a, s: a * (s / 0.0))(F32, 2.0).tolist() == [np.inf] * 3


def test_scan_and_while_loop_over_python_number_arguments_run_as_without_jit():
    assert_same_as_eager(lambda a, s: lax.scan(lambda c, x: (c + x * s, c * s), a[0], a), F32, 2.0)
    assert_same_as_eager(
        lambda s: lax.while_loop(lambda c: c[1] > 1.0, lambda c: (c[0] + 1, c[1] / 2.0), (0, s)), 10.0
    )


def test_the_compiled_backward_pass_keeps_the_dtype_of_python_number_operands():
    f = wengert.value_and_grad(lambda a, s: wnp.sum(a * s * 0.5 + s))
    for _ in range(3):  # the second tape of this structure compiles its backward pass
        value, grad = f(F32, 2.0)
        assert value.dtype == np.float32 and grad.dtype == np.float32
        np.testing.assert_allclose(grad, 1.0)


# --- 2. each result an array of its own ------------------------------------------------------------------
@pytest.mark.parametrize(
    "fun",
    [
        lambda a: (a * 2, a * 2),
        lambda a: (a * 2,) * 2,
        lambda a: {"x": a * 2, "y": [a * 2]},
        lambda a: (a * 2, (a * 2).T),
        lambda a: (a * 2, (a * 2)[0]),
        lambda a: (a * 2, (a * 2).reshape(-1)),
    ],
)
def test_jit_returns_no_array_twice_nor_views_of_one_another(fun):
    x = np.ones((2, 3))
    outs = wengert.tree_leaves(wengert.jit(fun)(x))
    for i, first in enumerate(outs):
        for second in outs[i + 1 :]:
            assert not np.shares_memory(first, second)
    outs[0][...] = 7.0
    assert all((out == 2.0).all() for out in outs[1:])


@pytest.mark.parametrize("transform", [wengert.grad, wengert.value_and_grad])
def test_gradients_of_two_arguments_are_arrays_of_their_own(transform):
    f = transform(lambda x, y: wnp.sum(x + y), argnums=(0, 1))
    x = np.ones(3)
    for fun in (f, wengert.jit(f)):
        for args in ((x, x + 1.0), (x, x)):
            for _ in range(3):  # eager, then the compiled backward pass
                gx, gy = fun(*args)[-1] if transform is wengert.value_and_grad else fun(*args)
                assert not np.shares_memory(gx, gy)


# --- 3. compiling does not leak ----------------------------------------------------------------------------
def _jit_sources() -> int:
    return sum(name.startswith("<wengert.jit") for name in linecache.cache)


def test_a_freed_jitted_function_takes_its_sources_out_of_linecache():
    gc.collect()
    before = _jit_sources()
    f = wengert.jit(lambda x: wnp.tanh(x) * 2.0)
    for n in range(1, 21):
        f(np.ones(n))
    compiled = weakref.ref(f._cache[next(iter(f._cache))].function)
    assert _jit_sources() == before + 20
    del f
    gc.collect()
    assert compiled() is None
    assert _jit_sources() == before


def test_clear_cache_and_eviction_take_sources_out_of_linecache():
    gc.collect()
    before = _jit_sources()
    f = wengert.jit(lambda x: x + 1.0)
    for n in range(1, 300):
        f(np.ones(n))
    assert f.cache_size() == 256
    gc.collect()
    assert _jit_sources() == before + 256
    f.clear_cache()
    gc.collect()
    assert _jit_sources() == before


def test_a_training_loop_over_many_batch_shapes_keeps_linecache_bounded():
    gc.collect()
    loss = wengert.value_and_grad(lambda w, x: wnp.sum(wnp.tanh(x @ w) ** 2))
    w = np.ones((3, 2))
    for n in range(1, 151):
        for _ in range(2):  # the second tape of each shape compiles its backward pass
            loss(w, np.ones((n, 3)))
    gc.collect()
    assert _jit_sources() <= 64 + 256  # the compiled backward passes' cache, and any live jitted function's


# --- 4. work buffers kept for a few shapes only -------------------------------------------------------------
def test_a_jitted_function_keeps_work_buffers_for_a_few_shapes_only():
    f = wengert.jit(lambda x: wnp.sum(wnp.tanh(x * 2.0) * wnp.exp(x)))
    n = 200_000  # 1.6 MB a float64 array
    tracemalloc.start()
    try:
        for k in range(12):
            f(np.ones(n + k))
        held = tracemalloc.get_traced_memory()[0]
        f.clear_cache()
        gc.collect()
        released = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held - released < 6 * 8 * n * 2  # a few signatures' buffers, not twelve
    assert held - released > 8 * n  # (some are kept: the fast path)


def test_wnp_asarray_of_a_python_number_argument_is_a_float64_array_as_without_jit():
    x32 = np.ones(2, np.float32)
    eager = x32 * wnp.asarray(2.0)
    assert wengert.jit(lambda x, s: x * wnp.asarray(s))(x32, 2.0).dtype == eager.dtype == np.float64
    assert wengert.jit(lambda x, s: x * wnp.array(s, dtype=np.float32))(x32, 2.0).dtype == np.float32
