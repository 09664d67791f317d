"""``Tensor``: a value of the eager graph, the level-0 trace below every transform.

A Tensor is a :class:`~wengert._src.core.primitive.Tracer` whose trace is
:data:`EAGER`, a trace of level 0 that is always active. Every primitive
binds on Tensors unchanged, so every ``wengert.numpy`` (and ``nn.functional``)
function takes Tensors and returns Tensors; when grad mode is on and an
argument requires grad, :meth:`EagerGraph.process` records a
:class:`~.graph.Node`. Functional transforms (levels 1 and up) nest above:
to them a Tensor is a value of the level below, like a NumPy array.

A Tensor holds a NumPy array (``_primal``) and shares it the way PyTorch
shares storage: ``detach()``, ``.data``, ``.numpy()`` and views
(``view``/``reshape``/``transpose``/basic indexing, whenever NumPy returns a
view) see in-place changes. An in-place change through a view gives its base a
new history too (the old one with the view's elements replaced), and other
views of that base derive theirs again when next used, as PyTorch does. A
version counter, shared by tensors over one array, counts those changes; a
node remembers the versions of the values its rules read, and the backward
pass refuses to use a value changed since.
"""

from __future__ import annotations

import copy as _copy
import itertools
import warnings

import wengert.numpy as wnp
from wengert.errors import AutogradError, DtypeError, ShapeError, TracerError

from .._src.backend import is_float_dtype, xp
from .._src.core.primitive import (
    READS_ARGUMENTS_AND_OUTPUT,
    Trace,
    Tracer,
    ValueTracer,
    reraise_with_shapes,
    what_vjps_read,
)
from .._src.core.pytree import tree_unflatten
from .._src.primitives import elementwise
from .._src.transforms.complex_guard import complex_derivative_error, refuse_complex
from .._src.transforms.custom_derivatives import CustomCall, custom_call_primitive
from .._src.transforms.reverse import custom_jvp_pullback, custom_vjp_pullback
from .graph import CustomRuleNode, Hooks, LeafNode, Node, grad_enabled
from .methods import TensorMethods
from .storage import bump_version, owner, positions_in_base, version_counter

_ndarray = xp.ndarray
_AUTOGRAD = "Tensor autograd"
_object_new = object.__new__
_new_handle_id = itertools.count().__next__


class EagerGraph(Trace):
    """The level-0 trace: runs each primitive on the arrays of its Tensor arguments and records a node.

    A node is recorded only when grad mode is on, the primitive is
    differentiable and some argument it can differentiate requires grad; the
    result is a Tensor in every case (one per result of a multiple-result
    primitive).
    """

    __slots__ = ()

    def process(self, prim, args, params):
        vjps = prim.vjps
        record = vjps is not None and grad_enabled.get()
        primals = []
        parents = []
        for position, arg in enumerate(args):
            if isinstance(arg, Tensor):
                primals.append(arg._primal)
                if record:
                    if arg._base is not None and arg._view_of is not arg._base._node:
                        _sync_view(arg)
                    if arg._node is not None and vjps[position] is not None:
                        parents.append((position, arg._node, arg._slot))
            else:
                primals.append(arg)
        try:  # run_impl's body, inlined to save a call per operation
            out = prim.impl(*primals, **params)
        except ValueError as error:
            reraise_with_shapes(prim, primals, error)
        if prim.multiple_results:
            return self._results(prim, args, primals, params, out, parents)
        if type(out) is not _ndarray:
            out = xp.asarray(out)
        result = _object_new(Tensor)  # make_tensor's body, inlined to save a call per operation
        result._primal = out
        result._grad = result._version = result._base = result._view_of = None
        if not parents:
            result._node = None
            result._slot = -1
            if out.base is not None or out is primals[0]:
                _share_storage(result, args)
            return result
        if out.dtype.kind == "c":
            raise complex_derivative_error(prim.name, out.dtype, _AUTOGRAD)
        saves = prim.vjp_reads
        if saves is None:
            saves = what_vjps_read(prim)
        result._node = node = Node(prim, primals, params, out, tuple(parents), args if saves else None)
        result._slot = -1
        if out.base is not None or out is primals[0]:
            _share_storage(result, args)
        if saves is READS_ARGUMENTS_AND_OUTPUT:
            node.out_counters = version_counter(result)
        return result

    def _results(self, prim, args, primals, params, out, parents):
        out = tuple(o if type(o) is _ndarray else xp.asarray(o) for o in out)
        if parents:
            refuse_complex(prim.name, out, _AUTOGRAD)
        node = Node(prim, primals, params, out, tuple(parents), None) if parents else None
        results = tuple(make_tensor(o, node, k if node is not None else -1) for k, o in enumerate(out))
        for result in results:
            if result._primal.base is not None:
                _share_storage(result, args)
        saves = prim.vjp_reads
        if saves is None:
            saves = what_vjps_read(prim)
        if node is not None and saves:
            node.saved = args
            if saves is READS_ARGUMENTS_AND_OUTPUT:
                node.out_counters = tuple(version_counter(r) for r in results)
        return results

    def process_custom_vjp(self, custom, args):
        """A ``custom_vjp`` function on Tensors: ``fwd`` now, and a node whose rule runs ``bwd``."""
        call = CustomCall(self, custom, args)
        if not _records_custom(call):
            return custom.fun(*args)
        return _record_custom(call, *custom_vjp_pullback(call))

    def process_custom_jvp(self, custom, args):
        """A ``custom_jvp`` function on Tensors: a node whose rule transposes the JVP rule, as in reverse mode."""
        call = CustomCall(self, custom, args)
        if not _records_custom(call):
            return custom.fun(*args)
        return _record_custom(call, *custom_jvp_pullback(call))


def _records_custom(call) -> bool:
    if not grad_enabled.get():
        return False
    tensors = [leaf._synced() for leaf in call.leaves if isinstance(leaf, Tensor)]
    return any(tensor._node is not None for tensor in tensors)


def _record_custom(call, primals_out: list, out_tree, pullback):
    refuse_complex(call.name, primals_out, _AUTOGRAD)
    parents = tuple(
        (position, leaf._node, leaf._slot)
        for position, leaf in enumerate(call.leaves)
        if isinstance(leaf, Tensor) and leaf._node is not None
    )
    out = tuple(xp.asarray(p) for p in primals_out)
    node = CustomRuleNode(custom_call_primitive(call, pullback), tuple(call.primals), {}, out, parents, None)
    return tree_unflatten(out_tree, [make_tensor(out, node, k) for k, out in enumerate(node.out)])


EAGER = EagerGraph(0)
"""The one eager graph trace: every Tensor belongs to it."""


def _share_storage(result, args) -> None:
    """If ``result``'s array is a view of an argument's, share that argument's version counter and base.

    ``_base`` is the tensor at the root of the views (never itself a view), and
    ``_view_of`` the history of that base from which ``result``'s history was
    derived: once an in-place operation gives the base a new history, the view's
    is out of date and :func:`_sync_view` derives it again, as PyTorch regenerates
    a view's ``grad_fn``.
    """
    array_owner = owner(result._primal)
    for arg in args:
        if isinstance(arg, Tensor) and owner(arg._primal) is array_owner:
            base = arg if arg._base is None else arg._base
            result._version = version_counter(arg)
            result._base = base
            result._view_of = base._node
            return


def _sync_view(view) -> None:
    """Derive ``view``'s history again from its base's, which an in-place operation has replaced.

    The view is the base's elements at :func:`~.storage.positions_in_base`, so its new
    history gathers them from the base's current history (recorded even under
    ``no_grad``: it stands for the history the view would have had).
    """
    base = view._base
    node = base._node
    view._view_of = node
    if node is None:
        return
    token = grad_enabled.set(True)
    try:
        fresh = flat_history(base)[positions_in_base(view._primal, base._primal)]
    finally:
        grad_enabled.reset(token)
    view._node = fresh._node
    view._slot = fresh._slot


def flat_history(base):
    """``base``'s current value and history, flattened to one axis (C order)."""
    return wnp.reshape(make_tensor(base._primal, base._node, base._slot), (-1,))


def make_tensor(primal, node=None, slot: int = -1):
    """A Tensor over ``primal`` (an ndarray), with history ``node`` (None: a constant or a plain leaf)."""
    tensor = _object_new(Tensor)
    tensor._primal = primal
    tensor._node = node
    tensor._slot = slot
    tensor._grad = None
    tensor._version = None
    tensor._base = None
    tensor._view_of = None
    return tensor


def wrap_history(primal, node=None, slot: int = -1):
    """A Tensor over a cotangent or over a node's value (the backward pass's view of the graph)."""
    if type(primal) is not _ndarray and not isinstance(primal, Tensor):
        primal = xp.asarray(primal)
    if isinstance(primal, Tensor):
        return primal
    return make_tensor(primal, node, slot)


def array_of(value):
    """The array behind a Tensor, or ``value`` itself (an array, a scalar) otherwise."""
    return value._primal if isinstance(value, Tensor) else value


class _Size(int):
    """``t.size``: NumPy's element count (an int) that, called, is PyTorch's ``t.size()`` (the shape)."""

    def __new__(cls, shape):
        count = 1
        for d in shape:
            count *= d
        self = super().__new__(cls, count)
        self.shape = shape
        return self

    def __call__(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    __slots__ = ("_hooks", "_key")

    def __init__(self, hooks: dict, key: int):
        self._hooks = hooks
        self._key = key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Tensor(TensorMethods, ValueTracer):
    """A NumPy array with PyTorch's autograd: ``requires_grad``, ``backward()``, ``.grad``.

    ``Tensor(data, dtype=None, requires_grad=False)`` wraps ``data``: the same
    array when ``data`` is a Tensor (as ``nn.Parameter(t)`` shares ``t``), a copy
    otherwise. Dtypes are NumPy's (Python floats give float64, as in
    ``wengert.numpy``).

    >>> import wengert
    >>> x = wengert.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("__weakref__", "_base", "_grad", "_node", "_slot", "_version", "_view_of")
    _trace = EAGER
    __array_priority__ = 1001
    device = "cpu"

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        if isinstance(data, Tensor):
            primal = data._primal if dtype is None else data._primal.astype(dtype)
        else:
            primal = xp.array(_concrete_data(data), dtype=dtype)
        self._primal = primal
        self._node = None
        self._slot = -1
        self._grad = None
        self._version = version_counter(data) if isinstance(data, Tensor) and primal is data._primal else None
        self._base = None
        self._view_of = None
        if requires_grad:
            self.requires_grad_(True)

    _wrap_array = staticmethod(make_tensor)

    # --- the array ----------------------------------------------------------------------------
    def concrete(self):
        return self._primal

    @property
    def size(self) -> _Size:
        """The element count, an int; ``t.size()`` is the shape and ``t.size(d)`` its ``d``-th entry."""
        return _Size(self._primal.shape)

    @property
    def is_cuda(self) -> bool:
        return False

    def numel(self) -> int:
        return self._primal.size

    def dim(self) -> int:
        return self._primal.ndim

    def item(self):
        """The value of a one-element tensor as a Python number (detached: it carries no derivative)."""
        return self._one_element("item()")

    def _one_element(self, conversion: str):
        array = self._primal
        if array.size != 1:
            raise ValueError(
                f"{conversion} of a tensor of shape {array.shape}: only one-element tensors can be converted to "
                "Python scalars. Index or reduce it first (t[0], t.sum())."
            )
        return array.item()

    # A Python number carries no derivative; as in PyTorch, converting a tensor detaches it (the
    # functional transforms refuse instead, see ``Tracer.concrete_number``).
    def __float__(self) -> float:
        return float(self._one_element("float()"))

    def __int__(self) -> int:
        return int(self._one_element("int()"))

    def __complex__(self) -> complex:
        return complex(self._one_element("complex()"))

    def __getitem__(self, index):
        """``t[index]`` as NumPy indexes; basic indexing gives a view, ``t[i]`` of a vector a 0-d one, as PyTorch.

        NumPy returns a copy for an index that picks one element; the result is
        made a 0-d view of the same element, so in-place changes to it reach
        ``t`` (``y[0].mul_(3)``).
        """
        result = Tracer.__getitem__(self, index)
        if type(result) is Tensor and result._base is None and result._primal.ndim == 0 and self._primal.ndim:
            element = _element_index(index)
            if element is not None:
                result._primal = self._primal[element]
                _share_storage(result, (self,))
        return result

    def tolist(self):
        return self._primal.tolist()

    def numpy(self, *, force: bool = False):
        """The underlying ndarray (shared: changing one changes the other).

        Like PyTorch, refuses for a tensor that requires grad, whose array the
        graph may still need; ``t.detach().numpy()`` (or ``force=True``) says
        the derivative is not wanted.
        """
        if self._synced()._node is not None and not force:
            raise AutogradError(
                "numpy() of a tensor that requires grad: the array is still part of the graph. "
                "Call t.detach().numpy() (or t.numpy(force=True)) if the derivative is not needed."
            )
        return self._primal

    def __array__(self, dtype=None, copy=None):
        if self._synced()._node is not None:
            raise AutogradError(
                "A tensor that requires grad was converted to a NumPy array (np.asarray, a NumPy "
                "function): the derivative would be lost. Use t.detach() first if that is intended, "
                "or call wengert.numpy's function of the same name, which records the operation."
            )
        array = self._primal
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy ufuncs on Tensors: through ``wengert.numpy`` (recorded) when a derivative is wanted.

        When nothing needs recording, NumPy runs on the arrays (any method,
        ``out=`` included) and the results are Tensors.
        """
        others = [*inputs, *kwargs.get("out", ())]
        if any(isinstance(v, Tracer) and not isinstance(v, Tensor) for v in others) or (
            grad_enabled.get() and _needs_graph(others)
        ):
            return Tracer.__array_ufunc__(self, ufunc, method, *inputs, **kwargs)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(array_of(o) for o in out)
        result = getattr(ufunc, method)(*(array_of(i) for i in inputs), **kwargs)
        if out is not None:
            for tensor in out:
                if isinstance(tensor, Tensor):
                    tensor._bump_version()
            return out[0] if len(out) == 1 else out
        if isinstance(result, tuple):
            return tuple(make_tensor(xp.asarray(r)) for r in result)
        return None if result is None else make_tensor(xp.asarray(result))

    # --- autograd -------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._synced()._node is not None

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True):
        """Make this leaf tensor record its uses (or stop); returns ``self``."""
        node = self._synced()._node
        if node is not None and type(node) is not LeafNode:
            if requires_grad:
                return self
            raise AutogradError(
                "requires_grad can only be changed on leaf tensors, and this one is the result of "
                f"{node!r}. To use its value without a derivative, take x.detach()."
            )
        if requires_grad and node is None:
            if not is_float_dtype(self._primal.dtype):
                raise DtypeError(
                    f"only tensors of a floating-point dtype can require gradients, this one is "
                    f"{self._primal.dtype}; convert it first with t.double() or t.float()."
                )
            self._node = LeafNode(self)
        elif not requires_grad:
            self._node = None
        return self

    @property
    def is_leaf(self) -> bool:
        """True for a tensor made by the user (or that does not require grad), not by an operation."""
        node = self._synced()._node
        return node is None or type(node) is LeafNode

    @property
    def grad_fn(self):
        """The node that made this tensor (``None`` for a leaf)."""
        node = self._synced()._node
        return None if node is None or type(node) is LeafNode else node

    @property
    def grad(self):
        """The accumulated gradient (a Tensor), for leaves and tensors that called ``retain_grad()``."""
        if self._grad is None and self._node is not None and not self.is_leaf and not self.retains_grad:
            warnings.warn(
                "The .grad of a tensor that is not a leaf is not kept by backward(); call "
                "t.retain_grad() before backward() to keep it, or take the gradient of the leaf instead.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is None:
            self._grad = None
            return
        value = value if isinstance(value, Tensor) else make_tensor(xp.asarray(value))
        if value.shape != self.shape:
            raise ShapeError(f"assigned grad has shape {value.shape}, but the tensor has shape {self.shape}")
        self._grad = value

    @property
    def data(self):
        """The same array as a Tensor that does not require grad (changes to it are not tracked)."""
        return make_tensor(self._primal)

    @data.setter
    def data(self, value) -> None:
        """Replace the array (no history is recorded); a view stops being one, its memory now its own."""
        self._primal = array_of(value) if isinstance(value, Tensor) else xp.asarray(value)
        self._base = None
        self._view_of = None

    @property
    def _version_number(self) -> int:
        counter = self._version
        return 0 if counter is None else counter[0]

    def _bump_version(self) -> None:
        bump_version(self)

    def detach(self):
        """A tensor over the same array that does not require grad (in-place changes show in both)."""
        tensor = make_tensor(self._primal)
        tensor._version = version_counter(self)
        return tensor

    def detach_(self):
        """Cut this tensor off its graph, in place; returns ``self`` (refused for a view, as in PyTorch)."""
        if self._base is not None:
            raise AutogradError(
                "detach_() of a view (of view, reshape, transpose, an indexing result): its history is tied to "
                "the tensor it is a view of. Use detach() instead, which returns a new tensor."
            )
        self._node = None
        self._slot = -1
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during ``backward()`` (leaves always keep it)."""
        node = self._synced()._node
        if node is None:
            raise AutogradError("retain_grad() on a tensor that does not require grad: there is no gradient to keep.")
        if type(node) is LeafNode:
            return
        if node.hooks is None:
            node.hooks = Hooks()
        node.hooks.retained[self._slot] = self

    @property
    def retains_grad(self) -> bool:
        node = self._synced()._node
        if node is None or type(node) is LeafNode or node.hooks is None:
            return False
        return node.hooks.retained.get(self._slot) is self

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` on this tensor's gradient during backward; it may return a replacement.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        node = self._synced()._node
        if node is None:
            raise AutogradError(
                "register_hook on a tensor that does not require grad: no gradient will reach it. "
                "Set requires_grad=True on the leaf tensors it is computed from."
            )
        if node.hooks is None:
            node.hooks = Hooks()
        slot_hooks = node.hooks.hooks.setdefault(self._slot, {})
        key = _new_handle_id()
        slot_hooks[key] = hook
        return RemovableHandle(slot_hooks, key)

    # --- views (the in-place operations are installed by inplace.py) -----------------------------
    def _synced(self):
        """``self``, with its history derived again if it is a view whose base has a new history."""
        base = self._base
        if base is not None and self._view_of is not base._node:
            _sync_view(self)
        return self

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1):
        """The diagonal along ``dim1``, ``dim2``: a view (in-place changes reach ``self``), as in PyTorch."""
        return _as_view(wnp.diagonal(self, offset, dim1, dim2), self, lambda a: xp.diagonal(a, offset, dim1, dim2))

    # --- arithmetic operators (the common ones dispatched straight to the eager graph) ----------------
    def __add__(self, other):
        return _binary(elementwise.add, self, other)

    def __radd__(self, other):
        return _binary(elementwise.add, other, self)

    def __sub__(self, other):
        return _binary(elementwise.subtract, self, other)

    def __rsub__(self, other):
        return _binary(elementwise.subtract, other, self)

    def __mul__(self, other):
        return _binary(elementwise.multiply, self, other)

    def __rmul__(self, other):
        return _binary(elementwise.multiply, other, self)

    def __truediv__(self, other):
        return _binary(elementwise.divide, self, other)

    def __rtruediv__(self, other):
        return _binary(elementwise.divide, other, self)

    def __pow__(self, other):
        return _binary(elementwise.power, self, other)

    def __rpow__(self, other):
        return _binary(elementwise.power, other, self)

    def __neg__(self):
        return _process(elementwise.neg, (self,), _NO_PARAMS)

    # --- Python protocol --------------------------------------------------------------------------
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        array = self._primal
        body = xp.array2string(array, separator=", ", prefix="tensor(")
        extras = []
        if array.dtype not in (xp.float64, xp.int64, xp.bool_):
            extras.append(f"dtype={array.dtype}")
        node = self._synced()._node
        if type(node) is LeafNode:
            extras.append("requires_grad=True")
        elif node is not None:
            extras.append(f"grad_fn={node!r}")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    def __reduce_ex__(self, protocol):
        return (_rebuild, (type(self), self._primal, self.requires_grad and self.is_leaf, _state_of(self)))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise AutogradError(
                "deepcopy of a tensor computed by an operation (not a leaf): its graph cannot be copied. "
                "Deep-copy t.detach() (or the leaves it is computed from) instead."
            )
        new = _rebuild(type(self), self._primal.copy(), self.requires_grad, _copy.deepcopy(_state_of(self), memo))
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = make_tensor(self._grad._primal.copy())
        return new


_process = EAGER.process
_NO_PARAMS: dict = {}


def _binary(prim, x, y):
    """``prim(x, y)`` on the eager graph, unless a functional transform's value takes precedence."""
    for arg in (x, y):
        if isinstance(arg, Tracer) and arg._trace is not EAGER:
            return prim(x, y)
    return _process(prim, (x, y), _NO_PARAMS)


def _state_of(tensor) -> dict:
    """The instance dictionary of a Tensor subclass (``nn.Parameter`` attributes), else empty."""
    return dict(getattr(tensor, "__dict__", {}))


def _rebuild(cls, primal, requires_grad: bool, state: dict):
    """Unpickle / deep-copy a leaf tensor of class ``cls``."""
    tensor = _object_new(cls)
    tensor._primal = primal
    tensor._node = None
    tensor._slot = -1
    tensor._grad = None
    tensor._version = None
    tensor._base = None
    tensor._view_of = None
    if state:
        tensor.__dict__.update(state)
    if requires_grad:
        tensor._node = LeafNode(tensor)
    return tensor


def _needs_graph(values) -> bool:
    return any(isinstance(v, Tensor) and v._synced()._node is not None for v in values)


def _concrete_data(data):
    """``data`` for ``xp.array``: Tensors inside lists replaced by their arrays."""
    if isinstance(data, (list, tuple)):
        return [_concrete_data(item) for item in data]
    if isinstance(data, Tensor):
        return data._primal
    if isinstance(data, Tracer):
        raise TracerError(
            "wengert.tensor(...) of a value traced by a functional transform (wengert.grad, jvp, vmap): "
            "Tensors live below the transforms. Inside the transformed function use the value itself "
            "(operators and wengert.numpy work on it), or pass Tensors to the transform from outside."
        )
    return data


def _element_index(index):
    """``index`` (ints and at most one ``...``) as an index that gives NumPy's 0-d view, or None if it is not such."""
    items = index if isinstance(index, tuple) else (index,)
    ints = []
    for item in items:
        if isinstance(item, (int, xp.integer)) and not isinstance(item, (bool, xp.bool_)):
            ints.append(int(item))
        elif item is not Ellipsis:
            return None
    return (*ints, Ellipsis)


def _missing_attribute(self, name: str):
    """``Tracer.__getattr__``, reached only when lookup fails: for a name of the Tensor face, say where the faces meet.

    A function written with PyTorch's method names (``x.exp()``, ``x.view(2, 3)``,
    ``y.backward()``) and handed to ``wengert.grad`` sees the transform's traced
    values, which have the NumPy face; the plain ``AttributeError`` would not say why.
    """
    message = f"{type(self).__name__!r} object has no attribute {name!r}"
    if name.startswith("_") or isinstance(self, Tensor) or not hasattr(Tensor, name):
        raise AttributeError(message)
    if hasattr(TensorMethods, name):
        advice = (
            f"write it with wengert.numpy (wnp.{name}(x) where NumPy has that name) or NumPy's method names, "
            f"or call the Tensor method as a function: wengert.Tensor.{name}(x, ...)."
        )
    else:
        advice = (
            "autograd on Tensors (backward, .grad, requires_grad, hooks) does not apply to it: the transform "
            "computes the derivative; return the value from the function instead."
        )
    raise AttributeError(
        f"{message}: {name!r} is a wengert.Tensor attribute, but this is a value traced by a functional transform "
        "(wengert.grad, jvp, vmap, jit), which has the NumPy face (docs/tensor.md, 'Where Tensors meet "
        f"wengert.numpy and the functional transforms'); {advice}"
    )


Tracer.__getattr__ = _missing_attribute


def _as_view(result, tensor, view_of_array):
    """``result`` (computed from ``tensor``) made a view of ``tensor``'s array: its array is ``view_of_array(array)``.

    For the PyTorch view methods whose NumPy counterpart copies or gives a
    read-only view (``diagonal``); values of a functional transform pass through.
    """
    if type(result) is not Tensor or not isinstance(tensor, Tensor) or result._base is not None:
        return result
    view = view_of_array(tensor._primal)
    if tensor._primal.flags.writeable:
        view.flags.writeable = True
    result._primal = view
    _share_storage(result, (tensor,))
    return result


def as_graph_tensor(value) -> Tensor:
    """``value`` as a Tensor (arrays and scalars become constants)."""
    return value if isinstance(value, Tensor) else make_tensor(xp.asarray(value))


__all__ = [
    "EAGER",
    "RemovableHandle",
    "Tensor",
    "array_of",
    "as_graph_tensor",
    "flat_history",
    "make_tensor",
    "wrap_history",
]
