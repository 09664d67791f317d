"""vmap: JAX's semantics for in_axes/out_axes, nesting, composition with grad and jvp, and its errors."""

import importlib
import pkgutil

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import custom_jvp, custom_vjp, vmap
from wengert._src import primitives
from wengert._src.core.primitive import Primitive
from wengert._src.transforms.batching import BatchTracer
from wengert.errors import ShapeError, TracerError, TransformError

RNG = np.random.default_rng(7)


def _loop(f, *batches, axis=0):
    return np.stack([f(*(np.take(b, i, axis=axis) for b in batches)) for i in range(batches[0].shape[axis])])


def test_vmap_maps_over_the_leading_axis_like_a_loop():
    x = RNG.standard_normal((5, 3))
    f = lambda v: wnp.tanh(v) @ v  # noqa: E731
    np.testing.assert_allclose(vmap(f)(x), _loop(f, x))


def test_each_example_sees_its_own_shape_inside_the_function():
    seen = []

    def f(v):
        seen.append((v.shape, v.ndim, len(v)))
        return v.sum()

    vmap(f)(np.ones((4, 3, 2)))
    assert seen == [((3, 2), 2, 3)]


def test_in_axes_none_shares_an_argument_between_examples():
    a, xs = RNG.standard_normal((3, 3)), RNG.standard_normal((6, 3))
    out = vmap(lambda m, v: m @ v, in_axes=(None, 0))(a, xs)
    np.testing.assert_allclose(out, xs @ a.T)


def test_in_axes_may_be_negative_and_differ_between_arguments():
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))
    out = vmap(lambda u, v: u * v.sum(), in_axes=(-1, 0))(x, y)
    np.testing.assert_allclose(out, np.stack([x[:, i] * y[i].sum() for i in range(4)]))


def test_in_axes_as_a_pytree_prefix_of_a_dict_argument():
    params = {"w": RNG.standard_normal((2, 3)), "b": RNG.standard_normal(3)}
    xs = RNG.standard_normal((5, 2))

    def f(p, x):
        return wnp.tanh(x @ p["w"] + p["b"])

    out = vmap(f, in_axes=({"w": None, "b": None}, 0))(params, xs)
    np.testing.assert_allclose(out, np.tanh(xs @ params["w"] + params["b"]))


def test_out_axes_moves_the_batch_axis_in_each_output():
    x = RNG.standard_normal((4, 3))
    first, second = vmap(lambda v: (v * 2.0, v.sum()), out_axes=(1, 0))(x)
    np.testing.assert_allclose(first, (2.0 * x).T)
    np.testing.assert_allclose(second, x.sum(axis=1))


def test_an_output_that_does_not_depend_on_the_batch_is_broadcast_or_kept_with_out_axes_none():
    x = RNG.standard_normal((4, 3))
    constant = np.arange(3.0)
    broadcast = vmap(lambda v: constant)(x)
    assert broadcast.shape == (4, 3)
    shared = vmap(lambda v: (v, constant), out_axes=(0, None))(x)[1]
    np.testing.assert_array_equal(shared, constant)


def test_keyword_arguments_are_mapped_over_axis_0():
    x, scale = RNG.standard_normal((4, 3)), RNG.standard_normal(4)
    out = vmap(lambda v, s: v * s)(x, s=scale)
    np.testing.assert_allclose(out, x * scale[:, None])


def test_axis_size_allows_no_mapped_input():
    out = vmap(lambda v: v * 2.0, in_axes=None, axis_size=3)(np.ones(2))
    np.testing.assert_array_equal(out, np.full((3, 2), 2.0))


def test_nested_vmap_maps_over_two_axes():
    x = RNG.standard_normal((3, 4, 5))
    out = vmap(vmap(lambda v: wnp.sum(v * v)))(x)
    np.testing.assert_allclose(out, (x * x).sum(axis=-1))


def test_nested_vmap_with_different_axes_computes_an_outer_product():
    a, b = RNG.standard_normal(3), RNG.standard_normal(4)
    out = vmap(vmap(lambda u, v: u * v, in_axes=(None, 0)), in_axes=(0, None))(a, b)
    np.testing.assert_allclose(out, np.outer(a, b))


def test_vmap_of_grad_gives_per_example_gradients():
    w = RNG.standard_normal(3)
    xs, ys = RNG.standard_normal((6, 3)), RNG.standard_normal(6)

    def loss(w, x, y):
        return (wnp.tanh(x @ w) - y) ** 2

    per_example = vmap(wengert.grad(loss), in_axes=(None, 0, 0))(w, xs, ys)
    expected = np.stack([wengert.grad(loss)(w, x, y) for x, y in zip(xs, ys)])
    np.testing.assert_allclose(per_example, expected)


def test_grad_of_vmap_sums_the_per_example_gradients():
    w = RNG.standard_normal(3)
    xs = RNG.standard_normal((6, 3))

    def total(w):
        return wnp.sum(vmap(lambda x: wnp.sin(x @ w), in_axes=0)(xs))

    expected = sum(np.cos(x @ w) * x for x in xs)
    np.testing.assert_allclose(wengert.grad(total)(w), expected)


def test_jvp_of_vmap_and_vmap_of_jvp_agree():
    x, v = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    f = lambda u: wnp.exp(u) * u.sum()  # noqa: E731
    _, outer = wengert.jvp(vmap(f), (x,), (v,))
    inner = vmap(lambda a, b: wengert.jvp(f, (a,), (b,))[1])(x, v)
    np.testing.assert_allclose(outer, inner)


def test_vmap_of_a_second_derivative():
    xs = RNG.standard_normal(5)
    d2 = vmap(wengert.grad(wengert.grad(lambda x: x**4)))(xs)
    np.testing.assert_allclose(d2, 12 * xs**2)


def test_batched_linear_solve_with_a_vector_right_hand_side():
    a = RNG.standard_normal((4, 3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((4, 3))
    out = vmap(wnp.linalg.solve)(a, b)
    np.testing.assert_allclose(out, np.stack([np.linalg.solve(m, v) for m, v in zip(a, b)]))
    shared = vmap(wnp.linalg.solve, in_axes=(None, 0))(a[0], b)
    np.testing.assert_allclose(shared, np.linalg.solve(a[0], b.T).T)


def test_batched_indexing_with_array_indices_separated_by_a_slice():
    x = RNG.standard_normal((2, 4, 3, 5))
    f = lambda v: v[[0, 2], :, [1, 4]]  # noqa: E731
    np.testing.assert_allclose(vmap(f)(x), _loop(f, x))


def test_batched_scatter_of_batched_updates_into_a_shared_array():
    base, updates = np.zeros((4, 3)), RNG.standard_normal((5, 2, 3))
    f = lambda u, b: wnp.at(b)[[0, 2]].add(u)  # noqa: E731
    out = vmap(f, in_axes=(0, None))(updates, base)
    np.testing.assert_allclose(out, np.stack([f(u, base) for u in updates]))


def test_custom_jvp_rule_is_used_under_grad_of_vmap():
    calls = []

    @custom_jvp
    def softclip(x):
        return wnp.tanh(x)

    @softclip.defjvp
    def softclip_jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        calls.append(x.shape)
        return softclip(x), dx * 2.0  # a deliberately different derivative, to see the rule used

    xs = RNG.standard_normal(4)
    grads = wengert.grad(lambda v: wnp.sum(vmap(softclip)(v)))(xs)
    np.testing.assert_allclose(grads, np.full(4, 2.0))
    assert calls


def test_custom_jvp_rule_sees_each_examples_own_batched_nondiff_argument():
    power = custom_jvp(lambda n, x: x**n, nondiff_argnums=(0,))
    power.defjvp(lambda n, primals, tangents: (primals[0] ** n, n * primals[0] ** (n - 1) * tangents[0]))
    ns = np.array([1.0, 2.0, 3.0])
    # d/dx sum_n x^n = 1 + 2x + 3x^2 = 17 at x = 2 (the rule given all of ns at once would give 51)
    gradient = wengert.grad(lambda x: wnp.sum(vmap(lambda n: power(n, x))(ns)))(2.0)
    np.testing.assert_allclose(gradient, 17.0)
    _, tangent = wengert.jvp(lambda x: vmap(lambda n: power(n, x))(ns), (2.0,), (1.0,))
    np.testing.assert_allclose(tangent, [1.0, 4.0, 12.0])


def test_vmap_sorts_each_example_by_its_own_permutation():
    xs = RNG.standard_normal((4, 5))
    np.testing.assert_array_equal(vmap(wnp.sort)(xs), np.sort(xs, axis=1))
    np.testing.assert_array_equal(vmap(lambda x: wnp.argsort(x))(xs), np.argsort(xs, axis=1))
    np.testing.assert_allclose(vmap(wnp.median, in_axes=1)(xs), np.median(xs, axis=0))


def test_per_example_gradients_through_a_sort_follow_each_examples_permutation():
    xs, weights = RNG.standard_normal((4, 5)), np.arange(5.0)
    ranks = np.argsort(np.argsort(xs, axis=1), axis=1).astype(float)
    per_example = vmap(wengert.grad(lambda x: wnp.sum(wnp.sort(x) * weights)))(xs)
    np.testing.assert_array_equal(per_example, ranks)
    of_the_batch = wengert.grad(lambda x: wnp.sum(vmap(wnp.sort)(x) * weights))(xs)
    np.testing.assert_array_equal(of_the_batch, ranks)


def test_a_shared_array_gathered_by_batched_indices_sums_its_cotangents_over_the_batch():
    table = RNG.standard_normal((3, 4))
    orders = np.array([[[0, 1, 2, 3]] * 3, [[3, 3, 0, 1]] * 3])

    def picked(t):
        return vmap(lambda order: wnp.take_along_axis(t, order, axis=1))(orders)

    np.testing.assert_array_equal(picked(table), np.stack([np.take_along_axis(table, o, axis=1) for o in orders]))
    expected = sum(np.stack([np.bincount(row, minlength=4) for row in order]) for order in orders)
    np.testing.assert_array_equal(wengert.grad(lambda t: wnp.sum(picked(t)))(table), expected)


@pytest.mark.parametrize("x_batched", [False, True])
def test_take_by_batched_indices_and_its_gradient_match_a_loop(x_batched):
    x = RNG.standard_normal((3, 4, 2))
    xs = np.stack([x, 2 * x, -x]) if x_batched else x
    indices = np.array([[[0, 3], [2, 2]], [[1, 1], [-1, 0]], [[3, 2], [0, 0]]])  # one (2, 2) array per example
    in_axes = (0 if x_batched else None, 0)
    example = [(xs[k] if x_batched else x, indices[k]) for k in range(3)]

    def f(x, i):
        return wnp.take(x, i, axis=1)

    def loss(x, i):
        return wnp.sum(wnp.take(x, i, axis=1) ** 2)

    np.testing.assert_array_equal(
        vmap(f, in_axes=in_axes)(xs, indices), np.stack([np.take(*e, axis=1) for e in example])
    )
    per_example = vmap(wengert.grad(loss), in_axes=in_axes)(xs, indices)
    np.testing.assert_allclose(per_example, np.stack([wengert.grad(loss)(*e) for e in example]), rtol=1e-14)
    jitted = wengert.jit(vmap(wengert.grad(loss), in_axes=in_axes))(xs, indices)
    np.testing.assert_allclose(jitted, per_example, rtol=1e-14)


def test_take_by_shared_indices_under_vmap_keeps_one_take():
    x, indices = RNG.standard_normal((5, 3, 4)), np.array([3, 0, 0])
    batched = vmap(lambda x, i: wnp.take(x, i, axis=1), in_axes=(0, None))
    assert wengert.jit(batched).lower(x, indices).count_ops() == {"take": 1}
    np.testing.assert_array_equal(wengert.jit(batched)(x, indices), np.take(x, indices, axis=2))


def test_one_hot_of_batched_labels_needs_num_classes():
    import wengert.nn.functional as F

    labels = np.array([[0, 2], [1, 1]])
    np.testing.assert_array_equal(vmap(lambda y: F.one_hot(y, num_classes=3))(labels), np.eye(3, dtype=int)[labels])
    with pytest.raises(TracerError, match="pass num_classes"):
        vmap(F.one_hot)(labels)


def test_custom_vjp_rule_is_used_under_grad_of_vmap_and_sums_shared_inputs():
    @custom_vjp
    def scaled(x, s):
        return x * s

    scaled.defvjp(lambda x, s: (x * s, (x, s)), lambda res, g: (g * 3.0, wnp.sum(g * res[0])))
    xs, s = RNG.standard_normal(4), np.float64(1.5)
    gx, gs = wengert.grad(lambda v, t: wnp.sum(vmap(scaled, in_axes=(0, None))(v, t)), argnums=(0, 1))(xs, s)
    np.testing.assert_allclose(gx, np.full(4, 3.0))
    np.testing.assert_allclose(gs, xs.sum())


def test_mapped_axes_of_different_sizes_raise_a_shape_error_naming_them():
    with pytest.raises(ShapeError, match="argument 0 has 3, argument 1 has 4"):
        vmap(lambda a, b: a + b)(np.ones(3), np.ones(4))


def test_no_mapped_input_without_axis_size_raises():
    with pytest.raises(TransformError, match="axis_size"):
        vmap(lambda a: a, in_axes=None)(np.ones(3))


def test_in_axes_out_of_range_raises():
    with pytest.raises(ShapeError, match="out of range"):
        vmap(lambda a: a, in_axes=2)(np.ones((3, 2)))


def test_in_axes_with_the_wrong_number_of_entries_raises():
    with pytest.raises(TransformError, match="one entry"):
        vmap(lambda a, b: a, in_axes=(0,))(np.ones(3), np.ones(3))


def test_in_axes_of_the_wrong_kind_raises():
    with pytest.raises(TransformError, match="must be an int, None"):
        vmap(lambda a: a, in_axes="0")


def test_out_axes_none_for_a_batched_output_raises():
    with pytest.raises(TransformError, match="out_axes is None"):
        vmap(lambda a: a * 2.0, out_axes=None)(np.ones(3))


def test_every_primitive_has_a_batching_rule():
    modules = [
        importlib.import_module(f"{primitives.__name__}.{m.name}") for m in pkgutil.iter_modules(primitives.__path__)
    ]
    declared = [value for module in modules for value in vars(module).values() if isinstance(value, Primitive)]
    assert len(declared) > 100
    assert [p.name for p in declared if p.batch is None] == []


def test_python_control_flow_on_a_batched_value_raises_a_tracer_error():
    def f(x):
        return x if x > 0 else -x

    with pytest.raises(TracerError, match="wengert.numpy operations"):
        vmap(f)(np.array([1.0, -2.0]))


def test_batch_tracer_repr_and_shape_show_the_batch_axis():
    seen = []
    vmap(lambda v: seen.append(v) or v, in_axes=1)(np.zeros((2, 5)))
    tracer = seen[0]
    assert isinstance(tracer, BatchTracer)
    assert tracer.shape == (2,) and tracer.batch_dim == 1
    assert "batch axis 1" in repr(tracer)
