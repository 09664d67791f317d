"""Training diagnostics of an ``nn.Sequential``: its layers' outputs, its parameters' names, the numbers as text.

The statistics themselves (activations, gradients, update-to-data ratios) are
:mod:`wengert.viz.training_statistics`', for any model, drawn by
:mod:`wengert.viz` (``plot_activation_histograms``, ``plot_gradient_histograms``,
``plot_update_ratios``, ``plot_loss_curve``). This module finds what to feed
them in a sequential network, as makemore does: :func:`layer_outputs` (each
tanh layer's output, its gradient retained), :func:`parameter_labels` (each
parameter with the kind of layer that owns it) and :func:`format_statistics`
(aligned lines for a terminal).

>>> import numpy as np
>>> from wengert.viz.training_statistics import activation_statistics
>>> print(format_statistics(activation_statistics({"tanh": np.array([0.0, 0.5, -0.99, 0.98])}))[0])
tanh  mean +1.22e-01  std 7.30e-01  saturated 50.00%
"""

from __future__ import annotations

from collections.abc import Mapping

from wengert import nn
from wengert._tensor.api import Tensor
from wengert.errors import ArgumentError

__all__ = ["format_statistics", "layer_outputs", "parameter_labels"]


def layer_outputs(model: nn.Sequential, inputs, kinds: tuple[type, ...] = (nn.Tanh,)) -> dict[str, Tensor]:
    """Run ``model`` layer by layer on ``inputs``; the outputs of layers of the types ``kinds``, by name.

    Each name is ``"layer {index} ({class name})"``. The outputs retain their
    gradient, so after ``loss.backward()`` on a loss computed from the last
    output (returned under ``"output"``), their ``.grad`` is set: pass them to
    :func:`~wengert.viz.training_statistics.gradient_statistics`. Without ``kinds`` matches, only ``"output"``
    comes back.
    """
    if not isinstance(model, nn.Sequential):
        raise ArgumentError(
            f"layer_outputs runs an nn.Sequential one layer at a time, got {type(model).__name__}; "
            "wrap the layers in nn.Sequential, or collect the activations in your forward() yourself."
        )
    outputs = {}
    value = inputs
    for index, layer in enumerate(model):
        value = layer(value)
        if isinstance(layer, kinds):
            if value.requires_grad:
                value.retain_grad()
            outputs[f"layer {index} ({type(layer).__name__})"] = value
    outputs["output"] = value
    return outputs


def parameter_labels(model: nn.Module) -> dict[str, str]:
    """Each parameter name with the kind of layer that owns it: ``"0.weight"`` -> ``"0.weight (Embedding)"``."""
    modules = dict(model.named_modules())
    labels = {}
    for name, _ in model.named_parameters():
        owner = modules[name.rpartition(".")[0]]
        labels[name] = f"{name} ({type(owner).__name__})"
    return labels


def format_statistics(statistics: Mapping[str, Mapping[str, float]]) -> list[str]:
    """One aligned line per entry: ``name  mean +0.0012  std 0.6481  saturated 3.12%`` (the keys it has)."""
    width = max((len(name) for name in statistics), default=0)
    lines = []
    for name, numbers in statistics.items():
        cells = []
        for key, value in numbers.items():
            if key == "saturated":
                cells.append(f"saturated {100 * value:5.2f}%")
            elif key == "mean":
                cells.append(f"mean {value:+.2e}")
            else:
                cells.append(f"{key.replace('_', ':')} {value:.2e}")
        lines.append(f"{name.ljust(width)}  " + "  ".join(cells))
    return lines
