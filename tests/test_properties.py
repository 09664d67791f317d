"""Properties on random shapes (hypothesis): broadcasting in gradients, reductions over any axes.

* A broadcasting binary op's gradient with respect to each operand has that
  operand's shape and equals the gradient taken with the operand broadcast
  out in advance, summed back over the broadcast axes.
* Reductions with a random ``axis`` (None, an int, negative, a tuple) and
  ``keepdims`` give NumPy's values, and their gradients and JVPs match
  central differences.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import wengert
import wengert.numpy as wnp
from tests import sweep

SETTINGS = settings(max_examples=25, deadline=None)

seeds = st.integers(0, 2**32 - 1)


def _sum_to_shape(g, shape):
    """NumPy's reference for undoing a broadcast: sum the added and the stretched axes."""
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True).reshape(shape)


# name: (function, sampler of x, sampler of y); samples keep each op smooth, maximum/minimum untied
BINARY = {
    "add": (wnp.add, "any", "any"),
    "subtract": (wnp.subtract, "any", "any"),
    "multiply": (wnp.multiply, "any", "any"),
    "divide": (wnp.divide, "any", "nonzero"),
    "power": (wnp.power, "positive", "any"),
    "maximum": (wnp.maximum, "low", "high"),
    "minimum": (wnp.minimum, "low", "high"),
    "arctan2": (wnp.arctan2, "nonzero", "nonzero"),
    "hypot": (wnp.hypot, "nonzero", "nonzero"),
    "logaddexp": (wnp.logaddexp, "any", "any"),
    "where": (lambda x, y: wnp.where(x > 0, x, y), "nonzero", "any"),
}


def _sample(kind, shape, generator):
    if kind == "positive":
        return generator.uniform(0.5, 2.0, shape)
    if kind == "nonzero":
        return generator.uniform(0.3, 2.0, shape) * generator.choice([-1.0, 1.0], shape)
    if kind == "low":
        return generator.uniform(-2.0, -1.0, shape) + generator.choice([0.0, 3.0], shape)
    if kind == "high":
        return generator.uniform(-0.5, 0.5, shape)
    return generator.uniform(-2.0, 2.0, shape)


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=seeds)
def test_broadcast_operand_gradient_is_the_sum_over_broadcast_axes(name, shapes, seed):
    fn, kind_x, kind_y = BINARY[name]
    generator = np.random.default_rng(seed)
    shape_x, shape_y = shapes.input_shapes
    x, y = _sample(kind_x, shape_x, generator), _sample(kind_y, shape_y, generator)
    weights = generator.standard_normal(shapes.result_shape)

    grad_x, grad_y = wengert.grad(lambda a, b: wnp.sum(fn(a, b) * weights), argnums=(0, 1))(x, y)
    assert np.shape(grad_x) == shape_x and np.shape(grad_y) == shape_y

    x_full = np.broadcast_to(x, shapes.result_shape).copy()
    y_full = np.broadcast_to(y, shapes.result_shape).copy()
    full_x, full_y = wengert.grad(lambda a, b: wnp.sum(fn(a, b) * weights), argnums=(0, 1))(x_full, y_full)
    np.testing.assert_allclose(grad_x, _sum_to_shape(np.asarray(full_x), shape_x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad_y, _sum_to_shape(np.asarray(full_y), shape_y), rtol=1e-12, atol=1e-12)


@st.composite
def axis_and_keepdims(draw, ndim):
    """``axis`` as None, an int (maybe negative) or a tuple of distinct axes, and ``keepdims``."""
    form = draw(st.sampled_from(["none", "int", "tuple"] if ndim else ["none"]))
    if form == "none":
        axis = None
    elif form == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
        axis = tuple(a - ndim if draw(st.booleans()) else a for a in chosen)
    return axis, draw(st.booleans())


def _reduced_count(shape, axis) -> int:
    axes = range(len(shape)) if axis is None else [a % len(shape) for a in np.atleast_1d(axis)]
    return int(np.prod([shape[a] for a in axes], dtype=int))


REDUCTIONS = {
    "sum": (wnp.sum, np.sum),
    "mean": (wnp.mean, np.mean),
    "prod": (wnp.prod, np.prod),
    "max": (wnp.max, np.max),
    "min": (wnp.min, np.min),
    "var": (wnp.var, np.var),
    "std": (wnp.std, np.std),
    "median": (wnp.median, np.median),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), seed=seeds)
def test_reduction_over_random_axes_matches_numpy_and_finite_differences(name, data, shape, seed):
    ours, numpys = REDUCTIONS[name]
    axis, keepdims = data.draw(axis_and_keepdims(len(shape)))
    if name in ("std", "median") and axis == ():
        axis = None  # NumPy 2 rejects an empty tuple here; the other reductions take it
    if name == "std" and _reduced_count(shape, axis) < 2:
        axis = None  # sqrt'(0) is infinite: std over one element has no finite derivative
        if int(np.prod(shape, dtype=int)) < 2:
            return
    generator = np.random.default_rng(seed)
    size = int(np.prod(shape, dtype=int))
    # distinct values a step apart: no ties for max, min and median, and prod away from 0
    x = (generator.permutation(size) * 0.3 + 0.5 + generator.uniform(0, 0.05, size)).reshape(shape)
    x *= generator.choice([-1.0, 1.0], shape)

    def f(a):
        return ours(a, axis=axis, keepdims=keepdims)

    value = f(x)
    expected = numpys(x, axis=axis, keepdims=keepdims)
    assert np.shape(value) == np.shape(expected)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)

    weights = generator.standard_normal(np.shape(expected))
    direction = generator.standard_normal(shape)
    gradient = wengert.grad(lambda a: wnp.sum(f(a) * weights))(x)
    assert np.shape(gradient) == shape
    along = sweep.directional_difference(
        lambda a: np.sum(numpys(a, axis=axis, keepdims=keepdims) * weights), (x,), (direction,)
    )[0]
    np.testing.assert_allclose(np.vdot(gradient, direction), along, rtol=1e-6, atol=1e-7)
    _, tangent = wengert.jvp(f, (x,), (direction,))
    np.testing.assert_allclose(np.sum(tangent * weights), along, rtol=1e-6, atol=1e-7)
