"""Arrays of libraries other than NumPy: their array API namespace, as the engine reads it.

NumPy arrays never come here: the engine calls NumPy directly (``backend.xp``), so they pay
nothing for the other libraries. An array of another library (array-api-strict, CuPy, PyTorch ...)
is recognised once, where it enters a transform (:func:`foreign_namespace`), and its library found
with array-api-compat's ``array_namespace``, as SciPy and scikit-learn find theirs at the entry of
each public function. :class:`ArrayNamespace` is that library on one device, seen through NumPy's
names: the standard's function where the standard has it (under its own name, ``asin`` for
``arcsin``), the library's own or a fallback (``fallbacks.py``) where it does not, the dtypes
translated both ways, and NumPy values lifted onto the device (``lift``).
"""

from __future__ import annotations

import sys

import numpy as np

from wengert.errors import BackendError, MissingDependencyError

from .fallbacks import FALLBACKS, STANDARD_NAMES

_DTYPE_NAMES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
)


class ArrayNamespace:
    """One array library on one device, as the engine reads it.

    ``ns.<numpy name>`` is the function the engine means by NumPy's name, resolved on first use and
    kept as an attribute: ``ns.arcsin`` is the standard's ``asin``, ``ns.exp`` its ``exp``,
    ``ns.einsum`` the library's own ``einsum`` or the fallback in the standard. Dtypes are NumPy's on
    the engine's side (``numpy_dtype``: what a traced value's ``dtype`` says) and the library's on
    its side (``dtype``).
    """

    def __init__(self, module, device, writeable: bool = True):
        self.module = module
        self.device = device
        self.writeable = writeable  # whether its arrays take ``x[i] = v`` (JAX's do not)
        self.name = module.__name__.removeprefix("array_api_compat.")
        pairs = [(getattr(module, name), np.dtype(name)) for name in _DTYPE_NAMES if hasattr(module, name)]
        self._numpy_dtypes = dict(pairs)
        self._dtypes = {numpy: own for own, numpy in pairs}

    def __getattr__(self, name: str):
        """The function NumPy calls ``name``, on this library (reached once per name; kept after)."""
        if name.startswith("_"):
            raise AttributeError(name)
        module = self.module
        standard = STANDARD_NAMES.get(name, name)
        if name not in FALLBACKS and hasattr(module, standard):
            function = getattr(module, standard)
        elif name in FALLBACKS and hasattr(module, name):
            function = getattr(module, name)  # the library's own (CuPy's einsum), faster than the fallback
        elif name in FALLBACKS:
            fallback = FALLBACKS[name]

            def function(*args, **kwargs):
                return fallback(self, *args, **kwargs)

            function.__name__ = name
        else:
            raise BackendError(
                f"{name}: not in the array API standard, and wengert has no fallback for it on {self.name} arrays. "
                "Run this function on NumPy arrays, or add a fallback to wengert/_src/backend/fallbacks.py."
            )
        setattr(self, name, function)
        return function

    def numpy_dtype(self, dtype) -> np.dtype:
        """The NumPy dtype of this library's ``dtype``."""
        try:
            return self._numpy_dtypes[dtype]
        except KeyError:
            if not isinstance(dtype, np.dtype):
                raise
            self._numpy_dtypes[dtype] = dtype  # a library whose arrays carry NumPy's dtypes (JAX)
            return dtype

    def dtype(self, numpy_dtype):
        """This library's dtype for a NumPy dtype (or anything ``np.dtype`` reads: ``float``, ``"f4"``)."""
        try:
            return self._dtypes[np.dtype(numpy_dtype)]
        except KeyError:
            dtype = np.dtype(numpy_dtype)
            raise BackendError(f"{self.name} has no dtype {dtype} (the standard's dtypes only)") from None

    def lift(self, value):
        """A NumPy array or scalar as an array of this library, on its device (a copy to the device)."""
        return self.module.asarray(value, dtype=self.dtype(value.dtype), device=self.device, copy=True)

    def __repr__(self) -> str:
        return f"ArrayNamespace({self.name}, device={self.device!r})"


_NAMESPACES: dict = {}


def is_foreign_array(value) -> bool:
    """Whether ``value`` is an array of an array-API library other than NumPy (a NumPy scalar is NumPy's): one
    with the standard's ``__array_namespace__``, or a PyTorch tensor (array-api-compat's namespace serves it).
    Answered once per type (the NumPy face asks it of the Python numbers it is given)."""
    kind = type(value)
    foreign = _FOREIGN_TYPES.get(kind)
    if foreign is None:
        foreign = _FOREIGN_TYPES[kind] = _is_foreign_type(kind)
    return foreign


_FOREIGN_TYPES: dict = {np.ndarray: False}


def _is_foreign_type(kind: type) -> bool:
    if hasattr(kind, "__array_namespace__"):
        return not issubclass(kind, np.generic)
    torch = sys.modules.get("torch")  # a tensor's type exists only once torch is imported
    return torch is not None and issubclass(kind, torch.Tensor)


def namespace_of(array) -> ArrayNamespace:
    """The :class:`ArrayNamespace` of a foreign array: its library (array-api-compat's) on its device."""
    try:
        import array_api_compat
    except ImportError:
        raise MissingDependencyError(
            f"a {type(array).__module__}.{type(array).__name__} array needs array-api-compat to reach its library "
            "through the array API standard: pip install 'wengert[array-api]'."
        ) from None
    module, device = array_api_compat.array_namespace(array), array_api_compat.device(array)
    key = (module.__name__, device)
    namespace = _NAMESPACES.get(key)
    if namespace is None:
        namespace = _NAMESPACES[key] = ArrayNamespace(module, device, array_api_compat.is_writeable_array(array))
    return namespace


def foreign_namespace(leaves) -> ArrayNamespace | None:
    """The namespace of the foreign arrays among ``leaves``; ``None`` if all are NumPy's (or numbers, tracers).

    Refused: arrays of two libraries, or of one library on two devices.
    """
    found = None
    for leaf in leaves:
        if leaf.__class__ is not np.ndarray and is_foreign_array(leaf):
            namespace = namespace_of(leaf)
            if found is not None and namespace is not found:
                raise BackendError(
                    f"arrays of {found.name} on {found.device!r} and of {namespace.name} on {namespace.device!r} "
                    "in one call; move them to one library and device first."
                )
            found = namespace
    return found
