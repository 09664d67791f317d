"""Activation functions with PyTorch's names: ``import wengert.nn.functional as F``.

Each takes and returns arrays (traced or not) and is built from wengert's
primitives, so every derivative order works. Conventions at kinks, as the
library writes them down and tests them:

* ``relu'(0) = 0`` (``relu(x) = where(x > 0, x, 0)``, as in PyTorch and JAX);
* ``leaky_relu'(0) = negative_slope`` and ``elu'(0) = alpha``: the derivative
  from the left, as in PyTorch;
* ``softplus`` is exact and never overflows; above ``threshold`` it returns
  ``x`` itself, as PyTorch does.
"""

import math

import wengert.numpy as wnp
from wengert._src.backend import xp
from wengert._src.core.primitive import Tracer
from wengert._src.primitives import elementwise as _elementwise
from wengert._src.primitives import special as _special
from wengert._src.primitives.rules import normalize_axis
from wengert.errors import ArgumentError, DtypeError, ShapeError

__all__ = [
    "elu",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "logsigmoid",
    "one_hot",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]

sigmoid = _elementwise.expit
tanh = _elementwise.tanh

_SQRT_TWO_OVER_PI = math.sqrt(2.0 / math.pi)
_ONE_OVER_SQRT_TWO = 1.0 / math.sqrt(2.0)


def relu(x):
    """``max(x, 0)``, written ``where(x > 0, x, 0)`` so that ``relu'(0) = 0``.

    >>> import wengert
    >>> float(wengert.grad(relu)(0.0))
    0.0
    """
    return wnp.where(wnp.greater(x, 0), x, 0.0)


def leaky_relu(x, negative_slope: float = 0.01):
    """``x`` for ``x > 0``, else ``negative_slope * x``; its derivative at 0 is ``negative_slope``."""
    return wnp.where(wnp.greater(x, 0), x, negative_slope * x)


def elu(x, alpha: float = 1.0):
    """``x`` for ``x > 0``, else ``alpha (exp(x) - 1)``; its derivative at 0 is ``alpha``.

    The exponential only ever sees non-positive inputs, so large ``x`` cannot
    overflow it (nor put a ``nan`` into the derivative).
    """
    positive = wnp.greater(x, 0)
    return wnp.where(positive, x, alpha * wnp.expm1(wnp.where(positive, 0.0, x)))


def gelu(x, approximate: str = "none"):
    """The Gaussian error linear unit, ``x Phi(x)``, ``Phi`` the standard normal CDF.

    ``approximate="none"`` (the default, as in PyTorch) is exact:
    ``x erfc(-x / sqrt(2)) / 2``. ``approximate="tanh"`` is the approximation
    ``x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2``.
    """
    if approximate == "none":
        return 0.5 * x * _special.erfc(x * -_ONE_OVER_SQRT_TWO)
    if approximate == "tanh":
        inner = _SQRT_TWO_OVER_PI * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + tanh(inner))
    raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x):
    """``x sigmoid(x)``, also called swish."""
    return x * sigmoid(x)


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``.

    Exact for every ``x`` (no overflow for large ``x``, no cancellation for
    very negative ones); ``d softplus(x) = sigmoid(beta x) dx``.
    """
    scaled = x if beta == 1 else x * beta
    smooth = _special.softplus(scaled)
    if beta != 1:
        smooth = smooth / beta
    return wnp.where(wnp.greater(scaled, threshold), x, smooth)


def logsigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, accurate for inputs of any size."""
    return -_special.softplus(-x)


def softmax(x, dim: int = -1):
    """``exp(x) / sum(exp(x))`` along ``dim`` (the last axis by default).

    Stable for any input: ``softmax([0, 1e4]) == [0, 1]``.
    """
    x = wnp.asarray(x)
    return _special.softmax(x, axis=normalize_axis(dim, x.ndim))


def log_softmax(x, dim: int = -1):
    """``x - logsumexp(x)`` along ``dim`` (the last axis by default), stable for any input."""
    x = wnp.asarray(x)
    return _special.log_softmax(x, axis=normalize_axis(dim, x.ndim))


def one_hot(labels, num_classes: int = -1):
    """Integer class labels as one-hot vectors along a new last axis (int64, as in PyTorch).

    ``num_classes=-1`` uses ``labels.max() + 1``. The result carries no derivative.

    >>> one_hot([0, 2], num_classes=3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    labels = xp.asarray(labels.concrete() if isinstance(labels, Tracer) else labels)
    if not xp.issubdtype(labels.dtype, xp.integer):
        raise DtypeError(
            f"one_hot: labels must be integers, got dtype {labels.dtype}; "
            "convert class indices with labels.astype(int)."
        )
    if labels.size and labels.min() < 0:
        raise ShapeError(f"one_hot: labels must be non-negative, got {int(labels.min())}")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and labels.max() >= num_classes:
        raise ShapeError(
            f"one_hot: label {int(labels.max())} does not fit num_classes={num_classes}; "
            "pass num_classes larger than every label (or -1 to infer it)."
        )
    return xp.equal(labels[..., None], xp.arange(num_classes)).astype(xp.int64)
