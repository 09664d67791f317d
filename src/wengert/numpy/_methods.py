"""NumPy's operators and methods on traced values.

The core's ``Tracer`` knows nothing of NumPy's API; this module installs it
(``x + y``, ``x @ y``, ``x.sum(1)``, ``x.T``, ``x[i, ::2]``, ``x.at[i]`` ...),
so a traced value behaves like the array it stands for. NumPy ufuncs called
on a tracer (``np.sin(x)``, ``array + x``) are routed to the matching
``wengert.numpy`` function.
"""

from wengert._src.backend import xp
from wengert._src.core.primitive import Primitive, Tracer
from wengert._src.core.source_info import user_frame_summary
from wengert.errors import InPlaceError, TracerError

from . import _contract, _indexing, _math, _reductions, _shape


def _swap(fn):
    return lambda self, other: fn(other, self)


def _operator(prim: Primitive, reflected: bool = False):
    """``self <op> other`` for a binary primitive (``other <op> self`` when ``reflected``).

    Handed straight to ``self``'s trace when ``other`` belongs to no higher level: what
    ``Primitive.__call__`` would do after its search, one call sooner (arithmetic is most of
    what a traced function does).
    """

    def method(self, other):
        args = (other, self) if reflected else (self, other)
        trace = self._trace
        if (isinstance(other, Tracer) and other._trace.level > trace.level) or not trace.active:
            return prim(*args)  # the higher level's trace, or the error for a leaked tracer
        return trace.process(prim, args, {})

    method.__name__ = prim.name
    return method


def _power_operator():
    """``self ** other``, with NumPy's fast path: a float ``x ** 2`` is ``np.square(x)`` (``np.power``
    costs three times as much), the ``square`` primitive, whose derivative is pow's, ``2 x``."""
    power = _operator(_math.power)

    def method(self, other):
        if other.__class__ in (int, float) and other == 2 and self.dtype.kind == "f":
            return _math.square(self)
        return power(self, other)

    method.__name__ = "pow"
    return method


def _reshape_method(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = shape[0]
    return _shape.reshape(self, shape, order)


def _transpose_method(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = axes[0]
    return _shape.transpose(self, axes or None)


def _iter(self):
    if not self.shape:
        raise TypeError("iteration over a 0-d traced array")
    return (self[i] for i in range(self.shape[0]))


def _item(self, *args):
    return self.concrete_number(".item()").item(*args)


def _tolist(self):
    return self.concrete_number(".tolist()").tolist()


_FACE_OF_UFUNC: dict = {}
"""Each NumPy ufunc that ``wengert.numpy`` has a function of the same name for, mapped to that
function (derived from the namespace on first use, not listed: a function added to the face is
reached from ``np.<ufunc>(tracer)`` too)."""


_FACE: dict = {}
"""The ``wengert.numpy`` namespace, handed to :func:`install` by the package (which imports this module)."""


def _face_of(ufunc):
    """The ``wengert.numpy`` function computing ``ufunc``, or None."""
    if not _FACE_OF_UFUNC:
        for name in sorted(_FACE):
            numpy_function = getattr(xp, name, None)
            if isinstance(numpy_function, xp.ufunc):
                _FACE_OF_UFUNC.setdefault(numpy_function, _FACE[name])
    return _FACE_OF_UFUNC.get(ufunc)


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if kwargs.get("out") is not None:
        raise InPlaceError(
            f"np.{ufunc.__name__} would write into an array in place with a traced value, at "
            f"{user_frame_summary()}; traced arrays are immutable: write `y = x + v` or use "
            "`x.at[idx].set(...)`."
        )
    face = _face_of(ufunc) if method == "__call__" and not kwargs else None
    if face is None:
        raise TracerError(
            f"np.{ufunc.__name__}.{method} cannot differentiate a traced value, at "
            f"{user_frame_summary()}; use wengert.numpy (`import wengert.numpy as wnp`)."
        )
    return face(*inputs)


def _as_method(fn):
    """``fn`` as a method of ``Tracer``. Primitives are callable objects, not functions, so they
    don't bind ``self``: they get a function that calls them."""
    if not isinstance(fn, Primitive):
        return fn

    def method(self, *others):
        return fn(self, *others)

    method.__name__ = fn.name
    return method


def _without_out(fn):
    """A reduction method that accepts NumPy's ``out=None`` (``np.sum(x)`` passes it) but no buffer."""

    def method(self, *args, out=None, **kwargs):
        if out is not None:
            raise InPlaceError(
                f"{fn.__name__}(out=...) would write into an array in place, at {user_frame_summary()}; "
                "traced arrays are immutable: use the returned value."
            )
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    return method


def install(face: dict) -> None:
    """Give ``Tracer`` NumPy's operators and methods; ``face`` is the ``wengert.numpy`` namespace (ufuncs map to it)."""
    _FACE.update(face)
    m, r = _math, _reductions
    methods = {
        "__add__": _operator(m.add), "__radd__": _operator(m.add, reflected=True),
        "__sub__": _operator(m.subtract), "__rsub__": _operator(m.subtract, reflected=True),
        "__mul__": _operator(m.multiply), "__rmul__": _operator(m.multiply, reflected=True),
        "__truediv__": _operator(m.divide), "__rtruediv__": _operator(m.divide, reflected=True),
        "__floordiv__": _operator(m.floor_divide), "__rfloordiv__": _operator(m.floor_divide, reflected=True),
        "__mod__": _operator(m.remainder), "__rmod__": _operator(m.remainder, reflected=True),
        "__pow__": _power_operator(), "__rpow__": _operator(m.power, reflected=True),
        "__matmul__": _contract.matmul, "__rmatmul__": _swap(_contract.matmul),
        "__neg__": m.negative, "__pos__": m.positive, "__abs__": m.abs,
        "__lt__": m.less, "__le__": m.less_equal, "__gt__": m.greater, "__ge__": m.greater_equal,
        "__eq__": m.equal, "__ne__": m.not_equal,
        "__and__": m.logical_and, "__or__": m.logical_or, "__xor__": m.logical_xor,
        "__invert__": m.logical_not,
        "__getitem__": _indexing.getitem, "__setitem__": _indexing.setitem_error,
        "__iter__": _iter, "__array_ufunc__": _array_ufunc,
        "sum": r.sum, "mean": r.mean, "prod": r.prod, "var": r.var, "std": r.std,
        "max": r.max, "min": r.min, "ptp": r.ptp, "argmax": r.argmax, "argmin": r.argmin,
        "cumsum": r.cumsum, "cumprod": r.cumprod, "all": r.all, "any": r.any,
        "reshape": _reshape_method, "transpose": _transpose_method,
        "ravel": _shape.ravel, "flatten": _shape.ravel, "squeeze": _shape.squeeze,
        "swapaxes": _shape.swapaxes, "repeat": _shape.repeat, "take": _shape.take,
        "diagonal": _shape.diagonal, "trace": _contract.trace, "dot": _contract.dot,
        "clip": m.clip, "round": m.round, "astype": m.astype, "conj": m.conj,
        "conjugate": m.conj, "item": _item,
        "argsort": _shape.argsort, "sort": _shape.sort,
        "copy": lambda self: self, "tolist": _tolist,
    }
    for name in ("sum", "mean", "prod", "var", "std", "max", "min", "ptp", "argmax", "argmin", "cumsum",
                 "cumprod", "all", "any", "clip", "round", "take", "repeat", "trace", "sort", "argsort"):
        methods[name] = _without_out(methods[name])
    for name, fn in methods.items():
        setattr(Tracer, name, _as_method(fn))
    Tracer.T = property(lambda self: _shape.transpose(self))
    Tracer.mT = property(_shape.matrix_transpose)
    Tracer.at = property(_indexing.at)
    Tracer.real = property(m.real, doc="The real part, as ndarray.real (the array itself for a real one).")
    Tracer.imag = property(m.imag, doc="The imaginary part, as ndarray.imag (zeros for a real array).")
