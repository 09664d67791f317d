"""NumPy's type promotion on another library's arrays: where the array API standard leaves it to the library.

The standard promotes within a kind (float32 with float64) as NumPy does, and leaves mixed kinds (``bool *
float``, an integer array with a float) undefined; NumPy promotes them. The primitives' implementations in the
standard (``standard.py``) cast such operands to NumPy's common type first, so results keep NumPy's dtypes.
"""

from __future__ import annotations

import numpy as np

from ..backend.namespaces import ArrayNamespace


def numpy_promoted(ns: ArrayNamespace, args: tuple) -> tuple:
    """``args`` with arrays of another kind than NumPy's promotion of all of them cast to it (``bool * float``:
    the bool as float); Python numbers stay (weak, as in NumPy and the standard)."""
    dtypes = [ns.numpy_dtype(a.dtype) for a in args if hasattr(a, "dtype")]
    if len({d.kind for d in dtypes}) < 2 and not any(_number_of_another_kind(a, dtypes) for a in args):
        return args
    common = np.result_type(*[ns.numpy_dtype(a.dtype) if hasattr(a, "dtype") else a for a in args])
    return tuple(
        ns.astype(a, ns.dtype(common)) if hasattr(a, "dtype") and ns.numpy_dtype(a.dtype) != common else a
        for a in args
    )


_KINDS_BELOW = {bool: "", int: "b", float: "biu", complex: "biuf"}
"""A Python number's type -> the kinds of arrays it promotes in NumPy and the standard leaves undefined."""


def _number_of_another_kind(value, dtypes: list) -> bool:
    """A Python number beside arrays of a lower kind (``bool_array != 0``, ``int_array * 0.5``): NumPy promotes
    the arrays to the number's kind, the standard leaves it undefined."""
    below = _KINDS_BELOW.get(type(value))
    return bool(below) and any(d.kind in below for d in dtypes)
