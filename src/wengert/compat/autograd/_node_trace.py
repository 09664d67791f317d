"""autograd's ``tracer.Node``: user node classes that see every primitive applied to a traced value.

autograd's tracer is independent of differentiation: ``trace(MyNode.new_root(x), f, x)``
runs ``f`` on a box whose node is a ``MyNode``, and every primitive applied to a box
makes a new node of that class, ``MyNode(value, fun, args, kwargs, parent_argnums,
parents)``, before boxing its result. Programs subclass ``Node`` to print a trace or
draw the graph (autograd's ``print_trace`` and ``dot_graph`` examples).

On wengert that is one more trace type: :class:`NodeTrace` runs each primitive on its
tracers' values and wraps the result in a :class:`NodeBox` holding the new node. The
primitives a node sees are wengert's (``fun.__name__`` is the primitive's printed name),
and under ``grad`` it sees the operations of wengert's backward pass, which are not
always autograd's (see docs/autograd_migration.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from wengert._src.backend import xp
from wengert._src.core.primitive import Primitive, Trace, ValueTracer, new_trace


class Node:
    """Base of autograd's node classes: subclasses define ``__init__`` and ``initialize_root``.

    ``__init__(value, fun, args, kwargs, parent_argnums, parents)`` is called for each
    primitive applied to traced values: ``args`` are the arguments with every box replaced
    by its value, ``parents`` the nodes of the boxed arguments at ``parent_argnums``.
    """

    __slots__ = ()

    def __init__(self, value, fun, args, kwargs, parent_argnums, parents):
        raise NotImplementedError(f"{type(self).__name__} must define __init__ (autograd's Node interface).")

    def initialize_root(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define initialize_root (autograd's Node interface).")

    @classmethod
    def new_root(cls, *args, **kwargs):
        """A root node: made without ``__init__``, then ``initialize_root(*args, **kwargs)``."""
        root = cls.__new__(cls)
        root.initialize_root(*args, **kwargs)
        return root


class NodeBox(ValueTracer):
    """A value traced by a :class:`NodeTrace`, with the node that made it (``_node``, as in autograd)."""

    __slots__ = ("_node",)

    def __init__(self, trace: NodeTrace, value, node: Node):
        self._trace, self._primal, self._node = trace, value, node

    @property
    def _value(self):
        return self._primal


_named_funs: dict[Primitive, Callable] = {}


def _as_function(prim: Primitive) -> Callable:
    """The primitive as the ``fun`` a node is given: callable, with ``__name__`` its printed name."""
    fun = _named_funs.get(prim)
    if fun is None:

        def fun(*args, **kwargs):
            return prim(*args, **kwargs)

        fun.__name__ = fun.__qualname__ = prim.name
        _named_funs[prim] = fun
    return fun


class NodeTrace(Trace):
    """Runs each primitive on the values of its boxes and boxes the result with a new node.

    The new node's class is that of the first boxed argument's node, as in autograd.
    """

    __slots__ = ()

    def process(self, prim: Primitive, args: tuple, params: dict):
        values, argnums, parents = list(args), [], []
        for i, arg in enumerate(args):
            if isinstance(arg, NodeBox) and arg._trace is self:
                values[i] = arg._primal
                argnums.append(i)
                parents.append(arg._node)
        out = prim(*values, **params)
        node_class = type(parents[0])
        fun = _as_function(prim)
        if isinstance(out, tuple):  # a primitive with several results: one node per result
            return tuple(self._box(o, node_class, fun, values, params, argnums, parents) for o in out)
        return self._box(out, node_class, fun, values, params, argnums, parents)

    def _box(self, value, node_class, fun, values, params, argnums, parents) -> NodeBox:
        node = node_class(value, fun, tuple(values), params, tuple(argnums), tuple(parents))
        return NodeBox(self, value, node)


def trace_nodes(start_node: Node, fun: Callable, x):
    """``(fun(x), end_node)`` with ``x`` boxed on ``start_node``; ``end_node`` is ``None`` if ``fun`` ignores ``x``.

    A Python float is boxed as a 0-d array, as every traced value on wengert is an array.
    """
    with new_trace(NodeTrace) as level:
        end_box = fun(NodeBox(level, xp.asarray(x) if type(x) is float else x, start_node))
        if isinstance(end_box, NodeBox) and end_box._trace is level:
            return end_box._primal, end_box._node
    warnings.warn("Output seems independent of input.", stacklevel=3)
    return end_box, None
