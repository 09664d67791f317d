"""jacfwd, jacrev, jacobian (mode by shape), hessian and hvp: values, pytree layout, and JAX's answers."""

import doctest
import pathlib

import numpy as np
import pytest

import wengert
import wengert.check
import wengert.numpy as wnp
from wengert import hessian, hvp, jacfwd, jacobian, jacrev
from wengert._src.transforms import batching, jacobians
from wengert.errors import ArgumentError, DtypeError, TransformError

RNG = np.random.default_rng(11)
A = RNG.standard_normal((4, 3))
DOC = pathlib.Path(__file__).parent.parent / "docs" / "jacobians.md"


def f_vector(x):
    return wnp.tanh(A @ x) * x.sum()


def f_scalar(x):
    return wnp.sum(wnp.sin(x) * x**2) + wnp.prod(x)


def test_jacfwd_and_jacrev_equal_finite_differences():
    x = RNG.standard_normal(3)
    expected = wengert.check.numerical_jacobian(f_vector, x)
    np.testing.assert_allclose(jacfwd(f_vector)(x), expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(jacrev(f_vector)(x), expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("transform", [jacfwd, jacrev], ids=["jacfwd", "jacrev"])
def test_all_basis_vectors_go_through_one_batched_pass(transform):
    seen = []

    def f(x):
        seen.append(x.shape)  # one call per pass; inside vmap an example has the input's shape
        return wnp.tanh(A @ x)

    jac = transform(f)(RNG.standard_normal(3))
    assert jac.shape == (4, 3) and seen == [(3,)]


def test_jacobian_shape_is_output_shape_then_input_shape():
    x = RNG.standard_normal((2, 3))
    f = lambda m: wnp.exp(m).T  # noqa: E731
    assert jacfwd(f)(x).shape == (3, 2, 2, 3)
    assert jacrev(f)(x).shape == (3, 2, 2, 3)


def test_pytree_jacobian_nests_input_structure_inside_output_structure():
    x, y = RNG.standard_normal(3), RNG.standard_normal(2)

    def f(x, y):
        return {"sum": wnp.sum(x) * y, "prod": (x * x, y[0])}

    for transform in (jacfwd, jacrev):
        jac = transform(f, argnums=(0, 1))(x, y)
        assert set(jac) == {"sum", "prod"}
        assert jac["sum"][0].shape == (2, 3) and jac["sum"][1].shape == (2, 2)
        assert jac["prod"][0][0].shape == (3, 3) and jac["prod"][0][1].shape == (3, 2)
        assert jac["prod"][1][0].shape == (3,) and jac["prod"][1][1].shape == (2,)
        np.testing.assert_allclose(jac["prod"][0][0], np.diag(2 * x))
        np.testing.assert_allclose(jac["sum"][1], np.eye(2) * x.sum())


def test_dict_input_gives_a_dict_of_blocks():
    params = {"w": RNG.standard_normal(3), "b": np.float64(0.5)}
    jac = jacrev(lambda p: wnp.tanh(A @ p["w"] + p["b"]))(params)
    assert jac["w"].shape == (4, 3) and jac["b"].shape == (4,)


def test_has_aux_returns_the_aux_value_untouched():
    x = RNG.standard_normal(3)
    for transform in (jacfwd, jacrev):
        jac, aux = transform(lambda v: (wnp.sin(v), {"norm": wnp.sum(v * v)}), has_aux=True)(x)
        np.testing.assert_allclose(jac, np.diag(np.cos(x)))
        np.testing.assert_allclose(aux["norm"], (x * x).sum())


def test_jacobian_auto_chooses_forward_for_few_inputs_and_reverse_otherwise(monkeypatch):
    chosen = []
    monkeypatch.setattr(jacobians, "_forward", _recording(chosen, "forward", jacobians._forward))
    wide = jacobian(lambda x: wnp.outer(x, x).ravel())  # 2 inputs, 4 outputs: forward
    np.testing.assert_allclose(wide(np.array([1.0, 2.0])), [[2, 0], [2, 1], [2, 1], [0, 4]])
    assert chosen == ["forward"]
    narrow = jacobian(lambda x: wnp.sum(x**2))  # 3 inputs, 1 output: reverse
    np.testing.assert_allclose(narrow(np.array([1.0, 2.0, 3.0])), [2.0, 4.0, 6.0])
    assert chosen == ["forward"]


def _recording(log, name, fun):
    def recorded(*args, **kwargs):
        log.append(name)
        return fun(*args, **kwargs)

    return recorded


def test_jacobian_remembers_its_choice_per_input_signature(monkeypatch):
    taped = []
    original = jacobians.vjp
    monkeypatch.setattr(jacobians, "vjp", lambda *a, **k: taped.append(1) or original(*a, **k))
    jac = jacobian(lambda x: wnp.concatenate([x, x, x]))
    for _ in range(3):
        jac(np.ones(2))
    assert len(taped) == 1  # the first call probes the output size; later calls go straight to jacfwd


def test_jacobian_chooses_again_when_an_argument_it_does_not_differentiate_changes_the_output_size(monkeypatch):
    chosen = []
    monkeypatch.setattr(jacobians, "_forward", _recording(chosen, "forward", jacobians._forward))
    jac = jacobian(lambda x, B: wnp.tanh(B @ x))
    x = np.ones(3)
    for rows in (10, 1, 10):  # 3 inputs: forward for 10 outputs, reverse for 1
        B = np.arange(3.0 * rows).reshape(rows, 3) / 10
        np.testing.assert_allclose(jac(x, B), (1 - np.tanh(B @ x) ** 2)[:, None] * B, rtol=1e-12)
    assert chosen == ["forward", "forward"]


def test_jacobian_forced_modes_agree():
    x = RNG.standard_normal(3)
    forward = jacobian(f_vector, mode="forward")(x)
    reverse = jacobian(f_vector, mode="reverse")(x)
    auto = jacobian(f_vector)(x)
    np.testing.assert_allclose(forward, reverse, rtol=1e-12)
    np.testing.assert_allclose(auto, reverse, rtol=1e-12)


def test_jacobian_rejects_an_unknown_mode():
    with pytest.raises(ArgumentError, match="mode"):
        jacobian(f_vector, mode="sideways")


def test_hessian_is_symmetric_and_equals_differences_of_the_gradient():
    x = RNG.standard_normal(3)
    h = hessian(f_scalar)(x)
    expected = wengert.check.numerical_jacobian(wengert.grad(f_scalar), x)
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, expected, rtol=1e-6, atol=1e-8)


def test_hessian_of_a_matrix_input_has_shape_s_plus_s():
    assert hessian(lambda m: wnp.sum(m**3))(np.ones((2, 3))).shape == (2, 3, 2, 3)


def test_hvp_equals_the_hessian_times_the_vector():
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    np.testing.assert_allclose(hvp(f_scalar, (x,), (v,)), hessian(f_scalar)(x) @ v, rtol=1e-10)


def test_hessian_and_hvp_over_pytrees_agree_with_each_other_and_with_differences():
    params = {"w": RNG.standard_normal(3), "b": np.float64(0.7)}
    v = {"w": RNG.standard_normal(3), "b": np.float64(-0.4)}

    def f(p):
        return wnp.sum(wnp.tanh(p["w"]) ** 2) * p["b"] + p["b"] ** 3

    h = hessian(f)(params)
    assert h["w"]["w"].shape == (3, 3) and h["w"]["b"].shape == (3,) and h["b"]["w"].shape == (3,)
    hv = hvp(f, (params,), (v,))
    assert set(hv) == {"w", "b"}
    np.testing.assert_allclose(hv["w"], h["w"]["w"] @ v["w"] + h["w"]["b"] * v["b"], rtol=1e-12)
    np.testing.assert_allclose(hv["b"], h["b"]["w"] @ v["w"] + h["b"]["b"] * v["b"], rtol=1e-12)
    step = 1e-6
    shifted = {k: params[k] + step * v[k] for k in params}
    back = {k: params[k] - step * v[k] for k in params}
    difference = wengert.tree_map(lambda a, b: (a - b) / (2 * step), wengert.grad(f)(shifted), wengert.grad(f)(back))
    for k in params:
        np.testing.assert_allclose(hv[k], difference[k], rtol=1e-6)


def test_jacobian_of_an_integer_input_raises():
    with pytest.raises(DtypeError, match="floating-point"):  # as grad and linearize raise
        jacfwd(lambda x: x * 2)(np.arange(3))


def test_argnums_out_of_range_raises():
    with pytest.raises(TransformError, match="argnums"):
        jacrev(f_vector, argnums=2)(np.ones(3))


def test_vmap_of_jacfwd_gives_per_example_jacobians():
    xs = RNG.standard_normal((5, 3))
    batched = wengert.vmap(jacfwd(f_vector))(xs)
    np.testing.assert_allclose(batched, np.stack([jacrev(f_vector)(x) for x in xs]), rtol=1e-10)


# --- against JAX ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jax_modules():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax, jax.numpy


def test_jacfwd_and_jacrev_match_jax(jax_modules):
    jax, jnp = jax_modules
    x, y = RNG.standard_normal(3), RNG.standard_normal((2, 3))

    def f(module, x, y):
        return module.tanh(y @ x) * module.sum(x**2), module.exp(y).sum(axis=0)

    ours_f = jacfwd(lambda x, y: f(wnp, x, y), argnums=(0, 1))(x, y)
    ours_r = jacrev(lambda x, y: f(wnp, x, y), argnums=(0, 1))(x, y)
    theirs = jax.jacfwd(lambda x, y: f(jnp, x, y), argnums=(0, 1))(x, y)
    for ours in (ours_f, ours_r):
        for a, b in zip(wengert.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)):
            np.testing.assert_allclose(a, np.asarray(b), rtol=1e-10, atol=1e-12)


def test_hessian_matches_jax(jax_modules):
    jax, jnp = jax_modules
    x = RNG.standard_normal(4)
    b = RNG.standard_normal((4, 4))
    ours = hessian(lambda x: wnp.sum(wnp.tanh(b @ x) ** 2))(x)
    theirs = jax.hessian(lambda x: jnp.sum(jnp.tanh(b @ x) ** 2))(x)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-10, atol=1e-12)


def test_pytree_hessian_matches_jax(jax_modules):
    jax, jnp = jax_modules
    params = {"a": RNG.standard_normal(2), "b": RNG.standard_normal(3)}

    def f(module, p):
        return module.sum(module.sin(p["a"])) * module.sum(p["b"] ** 3)

    ours = hessian(lambda p: f(wnp, p))(params)
    theirs = jax.hessian(lambda p: f(jnp, p))(params)
    for outer in ("a", "b"):
        for inner in ("a", "b"):
            np.testing.assert_allclose(ours[outer][inner], np.asarray(theirs[outer][inner]), rtol=1e-10, atol=1e-12)


# --- the documentation runs --------------------------------------------------------------------------------


def test_the_jacobians_page_examples_run():
    results = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.failed == 0


def test_the_module_docstring_examples_run():
    for module in (batching, jacobians):
        assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
