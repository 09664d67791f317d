"""Fourier primitives: the discrete Fourier transform and its inverse, complex and real (half-spectrum) forms.

Each is linear, so its JVP is the transform of the tangent, and its VJP is its
*transpose* (wengert's complex convention, docs/complex.md: the pairing is
``Re(sum(a b))``, never conjugated). Along the transformed ``axes`` with lengths
``N`` (their product ``|N|``) and ``norm``'s scale ``s`` (NumPy's: ``"backward"``
puts ``1/|N|`` on the inverse, ``"ortho"`` ``1/sqrt|N|`` on both, ``"forward"``
``1/|N|`` on the forward transform):

- ``fft(x) = s F x`` with the DFT matrix ``F[j, k] = exp(-2 pi i jk / N)``, which is
  symmetric: the transpose of ``fft`` is ``fft`` with the same ``norm``, not the
  inverse (which would be the conjugate transpose, up to scale). Likewise ``ifft``
  (``conj(F)``, symmetric) is its own transpose.
- ``rfft(x) = s R x`` of real ``x``: ``R`` is the first ``N//2 + 1`` rows of ``F``
  along the last axis. It is ``fft`` of ``x`` as complex, cropped; the transpose of
  each step in turn gives ``rfft^T(c) = Re(fft(pad(c)))``: the cotangent of a real
  input is real.
- ``irfft(c)`` reads a half spectrum as the Hermitian full one: along the last axis,
  the output is ``s (c_0 + sum_k 2 Re(c_k w^{jk}) + c_{N/2} (-1)^j)`` (``w = exp(2 pi i / N)``,
  the last term for even ``N``; the imaginary parts of ``c_0`` and ``c_{N/2}`` are
  ignored). It is real-linear, and its transpose is
  ``mask * conj(rfft_unscaled(g)) * s`` with ``mask`` 1 at ``c_0`` (and ``c_{N/2}``), 2
  between: each interior coefficient stands for two of the full spectrum.

The transposes are written with these primitives themselves, so derivatives of
every order follow. The faces (``wengert.numpy.fft``) handle ``n``/``s`` (crop or
zero-pad before the transform) and give ``fft``/``ifft`` complex input.
"""

from __future__ import annotations

import math

from ..backend import xp
from ..core.primitive import READS_NOTHING, Primitive
from .elementwise import conj, real
from .indexing import pad
from .rules import BY_VJP
from .structural import batched_axis

NORMS = ("backward", "ortho", "forward")
"""NumPy's ``norm`` values (``None`` is ``"backward"``)."""

_SCALE_OF_UNSCALED_FORWARD = {"backward": "forward", "ortho": "ortho", "forward": "backward"}
"""The ``norm`` under which the forward transform has the scale the inverse has under the key."""


def _fft_flops(out_shapes, x_shape, axes, **params) -> int:
    """``5 n log2(m)`` floating-point operations for ``n`` complex values transformed over length ``m``."""
    size = math.prod(out_shapes[0]) if out_shapes else math.prod(x_shape)
    length = math.prod(x_shape[a] for a in axes) if axes else 1
    return int(5 * size * math.log2(max(length, 2)))


def _linear_transform(name: str, impl, doc: str, source, vjp=None) -> Primitive:
    """A transform linear in its one argument: its JVP applies it to the tangent; its VJP is ``vjp``
    (default: itself, for a symmetric matrix); vmap moves its ``axes`` past the batch axis."""

    def apply(x, **params):
        return prim(x, **params)

    def batch(args, dims, axes, **params):
        return prim(args[0], axes=tuple(batched_axis(a, dims[0]) for a in axes), **params), dims[0]

    prim = Primitive(
        name,
        impl,
        jvps=(lambda t, ans, x, **params: apply(t, **params),),
        vjps=(vjp or (lambda g, ans, x, **params: apply(g, **params)),),
        transposes=(BY_VJP,),
        batch=batch,
        flops=_fft_flops,
        linear_in=(0,),
        source=source,
        result_memory="new",
        vjp_reads=READS_NOTHING,
        doc=doc,
    )
    return prim


def _source(function: str):
    def source(gen, eqn, args):
        return f"np.fft.{function}({args[0]}, {gen.keywords(eqn.params, 'axes', 'norm')})"

    return source


def _irfft_source(gen, eqn, args):
    lengths = gen.param(eqn.params["lengths"])
    return f"np.fft.irfftn({args[0]}, s={lengths}, {gen.keywords(eqn.params, 'axes', 'norm')})"


def _fft_impl(x, axes, norm):
    return xp.fft.fftn(x, axes=axes, norm=norm)


def _ifft_impl(x, axes, norm):
    return xp.fft.ifftn(x, axes=axes, norm=norm)


def _rfft_impl(x, axes, norm):
    return xp.fft.rfftn(x, axes=axes, norm=norm)


def _irfft_impl(x, axes, lengths, norm):
    return xp.fft.irfftn(x, s=lengths, axes=axes, norm=norm)


def _rfft_vjp(g, ans, x, axes, norm):
    """``Re(fft(pad(g)))``: the transpose of cropping ``fft`` of ``x`` (as complex) to the half spectrum."""
    last = axes[-1]
    widths = tuple((0, x.shape[last] - g.shape[last]) if a == last else (0, 0) for a in range(g.ndim))
    return real(fft(pad(g, widths=widths, value=0.0), axes=axes, norm=norm))


def _irfft_vjp(g, ans, x, axes, lengths, norm):
    """``mask * conj(rfft(g))`` scaled as the inverse: the interior coefficients count twice (see the module)."""
    spectrum = conj(rfft(g, axes=axes, norm=_SCALE_OF_UNSCALED_FORWARD[norm]))
    last, half = axes[-1], x.shape[axes[-1]]
    mask = xp.full(half, 2.0, dtype=g.dtype)
    mask[0] = 1.0
    if lengths[-1] % 2 == 0:
        mask[-1] = 1.0
    return spectrum * mask.reshape((half,) + (1,) * (g.ndim - 1 - last))


fft = _linear_transform(
    "fft",
    _fft_impl,
    "The DFT of complex ``x`` over ``axes`` (NumPy's ``fftn``). The DFT matrix is symmetric: its own transpose.",
    _source("fftn"),
)
ifft = _linear_transform(
    "ifft", _ifft_impl, "The inverse DFT of complex ``x`` over ``axes`` (NumPy's ``ifftn``); its own transpose.",
    _source("ifftn"),
)  # fmt: skip
rfft = _linear_transform(
    "rfft",
    _rfft_impl,
    "The DFT of real ``x`` over ``axes``, the half spectrum along the last (NumPy's ``rfftn``).",
    _source("rfftn"),
    vjp=_rfft_vjp,
)
irfft = _linear_transform(
    "irfft",
    _irfft_impl,
    "The real inverse of a half spectrum over ``axes``, to ``lengths`` (NumPy's ``irfftn`` with ``s=lengths``).",
    _irfft_source,
    vjp=_irfft_vjp,
)
