"""``autograd.builtins``: containers and type tests that see through traced values.

wengert differentiates through plain Python lists, tuples and dicts of traced
values (they are pytrees), so ``list``, ``tuple`` and ``dict`` here are Python's
own; ``isinstance`` and ``type`` look at the value under the tracing, so
``isinstance(x, np.ndarray)`` holds for a traced array as it does in autograd.
"""

import builtins as _builtins

from .core import SparseObject, VSpace, defjvp, defjvp_argnum, defvjp, defvjp_argnum, vspace
from .tracer import Box, notrace_primitive, primitive

tuple = _builtins.tuple
list = _builtins.list
dict = _builtins.dict
isinstance_ = _builtins.isinstance
type_ = _builtins.type
isinstance = notrace_primitive(_builtins.isinstance)
type = notrace_primitive(_builtins.type)

SequenceBox = Box
"""autograd's box around a traced list or tuple. wengert traces the items, not the container (a list of
traced values is a pytree), so no value is ever a ``SequenceBox``: the name serves imports and type hints."""
DictBox = Box
"""autograd's box around a traced dict; as :data:`SequenceBox`, a name for imports and type hints."""

__all__ = [
    "Box",
    "DictBox",
    "SequenceBox",
    "SparseObject",
    "VSpace",
    "defjvp",
    "defjvp_argnum",
    "defvjp",
    "defvjp_argnum",
    "dict",
    "isinstance",
    "list",
    "notrace_primitive",
    "primitive",
    "tuple",
    "type",
    "vspace",
]
