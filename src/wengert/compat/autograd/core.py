"""autograd's core: ``make_vjp``/``make_jvp`` of one argument, the ``def*`` rule setters, and vector spaces.

The rule setters keep autograd's signatures:

- ``defvjp(fun, *vjpmakers, argnums=...)``: ``vjpmaker(ans, *args, **kwargs) -> (g -> cotangent)``,
  one per argument (``None``: the derivative in that argument is zero);
- ``defjvp(fun, *jvpmakers, argnums=...)``: ``jvpmaker(g, ans, *args, **kwargs) -> tangent``
  (``None``: zero; ``"same"``: ``fun`` is linear in that argument);
- ``defvjp_argnum(fun, vjpmaker)``: ``vjpmaker(argnum, ans, args, kwargs) -> (g -> cotangent)``;
- ``defjvp_argnum(fun, jvpmaker)``: ``jvpmaker(argnum, g, ans, args, kwargs) -> tangent``;
- ``defvjp_argnums`` / ``defjvp_argnums``: one rule for all the differentiated arguments at once;
- ``def_linear(fun)``: ``fun`` is linear in each argument, so its JVP is ``fun`` itself.

The rules are written with ``autograd.numpy`` (``wengert.numpy``), so they are
differentiated in turn: a primitive with a VJP works to every order in reverse mode,
and with a JVP to every order in forward and reverse mode.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from itertools import count

import numpy as _np

import wengert
import wengert.numpy as wnp
from wengert._src.backend import dtype_of, shape_of
from wengert._src.core.primitive import new_trace
from wengert._src.core.pytree import tree_flatten, tree_unflatten
from wengert._src.transforms.inputs import as_float_input
from wengert._src.transforms.reverse import ReverseTrace, ReverseTracer
from wengert.errors import ArgumentError, ShapeError

from ._graph import VJPNode, backward_pass
from ._user_spaces import UserNode
from .tracer import Box, Primitive, getval, isbox, notrace_primitive, primitive, register_notrace

__all__ = [
    "Box",
    "SparseObject",
    "VJPNode",
    "VSpace",
    "backward_pass",
    "def_linear",
    "defjvp",
    "defjvp_argnum",
    "defjvp_argnums",
    "defvjp",
    "defvjp_argnum",
    "defvjp_argnums",
    "getval",
    "isbox",
    "make_jvp",
    "make_vjp",
    "notrace_primitive",
    "primitive",
    "primitive_vjps",
    "register_notrace",
    "vspace",
]

_TOKEN = _np.zeros(())
"""The tape input standing for a value of a program's own vector space (``_user_spaces``)."""

primitive_vjps: dict = {}
"""autograd's table of VJP makers by primitive. wengert keeps each rule on its primitive, so
this stays empty; code that reads it or pops from it (as autograd's tests do) keeps running."""


def make_vjp(fun: Callable, x):
    """``(vjp, fun(x))``, where ``vjp(g)`` pulls a cotangent ``g`` of the output back to ``x`` (autograd's order).

    As autograd's: ``fun`` runs once on a new reverse-mode level, and each ``vjp(g)`` walks its
    tape back (``x`` and the output are pytrees). A leaf of a type registered with ``Box.register``
    reaches ``fun`` in its box, and its cotangent is a value of its own ``VSpace`` (``_user_spaces``).
    Like autograd, and unlike ``wengert.vjp``, no copy of ``x`` or of the output is kept: write into
    them only after the last ``vjp`` call.
    """
    leaves, in_tree = tree_flatten(x)
    users = [i for i, leaf in enumerate(leaves) if type(leaf) in Box.type_mappings] if Box.type_mappings else []
    with new_trace(ReverseTrace) as level:
        inputs = level.new_inputs(
            [
                _TOKEN if i in users else as_float_input(leaf, "make_vjp", "input leaf", i)
                for i, leaf in enumerate(leaves)
            ]
        )
        boxed = list(inputs)
        for i in users:  # a value of a program's own vector space: its token stands for it (_user_spaces)
            boxed[i] = Box.type_mappings[type(leaves[i])](leaves[i], level, UserNode(inputs[i], vspace(leaves[i])))
        out_leaves, out_tree = tree_flatten(fun(tree_unflatten(in_tree, boxed)))
        ans = [o._primal if isinstance(o, ReverseTracer) and o._trace is level else o for o in out_leaves]

    def vjp(g):
        cotangents, g_tree = tree_flatten(g)
        if g_tree != out_tree:
            raise ShapeError(f"vjp: the cotangent's structure {g_tree} differs from the output's {out_tree}.")
        checked = []
        for i, (ct, primal) in enumerate(zip(cotangents, ans)):
            if not isbox(ct):
                ct = _np.asarray(ct, dtype=dtype_of(primal))
            if ct.shape != shape_of(primal):
                raise ShapeError(
                    f"vjp: cotangent {i} has shape {ct.shape} but the output has shape {shape_of(primal)}; "
                    "give the cotangent the output's shape."
                )
            checked.append(ct)
        for i in users:
            boxed[i]._node.reset()
        grads = level.backward(out_leaves, checked, inputs)
        grads = [_np.zeros(b.shape, b.dtype) if c is None else c for c, b in zip(grads, inputs)]
        for i in users:
            grads[i] = boxed[i]._node.cotangent()
        return tree_unflatten(in_tree, grads)

    return vjp, tree_unflatten(out_tree, ans)


def make_jvp(fun: Callable, x):
    """``jvp``, where ``jvp(v)`` is ``(fun(x), J v)``: forward mode along ``v`` (one pass per call)."""

    def jvp(v):
        return wengert.jvp(fun, (x,), (v,))

    return jvp


def _check_primitive(fun, setter: str) -> Primitive:
    if not isinstance(fun, Primitive):
        raise ArgumentError(
            f"{setter}: {getattr(fun, '__name__', fun)!r} is not an autograd primitive; wrap the function "
            "with @primitive (from autograd.extend) before giving it derivative rules."
        )
    return fun


def defvjp_argnums(fun: Primitive, vjpmaker: Callable) -> None:
    """Set ``vjpmaker(argnums, ans, args, kwargs) -> (g -> cotangents)``, for every argument."""
    fun = _check_primitive(fun, "defvjp_argnums")
    fun.vjp_argnums, fun.vjp_defined = vjpmaker, None


def defvjp_argnum(fun: Primitive, vjpmaker: Callable) -> None:
    """Set ``vjpmaker(argnum, ans, args, kwargs) -> (g -> cotangent)``, one argument at a time."""

    def vjp_argnums(argnums, ans, args, kwargs):
        vjps = [vjpmaker(argnum, ans, args, kwargs) for argnum in argnums]
        return lambda g: tuple(vjp(g) for vjp in vjps)

    defvjp_argnums(fun, vjp_argnums)


def defvjp(fun: Primitive, *vjpmakers, argnums=None) -> None:
    """Set one ``vjpmaker(ans, *args, **kwargs) -> (g -> cotangent)`` per argument (``None``: zero)."""
    fun = _check_primitive(fun, "defvjp")
    positions = count() if argnums is None else argnums
    rules = {argnum: _translate_vjp(maker, fun, argnum) for argnum, maker in zip(positions, vjpmakers)}

    def vjp_argnums(argnums, ans, args, kwargs):
        vjps = [rules[argnum](ans, *args, **kwargs) for argnum in argnums]
        return lambda g: tuple(vjp(g) for vjp in vjps)

    fun.vjp_argnums, fun.vjp_defined = vjp_argnums, frozenset(rules)


def _translate_vjp(maker, fun: Primitive, argnum: int):
    if maker is None:
        return lambda ans, *args, **kwargs: lambda g: vspace(args[argnum]).zeros()
    if callable(maker):
        return maker
    raise ArgumentError(
        f"defvjp: bad VJP {maker!r} for argument {argnum} of {fun.__name__!r}; give a function or None."
    )


def defjvp_argnums(fun: Primitive, jvpmaker: Callable) -> None:
    """Set ``jvpmaker(argnums, tangents, ans, args, kwargs) -> tangent``, for every argument."""
    fun = _check_primitive(fun, "defjvp_argnums")
    fun.jvp_argnums, fun.jvp_defined = jvpmaker, None


def defjvp_argnum(fun: Primitive, jvpmaker: Callable) -> None:
    """Set ``jvpmaker(argnum, g, ans, args, kwargs) -> tangent``, one argument at a time (summed)."""

    def jvp_argnums(argnums, tangents, ans, args, kwargs):
        return _sum_tangents(jvpmaker(argnum, g, ans, args, kwargs) for argnum, g in zip(argnums, tangents))

    defjvp_argnums(fun, jvp_argnums)


def defjvp(fun: Primitive, *jvpmakers, argnums=None) -> None:
    """Set one ``jvpmaker(g, ans, *args, **kwargs) -> tangent`` per argument (``None``: zero; ``"same"``: linear)."""
    fun = _check_primitive(fun, "defjvp")
    positions = count() if argnums is None else argnums
    rules = {argnum: _translate_jvp(maker, fun, argnum) for argnum, maker in zip(positions, jvpmakers)}

    def jvp_argnums(argnums, tangents, ans, args, kwargs):
        return _sum_tangents(rules[argnum](g, ans, *args, **kwargs) for argnum, g in zip(argnums, tangents))

    fun.jvp_argnums, fun.jvp_defined = jvp_argnums, frozenset(rules)


def _translate_jvp(maker, fun: Primitive, argnum: int):
    if maker is None:
        return lambda g, ans, *args, **kwargs: vspace(ans).zeros()
    if isinstance(maker, str) and maker == "same":
        return lambda g, ans, *args, **kwargs: fun(*_substitute(args, argnum, g), **kwargs)
    if callable(maker):
        return maker
    raise ArgumentError(
        f"defjvp: bad JVP {maker!r} for argument {argnum} of {fun.__name__!r}; give a function, None or 'same'."
    )


def _set_deprecated_vjp(fun: Primitive, setter: str, argnum: int, vjpmaker) -> None:
    warnings.warn(
        f"{fun.__name__}.{setter}(...) is deprecated, as in autograd: use autograd.extend.defvjp.",
        DeprecationWarning,
        stacklevel=3,
    )
    fun.deprecated_vjps[argnum] = vjpmaker
    argnums = sorted(fun.deprecated_vjps)
    defvjp(fun, *[fun.deprecated_vjps[i] for i in argnums], argnums=argnums)


def _deprecated_defgrad(self: Primitive, vjpmaker: Callable, argnum: int = 0) -> None:
    """Deprecated: ``vjpmaker(ans, *args) -> (g -> cotangent)`` for argument ``argnum``."""
    _set_deprecated_vjp(self, "defgrad", argnum, vjpmaker)


def _deprecated_defvjp(self: Primitive, vjp: Callable, argnum: int = 0) -> None:
    """Deprecated: ``vjp(g, ans, vs, gvs, *args) -> cotangent`` for argument ``argnum`` (``vs``, ``gvs``: the
    vector spaces of that argument and of ``g``)."""

    def vjpmaker(ans, *args, **kwargs):
        return lambda g: vjp(g, ans, vspace(args[argnum]), vspace(g), *args, **kwargs)

    _set_deprecated_vjp(self, "defvjp", argnum, vjpmaker)


def _deprecated_defvjp_is_zero(self: Primitive, argnums=(0,)) -> None:
    """Deprecated: the VJP in each of ``argnums`` is zero."""
    for argnum in argnums:
        _set_deprecated_vjp(self, "defvjp_is_zero", argnum, None)


# autograd's rule setters from before ``autograd.extend``, methods of a primitive (deprecated there and kept,
# as here); they live beside the setters they call, which import the primitive's module.
Primitive.defgrad = _deprecated_defgrad
Primitive.defvjp = _deprecated_defvjp
Primitive.defvjp_is_zero = _deprecated_defvjp_is_zero


def def_linear(fun: Primitive) -> None:
    """Declare ``fun`` linear in each argument: its JVP in argument ``i`` is ``fun`` with the tangent there."""
    defjvp_argnum(fun, lambda argnum, g, ans, args, kwargs: fun(*_substitute(args, argnum, g), **kwargs))


def _substitute(args: tuple, argnum: int, value) -> tuple:
    return args[:argnum] + (value,) + args[argnum + 1 :]


def _sum_tangents(tangents):
    total = None
    for tangent in tangents:
        if total is None:
            total = tangent
        else:
            leaves, treedef = tree_flatten(tangent)
            total = tree_unflatten(treedef, [a + b for a, b in zip(tree_flatten(total)[0], leaves)])
    return total


class VSpace:
    """The vector space of a value (autograd's ``vspace(x)``): its shape and dtype, and zeros, ones, bases in it.

    An array or number has an :class:`ArrayVSpace`; a list, tuple or dict of them a
    :class:`ContainerVSpace`; a value of a program's own type the ``VSpace`` subclass registered
    for it (``MyVSpace.register(MyType)``), which defines ``zeros`` and the operations behind
    autograd's public ones: ``add`` calls ``_add``, ``mut_add`` calls ``_mut_add``, ``scalar_mul``
    ``_scalar_mul``, ``inner_prod`` ``_inner_prod`` and ``covector`` ``_covector``. The operations
    on arrays run on traced values too.
    """

    iscomplex = False
    mappings: dict = {}
    """The ``VSpace`` class (or maker) of each registered value type, as in autograd."""

    def __init__(self, value):
        """autograd's spaces are made from a value; a subclass reads what it needs of it."""

    def zeros(self):
        raise NotImplementedError(f"{type(self).__name__} defines no zeros()")

    def ones(self):
        raise NotImplementedError(f"{type(self).__name__} defines no ones()")

    def randn(self):
        raise NotImplementedError(f"{type(self).__name__} defines no randn()")

    def standard_basis(self):
        raise NotImplementedError(f"{type(self).__name__} defines no standard_basis()")

    def add(self, x, y):
        return self._add(x, y)

    def mut_add(self, x_prev, x_new):
        """``x_prev + x_new``, which may reuse ``x_prev`` (``None``: zero)."""
        return self._mut_add(self.zeros() if x_prev is None else x_prev, x_new)

    def scalar_mul(self, x, a):
        return self._scalar_mul(x, a)

    def inner_prod(self, x, y):
        return self._inner_prod(x, y)

    def covector(self, x):
        return self._covector(x)

    def _add(self, x, y):
        return x + y

    def _mut_add(self, x, y):
        x += y
        return x

    def _scalar_mul(self, x, a):
        return x * a

    def _inner_prod(self, x, y):
        raise NotImplementedError(f"{type(self).__name__} defines no _inner_prod()")

    def _covector(self, x):
        return x

    @classmethod
    def register(cls, value_type: type, vspace_maker=None) -> None:
        """Make ``vspace(v)`` of a ``value_type`` value ``cls(v)`` (or ``vspace_maker(v)``)."""
        VSpace.mappings[value_type] = vspace_maker or cls

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self):
        """What tells two spaces of one class apart: a user's space, its attributes (as autograd compares)."""
        return tuple(sorted(vars(self).items(), key=lambda item: item[0]))


_FLOAT64 = _np.dtype(_np.float64)


class ArrayVSpace(VSpace):
    """The space of arrays of one shape and dtype (Python numbers are 0-d float64 or complex128)."""

    def __init__(self, value):
        kind = type(value)
        if kind is float:  # the common cases, at once
            self.shape, self.dtype = (), _FLOAT64
            return
        if kind is _np.ndarray and value.dtype.kind == "f":
            self.shape, self.dtype = value.shape, value.dtype
            return
        value = getval(value)
        if isinstance(value, Box):
            self.shape, self.dtype = tuple(value.shape), value.dtype
        else:
            array = _np.asarray(value)
            if array.dtype.kind in "biu":
                array = array.astype(float)
            self.shape, self.dtype = array.shape, array.dtype
        if self.dtype.kind not in "fc":
            raise TypeError(f"Can't find vector space for value of dtype {self.dtype}: it has no derivative.")
        self.iscomplex = self.dtype.kind == "c"

    @property
    def size(self) -> int:
        """The real dimension: a complex entry counts twice (its real and imaginary parts)."""
        return int(_np.prod(self.shape, dtype=int)) * (2 if self.iscomplex else 1)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def zeros(self):
        return _np.zeros(self.shape, self.dtype)

    def ones(self):
        ones = _np.ones(self.shape, self.dtype)
        return ones + 1j * ones if self.iscomplex else ones

    def randn(self):
        real = _np.asarray(_np.random.randn(*self.shape)).astype(self.dtype)
        if self.iscomplex:  # the imaginary part drawn after the real one, as autograd draws them
            return real + 1j * _np.asarray(_np.random.randn(*self.shape)).astype(self.dtype)
        return real

    def standard_basis(self):
        units = (1, 1j) if self.iscomplex else (1,)
        for index in _np.ndindex(*self.shape):
            for unit in units:
                vector = _np.zeros(self.shape, self.dtype)
                vector[index] = unit
                yield vector

    def _mut_add(self, x, y):
        return x + y  # traced values are never written in place

    def _inner_prod(self, x, y):
        """``sum(x * y)``; in a complex space the real inner product ``Re(sum(conj(x) y))`` of the pairs (re, im)."""
        if self.iscomplex:
            return wnp.real(wnp.sum(wnp.conj(x) * y))
        return wnp.sum(x * y)

    def _covector(self, x):
        """The cotangent that pairs with ``x`` as ``inner_prod`` does: ``conj(x)`` in a complex space."""
        return wnp.conj(x) if self.iscomplex else x

    def _key(self):
        return (self.shape, self.dtype)

    def __repr__(self) -> str:
        return f"ArrayVSpace(shape={self.shape}, dtype={self.dtype})"


class ContainerVSpace(VSpace):
    """The space of a list, tuple or dict of values: the product of its items' spaces."""

    def __init__(self, value):
        leaves, self.treedef = tree_flatten(value)
        self.spaces = [ArrayVSpace(leaf) for leaf in leaves]
        self.shape = tree_unflatten(self.treedef, self.spaces)

    @property
    def size(self) -> int:
        return sum(space.size for space in self.spaces)

    def zeros(self):
        return tree_unflatten(self.treedef, [space.zeros() for space in self.spaces])

    def ones(self):
        return tree_unflatten(self.treedef, [space.ones() for space in self.spaces])

    def randn(self):
        return tree_unflatten(self.treedef, [space.randn() for space in self.spaces])

    def standard_basis(self):
        zeros = [space.zeros() for space in self.spaces]
        for i, space in enumerate(self.spaces):
            for vector in space.standard_basis():
                yield tree_unflatten(self.treedef, zeros[:i] + [vector] + zeros[i + 1 :])

    def _add(self, x, y):
        return _tree_zip(lambda a, b: a + b, x, y)

    _mut_add = _add

    def _scalar_mul(self, x, a):
        return _tree_zip(lambda v: v * a, x)

    def _inner_prod(self, x, y):
        pairs = zip(self.spaces, tree_flatten(x)[0], tree_flatten(y)[0])
        return sum(space.inner_prod(a, b) for space, a, b in pairs)

    def _covector(self, x):
        return tree_unflatten(self.treedef, [space.covector(a) for space, a in zip(self.spaces, tree_flatten(x)[0])])

    def _key(self):
        return (self.treedef, tuple(space._key() for space in self.spaces))

    def __repr__(self) -> str:
        return f"ContainerVSpace({self.shape!r})"


def vspace(value) -> VSpace:
    """The vector space of ``value``: an :class:`ArrayVSpace` for arrays and numbers, a ContainerVSpace for
    containers, the registered space of a program's own type (that of the value in a user's box)."""
    kind = type(value)
    if kind is float or kind is _np.ndarray:
        return ArrayVSpace(value)
    maker = VSpace.mappings.get(kind)
    if maker is not None:
        return maker(value)
    if kind in Box.types:
        return vspace(value._value)
    if isinstance(value, (list, tuple, dict)):
        return ContainerVSpace(value)
    return ArrayVSpace(value)


def _tree_zip(fun, *trees):
    leaves = [tree_flatten(tree)[0] for tree in trees]
    treedef = tree_flatten(trees[0])[1]
    return tree_unflatten(treedef, [fun(*items) for items in zip(*leaves)])


class SparseObject:
    """autograd's sparse cotangent holder; wengert's cotangents are dense, so this only keeps ``vs`` and ``mut_add``."""

    __slots__ = ("mut_add", "vs")

    def __init__(self, vs, mut_add):
        self.vs, self.mut_add = vs, mut_add
