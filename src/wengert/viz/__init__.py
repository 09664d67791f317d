"""Pictures of differentiation: computational graphs with values and gradients, finite-difference error,
loss landscapes, and training diagnostics.

* :func:`draw`: the graph of a staged program (a derivative program too), of
  a Tensor's recorded history, or of a scalar ``Value``, in one visual
  language: each box shows the operation, the type and, where known, the
  value and the gradient. DOT source always; SVG by Graphviz's ``dot`` or,
  without it, by wengert's own pure-Python layout.
* :func:`plot_fd_error`: the error of forward, central and complex-step
  differences against the step ``h`` (matplotlib).
* :func:`plot_landscape`: a loss over a 2-D slice of parameter space,
  evaluated with ``vmap``, with an optimiser's path on it (matplotlib).
* training pictures of any model: :func:`plot_loss_curve`,
  :func:`plot_activation_histograms`, :func:`plot_gradient_histograms`,
  :func:`plot_update_ratios`, and the numbers they draw
  (:mod:`~wengert.viz.training_statistics`: :func:`activation_statistics`,
  :func:`gradient_statistics`, :func:`update_to_data_ratios`,
  :class:`UpdateRatioTracker`).

Graphs need nothing beyond NumPy (Graphviz makes them prettier); plots need
matplotlib (``pip install "wengert[plot]"``).
"""

from __future__ import annotations

from .draw_graph import adjoint_program, draw
from .fd_error import fd_errors, plot_fd_error
from .graph import Edge, Graph, Node
from .landscape import landscape_grid, plot_landscape, trajectory
from .render import ENGINES, Drawing, dot_available
from .sweep import Sweep, local_partials, sweep_program
from .training import (
    plot_activation_histograms,
    plot_gradient_histograms,
    plot_loss_curve,
    plot_update_ratios,
)
from .training_statistics import (
    SATURATION,
    UpdateRatioTracker,
    activation_statistics,
    gradient_statistics,
    update_to_data_ratios,
)

__all__ = [
    "ENGINES",
    "SATURATION",
    "UpdateRatioTracker",
    "Drawing",
    "Edge",
    "Graph",
    "Node",
    "Sweep",
    "dot_available",
    "activation_statistics",
    "adjoint_program",
    "draw",
    "fd_errors",
    "gradient_statistics",
    "landscape_grid",
    "local_partials",
    "plot_activation_histograms",
    "plot_fd_error",
    "plot_gradient_histograms",
    "plot_landscape",
    "plot_loss_curve",
    "plot_update_ratios",
    "sweep_program",
    "trajectory",
    "update_to_data_ratios",
]
