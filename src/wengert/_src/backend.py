"""The one place that talks to the array library.

Everything in the engine reaches NumPy through ``xp``; nothing else imports
NumPy's constructors directly, so another array-API library (CuPy for GPUs,
Dask beyond one machine) can later be put here without touching the
transforms.
"""

import numpy as xp

ndarray = xp.ndarray


def is_float_dtype(dtype) -> bool:
    """True for real floating dtypes, the only ones that carry derivatives."""
    return xp.dtype(dtype).kind == "f"


def dtype_of(value):
    """The dtype NumPy would give ``value`` (works for Python scalars too)."""
    dtype = getattr(value, "dtype", None)
    return dtype if dtype is not None else xp.result_type(value)


def shape_size(shape: tuple) -> int:
    """The number of elements of an array of ``shape`` (1 for ``()``)."""
    size = 1
    for d in shape:
        size *= d
    return size


def shape_of(value) -> tuple:
    """The shape of an array, array-like or scalar."""
    shape = getattr(value, "shape", None)
    return shape if shape is not None else xp.shape(value)
