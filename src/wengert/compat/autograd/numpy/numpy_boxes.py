"""``autograd.numpy.numpy_boxes``: the name of a traced array.

In autograd an ``ArrayBox`` wraps an array being differentiated; in wengert
every traced value is a tracer (:data:`~wengert.compat.autograd.tracer.Box`),
so ``ArrayBox`` names that class: ``isinstance(x, ArrayBox)`` asks whether
``x`` is being differentiated, and libraries that use it in type hints
(lifelines) import it unchanged.
"""

from ..tracer import Box

ArrayBox = Box

__all__ = ["ArrayBox"]
