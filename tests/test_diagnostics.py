"""Specification of the training diagnostics: each number is its direct NumPy computation; the pictures are drawn.

The tiny model is ``Linear(4, 8) -> Tanh -> Linear(8, 3)`` with inputs large
enough that some tanh units saturate. The reference numbers are computed
from the weights with NumPy alone, including the backward pass through
cross-entropy and the last Linear, so the statistics of gradients are checked
against gradients derived by hand, not against wengert's own.
"""

from __future__ import annotations

import doctest
import sys

import numpy as np
import pytest

import wengert.apps.diagnostics
import wengert.nn.functional as F
import wengert.viz.training_statistics
from wengert import nn, tensor
from wengert.apps.diagnostics import format_statistics, layer_outputs, parameter_labels
from wengert.errors import ArgumentError, MissingDependencyError
from wengert.optim import SGD
from wengert.viz import (
    UpdateRatioTracker,
    activation_statistics,
    gradient_statistics,
    plot_activation_histograms,
    plot_gradient_histograms,
    plot_loss_curve,
    plot_update_ratios,
    update_to_data_ratios,
)

TANH = "layer 1 (Tanh)"


@pytest.fixture
def tiny():
    """The model, a batch with targets, the tanh outputs with gradients set, and the reference in NumPy."""
    generator = np.random.default_rng(7)
    model = nn.Sequential(nn.Linear(4, 8, generator=generator), nn.Tanh(), nn.Linear(8, 3, generator=generator))
    inputs = generator.standard_normal((16, 4)) * 4.0
    targets = generator.integers(0, 3, 16)
    outputs = layer_outputs(model, inputs)
    F.cross_entropy(outputs["output"], targets).backward()

    w1, b1 = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    w2, b2 = model[2].weight.detach().numpy(), model[2].bias.detach().numpy()
    h = np.tanh(inputs @ w1.T + b1)
    logits = h @ w2.T + b2
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    dlogits = probabilities.copy()
    dlogits[np.arange(16), targets] -= 1.0
    dlogits /= 16
    reference = {"h": h, "dh": dlogits @ w2, "dw2": dlogits.T @ h, "w2": w2}
    return model, outputs, reference


def test_layer_outputs_are_the_tanh_outputs_and_the_model_output(tiny):
    model, outputs, reference = tiny
    assert list(outputs) == [TANH, "output"]
    np.testing.assert_allclose(outputs[TANH].detach().numpy(), reference["h"], rtol=1e-13)


def test_layer_outputs_keep_their_gradient(tiny):
    _, outputs, reference = tiny
    np.testing.assert_allclose(outputs[TANH].grad.numpy(), reference["dh"], rtol=1e-12, atol=1e-15)


def test_layer_outputs_need_a_sequential():
    with pytest.raises(ArgumentError, match="nn.Sequential"):
        layer_outputs(nn.Linear(2, 2), np.ones((1, 2)))


def test_activation_statistics_are_mean_std_and_saturated_fraction(tiny):
    _, outputs, reference = tiny
    h = reference["h"]
    statistics = activation_statistics({TANH: outputs[TANH]})[TANH]
    assert statistics["mean"] == pytest.approx(h.mean(), rel=1e-12)
    assert statistics["std"] == pytest.approx(h.std(), rel=1e-12)
    assert statistics["saturated"] == np.mean(np.abs(h) > 0.97)
    assert 0 < statistics["saturated"] < 1


def test_the_saturation_threshold_can_be_changed():
    statistics = activation_statistics({"a": np.array([0.1, 0.6, -0.8, 0.99])}, saturation=0.5)
    assert statistics["a"]["saturated"] == 0.75


def test_gradient_statistics_of_an_activation_match_the_hand_derived_gradient(tiny):
    _, outputs, reference = tiny
    dh, h = reference["dh"], reference["h"]
    statistics = gradient_statistics({TANH: outputs[TANH]})[TANH]
    assert statistics["mean"] == pytest.approx(dh.mean(), rel=1e-10, abs=1e-16)
    assert statistics["std"] == pytest.approx(dh.std(), rel=1e-12)
    assert statistics["grad_to_data"] == pytest.approx(dh.std() / h.std(), rel=1e-12)


def test_gradient_statistics_of_a_parameter_match_the_hand_derived_gradient(tiny):
    model, _, reference = tiny
    statistics = gradient_statistics(dict(model.named_parameters()))
    dw2, w2 = reference["dw2"], reference["w2"]
    assert set(statistics) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert statistics["2.weight"]["std"] == pytest.approx(dw2.std(), rel=1e-12)
    assert statistics["2.weight"]["grad_to_data"] == pytest.approx(dw2.std() / w2.std(), rel=1e-12)


def test_gradient_statistics_leave_out_tensors_without_a_gradient():
    assert gradient_statistics({"unused": tensor(np.ones(3), requires_grad=True)}) == {}


def test_update_to_data_ratio_is_log10_of_the_update_spread_over_the_data_spread(tiny):
    model, _, _ = tiny
    ratios = update_to_data_ratios(model, learning_rate=0.1)
    for name, parameter in model.named_parameters():
        grad, data = parameter.grad.numpy(), parameter.detach().numpy()
        assert ratios[name] == pytest.approx(np.log10(np.std(0.1 * grad) / np.std(data)), rel=1e-12)


def test_update_to_data_ratio_accepts_a_mapping_of_parameters(tiny):
    model, _, _ = tiny
    parameters = dict(model.named_parameters())
    assert update_to_data_ratios(parameters, 0.5) == update_to_data_ratios(model, 0.5)


def test_the_tracker_records_the_ratio_of_every_parameter_at_every_step():
    generator = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 5, generator=generator), nn.Tanh(), nn.Linear(5, 2, generator=generator))
    optimizer = SGD(model.parameters(), lr=0.2)
    inputs, targets = generator.standard_normal((8, 3)), generator.integers(0, 2, 8)
    tracker = UpdateRatioTracker()
    expected = []
    for step in range(3):
        optimizer.zero_grad()
        F.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
        expected.append(update_to_data_ratios(model, 0.2))
        tracker.record(step, model, 0.2)
    assert tracker.steps.tolist() == [0, 1, 2]
    for name in expected[0]:
        assert tracker.ratios[name].tolist() == [ratios[name] for ratios in expected]


def test_statistics_format_as_aligned_lines():
    lines = format_statistics({"a": {"mean": 0.5, "std": 0.25, "saturated": 0.125}, "longer": {"std": 2.0}})
    assert lines == ["a       mean +5.00e-01  std 2.50e-01  saturated 12.50%", "longer  std 2.00e+00"]


def _is_png(path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_pictures_are_written(tiny, tmp_path):
    pytest.importorskip("matplotlib")
    model, outputs, _ = tiny
    tracker = UpdateRatioTracker()
    tracker.record(0, model, 0.1)
    tracker.record(1, model, 0.1)
    plot_activation_histograms({TANH: outputs[TANH]}, tmp_path / "activations.png")
    plot_gradient_histograms(dict(model.named_parameters()), tmp_path / "gradients.png")
    plot_update_ratios(tracker, tmp_path / "ratios.png", labels=parameter_labels(model))
    plot_loss_curve(np.linspace(3.0, 2.0, 250), tmp_path / "loss.png", window=50, val_loss=2.1, decay_step=200)
    for name in ("activations.png", "gradients.png", "ratios.png", "loss.png"):
        assert _is_png(tmp_path / name), name


def test_pictures_without_matplotlib_say_how_to_install_it(tiny, tmp_path, monkeypatch):
    _, outputs, _ = tiny
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r"pip install \"wengert\[plot\]\""):
        plot_activation_histograms({TANH: outputs[TANH]}, tmp_path / "activations.png")


def test_parameter_labels_name_the_layer_that_owns_each_parameter(tiny):
    model, _, _ = tiny
    assert parameter_labels(model) == {
        "0.weight": "0.weight (Linear)",
        "0.bias": "0.bias (Linear)",
        "2.weight": "2.weight (Linear)",
        "2.bias": "2.bias (Linear)",
    }


@pytest.mark.parametrize("module", [wengert.apps.diagnostics, wengert.viz.training_statistics])
def test_the_examples_in_the_docstrings_run(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
