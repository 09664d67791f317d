"""Registry cases for ``wengert.numpy.fft`` with real inputs and real outputs, swept like every real case.

An FFT maps reals to complex values, so most cases here are a real function of one:
its real part, or its power spectrum ``|X|^2``. ``irfft`` and ``hfft`` of a real
input are real already, and so are the shifts. Each goes through the complex
primitives (``fft``, ``ifft``, ``rfft``, ``irfft``) inside, with real cotangents
out. The complex cases (complex inputs and outputs) are in ``complex_cases.py``.
"""

from __future__ import annotations

import numpy as np

import wengert.numpy as wnp

from . import OpCase, rng

_R = rng(20261207)


def _fourier(name: str, args: tuple, outer: str | None = None, autograd: bool = True, **kwargs) -> OpCase:
    """``outer(m.fft.<name>(*args, **kwargs))`` in wengert, NumPy, autograd and JAX (``outer``: real or power).

    ``autograd=False`` where HIPS autograd cannot be compared: it refuses real transforms of odd length,
    has no rule for ``hfft``/``ihfft`` nor a JVP for ``irfftn``, and scales the ``norm="forward"`` VJP
    of ``rfftn`` wrongly (JAX and finite differences agree with wengert there).
    """

    def fn(m, *a):
        y = getattr(m.fft, name)(*a, **kwargs)
        if outer == "real":
            return m.real(y)
        if outer == "power":
            return m.abs(y) ** 2
        return y

    suffix = ",".join([*([outer] if outer else []), *(f"{k}={v}" for k, v in kwargs.items())])
    return OpCase(
        name=f"wnp.fft.{name}" + (f"[{suffix}]" if suffix else ""),
        fn=lambda *a: fn(wnp, *a),
        args=args,
        numpy_fn=lambda *a: fn(np, *a),
        autograd_fn=fn if autograd else None,
        jax_fn=fn,
    )


_V = _R.standard_normal(8)
_ODD = _R.standard_normal(7)
_M = _R.standard_normal((3, 4))
_T = _R.standard_normal((2, 3, 4))

CASES = [
    _fourier("fft", (_V,), "real"),
    _fourier("fft", (_V,), "power", n=5),
    _fourier("fft", (_M,), "power", axis=0, n=6, norm="ortho"),
    _fourier("ifft", (_V,), "real", norm="forward"),
    _fourier("ifft", (_ODD,), "power"),
    _fourier("fft2", (_M,), "real"),
    _fourier("ifft2", (_M,), "power", s=(2, 5)),
    _fourier("fftn", (_T,), "power", axes=(0, 2)),
    _fourier("ifftn", (_T,), "real", norm="ortho"),
    _fourier("rfft", (_V,), "power"),
    _fourier("rfft", (_ODD,), "real", autograd=False, n=9, norm="ortho"),
    _fourier("rfft2", (_M,), "power"),
    _fourier("rfftn", (_T,), "power", autograd=False, norm="forward"),
    _fourier("irfft", (_V,)),
    _fourier("irfft", (_ODD,), autograd=False, n=11, norm="ortho"),
    _fourier("irfft", (_M,), axis=0),
    _fourier("irfft2", (_M,), autograd=False, s=(3, 5)),
    _fourier("irfftn", (_T,), autograd=False, norm="forward"),
    _fourier("hfft", (_ODD,), autograd=False),
    _fourier("ihfft", (_V,), "power", autograd=False, norm="ortho"),
    _fourier("fftshift", (_M,)),
    _fourier("fftshift", (_T,), axes=(0, 2)),
    _fourier("ifftshift", (_ODD,)),
]
