"""The numbers the training pictures draw: activation, gradient and update statistics of any model.

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
as dicts of floats; :mod:`wengert.viz.training` draws them. Values may be
arrays or Tensors (read detached: no gradient is recorded).

>>> import numpy as np
>>> stats = activation_statistics({"tanh": np.array([0.0, 0.5, -0.99, 0.98])})
>>> stats["tanh"]["saturated"]
0.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = [
    "SATURATION",
    "UpdateRatioTracker",
    "activation_statistics",
    "array_values",
    "gradient_statistics",
    "update_to_data_ratios",
]

SATURATION = 0.97
"""``|tanh| > 0.97`` counts as saturated: the local gradient ``1 - h^2`` is then below 0.06."""


def array_values(value) -> np.ndarray:
    """The values of an array or Tensor as a NumPy array (a Tensor detached: no gradient is recorded)."""
    detach = getattr(value, "detach", None)
    return detach().numpy() if detach is not None else np.asarray(value)


def activation_statistics(activations: Mapping[str, object], saturation: float = SATURATION) -> dict:
    """For each named activation: ``mean``, ``std`` and ``saturated``, the fraction with ``|h| > saturation``."""
    statistics = {}
    for name, activation in activations.items():
        values = array_values(activation)
        statistics[name] = {
            "mean": float(values.mean()),
            "std": float(values.std()),
            "saturated": float((np.abs(values) > saturation).mean()),
        }
    return statistics


def gradient_statistics(tensors: Mapping[str, object]) -> dict:
    """For each named Tensor with a ``.grad``: the gradient's ``mean``, ``std`` and ``grad_to_data``.

    ``grad_to_data`` is ``std(grad) / std(data)``; it is ``inf`` for a
    constant tensor with a nonzero gradient (a freshly initialised bias).
    Tensors without a gradient are left out.
    """
    statistics = {}
    for name, tensor in tensors.items():
        if tensor.grad is None:
            continue
        grad, data = array_values(tensor.grad), array_values(tensor)
        grad_std, data_std = float(grad.std()), float(data.std())
        statistics[name] = {
            "mean": float(grad.mean()),
            "std": grad_std,
            "grad_to_data": grad_std / data_std if data_std > 0 else (0.0 if grad_std == 0 else math.inf),
        }
    return statistics


def update_to_data_ratios(parameters, learning_rate: float) -> dict[str, float]:
    """``log10(std(learning_rate * grad) / std(data))`` per parameter that has a gradient.

    ``parameters`` is a module (its ``named_parameters()``) or a mapping of
    names to Tensors. The ratio is ``-inf`` for a zero gradient and ``inf``
    for a constant parameter; those are the extremes the plot should show.
    """
    named = getattr(parameters, "named_parameters", None)
    ratios = {}
    for name, tensor in (dict(named()) if named is not None else dict(parameters)).items():
        if tensor.grad is None:
            continue
        update_std = float((learning_rate * array_values(tensor.grad)).std())
        data_std = float(array_values(tensor).std())
        with np.errstate(divide="ignore"):
            ratios[name] = float(np.log10(update_std) - np.log10(data_std))
    return ratios


class UpdateRatioTracker:
    """Collects :func:`update_to_data_ratios` over training: call ``record`` after each optimiser step.

    ``steps`` lists the steps recorded and ``ratios[name]`` the ratio of that
    parameter at each of them, as arrays, for :func:`~wengert.viz.plot_update_ratios`.
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
