"""The layers: ``Linear``, ``Embedding``, ``BatchNorm1d``, ``Tanh``, ``ReLU``, ``Sigmoid``, ``Flatten``, ``Dropout``.

Each is a :class:`~wengert.nn.Module` whose ``forward`` calls
``wengert.nn.functional``, so a layer differentiates like any wengert code,
on Tensors (``loss.backward()``) or, through
:func:`~wengert.nn.functional_call`, under ``wengert.grad``. Parameters are
initialised as PyTorch initialises them by default, from ``generator=``
(a NumPy ``Generator``, an int seed, or ``None`` for wengert's default
generator, see :func:`wengert.manual_seed`); ``dtype`` is float64 unless given.
"""

import math

import wengert.numpy as wnp
from wengert._src.backend import xp
from wengert._tensor.api import no_grad, tensor
from wengert._tensor.inplace import untracked_array
from wengert._tensor.storage import bump_version
from wengert.errors import ArgumentError, ShapeError
from wengert.random import resolve_generator

from . import functional as F
from . import init
from .functional import normalized_padding_idx
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "Dropout", "Embedding", "Flatten", "Linear", "ReLU", "Sigmoid", "Tanh"]


def _empty_parameter(shape: tuple, dtype) -> Parameter:
    return Parameter(xp.zeros(shape, dtype=xp.float64 if dtype is None else dtype))


class Linear(Module):
    """``y = x W^T + b``, with ``W`` of shape ``(out_features, in_features)``.

    Initialised as PyTorch does: ``W ~ U(-1/sqrt(in), 1/sqrt(in))`` (``kaiming_uniform_``
    with ``a = sqrt(5)``) and ``b`` from the same interval.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, dtype=None, generator=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _empty_parameter((out_features, in_features), dtype)
        self.register_parameter("bias", _empty_parameter((out_features,), dtype) if bias else None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Draw fresh weights (and bias) from PyTorch's default distributions."""
        generator = resolve_generator(generator)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input):
        parameters = self._parameters
        return F.linear(input, parameters["weight"], parameters["bias"])

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table: index ``i`` gives row ``i`` of ``weight``, shape ``(num_embeddings, embedding_dim)``, N(0, 1).

    ``padding_idx`` (negative counts from the end) names a row that starts at zeros and never
    receives a gradient, as in PyTorch: a padding token keeps its (zero) embedding through training.
    """

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *, dtype=None, generator=None
    ):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            padding_idx = normalized_padding_idx(padding_idx, num_embeddings, "Embedding")
        self.padding_idx = padding_idx
        self.weight = _empty_parameter((num_embeddings, embedding_dim), dtype)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Draw the rows from N(0, 1), then zero the padding row (if there is one)."""
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input):
        return F.embedding(input, self._parameters["weight"], self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else f"{text}, padding_idx={self.padding_idx}"


class BatchNorm1d(Module):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs, per channel (Ioffe and Szegedy, 2015).

    In training, ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the
    batch's statistics, where ``var = sum (x - mean)^2 / (n - correction)``:

    * ``correction=0`` (default) normalises with the biased variance, as PyTorch does;
    * ``correction=1`` uses Bessel's correction, as the makemore text does, so
      that training and evaluation use the same, unbiased estimate.

    Either way the running statistics (buffers ``running_mean``, ``running_var``,
    ``num_batches_tracked``) are updated as in PyTorch,
    ``running = (1 - momentum) running + momentum batch`` with the unbiased
    batch variance (``momentum=None``: a cumulative average over batches), and
    normalise in evaluation (``eval()``). ``weight`` starts at ones, ``bias``
    at zeros (when ``affine``; ``bias=False`` leaves the shift out).
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
        correction: int = 0,
        dtype=None,
    ):
        super().__init__()
        if correction not in (0, 1):
            raise ArgumentError(f"BatchNorm1d: correction must be 0 (biased) or 1 (Bessel's), got {correction!r}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.correction = correction
        dtype = xp.float64 if dtype is None else dtype
        if affine:
            self.weight = Parameter(xp.ones(num_features, dtype=dtype))
            self.register_parameter("bias", Parameter(xp.zeros(num_features, dtype=dtype)) if bias else None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", tensor(xp.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", tensor(xp.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", tensor(xp.array(0, dtype=xp.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def forward(self, input):
        shape = wnp.shape(input)
        if len(shape) not in (2, 3) or shape[1] != self.num_features:
            raise ShapeError(
                f"BatchNorm1d({self.num_features}): expected input of shape (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got {tuple(shape)}."
            )
        # The registries read directly (what ``self.weight`` finds through Module.__getattr__, at a fraction
        # of its cost): this runs at every training step.
        parameters, buffers = self._parameters, self._buffers
        running_mean, running_var = buffers["running_mean"], buffers["running_var"]
        counting = self.training and self.track_running_stats
        factor = 0.0 if self.momentum is None else self.momentum
        if counting and self.momentum is None:
            factor = 1.0 / (buffers["num_batches_tracked"].item() + 1)
        keeps_statistics = not self.training or self.track_running_stats
        out = F.batch_norm(
            input,
            running_mean if keeps_statistics else None,
            running_var if keeps_statistics else None,
            parameters["weight"],
            parameters["bias"],
            training=self.training or running_mean is None,
            momentum=factor,
            eps=self.eps,
            correction=self.correction,
        )
        if counting:
            batches = buffers["num_batches_tracked"]
            array = untracked_array(batches)
            if array is None:
                batches.add_(1)
            else:
                array += 1
                bump_version(batches)
        return out

    def extra_repr(self) -> str:
        text = (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )
        return text if self.correction == 0 else f"{text}, correction={self.correction}"


class Tanh(Module):
    """``tanh(x)`` elementwise."""

    def forward(self, input):
        return F.tanh(input)


class ReLU(Module):
    """``max(x, 0)`` elementwise (derivative 0 at 0)."""

    def forward(self, input):
        return F.relu(input)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, input):
        return F.sigmoid(input)


class Flatten(Module):
    """Merge the axes ``start_dim`` to ``end_dim`` into one (by default all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        shape = tuple(wnp.shape(input))
        start = self.start_dim % len(shape) if shape else 0
        end = self.end_dim % len(shape) if shape else 0
        if start > end:
            raise ShapeError(
                f"Flatten: start_dim={self.start_dim} comes after end_dim={self.end_dim} for an input of shape {shape}."
            )
        merged = math.prod(shape[start : end + 1])
        return wnp.reshape(input, shape[:start] + (merged,) + shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``; identity in eval.

    The masks come from ``generator`` (a ``Generator`` or a seed, taken once
    when the layer is made), or from wengert's default generator.
    """

    def __init__(self, p: float = 0.5, *, generator=None):
        super().__init__()
        if not 0 <= p <= 1:
            raise ArgumentError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p = p
        self.generator = None if generator is None else resolve_generator(generator)

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"
