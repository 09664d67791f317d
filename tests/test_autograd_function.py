"""Specification of ``wengert.autograd.Function``: custom operations with a hand-written backward.

Held to PyTorch's ``torch.autograd.Function`` on the same definitions:
values, first and second derivatives agree; ``ctx`` behaves as in PyTorch
(saved tensors, ``needs_input_grad``, non-differentiable outputs); and a
backward that returns the wrong number or shapes of gradients is an error
naming the Function and the input.
"""

import numpy as np
import pytest

import wengert
import wengert.autograd as autograd
import wengert.numpy as wnp
from wengert import tensor
from wengert.autograd import Function, once_differentiable
from wengert.check import gradcheck, gradgradcheck
from wengert.errors import AutogradError, TracerError

wt = wengert  # the creation functions live at the top level, as in torch

torch = pytest.importorskip("torch")


def _exp_function(base):
    class Exp(base):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_y):
            (y,) = ctx.saved_tensors
            return grad_y * y

    return Exp


def _scaled_product_function(base):
    """Two inputs, a non-tensor argument, two outputs."""

    class ScaledProduct(base):
        @staticmethod
        def forward(ctx, x, w, scale):
            ctx.save_for_backward(x, w)
            ctx.scale = scale
            return x * w * scale, (x + w).sum()

        @staticmethod
        def backward(ctx, grad_product, grad_total):
            x, w = ctx.saved_tensors
            grad_x = grad_product * w * ctx.scale + grad_total
            grad_w = grad_product * x * ctx.scale + grad_total
            return grad_x, grad_w, None

    return ScaledProduct


def test_custom_exp_agrees_with_pytorch_to_second_order():
    x_np = np.array([0.3, -1.2, 2.0])
    results = []
    for base, make, grad in (
        (Function, lambda d: wt.tensor(d, requires_grad=True), autograd.grad),
        (torch.autograd.Function, lambda d: torch.tensor(d, requires_grad=True), torch.autograd.grad),
    ):
        x = make(x_np)
        y = _exp_function(base).apply(x * 2)
        (g,) = grad((y * y).sum(), x, create_graph=True)
        (h,) = grad(g.sum(), x)
        results.append([y.detach().numpy().copy(), g.detach().numpy().copy(), h.numpy().copy()])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_several_inputs_and_outputs_agree_with_pytorch():
    x_np, w_np = np.array([1.0, 2.0]), np.array([-0.5, 3.0])
    results = []
    for base, make in (
        (Function, lambda d: wt.tensor(d, requires_grad=True)),
        (torch.autograd.Function, lambda d: torch.tensor(d, requires_grad=True)),
    ):
        x, w = make(x_np), make(w_np)
        product, total = _scaled_product_function(base).apply(x, w, 1.5)
        (product.sin().sum() + total**2).backward()
        results.append([x.grad.numpy().copy(), w.grad.numpy().copy()])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_unused_output_gets_zero_gradient():
    x, w = tensor([1.0, 2.0], requires_grad=True), tensor([3.0, 4.0], requires_grad=True)
    product, _ = _scaled_product_function(Function).apply(x, w, 2.0)
    product.sum().backward()
    assert x.grad.tolist() == [6.0, 8.0]


def test_grad_fn_is_named_for_the_function():
    y = _exp_function(Function).apply(tensor([1.0], requires_grad=True))
    assert y.grad_fn.name() == "ExpBackward" and not y.is_leaf


def test_needs_input_grad_says_which_inputs_require_grad():
    seen = []

    class Record(Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    Record.apply(tensor([1.0], requires_grad=True), tensor([1.0]), 3)
    assert seen == [(True, False, False)]


def test_forward_runs_without_recording():
    class Inside(Function):
        @staticmethod
        def forward(ctx, x):
            inner = x * 2
            assert not inner.requires_grad
            return inner

        @staticmethod
        def backward(ctx, g):
            return g * 2

    assert Inside.apply(tensor([1.0], requires_grad=True)).requires_grad


def test_no_grad_input_gives_untracked_output():
    y = _exp_function(Function).apply(tensor([1.0]))
    assert not y.requires_grad


def test_mark_non_differentiable_output_does_not_require_grad():
    class SortWithIndices(Function):
        @staticmethod
        def forward(ctx, x):
            values, indices = x.sort()
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(indices)
            return values, indices

        @staticmethod
        def backward(ctx, grad_values, grad_indices):
            (indices,) = ctx.saved_tensors
            grad = wt.zeros(grad_values.shape)
            grad[indices] = grad_values
            return grad

    x = tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = SortWithIndices.apply(x)
    assert values.requires_grad and not indices.requires_grad
    (values * tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_setup_context_form():
    class Square(Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = tensor([3.0], requires_grad=True)
    Square.apply(x).sum().backward()
    assert x.grad.tolist() == [6.0]


def test_wrong_number_of_gradients_names_function():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(
        AutogradError,
        match=r"TooFew.backward returned 1 gradient\(s\), but forward took 2 input\(s\) \(none for input 1 \(y\)\)",
    ):
        TooFew.apply(tensor([1.0], requires_grad=True), tensor([2.0])).sum().backward()


def test_wrong_gradient_shape_names_function_and_input():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g, g.sum()

    x, y = tensor([1.0, 2.0], requires_grad=True), tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(AutogradError, match=r"WrongShape.backward.*shape \(\) for input 1 \(y\).*shape \(2,\)"):
        WrongShape.apply(x, y).sum().backward()


def test_gradient_for_non_tensor_input_is_an_error():
    class GradForScale(Function):
        @staticmethod
        def forward(ctx, x, scale):
            return x * scale

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(
        AutogradError, match=r"GradForScale.backward.*input 1 \(scale\) of forward, which is not a Tensor"
    ):
        GradForScale.apply(tensor([1.0], requires_grad=True), 2.0).sum().backward()


def test_saved_tensor_changed_in_place_is_an_error():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = _exp_function(Function).apply(x)
    with wt.no_grad():
        y.mul_(2)
    with pytest.raises(AutogradError, match="saved tensor 0.*in-place"):
        y.sum().backward()


def test_second_backward_through_freed_function_is_an_error():
    x = tensor([1.0], requires_grad=True)
    y = _exp_function(Function).apply(x).sum()
    y.backward()
    with pytest.raises(AutogradError, match="second time"):
        y.backward()


def test_once_differentiable_backward_refuses_a_second_derivative():
    class ExpOnce(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            assert not wt.is_grad_enabled()
            return g * y

    x = tensor([0.5], requires_grad=True)
    (g,) = autograd.grad(ExpOnce.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.exp([0.5]))
    with pytest.raises(AutogradError, match="once_differentiable"):
        g.sum().backward()


def test_functional_tracer_argument_points_to_custom_vjp():
    import wengert

    with pytest.raises(TracerError, match="custom_vjp"):
        wengert.grad(lambda x: _exp_function(Function).apply(x).sum())(np.array([1.0]))


def test_gradcheck_and_gradgradcheck_pass_on_a_correct_function():
    x = tensor([0.3, -0.4], requires_grad=True)
    assert gradcheck(_exp_function(Function).apply, (x,))
    assert gradgradcheck(_exp_function(Function).apply, (x,))


def test_function_built_from_numpy_face_functions():
    class SoftClip(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return wnp.tanh(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g / wnp.cosh(x) ** 2

    x = tensor([0.1, 2.0], requires_grad=True)
    assert gradcheck(SoftClip.apply, (x,)) and gradgradcheck(SoftClip.apply, (x,))
