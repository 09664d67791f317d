"""Training pictures of any model: the loss curve, activation and gradient histograms, update-to-data ratios.

The numbers come from :mod:`wengert.viz.training_statistics`; these functions draw them
with matplotlib (the ``plot`` extra) at a size and resolution fit for a
slide (16:9, 200 dots per inch), with each legend outside the axes, so it
never covers the data. Each returns the matplotlib ``Figure`` (it displays
itself in Jupyter) and, given a ``path``, also writes it there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike

import numpy as np

from wengert.errors import MissingDependencyError

from .training_statistics import (
    SATURATION,
    UpdateRatioTracker,
    activation_statistics,
    array_values,
    gradient_statistics,
)

__all__ = [
    "DPI",
    "FIGURE_SIZE",
    "figure",
    "plot_activation_histograms",
    "plot_gradient_histograms",
    "plot_loss_curve",
    "plot_update_ratios",
]

FIGURE_SIZE = (10.0, 5.625)
"""Inches: 16:9, the shape of a slide."""
DPI = 200
"""Dots per inch of the written images: 2000 x 1125 pixels."""
HISTOGRAM_BINS = 50


def figure(columns: int = 1, size: tuple[float, float] = FIGURE_SIZE):
    """A matplotlib ``Figure`` and its axes (no pyplot, so no global state), or MissingDependencyError."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError(
            "wengert.viz draws with matplotlib, which is not installed; "
            'install it with: pip install "wengert[plot]" (or pip install matplotlib)'
        ) from None
    fig = Figure(figsize=size, layout="constrained", dpi=100)
    return fig, fig.subplots(1, columns, squeeze=False)[0]


def finish(fig, axes, path: str | PathLike | None, legend: bool = True):
    """Put the legend beside the axes (never over the data), write ``path`` if given, return the figure."""
    if legend and axes.get_legend_handles_labels()[0]:
        fig.legend(loc="outside right upper", fontsize="small", frameon=False)
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig


def _histogram_lines(axes, arrays: Mapping[str, np.ndarray]) -> None:
    for name, values in arrays.items():
        density, edges = np.histogram(values, bins=HISTOGRAM_BINS, density=True)
        axes.plot((edges[:-1] + edges[1:]) / 2, density, label=name)
    axes.set_ylabel("density")
    axes.grid(alpha=0.3)


def plot_activation_histograms(
    activations: Mapping[str, object], path: str | PathLike | None = None, saturation: float = SATURATION
):
    """Histograms of each named activation (arrays or Tensors), one line each, with ``±saturation`` marked."""
    statistics = activation_statistics(activations, saturation)
    fig, (axes,) = figure()
    _histogram_lines(
        axes,
        {
            f"{name}: std {s['std']:.2f}, saturated {100 * s['saturated']:.1f}%": array_values(activations[name])
            for name, s in statistics.items()
        },
    )
    for bound in (-saturation, saturation):
        axes.axvline(bound, color="grey", linestyle=":", linewidth=1)
    axes.set_xlabel("activation")
    axes.set_title("activation distribution")
    return finish(fig, axes, path)


def plot_gradient_histograms(
    gradients: Mapping[str, object], path: str | PathLike | None = None, title: str = "gradients"
):
    """Histograms of named gradients, one line each.

    Each value is a Tensor (its ``.grad`` is drawn, labelled with the ratio
    ``std(grad) / std(data)``; Tensors without a gradient are left out) or a
    plain array, the gradient itself (from ``wengert.grad``, say).

    >>> import numpy as np
    >>> figure = plot_gradient_histograms({"W": np.linspace(-1e-3, 1e-3, 100)})
    >>> [t.get_text() for t in figure.legends[0].get_texts()]
    ['W: std 5.8e-04']
    """
    tensors = {name: g for name, g in gradients.items() if hasattr(g, "grad")}
    statistics = gradient_statistics(tensors)
    lines = {}
    for name, item in gradients.items():
        if name in tensors:
            if name in statistics:
                s = statistics[name]
                lines[f"{name}: std {s['std']:.1e}, grad:data {s['grad_to_data']:.1e}"] = array_values(item.grad)
        else:
            values = array_values(item)
            lines[f"{name}: std {float(np.std(values)):.1e}"] = values
    fig, (axes,) = figure()
    _histogram_lines(axes, lines)
    axes.set_xlabel("gradient")
    axes.set_title(f"{title} distribution")
    return finish(fig, axes, path)


def plot_update_ratios(
    tracker: UpdateRatioTracker,
    path: str | PathLike | None = None,
    guide: float = -3.0,
    labels: Mapping[str, str] | None = None,
):
    """Each parameter's ``log10`` update-to-data ratio over the steps, with a guide line at ``guide``.

    ``labels`` may rename parameters in the legend: ``{"0.weight": "0.weight (Embedding)"}``.
    """
    labels = {} if labels is None else labels
    fig, (axes,) = figure()
    steps = tracker.steps
    for name, ratios in tracker.ratios.items():
        axes.plot(steps, ratios, label=labels.get(name, name), linewidth=1)
    axes.axhline(guide, color="black", linestyle="--", linewidth=1, label=f"guide: {guide:g}")
    axes.set_xlabel("step")
    axes.set_ylabel("log10 std(lr * grad) / std(data)")
    axes.set_title("update-to-data ratio")
    axes.grid(alpha=0.3)
    return finish(fig, axes, path)


def plot_loss_curve(
    losses: Sequence[float],
    path: str | PathLike | None = None,
    window: int = 100,
    val_loss: float | None = None,
    decay_step: int | None = None,
    ylabel: str = "loss",
):
    """The training loss of every step (faint) and its mean over windows of ``window`` steps.

    A dashed line marks ``val_loss`` (the final validation loss) and a dotted
    one ``decay_step`` (where the learning rate decays), when given.
    """
    losses = np.asarray(losses, dtype=float)
    fig, (axes,) = figure()
    steps = np.arange(len(losses))
    axes.plot(steps, losses, color="tab:blue", alpha=0.25, linewidth=0.5, label="minibatch loss")
    full = len(losses) // window * window
    if full:
        means = losses[:full].reshape(-1, window).mean(axis=1)
        axes.plot(
            steps[:full].reshape(-1, window).mean(axis=1), means, color="tab:blue", label=f"mean of {window} steps"
        )
    if val_loss is not None:
        axes.axhline(val_loss, color="tab:red", linestyle="--", linewidth=1, label=f"validation loss {val_loss:.4f}")
    if decay_step is not None:
        axes.axvline(decay_step, color="grey", linestyle=":", linewidth=1, label="learning-rate decay")
    if np.all(losses > 0):
        axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel(ylabel)
    axes.set_title("training loss")
    axes.grid(alpha=0.3, which="both")
    return finish(fig, axes, path)
