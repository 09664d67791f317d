"""The functions the engine needs that the Python array API standard lacks, one fallback each.

A primitive implemented with NumPy calls these NumPy functions; on another library's arrays the
engine reaches them through :class:`~.namespaces.ArrayNamespace`, which takes, per library:

1. the library's own function of NumPy's name, where its array-API namespace (array-api-compat's,
   which re-exports the library: CuPy, PyTorch, Dask, JAX) has one, since it is the fast one;
2. else the fallback below, written with the standard's functions only (array-api-strict, and any
   library that keeps to the standard).

Each fallback gives NumPy's result: exactly where NumPy's is exact (``fmod``), to rounding where
NumPy's is rounded (``cbrt``, ``einsum``). ``tests/test_array_api_strict.py`` runs them on
array-api-strict arrays through the operator registry.
"""

from __future__ import annotations

import importlib

from wengert.errors import BackendError


def exp2(ns, x):
    """``2 ** x``: ``pow(2, x)``."""
    return ns.pow(2.0, x)


def cbrt(ns, x):
    """The real cube root, negative for negative ``x``: ``sign(x) |x|^(1/3)``."""
    return ns.sign(x) * ns.pow(ns.abs(x), 1.0 / 3.0)


def fmod(ns, x, y):
    """C's ``fmod``: the remainder of ``x / y`` with ``x``'s sign, exactly.

    The standard's ``remainder`` has ``y``'s sign; where the two signs differ and the remainder is not
    zero, ``fmod = remainder - y`` (both exact: the result is a difference of two floats a multiple of
    ``y`` apart, representable).
    """
    r = ns.remainder(x, y)
    return ns.where((r != 0) & (ns.signbit(r) != ns.signbit(x)), r - y, r)


def einsum(ns, spec: str, *operands, optimize=False):
    """Einstein summation (an explicit ``spec``, no ellipsis): each operand's repeated letters taken on
    their diagonal, the operands aligned on one order of all letters (``permute_dims`` and ``reshape``
    with unit axes), multiplied with broadcasting, and the letters not in the output summed.

    The product is formed whole before the sum, so it costs the memory of every letter at once: the
    libraries that serve large contractions (CuPy, PyTorch, Dask, JAX) have an ``einsum`` of their
    own, which the backend takes instead. ``optimize`` (NumPy's contraction order) has no effect here.
    """
    inputs, output = spec.replace(" ", "").split("->")
    terms = inputs.split(",")
    letters = sorted(set(inputs))
    aligned = []
    for term, operand in zip(terms, operands):
        operand, term = _diagonal_of_repeats(ns, operand, term)
        order = [term.index(letter) for letter in letters if letter in term]
        operand = ns.permute_dims(operand, tuple(order))
        present = iter(operand.shape)
        aligned.append(ns.reshape(operand, tuple(next(present) if letter in term else 1 for letter in letters)))
    product = aligned[0]
    for operand in aligned[1:]:
        product = product * operand
    summed = tuple(i for i, letter in enumerate(letters) if letter not in output)
    if summed:
        product = ns.sum(product, axis=summed)
    kept = [letter for letter in letters if letter in output]
    return ns.permute_dims(product, tuple(kept.index(letter) for letter in output))


def _diagonal_of_repeats(ns, operand, term: str):
    """``operand`` with each letter repeated in ``term`` taken on its diagonal (``'ii' -> 'i'``), and the term."""
    while len(set(term)) < len(term):
        letter = next(c for c in term if term.count(c) > 1)
        first, second = term.index(letter), term.index(letter, term.index(letter) + 1)
        rest = [k for k in range(len(term)) if k not in (first, second)]
        operand = ns.permute_dims(operand, tuple(rest + [first, second]))
        n = operand.shape[-1]
        flat = ns.reshape(operand, tuple(operand.shape[:-2]) + (n * n,))
        operand = ns.take(flat, ns.arange(0, n * n, n + 1, device=ns.device), axis=-1)
        term = "".join(term[k] for k in rest) + letter
    return operand, term


def argwhere(ns, x):
    """The indices of the nonzero elements, one row each: ``stack(nonzero(x), axis=-1)``."""
    return ns.stack(ns.nonzero(x), axis=-1)


def unique(ns, x, **options):
    """NumPy's ``unique`` without options: the distinct values of the flattened ``x``, sorted (the standard's
    ``unique_values`` leaves their order open)."""
    if any(options.values()):
        raise BackendError(
            f"unique with {', '.join(k for k, v in options.items() if v)}: not in the array API standard's terms "
            f"that wengert has a fallback for on {ns.name} arrays; call it on NumPy arrays."
        )
    return ns.sort(ns.unique_values(ns.reshape(x, (-1,))))


FALLBACKS = {
    "exp2": exp2,
    "cbrt": cbrt,
    "fmod": fmod,
    "einsum": einsum,
    "argwhere": argwhere,
    "unique": unique,
}
"""NumPy's name -> its fallback ``f(ns, *args, **kwargs)`` in the standard (``ns``: the :class:`ArrayNamespace`)."""

STANDARD_NAMES = {
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "arctan2": "atan2",
    "power": "pow",
    "absolute": "abs",
    "conjugate": "conj",
    "rint": "round",
    "transpose": "permute_dims",
    "concatenate": "concat",
    "cumsum": "cumulative_sum",
}
"""NumPy's name -> the standard's, for the functions the standard has under another name (same semantics)."""

SPECIAL_MODULES = {
    "jax.numpy": "jax.scipy.special",
    "torch": "torch.special",
}
"""Array library (its array-API namespace's name) -> its own module of SciPy's special functions, under SciPy's
names and argument order: the functions SciPy itself hands such arrays to under ``SCIPY_ARRAY_API=1``. The
standard has no special functions, and a library not listed here (array-api-strict) has none that wengert uses.
CuPy's (``cupyx.scipy.special``) waits for a test on a GPU."""


def special_function(ns, name: str):
    """``scipy.special.<name>`` of ``ns``'s library (:data:`SPECIAL_MODULES`); refused, naming the function and
    the library, where it has none."""
    module_name = SPECIAL_MODULES.get(ns.name)
    function = getattr(importlib.import_module(module_name), name, None) if module_name else None
    if function is None:
        where = f"{module_name} has no {name}" if module_name else f"{ns.name} has no special functions of its own"
        raise BackendError(
            f"{name}: not in the array API standard, and {where}; call it on NumPy arrays "
            "(or add the library's module to SPECIAL_MODULES in wengert/_src/backend/fallbacks.py)."
        )
    return function
