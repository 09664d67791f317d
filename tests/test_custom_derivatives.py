"""Specification of custom_jvp and custom_vjp: functions with their own derivative rules, JAX's way.

A custom_jvp function is differentiated with its rule in forward mode, in
reverse mode (the rule transposed) and to any order; a custom_vjp function
in reverse mode (and reverse over reverse), with a clear error in forward
mode. Arguments and outputs are pytrees; the rules' results are checked.
The examples of docs/custom_derivatives.md run here too.
"""

import doctest
import functools
import math
import pathlib
from functools import partial

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert import custom_jvp, custom_vjp, grad, hessian, jit, jvp, value_and_grad, vjp, vmap
from wengert._src.transforms import custom_derivatives
from wengert.check import check_grads
from wengert.errors import LeakedTracerError, ShapeError, TransformError

# --- functions used by several tests ---------------------------------------------------------


@custom_jvp
def cube(x):
    """x ** 3, with the rule d(x^3) = 3 x^2 dx; the rule's output calls cube again."""
    return x * x * x


@cube.defjvp
def _cube_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return cube(x), 3.0 * x * x * dx


@custom_jvp
def sin_times(x, y):
    """sin(x) * y, with its rule written out; two arguments, either may carry a tangent."""
    return wnp.sin(x) * y


@sin_times.defjvp
def _sin_times_jvp(primals, tangents):
    (x, y), (dx, dy) = primals, tangents
    return sin_times(x, y), wnp.cos(x) * y * dx + wnp.sin(x) * dy


@custom_vjp
def sin_times_vjp(x, y):
    """sin(x) * y, with fwd keeping cos(x), sin(x) and y for bwd."""
    return wnp.sin(x) * y


def _sin_times_fwd(x, y):
    s = wnp.sin(x)
    return s * y, (wnp.cos(x), s, y)


def _sin_times_bwd(residuals, g):
    c, s, y = residuals
    return c * y * g, s * g


sin_times_vjp.defvjp(_sin_times_fwd, _sin_times_bwd)


def _with_rule(fun, rule, **options):
    custom = custom_jvp(fun, **options)
    custom.defjvp(rule)
    return custom


def _with_vjp(fun, fwd, bwd, **options):
    custom = custom_vjp(fun, **options)
    custom.defvjp(fwd, bwd)
    return custom


# --- without a transform, a custom function is the function ----------------------------------


def test_custom_jvp_without_transform_runs_the_function():
    assert cube(2.0) == 8.0
    assert sin_times(0.5, 2.0) == pytest.approx(2.0 * math.sin(0.5))


def test_custom_vjp_without_transform_runs_fun_not_fwd():
    calls = []

    def fwd(x):
        calls.append("fwd")
        return x, None

    f = _with_vjp(lambda x: 2.0 * x, fwd, lambda _, g: (g,))
    assert f(3.0) == 6.0
    assert calls == []


def test_custom_function_keeps_name_and_docstring():
    assert cube.__name__ == "cube"
    assert "3 x^2 dx" in cube.__doc__
    assert repr(cube) == "custom_jvp(cube)"
    assert repr(sin_times_vjp) == "custom_vjp(sin_times_vjp)"


def test_wrapping_a_custom_function_copies_its_name_not_its_rules():
    @functools.wraps(cube)
    def wrapper(*args):
        return cube(*args)

    assert wrapper.__name__ == "cube"
    assert not {"fun", "jvp", "nondiff_argnums"} & set(vars(wrapper))


def test_defjvp_returns_the_rule_so_it_decorates():
    def rule(primals, tangents):
        return primals[0], tangents[0]

    f = custom_jvp(lambda x: x)
    assert f.defjvp(rule) is rule
    assert f.jvp is rule


# --- custom_jvp: the rule is what transforms use ---------------------------------------------


def _identity_with_rule_three():
    """f(x) = x, whose rule claims f'(x) = 3: any mode that gives 3 used the rule."""
    return _with_rule(lambda x: x, lambda primals, tangents: (primals[0], 3.0 * tangents[0]))


def test_custom_jvp_rule_is_used_in_forward_mode():
    f = _identity_with_rule_three()
    assert jvp(f, (2.0,), (1.0,)) == (2.0, 3.0)


def test_custom_jvp_rule_is_used_in_reverse_mode():
    f = _identity_with_rule_three()
    assert grad(f)(2.0) == 3.0
    value, pullback = vjp(f, 2.0)
    assert value == 2.0
    assert pullback(1.0) == (3.0,)
    assert value_and_grad(f)(2.0) == (2.0, 3.0)


def test_log1pexp_naive_rule_gives_nan_and_custom_rule_gives_one():
    @custom_jvp
    def log1pexp(x):
        return wnp.log1p(wnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return log1pexp(x), dx * (1.0 - 1.0 / (1.0 + wnp.exp(x)))

    with np.errstate(over="ignore", invalid="ignore"):
        assert math.isnan(grad(lambda x: wnp.log1p(wnp.exp(x)))(1000.0))
        assert grad(log1pexp)(1000.0) == 1.0
        assert jvp(log1pexp, (1000.0,), (1.0,))[1] == 1.0


def test_reverse_mode_transposes_a_non_symmetric_rule():
    a = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 4.0]])
    matvec = _with_rule(lambda x: wnp.matmul(a, x), lambda p, t: (wnp.matmul(a, p[0]), wnp.matmul(a, t[0])))
    _, pullback = vjp(matvec, np.ones(3))
    for w in (np.array([1.0, 0.0]), np.array([0.5, -2.0])):
        np.testing.assert_allclose(pullback(w)[0], a.T @ w)


def test_reverse_mode_through_custom_jvp_matches_forward_mode_jacobian():
    x, y = 0.7, np.array([1.0, -2.0, 3.0])
    g = grad(lambda x, y: wnp.sum(sin_times(x, y) ** 2), argnums=(0, 1))(x, y)
    forward_x = jvp(lambda x: wnp.sum(sin_times(x, y) ** 2), (x,), (1.0,))[1]
    assert g[0] == pytest.approx(forward_x)
    np.testing.assert_allclose(g[1], 2.0 * math.sin(x) ** 2 * y)


def test_argument_without_tangent_gets_zero_tangent_in_the_rule():
    seen = []

    def rule(primals, tangents):
        seen.append(tangents)
        return _sin_times_jvp(primals, tangents)

    f = _with_rule(lambda x, y: wnp.sin(x) * y, rule)
    assert jvp(lambda x: f(x, 5.0), (0.3,), (1.0,))[1] == pytest.approx(5.0 * math.cos(0.3))
    ((_, dy),) = seen
    assert type(dy) is np.ndarray and dy.shape == () and dy == 0.0


def test_argument_passed_twice_receives_both_contributions():
    x = 0.8
    expected = math.cos(x) * x + math.sin(x)
    assert grad(lambda x: sin_times(x, x))(x) == pytest.approx(expected)
    assert grad(lambda x: sin_times_vjp(x, x))(x) == pytest.approx(expected)


# --- custom_jvp to any order -----------------------------------------------------------------


def test_custom_jvp_second_derivative_in_every_mode_combination():
    x = 1.5
    expected = 6.0 * x
    assert grad(grad(cube))(x) == pytest.approx(expected)
    assert jvp(grad(cube), (x,), (1.0,))[1] == pytest.approx(expected)
    assert grad(lambda x: jvp(cube, (x,), (1.0,))[1])(x) == pytest.approx(expected)
    assert jvp(lambda x: jvp(cube, (x,), (1.0,))[1], (x,), (1.0,))[1] == pytest.approx(expected)


def test_custom_jvp_third_derivative():
    assert grad(grad(grad(cube)))(1.5) == pytest.approx(6.0)
    assert jvp(grad(grad(cube)), (1.5,), (1.0,))[1] == pytest.approx(6.0)


def test_higher_orders_differentiate_the_rule_itself():
    # The rule claims d/dx = 3 x dx (not the truth for x^2): the second derivative is the rule's, 3.
    f = _with_rule(lambda x: x * x, lambda p, t: (p[0] * p[0], 3.0 * p[0] * t[0]))
    assert grad(grad(f))(2.0) == pytest.approx(3.0)
    assert jvp(grad(f), (2.0,), (1.0,))[1] == pytest.approx(3.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_custom_jvp_agrees_with_finite_differences_to_order_three(dtype):
    x = np.array([0.3, -1.2], dtype=dtype)
    y = np.array([1.5, 0.4], dtype=dtype)
    check_grads(sin_times, (x, y), order=3 if dtype == np.float64 else 2)


def test_mixed_levels_forward_over_one_argument_reverse_over_the_other():
    def d_dy_of_d_dx(x, y):
        return grad(lambda y: jvp(lambda x: sin_times(x, y), (x,), (1.0,))[1])(y)

    assert d_dy_of_d_dx(0.4, 2.0) == pytest.approx(math.cos(0.4))


def test_custom_jvp_keeps_float32():
    x = np.float32(0.5)
    assert grad(cube)(x).dtype == np.float32
    assert jvp(cube, (x,), (np.float32(1.0),))[1].dtype == np.float32


def test_defjvps_sums_one_rule_per_argument():
    f = custom_jvp(lambda x, y: wnp.sin(x) * y)
    f.defjvps(lambda dx, out, x, y: wnp.cos(x) * y * dx, lambda dy, out, x, y: wnp.sin(x) * dy)
    assert grad(f, argnums=(0, 1))(0.5, 2.0) == pytest.approx((2.0 * math.cos(0.5), math.sin(0.5)))
    assert grad(grad(f))(0.5, 2.0) == pytest.approx(-2.0 * math.sin(0.5))


# --- under vmap and jit: the rule survives batching and staging ------------------------------


def _stable_log1pexp():
    """log(1 + e^x) whose rule is the stable sigmoid, against the naive derivative's nan at x = 1000."""
    f = custom_jvp(lambda x: wnp.log1p(wnp.exp(x)))
    f.defjvp(lambda p, t: (f(p[0]), t[0] * (1.0 - 1.0 / (1.0 + wnp.exp(p[0])))))
    return f


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda f: grad(jit(f)), id="grad(jit(f))"),
        pytest.param(lambda f: jit(grad(f)), id="jit(grad(f))"),
        pytest.param(lambda f: jit(grad(jit(f))), id="jit(grad(jit(f)))"),
        pytest.param(lambda f: lambda x: jvp(jit(f), (x,), (1.0,))[1], id="jvp(jit(f))"),
    ],
)
def test_custom_jvp_rule_is_used_under_jit(transform):
    with np.errstate(over="ignore", invalid="ignore"):
        assert transform(_stable_log1pexp())(1000.0) == 1.0


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda f: vmap(grad(f)), id="vmap(grad(f))"),
        pytest.param(lambda f: grad(lambda x: wnp.sum(vmap(f)(x))), id="grad(vmap(f))"),
        pytest.param(lambda f: vmap(grad(jit(f))), id="vmap(grad(jit(f)))"),
        pytest.param(lambda f: jit(vmap(grad(f))), id="jit(vmap(grad(f)))"),
    ],
)
def test_custom_jvp_rule_is_used_under_vmap(transform):
    with np.errstate(over="ignore", invalid="ignore"):
        derivatives = transform(_stable_log1pexp())(np.array([1000.0, 0.0]))
    np.testing.assert_allclose(derivatives, [1.0, 0.5])


def test_custom_jvp_rule_is_used_by_grad_of_jit_to_second_order():
    # The rule claims d/dx x^2 = 3 x: every order of grad(jit(f)) must differentiate the rule, not x * x.
    f = jit(_with_rule(lambda x: x * x, lambda p, t: (p[0] * p[0], 3.0 * p[0] * t[0])))
    assert grad(f)(2.0) == 6.0
    assert grad(grad(f))(2.0) == 3.0
    assert hessian(f)(2.0) == 3.0


def test_jit_keeps_a_custom_call_as_one_equation_and_runs_it_compiled():
    f = jit(cube)
    program = f.lower(np.float64(2.0))
    assert [eqn.primitive.name for eqn in program.equations] == ["custom_jvp[cube]"]
    assert f(np.float64(2.0)) == 8.0
    assert f(np.float64(3.0)) == 27.0
    assert f.cache_size() == 1


def test_custom_jvp_nondiff_and_pytree_arguments_under_jit():
    power = _with_rule(
        lambda n, x: {"y": x**n}, lambda n, p, t: ({"y": p[0] ** n}, {"y": 7.0 * t[0]}), nondiff_argnums=(0,)
    )
    assert grad(jit(lambda x: power(3, x)["y"]))(2.0) == 7.0


def test_custom_vjp_rule_is_used_by_grad_of_jit_and_forward_mode_is_still_an_error():
    clip = _with_vjp(lambda x: x, lambda x: (x, None), lambda _, g: (wnp.clip(g, -1.0, 1.0),))
    assert grad(jit(lambda x: 5.0 * clip(x)))(2.0) == 1.0
    assert jit(grad(lambda x: 5.0 * clip(x)))(2.0) == 1.0
    with pytest.raises(TransformError, match="forward mode"):
        jvp(jit(clip), (1.0,), (1.0,))


# --- custom_vjp in reverse mode --------------------------------------------------------------


def test_custom_vjp_grad_vjp_and_value_and_grad():
    x, y = 1.0, 2.0
    expected = (math.cos(x) * y, math.sin(x))
    assert grad(sin_times_vjp, argnums=(0, 1))(x, y) == pytest.approx(expected)
    value, pullback = vjp(sin_times_vjp, x, y)
    assert value == pytest.approx(math.sin(x) * y)
    assert pullback(1.0) == pytest.approx(expected)
    assert pullback(2.0) == pytest.approx(tuple(2.0 * e for e in expected))
    assert value_and_grad(sin_times_vjp)(x, y) == pytest.approx((math.sin(x) * y, expected[0]))


def test_custom_vjp_uses_bwd_not_the_function_operations():
    doubled = _with_vjp(lambda x: x, lambda x: (x, None), lambda _, g: (2.0 * g,))
    assert grad(doubled)(5.0) == 2.0
    assert grad(lambda x: doubled(doubled(x)))(5.0) == 4.0


def test_custom_vjp_grad_of_grad_when_bwd_uses_wengert_operations():
    assert grad(grad(sin_times_vjp))(1.0, 2.0) == pytest.approx(-2.0 * math.sin(1.0))
    check_grads(sin_times_vjp, (np.array([0.3, 1.1]), np.array([2.0, -1.0])), order=2, modes=("rev",))


def test_custom_vjp_bwd_gets_zero_cotangent_for_unused_output():
    seen = []

    def bwd(_, g):
        seen.append([float(c) for c in g])
        return (g[0] + 2.0 * g[1],)

    pair = _with_vjp(lambda x: (x, 2.0 * x), lambda x: ((x, 2.0 * x), None), bwd)
    assert grad(lambda x: pair(x)[0])(1.0) == 1.0
    assert seen == [[1.0, 0.0]]


def test_custom_vjp_bwd_may_return_none_for_a_zero_cotangent():
    f = _with_vjp(lambda x, y: x * 2.0, lambda x, y: (x * 2.0, None), lambda _, g: (2.0 * g, None))
    assert grad(f, argnums=(0, 1))(1.0, np.array([1.0, 2.0])) == (2.0, pytest.approx(np.zeros(2)))


def test_custom_vjp_in_forward_mode_is_a_clear_error():
    with pytest.raises(TransformError, match=r"'sin_times_vjp'.*forward mode.*custom_jvp"):
        jvp(sin_times_vjp, (1.0, 2.0), (1.0, 0.0))


def test_forward_over_reverse_through_custom_vjp_differentiates_fwd_and_bwd():
    # jvp of grad: the outer forward mode differentiates fwd's and bwd's operations, as JAX does.
    assert jvp(grad(sin_times_vjp), (1.0, 2.0), (1.0, 0.0))[1] == pytest.approx(-2.0 * math.sin(1.0))


def test_custom_vjp_bwd_cotangent_takes_the_argument_dtype():
    f = _with_vjp(lambda x: x, lambda x: (x, None), lambda _, g: (np.float64(2.0) * np.asarray(g, np.float64),))
    assert grad(f)(np.float32(1.0)).dtype == np.float32


# --- the documented examples, each as a specification ----------------------------------------


def test_gradient_clipping_clips_the_cotangent_only():
    @partial(custom_vjp, nondiff_argnums=(1,))
    def clip_gradient(x, bound):
        return x

    clip_gradient.defvjp(lambda x, bound: (x, None), lambda bound, _, g: (wnp.clip(g, -bound, bound),))
    x = np.array([0.05, 1.0, -3.0])
    np.testing.assert_array_equal(clip_gradient(x, 2.0), x)
    np.testing.assert_allclose(grad(lambda w: 10.0 * wnp.sum(clip_gradient(w, 2.0) ** 2))(x), [1.0, 2.0, -2.0])


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_straight_through_estimator_rounds_forward_and_passes_derivative_through(mode):
    ste = _with_rule(wnp.round, lambda p, t: (wnp.round(p[0]), t[0]))
    x = np.array([0.2, 1.7, -2.4])
    np.testing.assert_array_equal(ste(x), [0.0, 2.0, -2.0])
    if mode == "reverse":
        g = grad(lambda x: wnp.sum(ste(x)))(x)
    else:
        g = np.array([jvp(lambda x: wnp.sum(ste(x)), (x,), (e,))[1] for e in np.eye(3)])
    np.testing.assert_array_equal(g, np.ones(3))


def test_custom_vjp_residual_reuses_the_forward_result():
    calls = []

    def fwd(x):
        y = wnp.exp(x)
        calls.append("exp")
        return y, y

    exp_saved = _with_vjp(wnp.exp, fwd, lambda y, g: (g * y,))
    assert grad(exp_saved)(1.0) == pytest.approx(math.e)
    assert calls == ["exp"]


# --- nondiff_argnums -------------------------------------------------------------------------


def test_custom_jvp_nondiff_argument_comes_first_in_the_rule():
    @partial(custom_jvp, nondiff_argnums=(1,))
    def power(x, n):
        return x**n

    @power.defjvp
    def power_jvp(n, primals, tangents):
        (x,), (dx,) = primals, tangents
        return power(x, n), n * x ** (n - 1) * dx

    assert grad(power)(2.0, 3) == pytest.approx(12.0)
    assert jvp(lambda x: power(x, 3), (2.0,), (1.0,))[1] == pytest.approx(12.0)
    assert grad(grad(power))(2.0, 3) == pytest.approx(12.0)


def test_custom_jvp_function_valued_nondiff_argument():
    @partial(custom_jvp, nondiff_argnums=(0,))
    def apply(f, x):
        return f(x)

    @apply.defjvp
    def apply_jvp(f, primals, tangents):
        return jvp(f, primals, tangents)

    assert grad(apply, argnums=1)(wnp.sin, 0.5) == pytest.approx(math.cos(0.5))


def test_custom_jvp_traced_value_in_nondiff_argument_is_a_constant():
    scale = _with_rule(lambda s, x: s * x, lambda s, p, t: (s * p[0], s * t[0]), nondiff_argnums=(0,))
    assert grad(lambda s: scale(s, 3.0))(2.0) == 0.0
    assert grad(lambda x: scale(x, x))(2.0) == 2.0


def test_custom_vjp_traced_value_in_nondiff_argument_is_an_error():
    scale = _with_vjp(lambda s, x: s * x, lambda s, x: (s * x, None), lambda s, _, g: (s * g,), nondiff_argnums=(0,))
    assert grad(scale, argnums=1)(2.0, 3.0) == 2.0
    with pytest.raises(TransformError, match=r"'<lambda>': argument 0 is in nondiff_argnums but holds a traced"):
        grad(lambda s: scale(s, 3.0))(2.0)


def test_nondiff_argnums_out_of_range_is_an_error():
    f = _with_rule(lambda x: x, lambda n, p, t: (p[0], t[0]), nondiff_argnums=(1,))
    with pytest.raises(TransformError, match="nondiff_argnums"):
        f(1.0)


def test_keyword_and_default_arguments_are_bound_to_positions():
    @partial(custom_jvp, nondiff_argnums=(1,))
    def scaled(x, factor=2.0):
        return factor * x

    scaled.defjvp(lambda factor, p, t: (factor * p[0], factor * t[0]))
    assert grad(scaled)(1.0) == 2.0
    assert grad(lambda x: scaled(x, factor=5.0))(1.0) == 5.0
    assert grad(lambda x: scaled(x=x))(1.0) == 2.0


# --- pytrees ---------------------------------------------------------------------------------


@custom_jvp
def affine(params, x):
    return {"y": params["w"] * x + params["b"], "w_squared": params["w"] ** 2}


@affine.defjvp
def _affine_jvp(primals, tangents):
    (params, x), (dparams, dx) = primals, tangents
    tangent = {
        "y": dparams["w"] * x + params["w"] * dx + dparams["b"],
        "w_squared": 2.0 * params["w"] * dparams["w"],
    }
    return affine(params, x), tangent


def test_custom_jvp_pytree_arguments_and_outputs_in_both_modes():
    params = {"w": np.array([1.0, 2.0]), "b": np.array([0.5, -0.5])}
    x = np.array([3.0, 4.0])

    def loss(params, x):
        out = affine(params, x)
        return wnp.sum(out["y"] ** 2) + wnp.sum(out["w_squared"])

    g_params, g_x = grad(loss, argnums=(0, 1))(params, x)
    y = params["w"] * x + params["b"]
    np.testing.assert_allclose(g_params["w"], 2.0 * y * x + 2.0 * params["w"])
    np.testing.assert_allclose(g_params["b"], 2.0 * y)
    np.testing.assert_allclose(g_x, 2.0 * y * params["w"])
    check_grads(loss, (params, x), order=2)


def test_custom_vjp_pytree_arguments_and_outputs():
    @custom_vjp
    def split(pair):
        a, b = pair
        return {"sum": a + b, "product": a * b}

    def fwd(pair):
        return split(pair), pair

    def bwd(pair, g):
        a, b = pair
        return ((g["sum"] + g["product"] * b, g["sum"] + g["product"] * a),)

    split.defvjp(fwd, bwd)

    def loss(pair):
        out = split(pair)
        return out["sum"] * 3.0 + out["product"]

    ga, gb = grad(loss)((2.0, 5.0))
    assert (ga, gb) == (8.0, 5.0)
    check_grads(lambda a, b: loss((a, b)), (2.0, 5.0), order=2, modes=("rev",))


# --- checked results: structure, shape, closures ---------------------------------------------


def test_calling_a_custom_function_without_a_rule_is_an_error():
    with pytest.raises(TransformError, match=r"'<lambda>' has no JVP rule.*defjvp"):
        custom_jvp(lambda x: x)(1.0)
    with pytest.raises(TransformError, match=r"no VJP rule.*defvjp"):
        custom_vjp(lambda x: x)(1.0)


def test_bwd_returning_wrong_number_of_cotangents_names_the_function():
    def two_args(x, y):
        return x * y

    f = _with_vjp(two_args, lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1],))
    with pytest.raises(TransformError, match=r"'two_args': bwd must return a tuple of 2 .*\(x, y\)"):
        grad(f)(1.0, 2.0)


def test_bwd_returning_a_bare_array_instead_of_a_tuple_is_an_error():
    def identity(x):
        return x

    f = _with_vjp(identity, lambda x: (x, None), lambda _, g: g)
    with pytest.raises(TransformError, match=r"'identity': bwd must return a tuple of 1"):
        grad(f)(1.0)


def test_bwd_returning_wrong_structure_names_the_function_and_argument():
    def total(pair):
        return pair[0] + pair[1]

    f = _with_vjp(total, lambda pair: (total(pair), None), lambda _, g: ([g, g, g],))
    with pytest.raises(TransformError, match=r"'total': bwd returned a cotangent of structure .* argument 0 \(pair\)"):
        grad(f)((1.0, 2.0))


def test_bwd_returning_wrong_shape_names_the_function_and_argument():
    def total(x):
        return wnp.sum(x)

    f = _with_vjp(total, lambda x: (total(x), None), lambda _, g: (g * np.ones(2),))
    with pytest.raises(ShapeError, match=r"'total': bwd returned a cotangent of shape \(2,\) for argument 0 \(x\)"):
        grad(f)(np.ones(3))


def test_jvp_rule_must_return_a_pair():
    def bad(x):
        return x

    f = _with_rule(bad, lambda p, t: t[0])
    with pytest.raises(TransformError, match=r"'bad': its JVP rule must return a pair"):
        jvp(f, (1.0,), (1.0,))


def test_jvp_rule_tangent_of_wrong_structure_or_shape_is_an_error():
    def wrong_structure(x):
        return x

    f = _with_rule(wrong_structure, lambda p, t: (p[0], (t[0], t[0])))
    with pytest.raises(TransformError, match=r"'wrong_structure': its JVP rule returned a tangent of structure"):
        grad(f)(1.0)

    def wrong_shape(x):
        return x

    g = _with_rule(wrong_shape, lambda p, t: (p[0], wnp.sum(t[0])))
    with pytest.raises(ShapeError, match=r"'wrong_shape': its JVP rule returned a tangent of shape \(\)"):
        jvp(g, (np.ones(2),), (np.ones(2),))


def test_jvp_rule_primal_output_depending_on_tangent_is_an_error():
    def leaky(x):
        return x

    f = _with_rule(leaky, lambda p, t: (p[0] + 0.0 * t[0], t[0]))
    with pytest.raises(TransformError, match=r"'leaky': its JVP rule's primal output depends on the tangents"):
        grad(f)(1.0)


def test_keyword_only_arguments_are_an_error():
    def keyword_only(x, *, scale):
        return scale * x

    f = _with_rule(keyword_only, lambda p, t: (p[0], t[0]))
    with pytest.raises(TransformError, match=r"keyword_only: keyword-only arguments \['scale'\] cannot be passed"):
        f(1.0, scale=2.0)


def test_fwd_must_return_output_and_residuals():
    def lonely(x):
        return x

    f = _with_vjp(lonely, lambda x: x, lambda _, g: (g,))
    with pytest.raises(TransformError, match=r"'lonely': fwd must return a pair \(output, residuals\)"):
        grad(f)(1.0)


def _closing_over(kind):
    """A function of y whose custom function of x closes over y (a traced value)."""

    def outer(y):
        if kind == "jvp":
            inner = _with_rule(lambda x: x * y, lambda p, t: (p[0] * y, t[0] * y))
        else:
            inner = _with_vjp(lambda x: x * y, lambda x: (x * y, None), lambda _, g: (g * y,))
        return inner(3.0 * y)

    return outer


@pytest.mark.parametrize("transform", ["grad", "jvp"])
def test_custom_jvp_closing_over_a_traced_value_is_a_clear_error(transform):
    outer = _closing_over("jvp")
    with pytest.raises(TransformError, match=r"depends on a value traced by an enclosing transform.*argument"):
        if transform == "grad":
            grad(outer)(2.0)
        else:
            jvp(outer, (2.0,), (1.0,))


def test_custom_vjp_closing_over_a_traced_value_is_a_clear_error():
    with pytest.raises(TransformError, match=r"fwd's output depends on a value traced by an enclosing"):
        grad(_closing_over("vjp"))(2.0)


def test_bwd_closing_over_a_traced_value_is_a_clear_error():
    def outer(y):
        f = _with_vjp(lambda x: x * 2.0, lambda x: (x * 2.0, None), lambda _, g: (g * y,))
        return f(y)

    with pytest.raises(TransformError, match=r"bwd used a traced value .* residuals") as info:
        grad(outer)(2.0)
    assert isinstance(info.value.__cause__, LeakedTracerError)


def test_closing_over_a_traced_value_is_fine_when_no_argument_is_traced():
    outer = _closing_over("jvp")

    def constant_argument(y):
        inner = _with_rule(lambda x: x * y, lambda p, t: (p[0] * y, t[0] * y))
        return inner(3.0)

    assert grad(constant_argument)(2.0) == 3.0
    assert outer(2.0) == 12.0


# --- the documented examples -----------------------------------------------------------------

CUSTOM_DERIVATIVES_DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "custom_derivatives.md"


def test_docstring_examples_run_as_written():
    with np.errstate(over="ignore", invalid="ignore"):
        results = doctest.testmod(custom_derivatives, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0
    assert results.failed == 0


def test_examples_in_the_custom_derivatives_document_run_as_written():
    with np.errstate(over="ignore", invalid="ignore"):
        results = doctest.testfile(
            str(CUSTOM_DERIVATIVES_DOC),
            module_relative=False,
            optionflags=doctest.NORMALIZE_WHITESPACE,
            verbose=False,
        )
    assert results.attempted > 0
    assert results.failed == 0
