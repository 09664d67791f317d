"""The check every differentiating transform makes of its inputs: floating-point arrays only."""

from __future__ import annotations

from wengert.errors import DtypeError

from ..backend import is_float_dtype, xp
from ..core.primitive import Tracer


def as_float_input(value, transform: str, kind: str, i: int):
    """An input of ``transform`` (named ``kind i`` in errors): an array (or outer tracer) of a floating dtype."""
    if type(value) is xp.ndarray and value.dtype.kind == "f":  # the common case, answered at once
        return value
    if not isinstance(value, Tracer):
        value = xp.asarray(value)
    dtype = value.dtype
    if not is_float_dtype(dtype):
        raise DtypeError(
            f"{transform}: {kind} {i} has dtype {dtype}; only floating-point inputs have derivatives. "
            "Pass floats (1.0 instead of 1), or convert with x.astype(float)."
        )
    return value
