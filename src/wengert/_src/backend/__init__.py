"""The one place that talks to the array library.

Everything in the engine reaches NumPy through ``xp``, which is NumPy itself: a NumPy array pays
nothing for the other libraries. Arrays of another library (CuPy, PyTorch, array-api-strict ...)
come in through the Python array API standard: ``namespaces.py`` finds their library where they
enter a transform and reads it through NumPy's names, and ``fallbacks.py`` holds one fallback
per function the engine needs that the standard lacks (docs/architecture.md, "The backend").
"""

import math

import numpy as xp

from .namespaces import is_foreign_array, namespace_of

ndarray = xp.ndarray

BINCOUNT_DTYPES = (xp.dtype(xp.float64), xp.dtype(xp.float32))
"""The dtypes ``np.bincount`` can sum weights into: a float64 sum, exact for float64, rounded once for float32."""


def is_float_dtype(dtype) -> bool:
    """True for real floating dtypes, the only ones that carry derivatives."""
    return xp.dtype(dtype).kind == "f"


def dtype_of(value):
    """The dtype NumPy would give ``value``: an array's, a scalar's or a nested list's."""
    dtype = getattr(value, "dtype", None)
    return dtype if dtype is not None else xp.asarray(value).dtype


def reduced_count(shape: tuple, axis) -> int:
    """How many elements each result of a reduction over ``axis`` (``None``: all, else a tuple) combines."""
    return math.prod(shape) if axis is None else math.prod([shape[i] for i in axis])


def shape_of(value) -> tuple:
    """The shape of an array, array-like or scalar."""
    shape = getattr(value, "shape", None)
    return shape if shape is not None else xp.shape(value)


def namespace(value):
    """The functions of ``value``'s array library under NumPy's names: NumPy itself for NumPy arrays and
    numbers, the :class:`~.namespaces.ArrayNamespace` of another library's array (for the few face functions
    that compute on concrete values: ``nonzero``, ``unique``)."""
    return namespace_of(value) if is_foreign_array(value) else xp
