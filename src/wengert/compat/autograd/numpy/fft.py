"""``autograd.numpy.fft``: ``wengert.numpy.fft``, NumPy's FFTs differentiable in both modes and in complex.

autograd and wengert share the complex convention (docs/complex.md), so
gradients through an FFT are the numbers autograd gives.
"""

from wengert.numpy.fft import *  # noqa: F403 - the namespace is the face's
from wengert.numpy.fft import __all__  # noqa: F401
