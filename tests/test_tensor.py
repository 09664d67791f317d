"""Specification of ``wengert.Tensor``, the PyTorch-style eager face.

The same programs run on wengert Tensors and on PyTorch tensors (float64):
values and gradients agree to 1e-12, with broadcasting, indexing,
reductions over ``dim`` with ``keepdim``, ``max(dim)``, matmul, shape
methods, in-place operations, accumulation over two backward calls,
``retain_grad``, hooks, ``no_grad`` and second derivatives through
``create_graph``. Then each behaviour of the face on its own: storage
sharing, version counters, PyTorch's errors in plain words, and how Tensors
meet ``wengert.numpy`` and the functional transforms.
"""

import copy
import doctest
import pathlib
import pickle
import warnings

import numpy as np
import pytest

import wengert
import wengert.autograd as autograd
import wengert.numpy as wnp
from wengert import Tensor, no_grad, tensor
from wengert.errors import ArgumentError, AutogradError, DtypeError, ShapeError, TracerError

wt = wengert  # the creation functions live at the top level, as in torch

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _arrays(*shapes):
    return [RNG.standard_normal(shape) for shape in shapes]


def _run(lib, program, arrays, requires_grad):
    """Run ``program(lib, *inputs)`` on one library; return its value and the inputs' gradients."""
    if lib == "torch":
        module, make = torch, lambda a, r: torch.tensor(a, dtype=torch.float64, requires_grad=r)
    else:
        module, make = wt, lambda a, r: wt.tensor(a, requires_grad=r)
    inputs = [make(a, r) for a, r in zip(arrays, requires_grad)]
    out = program(module, *inputs)
    out.backward()
    grads = [x.grad.numpy().copy() if x.grad is not None else None for x in inputs]
    return out.detach().numpy().copy(), grads


def _agree(program, arrays, requires_grad=None):
    requires_grad = requires_grad or [True] * len(arrays)
    value, grads = _run("wengert", program, arrays, requires_grad)
    expected_value, expected_grads = _run("torch", program, arrays, requires_grad)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=1e-12)
    for g, expected in zip(grads, expected_grads):
        if expected is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-12)


# --- the same programs on wengert and on PyTorch ---------------------------------------------------
PROGRAMS = {
    "broadcasting": (lambda T, x, w, b: (x * w + b).tanh().sum(), [(3, 4), (4,), (3, 1)]),
    "scalar_operands": (lambda T, x: (2.0 * x - 1.0 / (x * x + 1.0) + x**3 - 3**x).sum(), [(5,)]),
    "basic_indexing": (lambda T, x: x[1:, ::2].exp().sum() + x[0, -1] * x[..., 1].sum(), [(3, 4)]),
    "advanced_indexing": (lambda T, x: (x[[0, 2, 0], [1, 3, 1]] ** 2).sum() + x[x.detach() > 0].sum(), [(3, 4)]),
    "tensor_index": (lambda T, x: x[T.tensor([2, 0, 2])].sin().sum(), [(4, 3)]),
    "sum_dim_keepdim": (lambda T, x: (x.sum(1, keepdim=True) * x.sum(dim=0)).mean(), [(3, 4)]),
    "sum_tuple_dim": (lambda T, x: x.sum((0, 2)).pow(2).sum(), [(2, 3, 4)]),
    "mean_var_std": (lambda T, x: x.mean(0).sum() + x.var(1).sum() + x.std(0, keepdim=True).sum() + x.var(), [(4, 5)]),
    "biased_var": (lambda T, x: x.var(1, unbiased=False).sum() + x.std(correction=0), [(3, 4)]),
    "max_dim": (lambda T, x: x.max(1).values.sum() + x.min(0)[0].sum() + x.max() * x.min(), [(3, 4)]),
    "max_dim_keepdim": (lambda T, x: (x - x.max(dim=1, keepdim=True).values).exp().sum(), [(3, 4)]),
    "amax_prod_norm": (lambda T, x: x.amax(1).sum() + x.prod(1).sum() + x.norm() + x.norm(dim=0).sum(), [(3, 4)]),
    "logsumexp_softmax": (
        lambda T, x: x.logsumexp(1).sum() + (x.softmax(1) * x).sum() + x.log_softmax(dim=0)[1].sum(),
        [(3, 4)],
    ),
    "cumsum": (lambda T, x: (x.cumsum(1) * x).sum() + x.cumprod(0).sum(), [(3, 4)]),
    "matmul_2d": (lambda T, a, b: (a @ b).tanh().sum(), [(3, 4), (4, 5)]),
    "matmul_batched": (lambda T, a, b: a.matmul(b).sum() + a.bmm(a.transpose(1, 2)).sum(), [(2, 3, 4), (4, 5)]),
    "matmul_vectors": (lambda T, m, v: (m @ v).sum() + (v @ m.T).sum() + v.dot(v) + m.mv(v).sum(), [(4, 4), (4,)]),
    "mm_outer": (lambda T, a, b: a.mm(b.T).sum() + a[0].outer(b[1]).sum(), [(3, 4), (3, 4)]),
    "view_reshape_permute": (
        lambda T, x: (x.view(2, 12) * x.reshape(-1, 12)).sum() + x.permute(2, 0, 1).reshape(4, 6)[1].sum(),
        [(2, 3, 4)],
    ),
    "transpose_T_t": (lambda T, x: (x.transpose(0, 1) @ x).sum() + (x.T * x.t()).sum(), [(3, 3)]),
    "unsqueeze_squeeze_flatten": (
        lambda T, x: (
            (x.unsqueeze(1) * x.unsqueeze(-1)).sum()
            + x.unsqueeze(1).squeeze(1).flatten().pow(2).sum()
            + x.unsqueeze(0).squeeze().sum()
        ),
        [(3, 4)],
    ),
    "expand_repeat": (lambda T, x: (x.expand(3, 4) * x.repeat(3, 2)[:, :4]).sum(), [(1, 4)]),
    "cat_stack": (
        lambda T, x, y: (T.cat([x, y], 0) ** 2).sum() + T.stack([x, y], dim=1).prod(1).sum(),
        [(2, 3), (2, 3)],
    ),
    "chunk_split_unbind": (
        lambda T, x: (
            sum((i + 1) * c.sum() for i, c in enumerate(x.chunk(2, 1)))
            + x.split(2, 0)[1].sum()
            + x.unbind(1)[2].exp().sum()
        ),
        [(3, 4)],
    ),
    "gather_index_select": (
        lambda T, x: x.gather(1, T.tensor([[0, 0], [1, 0], [2, 3]])).sum() + x.index_select(0, T.tensor([2, 0])).sum(),
        [(3, 4)],
    ),
    "elementwise": (
        lambda T, x: (x.exp() + x.tanh() + x.sigmoid() + x.relu() + x.abs() + x.sin() * x.cos()).sum(),
        [(3, 4)],
    ),
    "positive_domain": (
        lambda T, x: (x.abs() + 1).log().sum() + (x * x + 1).sqrt().sum() + (x.abs() + 1).pow(1.5).sum(),
        [(3, 4)],
    ),
    "clamp_where_masked_fill": (
        lambda T, x, y: (
            x.clamp(-0.5, 0.5).sum()
            + x.clamp(min=0.1).sum()
            + T.where(x > y, x, y).sum()
            + x.masked_fill(y.detach() > 0, 2.0).sum()
        ),
        [(3, 4), (3, 4)],
    ),
    "maximum_minimum": (lambda T, x, y: x.maximum(y).sum() + x.minimum(y).exp().sum(), [(3, 4), (4,)]),
    "reused_value": (lambda T, x: (lambda h: (h * h + h).sum())(x.tanh()), [(6,)]),
    "float32_roundtrip": (lambda T, x: (x.float() * 2).double().sum(), [(3,)]),
    "clone_contiguous": (lambda T, x: (x.clone() * x.T.contiguous().T).sum(), [(3, 4)]),
    "in_place_on_intermediate": (lambda T, x: (lambda y: y.add_(1).mul_(x).sum())(x * 2), [(5,)]),
    "in_place_with_alpha": (lambda T, x, y: (lambda z: z.sub_(y, alpha=0.5).exp().sum())(x.clone()), [(4,), (4,)]),
    "setitem_records": (
        lambda T, x, w: (lambda y: (y.__setitem__(1, w * 2), (y * y).sum())[1])(x.clone()),
        [(3, 2), (2,)],
    ),
    "addcmul_addcdiv_lerp": (
        lambda T, x, y: (
            x.addcmul(y, y, value=0.5).sum() + x.addcdiv(y, y * y + 1, value=2).sum() + x.lerp(y, 0.3).sum()
        ),
        [(4,), (4,)],
    ),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_values_and_gradients_agree_with_pytorch(name):
    program, shapes = PROGRAMS[name]
    _agree(program, _arrays(*shapes))


def test_gradient_only_for_inputs_that_require_it():
    _agree(lambda T, x, w: (x @ w).sum(), _arrays((2, 3), (3, 2)), requires_grad=[False, True])


def test_max_dim_returns_values_and_indices_like_pytorch():
    x = _arrays((3, 4))[0]
    values, indices = wt.tensor(x).max(1)
    expected = torch.tensor(x).max(1)
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    assert indices.dtype == np.int64
    assert wt.tensor(x).max(dim=0, keepdim=True).values.shape == (1, 4)
    assert wt.tensor(x).argmax(1).tolist() == torch.tensor(x).argmax(1).tolist()


def test_sort_and_topk_return_values_and_indices():
    x = np.array([3.0, 1.0, 2.0])
    values, indices = wt.tensor(x).sort(descending=True)
    assert values.tolist() == [3.0, 2.0, 1.0] and indices.tolist() == [0, 2, 1]
    assert wt.tensor(x).topk(2).indices.tolist() == torch.tensor(x).topk(2).indices.tolist()


def test_gradients_accumulate_over_two_backward_calls_like_pytorch():
    x_np = _arrays((4,))[0]
    x = tensor(x_np, requires_grad=True)
    y = (x * x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    tx = torch.tensor(x_np, requires_grad=True)
    ty = (tx * tx.exp()).sum()
    ty.backward(retain_graph=True)
    ty.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_gradients_accumulate_over_two_graphs():
    x = tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_retain_grad_keeps_gradient_of_intermediate():
    x_np = _arrays((3,))[0]
    x = tensor(x_np, requires_grad=True)
    h = x.tanh()
    h.retain_grad()
    (h * h).sum().backward()
    tx = torch.tensor(x_np, requires_grad=True)
    th = tx.tanh()
    th.retain_grad()
    (th * th).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), th.grad.numpy(), rtol=1e-12)
    assert h.retains_grad and not x.retains_grad


def test_grad_of_non_leaf_without_retain_grad_is_none_with_a_warning():
    x = tensor([1.0], requires_grad=True)
    h = x * 2
    h.sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert h.grad is None


def test_hooks_see_and_replace_gradients_like_pytorch():
    def program(lib_tensor):
        x = lib_tensor([1.0, -2.0, 3.0], requires_grad=True)
        h = x * x
        seen = []
        h.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
        h.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: g + 1)
        h.retain_grad()
        h.sum().backward()
        return x.grad.numpy(), h.grad.numpy(), seen

    mine, theirs = (
        program(wt.tensor),
        program(lambda d, requires_grad: torch.tensor(d, dtype=torch.float64, requires_grad=requires_grad)),
    )
    for a, b in zip(mine[:2], theirs[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(mine[2][0], theirs[2][0])


def test_hook_handle_remove_unregisters_it():
    x = tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_no_grad_records_nothing_and_restores_mode():
    x = tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = x * 2
        assert not wt.is_grad_enabled()
        with wt.enable_grad():
            z = x * 2
    assert wt.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_no_grad_works_as_a_decorator():
    @no_grad()
    def double(x):
        return x * 2

    assert not double(tensor([1.0], requires_grad=True)).requires_grad
    assert wt.is_grad_enabled()


def test_set_grad_enabled_as_call_and_context():
    with wt.set_grad_enabled(False):
        assert not wt.is_grad_enabled()
    assert wt.is_grad_enabled()


def test_create_graph_gives_second_derivative_by_backward_twice():
    x_np = np.array([0.3, -0.7])
    x = tensor(x_np, requires_grad=True)
    y = (x.sin() * x**3).sum()
    y.backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.sum().backward()
    tx = torch.tensor(x_np, requires_grad=True)
    ty = (tx.sin() * tx**3).sum()
    ty.backward(create_graph=True)
    tfirst = tx.grad
    tx.grad = None
    tfirst.sum().backward()
    np.testing.assert_allclose(first.detach().numpy(), tfirst.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_create_graph_gives_hessian_vector_product_by_autograd_grad():
    a_np, x_np, v_np = _arrays((3, 3), (3,), (3,))

    def hvp(make, grad):
        a, x, v = make(a_np), make(x_np, True), make(v_np)
        (g,) = grad(((a @ x).tanh() ** 2).sum(), x, create_graph=True)
        (hv,) = grad((g * v).sum(), x)
        return g.detach().numpy().copy(), hv.numpy().copy()

    mine = hvp(lambda d, r=False: wt.tensor(d, requires_grad=r), autograd.grad)
    theirs = hvp(lambda d, r=False: torch.tensor(d, dtype=torch.float64, requires_grad=r), torch.autograd.grad)
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_third_derivative_through_three_grads():
    x = tensor(0.5, requires_grad=True)
    (d1,) = autograd.grad(x**4, x, create_graph=True)
    (d2,) = autograd.grad(d1, x, create_graph=True)
    (d3,) = autograd.grad(d2, x)
    assert float(d3) == pytest.approx(24 * 0.5)


def test_backward_with_gradient_argument_matches_pytorch():
    x_np, v_np = _arrays((3, 2), (3, 2))
    x = tensor(x_np, requires_grad=True)
    (x.exp() * 2).backward(gradient=tensor(v_np))
    tx = torch.tensor(x_np, requires_grad=True)
    (tx.exp() * 2).backward(gradient=torch.tensor(v_np))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_autograd_grad_does_not_touch_dot_grad():
    x = tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x * x).sum(), x)
    assert g.tolist() == [2.0, 4.0] and x.grad is None and not g.requires_grad


def test_autograd_grad_with_respect_to_intermediate():
    x = tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (g,) = autograd.grad((h * h).sum(), h)
    assert g.tolist() == [6.0, 12.0]


def test_autograd_grad_unused_input_needs_allow_unused():
    x, y = tensor([1.0], requires_grad=True), tensor([2.0], requires_grad=True)
    with pytest.raises(AutogradError, match="allow_unused"):
        autograd.grad((x * 2).sum(), [x, y])
    assert autograd.grad((x * 2).sum(), [x, y], allow_unused=True)[1] is None
    assert autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)[1].tolist() == [0.0]


def test_backward_inputs_limits_accumulation():
    x, y = tensor([1.0], requires_grad=True), tensor([2.0], requires_grad=True)
    (x * y).sum().backward(inputs=[x])
    assert x.grad.tolist() == [2.0] and y.grad is None


# --- PyTorch's errors, in plain words ----------------------------------------------------------------
def test_second_backward_through_freed_graph_raises():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(AutogradError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_of_non_scalar_without_gradient_raises():
    x = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(AutogradError, match=r"shape \(2,\).*gradient="):
        (x * 2).backward()


def test_backward_gradient_of_wrong_shape_raises():
    x = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ShapeError, match="shape"):
        (x * 2).backward(gradient=tensor([1.0, 2.0, 3.0]))


def test_backward_of_tensor_without_grad_raises():
    with pytest.raises(AutogradError, match="does not require grad"):
        tensor([1.0]).sum().backward()


def test_in_place_change_of_saved_tensor_raises_at_backward():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.exp()  # exp's derivative reads its output
    z.mul_(2)
    with pytest.raises(AutogradError, match="modified by an in-place operation"):
        z.sum().backward()


def test_in_place_change_of_saved_input_raises_at_backward():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = (y * y).sum()
    y.add_(1)
    with pytest.raises(AutogradError, match="argument 0.*in-place"):
        z.backward()


def test_in_place_change_of_value_only_its_shape_is_needed_for_is_allowed():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = x + 1  # add's derivative needs only shapes, as in PyTorch
    y.mul_(2)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_in_place_change_through_a_view_is_caught():
    x = tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    z = (y * y).sum()
    with no_grad():
        y[1:].mul_(0)
    with pytest.raises(AutogradError, match="in-place"):
        z.backward()


def test_in_place_change_of_leaf_that_requires_grad_raises():
    x = tensor([1.0], requires_grad=True)
    with pytest.raises(AutogradError, match="leaf.*no_grad"):
        x.add_(1)
    with pytest.raises(AutogradError, match="leaf"):
        x += 1


def test_version_counter_counts_in_place_changes():
    x = tensor([1.0])
    assert x._version_number == 0
    x.add_(1)
    x.mul_(2)
    assert x._version_number == 2 and x.tolist() == [4.0]


def test_requires_grad_in_place_makes_a_leaf_that_records_and_detach_cuts_the_graph():
    x = tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    y = x * x
    z = (y.detach() * x).sum()  # y's history is cut: dz/dx = y, not 3 x^2
    z.backward()
    assert x.grad.tolist() == [1.0, 4.0]
    x.requires_grad_(False)
    assert not (x * x).requires_grad


def test_requires_grad_only_for_float_tensors():
    with pytest.raises(DtypeError, match="floating-point"):
        tensor([1, 2], requires_grad=True)


def test_requires_grad_cannot_be_cleared_on_non_leaf():
    y = tensor([1.0], requires_grad=True) * 2
    with pytest.raises(AutogradError, match="leaf"):
        y.requires_grad = False


def test_numpy_of_tensor_that_requires_grad_raises():
    x = tensor([1.0], requires_grad=True)
    with pytest.raises(AutogradError, match="detach"):
        x.numpy()
    assert x.numpy(force=True).tolist() == [1.0]
    with pytest.raises(AutogradError, match="detach"):
        np.asarray(x * 2)


# --- storage, in-place updates, conversions -----------------------------------------------------------
def test_optimizer_style_update_under_no_grad_keeps_the_same_tensor():
    w = tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    before = w
    with no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
    assert w is before and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])
    assert w.grad.tolist() == [0.0, 0.0]


def test_in_place_methods_of_the_optimizer_contract():
    p = tensor([1.0, 4.0])
    p.add_(tensor([1.0, 1.0]), alpha=2).sub_(1).mul_(2).div_(2)
    assert p.tolist() == [2.0, 5.0]
    p.addcmul_(tensor([1.0, 2.0]), tensor([3.0, 4.0]), value=0.5).addcdiv_(tensor([2.0, 2.0]), tensor([1.0, 4.0]))
    assert p.tolist() == [5.5, 9.5]
    p.lerp_(tensor([0.0, 0.0]), 0.5).clamp_(max=4.0)
    assert p.tolist() == [2.75, 4.0]
    assert p.copy_(tensor([9.0, 16.0])).sqrt_().tolist() == [3.0, 4.0]
    p.fill_(7.0)
    assert p.tolist() == [7.0, 7.0]
    assert p.zero_().tolist() == [0.0, 0.0]
    assert tensor([4.0, 9.0]).sqrt().maximum(tensor([2.5, 0.0])).tolist() == [2.5, 3.0]


def test_random_fills_draw_from_the_generator():
    a = wt.zeros(3).uniform_(-1, 1, generator=np.random.default_rng(1))
    b = wt.zeros(3).uniform_(-1, 1, generator=np.random.default_rng(1))
    assert a.tolist() == b.tolist() and (a.abs() <= 1).all()
    assert wt.zeros(1000).normal_(2.0, 0.5, generator=0).mean().item() == pytest.approx(2.0, abs=0.1)


def test_detach_and_numpy_share_storage():
    x = tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    with no_grad():
        x.mul_(3)
    assert d.tolist() == [3.0, 6.0] and not d.requires_grad
    d.numpy()[0] = 0.0
    assert x.detach().tolist() == [0.0, 6.0]
    x.data.add_(1)
    assert x.detach().tolist() == [1.0, 7.0]


def test_views_share_storage_like_pytorch():
    x = wt.zeros(2, 3)
    x.view(6)[1] = 5.0
    x.T[2, 1] = 7.0
    assert x.tolist() == [[0.0, 5.0, 0.0], [0.0, 0.0, 7.0]]


def test_setitem_without_grad_writes_in_place():
    x = wt.zeros(3)
    x[tensor([0, 2])] = tensor([1.0, 2.0])
    assert x.tolist() == [1.0, 0.0, 2.0]


def test_dtype_and_shape_follow_the_numpy_face():
    x = wt.ones(2, 3, dtype=wt.float32)
    assert (x * 2.0).dtype == np.float32
    assert (x @ wt.ones(3, dtype=wt.float32)).dtype == np.float32
    assert tensor([1.0]).dtype == np.float64
    assert tensor([1, 2]).dtype == np.int64
    assert (tensor([1, 2]) / 2).dtype == np.float64
    assert x.double().dtype == np.float64 and x.long().dtype == np.int64 and x.to(wt.float64).dtype == np.float64
    assert x.to("cpu") is x
    with pytest.raises(ArgumentError, match="cuda"):
        x.to("cuda")


def test_shape_size_numel_dim():
    x = wt.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size == 24
    assert x.numel() == 24 and x.dim() == 3 and x.ndim == 3 and len(x) == 2


def test_item_and_tolist():
    x = tensor([[1.5]])
    assert x.item() == 1.5 and x.tolist() == [[1.5]]
    with pytest.raises(ValueError):
        tensor([1.0, 2.0]).item()


def test_is_leaf_and_grad_fn():
    x = tensor([1.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None and "multiply" in repr(y.grad_fn)
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    assert tensor([1.0]).is_leaf


def test_repr_reads_like_pytorch():
    assert repr(tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert "grad_fn=<multiplyBackward>" in repr(tensor([1.0], requires_grad=True) * 2)
    assert "dtype=float32" in repr(wt.ones(1, dtype=wt.float32))


def test_tensors_are_hashable_by_identity():
    a, b = tensor([1.0]), tensor([1.0])
    assert len({a, b, a}) == 2


def test_deepcopy_and_pickle_of_leaves():
    x = tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.is_leaf and y.grad.tolist() == [2.0, 4.0]
    with no_grad():
        y.add_(1)
    assert x.detach().tolist() == [1.0, 2.0]
    z = pickle.loads(pickle.dumps(x))
    assert z.requires_grad and z.detach().tolist() == [1.0, 2.0]
    with pytest.raises(AutogradError, match="leaf"):
        copy.deepcopy(x * 2)


def test_subclass_keeps_its_class_and_attributes():
    class Parameter(Tensor):
        def __init__(self, data, requires_grad=True):
            super().__init__(data, requires_grad=requires_grad)

    p = Parameter(wt.ones(2))
    p.note = "weight"
    assert isinstance(copy.deepcopy(p), Parameter) and copy.deepcopy(p).note == "weight"
    assert type(p * 2) is Tensor
    (p * 2).sum().backward()
    assert p.grad.tolist() == [2.0, 2.0]


def test_creation_functions():
    assert wt.zeros(2, 3).shape == (2, 3) and wt.ones((2,)).tolist() == [1.0, 1.0]
    assert wt.full((2,), 3.0).tolist() == [3.0, 3.0]
    assert wt.arange(3).tolist() == [0, 1, 2] and wt.arange(0.0, 1.0, 0.5).tolist() == [0.0, 0.5]
    assert wt.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert wt.linspace(0, 1, 3).tolist() == [0.0, 0.5, 1.0]
    assert wt.randn(2, 3, generator=0).tolist() == wt.randn(2, 3, generator=0).tolist()
    assert wt.rand(4, generator=1).shape == (4,) and wt.randint(5, (3,), generator=0).dtype == np.int64
    assert wt.zeros_like(wt.ones(2, dtype=wt.float32)).dtype == np.float32
    assert wt.randn(2, requires_grad=True).requires_grad
    array = np.zeros(2)
    wt.from_numpy(array).add_(1)
    assert array.tolist() == [1.0, 1.0]


def test_tensor_copies_its_data():
    array = np.zeros(2)
    x = tensor(array)
    x.add_(1)
    assert array.tolist() == [0.0, 0.0]


def test_wengert_tensor_of_a_functional_tracer_explains():
    with pytest.raises(TracerError, match="below the transforms"):
        wengert.grad(lambda x: tensor(x).sum())(1.0)


# --- where Tensors meet wengert.numpy and the functional transforms -----------------------------------
def test_numpy_face_functions_take_and_return_tensors():
    x = tensor([0.5, 1.5], requires_grad=True)
    y = wnp.sum(wnp.sin(x) * wnp.exp(x))
    assert isinstance(y, Tensor) and y.requires_grad
    y.backward()
    np.testing.assert_allclose(
        x.grad.numpy(), np.cos([0.5, 1.5]) * np.exp([0.5, 1.5]) + np.sin([0.5, 1.5]) * np.exp([0.5, 1.5])
    )


def test_numpy_ufunc_on_tensor_is_recorded():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = np.exp(x)
    assert isinstance(y, Tensor) and y.requires_grad
    z = np.array([1.0, 2.0]) * x
    assert isinstance(z, Tensor) and z.requires_grad


def test_numpy_functions_on_constant_tensors_compute_directly():
    x = tensor([1.0, 4.0])
    assert np.sqrt(x).tolist() == [1.0, 2.0]
    assert np.allclose(x, [1.0, 4.0])
    assert float(np.sum(x)) == 5.0


def test_functional_grad_takes_tensors_and_returns_tensors():
    x = tensor([0.1, 0.2])
    g = wengert.grad(lambda x: wnp.tanh(x).sum())(x)
    assert isinstance(g, Tensor)
    np.testing.assert_allclose(g.numpy(), 1 - np.tanh([0.1, 0.2]) ** 2, rtol=1e-12)


def test_functional_grad_of_tensor_function_is_differentiable_by_backward():
    w_np, x_np = _arrays((2, 2), (2,))
    w = tensor(w_np, requires_grad=True)
    g = wengert.grad(lambda x: wnp.tanh(x @ w).sum())(tensor(x_np))
    g.sum().backward()
    tw = torch.tensor(w_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    (tg,) = torch.autograd.grad((tx @ tw).tanh().sum(), tx, create_graph=True)
    tg.sum().backward()
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_jvp_of_function_of_tensors():
    primal, tangent = wengert.jvp(lambda x: wnp.sin(x) * x, (tensor([1.0, 2.0]),), (np.ones(2),))
    assert isinstance(primal, Tensor)
    np.testing.assert_allclose(tangent.numpy(), np.cos([1.0, 2.0]) * [1.0, 2.0] + np.sin([1.0, 2.0]))


def test_tensor_methods_apply_to_functional_tracers_as_functions():
    g = wengert.grad(lambda x: Tensor.sum(Tensor.tanh(x) * x, dim=0))(np.array([0.3, -0.2]))
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(g, np.tanh(x) + x * (1 - np.tanh(x) ** 2), rtol=1e-12)


@pytest.mark.parametrize(
    "method, advice",
    [
        (lambda x: x.exp().sum(), r"wnp.exp\(x\).*wengert.Tensor.exp\(x, ...\)"),
        (lambda x: x.view(2, 1).sum(), r"wengert.Tensor.view\(x, ...\)"),
        (lambda x: (x * x).sum().backward(), "the transform computes the derivative"),
    ],
)
def test_pytorch_method_names_on_functional_tracers_say_where_the_faces_meet(method, advice):
    with pytest.raises(AttributeError, match="has the NumPy face.*" + advice):
        wengert.grad(method)(tensor([0.5, 1.5]))
    with pytest.raises(AttributeError, match="has the NumPy face"):
        wengert.jit(method)(np.array([0.5, 1.5]))
    with pytest.raises(AttributeError, match=r"no attribute 'no_such_name'$"):
        wengert.grad(lambda x: x.no_such_name)(1.0)


def test_jit_of_tensors_is_recorded_on_the_eager_graph():
    w = tensor([1.0, 2.0], requires_grad=True)
    loss = wengert.jit(lambda w: wnp.sum(wnp.tanh(w) ** 2))(w)
    assert isinstance(loss, Tensor) and loss.requires_grad
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.tanh([1.0, 2.0]) * (1 - np.tanh([1.0, 2.0]) ** 2), rtol=1e-12)


def test_vmap_of_tensors_returns_tensors():
    w = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = wengert.vmap(lambda row: wnp.sum(row * row))(w)
    assert isinstance(rows, Tensor) and rows.tolist() == [5.0, 25.0]
    rows.sum().backward()
    assert w.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_grad_mode_does_not_affect_functional_transforms():
    with no_grad():
        assert float(wengert.grad(lambda x: x**2)(3.0)) == 6.0


def test_gradient_accumulation_does_not_alias_arrays_between_leaves():
    x, y = tensor([1.0], requires_grad=True), tensor([1.0], requires_grad=True)
    (x + y).sum().backward()
    x.grad.add_(10)
    assert y.grad.tolist() == [1.0]


def test_warning_free_typical_training_step():
    w = wt.randn(3, 2, generator=0, requires_grad=True)
    b = wt.zeros(2, requires_grad=True)
    x = wt.randn(4, 3, generator=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            loss = ((x @ w + b).relu() ** 2).mean()
            w.grad = b.grad = None
            loss.backward()
            with no_grad():
                for p in (w, b):
                    p.sub_(p.grad, alpha=0.1)
    assert loss.item() >= 0


def test_custom_vjp_rule_is_used_on_tensors():
    @wengert.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (wnp.clip(g, -1.0, 1.0),))
    x = tensor(2.0, requires_grad=True)
    (5.0 * clip_gradient(x)).backward()
    assert float(x.grad) == 1.0


def test_custom_jvp_rule_is_used_on_tensors():
    @wengert.custom_jvp
    def log1pexp(x):
        return wnp.log1p(wnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return log1pexp(x), dx * (1.0 - 1.0 / (1.0 + wnp.exp(x)))

    x = tensor([1000.0, 0.0], requires_grad=True)
    with np.errstate(over="ignore"):
        log1pexp(x).sum().backward()
    assert x.grad.tolist() == [1.0, 0.5]
    y = tensor(0.5, requires_grad=True)
    with pytest.raises(AutogradError, match="functional transforms"):
        log1pexp(y).backward(create_graph=True)


def test_examples_in_the_tensor_document_run_as_written():
    document = pathlib.Path(__file__).resolve().parents[1] / "docs" / "tensor.md"
    results = doctest.testfile(
        str(document), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert results.attempted > 0
    assert results.failed == 0
