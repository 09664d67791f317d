"""Where each box of a graph goes: a layered drawing, in pure Python, for the SVG fallback and the explorer.

The classic method for drawing a directed acyclic graph (Sugiyama's): put
every box in a *layer* one past the deepest box it depends on, so all arrows
point the same way; then order the boxes inside each layer by the mean
position of their neighbours in the layer before (a few sweeps down and
up), which untangles most crossings; then space the layers and boxes out.
``rankdir`` ``"LR"`` lays the layers left to right, ``"TB"`` top to bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

from wengert.errors import ArgumentError

from .graph import Graph, Node

__all__ = ["Box", "Layout", "box_lines", "layout_graph"]

CHAR_WIDTH = 7.2
"""Width of one character of the 12px monospace font the boxes are drawn with."""
LINE_HEIGHT = 16
PADDING = 8
LAYER_GAP = 56
SIBLING_GAP = 18
SWEEPS = 4


@dataclass
class Box:
    """A node's rectangle: top-left corner ``(x, y)``, ``width``, ``height``, and its text lines."""

    node: Node
    x: float
    y: float
    width: float
    height: float
    lines: list[str]


@dataclass
class Layout:
    """Boxes by node id, and the size of the whole drawing."""

    boxes: dict[str, Box]
    width: float
    height: float


def box_lines(node: Node) -> list[str]:
    """The text of a box, one string a line: title, type, value, gradient (the ones known)."""
    lines = [node.title]
    if node.type:
        lines.append(node.type)
    if node.value is not None:
        lines.append(f"value {node.value}")
    if node.grad is not None:
        lines.append(f"grad  {node.grad}")
    return lines


def layout_graph(graph: Graph, rankdir: str = "LR") -> Layout:
    """Positions for every box of ``graph`` (see the module docstring)."""
    if rankdir not in ("LR", "TB"):
        raise ArgumentError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}.")
    parents: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for edge in graph.edges:
        parents[edge.target].append(edge.source)
    layer_of: dict[str, int] = {}
    for node in graph.nodes:  # nodes come after what they depend on
        layer_of[node.id] = 1 + max((layer_of[p] for p in parents[node.id]), default=-1)
    _pull_constants_forward(graph, parents, layer_of)
    layers: list[list[str]] = [[] for _ in range(1 + max(layer_of.values(), default=-1))]
    for node in graph.nodes:
        layers[layer_of[node.id]].append(node.id)
    children: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for edge in graph.edges:
        children[edge.source].append(edge.target)
    for _ in range(SWEEPS):
        for k in range(1, len(layers)):
            _order_by_neighbours(layers[k], layers[k - 1], parents)
        for k in range(len(layers) - 2, -1, -1):
            _order_by_neighbours(layers[k], layers[k + 1], children)
    return _place(graph, layers, rankdir)


def _pull_constants_forward(graph: Graph, parents: dict, layer_of: dict) -> None:
    """A constant (no parents) sits in the layer just before its first user, not at the far start."""
    users: dict[str, list[str]] = {}
    for edge in graph.edges:
        users.setdefault(edge.source, []).append(edge.target)
    for node in graph.nodes:
        if node.kind == "const" and not parents[node.id] and node.id in users:
            layer_of[node.id] = max(0, min(layer_of[u] for u in users[node.id]) - 1)


def _order_by_neighbours(layer: list[str], neighbour_layer: list[str], neighbours: dict) -> None:
    position = {node_id: i for i, node_id in enumerate(neighbour_layer)}

    def key(item):
        index, node_id = item
        placed = [position[n] for n in neighbours[node_id] if n in position]
        return (sum(placed) / len(placed) if placed else index, index)

    layer[:] = [node_id for _, node_id in sorted(enumerate(layer), key=key)]


def _place(graph: Graph, layers: list[list[str]], rankdir: str) -> Layout:
    nodes = {node.id: node for node in graph.nodes}
    sizes = {}
    for node_id, node in nodes.items():
        lines = box_lines(node)
        sizes[node_id] = (
            max(len(line) for line in lines) * CHAR_WIDTH + 2 * PADDING,
            len(lines) * LINE_HEIGHT + PADDING,
        )
    across = 0 if rankdir == "TB" else 1  # the axis along which a layer's boxes are spread
    extents = [sum(sizes[n][across] for n in layer) + SIBLING_GAP * (len(layer) - 1) for layer in layers]
    widest = max(extents, default=0.0)
    boxes: dict[str, Box] = {}
    depth = 0.0
    for layer, extent in zip(layers, extents):
        thickness = max(sizes[n][1 - across] for n in layer)
        offset = (widest - extent) / 2
        for node_id in layer:
            width, height = sizes[node_id]
            size_across = (width, height)[across]
            size_along = (width, height)[1 - across]
            along = depth + (thickness - size_along) / 2
            x, y = (offset, along) if rankdir == "TB" else (along, offset)
            boxes[node_id] = Box(nodes[node_id], x, y, width, height, box_lines(nodes[node_id]))
            offset += size_across + SIBLING_GAP
        depth += thickness + LAYER_GAP
    depth = max(depth - LAYER_GAP, 0.0)
    width, height = (widest, depth) if rankdir == "TB" else (depth, widest)
    return Layout(boxes, width, height)
