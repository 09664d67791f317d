"""jit: staged once per signature, optimised, compiled to NumPy source, cached; composes with grad and jvp."""

import doctest
import importlib
import pathlib
import re

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import jit, trace
from wengert._src.compile import codegen, optimize
from wengert._src.transforms import checkpoint
from wengert._src.transforms import jit as jit_module
from wengert.errors import InPlaceError, LeakedTracerError, TracerError, TransformError

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "jit.md"


def loss(params, x):
    h = wnp.tanh(x @ params["w"] + params["b"])
    return wnp.sum(h**2) / x.shape[0]


@pytest.fixture
def params():
    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}


# --- values and derivatives ----------------------------------------------------------------------------
def test_jit_gives_the_eager_value_for_pytree_arguments_and_results(params):
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)

    def f(params, x):
        return {"loss": loss(params, x), "pair": (x * 2.0, params["b"])}

    got, want = jit(f)(params, x), f(params, x)
    assert got["loss"] == pytest.approx(want["loss"], rel=1e-14)
    np.testing.assert_array_equal(got["pair"][0], want["pair"][0])
    np.testing.assert_array_equal(got["pair"][1], want["pair"][1])


def test_jit_of_grad_and_grad_of_jit_equal_grad(params):
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    want = wengert.grad(loss)(params, x)
    for got in (jit(wengert.grad(loss))(params, x), wengert.grad(jit(loss))(params, x)):
        for key in params:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-13)


def _f(x):
    return wnp.sin(x) * wnp.exp(x / 3.0)


_second = wengert.grad(wengert.grad(_f))


@pytest.mark.parametrize(
    ("transformed", "eager"),
    [
        pytest.param(jit(wengert.grad(wengert.grad(_f))), _second, id="jit-grad-grad"),
        pytest.param(wengert.grad(jit(wengert.grad(_f))), _second, id="grad-jit-grad"),
        pytest.param(wengert.grad(wengert.grad(jit(_f))), _second, id="grad-grad-jit"),
        pytest.param(jit(lambda x: wengert.jvp(wengert.grad(_f), (x,), (1.0,))[1]), _second, id="jit-jvp-grad"),
        pytest.param(lambda x: wengert.jvp(jit(wengert.grad(_f)), (x,), (1.0,))[1], _second, id="jvp-jit-grad"),
        pytest.param(jit(jit(_f)), _f, id="jit-jit"),
    ],
)
def test_jit_nests_with_every_transform(transformed, eager):
    assert float(transformed(0.7)) == pytest.approx(float(eager(0.7)), rel=1e-13)


def test_a_jitted_function_closing_over_a_value_being_differentiated():
    x0 = np.array([0.5, -1.0])

    def outer(w):
        return wnp.sum(jit(lambda x: wnp.sin(x * w))(x0))

    np.testing.assert_allclose(wengert.grad(outer)(1.5), np.sum(x0 * np.cos(x0 * 1.5)), rtol=1e-14)


# --- the cache ----------------------------------------------------------------------------------------
def test_one_compilation_per_signature():
    f = jit(lambda x, y: x * y + 1.0)
    f(np.ones(3), np.ones(3))
    f(np.zeros(3), np.full(3, 2.0))
    assert f.cache_size() == 1
    f(np.ones(4), np.ones(4))
    f(np.ones(3, np.float32), np.ones(3, np.float32))
    f((np.ones(3)), np.ones(3).reshape(1, 3))
    assert f.cache_size() == 4
    f.clear_cache()
    assert f.cache_size() == 0


def test_static_arguments_steer_python_and_key_the_cache():
    def power(x, n, mode="sum"):
        y = x
        for _ in range(n - 1):
            y = y * x
        return wnp.sum(y) if mode == "sum" else y

    f = jit(power, static_argnums=1, static_argnames="mode")
    np.testing.assert_allclose(f(np.arange(3.0), 3), 9.0)
    np.testing.assert_allclose(f(np.arange(3.0), 2, mode="none"), [0.0, 1.0, 4.0])
    assert f.cache_size() == 2
    assert f.lower(np.arange(3.0), 4).count_ops()["multiply"] == 3


def test_an_unhashable_static_argument_is_refused_with_advice():
    f = jit(lambda x, shape: wnp.reshape(x, shape), static_argnums=1)
    with pytest.raises(TransformError, match="hashable"):
        f(np.ones(4), [2, 2])
    np.testing.assert_array_equal(f(np.ones(4), (2, 2)), np.ones((2, 2)))


def test_static_positions_and_names_the_function_does_not_have_are_refused():
    def power(x, n=2):
        return x**n

    with pytest.raises(TransformError, match=r"static_argnums=\(2,\) but power takes 2 positional arguments"):
        jit(power, static_argnums=2)
    with pytest.raises(TransformError, match=r"static_argnames=\('m',\).*parameters are \['n', 'x'\]"):
        jit(power, static_argnames="m")
    assert jit(lambda *xs: xs[0] * xs[1], static_argnums=1)(np.ones(2), 3)[0] == 3.0
    assert jit(power, static_argnums=-1)(np.ones(2), 3)[0] == 1.0


def test_a_leaf_that_is_not_an_array_must_be_static():
    with pytest.raises(TracerError, match="static_argnums"):
        jit(lambda x, name: x)(np.ones(2), "relu")


def test_python_numbers_are_arguments_like_arrays():
    f = jit(lambda x, a: x * a)
    np.testing.assert_array_equal(f(np.ones(2), 3.0), [3.0, 3.0])
    np.testing.assert_array_equal(f(np.ones(2), 4.0), [4.0, 4.0])
    assert f.cache_size() == 1


def test_decorator_forms_and_methods():
    @jit
    def double(x):
        return 2.0 * x

    @jit(static_argnums=(1,))
    def scale(x, k):
        return k * x

    class Model:
        def __init__(self, w):
            self.w = w

        @jit(static_argnums=0)
        def __call__(self, x):
            return x * self.w

    assert double(np.ones(1))[0] == 2.0 and scale(np.ones(1), 3)[0] == 3.0
    assert Model(2.0)(np.ones(2))[1] == 2.0
    assert double.__name__ == "jit(double)" and "1 compiled" in repr(double)


# --- value-dependent control flow -----------------------------------------------------------------------
def test_python_control_flow_on_a_staged_value_names_the_users_line_and_what_to_do():
    def relu_sum(x):
        if wnp.sum(x) > 0:  # the line the error must name
            return wnp.sum(x)
        return 0.0

    with pytest.raises(TracerError) as info:
        jit(relu_sum)(np.ones(3))
    message = str(info.value)
    line = relu_sum.__code__.co_firstlineno + 1
    assert re.search(rf"test_jit\.py:{line}\b", message), message
    for advice in ("static_argnums", "lax.cond", "while_loop", "scan", "where"):
        assert advice in message


def test_float_of_a_staged_value_is_refused_but_shapes_are_known():
    with pytest.raises(TracerError):
        jit(lambda x: float(x[0]))(np.ones(3))
    assert jit(lambda x: x.reshape(x.shape[0] // 2, 2))(np.ones(4)).shape == (2, 2)


# --- Python constructs that cannot be staged: a clear error, never a wrong program -------------------------
def _line_of(fun, offset: int) -> str:
    return rf"test_jit\.py:{fun.__code__.co_firstlineno + offset}\b"


def test_an_in_place_write_to_a_traced_array_is_refused_at_its_line():
    def f(x):
        x[0] = 5.0
        return x

    for transform in (jit, trace, wengert.grad):
        with pytest.raises(InPlaceError, match=_line_of(f, 1) + r".*\.at\[idx\]\.set"):
            transform(f)(np.ones(3))


@pytest.mark.parametrize("transform", [jit, trace], ids=["jit", "trace"])
def test_storing_a_traced_value_into_a_numpy_array_is_refused_at_its_line(transform):
    def f(x):
        y = np.zeros(3)
        y[0] = x[1]  # NumPy would store float(x[1]): the program would not depend on x
        return wnp.sum(y * x)

    with pytest.raises(ValueError) as info:  # NumPy raises ValueError from the InPlaceError it was given
        transform(f)(np.arange(3.0))
    assert isinstance(info.value.__cause__, InPlaceError)
    assert re.search(_line_of(f, 2) + r".*wnp\.at\(y\)\[idx\]\.set", str(info.value.__cause__))


def test_a_traced_index_into_a_numpy_array_is_not_mistaken_for_a_store():
    table = np.zeros(3)

    def f(x, i):
        table[i] = 1.0  # trace shows values to Python: the traced integer is an index, as it was eagerly
        return x * 2.0

    trace(f)(np.ones(2), np.int64(1))
    assert table.tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize(
    "fun",
    [lambda x: np.asarray(x) * 2.0, lambda x: np.array([x[0], x[1]]), lambda x: {x[0]: 1.0}],
    ids=["np.asarray", "np.array of tracers", "dict key"],
)
def test_reading_a_staged_value_as_numpy_or_a_key_is_refused(fun):
    with pytest.raises(TypeError, match=r"traced (value|arrays)"):
        jit(fun)(np.ones(3))


def test_iterating_over_a_traced_array_stages_one_slice_per_element():
    def f(x):
        total = 0.0
        for row in x:
            total = total + wnp.sum(row * row)
        return total

    compiled = jit(f)
    x = np.arange(6.0).reshape(3, 2)
    assert compiled(np.ones((3, 2))) == 6.0 and compiled(x) == f(x)


def test_a_traced_value_kept_in_a_closed_over_list_cannot_be_used_later():
    kept = []

    def f(x):
        kept.append(x)  # a Python side effect: it runs while staging, once per signature
        return x * 2.0

    compiled = jit(f)
    compiled(np.ones(2))
    compiled(np.ones(2))
    assert len(kept) == 1
    with pytest.raises(LeakedTracerError, match="after the transform"):
        kept[0] + 1.0


# --- optimisation, inspection, source -----------------------------------------------------------------
def test_lower_shows_the_optimised_program():
    table = np.arange(3.0)

    def f(x):
        unused = wnp.exp(x)  # dead code
        scale = table * 2.0 + 1.0  # constants only: folded
        a = wnp.sin(x) * 1.0  # identity
        b = wnp.sin(x)  # common subexpression of a
        del unused
        return a + b * scale

    program = jit(f).lower(np.ones(3))
    assert program.count_ops() == {"sin": 1, "multiply": 1, "add": 1}
    np.testing.assert_array_equal(program.consts[0], table * 2.0 + 1.0)


def test_negations_fold_into_subtractions_and_constant_factors():
    def f(x, y):
        a = wnp.sin(x)
        return x + (-a), y - (-a), (-a) * 2.0, (-y) + x

    x, y = np.linspace(0.1, 1.0, 4), np.linspace(-1.0, 1.0, 4)
    program = jit(f).lower(x, y)
    assert "neg" not in program.count_ops()
    assert program.count_ops() == {"sin": 1, "subtract": 2, "add": 1, "multiply": 1}
    assert any(getattr(a, "value", None) == -2.0 for e in program.equations for a in e.inputs)
    for got, want in zip(jit(f)(x, y), f(x, y)):
        np.testing.assert_array_equal(got, want)  # negation is exact: so is every rewrite here


def test_a_scalar_operation_on_a_broadcast_runs_on_the_small_array():
    def f(row, x):
        spread = wnp.broadcast_to(row, x.shape) * 2.0 - 1.0  # scaled and shifted on the row, then spread
        return spread * x

    row, x = np.linspace(0.1, 1.0, 5), np.linspace(-1.0, 1.0, 15).reshape(3, 5)
    program = jit(f).lower(row, x)
    assert program.count_ops() == {"multiply": 2, "subtract": 1}  # the broadcast is NumPy's own, in the last product
    assert [e.outputs[0].shape for e in program.equations] == [(5,), (5,), (3, 5)]
    np.testing.assert_array_equal(jit(f)(row, x), f(row, x))  # an elementwise operation commutes with it


def test_a_constant_factor_moves_onto_the_smaller_operand_once_the_product_is_read_once():
    def f(x, s):
        return s * (2.0 * wnp.exp(x))

    def g(x, s):  # the product 2 * exp(x) is read twice: it stays
        big = 2.0 * wnp.exp(x)
        return s * big + big

    x, s = np.linspace(0.0, 1.0, 200).reshape(50, 4), np.array([[1.0, -2.0, 0.5, 3.0]])
    scaled = [e for e in jit(f).lower(x, s).equations if any(getattr(a, "value", None) == 2.0 for a in e.inputs)]
    assert [e.outputs[0].shape for e in scaled] == [(1, 4)]
    np.testing.assert_allclose(jit(f)(x, s), f(x, s), rtol=1e-15)
    scaled = [e for e in jit(g).lower(x, s).equations if any(getattr(a, "value", None) == 2.0 for a in e.inputs)]
    assert [e.outputs[0].shape for e in scaled] == [(50, 4)]
    np.testing.assert_allclose(jit(g)(x, s), g(x, s), rtol=1e-15)


def test_source_fuses_elementwise_chains_without_touching_inputs():
    x = np.linspace(0.1, 1.0, 5)
    f = jit(lambda x: wnp.log(wnp.exp(x) + 1.0) * 3.0 - x)
    source = f.source(x)
    assert "out=" in source
    before = x.copy()
    np.testing.assert_allclose(f(x), np.log(np.exp(before) + 1.0) * 3.0 - before, rtol=1e-15)
    np.testing.assert_array_equal(x, before)


def test_jit_makemore_step_matches_eager():
    import sys

    sys.path.insert(0, str(DOC.parent.parent / "benchmarks"))
    import makemore_reference as reference

    params = reference.init_params()
    xb, yb = reference.random_batch(32)
    step = wengert.value_and_grad(reference.make_loss(wnp))
    compiled = jit(lambda p: step(p, xb, yb))
    (value, grads), (want_value, want_grads) = compiled(params), step(params, xb, yb)
    assert value == pytest.approx(want_value, rel=1e-13)
    for name in reference.PARAM_NAMES:
        np.testing.assert_allclose(grads[name], want_grads[name], rtol=1e-10, atol=1e-14)


# --- documentation --------------------------------------------------------------------------------------
def test_docs_examples_run():
    results = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 10 and results.failed == 0


@pytest.mark.parametrize(
    "module", [jit_module, optimize, codegen, checkpoint, "wengert.lax"], ids=lambda m: getattr(m, "__name__", m)
)
def test_module_examples_run(module):
    if isinstance(module, str):
        module = importlib.import_module(module)
    results = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0 and results.failed == 0
