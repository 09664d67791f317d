"""The refusal of complex values by every transform that differentiates.

wengert's derivative rules are written for real numbers. A complex value in
the middle of a function (``x * 1j``, ``x + 0j``, ``x.astype(complex)``, a
Hermitian ``x * H``) would go through them and come out a wrong number with no
error: ``|x i|^2`` has derivative ``2 x``, but the real rule ``d|z| = sign(z) dz``
gives ``-2 x``. Until complex numbers are differentiated (a later issue), each
differentiating interpreter (the reverse tape, forward mode, linearize,
transposition, the Tensor graph) asks :func:`refuse_complex` about every
value it is about to give a derivative, and raises a :class:`DtypeError` that
names the operation and the user's line.

Complex values that carry no derivative are untouched: NumPy code on complex
constants, ``wengert.check``'s complex-step differences (which evaluate a
function at complex points with no transform active), and complex arrays
under ``vmap`` or ``jit``.
"""

from __future__ import annotations

from wengert.errors import DtypeError

from ..backend import dtype_of, xp
from ..core.source_info import user_frame_summary

COMPLEX_DTYPES = frozenset(
    dtype
    for kind in (xp.complex64, xp.complex128, xp.clongdouble)
    for dtype in (xp.dtype(kind), xp.dtype(kind).newbyteorder())
)
"""The complex dtypes, in both byte orders: ``dtype in COMPLEX_DTYPES`` is the interpreters' test, twice as
fast as ``dtype.kind == "c"`` (it runs once per recorded operation)."""


def refuse_complex(operation: str, values, transform: str) -> None:
    """Raise if one of ``values`` (results of ``operation`` about to carry a derivative) is complex.

    The interpreters' hot paths make the same test inline for a single result.
    """
    for value in values:
        if value.dtype in COMPLEX_DTYPES:
            raise complex_derivative_error(operation, value.dtype, transform)


def complex_derivative_error(operation: str, dtype, transform: str) -> DtypeError:
    """The error for a complex value that a derivative would flow through."""
    return DtypeError(
        f"{transform}: `{operation}` made a complex value (dtype {dtype}) that a derivative flows through, at "
        f"{user_frame_summary()}. wengert does not differentiate complex numbers yet (its rules are those of "
        "real numbers, so the derivative would be wrong). Write the computation with real arrays: split it into "
        "real and imaginary parts by hand (x * (a + bj) is re = a * x, im = b * x, and its abs is "
        "wnp.sqrt(re**2 + im**2)); or, if no derivative should flow through the complex part, apply "
        "wengert.stop_gradient to the real value before it meets the complex number."
    )


def refuse_complex_seed(value, transform: str, what: str) -> None:
    """Raise if ``value``, a primal, tangent or cotangent handed to ``transform``, is complex.

    Converting a complex tangent to its primal's real dtype would drop the imaginary part
    without a word (NumPy only warns).
    """
    dtype = dtype_of(value)
    if dtype.kind == "c":
        raise DtypeError(
            f"{transform}: {what} is complex (dtype {dtype}), at {user_frame_summary()}; wengert does not "
            "differentiate complex numbers yet. Pass real arrays (split a complex one into its real and "
            "imaginary parts by hand, and pass each)."
        )
