"""The computational graph as data: boxes (one per value) and arrows (one per use), from any of wengert's graphs.

One visual language serves the three graphs wengert records:

* a staged :class:`~wengert._src.core.ir.Program` (``wengert.trace``), and so
  a derivative program, with values and adjoints at a point when arguments are
  given (computed by :func:`~wengert.viz.sweep.sweep_program`);
* the eager history of a :class:`wengert.Tensor` (``loss.grad_fn``), as
  torchviz draws it: one box per recorded operation, the leaves with their
  ``.grad``;
* a teaching :class:`wengert.scalar.Value`, as micrograd draws it.

Each :class:`Node` holds a title (the operation, or a variable's name),
its type (``f64[3]``) and, where known, its value and its gradient (the
adjoint ``d out / d node``), as short text: a number for a scalar, the
elements of a small array, and a summary (mean, std, range) of a large one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from wengert._src.core.ir import Literal, Program, Var, type_string

__all__ = ["Edge", "Graph", "Node", "summarize"]

KINDS = ("input", "const", "op", "output")


@dataclass
class Node:
    """One box: ``kind`` is ``input``, ``const``, ``op`` or ``output`` (the result, an op drawn stronger)."""

    id: str
    kind: str
    title: str
    type: str = ""
    value: str | None = None
    grad: str | None = None


@dataclass
class Edge:
    """An arrow from the box ``source`` to the box ``target``; ``label`` is optional (an argument's position)."""

    source: str
    target: str
    label: str = ""


@dataclass
class Graph:
    """Boxes and arrows, in an order where every box comes after the boxes it depends on."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    title: str = ""

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)


def summarize(value, digits: int = 4) -> str:
    """A value as short text: ``0.7531``; ``[1, 2, 3]`` for up to 6 elements; else ``mean 0.1 std 2 [-3, 4]``."""
    array = np.asarray(value)
    if array.ndim == 0:
        return _number(array.item(), digits)
    if array.size <= 6:
        return "[" + ", ".join(_number(v, digits) for v in array.ravel().tolist()) + "]"
    if not np.issubdtype(array.dtype, np.number):
        return f"{array.size} values"
    return (
        f"mean {_number(array.mean(), 3)} std {_number(array.std(), 3)} "
        f"[{_number(array.min(), 3)}, {_number(array.max(), 3)}]"
    )


def _number(value, digits: int) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, complex):
        return f"{value:.{digits}g}"
    return f"{float(value):.{digits}g}"


# --- Program --------------------------------------------------------------------------------------------


def program_graph(
    program: Program,
    values: dict | None = None,
    adjoints: dict | None = None,
    names: Sequence[str] | None = None,
    prefix: str = "",
    title: str = "",
) -> Graph:
    """The graph of a program: a box per input, constant, literal use and equation output.

    ``values`` and ``adjoints`` map the program's Vars to arrays (see
    :func:`~wengert.viz.sweep.sweep_program`); ``names`` renames the inputs
    (``a``, ``b`` instead of ``t1``, ``t2``); ``prefix`` keeps box ids
    distinct when two programs are drawn in one picture.
    """
    values = values or {}
    adjoints = adjoints or {}
    names = list(names) if names is not None else [v.name for v in program.invars]
    graph = Graph(title=title)
    ids: dict[Var, str] = {}

    def add(var: Var, kind: str, title: str) -> None:
        ids[var] = f"{prefix}{var.name}"
        graph.nodes.append(
            Node(
                ids[var],
                kind,
                title,
                type_string(var.shape, var.dtype),
                summarize(values[var]) if var in values else None,
                summarize(adjoints[var]) if var in adjoints else None,
            )
        )

    for var, name in zip(program.invars, names):
        add(var, "input", name)
    for var in program.constvars:
        add(var, "const", f"{var.name} (constant)")
    outputs = {v for v in program.outvars if isinstance(v, Var)}
    literal_count = 0
    for eqn in program.equations:
        inputs = []
        for x in eqn.inputs:
            if isinstance(x, Literal):
                literal_count += 1
                literal_id = f"{prefix}lit{literal_count}"
                graph.nodes.append(Node(literal_id, "const", x.name, "literal"))
                inputs.append(literal_id)
            else:
                inputs.append(ids[x])
        for var in eqn.outputs:
            add(var, "output" if var in outputs else "op", f"{var.name} = {eqn.head()}")
            label_positions = len(set(inputs)) < len(inputs) or eqn.primitive.name in _ORDERED
            for position, source in enumerate(inputs):
                graph.edges.append(Edge(source, ids[var], str(position) if label_positions else ""))
    return graph


_ORDERED = {"subtract", "divide", "power", "matmul", "dot", "einsum", "arctan2", "where", "concatenate"}
"""Primitives whose arguments' order matters: the arrows into them are numbered."""


# --- Tensor ---------------------------------------------------------------------------------------------


def tensor_graph(tensor, title: str = "") -> Graph:
    """The recorded history of ``tensor`` (its ``grad_fn`` and everything behind it), torchviz-style.

    Each recorded operation is a box titled ``mulBackward`` with the type and
    value of what it computed; each leaf that requires grad is a box with its
    value and ``.grad``. The box of ``tensor`` itself shows its ``.grad`` when
    it was retained.
    """
    root = tensor.grad_fn
    graph = Graph(title=title)
    if root is None:
        graph.nodes.append(
            Node("n0", "input", "leaf tensor", _tensor_type(tensor), summarize(tensor.detach().numpy()), _grad(tensor))
        )
        return graph
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(parent for parent, _ in node.next_functions)
    order.sort(key=lambda node: node.seq)
    ids = {id(node): f"n{i}" for i, node in enumerate(order)}
    for node in order:
        leaf = getattr(node, "tensor", None)
        if leaf is not None:
            graph.nodes.append(
                Node(ids[id(node)], "input", "leaf", _tensor_type(leaf), summarize(leaf.detach().numpy()), _grad(leaf))
            )
            continue
        out = node.out[0] if isinstance(node.out, tuple) else node.out
        is_root = node is root
        graph.nodes.append(
            Node(
                ids[id(node)],
                "output" if is_root else "op",
                node.name(),
                type_string(np.shape(out), np.asarray(out).dtype) if out is not None else "",
                summarize(out) if out is not None else None,
                _grad(tensor) if is_root else None,
            )
        )
        for parent, _ in node.next_functions:
            graph.edges.append(Edge(ids[id(parent)], ids[id(node)]))
    return graph


def _tensor_type(tensor) -> str:
    return type_string(tuple(tensor.shape), tensor.detach().numpy().dtype)


def _grad(tensor) -> str | None:
    """The tensor's ``.grad`` as text, when backward() keeps it (a leaf, or a tensor that retains it)."""
    if not (tensor.is_leaf or tensor.retains_grad) or tensor.grad is None:
        return None
    return summarize(tensor.grad.detach().numpy())


# --- Value ----------------------------------------------------------------------------------------------


def value_graph(value, title: str = "") -> Graph:
    """The graph that computed a :class:`wengert.scalar.Value`: a box per Value with its data and grad."""
    graph = Graph(title=title)
    ids: dict[int, str] = {}
    for node in value.topological_order():
        ids[id(node)] = f"v{len(ids)}"
        if node.op:
            kind, node_title = ("output" if node is value else "op"), node.op
            if node.label:
                node_title = f"{node.label} = {node.op}"
        else:
            kind, node_title = ("input" if node.label else "const"), node.label or "constant"
        graph.nodes.append(Node(ids[id(node)], kind, node_title, "", _number(node.data, 4), _number(node.grad, 4)))
        for position, parent in enumerate(node.inputs):
            label = str(position) if node.op in ("-", "/", "**") else ""
            graph.edges.append(Edge(ids[id(parent)], ids[id(node)], label))
    return graph
