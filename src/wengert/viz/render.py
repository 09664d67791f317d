"""Turning a :class:`~wengert.viz.graph.Graph` into a picture: DOT source, SVG by Graphviz, or SVG in pure Python.

A :class:`Drawing` holds one graph, or several drawn side by side (the
forward graph and the adjoint graph). Its DOT source (``drawing.source``)
is always available; ``drawing.svg()`` renders it with the Graphviz ``dot``
program when that is installed, and otherwise with wengert's own layered
layout (:mod:`wengert.viz.layout`) written straight to SVG, with no
dependency at all (``engine="python"`` asks for it explicitly).
In Jupyter a Drawing displays itself (``_repr_svg_``).
"""

from __future__ import annotations

import html
import shutil
import subprocess
from os import PathLike
from pathlib import Path

from wengert.errors import ArgumentError, MissingDependencyError

from .graph import Graph, Node
from .layout import LINE_HEIGHT, PADDING, Box, box_lines, layout_graph

__all__ = ["ENGINES", "Drawing", "dot_available"]

ENGINES = ("auto", "dot", "python")
"""``"dot"``: the Graphviz program; ``"python"``: wengert's own layout; ``"auto"``: dot when installed."""

STYLE = {  # fill, border, header fill, per kind of box
    "input": ("#eff6ff", "#2563eb", "#dbeafe"),
    "const": ("#f9fafb", "#9ca3af", "#f3f4f6"),
    "op": ("#ffffff", "#4b5563", "#e5e7eb"),
    "output": ("#fffbeb", "#d97706", "#fde68a"),
}
GRAD_COLOR = "#b91c1c"
VALUE_COLOR = "#111827"
TYPE_COLOR = "#6b7280"
PANEL_GAP = 48
MARGIN = 16
TITLE_HEIGHT = 24

_INSTALL_DOT = (
    "the Graphviz program `dot` is not installed, so the graph cannot be rendered by Graphviz. Install it "
    "(apt-get install graphviz, brew install graphviz, conda install graphviz, or https://graphviz.org/download/), "
    "or draw with engine='python' (wengert's pure-Python SVG, no dependency); the DOT source is in drawing.source."
)


def dot_available() -> bool:
    """Whether the Graphviz ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


class Drawing:
    """A picture of one or more graphs, laid out ``rankdir`` (``"LR"`` or ``"TB"``), side by side.

    >>> from wengert.viz.graph import Edge, Graph, Node
    >>> g = Graph([Node("a", "input", "a", value="2"), Node("b", "output", "b = neg a", value="-2")], [Edge("a", "b")])
    >>> drawing = Drawing([g])
    >>> "a -> b" in drawing.source
    True
    >>> drawing.svg(engine="python").startswith("<svg")
    True
    """

    def __init__(self, graphs: list[Graph], rankdir: str = "LR"):
        if rankdir not in ("LR", "TB"):
            raise ArgumentError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}.")
        self.graphs = list(graphs)
        self.rankdir = rankdir

    # --- DOT ------------------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """The picture in Graphviz's DOT language (render it with ``dot -Tsvg``, or paste it anywhere DOT is read)."""
        lines = [
            "digraph wengert {",
            f'  graph [rankdir={self.rankdir}, fontname="Helvetica", nodesep=0.25, ranksep=0.45];',
            '  node [shape=plain, fontname="Courier", fontsize=11];',
            '  edge [color="#6b7280", arrowsize=0.7, fontname="Helvetica", fontsize=9];',
        ]
        several = len(self.graphs) > 1
        if several:
            lines.append("  newrank=true;")
        for k, graph in enumerate(self.graphs):
            indent = "    " if several else "  "
            if several:
                lines.append(f"  subgraph cluster_{k} {{")
                lines.append(f'    label="{_dot_escape(graph.title)}"; color="#d1d5db"; style=rounded;')
            elif graph.title:
                lines.append(f'  label="{_dot_escape(graph.title)}"; labelloc=t;')
            for node in graph.nodes:
                lines.append(f"{indent}{node.id} [label=<{_html_label(node)}>];")
            for edge in graph.edges:
                label = f' [label="{_dot_escape(edge.label)}"]' if edge.label else ""
                lines.append(f"{indent}{edge.source} -> {edge.target}{label};")
            if several:
                lines.append("  }")
        lines += self._side_by_side()
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _side_by_side(self) -> list[str]:
        """Invisible rank constraints that put the graphs side by side, in order, as the pure-Python SVG does.

        Left to right, every graph's ranks come after the previous one's (an
        invisible edge from each of its sinks to each source of the next);
        top to bottom, the graphs' first boxes share a rank, left to right.
        """
        lines = []
        for before, after in zip(self.graphs, self.graphs[1:]):
            if not before.nodes or not after.nodes:
                continue
            if self.rankdir == "LR":
                sources = {e.source for e in before.edges}
                sinks = [n.id for n in before.nodes if n.id not in sources]
                targets = {e.target for e in after.edges}
                starts = [n.id for n in after.nodes if n.id not in targets]
                lines += [f"  {sink} -> {start} [style=invis];" for sink in sinks for start in starts]
            else:
                first, second = before.nodes[0].id, after.nodes[0].id
                lines.append(f"  {{rank=same; {first}; {second};}}")
                lines.append(f"  {first} -> {second} [style=invis];")
        return lines

    # --- SVG ------------------------------------------------------------------------------------------
    def svg(self, engine: str = "auto") -> str:
        """The picture as SVG text, by ``engine`` (see :data:`ENGINES`)."""
        if engine not in ENGINES:
            raise ArgumentError(f"engine must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}.")
        if engine == "dot" or (engine == "auto" and dot_available()):
            return self._dot_render("svg").decode("utf-8")
        return self._python_svg()

    def save(self, path: str | PathLike, engine: str = "auto") -> Path:
        """Write the picture to ``path``: ``.svg`` (either engine), ``.dot``/``.gv`` (the source), or
        ``.png``/``.pdf`` (these need Graphviz's ``dot``)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".dot", ".gv"):
            path.write_text(self.source, encoding="utf-8")
        elif suffix == ".svg":
            path.write_text(self.svg(engine), encoding="utf-8")
        elif suffix in (".png", ".pdf"):
            path.write_bytes(self._dot_render(suffix[1:]))
        else:
            raise ArgumentError(f"cannot tell the format of {path.name!r}: use .svg, .dot, .gv, .png or .pdf.")
        return path

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        sizes = ", ".join(f"{len(g.nodes)} boxes" for g in self.graphs)
        return f"<Drawing of {len(self.graphs)} graph{'s' if len(self.graphs) > 1 else ''} ({sizes}); .source, .svg()>"

    def _dot_render(self, fmt: str) -> bytes:
        if not dot_available():
            raise MissingDependencyError(_INSTALL_DOT)
        done = subprocess.run(["dot", f"-T{fmt}"], input=self.source.encode("utf-8"), capture_output=True, check=False)
        if done.returncode != 0:
            raise MissingDependencyError(f"Graphviz's dot failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def _python_svg(self) -> str:
        layouts = [layout_graph(graph, self.rankdir) for graph in self.graphs]
        titled = any(graph.title for graph in self.graphs)
        top = MARGIN + (TITLE_HEIGHT if titled else 0)
        parts, x = [], float(MARGIN)
        for graph, layout in zip(self.graphs, layouts):
            if graph.title:
                parts.append(
                    f'<text x="{x:.1f}" y="{MARGIN + 14}" font-family="Helvetica, Arial, sans-serif" '
                    f'font-size="14" font-weight="bold" fill="#374151">{html.escape(graph.title)}</text>'
                )
            parts.append(f'<g transform="translate({x:.1f},{top:.1f})">')
            parts += [
                _svg_edge(layout.boxes[e.source], layout.boxes[e.target], e.label, self.rankdir) for e in graph.edges
            ]
            parts += [_svg_box(box) for box in layout.boxes.values()]
            parts.append("</g>")
            x += layout.width + PANEL_GAP
        width = x - PANEL_GAP + MARGIN
        height = top + max((layout.height for layout in layouts), default=0.0) + MARGIN
        header = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
            'font-size="12">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#6b7280"/></marker></defs>'
            f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>'
        )
        return header + "".join(parts) + "</svg>"


def _svg_box(box: Box) -> str:
    fill, border, header = STYLE.get(box.node.kind, STYLE["op"])
    x, y, w, h = box.x, box.y, box.width, box.height
    band = LINE_HEIGHT + PADDING / 2
    out = [
        f'<g class="node" data-id="{html.escape(box.node.id)}">',
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" fill="{fill}" stroke="{border}" '
        'stroke-width="1.4"/>',
        f'<path d="M {x:.1f} {y + band:.1f} L {x:.1f} {y + 6:.1f} Q {x:.1f} {y:.1f} {x + 6:.1f} {y:.1f} '
        f'L {x + w - 6:.1f} {y:.1f} Q {x + w:.1f} {y:.1f} {x + w:.1f} {y + 6:.1f} L {x + w:.1f} {y + band:.1f} Z" '
        f'fill="{header}" stroke="{border}" stroke-width="1.4"/>',
    ]
    for k, line in enumerate(box.lines):
        color, weight = VALUE_COLOR, "normal"
        if k == 0:
            weight = "bold"
        elif line.startswith("grad"):
            color = GRAD_COLOR
        elif not line.startswith("value"):
            color = TYPE_COLOR
        baseline = y + PADDING / 2 + LINE_HEIGHT * k + 12
        out.append(
            f'<text x="{x + PADDING:.1f}" y="{baseline:.1f}" fill="{color}" font-weight="{weight}">'
            f"{html.escape(line)}</text>"
        )
    out.append("</g>")
    return "".join(out)


def _svg_edge(source: Box, target: Box, label: str, rankdir: str) -> str:
    if rankdir == "LR":
        x1, y1 = source.x + source.width, source.y + source.height / 2
        x2, y2 = target.x, target.y + target.height / 2
        bend = max((x2 - x1) / 2, 20)
        path = f"M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f}, {x2 - bend:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}"
        lx, ly = x2 - 14, y2 - 5
    else:
        x1, y1 = source.x + source.width / 2, source.y + source.height
        x2, y2 = target.x + target.width / 2, target.y
        bend = max((y2 - y1) / 2, 20)
        path = f"M {x1:.1f} {y1:.1f} C {x1:.1f} {y1 + bend:.1f}, {x2:.1f} {y2 - bend:.1f}, {x2:.1f} {y2:.1f}"
        lx, ly = x2 + 5, y2 - 8
    text = f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="10" fill="#6b7280">{html.escape(label)}</text>' if label else ""
    return f'<path d="{path}" fill="none" stroke="#9ca3af" stroke-width="1.3" marker-end="url(#arrow)"/>{text}'


def _html_label(node: Node) -> str:
    fill, border, header = STYLE.get(node.kind, STYLE["op"])
    rows = [f'<tr><td bgcolor="{header}"><b>{html.escape(node.title)}</b></td></tr>']
    for line in box_lines(node)[1:]:
        color = GRAD_COLOR if line.startswith("grad") else VALUE_COLOR if line.startswith("value") else TYPE_COLOR
        rows.append(f'<tr><td align="left"><font color="{color}">{html.escape(line)}</font></td></tr>')
    return (
        f'<table border="1" cellborder="0" cellspacing="0" cellpadding="3" style="rounded" color="{border}" '
        f'bgcolor="{fill}">{"".join(rows)}</table>'
    )


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
