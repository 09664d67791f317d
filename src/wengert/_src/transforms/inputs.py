"""The checks every differentiating transform makes of its inputs (floating-point arrays only) and of what the
function returns (arrays and numbers only), and the private copies of those that a transform keeps or hands out."""

from __future__ import annotations

from wengert.errors import DtypeError, TransformError

from ..backend import is_float_dtype, xp
from ..core.primitive import Tracer
from ..core.source_info import user_frame_summary
from .stage import as_array

_OUTPUT_LEAF_TYPES = (Tracer, xp.ndarray, xp.generic, int, float, complex)


def as_float_input(value, transform: str, kind: str, i: int):
    """An input of ``transform`` (named ``kind i`` in errors): an array (or outer tracer) of a floating or
    complex dtype (complex values differentiate with JAX's convention, docs/complex.md)."""
    if type(value) is xp.ndarray and value.dtype.kind == "f":  # the common case, answered at once
        return value
    value = xp.asarray(value) if not isinstance(value, Tracer) else as_array(value)  # 2.0 as np.asarray(2.0)
    dtype = value.dtype
    if not is_float_dtype(dtype) and dtype.kind != "c":
        raise DtypeError(
            f"{transform}: {kind} {i} has dtype {dtype}; only floating-point and complex inputs have derivatives. "
            "Pass floats (1.0 instead of 1), or convert with x.astype(float)."
        )
    return value


def private_copy(value):
    """A copy of ``value`` if it is a NumPy array (which its owner may write into later), else ``value``.

    For the transforms that hand back a function to call later (``vjp``'s ``vjp_fn``,
    ``linearize``'s ``f_lin``): what they hold of the caller's inputs, and what the caller gets
    of the values they hold, must not change under them.
    """
    return value.copy() if type(value) is xp.ndarray else value


def own_arrays(cotangents_out: list, cotangents_in: list) -> list:
    """``cotangents_out`` (pulled back to the inputs), each array writable and sharing memory with no other one
    and with none of ``cotangents_in`` (the caller's).

    A backward pass (the tape's or the transposed program's) may end in a read-only broadcast (the
    gradient of a sum), hand one cotangent to two inputs (``x + y``) or hand back the caller's own
    cotangent (the identity): writing into one gradient would then change another, or the caller's
    array. Those are copied; a fresh array that owns its memory (every other gradient) costs a set
    look-up and a flag.
    """
    arrays = [c for c in cotangents_in if type(c) is xp.ndarray]
    taken = {id(c) for c in arrays}
    views = [c for c in arrays if c.base is not None]  # an array that owns its memory can share it with these only
    owned = []
    for g in cotangents_out:
        if type(g) is xp.ndarray:
            is_view = g.base is not None
            others = arrays if is_view else views
            if id(g) in taken or not g.flags.writeable or (others and _shares_memory_with_one_of(g, others)):
                g = g.copy()
                is_view = False
            arrays.append(g)
            taken.add(id(g))
            if is_view:
                views.append(g)
        owned.append(g)
    return owned


def _shares_memory_with_one_of(array, others: list) -> bool:
    for other in others:
        if xp.may_share_memory(array, other):
            return True
    return False


def check_output(result, leaves: list, transform: str) -> None:
    """Refuse what a differentiated function returned (``result``, flattened to ``leaves``) unless it is arrays and
    numbers: ``None`` is most often a forgotten ``return``, and a string or another object has no derivative (it
    would fail later, inside NumPy, with a message about dtypes, or pass as a silent zero)."""
    if result is None:
        raise TransformError(
            f"{transform}: the function returned None, at {user_frame_summary()}; it must return the array(s) to "
            "differentiate (is a `return` missing?)."
        )
    for i, leaf in enumerate(leaves):
        if type(leaf) is xp.ndarray or isinstance(leaf, _OUTPUT_LEAF_TYPES):
            continue
        where = "" if leaf is result else f" as output leaf {i}"
        raise TransformError(
            f"{transform}: the function returned a value of type {type(leaf).__name__}{where} ({leaf!r:.60}), at "
            f"{user_frame_summary()}; a differentiated function returns arrays or numbers, or tuples, lists and "
            "dicts of them. Return other values as aux, with has_aux=True."
        )


def split_aux(result, transform: str) -> tuple:
    """``(output, aux)`` from what a function differentiated with ``has_aux=True`` returned: a pair, or refused."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        if isinstance(result, (tuple, list)):
            returned = f"a {type(result).__name__} of {len(result)}"
        elif isinstance(result, (Tracer, xp.ndarray)):
            returned = f"an array of shape {tuple(result.shape)}"
        else:
            returned = f"a value of type {type(result).__name__}"
        raise TransformError(
            f"{transform} with has_aux=True: the function must return a pair (output, aux), but returned {returned}, "
            f"at {user_frame_summary()}; return (output, aux), or drop has_aux=True."
        )
    return result[0], result[1]
