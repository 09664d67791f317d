"""Values and names as Python source text: exact literals for numbers and arrays, importable names
for primitives' implementations.

A generated module must compute what the program computes, bit for bit, so a
constant is written as a literal that evaluates to the very value (``-0.0``,
``nan``, a float32 keeps its type) and a primitive without a NumPy form is
called through a name that imports its implementation.
"""

from __future__ import annotations

import math
import sys

from wengert.errors import TransformError

from ..backend import xp
from ..core.primitive import Primitive


def literal(value) -> str:
    """Exact source text for a scalar: ``2.0``, ``np.float32(0.5)``, ``True``, ``np.inf``."""
    if value is None or isinstance(value, (str, bool)):
        return repr(value)
    if isinstance(value, int):
        return f"({value})" if value < 0 else repr(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, complex):
        return f"complex({_float_text(value.real)}, {_float_text(value.imag)})"
    if isinstance(value, xp.generic):
        return f"np.{value.dtype.name}({literal(value.item())})"
    if isinstance(value, xp.ndarray):
        return array_literal(value)
    raise TransformError(f"to_source: the value {value!r} cannot be written as source")


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "np.nan"
    if math.isinf(value):
        return "np.inf" if value > 0 else "(-np.inf)"
    return f"({value!r})" if math.copysign(1.0, value) < 0 else repr(value)


def array_literal(value) -> str:
    """Exact source text for an array: ``np.array([...], dtype=np.float64)``."""
    value = xp.asarray(value)
    text = _nested(value.tolist())
    shape = "" if value.size else f".reshape({value.shape!r})"
    return f"np.array({text}, dtype=np.{value.dtype.name}){shape}"


def _nested(items) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(item) for item in items) + "]"
    return literal(items)


def tuple_text(items: list[str]) -> str:
    """``(a, b)``, ``(a,)`` or ``()``: a tuple display of source texts."""
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def importable(prim: Primitive) -> tuple[str, str] | None:
    """``(module, name)`` under which ``prim``'s implementation can be imported and called.

    A module-level function is named directly (``erf_impl``); any other
    implementation (a lambda, a NumPy function) is reached through the
    primitive, ``cholesky.impl``. ``None`` for a primitive made at run time.
    """
    impl = prim.impl
    home = getattr(impl, "__module__", None)
    name = getattr(impl, "__qualname__", "")
    module = sys.modules.get(home) if home else None
    if module is not None and "<" not in name and "." not in name and getattr(module, name, None) is impl:
        return home, name
    for candidate in ([home] if home else []) + sorted(sys.modules):
        module = sys.modules.get(candidate) if candidate.startswith("wengert.") else None
        for attr, value in vars(module).items() if module is not None else ():
            if value is prim and not attr.startswith("__"):
                return candidate, f"{attr}.impl"
    return None
