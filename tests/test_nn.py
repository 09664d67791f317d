"""Specification of ``wengert.nn``: PyTorch's modules, losses and initialisation, on wengert's Tensors.

With the same weights, each layer gives PyTorch's outputs and gradients to
1e-12 in float64 (BatchNorm1d in training and in evaluation, over several
steps of running statistics); the losses are stable for huge logits and work
on plain arrays under ``wengert.grad`` as on Tensors; modules keep PyTorch's
bookkeeping (names, modes, state dicts, repr).
"""

import copy
import doctest
import math
from pathlib import Path

import numpy as np
import pytest

import wengert
import wengert.nn.functional as F
import wengert.nn.init
import wengert.random
from wengert import Tensor, nn, no_grad, tensor
from wengert.errors import ArgumentError, DtypeError, ShapeError, StateDictError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "nn.md"
TOL = {"rtol": 1e-12, "atol": 1e-12}


def _torch():
    return pytest.importorskip("torch")


def _array(value) -> np.ndarray:
    """A wengert or PyTorch tensor's values (or an array, as layers without parameters return for arrays)."""
    return value.detach().numpy() if hasattr(value, "detach") else value


def _copy_weights(ours: nn.Module, theirs) -> None:
    """Give the PyTorch module ``theirs`` the parameters and buffers of ``ours`` (same names)."""
    import torch

    state = {name: torch.tensor(value.numpy()) for name, value in ours.state_dict().items()}
    theirs.load_state_dict(state)


def _assert_same_gradients(ours: nn.Module, theirs) -> None:
    their_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(_array(param.grad), _array(their_params[name].grad), **TOL, err_msg=name)


# --- layers against PyTorch ------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_pytorch(bias):
    torch = _torch()
    ours = nn.Linear(5, 3, bias=bias, generator=0)
    theirs = torch.nn.Linear(5, 3, bias=bias).double()
    _copy_weights(ours, theirs)
    x = np.random.default_rng(1).normal(size=(4, 5))
    out, expected = ours(tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(_array(out), _array(expected), **TOL)
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    _assert_same_gradients(ours, theirs)


def test_embedding_matches_pytorch_and_adds_gradients_of_repeated_rows():
    torch = _torch()
    ours = nn.Embedding(6, 4, generator=0)
    theirs = torch.nn.Embedding(6, 4).double()
    _copy_weights(ours, theirs)
    index = np.array([[0, 2, 2], [5, 0, 2]])
    weights = np.random.default_rng(2).normal(size=(2, 3, 4))
    out, expected = ours(index), theirs(torch.tensor(index))
    np.testing.assert_allclose(_array(out), _array(expected), **TOL)
    (out * tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    _assert_same_gradients(ours, theirs)
    np.testing.assert_array_equal(_array(ours.weight.grad)[3], np.zeros(4))


@pytest.mark.parametrize("index", [[0, -1], [2, 6]], ids=["negative", "past-the-end"])
def test_embedding_refuses_an_index_out_of_range_as_pytorch_does(index):
    torch = _torch()
    with pytest.raises(IndexError):
        torch.nn.Embedding(6, 4)(torch.tensor(index))
    with pytest.raises(IndexError, match=rf"index {index[1]} is out of range for 6 embeddings"):
        nn.Embedding(6, 4)(np.array(index))
    with pytest.raises(IndexError, match="out of range"):
        F.embedding(np.array(index), np.ones((6, 4)))


@pytest.mark.parametrize("shape", [(16, 5), (8, 5, 3)], ids=["N,C", "N,C,L"])
@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum", "cumulative"])
def test_batchnorm1d_matches_pytorch_in_training_and_evaluation_over_several_steps(shape, momentum):
    torch = _torch()
    ours = nn.BatchNorm1d(5, momentum=momentum)
    theirs = torch.nn.BatchNorm1d(5, momentum=momentum).double()
    rng = np.random.default_rng(3)
    with no_grad():
        ours.weight.copy_(rng.normal(size=5))
        ours.bias.copy_(rng.normal(size=5))
    _copy_weights(ours, theirs)
    for step in range(4):
        x = rng.normal(loc=step, scale=1 + step, size=shape)
        ours.zero_grad(), theirs.zero_grad()
        x_ours, x_theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = ours(x_ours), theirs(x_theirs)
        np.testing.assert_allclose(_array(out), _array(expected), **TOL)
        weights = rng.normal(size=shape)
        (out * tensor(weights)).sum().backward()
        (expected * torch.tensor(weights)).sum().backward()
        _assert_same_gradients(ours, theirs)
        np.testing.assert_allclose(_array(x_ours.grad), _array(x_theirs.grad), **TOL)
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(_array(getattr(ours, name)), _array(getattr(theirs, name)), **TOL)
        assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == step + 1
    ours.eval(), theirs.eval()
    x = rng.normal(size=shape)
    np.testing.assert_allclose(_array(ours(tensor(x))), _array(theirs(torch.tensor(x))), **TOL)
    assert ours.num_batches_tracked.item() == 4


def test_batchnorm1d_with_bessels_correction_normalises_by_n_minus_one():
    x = np.random.default_rng(4).normal(size=(10, 3))
    layer = nn.BatchNorm1d(3, correction=1)
    mean = x.mean(0)
    variance = ((x - mean) ** 2).sum(0) / (10 - 1)
    np.testing.assert_allclose(_array(layer(x)), (x - mean) / np.sqrt(variance + 1e-5), **TOL)
    np.testing.assert_allclose(_array(layer.running_var), 0.9 + 0.1 * variance, **TOL)
    assert "correction=1" in repr(layer)


def test_batchnorm1d_without_running_statistics_always_uses_the_batch():
    layer = nn.BatchNorm1d(2, affine=False, track_running_stats=False).eval()
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(_array(layer(x)), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), **TOL)
    assert list(layer.state_dict()) == [] and list(layer.parameters()) == []


def test_batchnorm1d_refuses_a_batch_of_one_in_training_and_wrong_channels():
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ShapeError, match="more than one value per channel"):
        layer(np.ones((1, 3)))
    assert layer.num_batches_tracked.item() == 0 and _array(layer.running_var).tolist() == [1.0] * 3
    with pytest.raises(ShapeError, match=r"expected input of shape \(N, 3\)"):
        layer(np.ones((4, 2)))
    layer.eval()
    assert layer(np.ones((1, 3))).shape == (1, 3)


@pytest.mark.parametrize("name", ["Tanh", "ReLU", "Sigmoid"])
def test_activations_match_pytorch(name):
    torch = _torch()
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = getattr(nn, name)()(ours), getattr(torch.nn, name)()(theirs)
    np.testing.assert_allclose(_array(out), _array(expected), **TOL)
    out.sum().backward(), expected.sum().backward()
    np.testing.assert_allclose(_array(ours.grad), _array(theirs.grad), **TOL)


@pytest.mark.parametrize("start_dim, end_dim", [(1, -1), (0, -1), (1, 2), (2, 3)])
def test_flatten_matches_pytorch(start_dim, end_dim):
    torch = _torch()
    x = np.arange(120.0).reshape(2, 3, 4, 5)
    out = nn.Flatten(start_dim, end_dim)(tensor(x))
    np.testing.assert_array_equal(_array(out), _array(torch.nn.Flatten(start_dim, end_dim)(torch.tensor(x))))


def test_a_whole_mlp_matches_pytorch():
    """The makemore layout: embedding, flatten, linear, batch norm, tanh, linear, cross-entropy."""
    torch = _torch()

    def build(module):
        return module.Sequential(
            module.Embedding(27, 10),
            module.Flatten(),
            module.Linear(30, 64, bias=False),
            module.BatchNorm1d(64),
            module.Tanh(),
            module.Linear(64, 27),
        )

    wengert.random.manual_seed(0)
    ours, theirs = build(nn), build(torch.nn).double()
    _copy_weights(ours, theirs)
    rng = np.random.default_rng(5)
    for _ in range(3):
        contexts, targets = rng.integers(0, 27, size=(32, 3)), rng.integers(0, 27, size=32)
        ours.zero_grad(), theirs.zero_grad()
        loss = F.cross_entropy(ours(contexts), targets)
        expected = torch.nn.functional.cross_entropy(theirs(torch.tensor(contexts)), torch.tensor(targets))
        assert abs(loss.item() - expected.item()) < 1e-12
        loss.backward(), expected.backward()
        _assert_same_gradients(ours, theirs)
    assert repr(ours) == repr(theirs)


# --- dropout ---------------------------------------------------------------------------------------


def test_dropout_zeroes_about_p_and_scales_the_rest():
    out = _array(nn.Dropout(0.25, generator=0)(np.ones(100_000)))
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs((out == 0).mean() - 0.25) < 0.01


def test_dropout_repeats_from_its_seed_and_is_the_identity_in_eval():
    x = np.ones(50)
    first, second = nn.Dropout(generator=3), nn.Dropout(generator=3)
    np.testing.assert_array_equal(_array(first(x)), _array(second(x)))
    assert not np.array_equal(_array(first(x)), _array(nn.Dropout(generator=4)(x)))
    first.eval()
    assert first(x) is x


def test_dropout_at_the_extremes():
    x = np.ones(10)
    np.testing.assert_array_equal(_array(nn.Dropout(1.0)(x)), np.zeros(10))
    assert nn.Dropout(0.0)(x) is x
    with pytest.raises(ArgumentError, match="probability"):
        nn.Dropout(1.5)


def test_dropout_gradient_follows_the_mask():
    x = tensor(np.ones(20), requires_grad=True)
    out = nn.Dropout(0.5, generator=1)(x)
    out.sum().backward()
    np.testing.assert_array_equal(_array(x.grad), _array(out))


# --- losses ----------------------------------------------------------------------------------------

LOGITS = np.random.default_rng(6).normal(size=(6, 4)) * 3
TARGETS = np.array([0, 3, 1, 1, -100, 2])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_and_nll_loss_match_pytorch(reduction, weighted):
    torch = _torch()
    weight = np.array([0.5, 1.0, 2.0, 1.5]) if weighted else None
    torch_weight = None if weight is None else torch.tensor(weight)
    for ours_fn, torch_fn, inputs in [
        (F.cross_entropy, torch.nn.functional.cross_entropy, LOGITS),
        (F.nll_loss, torch.nn.functional.nll_loss, np.log(np.abs(LOGITS) / np.abs(LOGITS).sum(1, keepdims=True))),
    ]:
        x, xt = tensor(inputs, requires_grad=True), torch.tensor(inputs, requires_grad=True)
        loss = ours_fn(x, TARGETS, weight=weight, reduction=reduction)
        expected = torch_fn(xt, torch.tensor(TARGETS), weight=torch_weight, reduction=reduction)
        np.testing.assert_allclose(_array(loss), _array(expected), **TOL)
        loss.sum().backward(), expected.sum().backward()
        np.testing.assert_allclose(_array(x.grad), _array(xt.grad), **TOL)


def test_cross_entropy_matches_pytorch_for_spatial_and_unbatched_inputs():
    torch = _torch()
    rng = np.random.default_rng(7)
    logits, targets = rng.normal(size=(3, 5, 2, 4)), rng.integers(0, 5, size=(3, 2, 4))
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(targets))
    assert abs(float(F.cross_entropy(logits, targets)) - expected.item()) < 1e-12
    single = rng.normal(size=5)
    expected = torch.nn.functional.cross_entropy(torch.tensor(single), torch.tensor(3))
    assert abs(float(F.cross_entropy(single, np.array(3))) - expected.item()) < 1e-12


def test_cross_entropy_with_class_probabilities_matches_pytorch():
    torch = _torch()
    rng = np.random.default_rng(8)
    probabilities = rng.dirichlet(np.ones(4), size=6)
    weight = np.array([1.0, 2.0, 0.5, 1.0])
    for kwargs in ({}, {"weight": weight}, {"reduction": "sum"}):
        torch_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        expected = torch.nn.functional.cross_entropy(torch.tensor(LOGITS), torch.tensor(probabilities), **torch_kwargs)
        assert abs(float(F.cross_entropy(LOGITS, probabilities, **kwargs)) - expected.item()) < 1e-12


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[0.0, 1e4, -1e4], [1e4, 1e4, 0.0]])
    loss, gradient = wengert.value_and_grad(lambda z: F.cross_entropy(z, np.array([1, 0])))(logits)
    assert float(loss) == pytest.approx(math.log(2) / 2)
    np.testing.assert_allclose(gradient, [[0.0, 0.0, 0.0], [-0.25, 0.25, 0.0]], atol=1e-300)


def test_losses_work_under_grad_on_plain_arrays_and_agree_with_tensors():
    weights = np.random.default_rng(9).normal(size=4)

    def loss(w):
        logits = LOGITS * w
        return F.cross_entropy(logits, TARGETS) + F.mse_loss(w, weights) + F.nll_loss(F.log_softmax(logits, 1), TARGETS)

    functional = wengert.grad(loss)(np.ones(4))
    w = tensor(np.ones(4), requires_grad=True)
    loss(w).backward()
    np.testing.assert_allclose(functional, _array(w.grad), **TOL)


def test_second_derivatives_of_cross_entropy_are_the_softmax_jacobian():
    logits = np.array([0.3, -1.2, 2.0])
    gradient = wengert.grad(lambda z: F.cross_entropy(z, np.array(1)))
    hessian = np.stack([wengert.jvp(gradient, (logits,), (e,))[1] for e in np.eye(3)])
    p = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(hessian, np.diag(p) - np.outer(p, p), **TOL)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_pytorch(reduction):
    torch = _torch()
    a, b = LOGITS, LOGITS[::-1].copy()
    expected = torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b), reduction=reduction)
    np.testing.assert_allclose(_array(tensor(F.mse_loss(a, b, reduction=reduction))), _array(expected), **TOL)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_match_pytorch(dim):
    torch = _torch()
    for ours, theirs in [(F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)]:
        np.testing.assert_allclose(ours(LOGITS, dim=dim), _array(theirs(torch.tensor(LOGITS), dim=dim)), **TOL)


def test_losses_explain_bad_targets():
    with pytest.raises(ArgumentError, match="target 4 is out of range for 4 classes"):
        F.cross_entropy(LOGITS, np.array([0, 1, 2, 3, 4, 0]))
    with pytest.raises(ShapeError, match=r"needs a target of shape \(6,\), got \(5,\)"):
        F.nll_loss(LOGITS, np.zeros(5, dtype=int))
    with pytest.raises(DtypeError, match="integer class indices"):
        F.nll_loss(LOGITS, np.zeros(6))
    with pytest.raises(ShapeError, match="class probabilities must have input's shape"):
        F.cross_entropy(LOGITS, np.zeros((6, 3)))
    with pytest.raises(ArgumentError, match="reduction must be one of"):
        F.mse_loss(LOGITS, LOGITS, reduction="average")


def test_one_hot_gives_integer_rows():
    np.testing.assert_array_equal(F.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


# --- Module bookkeeping ----------------------------------------------------------------------------


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(2, 3, generator=0)
        self.second = nn.Sequential(nn.Tanh(), nn.Linear(3, 1, generator=1))
        self.scale = nn.Parameter(np.array(2.0))
        self.register_buffer("calls", tensor(0))
        self.register_buffer("cache", tensor(np.zeros(2)), persistent=False)

    def forward(self, x):
        return self.second(self.first(x)) * self.scale


def test_parameters_are_found_by_dotted_name_in_registration_order():
    model = TwoLayers()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "first.weight", "first.bias", "second.1.weight", "second.1.bias"]
    assert len(list(model.parameters())) == 5
    assert all(p.requires_grad and p.is_leaf for p in model.parameters())


def test_children_and_modules_walk_the_tree():
    model = TwoLayers()
    assert [name for name, _ in model.named_children()] == ["first", "second"]
    assert [name for name, _ in model.named_modules()] == ["", "first", "second", "second.0", "second.1"]
    assert len(list(model.children())) == 2 and len(list(model.modules())) == 5


def test_a_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2, generator=0)
    model = nn.Sequential(layer, layer)
    assert len(list(model.parameters())) == 2 and len(list(model.modules())) == 2


def test_train_and_eval_set_the_mode_everywhere():
    model = TwoLayers()
    assert model.training and model.second[1].training
    assert model.eval() is model
    assert not any(module.training for module in model.modules())
    model.train()
    assert all(module.training for module in model.modules())


def test_zero_grad_clears_every_gradient():
    model = TwoLayers()
    model(np.ones((4, 2))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(not _array(p.grad).any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_holds_parameters_and_persistent_buffers_sharing_storage():
    model = TwoLayers()
    state = model.state_dict()
    assert list(state) == ["scale", "calls", "first.weight", "first.bias", "second.1.weight", "second.1.bias"]
    assert not any(value.requires_grad for value in state.values())
    with no_grad():
        model.first.bias.fill_(7.0)
    assert _array(state["first.bias"]).tolist() == [7.0, 7.0, 7.0]


def test_state_dict_round_trips_into_a_fresh_module():
    source, target = TwoLayers(), TwoLayers()
    with no_grad():
        source.first.weight.mul_(3.0)
    target.load_state_dict(source.state_dict())
    x = np.random.default_rng(0).normal(size=(3, 2))
    np.testing.assert_array_equal(_array(source(x)), _array(target(x)))


def test_assigning_the_wrong_kind_of_value_is_refused():
    model = TwoLayers()
    with pytest.raises(ArgumentError, match="is a parameter; assign a nn.Parameter"):
        model.scale = np.array(3.0)
    with pytest.raises(ArgumentError, match="is a buffer; assign a Tensor"):
        model.calls = 3
    with pytest.raises(ArgumentError, match="expected a nn.Parameter or None"):
        model.register_parameter("w", tensor([1.0]))
    with pytest.raises(ArgumentError, match="without '.'"):
        model.register_buffer("a.b", tensor([1.0]))


def test_assigning_before_init_explains_what_to_do():
    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(np.ones(2))

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_sequential_indexes_slices_and_counts_like_a_list():
    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.Tanh(), nn.Linear(3, 1, generator=1))
    assert len(model) == 3
    assert isinstance(model[-1], nn.Linear) and model[1] is list(model)[1]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    with pytest.raises(IndexError, match="out of range for 3 modules"):
        model[3]
    named = nn.Sequential({"embed": nn.Flatten(), "act": nn.ReLU()})
    assert [name for name, _ in named.named_children()] == ["embed", "act"]


def test_repr_prints_the_tree_as_pytorch_does():
    torch = _torch()

    def build(module):
        return module.Sequential(
            module.Linear(3, 4, bias=False), module.BatchNorm1d(4), module.Sequential(module.ReLU())
        )

    assert repr(build(nn)) == repr(build(torch.nn))
    assert repr(nn.Dropout(0.1)) == "Dropout(p=0.1)"
    assert repr(nn.Embedding(27, 10)) == repr(torch.nn.Embedding(27, 10))


def test_functional_call_gives_the_tensor_faces_gradients():
    model = nn.Sequential(nn.Linear(3, 5, generator=0), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 2, generator=1))
    x = np.random.default_rng(1).normal(size=(4, 3))
    targets = np.array([0, 1, 1, 0])
    params = {name: _array(p).copy() for name, p in model.named_parameters()}
    grads = wengert.grad(lambda p: F.cross_entropy(nn.functional_call(model, p, (x,)), targets))(params)
    F.cross_entropy(model(x), targets).backward()
    for name, param in model.named_parameters():
        np.testing.assert_allclose(grads[name], _array(param.grad), **TOL, err_msg=name)
    assert isinstance(model[0].weight, nn.Parameter)
    with pytest.raises(StateDictError, match="no parameter or buffer '0.scale'"):
        nn.functional_call(model, {"0.scale": np.ones(1)}, (x,))


def test_a_parameter_is_a_tensor_that_requires_grad_and_says_so():
    param = nn.Parameter(np.array([1.0, 2.0]))
    assert isinstance(param, Tensor) and param.requires_grad and param.is_leaf
    assert repr(param) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    shared = tensor([3.0])
    nn.Parameter(shared).data.mul_(2.0)
    assert shared.item() == 6.0


# --- initialisation ----------------------------------------------------------------------------------


def test_linear_is_initialised_uniformly_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300, generator=0)
    bound = 1 / math.sqrt(400)
    for values in (_array(layer.weight), _array(layer.bias)):
        assert 0.95 * bound < np.abs(values).max() <= bound
    assert abs(_array(layer.weight).std() - bound / math.sqrt(3)) < 0.01 * bound


def test_embedding_is_standard_normal_and_batchnorm_ones_and_zeros():
    values = _array(nn.Embedding(1000, 50, generator=0).weight)
    assert abs(values.mean()) < 0.01 and abs(values.std() - 1) < 0.01
    layer = nn.BatchNorm1d(3)
    assert _array(layer.weight).tolist() == [1.0] * 3 and _array(layer.bias).tolist() == [0.0] * 3
    assert _array(layer.running_mean).tolist() == [0.0] * 3 and _array(layer.running_var).tolist() == [1.0] * 3


def test_initialisation_repeats_from_a_seed_or_from_manual_seed():
    same = [_array(nn.Linear(4, 4, generator=9).weight) for _ in range(2)]
    np.testing.assert_array_equal(*same)
    wengert.random.manual_seed(5)
    first = _array(nn.Linear(4, 4).weight).copy()
    wengert.random.manual_seed(5)
    np.testing.assert_array_equal(_array(nn.Linear(4, 4).weight), first)


def test_a_dtype_can_be_chosen():
    layer = nn.Linear(2, 2, dtype=np.float32, generator=0)
    assert layer.weight.dtype == np.float32 and layer(np.ones((1, 2), dtype=np.float32)).dtype == np.float32


def test_a_deep_copy_owns_its_parameters():
    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.BatchNorm1d(3))
    clone = copy.deepcopy(model)
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    with no_grad():
        clone[0].weight.zero_()
    assert _array(model[0].weight).any() and repr(clone) == repr(model)


def test_to_converts_floating_parameters_gradients_and_buffers():
    model = nn.Sequential(nn.Linear(2, 3, generator=0), nn.BatchNorm1d(3))
    model(np.ones((4, 2))).sum().backward()
    assert model.float() is model
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
    assert model[1].running_var.dtype == np.float32 and model[1].num_batches_tracked.dtype == np.int64
    assert model(np.ones((4, 2), dtype=np.float32)).dtype == np.float32
    assert model.double()[0].weight.dtype == np.float64
    with pytest.raises(ArgumentError, match="floating-point dtype"):
        model.to(np.int32)


@pytest.mark.parametrize(
    "fill, check",
    [
        (
            lambda t: wengert.nn.init.kaiming_normal_(t, nonlinearity="tanh", generator=0),
            lambda v: v.std() * 20 * 3 / 5,
        ),
        (lambda t: wengert.nn.init.xavier_uniform_(t, generator=0), lambda v: v.std() / math.sqrt(2 / 440) / 1.0),
        (lambda t: wengert.nn.init.xavier_normal_(t, generator=0), lambda v: v.std() / math.sqrt(2 / 440)),
        (
            lambda t: wengert.nn.init.kaiming_uniform_(t, nonlinearity="relu", generator=0),
            lambda v: v.std() * 20 / math.sqrt(2),
        ),
    ],
)
def test_init_functions_have_their_documented_spread(fill, check):
    values = _array(fill(tensor(np.zeros((40, 400)))))
    assert abs(check(values) - 1) < 0.02


def test_calculate_gain_follows_pytorchs_table():
    torch = _torch()
    for name, param in [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ]:
        assert wengert.nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ArgumentError, match="unknown nonlinearity"):
        wengert.nn.init.calculate_gain("swish")


# --- documentation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [wengert.nn, wengert.nn.module, wengert.nn.init, wengert.random])
def test_the_examples_in_the_docstrings_run(module):
    assert doctest.testmod(module).failed == 0


def test_the_nn_guide_runs():
    result = doctest.testfile(str(DOCS), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 5
