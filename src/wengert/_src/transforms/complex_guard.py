"""The gate for complex values under differentiation: the primitives proven in complex, and the refusal of the rest.

wengert differentiates complex numbers with JAX's convention (docs/complex.md): a JVP is the
complex-linear push-forward of the tangent, and a VJP is the *transpose* of that map, not its
conjugate transpose, for the pairing ``<ct, t> = Re(ct t)``. A rule written for real numbers is
right in complex only if its formula is: ``d exp(z) = exp(z) dz`` is, ``d|x| = sign(x) dx`` is not
(``|x i|^2`` would get the derivative ``-2 x``). So only the primitives in
:data:`COMPLEX_DIFFERENTIABLE`, each tested against finite differences in the real and imaginary
directions and against JAX, may carry a derivative through a complex value; every other one that
makes a complex value, or reads one, under a differentiating transform raises a
:class:`DtypeError` that names the operation, the user's line and the primitives that do.

The real path pays nothing new: an interpreter tests a result's dtype against
:data:`COMPLEX_DTYPES` as before, and only when a complex value appears (or a complex input is
given) does its trace become the complex-aware subclass that also checks each primitive's
arguments (see ``ReverseTrace.admit_complex``).

Complex values that carry no derivative are untouched: NumPy code on complex constants,
``wengert.check``'s complex-step differences, and complex arrays under ``vmap`` or ``jit``.
"""

from __future__ import annotations

from wengert.errors import DtypeError

from ..backend import dtype_of, xp
from ..core.primitive import Tracer
from ..core.source_info import user_frame_summary
from ..primitives import contractions, elementwise, fourier, indexing, linalg, reductions, special, structural

COMPLEX_DTYPES = frozenset(
    dtype
    for kind in (xp.complex64, xp.complex128, xp.clongdouble)
    for dtype in (xp.dtype(kind), xp.dtype(kind).newbyteorder())
)
"""The complex dtypes, in both byte orders: ``dtype in COMPLEX_DTYPES`` is the interpreters' test, twice as
fast as ``dtype.kind == "c"`` (it runs once per recorded operation)."""

COMPLEX_DIFFERENTIABLE = frozenset(
    {
        # holomorphic elementwise: the real formula f'(z) is the complex one
        elementwise.neg,
        elementwise.add,
        elementwise.subtract,
        elementwise.multiply,
        elementwise.divide,
        elementwise.power,
        elementwise.square,
        elementwise.exp,
        elementwise.log,
        elementwise.sin,
        elementwise.cos,
        elementwise.tan,
        elementwise.sinh,
        elementwise.cosh,
        elementwise.tanh,
        elementwise.sqrt,
        elementwise.exp2,
        elementwise.expm1,
        elementwise.log2,
        elementwise.log10,
        elementwise.log1p,
        elementwise.arcsin,
        elementwise.arccos,
        elementwise.arctan,
        elementwise.arcsinh,
        elementwise.arctanh,
        elementwise.arccosh,
        special.erf,
        special.erfc,
        elementwise.where,
        # not holomorphic, with rules of their own
        elementwise.real,
        elementwise.imag,
        elementwise.conj,
        elementwise.absolute,
        structural.astype,
        # linear, and their rules never conjugate
        structural.reshape,
        structural.transpose,
        structural.broadcast_to,
        structural.flip,
        structural.reduce_sum,
        structural.reduce_mean,
        # selections of the extremum (NumPy's lexicographic order in complex): g / ties where x equals it
        reductions.reduce_max,
        reductions.reduce_min,
        indexing.getitem,
        indexing.index_add,
        indexing.concatenate,
        indexing.unstack,
        indexing.take,
        indexing.take_add,
        indexing.pad,
        contractions.matmul,
        contractions.einsum,
        contractions.tensordot,
        # linear algebra whose rules transpose and never conjugate: d(A⁻¹) = -A⁻¹ dA A⁻¹, Ā = -A⁻ᵀ Ḡ A⁻ᵀ
        linalg.inv,
        linalg.solve,
        # Hermitian eigenvectors and singular vectors, by JAX's rules (dw = Re diag(Vᴴ dA V), ...), transposed
        linalg.eigh,
        linalg.svd,
        # linear, transposed (never conjugated): docs of ``primitives/fourier.py``
        fourier.fft,
        fourier.ifft,
        fourier.rfft,
        fourier.irfft,
    }
)
"""The primitives whose rules are proven right in complex (registry cases in ``tests/registry/complex_cases.py``)."""


def supported_names() -> str:
    """The names of :data:`COMPLEX_DIFFERENTIABLE`, sorted, for error messages and docs."""
    return ", ".join(sorted(prim.name for prim in COMPLEX_DIFFERENTIABLE))


def complex_derivative_error(operation: str, dtype, transform: str) -> DtypeError:
    """The error for a complex value (of ``dtype``) that a derivative would flow through ``operation``."""
    return DtypeError(
        f"{transform}: `{operation}` meets a complex value (dtype {dtype}) that a derivative flows through, at "
        f"{user_frame_summary()}, and {transform} has no complex derivative rule for `{operation}` (its rule is "
        "one of real numbers, so the derivative would be wrong). The functional transforms (grad, vjp, jvp, "
        f"jacrev, jacfwd, linearize) differentiate these primitives in complex: {supported_names()} (JAX's "
        "convention, docs/complex.md); the Tensor face none. Write the computation with those, or split it into "
        "real and imaginary parts by hand (x * (a + bj) is re = a * x, im = b * x, and its abs is "
        "wnp.sqrt(re**2 + im**2)); or, if no derivative should flow through the complex part, apply "
        "wengert.stop_gradient to the value before it meets the complex number."
    )


def refuse_complex(operation: str, values, transform: str) -> None:
    """Raise if one of ``values`` (results of ``operation`` about to carry a derivative) is complex.

    For the operations that never have a complex rule (the Tensor face's graph, linear_transpose of an
    unproven primitive). Custom calls (``custom_jvp``, ``custom_vjp``, autograd's ``primitive``) bring
    their own rules and pass: the user answers for them following docs/complex.md, as in JAX and autograd.
    """
    for value in values:
        if value.dtype in COMPLEX_DTYPES:
            raise complex_derivative_error(operation, value.dtype, transform)


def refuse_unproven_complex(prim, args, results, trace, transform: str) -> None:
    """Raise if ``prim``, not in :data:`COMPLEX_DIFFERENTIABLE`, reads or makes a complex value of ``trace``.

    ``args`` are the primitive's arguments (this trace's tracers among them are what a derivative
    flows through), ``results`` its outputs. A proven primitive passes, and so does one without
    derivative (a comparison, ``sign``): its result carries none.
    """
    if prim in COMPLEX_DIFFERENTIABLE or prim.jvps is None:
        return
    for value in results:
        if value.dtype in COMPLEX_DTYPES:
            raise complex_derivative_error(prim.name, value.dtype, transform)
    for arg in args:
        if isinstance(arg, Tracer) and arg._trace is trace and arg.dtype in COMPLEX_DTYPES:
            raise complex_derivative_error(prim.name, arg.dtype, transform)


class ChecksComplexArguments:
    """A trace mixin: before its ``process``, refuse a primitive not proven in complex that reads a complex value
    of this trace. A trace becomes its complex-aware subclass (this mixin first) when its first complex value
    appears, so the real path never runs this check. ``transform`` names the interpreter in errors."""

    __slots__ = ()
    transform = ""

    def process(self, prim, args, params):
        refuse_unproven_complex(prim, args, (), self, self.transform)
        return super().process(prim, args, params)


def refuse_complex_seed(value, transform: str, what: str, primal=None) -> None:
    """Raise if ``value``, a tangent or cotangent handed to ``transform``, is complex while its ``primal`` is real.

    Converting a complex tangent to its primal's real dtype would drop the imaginary part
    without a word (NumPy only warns). ``primal=None``: the seed belongs to a real value.
    """
    dtype = dtype_of(value)
    if dtype.kind == "c" and (primal is None or dtype_of(primal).kind != "c"):
        raise DtypeError(
            f"{transform}: {what} is complex (dtype {dtype}) but the value it belongs to is real, at "
            f"{user_frame_summary()}; a real value's tangent and cotangent are real. Pass a real array (for a "
            "real value reached through complex ones, the cotangent is the real part, as JAX takes it)."
        )
