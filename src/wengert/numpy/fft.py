"""``wengert.numpy.fft``: NumPy's discrete Fourier transforms, differentiable (complex values included).

The functions take NumPy's arguments (``n``/``s``, ``axis``/``axes``, ``norm``) and
give NumPy's results. ``n`` or ``s`` crops or zero-pads the input along each
transformed axis first, as NumPy does; then one primitive of
``wengert._src.primitives.fourier`` transforms it (``fft``, ``ifft``, ``rfft``,
``irfft``, whose JVP is the transform of the tangent and whose VJP its transpose:
see that module for the half-spectrum weighting of ``irfft``). ``fftshift`` and
``ifftshift`` are cyclic shifts; ``fftfreq`` and ``rfftfreq`` are NumPy's (they
depend on no differentiated value).

Derivatives follow wengert's complex convention (docs/complex.md): ``grad`` of a
real function of ``fft(x)`` is real for real ``x``, and matches ``jax.grad``.

>>> import numpy as np, wengert, wengert.numpy as wnp
>>> x = np.array([1.0, 2.0, 0.5, -1.0])
>>> power = lambda x: wnp.sum(wnp.abs(wnp.fft.fft(x)) ** 2)   # Parseval: N * sum(x**2)
>>> np.allclose(wengert.grad(power)(x), 2 * len(x) * x)
True
"""

from __future__ import annotations

import functools

from numpy.fft import fftfreq, rfftfreq

from wengert._src.backend import xp
from wengert._src.primitives import fourier
from wengert._src.primitives import indexing as ix
from wengert._src.primitives import structural as st
from wengert._src.primitives.elementwise import conj
from wengert.errors import ArgumentError, DtypeError, ShapeError

from ._core import asarray_or_tracer
from ._shape import roll

__all__ = [
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "ihfft",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
]

_SWAPPED_NORM = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _numpy_on_plain_arrays(function):
    """``function``, which calls NumPy's own function of its name at once on a plain array (no transform to see)."""
    numpy_function = getattr(xp.fft, function.__name__)

    @functools.wraps(function)
    def transform(a, *args, **kwargs):
        if type(a) is xp.ndarray:
            return numpy_function(a, *args, **kwargs)
        return function(a, *args, **kwargs)

    return transform


def _norm(norm, function: str) -> str:
    if norm is None:
        return "backward"
    if norm not in fourier.NORMS:
        raise ArgumentError(f"{function}: norm must be one of {list(fourier.NORMS)} or None, got {norm!r}.")
    return norm


def _axes(a, axes, s, function: str) -> tuple:
    """The transformed axes, non-negative, as NumPy reads ``axes`` and ``s`` (the last ``len(s)`` axes by default)."""
    if axes is None:
        axes = tuple(range(a.ndim)) if s is None else tuple(range(a.ndim - len(s), a.ndim))
    axes = (axes,) if isinstance(axes, int) else tuple(int(axis) for axis in axes)
    for axis in axes:
        if not -a.ndim <= axis < a.ndim:
            raise ShapeError(f"{function}: axis {axis} is out of bounds for an input of {a.ndim} dimensions.")
    if s is not None and len(s) != len(axes):
        raise ShapeError(f"{function}: s has {len(s)} entries but there are {len(axes)} axes; give one per axis.")
    return tuple(axis % a.ndim for axis in axes)


def _resized(a, lengths: dict, function: str):
    """``a`` cropped or zero-padded at the end of each axis to ``lengths[axis]``."""
    for axis, length in lengths.items():
        if length < 1:
            raise ShapeError(f"{function}: invalid number of data points ({length}) along axis {axis}; give n >= 1.")
        size = a.shape[axis]
        if length < size:
            a = ix.getitem(a, idx=(slice(None),) * axis + (slice(0, length),))
        elif length > size:
            widths = tuple((0, length - size) if i == axis else (0, 0) for i in range(a.ndim))
            a = ix.pad(a, widths=widths, value=0.0)
    return a


def _complex(a):
    """``a`` as complex: complex64 for float32 or complex64 input, else complex128 (NumPy's FFT dtypes)."""
    dtype = xp.result_type(a.dtype, xp.complex64)
    return a if a.dtype == dtype else st.astype(a, dtype=dtype)


def _real(a, function: str):
    """``a`` as a real floating array: float32 stays float32, integers become float64."""
    if a.dtype.kind == "c":
        raise DtypeError(f"{function}: the input is complex (dtype {a.dtype}), but it takes real input; use fft.")
    dtype = xp.result_type(a.dtype, xp.float32) if a.dtype.kind == "f" else xp.dtype(xp.float64)
    return a if a.dtype == dtype else st.astype(a, dtype=dtype)


def _distinct(axes: tuple, function: str) -> None:
    """The real transforms need at least one axis, each once (the half spectrum is along the last)."""
    if not axes or len(set(axes)) != len(axes):
        raise ShapeError(
            f"{function}: axes {axes} must name at least one axis, none twice (a repeated axis would transform "
            "the half spectrum again); transform in two calls instead."
        )


def _lengths(a, s, axes: tuple) -> dict:
    """``{axis: length}``: ``s[i]`` for each axis (``-1`` or no ``s``: the input's own length)."""
    s = [None] * len(axes) if s is None else [None if n == -1 else int(n) for n in s]
    return {axis: a.shape[axis] if n is None else n for axis, n in zip(axes, s)}


def _complex_transform(primitive, a, s, axes, norm, function: str):
    a = asarray_or_tracer(a)
    axes = _axes(a, axes, s, function)
    if not axes:
        return _complex(a)
    a = _resized(_complex(a), _lengths(a, s, axes), function)
    return primitive(a, axes=axes, norm=_norm(norm, function))


def _one_axis(n, axis) -> tuple:
    return (None if n is None else (n,)), (axis,)


@_numpy_on_plain_arrays
def fftn(a, s=None, axes=None, norm=None):
    """The n-dimensional DFT over ``axes`` (all by default), each cropped or zero-padded to ``s``."""
    return _complex_transform(fourier.fft, a, s, axes, norm, "fftn")


@_numpy_on_plain_arrays
def ifftn(a, s=None, axes=None, norm=None):
    """The n-dimensional inverse DFT over ``axes`` (all by default)."""
    return _complex_transform(fourier.ifft, a, s, axes, norm, "ifftn")


@_numpy_on_plain_arrays
def fft(a, n=None, axis=-1, norm=None):
    """The one-dimensional DFT along ``axis``, of ``n`` points (cropped or zero-padded)."""
    return _complex_transform(fourier.fft, a, *_one_axis(n, axis), norm, "fft")


@_numpy_on_plain_arrays
def ifft(a, n=None, axis=-1, norm=None):
    """The one-dimensional inverse DFT along ``axis``."""
    return _complex_transform(fourier.ifft, a, *_one_axis(n, axis), norm, "ifft")


@_numpy_on_plain_arrays
def fft2(a, s=None, axes=(-2, -1), norm=None):
    """The two-dimensional DFT over ``axes``."""
    return _complex_transform(fourier.fft, a, s, axes, norm, "fft2")


@_numpy_on_plain_arrays
def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """The two-dimensional inverse DFT over ``axes``."""
    return _complex_transform(fourier.ifft, a, s, axes, norm, "ifft2")


@_numpy_on_plain_arrays
def rfftn(a, s=None, axes=None, norm=None):
    """The DFT of real ``a`` over ``axes``: the half spectrum (``n // 2 + 1`` points) along the last of them."""
    a = _real(asarray_or_tracer(a), "rfftn")
    axes = _axes(a, axes, s, "rfftn")
    _distinct(axes, "rfftn")
    a = _resized(a, _lengths(a, s, axes), "rfftn")
    return fourier.rfft(a, axes=axes, norm=_norm(norm, "rfftn"))


@_numpy_on_plain_arrays
def irfftn(a, s=None, axes=None, norm=None):
    """The real inverse of a half spectrum over ``axes``; the last output length is ``2 (m - 1)`` by default."""
    a = asarray_or_tracer(a)
    axes = _axes(a, axes, s, "irfftn")
    _distinct(axes, "irfftn")
    lengths = _lengths(a, s, axes)
    last = axes[-1]
    if s is None or s[-1] == -1:
        lengths[last] = 2 * (a.shape[last] - 1)
    spectrum_lengths = dict(lengths)
    spectrum_lengths[last] = lengths[last] // 2 + 1
    a = _resized(_complex(a), spectrum_lengths, "irfftn")
    return fourier.irfft(a, axes=axes, lengths=tuple(lengths[axis] for axis in axes), norm=_norm(norm, "irfftn"))


@_numpy_on_plain_arrays
def rfft(a, n=None, axis=-1, norm=None):
    """The DFT of real ``a`` along ``axis``: ``n // 2 + 1`` complex points."""
    return rfftn(a, *_one_axis(n, axis), norm)


@_numpy_on_plain_arrays
def irfft(a, n=None, axis=-1, norm=None):
    """The real inverse of a half spectrum along ``axis``: ``n`` points (``2 (m - 1)`` by default)."""
    return irfftn(a, *_one_axis(n, axis), norm)


@_numpy_on_plain_arrays
def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """The two-dimensional DFT of real ``a``, the half spectrum along the last axis."""
    return rfftn(a, s, axes, norm)


@_numpy_on_plain_arrays
def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """The two-dimensional real inverse of a half spectrum."""
    return irfftn(a, s, axes, norm)


@_numpy_on_plain_arrays
def hfft(a, n=None, axis=-1, norm=None):
    """The DFT of a signal with Hermitian symmetry given by its first half: ``irfft(conj(a))`` rescaled, as NumPy."""
    return irfft(conj(asarray_or_tracer(a)), n, axis, _SWAPPED_NORM[_norm(norm, "hfft")])


@_numpy_on_plain_arrays
def ihfft(a, n=None, axis=-1, norm=None):
    """The inverse of ``hfft``: ``conj(rfft(a))`` rescaled, as NumPy."""
    return conj(rfft(a, n, axis, _SWAPPED_NORM[_norm(norm, "ihfft")]))


def _shift(x, axes, sign: int):
    x = asarray_or_tracer(x)
    axes = tuple(range(x.ndim)) if axes is None else ((axes,) if isinstance(axes, int) else tuple(axes))
    shifts = tuple(sign * (x.shape[axis] // 2) for axis in axes)
    return roll(x, shifts, axes) if axes else x


@_numpy_on_plain_arrays
def fftshift(x, axes=None):
    """Move the zero frequency to the centre: a cyclic shift by ``n // 2`` along ``axes`` (all by default)."""
    return _shift(x, axes, 1)


@_numpy_on_plain_arrays
def ifftshift(x, axes=None):
    """The inverse of ``fftshift``: a cyclic shift by ``-(n // 2)``."""
    return _shift(x, axes, -1)
