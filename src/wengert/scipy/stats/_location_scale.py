"""What the location-scale distributions share: the standardized variable and the pdf from the logpdf."""

import wengert.numpy as wnp


def standardized(x, loc, scale):
    """``(x - loc) / scale``: the variable of the standard distribution."""
    return (wnp.asarray(x) - loc) / scale


def log_of_positive(value):
    """``log(value)`` for a probability: ``-inf`` at 0, without a warning."""
    positive = wnp.greater(value, 0)
    return wnp.where(positive, wnp.log(wnp.where(positive, value, 1.0)), -wnp.inf)


def as_float_arrays(*values):
    """``values`` as arrays of one floating dtype: that of the floating arrays among them (float32
    stays float32), float64 if none. Python numbers and integer arrays (counts) take that dtype."""
    floats = [v.dtype for v in values if hasattr(v, "dtype") and wnp.issubdtype(v.dtype, wnp.floating)]
    dtype = wnp.result_type(*floats) if floats else wnp.float64
    return tuple(
        v if hasattr(v, "dtype") and v.dtype == dtype else wnp.asarray(v, dtype=dtype) if v is not None else None
        for v in values
    )
