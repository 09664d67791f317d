"""Pausing Python's cyclic garbage collector while a tape is recorded and replayed.

Reverse mode keeps every intermediate of the forward pass alive until the
backward pass has used it: a long tape holds thousands of small objects
(nodes, tracers, argument tuples) at once. CPython's generational collector
sees them survive its young collections, promotes them, and then traverses
them again in full collections, whose cost grows with everything else alive
in the process (a session with PyTorch or JAX imported holds hundreds of
thousands of objects). Measured on a 1001-operation chain, that traversal
tripled the cost per operation.

None of it finds garbage: the tape is acyclic and is freed by reference
counting as soon as the backward pass returns. So the transforms pause the
cyclic collector while they record and replay, as ``timeit`` does while it
times. Cyclic garbage the user's own code makes meanwhile is collected after
the transform returns. The pause is re-entrant and shared between threads:
the collector comes back on when the last transform leaves, and only if it
was on when the first one entered.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_depth = 0
_was_enabled = False


class collector_paused:
    """Run the ``with`` block with the cyclic garbage collector off (see the module docstring).

    A class rather than a generator-based context manager: every ``grad`` call enters one.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        global _depth, _was_enabled
        with _lock:
            if _depth == 0:
                _was_enabled = gc.isenabled()
                gc.disable()
            _depth += 1

    def __exit__(self, *exc_info) -> bool:
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
        return False
