"""Training diagnostics: activation, gradient and update statistics of a network, as numbers and as pictures.

These are the checks a practitioner runs to see whether a network trains
well, as the classic makemore text does them:

* **activations** of each tanh layer: their mean and standard deviation, and
  the fraction *saturated*, ``|h| > 0.97``, where ``tanh' = 1 - h^2 < 0.06``
  and almost no gradient flows back (a unit saturated on every example is
  dead: it never learns);
* **gradients** of each layer's output and of each parameter: mean, standard
  deviation, and the ratio ``std(grad) / std(data)`` (a layer whose gradients
  are far larger or smaller than the others' learns at another speed);
* the **update-to-data ratio** of each parameter, ``log10(std(lr * grad) /
  std(data))``, tracked over the steps: around ``-3`` a step changes a
  parameter by about a thousandth of its spread; far below, it learns too
  slowly, far above, too fast.

Standard deviations are population ones (``ddof=0``). The numbers come back
as dicts of floats; :mod:`wengert.viz` draws them (``plot_loss_curve``,
``plot_activation_histograms``, ``plot_gradient_histograms``,
``plot_update_ratios``), for this model or any other.

>>> import numpy as np
>>> stats = activation_statistics({"tanh": np.array([0.0, 0.5, -0.99, 0.98])})
>>> stats["tanh"]["saturated"]
0.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from wengert import nn
from wengert._tensor.api import Tensor
from wengert.errors import ArgumentError

__all__ = [
    "SATURATION",
    "UpdateRatioTracker",
    "activation_statistics",
    "format_statistics",
    "gradient_statistics",
    "layer_outputs",
    "parameter_labels",
    "update_to_data_ratios",
]

SATURATION = 0.97
"""``|tanh| > 0.97`` counts as saturated: the local gradient ``1 - h^2`` is then below 0.06."""


def _array(value) -> np.ndarray:
    """The values of an array or Tensor as a NumPy array (detached: no gradient is recorded)."""
    if isinstance(value, Tensor):
        return value.detach().numpy()
    return np.asarray(value)


def layer_outputs(model: nn.Sequential, inputs, kinds: tuple[type, ...] = (nn.Tanh,)) -> dict[str, Tensor]:
    """Run ``model`` layer by layer on ``inputs``; the outputs of layers of the types ``kinds``, by name.

    Each name is ``"layer {index} ({class name})"``. The outputs retain their
    gradient, so after ``loss.backward()`` on a loss computed from the last
    output (returned under ``"output"``), their ``.grad`` is set: pass them to
    :func:`gradient_statistics`. Without ``kinds`` matches, only ``"output"``
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


def activation_statistics(activations: Mapping[str, object], saturation: float = SATURATION) -> dict:
    """For each named activation: ``mean``, ``std`` and ``saturated``, the fraction with ``|h| > saturation``."""
    statistics = {}
    for name, activation in activations.items():
        values = _array(activation)
        statistics[name] = {
            "mean": float(values.mean()),
            "std": float(values.std()),
            "saturated": float((np.abs(values) > saturation).mean()),
        }
    return statistics


def gradient_statistics(tensors: Mapping[str, Tensor]) -> dict:
    """For each named Tensor with a ``.grad``: the gradient's ``mean``, ``std`` and ``grad_to_data``.

    ``grad_to_data`` is ``std(grad) / std(data)``; it is ``inf`` for a
    constant tensor with a nonzero gradient (a freshly initialised bias).
    Tensors without a gradient are left out.
    """
    statistics = {}
    for name, tensor in tensors.items():
        if tensor.grad is None:
            continue
        grad, data = _array(tensor.grad), _array(tensor)
        grad_std, data_std = float(grad.std()), float(data.std())
        statistics[name] = {
            "mean": float(grad.mean()),
            "std": grad_std,
            "grad_to_data": grad_std / data_std if data_std > 0 else (0.0 if grad_std == 0 else math.inf),
        }
    return statistics


def _named_parameters(parameters) -> dict:
    if isinstance(parameters, nn.Module):
        return dict(parameters.named_parameters())
    return dict(parameters)


def update_to_data_ratios(parameters, learning_rate: float) -> dict[str, float]:
    """``log10(std(learning_rate * grad) / std(data))`` per parameter that has a gradient.

    ``parameters`` is a module (its ``named_parameters()``) or a mapping of
    names to Tensors. The ratio is ``-inf`` for a zero gradient and ``inf``
    for a constant parameter; those are the extremes the plot should show.
    """
    ratios = {}
    for name, tensor in _named_parameters(parameters).items():
        if tensor.grad is None:
            continue
        update_std = float((learning_rate * _array(tensor.grad)).std())
        data_std = float(_array(tensor).std())
        with np.errstate(divide="ignore"):
            ratios[name] = float(np.log10(update_std) - np.log10(data_std))
    return ratios


def parameter_labels(model: nn.Module) -> dict[str, str]:
    """Each parameter name with the kind of layer that owns it: ``"0.weight"`` -> ``"0.weight (Embedding)"``."""
    modules = dict(model.named_modules())
    labels = {}
    for name, _ in model.named_parameters():
        owner = modules[name.rpartition(".")[0]]
        labels[name] = f"{name} ({type(owner).__name__})"
    return labels


class UpdateRatioTracker:
    """Collects :func:`update_to_data_ratios` over training: call ``record`` after each optimiser step.

    ``steps`` lists the steps recorded and ``ratios[name]`` the ratio of that
    parameter at each of them, as arrays, for :func:`plot_update_ratios`.
    """

    def __init__(self) -> None:
        self._steps: list[int] = []
        self._ratios: dict[str, list[float]] = {}

    def record(self, step: int, parameters, learning_rate: float) -> None:
        """Record the ratios of ``parameters`` (a module or a name -> Tensor mapping) at ``step``."""
        self._steps.append(step)
        for name, ratio in update_to_data_ratios(parameters, learning_rate).items():
            self._ratios.setdefault(name, []).append(ratio)

    @property
    def steps(self) -> np.ndarray:
        return np.array(self._steps)

    @property
    def ratios(self) -> dict[str, np.ndarray]:
        return {name: np.array(values) for name, values in self._ratios.items()}

    def __repr__(self) -> str:
        return f"UpdateRatioTracker(records={len(self._steps)}, parameters={list(self._ratios)})"


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
