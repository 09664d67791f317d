"""The PyTorch method table of ``Tensor``: ``x.sum(dim, keepdim)``, ``x.view(...)``, ``x.max(dim)`` ...

Each method is a ``wengert.numpy`` function (or a primitive) under PyTorch's
name and argument conventions (``dim``/``keepdim``, ``var`` unbiased by
default, ``max(dim)`` returning values and indices, ``transpose(d0, d1)``
swapping two axes, ``repeat`` tiling). Shapes, dtypes and broadcasting are
the NumPy face's, so a method on a Tensor and the NumPy function on an
array agree. Reductions also accept NumPy's ``axis=``/``keepdims=``
spellings, so NumPy code (and wengert's own rules) that calls ``x.sum(axis=0)``
works on Tensors too.

The methods are written on a mixin so that this table reads as one list;
``Tensor`` (in ``tensor.py``) inherits it ahead of the NumPy methods of
``Tracer``.
"""

from __future__ import annotations

from collections import namedtuple

import wengert.numpy as wnp
from wengert.errors import ArgumentError, DtypeError, ShapeError

from .._src.backend import xp
from .._src.core.primitive import Tracer
from .._src.primitives import elementwise, special, structural
from .._src.primitives.rules import normalize_axis

values_indices = namedtuple("values_indices", ["values", "indices"])
"""What ``max(dim)``, ``min(dim)``, ``sort`` and ``topk`` return, as ``torch.return_types`` do."""

_DTYPES = {
    "float": xp.float32,
    "double": xp.float64,
    "half": xp.float16,
    "int": xp.int32,
    "long": xp.int64,
    "short": xp.int16,
    "bool": xp.bool_,
}


def _dims(dim, axis):
    """PyTorch's ``dim`` or NumPy's ``axis`` (one of them), as a tuple of axes or None."""
    if axis is not None:
        if dim is not None:
            raise ArgumentError("pass dim= or axis=, not both")
        return axis
    return dim


def _keep(keepdim, keepdims) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


def _shape_args(shape) -> tuple:
    """``view(2, 3)`` and ``view((2, 3))`` alike."""
    if len(shape) == 1 and not isinstance(shape[0], (int, xp.integer)):
        return tuple(shape[0])
    return shape


def _correction(unbiased, correction) -> int:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


class TensorMethods:
    """PyTorch's Tensor methods, built on ``wengert.numpy``; mixed into ``Tensor``."""

    __slots__ = ()

    # --- arithmetic -----------------------------------------------------------------------------
    def add(self, other, *, alpha=1):
        return self + (other if alpha == 1 else alpha * other)

    def sub(self, other, *, alpha=1):
        return self - (other if alpha == 1 else alpha * other)

    subtract = sub

    def mul(self, other):
        return self * other

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        """``self / other``; ``rounding_mode="floor"`` or ``"trunc"`` rounds the quotient (no derivative)."""
        quotient = self / other
        if rounding_mode is None:
            return quotient
        if rounding_mode == "floor":
            return wnp.floor(quotient)
        if rounding_mode == "trunc":
            return wnp.trunc(quotient)
        raise ArgumentError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")

    divide = true_divide = div

    def floor_divide(self, other):
        return self // other

    def remainder(self, other):
        return self % other

    def fmod(self, other):
        return wnp.fmod(self, other)

    def pow(self, exponent):
        return self**exponent

    def float_power(self, exponent):
        return wnp.float_power(self, exponent)

    def neg(self):
        return elementwise.neg(self)

    negative = neg

    def abs(self):
        return elementwise.absolute(self)

    absolute = abs

    def angle(self):
        """The argument of each complex element; 0 or pi for a real tensor, with derivative 0 (as PyTorch)."""
        return wnp.angle(self)

    @property
    def imag(self):
        """The imaginary part of a complex tensor; a real tensor has none, as in PyTorch (an error, not zeros)."""
        if self.dtype.kind != "c":
            raise DtypeError(
                f"imag is not defined for a tensor of the real dtype {self.dtype}, as in PyTorch; a real "
                "tensor's imaginary part is 0 (use wengert.numpy.imag for NumPy's zeros)."
            )
        return wnp.imag(self)

    def reciprocal(self):
        return 1.0 / self

    def sqrt(self):
        return elementwise.sqrt(self)

    def rsqrt(self):
        return 1.0 / elementwise.sqrt(self)

    def square(self):
        return self * self

    def exp(self):
        return elementwise.exp(self)

    def exp2(self):
        return elementwise.exp2(self)

    def expm1(self):
        return elementwise.expm1(self)

    def log(self):
        return elementwise.log(self)

    def log2(self):
        return elementwise.log2(self)

    def log10(self):
        return elementwise.log10(self)

    def log1p(self):
        return elementwise.log1p(self)

    def sin(self):
        return elementwise.sin(self)

    def cos(self):
        return elementwise.cos(self)

    def tan(self):
        return elementwise.tan(self)

    def asin(self):
        return elementwise.arcsin(self)

    def acos(self):
        return elementwise.arccos(self)

    def atan(self):
        return elementwise.arctan(self)

    arcsin, arccos, arctan = asin, acos, atan

    def atan2(self, other):
        return elementwise.arctan2(self, other)

    arctan2 = atan2

    def sinh(self):
        return elementwise.sinh(self)

    def cosh(self):
        return elementwise.cosh(self)

    def tanh(self):
        return elementwise.tanh(self)

    def asinh(self):
        return elementwise.arcsinh(self)

    def acosh(self):
        return elementwise.arccosh(self)

    def atanh(self):
        return elementwise.arctanh(self)

    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def sigmoid(self):
        return elementwise.expit(self)

    def relu(self):
        """``max(self, 0)`` with ``relu'(0) = 0``, as in PyTorch."""
        return elementwise.where(elementwise.greater(self, 0).concrete(), self, 0)

    def erf(self):
        return special.erf(self)

    def erfc(self):
        return special.erfc(self)

    def sign(self):
        return elementwise.sign(self)

    sgn = sign

    def floor(self):
        return elementwise.floor(self)

    def ceil(self):
        return elementwise.ceil(self)

    def trunc(self):
        return elementwise.trunc(self)

    fix = trunc

    def frac(self):
        return self - elementwise.trunc(self)

    def round(self, decimals: int = 0):
        return wnp.round(self, decimals)

    def clamp(self, min=None, max=None):
        """Limit to ``[min, max]``: derivative 1 inside and at the bounds, 0 outside."""
        if min is None and max is None:
            raise ArgumentError("clamp: give at least one of min and max")
        return wnp.clip(self, min, max)

    clip = clamp

    def maximum(self, other):
        """Elementwise maximum (ties split the gradient evenly)."""
        return elementwise.maximum(self, other)

    def minimum(self, other):
        return elementwise.minimum(self, other)

    def fmax(self, other):
        return wnp.fmax(self, other)

    def fmin(self, other):
        return wnp.fmin(self, other)

    def lerp(self, end, weight):
        """``self + weight * (end - self)``."""
        return self + weight * (end - self)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return self + value * tensor1 / tensor2

    def logaddexp(self, other):
        return wnp.logaddexp(self, other)

    def hypot(self, other):
        return wnp.hypot(self, other)

    def nan_to_num(self, nan: float = 0.0, posinf=None, neginf=None):
        return wnp.nan_to_num(self, nan, posinf, neginf)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's ``x.where(cond, y)``)."""
        return wnp.where(condition, self, other)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` holds, else ``self``."""
        return wnp.where(mask, value, self)

    # --- comparisons and logic ----------------------------------------------------------------------
    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def equal(self, other) -> bool:
        """True if ``other`` has the same shape and values (a Python bool, as ``torch.equal``)."""
        mine = self.concrete()
        theirs = other.concrete() if isinstance(other, Tracer) else xp.asarray(other)
        return mine.shape == theirs.shape and bool((mine == theirs).all())

    def allclose(self, other, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
        return bool(wnp.allclose(self, other, rtol, atol, equal_nan))

    def isclose(self, other, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False):
        return self._wrap_array(xp.asarray(wnp.isclose(self, other, rtol, atol, equal_nan)))

    def isnan(self):
        return elementwise.isnan(self)

    def isinf(self):
        return elementwise.isinf(self)

    def isfinite(self):
        return elementwise.isfinite(self)

    def logical_not(self):
        return elementwise.logical_not(self)

    def logical_and(self, other):
        return elementwise.logical_and(self, other)

    def logical_or(self, other):
        return elementwise.logical_or(self, other)

    def logical_xor(self, other):
        return elementwise.logical_xor(self, other)

    # --- products -------------------------------------------------------------------------------------
    def matmul(self, other):
        return self @ other

    def mm(self, other):
        """Matrix product of two 2-D tensors."""
        if self.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise ShapeError(f"mm: both operands must be 2-D, got shapes {self.shape} and {wnp.shape(other)}")
        return self @ other

    def bmm(self, other):
        """Batched matrix product of two 3-D tensors."""
        if self.ndim != 3 or getattr(other, "ndim", 0) != 3:
            raise ShapeError(f"bmm: both operands must be 3-D, got shapes {self.shape} and {wnp.shape(other)}")
        return self @ other

    def mv(self, vec):
        return self @ vec

    def dot(self, other):
        """Inner product of two 1-D tensors."""
        if self.ndim != 1 or getattr(other, "ndim", 0) != 1:
            raise ShapeError(f"dot: both operands must be 1-D, got shapes {self.shape} and {wnp.shape(other)}")
        return wnp.dot(self, other)

    def outer(self, other):
        return wnp.outer(self, other)

    ger = outer

    def inner(self, other):
        return wnp.inner(self, other)

    # --- reductions ---------------------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None, out=None):
        """Sum over ``dim`` (int, tuple or None: all); NumPy's ``axis``/``keepdims`` also work."""
        _no_out(out, "sum")
        dims = _dims(dim, axis)
        return wnp.sum(self, dims, dtype, _keep(keepdim, keepdims))

    def nansum(self, dim=None, keepdim: bool = False):
        return wnp.nansum(self, dim, keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None, out=None):
        _no_out(out, "mean")
        return wnp.mean(self, _dims(dim, axis), dtype, _keep(keepdim, keepdims))

    def nanmean(self, dim=None, keepdim: bool = False):
        return wnp.nanmean(self, dim, keepdim)

    def var(
        self,
        dim=None,
        unbiased=None,
        keepdim: bool = False,
        *,
        correction=None,
        axis=None,
        ddof=None,
        keepdims=None,
        dtype=None,
        out=None,
    ):
        """Variance over ``dim``, with Bessel's correction (divide by n - 1) unless ``unbiased=False``.

        As in PyTorch, the default is unbiased; ``correction`` sets the
        subtracted count. NumPy's ``ddof=`` (default 0 there) is honoured when
        given explicitly.
        """
        _no_out(out, "var")
        correction = ddof if ddof is not None else _correction(unbiased, correction)
        return wnp.var(self, _dims(dim, axis), dtype, correction, _keep(keepdim, keepdims))

    def std(
        self,
        dim=None,
        unbiased=None,
        keepdim: bool = False,
        *,
        correction=None,
        axis=None,
        ddof=None,
        keepdims=None,
        dtype=None,
        out=None,
    ):
        """Standard deviation, ``sqrt(var)``: unbiased by default, as in PyTorch."""
        return elementwise.sqrt(
            self.var(
                dim,
                unbiased,
                keepdim,
                correction=correction,
                axis=axis,
                ddof=ddof,
                keepdims=keepdims,
                dtype=dtype,
                out=out,
            )
        )

    def prod(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None, out=None):
        _no_out(out, "prod")
        return wnp.prod(self, _dims(dim, axis), dtype, _keep(keepdim, keepdims))

    def max(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None, out=None, initial=None):
        """The maximum: of everything; ``(values, indices)`` along ``dim``; or elementwise with a tensor.

        Tied maxima share the gradient evenly (PyTorch's full reduction
        does the same; its ``max(dim)`` gives it all to the returned index).
        NumPy's ``axis=`` spelling returns the values only, as NumPy does.
        """
        _no_out(out, "max")
        if dim is not None and not isinstance(dim, (int, xp.integer)):
            return elementwise.maximum(self, dim)
        if axis is not None or keepdims is not None or initial is not None:
            return wnp.max(self, axis, _keep(keepdim, keepdims), initial)
        if dim is None:
            return wnp.max(self)
        return values_indices(wnp.max(self, dim, keepdim), self.argmax(dim, keepdim))

    def min(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None, out=None, initial=None):
        """The minimum: of everything; ``(values, indices)`` along ``dim``; or elementwise with a tensor."""
        _no_out(out, "min")
        if dim is not None and not isinstance(dim, (int, xp.integer)):
            return elementwise.minimum(self, dim)
        if axis is not None or keepdims is not None or initial is not None:
            return wnp.min(self, axis, _keep(keepdim, keepdims), initial)
        if dim is None:
            return wnp.min(self)
        return values_indices(wnp.min(self, dim, keepdim), self.argmin(dim, keepdim))

    def amax(self, dim=None, keepdim: bool = False):
        return wnp.max(self, dim, keepdim)

    def amin(self, dim=None, keepdim: bool = False):
        return wnp.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None, out=None):
        """Index of the maximum (over the flattened tensor when ``dim`` is None), an int64 tensor."""
        _no_out(out, "argmax")
        dim = _dims(dim, axis)
        keep = _keep(keepdim, keepdims) and dim is not None
        return self._wrap_array(xp.asarray(xp.argmax(self.concrete(), axis=dim, keepdims=keep), dtype=xp.int64))

    def argmin(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None, out=None):
        _no_out(out, "argmin")
        dim = _dims(dim, axis)
        keep = _keep(keepdim, keepdims) and dim is not None
        return self._wrap_array(xp.asarray(xp.argmin(self.concrete(), axis=dim, keepdims=keep), dtype=xp.int64))

    def logsumexp(self, dim=None, keepdim: bool = False):
        from wengert.scipy.special import logsumexp

        return logsumexp(self, dim, keepdims=keepdim)

    def cumsum(self, dim=None, *, dtype=None, axis=None, out=None):
        _no_out(out, "cumsum")
        return wnp.cumsum(self, _dims(dim, axis), dtype)

    def cumprod(self, dim=None, *, dtype=None, axis=None, out=None):
        _no_out(out, "cumprod")
        return wnp.cumprod(self, _dims(dim, axis), dtype)

    def norm(self, p=2, dim=None, keepdim: bool = False):
        """The ``p``-norm over ``dim`` (all elements when None; ``"fro"`` is 2): ``(sum |x|^p)^(1/p)``."""
        if p == "fro":
            p = 2
        if p == 2:
            return elementwise.sqrt(wnp.sum(self * self, dim, keepdims=keepdim))
        if p == 1:
            return wnp.sum(elementwise.absolute(self), dim, keepdims=keepdim)
        if p == float("inf"):
            return wnp.max(elementwise.absolute(self), dim, keepdim)
        return wnp.sum(elementwise.absolute(self) ** p, dim, keepdims=keepdim) ** (1.0 / p)

    def all(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None, out=None):
        _no_out(out, "all")
        return self._wrap_array(
            xp.asarray(xp.all(self.concrete(), axis=_dims(dim, axis), keepdims=_keep(keepdim, keepdims)))
        )

    def any(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None, out=None):
        _no_out(out, "any")
        return self._wrap_array(
            xp.asarray(xp.any(self.concrete(), axis=_dims(dim, axis), keepdims=_keep(keepdim, keepdims)))
        )

    def count_nonzero(self, dim=None):
        return self._wrap_array(xp.asarray(xp.count_nonzero(self.concrete(), axis=dim)))

    def softmax(self, dim: int):
        """``exp(x) / sum(exp(x))`` along ``dim``, stable for any input."""
        return special.softmax(self, axis=normalize_axis(dim, self.ndim))

    def log_softmax(self, dim: int):
        """``x - logsumexp(x)`` along ``dim``, stable for any input."""
        return special.log_softmax(self, axis=normalize_axis(dim, self.ndim))

    # --- shape -----------------------------------------------------------------------------------------
    def view(self, *shape):
        """The same elements in ``shape`` (one entry may be -1), always a view of the same array, as in PyTorch.

        Where the elements cannot be laid out in ``shape`` without copying (the
        transpose of a matrix, flattened), PyTorch raises, and so does this:
        ``reshape`` copies there instead.
        """
        result = wnp.reshape(self, _shape_args(shape))
        if not _same_storage(self, result):
            raise ShapeError(
                f"view{tuple(_shape_args(shape))} of a tensor of shape {self.shape} and strides "
                f"{self.concrete().strides}: its elements cannot be laid out in that shape without a copy, so "
                "the result would not be a view. Use reshape(...) (which copies here), or .contiguous().view(...)."
            )
        return result

    def reshape(self, *shape):
        """The same elements in ``shape`` (one entry may be -1): a view of the same array if possible, else a copy."""
        return wnp.reshape(self, _shape_args(shape))

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return wnp.reshape(self, other.shape)

    def permute(self, *dims):
        """Reorder the axes: axis ``i`` of the result is axis ``dims[i]`` of ``self``."""
        return wnp.transpose(self, _shape_args(dims))

    def transpose(self, *dims):
        """Swap two axes, ``transpose(dim0, dim1)`` (with no arguments: reverse them all, as NumPy)."""
        if not dims:
            return wnp.transpose(self)
        if len(dims) != 2:
            raise ArgumentError(
                f"transpose takes two axes to swap (PyTorch's convention), got {dims}; use permute(*dims) "
                "to reorder all axes."
            )
        return wnp.swapaxes(self, dims[0], dims[1])

    swapaxes = swapdims = transpose

    def t(self):
        """The transpose of a tensor of at most 2 dimensions."""
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor of at most 2 dimensions, got shape {self.shape}; use transpose")
        return wnp.transpose(self)

    def movedim(self, source, destination):
        return wnp.moveaxis(self, source, destination)

    moveaxis = movedim

    def unsqueeze(self, dim: int):
        """Insert an axis of size 1 at ``dim`` (negative counts from the end of the result)."""
        return wnp.expand_dims(self, dim)

    def squeeze(self, dim=None, *, axis=None):
        """Remove axes of size 1 (only ``dim`` if given; a ``dim`` of another size is left alone, as in PyTorch)."""
        dim = _dims(dim, axis)
        if dim is None:
            return wnp.squeeze(self)
        axes = normalize_axis(dim, self.ndim)
        return wnp.squeeze(self, tuple(a for a in axes if self.shape[a] == 1))

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        """Merge the axes ``start_dim..end_dim`` into one."""
        if self.ndim == 0:
            return wnp.reshape(self, (1,))
        start, end = start_dim % self.ndim, end_dim % self.ndim
        shape = self.shape
        return wnp.reshape(self, shape[:start] + (-1,) + shape[end + 1 :])

    def ravel(self):
        return wnp.ravel(self)

    def unflatten(self, dim: int, sizes):
        dim %= self.ndim
        return wnp.reshape(self, self.shape[:dim] + tuple(sizes) + self.shape[dim + 1 :])

    def expand(self, *sizes):
        """Broadcast to ``sizes`` (-1 keeps an axis's size)."""
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        return wnp.broadcast_to(self, shape)

    def expand_as(self, other):
        return wnp.broadcast_to(self, other.shape)

    def broadcast_to(self, shape):
        return wnp.broadcast_to(self, tuple(shape))

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along axis ``i`` (PyTorch's ``repeat`` is NumPy's ``tile``)."""
        return wnp.tile(self, _shape_args(sizes))

    def repeat_interleave(self, repeats, dim=None):
        """Repeat each element ``repeats`` times (NumPy's ``repeat``)."""
        return wnp.repeat(self, repeats, dim)

    def tile(self, *dims):
        return wnp.tile(self, _shape_args(dims))

    def flip(self, *dims):
        return wnp.flip(self, _shape_args(dims))

    def roll(self, shifts, dims=None):
        return wnp.roll(self, shifts, dims)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """Split into ``chunks`` pieces of size ``ceil(n / chunks)`` along ``dim`` (the last may be smaller)."""
        n = self.shape[dim]
        size = -(-n // chunks)
        return self.split(size, dim)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
        n = self.shape[dim]
        if isinstance(split_size_or_sections, (int, xp.integer)):
            bounds = list(range(0, n, int(split_size_or_sections))) + [n]
        else:
            bounds = [0]
            for size in split_size_or_sections:
                bounds.append(bounds[-1] + size)
            if bounds[-1] != n:
                raise ShapeError(f"split: sizes {split_size_or_sections} do not add up to {n} along dim {dim}")
        prefix = (slice(None),) * (dim % self.ndim)
        return tuple(self[prefix + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:]))

    def unbind(self, dim: int = 0) -> tuple:
        prefix = (slice(None),) * (dim % self.ndim)
        return tuple(self[prefix + (i,)] for i in range(self.shape[dim]))

    def select(self, dim: int, index: int):
        """The slice at ``index`` along ``dim`` (that axis removed): a view, as ``self[..., index, ...]``."""
        prefix = (slice(None),) * (dim % self.ndim)
        return self[prefix + (index,)]

    def narrow(self, dim: int, start: int, length: int):
        prefix = (slice(None),) * (dim % self.ndim)
        return self[prefix + (slice(start, start + length),)]

    def gather(self, dim: int, index):
        """``out[i][j] = self[index[i][j]][j]`` for ``dim=0`` (and so on): NumPy's take_along_axis."""
        return wnp.take_along_axis(self, index, dim)

    def index_select(self, dim: int, index):
        return wnp.take(self, index, axis=dim)

    def take(self, index):
        """Elements at flat ``index`` (of the flattened tensor)."""
        return wnp.take(self, index)

    def diag(self, diagonal: int = 0):
        return wnp.diag(self, diagonal)

    def tril(self, diagonal: int = 0):
        return wnp.tril(self, diagonal)

    def triu(self, diagonal: int = 0):
        return wnp.triu(self, diagonal)

    def trace(self):
        return wnp.trace(self)

    def sort(self, dim: int = -1, descending: bool = False):
        """``(values, indices)`` sorted along ``dim``; the derivative follows each element."""
        indices = xp.argsort(self.concrete(), axis=dim, stable=True)
        if descending:
            indices = xp.flip(indices, axis=dim)
        return values_indices(wnp.take_along_axis(self, indices, dim), self._wrap_array(indices))

    def argsort(self, dim: int = -1, descending: bool = False):
        return self.sort(dim, descending).indices

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
        values, indices = self.sort(dim, descending=largest)
        prefix = (slice(None),) * (dim % self.ndim)
        picked = indices.concrete()[prefix + (slice(0, k),)]
        return values_indices(values[prefix + (slice(0, k),)], self._wrap_array(picked))

    # --- copies and conversions -------------------------------------------------------------------
    def clone(self):
        """A copy with its own array; the derivative passes through unchanged."""
        return structural.astype(self, dtype=self.dtype)

    def contiguous(self):
        return self if self.concrete().flags.c_contiguous else self.clone()

    def to(self, *args, dtype=None, device=None, copy: bool = False, non_blocking: bool = False):
        """Convert to a dtype (``t.to(wengert.float32)``, ``t.to(other)``, ``t.to("cpu", dtype)``).

        As in PyTorch, ``self`` itself when nothing changes (the device "cpu",
        the same dtype) unless ``copy``; a new tensor otherwise, recorded on
        the graph. Devices other than the CPU raise.
        """
        dtype = requested_dtype(args, dtype, device, "to")
        if dtype is None or dtype == self.dtype:
            return self.clone() if copy else self
        return self.type_to(dtype)

    def type_to(self, dtype):
        """A copy converted to ``dtype``; to an integer or bool dtype the derivative is dropped."""
        dtype = xp.dtype(dtype)
        if dtype == self.dtype:
            return self
        if not xp.issubdtype(dtype, xp.floating) or not xp.issubdtype(self.dtype, xp.floating):
            return self._wrap_array(self.concrete().astype(dtype))
        return structural.astype(self, dtype=dtype)

    def type_as(self, other):
        return self.type_to(other.dtype)

    def float(self):
        """Convert to float32."""
        return self.type_to(_DTYPES["float"])

    def double(self):
        """Convert to float64."""
        return self.type_to(_DTYPES["double"])

    def half(self):
        return self.type_to(_DTYPES["half"])

    def int(self):
        return self.type_to(_DTYPES["int"])

    def long(self):
        return self.type_to(_DTYPES["long"])

    def short(self):
        return self.type_to(_DTYPES["short"])

    def bool(self):
        return self.type_to(_DTYPES["bool"])

    def is_floating_point(self) -> bool:
        return xp.issubdtype(self.dtype, xp.floating)

    def cpu(self):
        """``self``: wengert's tensors live on the CPU."""
        return self

    def cuda(self, device=None, non_blocking: bool = False):
        """Refused: wengert computes with NumPy on the CPU."""
        check_device("cuda", "cuda")

    def new_tensor(self, data, dtype=None, requires_grad: bool = False):
        return self._wrap_array(xp.array(data, dtype=dtype or self.dtype)).requires_grad_(requires_grad)

    def new_zeros(self, *size, dtype=None):
        return self._wrap_array(xp.zeros(_shape_args(size), dtype=dtype or self.dtype))

    def new_ones(self, *size, dtype=None):
        return self._wrap_array(xp.ones(_shape_args(size), dtype=dtype or self.dtype))

    def new_full(self, size, fill_value, dtype=None):
        return self._wrap_array(xp.full(tuple(size), fill_value, dtype=dtype or self.dtype))

    def new_empty(self, *size, dtype=None):
        return self.new_zeros(*size, dtype=dtype)

    @property
    def T(self):  # noqa: N802 - PyTorch's name
        """All axes reversed (the matrix transpose for 2-D)."""
        return wnp.transpose(self)

    @property
    def mT(self):  # noqa: N802 - PyTorch's name
        """The last two axes swapped (a batch of matrix transposes)."""
        return wnp.swapaxes(self, -1, -2)


def requested_dtype(args: tuple, dtype, device, caller: str):
    """The dtype that PyTorch's ``to(*args, dtype=, device=)`` asks for (None: keep it), once the device is checked.

    Each positional argument is a device name (``"cpu"``), a dtype, or a tensor
    whose dtype is wanted.
    """
    for arg in args:
        if isinstance(arg, TensorMethods):
            dtype = arg.dtype
        elif isinstance(arg, str) and not _is_dtype_name(arg):
            device = arg
        else:
            dtype = arg
    if device is not None:
        check_device(device, caller)
    return None if dtype is None else xp.dtype(dtype)


def check_device(device, caller: str) -> None:
    """Raise unless ``device`` names the CPU (``"cpu"``, ``"cpu:0"``), the only device wengert computes on."""
    if str(device).partition(":")[0] != "cpu":
        raise ArgumentError(
            f"{caller}: device {str(device)!r} is not available; wengert computes with NumPy on the CPU. "
            "Use the device 'cpu' (or leave the device out)."
        )


def _same_storage(tensor, result) -> bool:
    """Whether ``result`` holds ``tensor``'s memory (values of a functional transform: assumed so)."""
    if not (hasattr(tensor, "_base") and hasattr(result, "_base")):
        return True
    return result._base is not None or result.concrete() is tensor.concrete() or not result.size


def _is_dtype_name(name: str) -> bool:
    try:
        xp.dtype(name)
    except TypeError:
        return False
    return True


def _no_out(out, op: str) -> None:
    if out is not None:
        raise ArgumentError(f"{op}(out=...): Tensors are written in place only by the methods ending in _")
