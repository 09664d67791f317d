"""Specification of the teaching references ``wengert.scalar.Value`` and ``wengert.scalar.Dual``.

Both are held equal to the engine (``wengert.grad`` and ``wengert.jvp``) on a
set of scalar programs, reproduce the classic figures of the explanations of
backpropagation, follow the engine's conventions at kinks, and fail with
clear errors. The examples of docs/scalar.md and the module's doctests run here.
"""

import doctest
import math
import pathlib
import sys
import types

import numpy as np
import pytest

import wengert.numpy as wnp
import wengert.scalar
from wengert import grad, jvp
from wengert.errors import ArgumentError, DtypeError, MissingDependencyError, TransformError
from wengert.nn import functional
from wengert.scalar import Dual, Value, derivative

# The same program runs on the engine (with these functions) and on Value and
# Dual (with the functions of wengert.scalar, which take floats, Duals and Values).
ENGINE = types.SimpleNamespace(
    exp=wnp.exp,
    log=wnp.log,
    sin=wnp.sin,
    cos=wnp.cos,
    tan=wnp.tan,
    tanh=wnp.tanh,
    sqrt=wnp.sqrt,
    sigmoid=functional.sigmoid,
    relu=functional.relu,
)
SCALAR = wengert.scalar


def _newton_square_root(m, x):
    """Six Newton steps for √x: z ← (z + x/z) / 2; a loop, a division, x reused each step."""
    z = x
    for _ in range(6):
        z = 0.5 * (z + x / z)
    return z


def _horner_polynomial(m, x):
    """-(x³ - 2x² + x/2 + 3) by Horner's rule, in a loop."""
    p = 0.0
    for c in (1.0, -2.0, 0.5, 3.0):
        p = p * x + c
    return -p


def _reused_square(m, x):
    y = x * x
    return y * y + y * x - y


def _relu_abs_loop(m, x, y):
    total = 0
    for k in range(1, 5):
        total = total + m.relu(x - 0.5 * k) * abs(y - k)
    return total


PROGRAMS = {
    "classic_product": (lambda m, a, b: (a * b) * (b + 1), (2.0, 3.0)),
    "square_times_exp": (lambda m, x: x**2 * m.exp(x) + 3 * x, (1.0,)),
    "sigmoid_loss": (lambda m, w, x, b: (m.sigmoid(w * x + b) - 10) ** 2, (2.0, 1.0, 0.0)),
    "newton_square_root_loop": (_newton_square_root, (2.0,)),
    "horner_polynomial_loop": (_horner_polynomial, (1.3,)),
    "reused_value": (_reused_square, (1.5,)),
    "division": (lambda m, x, y: (x - y) / (x + y) + 1 / x - y / 4, (3.0, 2.0)),
    "powers": (lambda m, x, y: x**3.5 + 2**x + x**-2 + y**x - (x * y) ** 0.5, (1.3, 2.2)),
    "tanh_neuron": (lambda m, x1, x2, w1, w2, b: m.tanh(w1 * x1 + w2 * x2 + b), (2.0, 0.0, -3.0, 1.0, 6.88)),
    "log_sum_exp": (lambda m, x, y: m.log(m.exp(x) + m.exp(y)) - x * y, (0.3, -1.2)),
    "trigonometry": (lambda m, x, y: m.sin(x) * m.cos(y) + m.tan(x / 4) + m.sqrt(x * y), (1.1, 0.7)),
    "relu_abs_neg_loop": (lambda m, x, y: -_relu_abs_loop(m, x, y) + -x, (1.7, 2.6)),
}


def _engine(program, args):
    """The value and gradient of a program by the engine's reverse mode, and its JVPs along each axis."""
    f = lambda *a: program(ENGINE, *a)
    value = float(f(*args))
    gradient = [float(g) for g in grad(f, argnums=tuple(range(len(args))))(*args)]
    tangents = []
    for i in range(len(args)):
        basis = tuple(1.0 if j == i else 0.0 for j in range(len(args)))
        tangents.append(float(jvp(f, args, basis)[1]))
    return value, gradient, tangents


@pytest.mark.parametrize("name", PROGRAMS)
def test_value_equals_the_engine_reverse_mode(name):
    program, args = PROGRAMS[name]
    value, gradient, _ = _engine(program, args)
    inputs = [Value(a) for a in args]
    out = program(SCALAR, *inputs)
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert [x.grad for x in inputs] == pytest.approx(gradient, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", PROGRAMS)
def test_dual_equals_the_engine_forward_mode(name):
    program, args = PROGRAMS[name]
    value, _, tangents = _engine(program, args)
    for i in range(len(args)):
        out = program(SCALAR, *(Dual(a, 1.0 if j == i else 0.0) for j, a in enumerate(args)))
        assert out.real == pytest.approx(value, rel=1e-12, abs=1e-12)
        assert out.dual == pytest.approx(tangents[i], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", PROGRAMS)
def test_module_functions_on_floats_compute_the_program_value(name):
    program, args = PROGRAMS[name]
    out = program(SCALAR, *args)
    assert isinstance(out, float)
    assert out == pytest.approx(float(program(ENGINE, *args)), rel=1e-12, abs=1e-12)


# --- the classic figures ---------------------------------------------------------------------


def test_product_figure_de_da_12_and_de_db_14():
    a, b = Value(2.0), Value(3.0)
    e = (a * b) * (b + 1)
    e.backward()
    assert (e.data, a.grad, b.grad) == (24.0, 12.0, 14.0)
    assert derivative(lambda t: (t * 3.0) * (3.0 + 1), 2.0) == 12.0
    assert derivative(lambda t: (2.0 * t) * (t + 1), 3.0) == 14.0


def test_square_times_exp_figure_value_and_derivative():
    x = Value(1.0)
    y = x**2 * x.exp() + 3 * x
    y.backward()
    dual = (lambda t: t**2 * wengert.scalar.exp(t) + 3 * t)(Dual(1.0, 1.0))
    for value, slope in ((y.data, x.grad), (dual.real, dual.dual)):
        assert value == pytest.approx(5.718281828459045, abs=1e-12)
        assert slope == pytest.approx(11.154845485377136, abs=1e-12)


def _sigmoid_loss_spelled_out(w, x, b):
    """(σ(w·x + b) - 10)² with σ(t) = (1 + e^(-t))^-1 written out, as the classic text builds it."""
    return ((1 + (-1 * (w * x + b)).exp()) ** -1 - 10) ** 2


def test_sigmoid_loss_figure_is_reproduced_exactly_when_sigmoid_is_spelled_out():
    w, x, b = Value(2.0), Value(1.0), Value(0.0)
    _sigmoid_loss_spelled_out(w, x, b).backward()
    assert w.grad == -1.9149156216104704
    assert derivative(lambda t: _sigmoid_loss_spelled_out(t, 1.0, 0.0), 2.0) == -1.9149156216104704


def test_sigmoid_loss_figure_with_the_sigmoid_function():
    w, x, b = Value(2.0), Value(1.0), Value(0.0)
    loss = ((w * x + b).sigmoid() - 10) ** 2
    loss.backward()
    assert w.grad == pytest.approx(-1.9149156216104704, rel=1e-14)
    assert derivative(lambda t: (wengert.scalar.sigmoid(t * 1.0) - 10) ** 2, 2.0) == pytest.approx(
        -1.9149156216104704, rel=1e-14
    )


# --- conventions where a derivative does not exist, the same as the engine's ------------------

KINKS = {
    "relu_at_0": (lambda m, x: m.relu(x), 0.0, 0.0),
    "abs_at_0": (lambda m, x: abs(x), 0.0, 0.0),
    "sqrt_at_0": (lambda m, x: m.sqrt(x), 0.0, math.inf),
    "x_to_the_0_at_0": (lambda m, x: x**0, 0.0, 0.0),
    "x_to_the_half_at_0": (lambda m, x: x**0.5, 0.0, math.inf),
    "zero_to_the_y_in_y": (lambda m, y: 0.0**y, 2.0, 0.0),
    "negative_base_to_the_y_in_y": (lambda m, y: (-2.0) ** y, 2.0, math.nan),
}


@pytest.mark.parametrize("name", KINKS)
def test_value_and_dual_follow_the_engine_conventions_at_kinks(name):
    program, at, expected = KINKS[name]
    with np.errstate(all="ignore"):
        engine = float(grad(lambda t: program(ENGINE, t))(at))
    x = Value(at)
    program(SCALAR, x).backward()
    dual = derivative(lambda t: program(SCALAR, t), at)
    for slope in (engine, x.grad, dual):
        assert slope == pytest.approx(expected, nan_ok=True)


# --- Value ----------------------------------------------------------------------------------


def test_value_repr_shows_data_and_grad():
    assert repr(Value(2.5)) == "Value(data=2.5, grad=0.0)"


def test_topological_order_lists_each_value_once_after_its_inputs_and_the_value_itself_last():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    e = (a * b) * (b + 1)
    order = e.topological_order()
    assert order[-1] is e and len(order) == len({id(v) for v in order}) == 6
    position = {id(v): k for k, v in enumerate(order)}
    assert all(position[id(u)] < position[id(v)] for v in order for u in v.inputs)
    assert (e.op, a.op, a.inputs) == ("*", "", ())


def test_value_used_twice_gets_the_sum_of_both_paths():
    a = Value(3.0)
    b = a * a
    b.backward()
    assert a.grad == 6.0


def test_backward_again_accumulates_into_leaves_and_recomputes_intermediates():
    a = Value(2.0)
    h = a * a
    out = h + 1
    out.backward()
    out.backward()
    assert a.grad == 8.0
    assert h.grad == 1.0
    assert out.grad == 1.0


def test_backward_handles_graphs_deeper_than_the_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(3 * sys.getrecursionlimit()):
        y = y + x * 1e-3
    y.backward()
    assert x.grad == pytest.approx(1 + 3 * sys.getrecursionlimit() * 1e-3)


def test_value_to_a_value_power_differentiates_in_both():
    x, y = Value(2.0), Value(3.0)
    (x**y).backward()
    assert (x.grad, y.grad) == pytest.approx((12.0, 8.0 * math.log(2.0)))


def test_value_mixes_with_numpy_scalars_on_either_side():
    x = Value(3.0)
    out = np.float64(2.0) * x + x * np.float64(1.5)
    out.backward()
    assert isinstance(out, Value)
    assert x.grad == 3.5


def test_module_functions_return_values_for_values():
    x = Value(0.5)
    out = wengert.scalar.tanh(wengert.scalar.exp(x))
    out.backward()
    assert isinstance(out, Value)
    assert x.grad == pytest.approx((1 - math.tanh(math.exp(0.5)) ** 2) * math.exp(0.5))


def test_draw_shows_data_and_grad_of_every_node_and_each_operation():
    graphviz = pytest.importorskip("graphviz")
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    e = c * (b + 1)
    e.backward()
    picture = e.draw()
    assert isinstance(picture, graphviz.Digraph)
    source = picture.source
    for node in (a, b, c, e):
        assert f"data {node.data:.4g} | grad {node.grad:.4g}" in source
    assert '"{ a | data 2 | grad 12 }"' in source
    assert '"{ b | data 3 | grad 14 }"' in source
    assert source.count("shape=oval") == 3
    assert source.count("->") == 3 + 6


def test_draw_escapes_graphviz_record_characters_in_labels():
    pytest.importorskip("graphviz")
    assert r"\{w\|b\}" in Value(1.0, label="{w|b}").draw().source


def test_draw_without_graphviz_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(MissingDependencyError, match="pip install graphviz"):
        Value(1.0).draw()


# --- Dual ------------------------------------------------------------------------------------


def test_dual_arithmetic_with_plain_numbers_on_either_side():
    x = Dual(2.0, 1.0)
    assert (x + 3).dual == (3 + x).dual == 1.0
    assert (x - 3).real == -1.0 and (3 - x).dual == -1.0
    assert (3 * x).dual == (x * 3).dual == 3.0
    assert (x / 4).dual == 0.25
    assert (1 / x).dual == -0.25
    assert (x**3).dual == 12.0
    assert (2**x).dual == pytest.approx(4 * math.log(2))
    assert (-x).dual == -1.0 and (+x) is x
    assert abs(Dual(-2.0, 1.0)).dual == -1.0


def test_dual_times_dual_follows_epsilon_squared_is_zero():
    product = Dual(2.0, 3.0) * Dual(5.0, 7.0)
    assert (product.real, product.dual) == (10.0, 2.0 * 7.0 + 3.0 * 5.0)


def test_dual_to_a_dual_power_differentiates_in_both():
    out = Dual(2.0, 1.0) ** Dual(3.0, 1.0)
    assert (out.real, out.dual) == pytest.approx((8.0, 12.0 + 8.0 * math.log(2.0)))


def test_dual_comparisons_and_hash_look_at_the_real_part():
    x = Dual(1.0, 5.0)
    assert x == 1.0 and x == Dual(1.0, -3.0) and 1.0 == x
    assert x < 2 and x <= 1 and x > 0 and x >= Dual(1.0) and 2 > x
    assert hash(x) == hash(1.0)
    assert x != "1.0"


def test_derivative_follows_branches_on_the_value():
    f = lambda t: t * t if t > 0 else -t
    assert derivative(f, 2.0) == 4.0
    assert derivative(f, -2.0) == -1.0


def test_derivative_of_a_function_that_ignores_its_argument_is_zero():
    assert derivative(lambda t: 3.0, 1.0) == 0.0


def test_dual_str_and_repr():
    assert str(Dual(1.0, 2.0)) == "1.0 + 2.0ε"
    assert repr(Dual(1.0, 2.0)) == "Dual(real=1.0, dual=2.0)"
    assert repr(Dual(1.0)) == "Dual(real=1.0, dual=0.0)"


@pytest.mark.parametrize("name", ["exp", "log", "sin", "cos", "tan", "tanh", "sqrt"])
def test_module_functions_on_floats_match_math(name):
    assert getattr(wengert.scalar, name)(0.7) == getattr(math, name)(0.7)


@pytest.mark.parametrize("number", [Value, Dual, float])
def test_sigmoid_does_not_overflow(number):
    low, high = wengert.scalar.sigmoid(number(-1000.0)), wengert.scalar.sigmoid(number(1000.0))
    values = [getattr(v, "data", getattr(v, "real", v)) for v in (low, high)]
    assert values == [0.0, 1.0]


# --- errors ----------------------------------------------------------------------------------


def test_value_of_a_non_number_is_a_clear_error():
    with pytest.raises(DtypeError, match=r"Value\(data\) takes a real number; got 'x' \(str\)"):
        Value("x")


def test_a_dual_inside_a_dual_points_to_the_engine_for_higher_derivatives():
    with pytest.raises(DtypeError, match="Duals don't nest.*wengert.grad"):
        Dual(Dual(1.0, 1.0), 0.0)


def test_nested_derivative_calls_raise_instead_of_confusing_perturbations():
    with pytest.raises(TransformError, match="perturbation confusion.*wengert.grad"):
        derivative(lambda t: derivative(lambda s: s * t, 1.0), 2.0)


def test_derivative_can_be_called_again_after_a_nested_call_failed():
    with pytest.raises(TransformError):
        derivative(lambda t: derivative(lambda s: s, 1.0), 2.0)
    assert derivative(lambda t: t * t, 2.0) == 4.0


def test_derivative_of_a_function_returning_a_non_number_is_a_clear_error():
    with pytest.raises(DtypeError, match="f returned 'x' \\(str\\); it should return a Dual"):
        derivative(lambda t: "x", 1.0)


@pytest.mark.parametrize("number", [Value, Dual, float])
def test_logarithm_of_a_non_positive_number_is_an_argument_error(number):
    with pytest.raises(ArgumentError, match=r"log\(-1.0\) is not a real number"):
        wengert.scalar.log(number(-1.0))


@pytest.mark.parametrize("number", [Value, Dual])
def test_negative_base_to_a_fractional_power_is_an_argument_error(number):
    with pytest.raises(ArgumentError, match="a negative base needs an integer exponent"):
        number(-8.0) ** (1 / 3)


def test_module_functions_refuse_arrays_and_point_to_wengert_numpy():
    with pytest.raises(DtypeError, match="wengert.scalar.exp takes a float, a Dual or a Value.*wengert.numpy"):
        wengert.scalar.exp(np.ones(3))


@pytest.mark.parametrize("left, right", [(Value(1.0), Dual(1.0)), (Dual(1.0), Value(1.0)), (Value(1.0), "a")])
def test_mixing_value_with_dual_or_strings_is_a_type_error(left, right):
    with pytest.raises(TypeError, match="unsupported operand"):
        left + right


# --- documented examples ---------------------------------------------------------------------

SCALAR_DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "scalar.md"


def test_examples_in_the_scalar_document_run_as_written():
    results = doctest.testfile(
        str(SCALAR_DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert results.attempted > 0
    assert results.failed == 0


def test_docstring_examples_of_the_module_run_as_written():
    results = doctest.testmod(wengert.scalar, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert results.attempted > 0
    assert results.failed == 0
