"""Probes of the PyTorch face against PyTorch itself: in-place changes through views, conversions, devices.

Each comparison runs one piece of code twice, on ``wengert`` and on ``torch``
(CPU, float64), and asks for the same values and the same gradients, or for a
wengert error wherever torch raises: a silently different number is the bug
these probes look for.
"""

import math
import warnings

import numpy as np
import pytest

import wengert
from wengert import nn, optim
from wengert.errors import ArgumentError, AutogradError, WengertError

torch = pytest.importorskip("torch")


class _Face:
    """The few spellings in which the two libraries differ, so one probe runs on both."""

    def __init__(self, lib):
        self.lib = lib
        self.no_grad = lib.no_grad
        self.autograd_grad = lib.autograd.grad

    def tensor(self, data, requires_grad: bool = False):
        if self.lib is torch:
            return torch.tensor(data, dtype=torch.float64, requires_grad=requires_grad)
        return wengert.tensor(data, dtype=wengert.float64, requires_grad=requires_grad)

    def zeros(self, *shape):
        return self.lib.zeros(*shape, dtype=torch.float64 if self.lib is torch else wengert.float64)


WENGERT, TORCH = _Face(wengert), _Face(torch)


def _numbers(value):
    if value is None or isinstance(value, (int, float, bool, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_numbers(v) for v in value]
    return value.detach().numpy().copy()


def _run(probe, face):
    try:
        return _numbers(probe(face)), None
    except Exception as error:  # noqa: BLE001 - the probe compares errors too
        return None, error


def agrees_with_torch(probe) -> None:
    """``probe(face)`` gives the same numbers on both, or raises where torch does (a WengertError or torch's class)."""
    expected, torch_error = _run(probe, TORCH)
    got, error = _run(probe, WENGERT)
    if torch_error is not None:
        assert isinstance(error, (WengertError, type(torch_error))), (
            f"torch raises {torch_error!r}; wengert gave {got!r} ({error!r})"
        )
        return
    if error is not None:
        raise error
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected):
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)


# --- in-place operations through every kind of view -------------------------------------------------------

VIEWS_OF_A_VECTOR = {
    "element": lambda y: y[1],
    "negative element": lambda y: y[-1],
    "numpy integer element": lambda y: y[np.int64(2)],
    "slice": lambda y: y[1:3],
    "stepped slice": lambda y: y[::2],
    "ellipsis": lambda y: y[...],
    "new axis": lambda y: y[None],
    "view": lambda y: y.view(2, 2),
    "reshape": lambda y: y.reshape(2, 2),
    "unsqueeze": lambda y: y.unsqueeze(0),
    "squeeze of unsqueeze": lambda y: y.unsqueeze(1).squeeze(1),
    "narrow": lambda y: y.narrow(0, 1, 2),
    "select": lambda y: y.select(0, 2),
    "view of a view": lambda y: y[1:][1:],
    "element of a slice": lambda y: y[1:3][0],
}

VIEWS_OF_A_MATRIX = {
    "row": lambda y: y[1],
    "column": lambda y: y[:, 1],
    "element": lambda y: y[1, 2],
    "element of a row": lambda y: y[1][2],
    "ellipsis column": lambda y: y[..., 0],
    "stepped columns": lambda y: y[:, ::2],
    "transpose": lambda y: y.transpose(0, 1),
    "T": lambda y: y.T,
    "t": lambda y: y.t(),
    "mT": lambda y: y.mT,
    "permute": lambda y: y.permute(1, 0),
    "view": lambda y: y.view(3, 2),
    "flatten": lambda y: y.flatten(),
    "select": lambda y: y.select(1, 0),
    "narrow": lambda y: y.narrow(1, 1, 2),
    "unsqueeze": lambda y: y.unsqueeze(1),
    "diagonal": lambda y: y.diagonal(),
    "diagonal above": lambda y: y.diagonal(1),
    "row of the transpose": lambda y: y.T[1],
    "view of a view": lambda y: y[:, 1:][0],
}


def _iadd(v, s):
    v += s


def _imul(v, s):
    v *= s


def _ipow(v, s):
    v **= 2


def _setitem(v, s):
    v[...] = s * 3


IN_PLACE = {
    "mul_": lambda v, s: v.mul_(s),
    "add_ alpha": lambda v, s: v.add_(s, alpha=2),
    "sub_": lambda v, s: v.sub_(s),
    "div_": lambda v, s: v.div_(s + 1),
    "zero_": lambda v, s: v.zero_(),
    "fill_": lambda v, s: v.fill_(2.5),
    "copy_": lambda v, s: v.copy_(s * 2),
    "clamp_": lambda v, s: v.clamp_(max=2.0),
    "exp_": lambda v, s: v.exp_(),
    "neg_": lambda v, s: v.neg_(),
    "relu_": lambda v, s: v.relu_(),
    "setitem": _setitem,
    "+=": _iadd,
    "*=": _imul,
    "**=": _ipow,
}

VECTOR = [0.5, -1.0, 2.0, 3.0]
MATRIX = [[0.5, -1.0, 2.0], [3.0, -0.25, 1.5]]


def _through_a_view(data, view, op):
    """Change a view of ``y`` in place, then differentiate through ``y``, the view and an older view of ``y``."""

    def probe(face):
        x = face.tensor(data, requires_grad=True)
        y = x * 1.5
        older = y[0]
        v = view(y)
        op(v, x.sum() / 10)
        weights = face.tensor(np.arange(1.0, x.numel() + 1).reshape(x.shape))
        ((y * weights).sum() + (v * v).sum() + (older * 3).sum()).backward()
        return [y, v, older, x.grad]

    return probe


@pytest.mark.parametrize("op", IN_PLACE)
@pytest.mark.parametrize("view", VIEWS_OF_A_VECTOR)
def test_in_place_change_of_a_view_of_a_vector_changes_values_and_gradients_as_torch(view, op):
    agrees_with_torch(_through_a_view(VECTOR, VIEWS_OF_A_VECTOR[view], IN_PLACE[op]))


@pytest.mark.parametrize("op", IN_PLACE)
@pytest.mark.parametrize("view", VIEWS_OF_A_MATRIX)
def test_in_place_change_of_a_view_of_a_matrix_changes_values_and_gradients_as_torch(view, op):
    agrees_with_torch(_through_a_view(MATRIX, VIEWS_OF_A_MATRIX[view], IN_PLACE[op]))


@pytest.mark.parametrize("view", ["element", "row", "T", "diagonal", "stepped columns"])
def test_in_place_change_of_a_view_under_no_grad_reaches_the_base_as_torch(view):
    def probe(face):
        x = face.tensor(MATRIX, requires_grad=True)
        y = x * 2
        with face.no_grad():
            VIEWS_OF_A_MATRIX[view](y).mul_(3)
        (y * y).sum().backward()
        return [y, x.grad]

    agrees_with_torch(probe)


def test_the_issue_example_y0_mul_changes_y_and_its_gradient():
    x = wengert.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y[0].mul_(3)
    assert y.tolist() == [6.0, 4.0, 6.0]
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 2.0, 2.0]


def test_a_view_made_before_its_base_changed_in_place_follows_the_new_base():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        v = y[0]
        row = y[1:]
        y.mul_(x)
        v.backward(retain_graph=True)
        (row * row).sum().backward()
        return [v, row, x.grad]

    agrees_with_torch(probe)


def test_sibling_views_see_each_others_in_place_changes():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        a, b = y[0:2], y[1:]
        a.mul_(3)
        b.sum().backward()
        return [b, x.grad]

    agrees_with_torch(probe)


def test_views_changed_in_place_again_and_again():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        v = y[:2]
        v.mul_(3)
        y.mul_(x)
        v[1:].add_(x[0])
        (v * v).sum().backward()
        return [y, v, x.grad]

    agrees_with_torch(probe)


def test_a_constant_takes_a_history_through_its_view():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        c = face.zeros(3)
        old = c[:1]
        c[1:].add_(x[:2] * x[1:])
        (c * c).sum().backward(retain_graph=True)
        return [c, old.requires_grad, x.grad]

    agrees_with_torch(probe)


def test_python_augmented_assignment_into_an_element():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y[0] += x[1] * x[2]
        y[1:] *= x[0]
        (y * y).sum().backward()
        return [y, x.grad]

    agrees_with_torch(probe)


def test_second_derivative_through_an_in_place_change_of_a_view():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        y[0].mul_(x[1])
        (g,) = face.autograd_grad((y * y).sum(), x, create_graph=True)
        g.sum().backward()
        return [g, x.grad]

    agrees_with_torch(probe)


@pytest.mark.parametrize(
    "change", [lambda x: x[0].mul_(3), lambda x: x[1:].zero_(), lambda x: x.T.add_(1), lambda x: x.view(-1).fill_(0)]
)
def test_view_of_a_leaf_that_requires_grad_changed_in_place_raises(change):
    def probe(face):
        x = face.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        change(x)
        return [x]

    agrees_with_torch(probe)
    x = wengert.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(AutogradError, match="a view of a leaf tensor that requires grad"):
        x[0].mul_(3)
    assert x.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("change", [lambda x: x.mul_(2), lambda x: _iadd(x, 1.0), lambda x: x.__setitem__(0, 5.0)])
def test_leaf_that_requires_grad_changed_in_place_raises(change):
    def probe(face):
        x = face.tensor([1.0, 2.0], requires_grad=True)
        change(x)
        return [x]

    agrees_with_torch(probe)


def test_view_of_a_leaf_changed_under_no_grad_changes_the_leaf():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with face.no_grad():
            x[0].mul_(3)
            x[1:] -= 1
        (x * x).sum().backward()
        return [x, x.grad]

    agrees_with_torch(probe)


def test_view_made_under_no_grad_then_changed_in_place_with_grad_raises():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        with face.no_grad():
            v = y[1:]
        v.mul_(2)
        return [y]

    agrees_with_torch(probe)


def test_expanded_view_changed_in_place_raises():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * 2).expand(2, 3).mul_(2)
        return []

    agrees_with_torch(probe)
    with pytest.raises(AutogradError, match="clone"):
        wengert.zeros(3).expand(2, 3).add_(1)


def test_view_of_a_transposed_tensor_raises_and_reshape_copies():
    def view(face):
        return [face.tensor(MATRIX).T.view(-1)]

    def reshape(face):
        y = face.tensor(MATRIX)
        y.T.reshape(-1).mul_(2)
        return [y]

    agrees_with_torch(view)
    agrees_with_torch(reshape)


def test_detach_in_place_of_a_view_raises():
    agrees_with_torch(lambda face: [(face.tensor([1.0, 2.0], requires_grad=True) * 2)[1:].detach_()])


# --- values saved for the backward pass, changed afterwards -----------------------------------------------


def _no_grad_mul(face, v):
    with face.no_grad():
        v.mul_(2)


SAVED_THEN_CHANGED = {
    "input of a product, through an element": lambda face, y, z: y[0].mul_(2),
    "input of sin, through the transpose": lambda face, y, z: y.T.mul_(2),
    "output of exp, through a row": lambda face, y, z: z[0].zero_(),
    "output of tanh, through view": lambda face, y, z: z.view(-1).mul_(2),
    "input of a product, through detach": lambda face, y, z: y.detach()[1].zero_(),
    "input of a product, under no_grad": lambda face, y, z: _no_grad_mul(face, y[1, 1]),
    "input of a product, through setitem": lambda face, y, z: y.__setitem__((0, 0), 7.0),
}

_SAVERS = {
    "input of a product": lambda y: y * y,
    "input of sin": lambda y: y.sin(),
    "output of exp": lambda y: y.exp(),
    "output of tanh": lambda y: y.tanh(),
}


@pytest.mark.parametrize("case", SAVED_THEN_CHANGED)
def test_a_value_saved_for_backward_then_changed_in_place_raises(case):
    save = _SAVERS[case.partition(",")[0]]

    def probe(face):
        x = face.tensor(MATRIX, requires_grad=True)
        y = x * 2
        z = save(y)
        SAVED_THEN_CHANGED[case](face, y, z)
        z.sum().backward()
        return [x.grad]

    agrees_with_torch(probe)
    with pytest.raises(AutogradError, match="modified by an in-place operation"):
        probe(WENGERT)


def test_in_place_operators_keep_working_on_values_the_derivative_does_not_read():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x + 1
        y[1:].mul_(2)
        h = x * face.tensor([2.0, 3.0, 4.0])
        h.relu_()
        (y + h).sum().backward()
        return [y, h, x.grad]

    agrees_with_torch(probe)


# --- other PyTorch behaviours whose numbers could drift silently --------------------------------------------


def test_gradients_accumulate_across_backward_calls_and_a_second_walk_of_a_freed_graph_raises():
    def probe(face):
        x = face.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        loss = (x * x * x).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        return [x.grad]

    def freed(face):
        x = face.tensor([1.0, 2.0], requires_grad=True)
        loss = (x * x).sum()
        loss.backward()
        loss.backward()
        return [x.grad]

    agrees_with_torch(probe)
    agrees_with_torch(freed)


def test_detach_shares_memory_and_data_changes_are_not_tracked():
    def probe(face):
        x = face.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.detach().zero_()
        z = x * 3
        z.data.mul_(2)
        (y + z).sum().backward()
        return [y, z, x.grad]

    agrees_with_torch(probe)


def test_requires_grad_on_a_tensor_computed_by_an_operation():
    def on(face):
        y = face.tensor([1.0], requires_grad=True) * 2
        return [y.requires_grad_(), y.requires_grad, y.is_leaf]

    def off(face):
        (face.tensor([1.0], requires_grad=True) * 2).requires_grad_(False)
        return []

    agrees_with_torch(on)
    agrees_with_torch(off)


def test_grad_of_a_tensor_computed_by_an_operation_is_none_with_a_warning():
    x = wengert.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert y.grad is None


def test_in_place_change_of_a_leaf_under_no_grad_after_its_use_raises_at_backward():
    def probe(face):
        x = face.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        with face.no_grad():
            x.mul_(2)
        y.sum().backward()
        return [x.grad]

    agrees_with_torch(probe)


# --- conversions: Python numbers (detached, as in PyTorch) ---------------------------------------------------


def test_python_numbers_of_a_tensor_that_requires_grad_are_plain_and_detached():
    x = wengert.tensor([2.75], requires_grad=True)
    y = x * 2
    assert float(x) == 2.75 and type(float(x)) is float
    assert float(y) == 5.5
    assert int(wengert.tensor(-2.5, requires_grad=True)) == -2
    assert complex(y) == 5.5 + 0j
    assert y.item() == 5.5 and type(y.item()) is float
    assert y.tolist() == [5.5]
    assert math.exp(x) == pytest.approx(math.exp(2.75))
    assert float(wengert.tensor([[3.0]], requires_grad=True)) == 3.0
    assert np.float64(x.sum()) == 2.75


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")
def test_python_number_of_a_tensor_of_many_elements_raises_as_torch():
    for convert in (float, int, complex):
        agrees_with_torch(lambda face, convert=convert: [convert(face.tensor([1.0, 2.0], requires_grad=True))])
    with pytest.raises(ValueError, match="only one-element tensors"):
        wengert.tensor([1.0, 2.0]).item()


def test_python_numbers_of_tensors_match_torch():
    def probe(face):
        t = face.tensor([-2.5], requires_grad=True)
        return [float(t), int(t), t.item(), t.tolist(), float(t * 3), bool(t > 0)]

    agrees_with_torch(probe)


# --- devices and dtypes ---------------------------------------------------------------------------------------


def test_tensor_to_cpu_or_its_own_dtype_is_the_tensor_itself():
    t = wengert.tensor([1.0, 2.0], requires_grad=True)
    for same in (t.to("cpu"), t.cpu(), t.to(wengert.float64), t.to(np.float64), t.to(t), t.to("cpu", wengert.float64)):
        assert same is t
    assert t.to(device="cpu", dtype=wengert.float64) is t
    assert t.to("cpu:0") is t
    copied = t.to("cpu", copy=True)
    assert copied is not t and copied.requires_grad and not copied.is_leaf


def test_tensor_to_another_dtype_is_a_new_tensor_on_the_graph():
    t = wengert.tensor([1.0, 2.0], requires_grad=True)
    for converted in (
        t.to(wengert.float32),
        t.to(np.float32),
        t.to(wengert.zeros(1, dtype=wengert.float32)),
        t.float(),
    ):
        assert converted.dtype == np.float32 and converted is not t and converted.grad_fn is not None
    (t.to(wengert.float32) * 3).sum().backward()
    assert t.grad.tolist() == [3.0, 3.0] and t.grad.dtype == np.float64
    assert t.to(wengert.int64).requires_grad is False


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps", "meta"])
def test_tensor_and_module_on_an_unknown_device_raise(device):
    t = wengert.tensor([1.0])
    with pytest.raises(ArgumentError, match="not available"):
        t.to(device)
    with pytest.raises(ArgumentError, match="not available"):
        t.to(device=device)
    with pytest.raises(ArgumentError, match="not available"):
        nn.Linear(2, 1).to(device)
    with pytest.raises(ArgumentError, match="not available"):
        t.cuda()
    with pytest.raises(ArgumentError, match="not available"):
        nn.Linear(2, 1).cuda()


def test_module_to_cpu_is_a_no_op_returning_the_module():
    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.BatchNorm1d(3))
    before = {name: p for name, p in model.named_parameters()}
    values = {name: p.detach().numpy().copy() for name, p in before.items()}
    assert model.to("cpu") is model and model.cpu() is model and model.to(device="cpu") is model
    for name, param in model.named_parameters():
        assert param is before[name]
        np.testing.assert_array_equal(param.detach().numpy(), values[name])


@pytest.mark.parametrize(
    "convert, dtype",
    [
        (lambda m: m.to(wengert.float32), np.float32),
        (lambda m: m.to(np.float32), np.float32),
        (lambda m: m.to("cpu", wengert.float32), np.float32),
        (lambda m: m.to(dtype=wengert.float32), np.float32),
        (lambda m: m.to(wengert.zeros(1, dtype=wengert.float32)), np.float32),
        (lambda m: m.float(), np.float32),
        (lambda m: m.half(), np.float16),
        (lambda m: m.float().double(), np.float64),
    ],
)
def test_module_to_dtype_converts_in_place_keeping_parameters_and_optimizer(convert, dtype):
    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.BatchNorm1d(3))
    params = list(model.parameters())
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    assert convert(model) is model
    assert list(model.parameters()) == params
    for param in params:
        assert type(param) is nn.Parameter and param.requires_grad and param.is_leaf and param.dtype == dtype
    assert model[1].num_batches_tracked.dtype == np.int64
    assert model[1].running_mean.dtype == dtype
    before = [p.detach().numpy().copy() for p in params]
    model(wengert.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=dtype)).sum().backward()
    optimizer.step()
    for param, old in zip(params, before):
        assert param.dtype == dtype and param.grad.dtype == dtype
        np.testing.assert_allclose(param.detach().numpy(), old - dtype(0.1) * param.grad.numpy(), atol=1e-3)


def test_module_to_an_integer_dtype_raises():
    with pytest.raises(ArgumentError, match="floating-point"):
        nn.Linear(2, 1).to(wengert.int64)


def test_module_double_matches_torch_numbers():
    def probe(face):
        lin = (nn if face is WENGERT else torch.nn).Linear(2, 1)
        with face.no_grad():
            lin.weight.copy_(face.tensor([[0.5, -1.0]]))
            lin.bias.copy_(face.tensor([0.25]))
        lin.float().double()
        out = lin(face.tensor([[1.0, 2.0]]))
        out.sum().backward()
        return [out, lin.weight.grad]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agrees_with_torch(probe)
