"""SciPy's ``signal.convolve`` and ``signal.correlate`` on traced values, over any number of axes.

Both are linear in each argument and written with wengert's own operations
(a gather of sliding windows, then one ``einsum``), so they differentiate in
both arguments to every order:

    >>> import numpy as np
    >>> convolve(np.eye(2), np.ones((2, 2))).tolist()
    [[1.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 1.0]]

Beyond SciPy, ``convolve`` takes HIPS autograd's ``axes`` and ``dot_axes``
(convolve some axes, contract others, keep the rest as an outer product).
``method`` is accepted and ignored: the direct sum is always used (no FFT).
"""

from wengert.errors import ShapeError
from wengert.numpy import asarray, flip
from wengert.numpy._convolution import convolve_axes, output_window

__all__ = ["convolve", "correlate"]


def convolve(in1, in2, mode: str = "full", method: str = "auto", *, axes=None, dot_axes=((), ())):
    """The N-d convolution of ``in1`` and ``in2``, as ``scipy.signal.convolve``.

    ``full`` gives every point, ``valid`` those where one array covers the
    other (which must be at least as large along every convolved axis), and
    ``same`` the points centred on ``in1``'s size. ``axes=(axes_of_in1,
    axes_of_in2)`` and ``dot_axes`` are autograd's: the result's axes are
    ``in1``'s other axes, then ``in2``'s, then the convolved ones.
    """
    in1, in2 = asarray(in1), asarray(in2)
    if axes is None:
        if in1.ndim != in2.ndim or dot_axes != ((), ()) and any(dot_axes):
            raise ShapeError(
                f"convolve: in1 and in2 must have the same number of dimensions, got {in1.shape} and "
                f"{in2.shape} (or pass axes=(axes_of_in1, axes_of_in2))."
            )
        axes = (tuple(range(in1.ndim)), tuple(range(in1.ndim)))
    pairs = list(zip(*axes))
    sizes = [(in1.shape[i], in2.shape[j]) for i, j in pairs]
    if mode == "valid" and not (all(n >= m for n, m in sizes) or all(n <= m for n, m in sizes)):
        raise ShapeError(
            f"convolve: for mode='valid', one array must be at least as large as the other along every "
            f"convolved axis; got sizes {sizes}."
        )
    windows = [output_window(n, m, mode) for n, m in sizes]
    return convolve_axes(in1, in2, axes, dot_axes, windows)


def correlate(in1, in2, mode: str = "full", method: str = "auto"):
    """The N-d cross-correlation, as ``scipy.signal.correlate``: ``convolve(in1, flip(in2))``."""
    in1, in2 = asarray(in1), asarray(in2)
    return convolve(in1, flip(in2), mode=mode)
