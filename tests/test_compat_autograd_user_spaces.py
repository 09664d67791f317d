"""Differentiating with respect to a value of a program's own vector space, as autograd's ``rkhs`` example does.

The program registers a ``Box`` subclass and a ``VSpace`` for its type (``autograd.extend``);
``grad`` hands the value to the function in its box, the primitives defined on the type
return cotangents of the type, and the gradient is their sum in the program's ``VSpace``.
"""

import numpy as np

import wengert.compat.autograd.numpy as anp
from wengert.compat.autograd import grad, make_vjp
from wengert.compat.autograd.extend import Box, VSpace, defvjp, primitive, vspace
from wengert.compat.autograd.tracer import getval, isbox


class Weights:
    """A sparse vector: a dict from key to coefficient, added and scaled through its own space."""

    def __init__(self, coefficients=None):
        self.coefficients = dict(coefficients or {})

    @primitive
    def __call__(self, key):
        return self.coefficients.get(key, 0.0)

    def __add__(self, other):
        return vspace(self).add(self, other)

    def __mul__(self, a):
        return vspace(self).scalar_mul(self, a)


defvjp(Weights.__call__, lambda ans, w, key: lambda g: Weights({key: g}))


class WeightsBox(Box, Weights):
    pass


WeightsBox.register(Weights)


class WeightsVSpace(VSpace):
    added: list = []

    def zeros(self):
        return Weights()

    def _add(self, a, b):
        WeightsVSpace.added.append((sorted(a.coefficients), sorted(b.coefficients)))
        total = dict(a.coefficients)
        for key, value in b.coefficients.items():
            total[key] = total.get(key, 0.0) + value
        return Weights(total)

    def _scalar_mul(self, w, a):
        return Weights({key: a * value for key, value in w.coefficients.items()})

    def _inner_prod(self, a, b):
        return sum(value * b.coefficients.get(key, 0.0) for key, value in a.coefficients.items())


WeightsVSpace.register(Weights)


def squared_error(w, keys, targets):
    return sum((w(key) - target) ** 2 for key, target in zip(keys, targets))


def test_the_gradient_is_a_value_of_the_users_type_summed_in_its_space():
    w = Weights({"a": 1.0, "b": -2.0})
    g = grad(squared_error)(w, ["a", "b", "a"], [0.5, 1.0, 3.0])
    assert type(g) is Weights
    assert g.coefficients == {"a": 2 * (1.0 - 0.5) + 2 * (1.0 - 3.0), "b": 2 * (-2.0 - 1.0)}


def test_cotangents_are_summed_as_autograds_backward_pass_sums_them():
    WeightsVSpace.added.clear()
    grad(squared_error)(Weights(), ["a", "b", "c"], [1.0, 2.0, 3.0])
    # last call first (the tape walked backwards), the first two by add, later ones into that sum
    assert WeightsVSpace.added == [(["c"], ["b"]), (["b", "c"], ["a"])]


def test_gradient_descent_in_the_users_space():
    w = Weights()
    for _ in range(200):
        w = w + grad(squared_error)(w, ["a", "b"], [1.0, -2.0]) * -0.1
    np.testing.assert_allclose([w("a"), w("b")], [1.0, -2.0])


def test_an_output_that_does_not_depend_on_the_value_gives_the_spaces_zero():
    g = grad(lambda w, x: anp.sum(x**2))(Weights({"a": 1.0}), np.ones(2))
    assert type(g) is Weights and g.coefficients == {}


def test_the_user_value_beside_arrays_in_one_argument():
    def loss(pair):
        w, x = pair
        return w("a") * anp.sum(anp.sin(x))

    x = np.array([0.3, -0.4])
    vjp, value = make_vjp(loss)((Weights({"a": 2.0}), x))
    gw, gx = vjp(1.0)
    assert gw.coefficients == {"a": np.sum(np.sin(x))}
    np.testing.assert_allclose(gx, 2.0 * np.cos(x))


def test_the_box_is_the_users_class_and_unboxes():
    seen = []

    def f(w):
        seen.append((isinstance(w, WeightsBox), isinstance(w, Weights), isbox(w), type(getval(w)) is Weights,
                     type(vspace(w)) is WeightsVSpace))  # fmt: skip
        return w("a")

    grad(f)(Weights({"a": 1.0}))
    assert seen == [(True, True, True, True, True)]


def test_wengerts_traced_values_are_still_boxes():
    seen = []
    grad(lambda x: seen.append(isinstance(x, Box)) or anp.sum(x))(np.ones(2))
    assert seen == [True]
