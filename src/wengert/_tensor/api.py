"""The public functions of the Tensor face: making Tensors, grad mode, dtypes (exported from ``wengert``).

A Tensor is a NumPy array that records the operations done to it when it
requires grad; ``backward()`` pulls a gradient back through them into the
``.grad`` of the leaves, as in PyTorch::

    >>> import wengert
    >>> w = wengert.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x = wengert.ones(2)
    >>> loss = (w @ x).tanh().sum()
    >>> loss.backward()
    >>> w.grad.shape
    (2, 2)

Tensors are values of the engine's lowest trace level, so every
``wengert.numpy`` function takes them (and returns Tensors), and the
functional transforms (``wengert.grad``, ``jvp``, ``vmap`` ...) take them as
inputs. See ``docs/tensor.md`` for where the two worlds meet.

Dtypes are NumPy's: Python floats give float64 (PyTorch's default is
float32); ``dtype=`` takes any NumPy dtype (``wengert.float32``, ``"float32"``,
``np.float32``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as _np

import wengert.numpy as _wnp
from wengert._src.backend import dtype_of, xp
from wengert._tensor import autograd, inplace
from wengert._tensor.graph import grad_enabled
from wengert._tensor.methods import values_indices
from wengert._tensor.tensor import RemovableHandle, Tensor, array_of, as_graph_tensor
from wengert.errors import ArgumentError
from wengert.random import resolve_generator

inplace.install()
autograd.install()

float16, float32, float64 = _np.dtype("float16"), _np.dtype("float32"), _np.dtype("float64")
int8, int16, int32, int64, uint8 = (_np.dtype(n) for n in ("int8", "int16", "int32", "int64", "uint8"))
bool_ = _np.dtype("bool")


# --- grad mode ----------------------------------------------------------------------------------------
class _GradMode:
    """A context manager (and decorator) that sets grad mode inside and restores it after."""

    _mode = True

    def __init__(self):
        self._tokens: list = []

    def __enter__(self):
        self._tokens.append(grad_enabled.set(self._mode))
        return self

    def __exit__(self, *exc_info):
        grad_enabled.reset(self._tokens.pop())
        return False

    def __call__(self, fn):
        mode_type = type(self)

        @functools.wraps(fn)
        def with_mode(*args, **kwargs):
            with mode_type():
                return fn(*args, **kwargs)

        return with_mode


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name, which users type
    """Operations inside record no graph (their results do not require grad).

    Use it for evaluation and for updating parameters in place::

        with wengert.no_grad():
            w -= 0.1 * w.grad
    """

    _mode = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name, which users type
    """Record operations again inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradMode):  # noqa: N801 - PyTorch's name, which users type
    """Set grad mode to ``mode``: at once when called, and back to what it was after a ``with`` block."""

    def __init__(self, mode: bool):
        super().__init__()
        self._mode = bool(mode)
        self._previous = grad_enabled.set(self._mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        grad_enabled.reset(self._previous)
        return False

    def __call__(self, fn):
        mode = self._mode
        grad_enabled.reset(self._previous)

        @functools.wraps(fn)
        def with_mode(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return with_mode


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` (or ``set_grad_enabled(False)``)."""
    return grad_enabled.get()


# --- making tensors -----------------------------------------------------------------------------------
def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new Tensor holding a copy of ``data`` (a number, nested lists, an array or a Tensor)."""
    if isinstance(data, Tensor):
        data = data.concrete().copy()
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """``data`` as a Tensor, sharing its array when it already has the dtype (a Tensor passes through)."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == xp.dtype(dtype)):
        return data
    return as_graph_tensor(xp.asarray(array_of(data), dtype=dtype))


def from_numpy(array) -> Tensor:
    """A Tensor over ``array`` itself: changes to one show in the other."""
    return Tensor._wrap_array(array)


def is_tensor(value) -> bool:
    return isinstance(value, Tensor)


def _size(size) -> tuple:
    if len(size) == 1 and not isinstance(size[0], (int, xp.integer)):
        return tuple(size[0])
    return tuple(size)


def _new(array, requires_grad: bool) -> Tensor:
    out = Tensor._wrap_array(array)
    return out.requires_grad_(True) if requires_grad else out


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of shape ``size`` (``zeros(2, 3)`` or ``zeros((2, 3))``), float64 by default."""
    return _new(xp.zeros(_size(size), dtype=dtype or float64), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(xp.ones(_size(size), dtype=dtype or float64), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Like ``zeros`` (wengert does not hand out uninitialised memory)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(xp.full(tuple(size), fill_value, dtype=dtype), requires_grad)


def zeros_like(input, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(xp.zeros(_np.shape(array_of(input)), dtype=dtype or dtype_of(input)), requires_grad)


def ones_like(input, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(xp.ones(_np.shape(array_of(input)), dtype=dtype or dtype_of(input)), requires_grad)


def full_like(input, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(xp.full(_np.shape(array_of(input)), fill_value, dtype=dtype or dtype_of(input)), requires_grad)


def empty_like(input, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros_like(input, dtype, requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of U(0, 1) of shape ``size`` (``generator``: a NumPy Generator, a seed, or None)."""
    values = resolve_generator(generator).random(_size(size))
    return _new(values.astype(dtype or float64, copy=False), requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal N(0, 1) of shape ``size``."""
    values = resolve_generator(generator).standard_normal(_size(size))
    return _new(values.astype(dtype or float64, copy=False), requires_grad)


def rand_like(input, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    return rand(
        *_np.shape(array_of(input)), generator=generator, dtype=dtype or dtype_of(input), requires_grad=requires_grad
    )


def randn_like(input, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    return randn(
        *_np.shape(array_of(input)), generator=generator, dtype=dtype or dtype_of(input), requires_grad=requires_grad
    )


def randint(*args, size=None, generator=None, dtype=None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is not None:
        args = (*args, size)
    if len(args) == 2:
        low, (high, size) = 0, args
    elif len(args) == 3:
        low, high, size = args
    else:
        raise ArgumentError("randint takes (high, size) or (low, high, size)")
    values = resolve_generator(generator).integers(low, high, size=tuple(size))
    return _new(xp.asarray(values, dtype=dtype or int64), False)


def randperm(n: int, *, generator=None) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    return _new(resolve_generator(generator).permutation(n).astype(int64), False)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` below ``end`` (``arange(n)`` is ``0 .. n-1``); int64 for int arguments."""
    if end is None:
        start, end = 0, start
    return _new(xp.arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(xp.linspace(start, end, steps, dtype=dtype or float64), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(xp.eye(n, m, dtype=dtype or float64), requires_grad)


# --- combining tensors ----------------------------------------------------------------------------------
def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing axis ``dim``."""
    return as_graph_tensor(_wnp.concatenate(list(tensors), axis=dim))


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors along a new axis ``dim``."""
    return as_graph_tensor(_wnp.stack(list(tensors), axis=dim))


def where(condition, input, other) -> Tensor:
    """``input`` where ``condition`` holds, else ``other``; the derivative flows to the chosen one."""
    return as_graph_tensor(_wnp.where(condition, input, other))


def clear_gradients(parameters: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Clear the ``.grad`` of each Tensor: set it to ``None`` (the default, as in PyTorch) or fill it with zeros.

    Zeroing detaches the gradient first, so one computed with ``create_graph=True``
    stops recording; ``Optimizer.zero_grad`` and ``nn.Module.zero_grad`` both use it.
    """
    for param in parameters:
        grad = param._grad  # the gradient itself: ``.grad`` would warn for a non-leaf, which keeps none to clear
        if grad is None:
            continue
        if set_to_none:
            param._grad = None
        else:
            param._grad = grad = grad.detach()
            grad.zero_()


__all__ = [
    "RemovableHandle",
    "Tensor",
    "arange",
    "as_tensor",
    "bool_",
    "cat",
    "concat",
    "concatenate",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "set_grad_enabled",
    "stack",
    "tensor",
    "uint8",
    "values_indices",
    "where",
    "zeros",
    "zeros_like",
]
