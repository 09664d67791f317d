"""Discrete convolution and correlation on traced values: ``convolve``, ``correlate``, and the
general ``convolve_axes`` that ``wengert.scipy.signal`` builds on.

A convolution is linear in each argument, so it is written with wengert's own
operations (a gather of sliding windows, then one ``einsum``) and every
derivative, of every order, follows: ``d(a * v) = da * v + a * dv``.
"""

from wengert._src.backend import xp
from wengert.errors import ArgumentError, ShapeError

from ._contract import einsum
from ._creation import asarray
from ._shape import flip, moveaxis, pad, take

__all__ = ["convolve", "correlate"]

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def output_window(n: int, m: int, mode: str, same_as: int | None = None) -> tuple[int, int]:
    """``(length, start)`` of one convolved axis of sizes ``n`` and ``m`` within the full result.

    ``full``: all ``n + m - 1`` points; ``valid``: where one fully overlaps the
    other, ``|n - m| + 1`` points; ``same``: ``same_as`` points (default ``n``)
    centred in the full result, as NumPy and SciPy do.
    """
    full = n + m - 1
    if mode == "full":
        return full, 0
    if mode == "valid":
        return abs(n - m) + 1, min(n, m) - 1
    if mode == "same":
        length = n if same_as is None else same_as
        return length, (full - length) // 2
    raise ArgumentError(f"convolve: mode must be 'full', 'valid' or 'same', got {mode!r}.")


def convolve_axes(a, b, axes, dot_axes=((), ()), windows=None, mode: str = "full"):
    """Convolve ``a`` with ``b`` along the axis pairs ``axes = (axes_of_a, axes_of_b)``, contract the
    pairs ``dot_axes``, and keep the other axes as an outer product.

    The result's axes are ``a``'s kept axes, then ``b``'s, then one per convolved
    pair (HIPS autograd's order). ``windows`` gives each pair's ``(length, start)``
    in the full result (default: from ``mode`` by :func:`output_window`). Each
    output point ``c[n] = sum_q a[n + start - q] b[q]`` reads a window of ``a``
    gathered from ``a`` padded with zeros, so the cost is one gather and one
    ``einsum``, linear in ``a``, in ``b`` and in the result's size times ``b``'s.
    """
    a, b = asarray(a), asarray(b)
    axes_a, axes_b = [x % a.ndim for x in axes[0]], [x % b.ndim for x in axes[1]]
    dot_a, dot_b = [x % a.ndim for x in dot_axes[0]], [x % b.ndim for x in dot_axes[1]]
    if len(axes_a) != len(axes_b) or len(dot_a) != len(dot_b):
        raise ShapeError(f"convolve: axes {axes} and dot_axes {dot_axes} must pair axes of a with axes of b.")
    if windows is None:
        windows = [output_window(a.shape[i], b.shape[j], mode) for i, j in zip(axes_a, axes_b)]
    windowed = a
    remaining = list(range(a.ndim))  # original axis numbers of ``windowed``'s leading axes
    for pair in sorted(range(len(axes_a)), key=lambda k: -axes_a[k]):
        axis, m = axes_a[pair], b.shape[axes_b[pair]]
        length, start = windows[pair]
        widths = [(0, 0)] * windowed.ndim
        widths[axis] = (m - 1, max(0, length + start - a.shape[axis]))
        padded = pad(windowed, widths)
        index = xp.arange(length)[:, None] + start - xp.arange(m)[None, :] + (m - 1)
        windowed = moveaxis(take(padded, index, axis=axis), (axis, axis + 1), (-2, -1))
        remaining.remove(axis)
    letters = iter(_LETTERS)
    labels_a = {axis: next(letters) for axis in remaining}
    labels_b = {axis: next(letters) for axis in range(b.ndim)}
    for i, j in zip(dot_a, dot_b):
        labels_a[i] = labels_b[j]
    order = sorted(range(len(axes_a)), key=lambda k: -axes_a[k])
    outputs = {k: next(letters) for k in range(len(axes_a))}
    subscripts_a = "".join(labels_a[axis] for axis in remaining)
    subscripts_a += "".join(outputs[k] + labels_b[axes_b[k]] for k in order)
    kept_a = "".join(labels_a[axis] for axis in remaining if axis not in dot_a)
    kept_b = "".join(labels_b[axis] for axis in range(b.ndim) if axis not in dot_b and axis not in axes_b)
    result = kept_a + kept_b + "".join(outputs[k] for k in range(len(axes_a)))
    return einsum(f"{subscripts_a},{''.join(labels_b.values())}->{result}", windowed, b)


def _one_dimensional(a, v, name: str):
    a, v = asarray(a), asarray(v)
    if a.ndim != 1 or v.ndim != 1 or a.shape[0] == 0 or v.shape[0] == 0:
        raise ShapeError(f"{name}: a and v must be non-empty 1-D arrays, got shapes {a.shape} and {v.shape}.")
    return a, v


def convolve(a, v, mode: str = "full"):
    """The discrete linear convolution of two 1-D arrays, as ``numpy.convolve``.

    ``full`` (default) gives ``len(a) + len(v) - 1`` points, ``same`` the longer
    one's length, ``valid`` the points of full overlap. Differentiable in both.

    >>> convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5]).tolist()
    [0.0, 1.0, 2.5, 4.0, 1.5]
    """
    a, v = _one_dimensional(a, v, "convolve")
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    return convolve_axes(a, v, ((0,), (0,)), mode=mode)


def correlate(a, v, mode: str = "valid"):
    """The cross-correlation ``c[k] = sum_n a[n + k] v[n]`` of two 1-D arrays, as ``numpy.correlate``
    (``valid`` by default)."""
    a, v = _one_dimensional(a, v, "correlate")
    if v.shape[0] > a.shape[0]:
        return flip(convolve_axes(v, flip(a), ((0,), (0,)), mode=mode))
    return convolve_axes(a, flip(v), ((0,), (0,)), mode=mode)
