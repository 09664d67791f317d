"""Helpers the NumPy face shares: telling tracers from arrays, coercing inputs."""

from wengert._src.backend import is_foreign_array, xp
from wengert._src.core.primitive import Tracer, concrete, known_value  # noqa: F401 (re-exported to the face's modules)
from wengert._src.core.source_info import user_frame_summary
from wengert._src.primitives import indexing, structural
from wengert._src.transforms.foreign_arrays import foreign_value
from wengert.errors import ShapeError


def is_traced(x) -> bool:
    return isinstance(x, Tracer)


def asarray_or_tracer(x):
    """A tracer stays a tracer, and another library's array becomes a value of that library's level
    (docs/array_api.md); anything else becomes an array (lists of tracers are stacked)."""
    if isinstance(x, Tracer) or isinstance(x, xp.ndarray):
        return x
    if isinstance(x, (list, tuple)) and _contains_tracer(x):
        return _stacked([asarray_or_tracer(item) for item in x])
    return foreign_value(x) if is_foreign_array(x) else xp.asarray(x)


def _stacked(items: list):
    """``wnp.stack(items)``, written with the primitives (``_shape``, which holds ``stack``, builds on this module)."""
    shapes = {item.shape for item in items}
    if len(shapes) != 1:
        raise ShapeError(f"stack: all input arrays must have the same shape, got {[item.shape for item in items]}")
    rows = [structural.reshape(item, shape=(1, *item.shape)) for item in items]
    return rows[0] if len(rows) == 1 else indexing.concatenate(*rows, axis=0)


def _contains_tracer(items) -> bool:
    for item in items:
        if isinstance(item, Tracer):
            return True
        if isinstance(item, (list, tuple)) and _contains_tracer(item):
            return True
    return False


def ndim_of(x) -> int:
    return x.ndim if hasattr(x, "ndim") else xp.ndim(x)


def shape_of(x) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else xp.shape(x)


def resolve_shape(shape, size: int, op: str) -> tuple:
    """A reshape target with ``-1`` filled in, checked against ``size``."""
    if type(shape) is tuple:  # the common case, every dimension given as an int, answered at once
        known = 1
        for d in shape:
            if type(d) is not int or d < 0:
                break
            known *= d
        else:
            if known == size:
                return shape
    shape = (shape,) if isinstance(shape, (int, xp.integer)) else tuple(int(d) for d in shape)
    unknown = [i for i, d in enumerate(shape) if d == -1]
    known = 1
    for d in shape:
        if d != -1:
            known *= d
    if len(unknown) > 1 or (unknown and (known == 0 or size % known)) or (not unknown and known != size):
        raise ShapeError(f"{op}: cannot reshape an array of size {size} into shape {shape}, at {user_frame_summary()}")
    if unknown:
        shape = shape[: unknown[0]] + (size // known,) + shape[unknown[0] + 1 :]
    return shape
