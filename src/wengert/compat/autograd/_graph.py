"""autograd's tracing internals on wengert's tape: ``VJPNode``, ``trace``, ``new_box`` and ``backward_pass``.

autograd records a graph: each box points at a node, each node at its parents,
and ``backward_pass`` sorts the graph and pulls a cotangent back to the root.
wengert records a tape (the Wengert list, in evaluation order), so a node here
is a place on a tape: the trace that owns the tape, and the entry (and result
slot) of a value. ``trace(VJPNode.new_root(), fun, x)`` runs ``fun`` on a
fresh reverse-mode level and returns ``(value, end_node)``;
``backward_pass(g, end_node)`` walks the tape once, backwards, and returns the
cotangent of the root, as autograd's does. Code that drives autograd's
internals this way (autograd's own benchmarks, libraries that build their own
``make_vjp``) runs unchanged.

``new_box(x, trace_id, root)`` outside ``trace`` starts a tape of the root's
own, below every transform on the stack: operations on the box record on it
until ``backward_pass``, and the tape lives as long as the root node or a box
on it does (as autograd's graph lives as long as its nodes).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from wengert._src.backend import xp
from wengert._src.core.primitive import Tracer, new_trace
from wengert._src.transforms.complex_guard import COMPLEX_DTYPES
from wengert._src.transforms.inputs import as_float_input
from wengert._src.transforms.reverse import ComplexReverseTrace, ReverseTrace, ReverseTracer, pull_back_tape
from wengert.errors import ArgumentError

from ._node_trace import Node, trace_nodes


class VJPNode(Node):
    """A value's place on a reverse-mode tape: the trace owning the tape, the entry and its result slot.

    A root (``VJPNode.new_root()``) has no place until a box is made on it; it then keeps the
    tape entries of its boxes (``inputs``, as each enters the tape), whose cotangents ``backward_pass``
    sums. ``value`` is the value there: a root's last box's to enter the tape, whose shape and
    dtype a zero cotangent takes, or the
    output's at an end node, whose dtype the cotangent given to ``backward_pass`` takes (``None``
    where not known: the cotangent keeps its own).
    """

    __slots__ = ("index", "inputs", "root", "slot", "trace", "value")

    def __init__(self, trace: ReverseTrace | None, index: int = -1, slot: int = -1, root: VJPNode | None = None):
        self.trace, self.index, self.slot, self.root = trace, index, slot, root
        self.inputs: list = []
        self.value = None

    @classmethod
    def new_root(cls, *args, **kwargs) -> VJPNode:
        """A root node, where a trace starts (autograd's arguments are accepted and not needed)."""
        return cls(None)

    def __repr__(self) -> str:
        where = "root" if self.root is None else f"entry {self.index}"
        return f"VJPNode({where}, tape of {len(self.trace.tape) if self.trace else 0} entries)"


class RootBox(ReverseTracer):
    """A box ``new_box`` makes: a traced value for ``value`` on the tape of the root ``node`` (an input of it).

    Within :func:`trace` the box is on that trace's level; outside any, on a tape of the root's
    own below every active transform. ``trace`` (autograd's trace id) is accepted and not needed.
    A float array is taken as it is, a Python float as a 0-d array, anything else through the
    transforms' input check.

    Making a box costs what autograd's does, two stores: ``new_box`` is this class, and the box
    enters the tape only when something first reads it as a tracer (its ``_trace``, ``_primal``,
    ``index`` or ``slot``, which stay unset until then: :meth:`__getattr__`). It then becomes an
    input entry of the tape (``None``) and one of the root's ``inputs``, and its value is checked
    and made an array; from there on it is a ``ReverseTracer`` like any other. A box nothing
    reads takes no place on the tape, and its cotangent is zero, as autograd's is.
    """

    __slots__ = ("_node", "_value")

    def __init__(self, value, trace, node: VJPNode):
        try:
            if node.root is None:
                self._value = value
                self._node = node
                return
        except AttributeError:  # not a VJPNode
            pass
        _refuse_non_root(node)

    def __getattr__(self, name: str):
        """The box's tracer slots, set on their first read: the box enters its root's tape now."""
        if name not in _TRACER_SLOTS:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        node = self._node
        level = node.trace
        if level is None:
            level = node.trace = ReverseTrace(0)
        value = self._value
        if type(value) is float:
            value = xp.asarray(value)
        elif type(value) is not _ndarray or value.dtype.kind != "f":
            value = _input_value(value, level)
        tape = level.tape
        index = len(tape)
        tape.append(None)  # an input's entry
        node.inputs.append(index)
        node.value = value
        self._trace = level
        self._primal = value
        self.index = index
        self.slot = -1
        return getattr(self, name)


_ndarray = xp.ndarray
_TRACER_SLOTS = frozenset({"_trace", "_primal", "index", "slot"})


def _input_value(value, level: ReverseTrace):
    """``value`` (neither a Python float nor a float array) as a box's value: through the transforms' input
    check; a complex one makes the tape a complex one, as an input of ``wengert.vjp`` makes it."""
    value = as_float_input(value, "new_box", "value", 0)
    if value.dtype in COMPLEX_DTYPES:
        level.__class__ = ComplexReverseTrace
        level.note_large((value,))
    return value


new_box = RootBox


def _refuse_non_root(node) -> None:
    if not isinstance(node, VJPNode) or node.root is not None:
        raise ArgumentError(
            f"new_box: {node!r} is not a root node; on wengert a box starts a trace, so make it on "
            "VJPNode.new_root(), and let operations on boxes make the other nodes."
        )


def trace(start_node: VJPNode, fun: Callable, x):
    """``(fun(x), end_node)``, ``fun`` run on a new reverse-mode level from the root ``start_node``.

    ``end_node`` is ``None`` (with autograd's warning) when the output does not depend on ``x``.
    A root of a user's own ``Node`` class traces without differentiating: each primitive makes a
    node of that class (:func:`~._node_trace.trace_nodes`).
    """
    if not isinstance(start_node, VJPNode):
        return trace_nodes(start_node, fun, x)
    if start_node.trace is not None:
        raise ArgumentError("trace: the start node already holds a tape; give each trace a fresh VJPNode.new_root().")
    with new_trace(ReverseTrace) as level:
        start_node.trace = level
        end_box = fun(new_box(x, level, start_node))
        if isinstance(end_box, ReverseTracer) and end_box._trace is level:
            end_node = VJPNode(level, end_box.index, end_box.slot, start_node)
            end_node.value = end_box._primal
            return end_box._primal, end_node
    warnings.warn("Output seems independent of input.", stacklevel=2)
    return end_box, None


def backward_pass(g, end_node: VJPNode):
    """The cotangent of ``end_node``'s root, given the cotangent ``g`` of ``end_node``'s value."""
    root = end_node.root
    if root is None:
        raise ArgumentError("backward_pass: the end node is a root; give the node trace() returned.")
    if not isinstance(g, Tracer):
        g = xp.asarray(g, dtype=None if end_node.value is None else end_node.value.dtype)
    level = end_node.trace
    cotangents = pull_back_tape(level.tape, [(end_node.index, end_node.slot, g)], fast=not level.lower_values)
    total = None
    for index in root.inputs:
        ct = cotangents[index]
        if ct is not None:
            total = ct if total is None else total + ct
    return xp.zeros_like(root.value, dtype=xp.result_type(root.value)) if total is None else total
