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
from wengert import grad, hessian, jit, jvp, linearize, linear_transpose, vjp, vmap
from wengert.cli import main

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
