"""Probes: ordinary numerics differentiate as NumPy computes, in every transform, and never crash.

Division by a Python zero, the edges of a function's domain, singular and
degenerate matrices, empty reductions and the written conventions at kinks
(docs/conventions.md): each probe names the behaviour it holds, and most are
swept over every way of taking a derivative (forward, reverse, the linearized
program and its transpose, jit, vmap, the compiled backward pass), since a
hole often shows in one transform only.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import grad, hessian, jit, jvp, linear_transpose, linearize, vjp, vmap
from wengert.apps.cli import main

jax.config.update("jax_enable_x64", True)

MODES = ["jvp", "grad", "vjp", "linearize", "transpose", "jit_grad", "jit_jvp", "vmap_grad", "compiled_grad"]


def derivative(f, x, mode):
    """f'(x) of a scalar function at a float ``x``, taken by ``mode``."""
    x = np.float64(x)
    if mode == "jvp":
        return np.asarray(jvp(f, (x,), (1.0,))[1])
    if mode == "grad":
        return np.asarray(grad(f)(x))
    if mode == "vjp":
        return np.asarray(vjp(f, x)[1](np.float64(1.0))[0])
    if mode == "linearize":
        return np.asarray(linearize(f, x)[1](np.float64(1.0)))
    if mode == "transpose":
        _, linear = linearize(f, x)
        return np.asarray(linear_transpose(linear, x)(np.float64(1.0))[0])
    if mode == "jit_grad":
        return np.asarray(jit(grad(f))(x))
    if mode == "jit_jvp":
        return np.asarray(jit(lambda x, t: jvp(f, (x,), (t,))[1])(x, np.float64(1.0)))
    if mode == "vmap_grad":
        return np.asarray(vmap(grad(f))(np.array([x, x])))[0]
    if mode == "compiled_grad":  # the second tape of one structure runs the compiled backward pass
        df = grad(f)
        df(x)
        return np.asarray(df(x))
    raise ValueError(mode)


def same(actual, expected) -> bool:
    """Equal as floats, nan equal to nan and the sign of zero ignored."""
    return bool(np.all((np.asarray(actual) == expected) | (np.isnan(actual) & np.isnan(expected))))


# --- division by a Python zero -------------------------------------------------------------


DIVISIONS_BY_ZERO = {
    "x / 0.0": (lambda x: x / 0.0, np.inf),
    "x / 0": (lambda x: x / 0, np.inf),
    "x / np.float64(0)": (lambda x: x / np.float64(0.0), np.inf),
    "true_divide(x, 0.0)": (lambda x: wnp.true_divide(x, 0.0), np.inf),
    "divide(x, 0)": (lambda x: wnp.divide(x, 0), np.inf),
    "-x / 0.0": (lambda x: -x / 0.0, -np.inf),
    "x / 0.0 * 2.0": (lambda x: x / 0.0 * 2.0, np.inf),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(DIVISIONS_BY_ZERO))
def test_division_by_a_python_zero_differentiates_to_inf_in_every_transform(case, mode):
    f, expected = DIVISIONS_BY_ZERO[case]
    assert same(derivative(f, 1.0, mode), expected)


def test_division_by_a_python_zero_warns_as_numpy_does_and_never_raises():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert float(grad(lambda x: x / 0.0)(1.0)) == np.inf
    assert all(issubclass(w.category, RuntimeWarning) for w in caught)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_division_by_a_python_zero_has_second_derivative_zero_as_in_jax():
    assert float(hessian(lambda x: x / 0.0)(1.0)) == float(jax.hessian(lambda x: x / 0.0)(1.0)) == 0.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_division_by_a_python_zero_keeps_float32():
    x = np.array([1.0, 2.0], np.float32)
    g = grad(lambda x: wnp.sum(x / 0.0))(x)
    assert g.dtype == np.float32 and np.all(g == np.inf)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    "case",
    ["t / 0.0", "t / 0", "0.0 / t", "div(0)", "div_(0)", "/= 0", "true_divide(0.0)", "reciprocal", "t ** -1", "rsqrt"],
)
@pytest.mark.parametrize("at", [0.0, 2.0])
def test_tensor_division_by_zero_matches_pytorch(case, at):
    torch = pytest.importorskip("torch")

    def in_place_divide(t):
        t /= 0
        return t

    ops = {
        "t / 0.0": lambda t: t / 0.0,
        "t / 0": lambda t: t / 0,
        "0.0 / t": lambda t: 0.0 / t,
        "div(0)": lambda t: t.div(0),
        "div_(0)": lambda t: (t * 1).div_(0),
        "/= 0": lambda t: in_place_divide(t * 1),
        "true_divide(0.0)": lambda t: t.true_divide(0.0),
        "reciprocal": lambda t: t.reciprocal(),
        "t ** -1": lambda t: t**-1,
        "rsqrt": lambda t: t.rsqrt(),
    }
    results = []
    for tensor in (wengert.tensor, torch.tensor):
        x = tensor([at], dtype=wengert.float64 if tensor is wengert.tensor else torch.float64, requires_grad=True)
        y = ops[case](x)
        y.sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    (wengert_value, wengert_grad), (torch_value, torch_grad) = results
    assert same(wengert_value, torch_value) and same(wengert_grad, torch_grad)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", ["t % 0", "remainder(0.0)", "fmod(0)", "fmod(0.0)"])
def test_tensor_remainder_by_zero_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    ops = {
        "t % 0": lambda t: t % 0,
        "remainder(0.0)": lambda t: t.remainder(0.0),
        "fmod(0)": lambda t: t.fmod(0),
        "fmod(0.0)": lambda t: t.fmod(0.0),
    }
    results = []
    for tensor, dtype in ((wengert.tensor, wengert.float64), (torch.tensor, torch.float64)):
        x = tensor([2.0, 0.0], dtype=dtype, requires_grad=True)
        y = ops[case](x)
        y.sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    assert same(results[0][0], results[1][0]) and same(results[0][1], results[1][1])


def run_cli(capsys, *argv):
    status = main(list(argv))
    return status, capsys.readouterr()


def test_cli_diff_of_a_division_by_zero_prints_inf(capsys):
    status, captured = run_cli(capsys, "diff", "x / 0", "--at", "x=1")
    assert status == 0, captured.err
    row = next(line for line in captured.out.splitlines() if line.strip().startswith("df/dx"))
    assert row.split()[1:3] == ["inf", "inf"]


def test_cli_diff_forward_mode_takes_each_variable_alone(capsys):
    # With a zero tangent for y, forward mode would give d(x / 0 * y)/dx = inf + inf * 0 = nan.
    status, captured = run_cli(capsys, "diff", "x / 0 * y", "--at", "x=1,y=2")
    assert status == 0, captured.err
    rows = [line.split() for line in captured.out.splitlines() if line.strip().startswith("df/d")]
    assert [row[1:3] for row in rows] == [["inf", "inf"], ["inf", "inf"]]


# --- determinants at singular matrices -------------------------------------------------------


SINGULAR = {
    "rank n - 1": np.array([[1.0, 2.0], [2.0, 4.0]]),
    "nilpotent": np.array([[0.0, 1.0], [0.0, 0.0]]),
    "zero": np.zeros((2, 2)),
    "3x3 rank 2": np.arange(1.0, 10.0).reshape(3, 3),
    "3x3 rank 1": np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]),
}


def matrix_derivatives(f, a, t):
    """The gradient of a scalar function of a matrix by each transform, and its jvp along ``t``."""
    _, linear = linearize(f, a)
    compiled = grad(f)
    compiled(a)
    return {
        "grad": grad(f)(a),
        "vjp": vjp(f, a)[1](np.float64(1.0))[0],
        "transpose": linear_transpose(linear, a)(np.float64(1.0))[0],
        "jit": jit(grad(f))(a),
        "vmap": vmap(grad(f))(a[None])[0],
        "compiled": compiled(a),
    }, {"jvp": jvp(f, (a,), (t,))[1], "linearize": linear(t), "jit": jit(lambda a, t: jvp(f, (a,), (t,))[1])(a, t)}


def test_det_has_the_adjugate_as_its_derivative_at_a_singular_matrix():
    gradient = grad(wnp.linalg.det)(np.array([[1.0, 2.0], [2.0, 4.0]]))
    np.testing.assert_allclose(gradient, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-14)


@pytest.mark.parametrize("case", list(SINGULAR))
def test_det_derivative_at_singular_matrices_matches_jax_in_every_transform(case):
    a = SINGULAR[case]
    t = np.random.default_rng(0).standard_normal(a.shape)
    gradients, tangents = matrix_derivatives(wnp.linalg.det, a, t)
    expected = np.asarray(jax.grad(jnp.linalg.det)(a))
    for mode, gradient in gradients.items():
        np.testing.assert_allclose(gradient, expected, atol=1e-12, err_msg=mode)
    for mode, tangent in tangents.items():
        np.testing.assert_allclose(tangent, np.sum(expected * t), atol=1e-12, err_msg=mode)


@pytest.mark.parametrize("case", list(SINGULAR))
def test_det_second_derivative_at_singular_matrices_matches_jax(case):
    a = SINGULAR[case]
    expected = np.asarray(jax.hessian(jnp.linalg.det)(a))
    for name, second in {"hessian": hessian, "jacrev of jacrev": lambda f: wengert.jacrev(wengert.jacrev(f))}.items():
        np.testing.assert_allclose(second(wnp.linalg.det)(a), expected, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(jit(hessian(wnp.linalg.det))(a), expected, atol=1e-12)


@pytest.mark.parametrize("at", ["random", "identity"])
def test_det_third_derivative_at_an_invertible_matrix_matches_jax(at):
    a = np.eye(3) if at == "identity" else np.random.default_rng(1).standard_normal((3, 3))
    expected = np.asarray(jax.jacfwd(jax.hessian(jnp.linalg.det))(a))
    np.testing.assert_allclose(wengert.jacfwd(hessian(wnp.linalg.det))(a), expected, atol=1e-10)
    np.testing.assert_allclose(wengert.jacrev(wengert.jacrev(grad(wnp.linalg.det)))(a), expected, atol=1e-10)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", ["rank n - 1", "nilpotent", "zero", "3x3 rank 2"])
def test_slogdet_derivative_at_a_singular_matrix_is_infinite_as_in_jax(case):
    a = SINGULAR[case]
    t = np.ones_like(a)

    def logabsdet(a):
        return wnp.linalg.slogdet(a)[1]

    def jax_logabsdet(a):
        return jnp.linalg.slogdet(a)[1]

    gradient = grad(logabsdet)(a)
    expected = np.asarray(jax.grad(jax_logabsdet)(a))
    finite_in_jax = ~np.isnan(expected)  # where JAX's LU leaves nan, the adjugate over 0 is ±inf
    assert same(gradient[finite_in_jax], expected[finite_in_jax])
    assert np.all(np.isinf(gradient) | np.isnan(gradient))
    assert same(jvp(logabsdet, (a,), (t,))[1], np.asarray(jax.jvp(jax_logabsdet, (a,), (t,))[1]))
    assert same(jit(grad(logabsdet))(a), gradient)


def test_slogdet_derivative_of_a_large_determinant_is_the_inverse_transpose():
    a = np.random.default_rng(2).standard_normal((60, 60)) * 1e3  # det overflows a float
    gradient = grad(lambda a: wnp.linalg.slogdet(a)[1])(a)
    np.testing.assert_allclose(gradient, np.linalg.inv(a).T, rtol=1e-9, atol=1e-14)


# --- variance with no degrees of freedom left -----------------------------------------------


@pytest.mark.filterwarnings("ignore:divide by zero")
@pytest.mark.parametrize("ddof", [3, 4])
@pytest.mark.parametrize("fn", ["var", "std"])
def test_var_and_std_with_ddof_at_least_the_count_are_nonfinite_as_in_numpy(fn, ddof):
    x = np.array([1.0, 2.0, 4.0])
    wengert_fn, numpy_fn = getattr(wnp, fn), getattr(np, fn)
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        expected = numpy_fn(x, ddof=ddof)
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        assert same(wengert_fn(x, ddof=ddof), expected)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert same(jit(lambda x: wengert_fn(x, ddof=ddof))(x), expected)
        assert np.all(np.isnan(grad(lambda x: wengert_fn(x, ddof=ddof))(x)))
        assert np.isnan(jvp(lambda x: wengert_fn(x, ddof=ddof), (x,), (np.ones(3),))[1])
        assert same(wengert.tensor(x).var(correction=ddof).detach().numpy(), np.var(x, ddof=ddof))


# --- factors with no derivative run under jit and vmap ----------------------------------------


FACTORS_WITHOUT_DERIVATIVE = {
    "qr complete, tall": (lambda m, a: tuple(m.linalg.qr(a, mode="complete")), (4, 3)),
    "qr raw": (lambda m, a: tuple(m.linalg.qr(a, mode="raw")), (4, 3)),
    "svd full_matrices, tall": (lambda m, a: tuple(m.linalg.svd(a, full_matrices=True)), (4, 3)),
    "svd full_matrices, wide": (lambda m, a: tuple(m.linalg.svd(a, full_matrices=True)), (3, 5)),
}


@pytest.mark.parametrize("case", list(FACTORS_WITHOUT_DERIVATIVE))
def test_complete_qr_and_full_svd_of_non_square_matrices_run_under_jit_and_vmap(case):
    fn, shape = FACTORS_WITHOUT_DERIVATIVE[case]
    a = np.random.default_rng(3).standard_normal((2, *shape))
    expected = [fn(np, a[0]), fn(np, a[1])]
    for name, run in {
        "jit": lambda: [jit(lambda a: fn(wnp, a))(a[k]) for k in range(2)],
        "vmap": lambda: [[f[k] for f in vmap(lambda a: fn(wnp, a))(a)] for k in range(2)],
        "jit of vmap": lambda: [[f[k] for f in jit(vmap(lambda a: fn(wnp, a)))(a)] for k in range(2)],
    }.items():
        for got, want in zip(run(), expected):
            for g, w in zip(got, want):
                np.testing.assert_allclose(g, w, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", list(FACTORS_WITHOUT_DERIVATIVE))
def test_complete_qr_and_full_svd_refuse_a_derivative_naming_the_fix(case):
    fn, shape = FACTORS_WITHOUT_DERIVATIVE[case]
    a = np.random.default_rng(4).standard_normal(shape)
    fix = "full_matrices=False" if "svd" in case else "mode='reduced'"
    for name, differentiate in {
        "grad": lambda: grad(lambda a: wnp.sum(fn(wnp, a)[0]))(a),
        "jvp": lambda: jvp(lambda a: fn(wnp, a)[0], (a,), (a,)),
        "jit of grad": lambda: jit(grad(lambda a: wnp.sum(fn(wnp, a)[0])))(a),
        "vmap of grad": lambda: vmap(grad(lambda a: wnp.sum(fn(wnp, a)[0])))(a[None]),
    }.items():
        with pytest.raises(wengert.errors.TransformError, match=f"no derivative.*{fix}") as raised:
            differentiate()
        assert "test_probes_numerics.py" in str(raised.value), name


# --- hypot at the origin ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_hypot_at_the_origin_has_derivative_zero_in_every_transform(mode):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0 / 0 on the way
        assert same(derivative(lambda x: wnp.hypot(x, 0.0), 0.0, mode), 0.0)
        assert same(derivative(lambda y: wnp.hypot(0.0, y), 0.0, mode), 0.0)
        assert same(derivative(lambda x: wnp.hypot(x, x), 0.0, mode), 0.0)


def test_hypot_at_the_origin_has_second_derivative_zero_as_abs_and_norm():
    np.testing.assert_array_equal(hessian(lambda v: wnp.hypot(v[0], v[1]))(np.zeros(2)), np.zeros((2, 2)))
    assert float(hessian(lambda x: wnp.hypot(x, 0.0))(0.0)) == float(hessian(wnp.abs)(0.0)) == 0.0


def test_hypot_away_from_the_origin_matches_jax_to_second_order():
    v = np.array([3.0, -4.0])
    np.testing.assert_allclose(grad(lambda v: wnp.hypot(v[0], v[1]))(v), [0.6, -0.8])
    np.testing.assert_allclose(
        hessian(lambda v: wnp.hypot(v[0], v[1]))(v), jax.hessian(lambda v: jnp.hypot(v[0], v[1]))(v), rtol=1e-12
    )


def test_hypot_does_not_overflow_where_numpy_does_not():
    assert float(wnp.hypot(1e200, 1e200)) == float(np.hypot(1e200, 1e200))
    assert float(grad(wnp.hypot)(1e200, 1e200)) == pytest.approx(2**-0.5)


def test_tensor_hypot_at_the_origin_has_gradient_zero():
    x = wengert.zeros(2, requires_grad=True)
    x.hypot(wengert.zeros(2)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


# --- the written conventions, in every transform ---------------------------------------------


def _relu_by_where(x):
    return wnp.where(x > 0, x, 0.0)


def _double_where_sqrt(x):
    positive = x > 0
    return wnp.where(positive, wnp.sqrt(wnp.where(positive, x, 1.0)), 0.0)


def _double_where_reciprocal(x):
    nonzero = x != 0
    return wnp.where(nonzero, 1.0 / wnp.where(nonzero, x, 1.0), 0.0)


def _double_where_arcsin(x):
    inside = wnp.abs(x) < 1
    return wnp.where(inside, wnp.arcsin(wnp.where(inside, x, 0.0)), 0.0)


CONVENTIONS = {  # name: (function, at, derivative), as docs/conventions.md writes them
    "relu'(0) = 0": (_relu_by_where, 0.0, 0.0),
    "abs'(0) = 0": (wnp.abs, 0.0, 0.0),
    "maximum ties split": (lambda x: wnp.maximum(x, 1.0), 1.0, 0.5),
    "minimum ties split": (lambda x: wnp.minimum(1.0, x), 1.0, 0.5),
    "maximum(x, x)' = 1": (lambda x: wnp.maximum(x, x), 0.7, 1.0),
    "max reduction: 1/k to each tie": (lambda x: wnp.max(wnp.stack([x, wnp.ones_like(x), x])), 1.0, 2 / 3),
    "sqrt'(0) = inf": (wnp.sqrt, 0.0, np.inf),
    "(x ** 2)'(0) = 0": (lambda x: x**2, 0.0, 0.0),
    "(x ** 0)'(0) = 0": (lambda x: x**0.0, 0.0, 0.0),
    "d(0 ** y)/dy = 0": (lambda y: 0.0**y, 2.0, 0.0),
    "norm'(0) = 0": (lambda x: wnp.linalg.norm(x * np.ones(3)), 0.0, 0.0),
    "hypot'(0, 0) = 0": (lambda x: wnp.hypot(x, 0.0), 0.0, 0.0),
    "clip at its lower bound": (lambda x: wnp.clip(x, 0.0, 1.0), 0.0, 1.0),
    "clip at its upper bound": (lambda x: wnp.clip(x, 0.0, 1.0), 1.0, 1.0),
    "floor'(2) = 0": (wnp.floor, 2.0, 0.0),
    "round'(2.5) = 0": (wnp.round, 2.5, 0.0),
    "sign'(0) = 0": (wnp.sign, 0.0, 0.0),
    "double where, sqrt, untaken": (_double_where_sqrt, -1.0, 0.0),
    "double where, sqrt, at the edge": (_double_where_sqrt, 0.0, 0.0),
    "double where, sqrt, taken": (_double_where_sqrt, 4.0, 0.25),
    "double where, 1 / x, untaken": (_double_where_reciprocal, 0.0, 0.0),
    "double where, arcsin, untaken": (_double_where_arcsin, 2.0, 0.0),
    "straight-through estimator": (lambda x: x + wengert.stop_gradient(wnp.round(x) - x), 1.3, 1.0),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("convention", list(CONVENTIONS))
def test_each_written_convention_holds_in_every_transform(convention, mode):
    f, at, expected = CONVENTIONS[convention]
    assert same(derivative(f, at, mode), expected)


@pytest.mark.parametrize(
    "f, at",
    [(_double_where_sqrt, -1.0), (_double_where_reciprocal, 0.0), (_double_where_arcsin, 2.0), (_relu_by_where, 0.0)],
    ids=["sqrt", "reciprocal", "arcsin", "relu"],
)
def test_a_double_where_has_finite_second_derivatives_where_its_branch_is_not_taken(f, at):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(hessian(f)(at)) == 0.0
        assert float(jit(hessian(f))(at)) == 0.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", [m for m in MODES if m not in ("jvp", "linearize", "jit_jvp")])
def test_an_infinite_cotangent_reaching_a_where_stays_out_of_the_untaken_branch(mode):
    # sqrt'(0) = inf arrives at the where; the where selects it away instead of multiplying it by 0
    assert same(derivative(lambda x: wnp.sqrt(wnp.where(x > 0, x, 0.0)), -1.0, mode), 0.0)


# --- singular and empty inputs that NumPy refuses are refused alike ---------------------------


@pytest.mark.parametrize("fn", ["inv", "solve", "matrix_power"])
@pytest.mark.parametrize("mode", ["plain", "grad", "jvp", "jit", "vmap"])
def test_inverting_a_singular_matrix_raises_linalg_error_as_numpy_does(fn, mode):
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    f = {
        "inv": lambda a: wnp.sum(wnp.linalg.inv(a)),
        "solve": lambda a: wnp.sum(wnp.linalg.solve(a, np.ones(2))),
        "matrix_power": lambda a: wnp.sum(wnp.linalg.matrix_power(a, -1)),
    }[fn]
    run = {
        "plain": lambda: f(a),
        "grad": lambda: grad(f)(a),
        "jvp": lambda: jvp(f, (a,), (a,)),
        "jit": lambda: jit(f)(a),
        "vmap": lambda: vmap(f)(a[None]),
    }[mode]
    with pytest.raises(np.linalg.LinAlgError):
        run()


@pytest.mark.parametrize("fn", ["max", "min", "argmax", "ptp"])
@pytest.mark.parametrize("mode", ["plain", "grad", "jit", "vmap"])
def test_reductions_with_no_identity_over_no_elements_raise_as_numpy_does(fn, mode):
    empty = np.zeros((0,))
    f = getattr(wnp, fn)
    with pytest.raises(ValueError):
        getattr(np, fn)(empty)
    run = {
        "plain": lambda: f(empty),
        "grad": lambda: grad(lambda a: wnp.sum(f(a)))(empty),
        "jit": lambda: jit(f)(empty),
        "vmap": lambda: vmap(f)(empty[None]),
    }[mode]
    with pytest.raises(ValueError):
        run()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a: m.max(a, axis=1, initial=-1.0),
        lambda m, a: m.min(a, axis=1, keepdims=True, initial=2.0),
        lambda m, a: m.median(a, axis=1),
        lambda m, a: m.mean(a, axis=1),
    ],
    ids=["max initial", "min initial keepdims", "median", "mean"],
)
def test_reductions_over_no_elements_give_what_numpy_gives(fn):
    empty = np.zeros((2, 0), np.float32)
    expected = fn(np, empty)
    for name, got in {
        "plain": fn(wnp, empty),
        "jit": jit(lambda a: fn(wnp, a))(empty),
        "vmap": vmap(lambda a: fn(wnp, a))(empty[None])[0],
    }.items():
        assert got.dtype == expected.dtype and same(got, expected), name
    assert grad(lambda a: wnp.sum(fn(wnp, a)))(empty).shape == (2, 0)
