"""``autograd.numpy.fft``: NumPy's FFTs on plain arrays; wengert does not differentiate them yet.

On a traced value each function raises ``TracerError`` saying so, rather than a
derivative being silently lost (autograd differentiates these; see
docs/autograd_migration.md).
"""

import functools

import numpy.fft as _npfft

from wengert._src.core.primitive import Tracer
from wengert._src.core.pytree import tree_flatten
from wengert.errors import TracerError


def _plain_arrays_only(fun):
    @functools.wraps(fun)
    def fft_function(*args, **kwargs):
        if any(isinstance(leaf, Tracer) for leaf in tree_flatten((args, kwargs))[0]):
            raise TracerError(
                f"numpy.fft.{fun.__name__} was called on a value being differentiated: wengert does not "
                "differentiate FFTs yet (they need complex numbers). Apply it to plain arrays, or to "
                "wengert.stop_gradient(x) to use the result as a constant."
            )
        return fun(*args, **kwargs)

    return fft_function


for _name in dir(_npfft):
    _value = getattr(_npfft, _name)
    if not _name.startswith("_") and callable(_value):
        globals()[_name] = _plain_arrays_only(_value)
del _name, _value
