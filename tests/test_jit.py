"""jit: staged once per signature, optimised, compiled to NumPy source, cached; composes with grad and jvp."""

import doctest
import importlib
import pathlib
import re

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert._src.core import codegen
from wengert._src.transforms import checkpoint, optimize
from wengert._src.transforms import jit as jit_module
from wengert._src.transforms.jit import jit
from wengert._src.transforms.stage import trace
from wengert.errors import TracerError, TransformError

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
    assert f.lower(np.arange(3.0), 4).count_ops()["mul"] == 3


def test_an_unhashable_static_argument_is_refused_with_advice():
    f = jit(lambda x, shape: wnp.reshape(x, shape), static_argnums=1)
    with pytest.raises(TransformError, match="hashable"):
        f(np.ones(4), [2, 2])
    np.testing.assert_array_equal(f(np.ones(4), (2, 2)), np.ones((2, 2)))


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
    assert program.count_ops() == {"sin": 1, "mul": 1, "add": 1}
    np.testing.assert_array_equal(program.consts[0], table * 2.0 + 1.0)


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
def _with_public_names(monkeypatch):
    """The names docs/jit.md uses, as wengert exports them (set here if the package doesn't yet)."""
    import wengert.lax

    monkeypatch.setattr(wengert, "jit", jit, raising=False)
    monkeypatch.setattr(wengert, "checkpoint", checkpoint.checkpoint, raising=False)
    monkeypatch.setattr(wengert, "lax", wengert.lax, raising=False)
    monkeypatch.setattr(wengert, "trace", trace, raising=False)


def test_docs_examples_run(monkeypatch):
    _with_public_names(monkeypatch)
    results = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 10 and results.failed == 0


@pytest.mark.parametrize(
    "module", [jit_module, optimize, codegen, checkpoint, "wengert.lax"], ids=lambda m: getattr(m, "__name__", m)
)
def test_module_examples_run(module, monkeypatch):
    _with_public_names(monkeypatch)
    if isinstance(module, str):
        module = importlib.import_module(module)
    results = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0 and results.failed == 0
