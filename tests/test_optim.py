"""Specification of ``wengert.optim``: PyTorch's optimisers and learning-rate schedules, step for step.

Each optimiser, given the same parameters and the same losses, agrees with
PyTorch's to 1e-12 in float64 after each of 20 steps, with and without
momentum, Nesterov, weight decay, amsgrad; each scheduler produces PyTorch's
sequence of learning rates. State dicts let training resume exactly.
"""

import doctest
import warnings

import numpy as np
import pytest

import wengert
import wengert.optim
import wengert.optim.lr_scheduler
import wengert.serialization
from wengert import no_grad, tensor
from wengert.errors import ArgumentError, StateDictError
from wengert.optim import SGD, Adam, AdamW
from wengert.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LambdaLR, StepLR

SHAPES = [(3, 4), (4,), ()]
STEPS = 20


def _initial_values(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for shape in SHAPES]


def _directions(step: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1000 + step)
    return [rng.normal(size=shape) for shape in SHAPES]


def _loss(params, directions):
    """``sum(d . p) + sum(p^2) / 2``: its gradient ``d + p`` depends on the parameters."""
    total = 0.0
    for p, d in zip(params, directions):
        total = total + (p * d).sum() + (p * p).sum() / 2
    return total


def _run(optimizer_class, params, groups, settings, backend):
    """Take STEPS steps; return the parameters' values after each."""
    optimizer = optimizer_class(groups(params), **settings)
    history = []
    for step in range(STEPS):
        optimizer.zero_grad()
        directions = _directions(step)
        if backend == "torch":
            import torch

            directions = [torch.tensor(d) for d in directions]
        _loss(params, directions).backward()
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def _one_group(params):
    return params


def _two_groups(params):
    return [{"params": params[:1]}, {"params": params[1:], "lr": 0.03}]


CASES = [
    (SGD, {"lr": 0.1}),
    (SGD, {"lr": 0.1, "momentum": 0.9}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, {"lr": 0.1, "weight_decay": 0.01}),
    (SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    (SGD, {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    (Adam, {}),
    (Adam, {"lr": 0.05}),
    (Adam, {"lr": 0.05, "weight_decay": 0.1}),
    (Adam, {"lr": 0.05, "amsgrad": True}),
    (Adam, {"lr": 0.05, "betas": (0.3, 0.6), "eps": 1e-6}),
    (Adam, {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    (AdamW, {}),
    (AdamW, {"lr": 0.05, "weight_decay": 0.3}),
    (AdamW, {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
]


@pytest.mark.parametrize("groups", [_one_group, _two_groups], ids=["one_group", "two_groups"])
@pytest.mark.parametrize("optimizer_class, settings", CASES, ids=[f"{c.__name__}-{s}" for c, s in CASES])
def test_each_step_agrees_with_pytorch(optimizer_class, settings, groups):
    torch = pytest.importorskip("torch")
    ours = [tensor(v, requires_grad=True) for v in _initial_values()]
    theirs = [torch.tensor(v, requires_grad=True) for v in _initial_values()]
    torch_class = getattr(torch.optim, optimizer_class.__name__)
    expected = _run(torch_class, theirs, groups, settings, "torch")
    got = _run(optimizer_class, ours, groups, settings, "wengert")
    for step, (ours_now, theirs_now) in enumerate(zip(got, expected)):
        for a, b in zip(ours_now, theirs_now):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"step {step + 1}")


def test_parameters_without_a_gradient_are_left_alone():
    used, unused = tensor([1.0], requires_grad=True), tensor([2.0], requires_grad=True)
    optimizer = Adam([used, unused], lr=0.1)
    (used * 2.0).sum().backward()
    optimizer.step()
    assert unused.item() == 2.0 and used.item() != 1.0
    assert list(optimizer.state) == [used]


def test_zero_grad_clears_to_none_or_to_zeros():
    w = tensor([1.0, 2.0], requires_grad=True)
    optimizer = SGD([w], lr=0.1)
    (w * w).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    optimizer.zero_grad()
    assert w.grad is None


def test_step_records_nothing_on_the_tape():
    w = tensor([1.0], requires_grad=True)
    optimizer = SGD([w], lr=0.1, momentum=0.9)
    (w * 3.0).sum().backward()
    optimizer.step()
    assert w.is_leaf and w.grad_fn is None and w.requires_grad


def test_a_closure_is_evaluated_with_gradients_and_its_loss_returned():
    w = tensor([3.0], requires_grad=True)
    optimizer = SGD([w], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with no_grad():
        loss = optimizer.step(closure)
    assert loss.item() == 9.0 and w.item() == 1.5


def _train(optimizer, params, steps: range) -> None:
    for step in steps:
        optimizer.zero_grad()
        _loss(params, _directions(step)).backward()
        optimizer.step()


@pytest.mark.parametrize(
    "make", [lambda p: SGD(p, lr=0.05, momentum=0.9), lambda p: Adam(p, lr=0.05, amsgrad=True)], ids=["SGD", "Adam"]
)
def test_training_resumes_exactly_from_a_saved_state_dict(tmp_path, make):
    straight = [tensor(v, requires_grad=True) for v in _initial_values()]
    _train(make(straight), straight, range(10))

    first = [tensor(v, requires_grad=True) for v in _initial_values()]
    optimizer = make(first)
    _train(optimizer, first, range(5))
    wengert.serialization.save(optimizer.state_dict(), tmp_path / "optimizer.npz")
    resumed = [tensor(p.detach().numpy().copy(), requires_grad=True) for p in first]
    fresh = make(resumed)
    fresh.load_state_dict(wengert.serialization.load(tmp_path / "optimizer.npz"))
    _train(fresh, resumed, range(5, 10))
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_load_state_dict_checks_the_groups_fit():
    a, b = tensor([1.0], requires_grad=True), tensor([2.0], requires_grad=True)
    state = SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(StateDictError, match="group 0 has 2 parameters in the state dict and 1 here"):
        SGD([a], lr=0.1).load_state_dict(state)
    with pytest.raises(StateDictError, match="parameter groups differs: the state dict has 1, this optimiser 2"):
        SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(state)


def test_load_state_dict_checks_state_shapes():
    w = tensor([1.0, 2.0], requires_grad=True)
    optimizer = SGD([w], lr=0.1, momentum=0.9)
    state = {"state": {0: {"momentum_buffer": np.zeros(3)}}, "param_groups": optimizer.state_dict()["param_groups"]}
    with pytest.raises(StateDictError, match=r"'momentum_buffer' of parameter 0 has shape \(3,\)"):
        optimizer.load_state_dict(state)


def test_state_dict_lays_out_state_and_groups_as_pytorch():
    w = tensor([1.0], requires_grad=True)
    optimizer = Adam([w], lr=0.1)
    (w * 2.0).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    assert list(state["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    assert state["param_groups"][0]["params"] == [0]
    assert state["param_groups"][0]["lr"] == 0.1


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda w: SGD(w, lr=0.1), "single Tensor"),
        (lambda w: SGD([], lr=0.1), "empty parameter list"),
        (lambda w: SGD([w * 2.0], lr=0.1), "not a leaf"),
        (lambda w: SGD([np.ones(2)], lr=0.1), "ndarray, not a Tensor"),
        (lambda w: SGD([w], lr=0.1, nesterov=True), "Nesterov"),
        (lambda w: SGD([w], lr=-1.0), "non-negative"),
        (lambda w: Adam([w], betas=(0.9, 1.0)), "betas"),
        (lambda w: SGD([{"params": [w]}, {"params": [w]}], lr=0.1), "more than one parameter group"),
    ],
)
def test_mistakes_are_refused_with_a_reason(make, message):
    w = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ArgumentError, match=message):
        make(w)


def test_repr_lists_each_groups_settings():
    w = tensor([1.0], requires_grad=True)
    text = repr(SGD([w], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text and text.endswith(")")


def test_adamw_defaults_to_decoupled_weight_decay_of_one_percent():
    w = tensor([1.0], requires_grad=True)
    group = AdamW([w]).param_groups[0]
    assert group["weight_decay"] == 0.01 and group["decoupled_weight_decay"]


# --- learning-rate schedules ----------------------------------------------------------------------

SCHEDULES = [
    (StepLR, {"step_size": 3}),
    (StepLR, {"step_size": 2, "gamma": 0.5}),
    (ExponentialLR, {"gamma": 0.9}),
    (CosineAnnealingLR, {"T_max": 10}),
    (CosineAnnealingLR, {"T_max": 7, "eta_min": 0.001}),
    (LambdaLR, {"lr_lambda": lambda epoch: 0.95**epoch}),
    (LambdaLR, {"lr_lambda": lambda epoch: 1.0 if epoch < 5 else 0.1}),
]


def _lr_sequence(optimizer, scheduler, steps: int = 30) -> list[list[float]]:
    rates = []
    for _ in range(steps):
        optimizer.step()
        rates.append(list(scheduler.get_last_lr()))
        scheduler.step()
    return rates


@pytest.mark.parametrize(
    "scheduler_class, settings", SCHEDULES, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(SCHEDULES)]
)
def test_schedules_follow_pytorchs_learning_rates(scheduler_class, settings):
    torch = pytest.importorskip("torch")
    ours = [tensor([1.0], requires_grad=True), tensor([2.0], requires_grad=True)]
    theirs = [torch.tensor([1.0], requires_grad=True), torch.tensor([2.0], requires_grad=True)]
    optimizer = SGD([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.3}], lr=0.1)
    torch_optimizer = torch.optim.SGD([{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.3}], lr=0.1)
    torch_class = getattr(torch.optim.lr_scheduler, scheduler_class.__name__)
    expected = _lr_sequence(torch_optimizer, torch_class(torch_optimizer, **settings))
    got = _lr_sequence(optimizer, scheduler_class(optimizer, **settings))
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)


def test_lambda_lr_takes_one_function_per_group():
    groups = [
        {"params": [tensor([1.0], requires_grad=True)]},
        {"params": [tensor([1.0], requires_grad=True)]},
    ]
    optimizer = SGD(groups, lr=1.0)
    scheduler = LambdaLR(optimizer, [lambda e: 1.0 / (e + 1), lambda e: 2.0])
    optimizer.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.5, 2.0]
    with pytest.raises(ArgumentError, match="2 functions for 2 parameter groups|1 functions for 2"):
        LambdaLR(optimizer, [lambda e: 1.0])


def test_stepping_the_schedule_before_the_optimiser_warns():
    optimizer = SGD([tensor([1.0], requires_grad=True)], lr=1.0)
    scheduler = ExponentialLR(optimizer, gamma=0.5)
    with pytest.warns(UserWarning, match=r"before optimizer.step\(\)"):
        scheduler.step()
    optimizer.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()


def test_a_schedule_resumes_from_its_state_dict():
    def make():
        optimizer = SGD([tensor([1.0], requires_grad=True)], lr=1.0)
        return optimizer, CosineAnnealingLR(optimizer, T_max=10)

    optimizer, scheduler = make()
    _lr_sequence(optimizer, scheduler, 4)
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    later = _lr_sequence(optimizer, scheduler, 4)
    optimizer, scheduler = make()
    optimizer.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved_scheduler)
    assert _lr_sequence(optimizer, scheduler, 4) == later


def test_a_schedule_needs_an_optimiser():
    with pytest.raises(ArgumentError, match="expected a wengert.optim optimizer"):
        StepLR(object(), step_size=1)


@pytest.mark.parametrize("module", [wengert.optim, wengert.optim.lr_scheduler, wengert.optim.sgd, wengert.optim.adam])
def test_the_examples_in_the_docstrings_run(module):
    assert doctest.testmod(module).failed == 0
