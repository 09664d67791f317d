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

__all__ = [
    "Box",
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
