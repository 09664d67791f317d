"""Specification of ``wengert.check.gradcheck`` and ``gradgradcheck`` (PyTorch's semantics).

They return True for correct derivatives and raise GradientCheckError
naming the output, the input and the worst element for wrong ones (or
return False with ``raise_exception=False``), on Tensor functions and on
custom Functions, for first and second derivatives.
"""

import numpy as np
import pytest

import wengert
from wengert import tensor
from wengert.autograd import Function
from wengert.check import gradcheck, gradgradcheck
from wengert.errors import AutogradError, GradientCheckError

wt = wengert  # the creation functions live at the top level, as in torch


def _inputs(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(tensor(rng.standard_normal(s), requires_grad=True) for s in shapes)


class WrongSquare(Function):
    """x^2 with a backward that forgets the factor 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


class CubeWithWrongSecondDerivative(Function):
    """x^3 whose backward is right in value but built from a constant, so its own derivative is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x.detach() ** 2


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda x: (x * x.exp()).sum(), [(3,)]),
        (lambda x, w: (x @ w).tanh(), [(2, 3), (3, 4)]),
        (lambda x: x.softmax(1), [(2, 3)]),
        (lambda x: (x.max(1).values, x.std(0)), [(3, 4)]),
        (lambda x, b: x[1:, ::2] * b, [(3, 4), (2,)]),
    ],
)
def test_gradcheck_and_gradgradcheck_pass_on_tensor_functions(fn, shapes):
    inputs = _inputs(*shapes)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_gradcheck_reports_the_mismatch():
    (x,) = _inputs((3,))
    with pytest.raises(GradientCheckError, match="output 0 with respect to input 0") as info:
        gradcheck(WrongSquare.apply, (x,))
    error = info.value
    assert error.order == 1 and error.mode == "rev"
    assert error.analytic == pytest.approx(error.numeric / 2, rel=1e-6)


def test_gradcheck_returns_false_without_raising():
    (x,) = _inputs((2,))
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_catches_a_wrong_second_derivative():
    (x,) = _inputs((2,))
    assert gradcheck(CubeWithWrongSecondDerivative.apply, (x,))
    with pytest.raises(GradientCheckError) as info:
        gradgradcheck(CubeWithWrongSecondDerivative.apply, (x,))
    assert info.value.order == 2


def test_gradcheck_accepts_a_single_tensor_and_non_tensor_arguments():
    (x,) = _inputs((3,))
    assert gradcheck(lambda x, p: (x.abs() + 1) ** p, (x, 2.5))
    assert gradcheck(lambda x: x.sin(), x)


def test_gradcheck_only_checks_inputs_that_require_grad():
    x, w = _inputs((2,), (2,))
    assert gradcheck(lambda x, w: x * w, (x, w.detach()))


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(AutogradError, match="requires_grad=True"):
        gradcheck(lambda x: x * 2, (tensor([1.0]),))


def test_gradcheck_warns_for_single_precision():
    x = wt.ones(2, dtype=wt.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="float32"):
        assert gradcheck(lambda x: x * 2, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)


def test_gradcheck_tolerances_follow_pytorch():
    (x,) = _inputs((2,))

    # a derivative off by 1e-4 relative passes rtol=1e-3 and fails rtol=1e-6
    class Slightly(Function):
        @staticmethod
        def forward(ctx, x):
            return 3 * x

        @staticmethod
        def backward(ctx, g):
            return g * 3 * (1 + 1e-4)

    assert gradcheck(Slightly.apply, (x,), atol=0, rtol=1e-3)
    assert not gradcheck(Slightly.apply, (x,), atol=0, rtol=1e-6, raise_exception=False)


def test_gradcheck_detects_nondeterministic_backward():
    calls = []

    class Drifting(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * (1 + 1e-12 * len(calls))

    (x,) = _inputs((1,))
    with pytest.raises(GradientCheckError, match="not reentrant"):
        gradcheck(Drifting.apply, (x,))
