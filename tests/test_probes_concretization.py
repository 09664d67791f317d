"""Probes: turning a differentiated value into a Python number is an error, never a lost derivative.

``float(x)``, ``math.exp(x)``, ``x.item()`` ... on a traced float would hand back a plain number,
which every transform then treats as a constant: the derivative through it silently becomes zero.
Each probe is a way a user can write that; each must raise ``ConcretizationError`` naming the
user's line, under every transform that differentiates. The last probes are siblings found
on the way: values a NumPy-face constructor handed to plain NumPy (``wnp.full(3, x)``), and
containers of parameters that were not pytrees (``OrderedDict``).
"""

import math

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert.errors import ConcretizationError, TracerError

CONVERSIONS = {
    "float": lambda a: float(a),
    "int": lambda a: int(a),
    "complex": lambda a: complex(a).real,
    "item": lambda a: a.item(),
    "tolist": lambda a: a.tolist(),
    "np.float64": lambda a: np.float64(a),
    "np.float32": lambda a: np.float32(a),
    "math.exp": lambda a: math.exp(a),
    "math.sqrt": lambda a: math.sqrt(a),
    "math.fsum": lambda a: math.fsum([a, a]),
    "round via math.floor": lambda a: math.floor(a),
}

# every one-argument function of the math module that takes a float (they all call __float__)
MATH_FUNCTIONS = [
    name
    for name in ("acos", "asin", "atan", "cos", "sin", "tan", "cosh", "sinh", "tanh", "acosh", "asinh", "atanh",
                 "exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "erf", "erfc", "gamma",
                 "lgamma", "fabs", "ceil", "floor", "trunc", "degrees", "radians", "isfinite", "isnan")
    if hasattr(math, name)
]

DIFFERENTIATING = {
    "grad": lambda f, x: wengert.grad(f)(x),
    "value_and_grad": lambda f, x: wengert.value_and_grad(f)(x),
    "vjp": lambda f, x: wengert.vjp(f, x)[1](1.0),
    "jvp": lambda f, x: wengert.jvp(f, (x,), (1.0,)),
    "jacfwd": lambda f, x: wengert.jacfwd(f)(x),
    "jacrev": lambda f, x: wengert.jacrev(f)(x),
    "hessian": lambda f, x: wengert.hessian(f)(x),
    "linearize": lambda f, x: wengert.linearize(f, x),
    "grad of grad": lambda f, x: wengert.grad(wengert.grad(f))(x),
    "grad under jit": lambda f, x: wengert.jit(wengert.grad(f))(x),
}


@pytest.mark.parametrize("transform", DIFFERENTIATING)
@pytest.mark.parametrize("conversion", CONVERSIONS)
def test_converting_a_traced_float_to_a_number_raises(conversion, transform):
    convert = CONVERSIONS[conversion]
    with pytest.raises(TracerError):
        DIFFERENTIATING[transform](lambda a: convert(a) * a, 1.0)


@pytest.mark.parametrize("name", MATH_FUNCTIONS)
def test_every_math_function_of_a_traced_value_raises(name):
    function = getattr(math, name)
    refused = TypeError if name == "trunc" else ConcretizationError  # math.trunc asks for __trunc__ only
    with pytest.raises(refused):
        wengert.grad(lambda a: function(a) * a)(0.5)


def test_the_named_case_math_sin_no_longer_returns_a_wrong_gradient():
    with pytest.raises(ConcretizationError) as caught:
        wengert.grad(lambda a: math.sin(a) * a)(1.0)
    message = str(caught.value)
    assert "test_probes_concretization.py" in message  # the user's line
    assert "wnp.exp" in message and "stop_gradient" in message  # what to do instead


def test_the_error_names_the_conversion():
    with pytest.raises(ConcretizationError, match=r"\.item\(\)"):
        wengert.grad(lambda a: a.item() * a)(1.0)
    with pytest.raises(ConcretizationError, match=r"complex\(\)"):
        wengert.grad(lambda a: complex(a).real * a)(1.0)


def test_scipy_quad_of_a_traced_integrand_raises_instead_of_returning_zero():
    integrate = pytest.importorskip("scipy.integrate")
    with pytest.raises(ConcretizationError) as caught:
        wengert.grad(lambda a: integrate.quad(lambda t: np.exp(-a * t), 0, 1)[0])(1.0)
    assert "test_probes_concretization.py" in str(caught.value)  # the user's line, not SciPy's


def test_plain_numpy_on_a_traced_value_raises():
    with pytest.raises(TracerError):
        wengert.grad(lambda a: np.asarray(a) * a)(1.0)
    with pytest.raises(TracerError):
        wengert.grad(lambda a: np.array([a, a]).sum())(1.0)


def test_an_array_element_converted_to_a_number_raises():
    with pytest.raises(ConcretizationError):
        wengert.grad(lambda v: math.exp(v[0]) * v[1])(np.array([1.0, 2.0]))


def test_bool_and_comparisons_stay_allowed_in_eager_transforms():
    def relu_by_branch(x):
        return x if x > 0 else 0.0 * x

    assert wengert.grad(relu_by_branch)(2.0) == 1.0
    assert wengert.grad(relu_by_branch)(-2.0) == 0.0
    assert wengert.jvp(lambda x: x * 3 if bool(x < 5) else x, (1.0,), (1.0,))[1] == 3.0


def test_int_of_an_integer_traced_value_stays_allowed():
    def pick_the_largest(x):
        return x[int(wnp.argmax(x))] * 2

    np.testing.assert_array_equal(wengert.grad(pick_the_largest)(np.array([1.0, 3.0, 2.0])), [0.0, 2.0, 0.0])


def test_stop_gradient_then_float_drops_the_derivative_on_purpose():
    g = wengert.grad(lambda a: float(wengert.stop_gradient(a)) * a)(3.0)
    assert g == 3.0


def test_conversion_outside_any_transform_is_plain_numpy():
    assert float(wnp.sin(np.float64(1.0))) == math.sin(1.0)


def test_vmap_refuses_a_batched_value_as_a_number():
    with pytest.raises(TracerError):
        wengert.vmap(lambda x: float(x) * x)(np.array([1.0]))


def test_staging_refuses_a_traced_float_as_a_number():
    with pytest.raises(TracerError):
        wengert.jit(lambda x: math.exp(x) * x)(1.0)
    with pytest.raises(ConcretizationError):  # trace shows values, but a number would become a constant
        wengert.trace(lambda x: math.exp(x) * x)(1.0)


def test_storing_a_traced_value_into_a_numpy_array_still_says_so():
    def f(x):
        y = np.zeros(2)
        y[0] = x
        return wnp.sum(y)

    with pytest.raises(ValueError) as raised:  # NumPy re-raises the error of the conversion as its own
        wengert.grad(f)(1.0)
    assert isinstance(raised.value.__cause__, wengert.errors.InPlaceError)


def test_creation_functions_differentiate_the_values_they_fill_with():
    # they passed the traced value to plain NumPy (an error that blamed the user's wnp call)
    assert wengert.grad(lambda a: wnp.sum(wnp.full(3, a)))(1.0) == 3.0
    assert wengert.grad(lambda a: wnp.sum(wnp.full_like(np.ones(4), a)))(1.0) == 4.0
    assert np.isclose(wengert.grad(lambda a: wnp.sum(wnp.linspace(0.0, a, 5)))(1.0), 2.5)
    assert np.isclose(wengert.jvp(lambda a: wnp.linspace(a, 1.0, 3), (0.0,), (1.0,))[1][1], 0.5)


def test_ordered_and_default_dicts_are_containers_as_in_jax():
    # an OrderedDict was a leaf of dtype object: grad refused it with a message about dtypes
    from collections import OrderedDict, defaultdict

    grads = wengert.grad(lambda p: p["x"] * 3.0 + p["a"] * 2.0)(OrderedDict(x=1.0, a=1.0))
    assert isinstance(grads, OrderedDict) and list(grads) == ["x", "a"] and grads["x"] == 3.0
    params = defaultdict(list, b=1.0, a=2.0)
    grads = wengert.grad(lambda p: p["b"] * 3.0 + p["a"] ** 2)(params)
    assert isinstance(grads, defaultdict) and grads.default_factory is list and grads["a"] == 4.0
