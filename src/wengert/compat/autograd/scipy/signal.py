"""``autograd.scipy.signal``: ``convolve(A, B, axes=None, dot_axes=[(), ()], mode='full')`` with autograd's
signature and result layout (``A``'s other axes, ``B``'s, then the convolved ones), on wengert's
differentiable N-d convolution."""

from wengert.scipy import signal as _signal

__all__ = ["convolve"]


def convolve(A, B, axes=None, dot_axes=((), ()), mode="full"):
    """Convolve ``A`` and ``B`` along ``axes`` (all of ``A``'s by default), contracting ``dot_axes``."""
    if axes is None:
        return _signal.convolve(A, B, mode=mode)
    axes = (tuple(axes[0]), tuple(axes[1]))
    dot_axes = (tuple(dot_axes[0]), tuple(dot_axes[1]))
    return _signal.convolve(A, B, mode=mode, axes=axes, dot_axes=dot_axes)
