"""Specification of the errors a user can cause: each says what was wrong, where, and what to do.

Integer inputs, non-scalar losses, in-place writes, traced values handed to
plain NumPy, shape mismatches and tracers that outlive their transform each
raise their own class from ``wengert.errors`` with an actionable message.
"""

import inspect
import os

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import grad, jvp, vjp
from wengert.errors import (
    DtypeError,
    InPlaceError,
    LeakedTracerError,
    ShapeError,
    TracerError,
    TransformError,
    WengertError,
)

THIS_FILE = os.path.basename(__file__)


def _next_line() -> int:
    """The line number just after the caller's line: where the failing call is written."""
    return inspect.currentframe().f_back.f_lineno + 1


# --- dtypes ----------------------------------------------------------------------------------

NON_FLOAT_INPUTS = {"python int": 3, "int array": np.array([1, 2]), "bool": np.array(True)}


@pytest.mark.parametrize("kind", sorted(NON_FLOAT_INPUTS))
def test_grad_of_integer_or_boolean_input_raises_dtype_error(kind):
    with pytest.raises(DtypeError, match="float"):
        grad(lambda x: (x * 2.0).sum())(NON_FLOAT_INPUTS[kind])


@pytest.mark.parametrize("kind", sorted(NON_FLOAT_INPUTS))
def test_jvp_of_integer_or_boolean_input_raises_dtype_error(kind):
    value = NON_FLOAT_INPUTS[kind]
    with pytest.raises(DtypeError, match="float"):
        jvp(lambda x: x * 2.0, (value,), (np.ones(np.shape(value)),))


@pytest.mark.parametrize("kind", sorted(NON_FLOAT_INPUTS))
def test_vjp_of_integer_or_boolean_input_raises_dtype_error(kind):
    with pytest.raises(DtypeError, match="float"):
        vjp(lambda x: x * 2.0, NON_FLOAT_INPUTS[kind])


def test_dtype_error_message_tells_to_pass_floats():
    with pytest.raises(DtypeError, match=r"(?i)int.*pass floats"):
        grad(lambda x: x * x)(2)


# --- grad needs a scalar -----------------------------------------------------------------


def test_grad_of_non_scalar_output_suggests_sum_vjp_or_jacrev():
    with pytest.raises(TransformError) as info:
        grad(lambda x: x * x)(np.ones(3))
    message = str(info.value)
    assert "(3,)" in message
    for suggestion in ("sum", "vjp", "jacrev"):
        assert suggestion in message


def test_grad_of_tuple_output_raises_transform_error():
    with pytest.raises(TransformError, match="scalar"):
        grad(lambda x: (x, x))(1.0)


# --- in-place writes -----------------------------------------------------------------------


def test_item_assignment_on_traced_array_raises_in_place_error_pointing_to_at():
    def f(x):
        x[0] = 1.0
        return x.sum()

    with pytest.raises(InPlaceError, match=r"\.at\["):
        grad(f)(np.ones(3))


def test_item_assignment_under_jvp_raises_in_place_error():
    def f(x):
        x[1:] = 0.0
        return x

    with pytest.raises(InPlaceError):
        jvp(f, (np.ones(3),), (np.ones(3),))


def test_numpy_array_updated_in_place_with_traced_value_raises():
    def f(x):
        a = np.zeros(3)
        a += x
        return a.sum()

    with pytest.raises(InPlaceError):
        grad(f)(np.ones(3))


def test_numpy_ufunc_with_out_argument_and_traced_value_raises():
    def f(x):
        out = np.zeros(3)
        np.multiply(x, 2.0, out=out)
        return out.sum()

    with pytest.raises(InPlaceError):
        grad(f)(np.ones(3))


def test_functional_update_with_at_set_works_and_differentiates():
    def f(x):
        y = x.at[0].set(1.0)
        return (y * x).sum()

    x = np.array([2.0, 3.0, 4.0])
    # y = [1, x1, x2]: d/dx0 = 1, d/dx1 = 2 x1, d/dx2 = 2 x2
    np.testing.assert_allclose(grad(f)(x), [1.0, 6.0, 8.0])


def test_functional_update_with_traced_value_differentiates_into_the_value():
    def f(x, v):
        return (x.at[1].set(v * v) * np.array([1.0, 10.0, 100.0])).sum()

    gx, gv = grad(f, argnums=(0, 1))(np.ones(3), 3.0)
    np.testing.assert_allclose(gx, [1.0, 0.0, 100.0])
    assert gv == pytest.approx(60.0)


# --- traced values handed to plain NumPy ---------------------------------------------------


def test_traced_value_passed_to_plain_numpy_raises_tracer_error_naming_wengert_numpy():
    with pytest.raises(TracerError, match="wengert.numpy"):
        grad(lambda x: np.linalg.inv(x).sum())(np.eye(2))


def test_tracer_error_names_the_users_line():
    def f(x):
        return np.linalg.inv(x).sum()

    line = inspect.getsourcelines(f)[1] + 1
    with pytest.raises(TracerError) as info:
        grad(f)(np.eye(2))
    assert f"{THIS_FILE}:{line}" in str(info.value)


def test_numpy_ufunc_on_traced_value_is_routed_to_wengert_numpy():
    assert grad(lambda x: np.sin(x))(0.5) == pytest.approx(np.cos(0.5))
    assert jvp(lambda x: np.exp(x) * np.cos(x), (0.0,), (1.0,))[1] == pytest.approx(1.0)


def test_numpy_binary_ufunc_with_array_and_traced_value_is_differentiated():
    a = np.array([1.0, 2.0])
    np.testing.assert_allclose(grad(lambda x: np.multiply(a, x).sum())(np.ones(2)), a)


# --- shapes ----------------------------------------------------------------------------------


def _assert_names_op_shapes_and_line(error, op, shapes, line):
    message = str(error)
    assert op in message
    for shape in shapes:
        assert shape in message
    assert f"{THIS_FILE}:{line}" in message


def test_add_of_mismatched_shapes_raises_shape_error_naming_op_shapes_and_line():
    a, b = np.ones(3), np.ones(4)
    with pytest.raises(ShapeError) as info:
        line = _next_line()
        wnp.add(a, b)
    _assert_names_op_shapes_and_line(info.value, "add", ["(3,)", "(4,)"], line)


def test_add_of_mismatched_traced_shapes_raises_shape_error_naming_op_shapes_and_line():
    def f(x):
        return (x + np.ones(4)).sum()

    line = inspect.getsourcelines(f)[1] + 1
    with pytest.raises(ShapeError) as info:
        grad(f)(np.ones(3))
    _assert_names_op_shapes_and_line(info.value, "add", ["(3,)", "(4,)"], line)


def test_matmul_of_misaligned_matrices_raises_shape_error_naming_op_shapes_and_line():
    a, b = np.ones((2, 3)), np.ones((2, 3))
    with pytest.raises(ShapeError) as info:
        line = _next_line()
        wnp.matmul(a, b)
    _assert_names_op_shapes_and_line(info.value, "matmul", ["(2, 3)"], line)


def test_matmul_of_misaligned_traced_matrices_raises_shape_error_naming_op_shapes_and_line():
    def f(x):
        return (x @ np.ones((2, 3))).sum()

    line = inspect.getsourcelines(f)[1] + 1
    with pytest.raises(ShapeError) as info:
        grad(f)(np.ones((2, 3)))
    _assert_names_op_shapes_and_line(info.value, "matmul", ["(2, 3)"], line)


def test_shape_error_is_a_value_error_for_code_that_catches_numpy_errors():
    with pytest.raises(ValueError):
        wnp.multiply(np.ones(2), np.ones(5))


# --- leaked tracers ------------------------------------------------------------------------


def test_tracer_leaked_from_grad_raises_leaked_tracer_error_when_used():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * x

    grad(f)(2.0)
    with pytest.raises(LeakedTracerError, match="transform"):
        wnp.sin(leaked[0])


def test_tracer_leaked_from_jvp_raises_leaked_tracer_error_when_used():
    leaked = []

    def f(x):
        y = x * 2.0
        leaked.append(y)
        return y

    jvp(f, (1.0,), (1.0,))
    with pytest.raises(LeakedTracerError):
        leaked[0] + 1.0


@pytest.mark.parametrize("order", ["leaked * y", "y * leaked"])
def test_tracer_leaked_from_grad_raises_inside_a_later_transform(order):
    leaked = []

    def f(x):
        leaked.append(x)
        return x * x

    grad(f)(1.0)

    def g(y):
        return leaked[0] * y if order == "leaked * y" else y * leaked[0]

    with pytest.raises(LeakedTracerError):
        grad(g)(2.0)
    with pytest.raises(LeakedTracerError):
        jvp(g, (2.0,), (1.0,))


def test_tracer_leaked_from_inner_transform_raises_inside_outer_transform():
    leaked = []

    def inner(y):
        leaked.append(y)
        return y * y

    def outer(x):
        grad(inner)(x)
        return leaked[0] * x

    with pytest.raises(LeakedTracerError):
        grad(outer)(1.0)


# --- one family ------------------------------------------------------------------------------


def test_every_error_class_derives_from_wengert_error():
    for error in (DtypeError, InPlaceError, LeakedTracerError, ShapeError, TracerError, TransformError):
        assert issubclass(error, WengertError)
    assert wengert.WengertError is WengertError


def test_storing_a_traced_value_into_a_numpy_array_raises_instead_of_dropping_its_derivative():
    def f(x):
        y = np.zeros(3)
        y[0] = x[1]
        return wnp.sum(y * x)

    with pytest.raises(ValueError) as raised:
        wengert.grad(f)(np.arange(3.0))
    assert isinstance(raised.value.__cause__, InPlaceError)
    assert "wnp.at(y)[idx].set(value)" in str(raised.value.__cause__)
    assert "test_errors.py" in str(raised.value.__cause__)


def test_a_traced_value_as_a_dict_key_says_what_to_key_by_instead():
    with pytest.raises(TypeError, match=r"unhashable.*test_errors.py.*id\(x\)"):
        wengert.grad(lambda x: {x: 1.0}[x] * x)(1.0)
