"""Loss landscapes: a loss over a 2-D slice of parameter space, with an optimiser's path walking down it.

Two parameters vary over a grid while the others stay fixed; the loss of
every grid point is computed at once with ``wengert.vmap`` (the loss is
written for one parameter vector; vmap runs it on the whole grid).
:func:`trajectory` walks gradient descent (wengert's ``grad``) from a
start, moving only the two drawn parameters so the path stays on the
slice; any other optimiser's path, an array of parameter vectors, draws
the same way.

The classic example is a 1-input, 2-hidden (ReLU), 1-output network with
input 0.8 and target 1.9, ``w12 = 1.2`` and ``w22 = 0.8`` held fixed, and
``w11`` (input to the first hidden unit) against ``w21`` (first hidden unit
to the output) varied (``docs/viz.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from os import PathLike

import numpy as np

import wengert
from wengert.errors import ArgumentError

from .training import figure, finish

__all__ = ["landscape_grid", "plot_landscape", "trajectory"]


def _vector(params, names: Sequence[str] | None = None) -> tuple[np.ndarray, list[str] | None]:
    """Parameters as a float vector, and their names when given as a dict of numbers."""
    if isinstance(params, dict):
        keys = list(params) if names is None else list(names)
        return np.array([float(params[k]) for k in keys]), keys
    vector = np.asarray(params, dtype=float)
    if vector.ndim != 1:
        raise ArgumentError(
            f"params must be a 1-D array of parameters or a dict of numbers, got shape {vector.shape}; "
            "flatten them (np.ravel) and unflatten inside the loss."
        )
    return vector, None


def _positions(dims, names: list[str] | None, size: int) -> tuple[int, int]:
    if len(dims) != 2:
        raise ArgumentError(f"dims must name exactly two parameters to vary, got {dims!r}.")
    positions = []
    for dim in dims:
        if names is not None and dim in names:
            positions.append(names.index(dim))
        elif isinstance(dim, (int, np.integer)) and -size <= dim < size:
            positions.append(int(dim) % size)
        else:
            known = f"one of {names}" if names is not None else f"an index below {size}"
            raise ArgumentError(f"dims: {dim!r} is not a parameter; use {known}.")
    if positions[0] == positions[1]:
        raise ArgumentError(f"dims must be two different parameters, got {dims!r}.")
    return positions[0], positions[1]


def _as_vector_loss(loss: Callable, names: list[str] | None) -> Callable:
    if names is None:
        return loss
    return lambda v: loss({name: v[k] for k, name in enumerate(names)})


def landscape_grid(
    loss: Callable,
    params,
    dims: Sequence = (0, 1),
    ranges: Sequence[tuple[float, float]] | None = None,
    resolution: int = 101,
):
    """``(xs, ys, losses)``: the loss on a ``resolution`` x ``resolution`` grid over ``dims``, by one vmap.

    ``params`` is a 1-D array (``loss(vector)``) or a dict of numbers
    (``loss(dict)``; ``dims`` may then name keys). ``ranges`` gives
    ``(low, high)`` per varied parameter, by default its value ± 2.
    ``losses[i, j]`` is the loss at ``xs[j], ys[i]`` (matplotlib's layout).

    >>> xs, ys, z = landscape_grid(lambda v: v[0] ** 2 + 3 * v[1] ** 2, [0.0, 0.0], resolution=5)
    >>> float(z[2, 2]), float(z[0, 2]), float(z[2, 0])
    (0.0, 12.0, 4.0)
    """
    vector, names = _vector(params)
    i, j = _positions(dims, names, vector.size)
    if ranges is None:
        ranges = [(vector[i] - 2.0, vector[i] + 2.0), (vector[j] - 2.0, vector[j] + 2.0)]
    if len(ranges) != 2 or any(len(r) != 2 or not r[0] < r[1] for r in ranges):
        raise ArgumentError(f"ranges must be two (low, high) pairs with low < high, got {ranges!r}.")
    xs = np.linspace(*ranges[0], resolution)
    ys = np.linspace(*ranges[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    batch = np.tile(vector, (grid_x.size, 1))
    batch[:, i] = grid_x.ravel()
    batch[:, j] = grid_y.ravel()
    losses = np.asarray(wengert.vmap(_as_vector_loss(loss, names))(batch), dtype=float)
    return xs, ys, losses.reshape(grid_x.shape)


def trajectory(
    loss: Callable,
    params,
    steps: int = 50,
    learning_rate: float = 0.1,
    dims: Sequence | None = None,
) -> np.ndarray:
    """Gradient descent from ``params``: the ``steps + 1`` parameter vectors it visits, as rows.

    With ``dims``, only those parameters move (the others stay fixed), so the
    path stays on the slice :func:`plot_landscape` draws.

    >>> path = trajectory(lambda v: (v[0] - 1.0) ** 2 + v[1] ** 2, [0.0, 1.0], steps=100, learning_rate=0.1)
    >>> path.shape, [round(float(p), 6) for p in path[-1]]
    ((101, 2), [1.0, 0.0])
    """
    vector, names = _vector(params)
    mask = np.ones(vector.size)
    if dims is not None:
        mask = np.zeros(vector.size)
        mask[list(_positions(dims, names, vector.size))] = 1.0
    gradient = wengert.grad(_as_vector_loss(loss, names))
    path = [vector]
    for _ in range(steps):
        vector = vector - learning_rate * mask * np.asarray(gradient(vector))
        path.append(vector)
    return np.array(path)


def plot_landscape(
    loss: Callable,
    params,
    dims: Sequence = (0, 1),
    path=None,
    ranges: Sequence[tuple[float, float]] | None = None,
    resolution: int = 101,
    surface: bool = False,
    labels: Sequence[str] | None = None,
    title: str = "loss landscape",
    save: str | PathLike | None = None,
):
    """Contours of the loss over two parameters (and, with ``surface``, a 3-D surface), with a path on it.

    ``path`` is an array of parameter vectors (rows, as :func:`trajectory`
    returns) or a list of dicts; it is drawn as a line with its start and
    end marked. ``labels`` names the two axes (default: the dict keys, or
    ``p[i]``). Returns the matplotlib Figure; writes ``save`` if given.
    """
    vector, names = _vector(params)
    i, j = _positions(dims, names, vector.size)
    xs, ys, losses = landscape_grid(loss, params, dims, ranges, resolution)
    if labels is None:
        labels = [names[i], names[j]] if names is not None else [f"p[{i}]", f"p[{j}]"]
    fig, axes_row = figure(columns=2 if surface else 1)
    axes = axes_row[0]
    filled = axes.contourf(xs, ys, losses, levels=40, cmap="viridis")
    axes.contour(xs, ys, losses, levels=12, colors="white", linewidths=0.4, alpha=0.5)
    fig.colorbar(filled, ax=axes, label="loss")
    points = None
    if path is not None:
        points = np.array([_vector(p, names)[0] for p in path]) if names is not None else np.asarray(path, float)
        if points.ndim != 2 or points.shape[1] != vector.size:
            raise ArgumentError(
                f"path must hold parameter vectors of length {vector.size} (rows), got shape {points.shape}."
            )
        axes.plot(
            points[:, i],
            points[:, j],
            color="#f97316",
            linewidth=1.8,
            marker="o",
            markersize=2.5,
            label="gradient descent",
        )
        axes.plot(
            *points[0, [i, j]],
            marker="o",
            markersize=9,
            color="white",
            markeredgecolor="black",
            linestyle="none",
            label="start",
        )
        axes.plot(*points[-1, [i, j]], marker="*", markersize=13, color="#ef4444", linestyle="none", label="end")
    axes.set_xlabel(labels[0])
    axes.set_ylabel(labels[1])
    axes.set_title(title)
    if surface:
        fig.delaxes(axes_row[1])
        surface_axes = fig.add_subplot(1, 2, 2, projection="3d")
        grid_x, grid_y = np.meshgrid(xs, ys)
        surface_axes.plot_surface(grid_x, grid_y, losses, cmap="viridis", linewidth=0, alpha=0.9)
        if points is not None:
            heights = np.asarray(wengert.vmap(_as_vector_loss(loss, names))(points))
            surface_axes.plot(points[:, i], points[:, j], heights, color="red", linewidth=2)
        surface_axes.set_xlabel(labels[0])
        surface_axes.set_ylabel(labels[1])
        surface_axes.set_zlabel("loss")
    return finish(fig, axes, save)
