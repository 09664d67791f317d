"""``r_`` and ``c_``: NumPy's concatenating index tricks, on traced values.

``wnp.r_[x, 0.5, 1:4]`` joins its items along the first axis as ``np.r_`` does (a slice is
``arange``, or ``linspace`` for a complex step; a scalar is a 1-D array of one entry), and
``wnp.c_[x, y]`` along the last one, 1-D items becoming columns. A leading string
``"axis[,ndmin[,trans1d]]"`` sets the axis, the minimum number of dimensions and where a
lifted item's axes go, as in NumPy. The join is ``concatenate`` of the pieces, so it
differentiates in every traced item; with no traced item, NumPy's own ``r_``/``c_`` answers.

>>> import wengert, wengert.numpy as wnp
>>> wengert.grad(lambda x: wnp.sum(wnp.r_[x, 2.0 * x, 0:2]))(1.0).item()
3.0
"""

from wengert._src.backend import xp

from ._core import asarray_or_tracer, is_traced
from ._shape import concatenate, reshape, transpose


class AxisConcatenator:
    """The object behind ``r_`` and ``c_``: ``concatenator[items]`` joins the items (see the module)."""

    def __init__(self, name: str, axis: int, ndmin: int, trans1d: int):
        self.name = name
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __repr__(self) -> str:
        return f"wengert.numpy.{self.name}"

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not any(is_traced(item) for item in items):
            return getattr(xp, self.name)[key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if isinstance(items[0], str):
            axis, ndmin, trans1d = self._directive(items[0])
            items = items[1:]
        pieces, scalar_positions = [], []
        for item in items:
            if isinstance(item, str):
                raise ValueError(f"{self.name}: a string is read only as the first item (the directive), got {item!r}")
            if isinstance(item, slice):
                pieces.append(_lifted(xp.r_[item], ndmin, trans1d, swap=True))
            elif type(item) in xp.ScalarType:
                scalar_positions.append(len(pieces))
                pieces.append(xp.array(item, ndmin=max(ndmin, 1)))
            else:
                pieces.append(_lifted(asarray_or_tracer(item), ndmin, trans1d))
        if scalar_positions:  # NumPy's rule: the scalars take the result type of the arrays and the scalars
            scalars = [items[k] for k, item in enumerate(items) if type(item) in xp.ScalarType]
            arrays = [piece.dtype for k, piece in enumerate(pieces) if k not in scalar_positions]
            dtype = xp.result_type(*arrays, *scalars)
            for k in scalar_positions:
                pieces[k] = pieces[k].astype(dtype)
        return concatenate(pieces, axis=axis)

    def _directive(self, text: str) -> tuple[int, int, int]:
        """``"axis[,ndmin[,trans1d]]"`` as NumPy reads it (its matrix directives ``'r'``, ``'c'`` are not taken)."""
        try:
            fields = [int(field) for field in text.split(",")]
        except ValueError:
            raise ValueError(
                f"{self.name}: the directive {text!r} is not 'axis[,ndmin[,trans1d]]' of integers; NumPy's matrix "
                "directives ('r', 'c') make np.matrix, which wengert does not trace"
            ) from None
        if not 1 <= len(fields) <= 3:
            raise ValueError(f"{self.name}: the directive {text!r} has more than three fields")
        defaults = [self.axis, 1, -1]
        fields += defaults[len(fields) :]
        return fields[0], fields[1], fields[2]


def _lifted(item, ndmin: int, trans1d: int, swap: bool = False):
    """``item`` with at least ``ndmin`` axes: ones put in front (``np.array(..., ndmin=...)``), then its own axes
    moved to start at ``trans1d`` (NumPy's rule; a slice's range only swaps its axis with ``trans1d``)."""
    ndim = item.ndim
    if ndim >= ndmin:
        return item
    lifted = reshape(item, (1,) * (ndmin - ndim) + tuple(item.shape))
    if trans1d == -1 and not swap:
        return lifted
    axes = list(range(ndmin))
    if swap:
        axes[-1], axes[trans1d] = axes[trans1d], axes[-1]
    else:
        k1, k2 = trans1d, ndmin - ndim
        k1 = k1 + k2 + 1 if k1 < 0 else k1
        axes = axes[:k1] + axes[k2:] + axes[k1:k2]
    return transpose(lifted, tuple(axes))


r_ = AxisConcatenator("r_", axis=0, ndmin=1, trans1d=-1)
c_ = AxisConcatenator("c_", axis=-1, ndmin=2, trans1d=0)
