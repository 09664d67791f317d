"""Specification of transforms over pytrees: nested tuples, lists, dicts, None,
namedtuples and user classes registered with ``wengert.register_pytree_node``.

A gradient has the structure of the argument it is taken with respect to;
``jvp`` takes tangents and ``vjp_fn`` takes cotangents shaped like the primals
and outputs.
"""

from collections import namedtuple

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import grad, jvp, value_and_grad, vjp
from wengert.errors import TransformError


class Affine:
    """A user class made a pytree container: its two arrays are the leaves, its name is static."""

    def __init__(self, weight, bias, name="layer"):
        self.weight = weight
        self.bias = bias
        self.name = name


wengert.register_pytree_node(
    Affine,
    lambda layer: ([layer.weight, layer.bias], layer.name),
    lambda name, children: Affine(*children, name=name),
)

Pair = namedtuple("Pair", ["first", "second"])


def _nested_params():
    return {
        "w": np.array([1.0, 2.0]),
        "rest": (np.array(3.0), [np.array([[1.0, -1.0]]), None]),
    }


def _nested_loss(params):
    w = params["w"]
    scalar, (matrix, nothing) = params["rest"]
    assert nothing is None
    return (w * w).sum() * scalar + (matrix * w).sum()


def test_gradient_of_nested_containers_has_their_structure():
    g = grad(_nested_loss)(_nested_params())
    assert isinstance(g, dict) and sorted(g) == ["rest", "w"]
    assert isinstance(g["rest"], tuple)
    assert isinstance(g["rest"][1], list)
    assert g["rest"][1][1] is None


def test_gradient_of_nested_containers_has_the_right_values():
    params = _nested_params()
    g = grad(_nested_loss)(params)
    w, scalar, matrix = params["w"], params["rest"][0], params["rest"][1][0]
    np.testing.assert_allclose(g["w"], 2 * w * scalar + matrix[0])
    np.testing.assert_allclose(g["rest"][0], (w * w).sum())
    np.testing.assert_allclose(g["rest"][1][0], w[None, :])
    assert g["w"].shape == (2,) and np.shape(g["rest"][0]) == () and g["rest"][1][0].shape == (1, 2)


def test_gradient_of_registered_class_is_an_instance_of_it():
    layer = Affine(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5]), name="first")
    x = np.array([1.0, -1.0])

    def loss(layer):
        return (wnp.tanh(layer.weight @ x + layer.bias) ** 2).sum()

    g = grad(loss)(layer)
    assert isinstance(g, Affine)
    assert g.name == "first"
    pre = layer.weight @ x + layer.bias
    d_pre = 2 * np.tanh(pre) * (1 - np.tanh(pre) ** 2)
    np.testing.assert_allclose(g.bias, d_pre)
    np.testing.assert_allclose(g.weight, np.outer(d_pre, x))


def test_gradient_of_namedtuple_is_the_same_namedtuple():
    g = grad(lambda p: p.first * p.second)(Pair(2.0, 5.0))
    assert isinstance(g, Pair)
    assert g.first == pytest.approx(5.0)
    assert g.second == pytest.approx(2.0)


def test_grad_argnums_tuple_over_pytrees_returns_tuple_of_trees():
    def loss(a, scale, b):
        return scale * (a["x"] * b[0]).sum()

    ga, gb = grad(loss, argnums=(0, 2))({"x": np.ones(2)}, 3.0, [np.array([2.0, 4.0])])
    assert isinstance(ga, dict) and isinstance(gb, list)
    np.testing.assert_allclose(ga["x"], [6.0, 12.0])
    np.testing.assert_allclose(gb[0], [3.0, 3.0])


def test_value_and_grad_with_pytree_aux():
    def loss(params):
        y = params["a"] * params["b"]
        return y, {"y": y, "tag": "step"}

    (value, aux), g = value_and_grad(loss, has_aux=True)({"a": 2.0, "b": 3.0})
    assert value == pytest.approx(6.0)
    assert aux["tag"] == "step" and float(aux["y"]) == pytest.approx(6.0)
    assert g["a"] == pytest.approx(3.0) and g["b"] == pytest.approx(2.0)


def test_jvp_over_pytree_primals_and_outputs():
    def f(params):
        return {"sum": params["x"] + params["y"], "pair": (params["x"] * params["y"], params["x"])}

    primals = ({"x": 2.0, "y": 3.0},)
    tangents = ({"x": 1.0, "y": 10.0},)
    out, t = jvp(f, primals, tangents)
    assert out["sum"] == pytest.approx(5.0)
    assert t["sum"] == pytest.approx(11.0)
    assert t["pair"][0] == pytest.approx(1.0 * 3.0 + 2.0 * 10.0)
    assert t["pair"][1] == pytest.approx(1.0)


def test_jvp_tangents_of_a_different_structure_raise_transform_error():
    with pytest.raises(TransformError, match="structure"):
        jvp(lambda p: p["x"], ({"x": 1.0},), ({"y": 1.0},))


def test_vjp_over_pytree_outputs_takes_a_cotangent_of_their_structure():
    def f(x, y):
        return {"product": x * y, "list": [x + y, y]}

    _, pullback = vjp(f, 2.0, 3.0)
    gx, gy = pullback({"product": 1.0, "list": [10.0, 100.0]})
    assert gx == pytest.approx(3.0 + 10.0)
    assert gy == pytest.approx(2.0 + 10.0 + 100.0)


def test_vjp_cotangent_of_a_different_structure_raises_transform_error():
    _, pullback = vjp(lambda x: (x, x), 2.0)
    with pytest.raises(TransformError, match="structure"):
        pullback([1.0, 1.0])


def test_vjp_over_registered_class_input():
    layer = Affine(np.array([[2.0]]), np.array([1.0]))
    _, pullback = vjp(lambda layer: layer.weight[0] * 3.0 + layer.bias, layer)
    (g,) = pullback(np.array([1.0]))
    assert isinstance(g, Affine)
    np.testing.assert_allclose(g.weight, [[3.0]])
    np.testing.assert_allclose(g.bias, [1.0])


def test_tree_map_over_gradient_applies_an_update():
    params = {"w": np.array([1.0, 2.0]), "b": np.array(0.5)}
    g = grad(lambda p: (p["w"] ** 2).sum() + p["b"])(params)
    updated = wengert.tree_map(lambda p, d: p - 0.1 * d, params, g)
    np.testing.assert_allclose(updated["w"], [0.8, 1.6])
    np.testing.assert_allclose(updated["b"], 0.4)
