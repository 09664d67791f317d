"""Optimal Jacobian accumulation: vertex elimination on the linearized computational graph.

``linearized_graph(f, *args)`` reads ``linearize``'s program of ``f`` as a graph whose
edges carry structured local Jacobians (identity, negation, scalar, diagonal,
selection, sum, dense: whatever each primitive declares, dense where it declares
nothing). Eliminating its intermediates in some order accumulates the Jacobian;
the order sets the number of multiplications, and finding the cheapest order is
NP-complete (Naumann 2008). The orders: ``"forward"`` and ``"reverse"``
(topological and reverse topological), ``"markowitz"`` (lowest
``|pred| * |succ|`` first), ``"lowest_fill"`` (fewest new edges first) and
``"optimal"`` (exact, by branch and bound over the sets of eliminated vertices,
for graphs of up to :data:`MAX_EXACT_VERTICES` intermediates); or a list of
intermediates by name. ``wengert.jacobian(f, method="elimination", order=...)``
runs the elimination; ``docs/elimination.md`` explains the cost model.

>>> import wengert, wengert.numpy as wnp
>>> from wengert import elimination
>>> def lighthouse(nu, gamma, omega, t):
...     tangent = wnp.tan(omega * t)
...     y1 = nu * tangent / (gamma - tangent)
...     return y1, gamma * y1
>>> report = elimination.elimination_report(lighthouse, 3.0, 2.0, 1.0, 0.5, argnums=(0, 1, 2, 3))
>>> {name: report.costs()[name] for name in ("forward", "reverse", "markowitz", "optimal")}
{'forward': 13, 'reverse': 12, 'markowitz': 10, 'optimal': 9}
"""

from ._src.transforms.elimination import (
    MAX_EXACT_VERTICES,
    ORDERS,
    EliminationOrder,
    EliminationReport,
    LinearizedGraph,
    Vertex,
    connected_parts,
    elimination_cost,
    elimination_report,
    fold_relays,
    graph_of_program,
    linearized_graph,
    optimal_order,
)
from ._src.transforms.local_jacobians import Edge, product_cost

__all__ = [
    "MAX_EXACT_VERTICES",
    "ORDERS",
    "Edge",
    "EliminationOrder",
    "EliminationReport",
    "LinearizedGraph",
    "Vertex",
    "connected_parts",
    "elimination_cost",
    "elimination_report",
    "fold_relays",
    "graph_of_program",
    "linearized_graph",
    "optimal_order",
    "product_cost",
]
