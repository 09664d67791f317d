"""Symbolic differentiation beside AD: SymPy expressions from the Wengert list, three ways, expression swell."""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert.errors import ArgumentError

sympy = pytest.importorskip("sympy")
from wengert import symbolic  # noqa: E402


def test_a_function_becomes_a_sympy_expression_of_its_parameters():
    function = symbolic.to_sympy(lambda x, y: wnp.exp(x * y) + 1.0, 0.5, 2.0)
    x, y = function.inputs
    assert sympy.simplify(function.outputs - (sympy.exp(x * y) + 1)) == 0


def test_an_array_function_becomes_an_array_of_expressions():
    function = symbolic.to_sympy(lambda v: wnp.sum(wnp.sin(v) ** 2), np.ones(3))
    (v,) = function.inputs
    assert v.shape == (3,)
    assert sympy.simplify(function.outputs - sum(sympy.sin(s) ** 2 for s in v)) == 0


def test_the_derivative_program_converts_and_equals_the_symbolic_derivative():
    def f(x):
        return wnp.tanh(x) * wnp.sin(x)

    program = wengert.trace(wengert.grad(f))(0.4)
    ad_derivative = symbolic.to_sympy(program, names=["x"]).outputs
    x = sympy.Symbol("x", real=True)
    assert sympy.simplify(ad_derivative - sympy.diff(sympy.tanh(x) * sympy.sin(x), x)) == 0


@pytest.mark.parametrize("name", symbolic.FAMILIES)
def test_symbolic_and_automatic_derivatives_agree_at_random_points(name):
    f = symbolic.family(name, 3)
    for point in np.random.default_rng(0).uniform(0.1, 0.9, size=3):
        ways = symbolic.three_ways(f, float(point))
        np.testing.assert_allclose(ways["symbolic"], ways["automatic"], rtol=1e-12)
        np.testing.assert_allclose(ways["numerical"], ways["automatic"], rtol=1e-6)


def test_three_ways_on_a_function_of_two_arrays():
    rng = np.random.default_rng(1)
    ways = symbolic.three_ways(lambda a, b: wnp.tanh(a @ b), rng.standard_normal((2, 3)), rng.standard_normal(3))
    assert ways["automatic"].shape == (2, 9)
    np.testing.assert_allclose(ways["symbolic"], ways["automatic"], rtol=1e-12)


@pytest.mark.parametrize("name", symbolic.FAMILIES)
def test_the_symbolic_derivative_swells_while_the_ad_program_grows_linearly(name):
    table = symbolic.expression_swell(name, depths=range(1, 7))
    symbolic_sizes, ad_sizes = np.array(table.column(1)), np.array(table.column(3))
    assert len(set(np.diff(ad_sizes[1:]))) == 1  # constant steps: linear
    assert np.all(np.diff(symbolic_sizes, n=2) > 0)  # growing steps: faster than linear
    assert symbolic_sizes[-1] > ad_sizes[-1]


def test_the_swell_table_prints_and_plots_on_a_log_scale():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    table = symbolic.expression_swell("logistic", depths=(1, 2, 3))
    assert "after CSE" in str(table) and len(str(table).splitlines()) == 5
    assert table.plot().get_yscale() == "log"


def test_a_primitive_without_a_sympy_form_is_refused_by_name():
    with pytest.raises(ArgumentError, match="cumsum"):
        symbolic.to_sympy(lambda v: wnp.cumsum(v), np.ones(3))


def test_an_unknown_family_is_refused():
    with pytest.raises(ArgumentError, match="not one of"):
        symbolic.family("fibonacci", 3)
