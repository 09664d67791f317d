"""Transforms on arrays of other libraries: the interpreter that runs primitives in their namespace.

An array of another library than NumPy (array-api-strict, CuPy, PyTorch ...) is, to the engine, a
value of the lowest level: a :class:`ForeignTracer` of its library's :class:`ForeignTrace`, level 0,
below every transform. Each transform then sees it as it sees any value of an outer level: its
rules run on it through ``bind``, and the bottom interpreter, :meth:`ForeignTrace.process`, runs
each primitive's implementation in the array API standard (``primitives/standard.py``) on the
arrays underneath. NumPy arrays never meet this module: ``bind`` finds no tracer among them and
calls NumPy at once, so they pay nothing for it (the arrays' library is resolved where they enter,
not per operation).

To the engine a foreign value looks like a NumPy one where it reads it: its ``dtype`` is NumPy's
dtype of the same name, its ``shape`` a tuple. NumPy values the engine makes (a seed of ones,
zeros for an unused input, a rule's constant) are lifted onto the foreign arrays' device when an
operation meets them. :func:`hand_over` wraps a transform's inputs at its entry and unwraps its
outputs, so the caller gets arrays of their library back.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable

import numpy as np

from wengert.errors import BackendError

from ..backend.namespaces import ArrayNamespace, foreign_namespace, is_foreign_array, namespace_of
from ..core.ir import Program, register_program_runner
from ..core.primitive import Trace, Tracer, ValueTracer, reraise_with_shapes
from ..core.pytree import tree_flatten, tree_unflatten
from ..primitives.standard import standard_impl


class ForeignTrace(Trace):
    """The bottom interpreter for one library on one device: runs primitives in its namespace (level 0)."""

    __slots__ = ("namespace",)

    def __init__(self, namespace: ArrayNamespace):
        super().__init__(0)
        self.namespace = namespace

    def process(self, prim, args, params):
        namespace = self.namespace
        values = [self.own(arg, prim) for arg in args]
        params = {k: _library_dtype(namespace, v) for k, v in params.items()} if params else params
        try:
            out = standard_impl(prim)(namespace, *values, **params)
        except ValueError as error:
            reraise_with_shapes(prim, args, error)
        if prim.multiple_results:
            return tuple(ForeignTracer(self, o) for o in out)
        return ForeignTracer(self, out)

    def own(self, value, prim):
        """``value`` as an array of this library on this device, or a Python number (weak, as the standard takes it)."""
        if isinstance(value, ForeignTracer):
            if value._trace is not self:
                _refuse_mixing(prim, self.namespace, value._trace.namespace)
            return value._primal
        if isinstance(value, (np.ndarray, np.generic)):
            return self.namespace.lift(value)
        if is_foreign_array(value):
            namespace = namespace_of(value)
            if namespace is not self.namespace:
                _refuse_mixing(prim, self.namespace, namespace)
        return value

    def wrap(self, value):
        """A foreign array (or a NumPy value, lifted) as a value of this level."""
        if isinstance(value, ForeignTracer):
            return value
        return ForeignTracer(self, self.own(value, None))


def foreign_value(array) -> ForeignTracer:
    """Another library's array as a value of its level: what a ``wengert.numpy`` function makes of one it is
    given (an array the transformed function closes over), so that the rules meet it as a value of the
    engine, never as a raw array beside NumPy's."""
    return _trace_of(namespace_of(array)).wrap(array)


def like(value, made):
    """``made``, a NumPy array the engine made for ``value`` (a seed, a constant result), as a value of
    ``value``'s library if ``value`` is (or traces) another library's array; else ``made`` itself."""
    while isinstance(value, ValueTracer):
        if isinstance(value, ForeignTracer):
            return value._trace.wrap(made)
        value = value._primal
    return made


def _refuse_mixing(prim, namespace: ArrayNamespace, other: ArrayNamespace):
    where = f"{prim.name}: " if prim is not None else ""
    raise BackendError(
        f"{where}arrays of {namespace.name} on {namespace.device!r} and of {other.name} on {other.device!r} in one "
        "operation; move them to one library and device first."
    )


def _library_dtype(namespace: ArrayNamespace, value):
    """A parameter as the library reads it: a NumPy dtype (``astype``'s) as the library's dtype."""
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return namespace.dtype(value)
    return value


class ForeignTracer(ValueTracer):
    """An array of another library, as a value of the bottom level: NumPy's dtype, a tuple shape."""

    __slots__ = ()

    def __init__(self, trace: ForeignTrace, value):
        self._trace = trace
        self._primal = value

    @property
    def dtype(self):
        return self._trace.namespace.numpy_dtype(self._primal.dtype)

    @property
    def shape(self) -> tuple:
        return tuple(self._primal.shape)

    @property
    def size(self) -> int:
        size = 1
        for dim in self._primal.shape:
            size *= dim
        return size


_TRACES: dict = {}


def _trace_of(namespace: ArrayNamespace) -> ForeignTrace:
    trace = _TRACES.get(namespace)
    if trace is None:
        trace = _TRACES[namespace] = ForeignTrace(namespace)
    return trace


def foreign_trace(leaves) -> ForeignTrace | None:
    """The bottom trace of the foreign arrays among ``leaves`` (``None``: NumPy's and numbers only)."""
    namespace = foreign_namespace(leaves)
    return None if namespace is None else _trace_of(namespace)


def hand_over(trace: ForeignTrace, call: Callable, *args, **kwargs):
    """``call(*args, **kwargs)`` with the foreign arrays among the arguments as values of ``trace``, and the
    results as arrays of its library: a value of the trace is unwrapped, a NumPy array or scalar the
    engine made (zeros for an unused input) lifted; a function returned (``vjp``'s ``vjp_fn``) is handed
    over alike when called."""
    (args, kwargs) = _tree_map_leaves(lambda leaf: trace.wrap(leaf) if is_foreign_array(leaf) else leaf, (args, kwargs))
    return _unwrapped(trace, call(*args, **kwargs))


def _unwrapped(trace: ForeignTrace, result):
    """A transform's result as the caller gets it: the library's arrays; a function returned (``vjp_fn``) handed
    over when called. An object that runs a program (a ``Program``, ``linearize``'s ``LinearFunction``) stays
    as it is, printable: its constants are values of the trace, and calling it hands over by itself."""

    def unwrap(leaf):
        if isinstance(leaf, ForeignTracer):
            return leaf._primal
        if isinstance(leaf, (np.ndarray, np.generic)):
            return trace.namespace.lift(leaf)
        if isinstance(leaf, (types.FunctionType, functools.partial)):
            return functools.wraps(leaf)(functools.partial(hand_over, trace, leaf))
        return leaf

    return _tree_map_leaves(unwrap, result)


def run_program(program: Program, flat_args: list) -> list:
    """``program.run_flat(flat_args)``, handed over where an argument is another library's array or a constant
    of the program is a value of its level (the program was traced on that library's arrays): what
    ``Program.__call__`` runs (registered with the IR, which does not import the transforms)."""
    trace = foreign_trace(flat_args)
    if trace is None:
        trace = next((c._trace for c in program.consts if isinstance(c, ForeignTracer)), None)
        if trace is None:
            return program.run_flat(flat_args)
    return hand_over(trace, program.run_flat, list(flat_args))


register_program_runner(run_program)


def in_library(impl: Callable) -> Callable:
    """The implementation in the standard of a primitive whose NumPy ``impl`` runs programs (``cond``, ``while``):
    ``impl`` itself, on the arrays as values of their library's level, so each equation of the programs binds
    its primitive and runs in the library."""

    def standard(ns: ArrayNamespace, *args, **params):
        trace = _trace_of(ns)
        out = impl(*(trace.wrap(a) if _is_array(a) else a for a in args), **params)
        return tuple(trace.own(o, None) if _is_array(o) else ns.asarray(o, device=ns.device) for o in out)

    return standard


def _is_array(value) -> bool:
    return isinstance(value, (np.ndarray, np.generic, ForeignTracer)) or is_foreign_array(value)


def _tree_map_leaves(function: Callable, tree):
    leaves, structure = tree_flatten(tree)
    return tree_unflatten(structure, [function(leaf) for leaf in leaves])


_PLAIN = frozenset({np.ndarray, float, int, bool, complex, str, type(None)})
"""Leaf types that are never another library's array nor hold one."""


def foreign_trace_in(*trees) -> ForeignTrace | None:
    """:func:`foreign_trace` of the leaves of ``trees`` (a transform's arguments), found without flattening
    the dicts, tuples and lists among them: what a call on NumPy arrays pays at a transform's entry is a
    look at the type of each (in C, ``issuperset``), about a microsecond for a dict of parameters."""
    pending = list(trees)
    found = []
    while pending:
        tree = pending.pop()
        cls = tree.__class__
        if cls is tuple or cls is list or cls is dict:
            children = tree.values() if cls is dict else tree
            if not _PLAIN.issuperset(map(type, children)):
                pending.extend(child for child in children if child.__class__ not in _PLAIN)
        elif cls in _PLAIN:
            continue
        elif is_foreign_array(tree):
            found.append(tree)
        elif not isinstance(tree, Tracer):  # a registered pytree class, a namedtuple, or another leaf
            found.extend(leaf for leaf in tree_flatten(tree)[0] if is_foreign_array(leaf))
    return foreign_trace(found) if found else None
