"""Initialising parameters in place, with PyTorch's names and defaults: ``wengert.nn.init``.

Each function fills a Tensor in place (recording nothing on the tape) and
returns it. The random ones take ``generator=``: a NumPy ``Generator``, an int
seed, or ``None`` for wengert's default generator (see
:func:`wengert.manual_seed`). For a weight of shape ``(fan_out, fan_in, *k)``
the fans are ``fan_in = fan_in prod(k)`` and ``fan_out = fan_out prod(k)``;
``gain`` is :func:`calculate_gain` of the nonlinearity that follows.

* ``kaiming_uniform_``: ``U(-b, b)``, ``b = gain sqrt(3 / fan)`` (He et al., 2015);
  ``nn.Linear``'s default is ``a = sqrt(5)``, i.e. ``b = 1 / sqrt(fan_in)``.
* ``kaiming_normal_``: ``N(0, (gain / sqrt(fan))^2)``.
* ``xavier_uniform_`` / ``xavier_normal_``: ``b = gain sqrt(6 / (fan_in + fan_out))``,
  ``std = gain sqrt(2 / (fan_in + fan_out))`` (Glorot and Bengio, 2010).

>>> from wengert import tensor
>>> w = tensor([[0.0, 0.0, 0.0]])
>>> bool(abs(kaiming_uniform_(w, a=5**0.5, generator=0).numpy()).max() <= 1 / 3**0.5)
True
"""

import math

from wengert._src.backend import xp
from wengert._tensor.api import no_grad
from wengert.errors import ArgumentError, ShapeError
from wengert.random import resolve_generator

__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR_GAINS = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity`` (PyTorch's table).

    1 for linear and sigmoid, 5/3 for tanh, sqrt(2) for relu,
    ``sqrt(2 / (1 + slope^2))`` for leaky_relu (slope ``param``, 0.01 by default), 3/4 for selu.
    """
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ArgumentError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of "
        f"{list(_LINEAR_GAINS) + ['tanh', 'relu', 'leaky_relu', 'selu']}"
    )


def _fill(tensor, values):
    """Write ``values`` into ``tensor`` in place, outside the tape, and return it."""
    with no_grad():
        tensor.copy_(xp.asarray(values, dtype=tensor.dtype))
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with draws from ``U(a, b)``."""
    return _fill(tensor, resolve_generator(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with draws from ``N(mean, std^2)``."""
    return _fill(tensor, resolve_generator(generator).normal(mean, std, size=tensor.shape))


def constant_(tensor, val: float):
    """Fill with ``val``."""
    return _fill(tensor, xp.full(tensor.shape, val))


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def _fans(tensor, op: str) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``."""
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ShapeError(f"{op}: fans need a weight with at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _kaiming_std(tensor, a: float, mode: str, nonlinearity: str, op: str) -> float:
    fan_in, fan_out = _fans(tensor, op)
    if mode not in ("fan_in", "fan_out"):
        raise ArgumentError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """Fill with ``U(-b, b)``, ``b = sqrt(3) gain / sqrt(fan)`` (``a`` is leaky_relu's slope for the gain).

    A tensor with no elements is left as it is (its fan may be 0).
    """
    if math.prod(tensor.shape) == 0:
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """Fill with ``N(0, std^2)``, ``std = gain / sqrt(fan)``; a tensor with no elements is left as it is."""
    if math.prod(tensor.shape) == 0:
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"), generator)


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Fill with ``U(-b, b)``, ``b = gain sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Fill with ``N(0, std^2)``, ``std = gain sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)
