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
from wengert._src.core.primitive import Tracer, concrete, known_value
from wengert._src.primitives import elementwise as _elementwise
from wengert._src.primitives import special as _special
from wengert._src.primitives.rules import normalize_axis
from wengert._tensor.inplace import untracked_array
from wengert._tensor.storage import bump_version
from wengert.errors import ArgumentError, DtypeError, ShapeError, TracerError
from wengert.random import resolve_generator

__all__ = [
    "batch_norm",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "gelu",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "mse_loss",
    "nll_loss",
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

    ``num_classes=-1`` uses ``labels.max() + 1``. The result carries no derivative. Under
    ``vmap`` and ``jit`` the labels' values are hidden: give ``num_classes``; the labels are
    then not checked (one outside ``[0, num_classes)`` gets a row of zeros, as in JAX).

    >>> one_hot([0, 2], num_classes=3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    labels = labels if isinstance(labels, Tracer) else xp.asarray(labels)
    if not _is_integer(labels.dtype):
        raise DtypeError(
            f"one_hot: labels must be integers, got dtype {labels.dtype}; "
            "convert class indices with labels.astype(int)."
        )
    values = known_value(labels)
    if values is None and num_classes == -1:
        raise TracerError(
            "one_hot: num_classes=-1 infers the number of classes from the labels' values, which this "
            "transform hides (vmap, jit); pass num_classes."
        )
    if values is not None and values.size and values.min() < 0:
        raise ShapeError(f"one_hot: labels must be non-negative, got {int(values.min())}")
    if num_classes == -1:
        num_classes = int(values.max()) + 1 if values.size else 0
    if values is not None and values.size and values.max() >= num_classes:
        raise ShapeError(
            f"one_hot: label {int(values.max())} does not fit num_classes={num_classes}; "
            "pass num_classes larger than every label (or -1 to infer it)."
        )
    return wnp.astype(wnp.equal(wnp.expand_dims(labels, -1), xp.arange(num_classes)), xp.int64)


_REDUCTIONS = ("mean", "sum", "none")


def _is_integer(dtype) -> bool:
    """``np.issubdtype(dtype, np.integer)`` (signed or unsigned, not bool), read from the dtype's kind at once."""
    return dtype.kind in "iu"


def _reduce(loss, reduction: str, op: str):
    """``loss`` averaged, summed or left as it is, as ``reduction`` says."""
    if reduction == "mean":
        return wnp.mean(loss)
    if reduction == "sum":
        return wnp.sum(loss)
    if reduction == "none":
        return loss
    raise ArgumentError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _class_indices(input, target, op: str):
    """``target`` as integer class indices checked against ``input``'s shape; the class axis is 1 (0 for 1-D)."""
    target = xp.asarray(concrete(target))
    if not _is_integer(target.dtype):
        raise DtypeError(
            f"{op}: target must hold integer class indices, got dtype {target.dtype}; "
            "convert them with target.astype(int) (or pass class probabilities of input's shape to cross_entropy)."
        )
    class_axis = 0 if input.ndim == 1 else 1
    expected = input.shape[:class_axis] + input.shape[class_axis + 1 :]
    if target.shape != expected:
        raise ShapeError(
            f"{op}: input of shape {input.shape} (classes along axis {class_axis}) needs a target of shape "
            f"{expected}, got {target.shape}."
        )
    return target, class_axis


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """The negative log-likelihood of the classes ``target`` under the log-probabilities ``input``.

    ``input`` is ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; ``target`` holds class indices of
    shape ``(N,)``, ``()`` or ``(N, d1, ...)``. Each position loses
    ``l_n = -w[t_n] input[n, t_n]`` (``w`` is ``weight``, all ones by default, and 0 where
    ``t_n == ignore_index``); ``"mean"`` divides ``sum l_n`` by ``sum w[t_n]``, as PyTorch does.
    Its derivative scatters ``-w[t_n]`` into the picked entries.

    >>> float(nll_loss(wnp.log(wnp.array([[0.5, 0.5], [0.25, 0.75]])), [0, 1]))  # -(log .5 + log .75) / 2
    0.4904146265058631
    """
    input = wnp.asarray(input)
    target, class_axis = _class_indices(input, target, "nll_loss")
    num_classes = input.shape[class_axis]
    if not 0 <= ignore_index < num_classes and _indices_within(target, num_classes):
        kept = None  # every target a class, so none is ignore_index: nothing is masked (the usual case)
        picked_class = target
    else:
        kept = target != ignore_index
        picked_class = target if kept.all() else xp.where(kept, target, 0)
        if not _indices_within(picked_class, num_classes):
            bad = picked_class[(picked_class < 0) | (picked_class >= num_classes)][0]
            raise ArgumentError(
                f"nll_loss: target {int(bad)} is out of range for {num_classes} classes; class indices run "
                f"from 0 to {num_classes - 1} (set ignore_index={int(bad)} to skip such positions)."
            )
        if kept.all():
            kept = None
    losses = -input[_picking_index(input.shape, class_axis, picked_class)]
    if weight is None and kept is None:
        return _reduce(losses, reduction, "nll_loss")
    if kept is None:
        kept = xp.ones(target.shape, bool)
    weights = _position_weights(weight, picked_class, kept, input.dtype)
    losses = losses * weights
    if reduction == "mean":
        return wnp.sum(losses) / wnp.sum(weights)
    return _reduce(losses, reduction, "nll_loss")


def _picking_index(shape: tuple, class_axis: int, picked_class) -> tuple:
    """The index of ``input[n, t_n, d1, ...]``: ``picked_class`` along the class axis, each position along the rest."""
    if len(shape) == 2:
        return (xp.arange(shape[0]), picked_class)
    index = []
    for axis, size in enumerate(shape):
        if axis == class_axis:
            index.append(picked_class)
        else:
            target_axis = axis if axis < class_axis else axis - 1
            index.append(xp.arange(size).reshape([size if a == target_axis else 1 for a in range(picked_class.ndim)]))
    return tuple(index)


_UNSIGNED = {xp.dtype(f"i{size}"): xp.dtype(f"u{size}") for size in (1, 2, 4, 8)}


def _indices_within(indices, bound: int) -> bool:
    """Whether every integer of ``indices`` lies in ``[0, bound)`` (true for none): class indices, embedding rows.

    One pass where it can: read as the unsigned type of its size, a negative index is at
    least ``2^(bits - 1)``, above every bound its signed type can hold, so ``max < bound``
    checks both ends.
    """
    if not indices.size:
        return True
    unsigned = _UNSIGNED.get(indices.dtype)
    if unsigned is not None and bound <= 1 << (8 * indices.itemsize - 1):
        return bool(indices.view(unsigned).max() < bound)
    return bool(indices.min() >= 0 and indices.max() < bound)


def cross_entropy(
    input, target, weight=None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
):
    """Cross-entropy of the logits ``input`` against ``target``: ``nll_loss(log_softmax(input, 1), target)``.

    ``target`` holds class indices (see :func:`nll_loss`) or, with ``input``'s shape and a float
    dtype, class probabilities, for which each position loses ``-sum_c w_c p_c log_softmax(x)_c``
    and ``"mean"`` divides by the number of positions. The log-softmax is taken stably, so logits
    of any size work: ``cross_entropy([[0, 1e4]], [1]) == 0``. The derivative by the logits is
    ``(softmax(x) - one_hot(t)) / N`` for the mean.

    ``label_smoothing`` ``e`` in ``[0, 1]`` trains against ``(1 - e) p + e / C`` instead of the
    target distribution ``p`` over ``C`` classes, as PyTorch does. For class indices this is
    ``(1 - e) nll + (e / C) sum_c -w_c log_softmax(x)_c`` per position (0 where ignored), and
    ``"mean"`` divides both parts by the same ``sum w[t_n]`` as :func:`nll_loss`.

    >>> float(cross_entropy(wnp.array([[0.0, 1e4]]), [1]))
    0.0
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(
            f"cross_entropy: label_smoothing must lie in [0, 1] (0: no smoothing), got {label_smoothing}"
        )
    input = wnp.asarray(input)
    class_axis = 0 if input.ndim == 1 else 1
    num_classes = input.shape[class_axis]
    log_probabilities = log_softmax(input, dim=class_axis)
    target_dtype = target.dtype if hasattr(target, "dtype") else xp.asarray(target).dtype
    if _is_integer(target_dtype):
        loss = nll_loss(log_probabilities, target, weight, ignore_index, reduction)
        if label_smoothing == 0.0:
            return loss
        uniform = _uniform_target_loss(log_probabilities, target, weight, ignore_index, reduction)
        return (1.0 - label_smoothing) * loss + (label_smoothing / num_classes) * uniform
    probabilities = wnp.asarray(target)
    if probabilities.shape != input.shape:
        raise ShapeError(
            f"cross_entropy: class probabilities must have input's shape {input.shape}, got {probabilities.shape}; "
            "pass integer class indices instead for hard labels."
        )
    if label_smoothing != 0.0:
        probabilities = probabilities * (1.0 - label_smoothing) + label_smoothing / num_classes
    terms = probabilities * log_probabilities
    if weight is not None:
        terms = terms * _along_class_axis(weight, input.ndim, class_axis)
    return _reduce(-wnp.sum(terms, axis=class_axis), reduction, "cross_entropy")


def _along_class_axis(weight, ndim: int, class_axis: int):
    """The per-class ``weight`` reshaped to broadcast along the class axis of an ``ndim``-dimensional input."""
    return wnp.reshape(wnp.asarray(weight), (-1,) + (1,) * (ndim - class_axis - 1))


def _uniform_target_loss(log_probabilities, target, weight, ignore_index: int, reduction: str):
    """The smoothing part of ``cross_entropy`` with class indices: ``-sum_c w_c log p_c`` per position.

    Ignored positions lose 0. ``"mean"`` divides the sum by ``sum w[t_n]`` over the kept
    positions (their count without ``weight``), the divisor of :func:`nll_loss`, as PyTorch does.
    """
    target, class_axis = _class_indices(log_probabilities, target, "cross_entropy")
    terms = log_probabilities
    if weight is not None:
        terms = terms * _along_class_axis(weight, log_probabilities.ndim, class_axis)
    kept = target != ignore_index
    losses = -wnp.sum(terms, axis=class_axis) * kept.astype(log_probabilities.dtype)
    if reduction != "mean":
        return _reduce(losses, reduction, "cross_entropy")
    picked_class = xp.where(kept, target, 0)
    return wnp.sum(losses) / wnp.sum(_position_weights(weight, picked_class, kept, log_probabilities.dtype))


def _position_weights(weight, picked_class, kept, dtype):
    """Each position's class weight ``w[t_n]`` (1 without ``weight``), 0 where its target is ignored:
    the weights of a loss per position, and their sum the divisor of its mean."""
    if weight is None:
        return kept.astype(dtype)
    return wnp.asarray(weight)[picked_class] * kept


def mse_loss(input, target, reduction: str = "mean"):
    """The squared error ``(input - target)^2``, averaged (``"mean"``), summed or per element.

    >>> float(mse_loss(wnp.array([1.0, 2.0]), wnp.array([0.0, 0.0])))
    2.5
    """
    difference = wnp.asarray(input) - target
    return _reduce(difference * difference, reduction, "mse_loss")


def linear(input, weight, bias=None):
    """The affine map ``input @ weight.T + bias`` (``weight`` is ``(out_features, in_features)``)."""
    out = wnp.matmul(input, wnp.transpose(weight))
    return out if bias is None else out + bias


def embedding(input, weight, padding_idx: int | None = None):
    """Rows of ``weight`` picked by the integer indices ``input`` (shape ``input.shape + (D,)``).

    Its derivative scatter-adds each output row's cotangent into the row it came from, so a
    row used twice collects both. Indices must lie in ``[0, num_embeddings)``: a negative one
    raises ``IndexError``, as in PyTorch, rather than wrapping. With ``padding_idx`` (negative counts from the end) the
    positions that pick that row still return its values but send it no gradient, as in
    PyTorch: its gradient row is zero.
    """
    indices = xp.asarray(concrete(input))
    if not _is_integer(indices.dtype):
        raise DtypeError(f"embedding: indices must be integers, got dtype {indices.dtype}; use indices.astype(int).")
    weight = wnp.asarray(weight)
    if not _indices_within(indices, weight.shape[0]):
        bad = indices[(indices < 0) | (indices >= weight.shape[0])].flat[0]
        raise IndexError(
            f"embedding: index {bad} is out of range for {weight.shape[0]} embeddings; indices must lie in "
            f"[0, {weight.shape[0]}) (a negative index is not wrapped, as in PyTorch: it is usually a bug)."
        )
    rows = weight[indices]
    if padding_idx is None:
        return rows
    padding_idx = normalized_padding_idx(padding_idx, weight.shape[0], "embedding")
    # The padding positions take the same values through stop_gradient, and where() sends a
    # branch no cotangent where it is not chosen: the values are unchanged, while the padding
    # row collects no gradient, under backward() and every transform alike.
    is_padding = xp.expand_dims(indices == padding_idx, -1)
    return wnp.where(is_padding, wnp.stop_gradient(rows), rows)


def normalized_padding_idx(padding_idx: int, num_embeddings: int, op: str) -> int:
    """``padding_idx`` as a row in ``[0, num_embeddings)``; a negative one counts from the end, as in PyTorch."""
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ArgumentError(
            f"{op}: padding_idx={padding_idx} is out of range for {num_embeddings} embeddings; give a row in "
            f"[{-num_embeddings}, {num_embeddings - 1}] (negative values count from the end) or None."
        )
    return padding_idx % num_embeddings


def batch_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    correction: int = 0,
):
    """Batch normalisation over ``input`` of shape ``(N, C)`` or ``(N, C, L)``, per channel ``C``.

    In training (or when there are no running statistics) each channel is normalised by the
    statistics of the batch, ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with
    ``var = sum (x - mean)^2 / (n - correction)``: ``correction=0`` (the biased variance, as
    PyTorch normalises) or ``correction=1`` (Bessel's, as the makemore text does). The running
    statistics, given as arrays or Tensors, are then updated in place:
    ``running = (1 - momentum) running + momentum batch``, with the *unbiased* variance for
    ``running_var``, as PyTorch does. In evaluation the running statistics normalise instead.

    The per-channel factor ``weight / sqrt(var + eps)`` is formed first and applied to
    ``x - mean`` once, as PyTorch's kernels do: one product over the whole batch instead of two,
    in the forward pass and in the backward pass.
    """
    input = wnp.asarray(input)
    shape = input.shape
    if len(shape) not in (2, 3):
        raise ShapeError(f"batch_norm: input must be (N, C) or (N, C, L), got shape {shape}.")
    axes = (0,) if len(shape) == 2 else (0, 2)
    channel_shape = (-1,) if len(shape) == 2 else (-1, 1)
    if training or running_mean is None:
        count = shape[0] if len(shape) == 2 else shape[0] * shape[2]
        if count <= 1:
            raise ShapeError(
                f"batch_norm: training needs more than one value per channel, got input of shape {shape}; "
                "use a larger batch, or call module.eval() to normalise with the running statistics."
            )
        mean = wnp.mean(input, axis=axes, keepdims=True)
        centered = input - mean
        squares = wnp.sum(wnp.square(centered), axis=axes, keepdims=True)
        scale = (squares / (count - correction) + eps) ** -0.5
        if training and running_mean is not None:
            _update_running(running_mean, concrete(mean).reshape(-1), momentum)
            _update_running(running_var, concrete(squares).reshape(-1) / (count - 1), momentum)
    else:
        centered = input - wnp.reshape(running_mean, channel_shape)
        scale = (wnp.reshape(running_var, channel_shape) + eps) ** -0.5
    if weight is not None:
        scale = scale * _per_channel(weight, channel_shape)
    out = centered * scale
    if bias is not None:
        out = out + _per_channel(bias, channel_shape)
    return out


def _per_channel(values, channel_shape: tuple):
    """A per-channel parameter shaped to broadcast along the channel axis (as it is for ``(N, C)`` input)."""
    if channel_shape == (-1,) and wnp.ndim(values) == 1:
        return values
    return wnp.reshape(values, channel_shape)


def _update_running(statistic, batch_value, momentum: float) -> None:
    """``statistic <- (1 - momentum) statistic + momentum batch_value``, in place (an array or a Tensor).

    Two in-place NumPy operations on the statistic's own memory (the products and the sum of the
    formula, so the same numbers), as PyTorch's kernels update it, and one new version of a Tensor;
    a Tensor that requires grad or is a view is changed by its in-place methods, which check it.
    """
    array = statistic if isinstance(statistic, xp.ndarray) else untracked_array(statistic)
    if array is None:
        statistic.mul_(1 - momentum).add_(batch_value, alpha=momentum)
        return
    array *= 1 - momentum
    array += momentum * batch_value
    if array is not statistic:
        bump_version(statistic)


def dropout(input, p: float = 0.5, training: bool = True, generator=None):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (identity unless training).

    ``generator`` is a NumPy ``Generator`` or a seed (``None``: wengert's default generator,
    see :func:`wengert.random.manual_seed`), so a run repeats exactly.
    """
    if not 0 <= p <= 1:
        raise ArgumentError(f"dropout: p must be a probability in [0, 1], got {p}")
    if not training or p == 0:
        return input
    input = wnp.asarray(input)
    kept = resolve_generator(generator).random(input.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return input * (kept * scale).astype(input.dtype)
