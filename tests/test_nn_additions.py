"""Specification of ``nn.ModuleList``, ``Embedding(padding_idx=)`` and ``cross_entropy(label_smoothing=)``.

Each behaves as PyTorch's does on the same numbers: ModuleList registers its
modules under PyTorch's names (so parameters, state dicts and modes reach
them) and edits like a list; the padding row of an embedding starts at zero
and gets no gradient; label smoothing gives PyTorch's losses and gradients
to 1e-12 in float64 with every combination of weight, ignore_index and
reduction.
"""

import doctest

import numpy as np
import pytest

import wengert
import wengert.nn.container
import wengert.nn.functional as F
from wengert import nn, tensor
from wengert.errors import ArgumentError

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-12, "atol": 1e-12}


def _array(value) -> np.ndarray:
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _copy_weights(ours: nn.Module, theirs) -> None:
    """Give the PyTorch module ``theirs`` the state of ``ours``, which must have the same names."""
    theirs.load_state_dict({name: torch.tensor(value.numpy()) for name, value in ours.state_dict().items()})


def _assert_same_gradients(ours: nn.Module, theirs) -> None:
    their_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(their_params)
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(_array(param.grad), _array(their_params[name].grad), **TOL, err_msg=name)


# --- ModuleList --------------------------------------------------------------------------------------


def _tower(module):
    """A model that keeps its layers in a ModuleList and iterates over them, written once for both libraries."""

    class Tower(module.Module):
        def __init__(self):
            super().__init__()
            self.layers = module.ModuleList([module.Linear(3, 4), module.Linear(4, 4)])
            self.layers.append(module.BatchNorm1d(4))
            self.layers.extend([module.Tanh(), module.Linear(4, 2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    return Tower()


def test_modulelist_registers_its_modules_under_pytorchs_names():
    ours, theirs = _tower(nn), _tower(torch.nn)
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_modules()] == [name for name, _ in theirs.named_modules()]
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 8


def test_a_model_iterating_over_a_modulelist_matches_pytorch():
    ours, theirs = _tower(nn), _tower(torch.nn).double()
    _copy_weights(ours, theirs)
    x = np.random.default_rng(0).normal(size=(5, 3))
    out, expected = ours(tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(_array(out), _array(expected), **TOL)
    (out * out).sum().backward(), (expected * expected).sum().backward()
    _assert_same_gradients(ours, theirs)


def test_modulelist_state_dict_round_trips_into_a_fresh_model():
    source, target = _tower(nn), _tower(nn)
    source(np.ones((2, 3)))
    target.load_state_dict(source.state_dict())
    for name, value in source.state_dict().items():
        np.testing.assert_array_equal(_array(target.state_dict()[name]), _array(value), err_msg=name)


def test_modes_and_zero_grad_reach_the_modules_of_a_modulelist():
    model = _tower(nn)
    model.eval()
    assert not any(layer.training for layer in model.layers)
    model.train()
    model(np.ones((2, 3))).sum().backward()
    assert all(param.grad is not None for param in model.layers.parameters())
    model.zero_grad()
    assert all(param.grad is None for param in model.layers.parameters())


def test_modulelist_indexes_and_slices_like_a_list():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Tanh(), nn.ReLU()])
    assert len(layers) == 3 and list(layers) == [layers[0], layers[1], layers[2]]
    assert isinstance(layers[-1], nn.ReLU) and layers[-3] is layers[0]
    head = layers[1:]
    assert isinstance(head, nn.ModuleList) and list(head) == list(layers)[1:]
    assert [name for name, _ in head.named_children()] == ["0", "1"]
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        layers[3]
    with pytest.raises(IndexError, match="out of range"):
        layers[-4]


@pytest.mark.parametrize(
    "edit",
    [
        lambda layers, make: layers.insert(1, make.Sigmoid()),
        lambda layers, make: layers.insert(0, make.Sigmoid()),
        lambda layers, make: layers.insert(3, make.Sigmoid()),
        lambda layers, make: layers.__setitem__(1, make.Sigmoid()),
        lambda layers, make: layers.__setitem__(-1, make.Sigmoid()),
        lambda layers, make: layers.__delitem__(0),
        lambda layers, make: layers.__delitem__(slice(0, 2)),
        lambda layers, make: layers.pop(1),
        lambda layers, make: layers.__iadd__([make.Sigmoid()]),
    ],
    ids=["insert-middle", "insert-front", "insert-end", "set", "set-negative", "del", "del-slice", "pop", "+="],
)
def test_modulelist_edits_renumber_the_modules_as_pytorch_does(edit):
    def build(make):
        layers = make.ModuleList([make.Linear(2, 2), make.Tanh(), make.ReLU()])
        edit(layers, make)
        return [(name, type(module).__name__) for name, module in layers.named_children()]

    assert build(nn) == build(torch.nn)


def test_setting_an_item_replaces_the_module_in_place_and_its_parameters():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 3)])
    replacement = nn.Linear(2, 5)
    layers[0] = replacement
    assert layers[0] is replacement and len(layers) == 2
    assert [tuple(p.shape) for p in layers.parameters()] == [(5, 2), (5,), (3, 2), (3,)]


def test_modulelist_concatenates_and_repeats_its_repr_as_pytorch_does():
    def build(make):
        return make.ModuleList([make.Linear(2, 2) for _ in range(3)] + [make.Tanh()]) + [make.ReLU(), make.ReLU()]

    ours, theirs = build(nn), build(torch.nn)
    assert isinstance(ours, nn.ModuleList) and len(ours) == 6
    assert repr(ours) == repr(theirs)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"


@pytest.mark.parametrize(
    "add",
    [
        lambda layers: nn.ModuleList([nn.Tanh(), lambda x: x]),
        lambda layers: layers.append(3),
        lambda layers: layers.extend([nn.ReLU(), "relu"]),
        lambda layers: layers.insert(0, np.ones(2)),
        lambda layers: layers.__setitem__(0, None),
    ],
    ids=["init", "append", "extend", "insert", "set"],
)
def test_modulelist_refuses_what_is_not_a_module(add):
    layers = nn.ModuleList([nn.Tanh()])
    with pytest.raises(TypeError, match="is not a Module"):
        add(layers)
    assert len(layers) == 1 and isinstance(layers[0], nn.Tanh)


def test_modulelist_extend_needs_an_iterable():
    with pytest.raises(TypeError, match="needs an iterable of modules, got a Tanh"):
        nn.ModuleList().extend(nn.Tanh())


def test_calling_a_modulelist_says_to_iterate_over_it():
    with pytest.raises(NotImplementedError, match="Iterate over it"):
        nn.ModuleList([nn.Tanh()])(np.ones(2))


def test_the_examples_in_the_container_docstrings_run():
    assert doctest.testmod(wengert.nn.container).failed == 0


# --- Embedding(padding_idx=) -------------------------------------------------------------------------


@pytest.mark.parametrize("padding_idx", [2, -1, 0])
def test_the_padding_row_starts_at_zeros_and_the_others_are_unchanged(padding_idx):
    plain = _array(nn.Embedding(5, 3, generator=0).weight)
    padded = nn.Embedding(5, 3, padding_idx=padding_idx, generator=0)
    row = padding_idx % 5
    assert padded.padding_idx == row == torch.nn.Embedding(5, 3, padding_idx=padding_idx).padding_idx
    np.testing.assert_array_equal(_array(padded.weight)[row], np.zeros(3))
    others = np.arange(5) != row
    np.testing.assert_array_equal(_array(padded.weight)[others], plain[others])
    assert repr(padded) == repr(torch.nn.Embedding(5, 3, padding_idx=padding_idx))


@pytest.mark.parametrize("padding_idx", [3, -2])
def test_embedding_with_padding_matches_pytorch_and_the_padding_row_gets_no_gradient(padding_idx):
    ours = nn.Embedding(5, 4, padding_idx=padding_idx, generator=0)
    theirs = torch.nn.Embedding(5, 4, padding_idx=padding_idx).double()
    with wengert.no_grad():
        ours.weight[3] = 7.0  # a padding row that is no longer zero still gives its values
    _copy_weights(ours, theirs)
    index = np.array([[0, 3, 3], [4, 3, 0]])
    cotangent = np.random.default_rng(1).normal(size=(2, 3, 4))
    out, expected = ours(index), theirs(torch.tensor(index))
    np.testing.assert_allclose(_array(out), _array(expected), **TOL)
    np.testing.assert_array_equal(_array(out)[0, 1], np.full(4, 7.0))
    (out * tensor(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    _assert_same_gradients(ours, theirs)
    np.testing.assert_array_equal(_array(ours.weight.grad)[3], np.zeros(4))


def test_functional_embedding_with_padding_under_grad_matches_pytorch():
    weight = np.random.default_rng(2).normal(size=(4, 3))
    index = np.array([1, 0, 1, 2, 0])
    cotangent = np.random.default_rng(3).normal(size=(5, 3))
    gradient = wengert.grad(lambda w: (F.embedding(index, w, padding_idx=0) * cotangent).sum())(weight)
    theirs = torch.tensor(weight, requires_grad=True)
    (
        torch.nn.functional.embedding(torch.tensor(index), theirs, padding_idx=0) * torch.tensor(cotangent)
    ).sum().backward()
    np.testing.assert_allclose(gradient, _array(theirs.grad), **TOL)
    np.testing.assert_array_equal(gradient[0], np.zeros(3))
    np.testing.assert_array_equal(F.embedding(index, weight, padding_idx=0), weight[index])


@pytest.mark.parametrize("padding_idx", [5, -6])
def test_a_padding_idx_outside_the_table_is_refused(padding_idx):
    with pytest.raises(ArgumentError, match=rf"padding_idx={padding_idx} is out of range for 5 embeddings"):
        nn.Embedding(5, 2, padding_idx=padding_idx)
    with pytest.raises(ArgumentError, match=r"give a row in \[-5, 4\]"):
        F.embedding(np.array([0]), np.zeros((5, 2)), padding_idx=padding_idx)


# --- cross_entropy(label_smoothing=) -----------------------------------------------------------------

LOGITS = np.random.default_rng(6).normal(size=(6, 4)) * 3
TARGETS = np.array([0, 3, 1, 1, -100, 2])
WEIGHT = np.array([0.5, 1.0, 2.0, 1.5])


def _assert_cross_entropy_matches_pytorch(logits, target, **kwargs) -> None:
    """Loss values and gradients by the logits of ours and PyTorch's ``cross_entropy`` with ``kwargs``."""
    their_kwargs = {key: torch.tensor(v) if isinstance(v, np.ndarray) else v for key, v in kwargs.items()}
    x, xt = tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, target, **kwargs)
    expected = torch.nn.functional.cross_entropy(xt, torch.tensor(target), **their_kwargs)
    np.testing.assert_allclose(_array(loss), _array(expected), **TOL)
    cotangent = np.random.default_rng(0).normal(size=np.shape(_array(loss)))
    (loss * tensor(cotangent)).sum().backward(), (expected * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(_array(x.grad), _array(xt.grad), **TOL)


@pytest.mark.parametrize("label_smoothing", [0.1, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ignore_index", [-100, 1], ids=["ignore-100", "ignore1"])
def test_label_smoothing_with_class_indices_matches_pytorch(label_smoothing, reduction, weighted, ignore_index):
    kwargs = {"reduction": reduction, "ignore_index": ignore_index, "label_smoothing": label_smoothing}
    if weighted:
        kwargs["weight"] = WEIGHT
    _assert_cross_entropy_matches_pytorch(LOGITS, np.where(TARGETS == -100, 0, TARGETS), **kwargs)
    _assert_cross_entropy_matches_pytorch(LOGITS, np.where(TARGETS == -100, ignore_index, TARGETS), **kwargs)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_label_smoothing_matches_pytorch_for_spatial_and_unbatched_inputs(weighted):
    rng = np.random.default_rng(7)
    weight = {"weight": rng.uniform(0.5, 2, size=5)} if weighted else {}
    logits, targets = rng.normal(size=(3, 5, 2, 4)), rng.integers(0, 5, size=(3, 2, 4))
    targets[0, 1, 2] = -100
    for reduction in ("mean", "sum", "none"):
        _assert_cross_entropy_matches_pytorch(logits, targets, label_smoothing=0.2, reduction=reduction, **weight)
    _assert_cross_entropy_matches_pytorch(rng.normal(size=5), np.array(3), label_smoothing=0.2, **weight)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_label_smoothing_with_class_probabilities_matches_pytorch(label_smoothing, reduction, weighted):
    probabilities = np.random.default_rng(8).dirichlet(np.ones(4), size=6)
    weight = {"weight": WEIGHT} if weighted else {}
    _assert_cross_entropy_matches_pytorch(
        LOGITS, probabilities, label_smoothing=label_smoothing, reduction=reduction, **weight
    )


def test_label_smoothing_under_grad_on_plain_arrays_agrees_with_tensors():
    def loss(scale):
        return F.cross_entropy(LOGITS * scale, TARGETS, weight=WEIGHT, label_smoothing=0.1)

    functional = wengert.grad(loss)(np.ones(4))
    scale = tensor(np.ones(4), requires_grad=True)
    loss(scale).backward()
    np.testing.assert_allclose(functional, _array(scale.grad), **TOL)


@pytest.mark.parametrize("weighted", [False, True])
def test_label_smoothing_keeps_float32_float32(weighted):
    logits = LOGITS.astype(np.float32)
    targets = np.where(np.arange(len(TARGETS)) == 0, -100, TARGETS)  # one ignored position
    weight = WEIGHT.astype(np.float32) if weighted else None
    loss = F.cross_entropy(logits, targets, weight=weight, label_smoothing=0.1)
    assert loss.dtype == np.float32
    assert (
        wengert.grad(lambda x: F.cross_entropy(x, targets, weight=weight, label_smoothing=0.1))(logits).dtype
        == np.float32
    )


@pytest.mark.parametrize("label_smoothing", [-0.1, 1.5])
def test_label_smoothing_outside_zero_to_one_is_refused(label_smoothing):
    with pytest.raises(ArgumentError, match=r"label_smoothing must lie in \[0, 1\]"):
        F.cross_entropy(LOGITS, TARGETS, label_smoothing=label_smoothing)
