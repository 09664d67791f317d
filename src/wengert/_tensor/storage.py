"""How Tensors share memory: version counters, and where a view's elements sit in the array it views.

Tensors over one NumPy array (a tensor, its ``detach()``, its views) share a
version counter, ``[version, when]``: how many in-place changes the array has
had, and the sequence number (``graph.new_sequence_number``) of the last one.
A node that saved a value knows it was overwritten since when ``when`` exceeds
the node's own number. A view's elements are found in its base by their byte
addresses (:func:`positions_in_base`), which is how an in-place change through
a view is written into the base's history.
"""

from __future__ import annotations

from wengert.errors import AutogradError

from .._src.backend import xp
from .graph import new_sequence_number


def version_counter(tensor) -> list:
    """The tensor's version counter, shared by the tensors over one array (made when first needed)."""
    counter = tensor._version
    if counter is None:
        counter = tensor._version = [0, -1]
    return counter


def bump_version(tensor) -> None:
    """Count one in-place change of the tensor's array, now."""
    counter = version_counter(tensor)
    counter[0] += 1
    counter[1] = new_sequence_number()


def owner(array):
    """The array that owns ``array``'s memory: its base, or itself."""
    base = array.base
    return array if base is None else base


def _byte_offsets(array, origin: int):
    """The address of each element of ``array``, in bytes from ``origin``."""
    offsets = xp.full(array.shape, array.__array_interface__["data"][0] - origin, dtype=xp.intp)
    for axis, (length, stride) in enumerate(zip(array.shape, array.strides)):
        steps = xp.arange(length, dtype=xp.intp) * stride
        offsets += steps.reshape((1,) * axis + (length,) + (1,) * (array.ndim - axis - 1))
    return offsets


def positions_in_base(view, base):
    """For each element of ``view`` (an array over ``base``'s memory), its flat C-order index in ``base``."""
    origin = base.__array_interface__["data"][0]
    offsets = _byte_offsets(view, origin)
    if base.flags.c_contiguous:
        positions, remainder = xp.divmod(offsets, base.itemsize)
        if remainder.any() or view.itemsize != base.itemsize:
            raise _not_one_to_one()
        return positions
    base_offsets = _byte_offsets(base, origin).ravel()
    order = xp.argsort(base_offsets, kind="stable")
    found = xp.minimum(xp.searchsorted(base_offsets[order], offsets), base_offsets.size - 1)
    if (base_offsets[order][found] != offsets).any() or view.itemsize != base.itemsize:
        raise _not_one_to_one()
    return order[found]


def _not_one_to_one() -> AutogradError:
    return AutogradError(
        "an in-place operation on a view whose elements do not map one to one onto the elements of the tensor "
        "it is a view of (a view of another dtype): its gradient cannot be traced. Change a clone() of it, or "
        "change the base tensor itself."
    )
