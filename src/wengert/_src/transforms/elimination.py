"""Vertex elimination: the Jacobian accumulated on the linearized computational graph, in any order.

``linearize`` stages a function's derivative as a linear program; read as a
graph, its vertices are the independent inputs, the intermediates and the
outputs, and each edge ``u -> v`` carries the local Jacobian ``d v / d u``
(structured: :mod:`local_jacobians`). Eliminating an intermediate ``j``
connects each predecessor ``i`` to each successor ``k`` by the chain rule,
``c_ki += c_kj c_ji``, and removes ``j``; once every intermediate is gone the
edges from inputs to outputs are the Jacobian's blocks (Griewank & Walther,
*Evaluating Derivatives*, ch. 9-10). The order decides the cost: forward
(topological) order is forward mode made aware of sparsity, reverse order
reverse mode; Markowitz, lowest fill and the exact optimum choose better.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from wengert.errors import ArgumentError, DtypeError, MissingDependencyError, TracerError

from ..backend import xp
from ..core.ir import Literal, Var
from ..core.primitive import Tracer
from ..core.pytree import tree_flatten, tree_leaves, tree_unflatten
from .jit import jit
from .linearize import linearize
from .local_jacobians import compose, equation_edges, identity_edge, merge, product_cost

ORDERS = ("forward", "reverse", "markowitz", "lowest_fill", "optimal")
"""The named elimination orders."""

MAX_EXACT_VERTICES = 20
"""The most intermediates :func:`optimal_order` searches exactly."""


class Vertex:
    """One vertex: an independent input, an intermediate or an output, with the variable's name and shape."""

    __slots__ = ("dtype", "label", "name", "role", "shape")

    def __init__(self, name: str, shape: tuple, dtype, role: str, label: str):
        self.name = name
        self.shape = tuple(shape)
        self.dtype = dtype
        self.role = role
        self.label = label

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __repr__(self) -> str:
        return f"Vertex({self.name}, {self.role})"


class EliminationOrder:
    """An elimination order over a graph's intermediates (their names) and its cost in multiplications."""

    __slots__ = ("cost", "name", "vertices")

    def __init__(self, name: str, vertices: tuple, cost: int):
        self.name = name
        self.vertices = vertices
        self.cost = cost

    def __repr__(self) -> str:
        return f"EliminationOrder({self.name}: {' '.join(self.vertices) or '(nothing)'}, {self.cost} multiplications)"


class LinearizedGraph:
    """The linearized computational graph of a function at a point, with structured edges.

    Build one with :func:`linearized_graph`. ``vertices`` maps a vertex's name to its
    :class:`Vertex`; ``edges`` maps ``(u, v)`` names to the :class:`Edge` ``d v / d u``;
    ``inputs``, ``intermediates`` (in evaluation order) and ``outputs`` are names. It
    prints as a table, draws with graphviz (:meth:`draw`), and eliminates in any order.
    """

    def __init__(self, vertices: dict, edges: dict, inputs: list, intermediates: list, outputs: list, program):
        self.vertices = vertices
        self.edges = edges
        self.inputs = inputs
        self.intermediates = intermediates
        self.outputs = outputs
        self.program = program
        """The linear program the graph was read from (``linearize``'s)."""
        self.raw_edges = list(edges.values())
        """The edges before any folding: one per (vertex input, output) of each equation."""

    # --- the orders ----------------------------------------------------------------------------------------

    def order(self, order="markowitz", max_vertices: int = MAX_EXACT_VERTICES) -> EliminationOrder:
        """The elimination order ``order`` names (one of :data:`ORDERS`, a sequence of intermediates'
        names, or an :class:`EliminationOrder` planned on a graph of the same structure) with its cost
        under the cost model."""
        if isinstance(order, EliminationOrder):
            self._checked_order(order.vertices)
            return order
        if isinstance(order, str):
            if order not in ORDERS:
                raise ArgumentError(
                    f"elimination order {order!r} is not one of {ORDERS}; or pass a list of the graph's "
                    "intermediates (their names as the graph prints them) in the order to eliminate them."
                )
            if order == "optimal":
                return optimal_order(self, max_vertices)
            if order in ("forward", "reverse"):
                names = list(self.intermediates) if order == "forward" else self.intermediates[::-1]
                return EliminationOrder(order, tuple(names), _State(self).run(names))
            return _greedy(self, order)
        names = self._checked_order(order)
        return EliminationOrder("given", names, _State(self).run(names))

    def cost(self, order="markowitz") -> int:
        """Multiplications to eliminate every intermediate in ``order`` (as for :meth:`order`)."""
        return self.order(order).cost

    def mode_costs(self) -> dict:
        """Multiplications of ``jacfwd`` (one JVP per input element), ``jacrev`` (one VJP per output
        element), and of ``jacobian``'s automatic choice between them (forward if fewer input elements)."""
        one_pass = sum(edge.apply_cost() for edge in self.raw_edges)
        n = sum(self.vertices[v].size for v in self.inputs)
        m = sum(self.vertices[v].size for v in self.outputs)
        return {"jacfwd": n * one_pass, "jacrev": m * one_pass, "jacobian": (n if n < m else m) * one_pass}

    # --- the elimination -----------------------------------------------------------------------------------

    def eliminate(self, order="markowitz") -> dict:
        """Run the elimination in ``order`` on the edges' values: ``{(input, output): Edge}``, the
        Jacobian's nonzero blocks (``output.size x input.size``)."""
        names = self.order(order).vertices
        state = _State(self, numeric=True)
        state.run(names)
        return {(i, k): state.edges[(i, k)] for i in self.inputs for k in state.succs[i]}

    def jacobian_blocks(self, order="markowitz") -> list[list]:
        """One row per output, one array per input: ``d output / d input`` shaped ``out.shape + in.shape``."""
        blocks = self.eliminate(order)
        rows = []
        for k in self.outputs:
            out = self.vertices[k]
            row = []
            for i in self.inputs:
                source = self.vertices[i]
                edge = blocks.get((i, k))
                matrix = xp.zeros((out.size, source.size), out.dtype) if edge is None else edge.to_dense()
                row.append(xp.asarray(matrix, dtype=out.dtype).reshape(out.shape + source.shape))
            rows.append(row)
        return rows

    # --- text and pictures ---------------------------------------------------------------------------------

    def __str__(self) -> str:
        lines = ["vertex   role          shape      defined by"]
        for name, vertex in self.vertices.items():
            lines.append(f"{name:<8} {vertex.role:<13} {_shape(vertex.shape):<10} {vertex.label}")
        lines.append("")
        lines.append("edge              structure         size      multiplications per use")
        for (u, v), edge in self.edges.items():
            size = f"{edge.shape[0]}x{edge.shape[1]}"
            lines.append(f"{u + ' -> ' + v:<17} {edge.structure:<17} {size:<9} {edge.apply_cost()}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<LinearizedGraph: {len(self.inputs)} inputs, {len(self.intermediates)} intermediates, "
            f"{len(self.outputs)} outputs, {len(self.edges)} edges; print() it to read it>"
        )

    def draw(self):
        """A ``graphviz.Digraph``: inputs as boxes at the left, outputs as double circles, each edge
        labelled with its structure and size (needs the ``graph`` extra: ``pip install 'wengert[graph]'``)."""
        try:
            import graphviz
        except ImportError as error:
            raise MissingDependencyError(
                "LinearizedGraph.draw needs the graphviz package: pip install 'wengert[graph]'"
            ) from error
        dot = graphviz.Digraph(graph_attr={"rankdir": "LR"})
        shapes = {"input": "box", "intermediate": "ellipse", "output": "doublecircle"}
        for name, vertex in self.vertices.items():
            dot.node(name, f"{name}\n{vertex.label} {_shape(vertex.shape)}", shape=shapes[vertex.role])
        for (u, v), edge in self.edges.items():
            dot.edge(u, v, label=f"{edge.structure} {edge.shape[0]}x{edge.shape[1]}")
        return dot

    def _checked_order(self, order) -> tuple:
        names = tuple(getattr(v, "name", v) for v in order)
        for name in names:
            if name not in self.vertices:
                raise ArgumentError(f"elimination order: {name!r} is no vertex of this graph; {self._which()}")
            role = self.vertices[name].role
            if role != "intermediate":
                raise ArgumentError(
                    f"elimination order: {name!r} is an {role}, and only intermediates are eliminated; {self._which()}"
                )
        if len(set(names)) != len(names) or set(names) != set(self.intermediates):
            missing = [v for v in self.intermediates if v not in names]
            repeated = sorted({v for v in names if names.count(v) > 1})
            raise ArgumentError(
                f"elimination order: not a permutation of the intermediates (missing {missing}, repeated "
                f"{repeated}); {self._which()}"
            )
        return names

    def _which(self) -> str:
        return f"the intermediates are {list(self.intermediates)} (print the graph to see them)."


def linearized_graph(fun: Callable, *args, argnums: int | Sequence[int] = 0, fold: bool = True) -> LinearizedGraph:
    """The linearized computational graph of ``fun`` at ``args``, differentiated in ``argnums``.

    Its vertices are the leaves of the differentiated arguments (inputs), the variables of
    ``linearize``'s program (intermediates) and the leaves of the result (outputs); an output
    that feeds another is copied into an output vertex of its own by an identity edge, as
    Griewank and Walther do, so that outputs have no successors. With ``fold`` (the default),
    intermediates that only relay one edge (one predecessor, one successor, one of the two
    edges unit: an identity, a negation, a selection, a sum) are eliminated first, which costs no multiplication and
    leaves one vertex per elemental operation, as in the textbooks' graphs. Orders, costs and the
    exact optimum are all over the folded graph.

    >>> import wengert, wengert.numpy as wnp
    >>> graph = wengert.elimination.linearized_graph(lambda x, y: 1 + x + wnp.exp(wnp.sin(x * y)), 1.0, 2.0,
    ...                                              argnums=(0, 1))
    >>> graph.intermediates
    ['t5', 't6']
    """
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for p in positions:
        if not isinstance(p, int) or not -len(args) <= p < len(args):
            raise ArgumentError(f"linearized_graph: argnums {argnums!r} does not fit {len(args)} arguments")
    positions = tuple(p % len(args) for p in positions)
    graph, _ = StagedLinearization(lambda *a: (fun(*a), None), args, positions).graph(args, fold)
    return graph


class StagedLinearization:
    """``linearize``'s program of a function staged once for the shapes of its arguments, and compiled.

    The graph's structure (its vertices and which edges there are) depends only on the program;
    the edges' values are the program's constants, the local partial derivatives at the point.
    Staged with ``jit``, the function's values are hidden while the program is recorded, so one
    program serves every point of the same shapes, and each later point costs only the compiled
    computation of the constants (no tracing). Python control flow on a value (``if x[0] > 0``)
    has no single graph, and raises the staging error that points at the user's line.

    ``with_aux(*args)`` returns ``(result, aux)``; ``positions`` are the differentiated arguments.
    Arguments that are not arrays or numbers are passed to ``jit`` as static.
    """

    def __init__(self, with_aux: Callable, args: tuple, positions: tuple):
        self.program = None
        self.aux_tree = None
        self.static_aux: list = []
        self.orders: dict = {}
        """The elimination orders planned on this program's graph, by what order was asked for."""
        static = tuple(p for p, a in enumerate(args) if p not in positions and not _is_data(a))

        def residuals(*full):
            def of_chosen(*chosen):
                replaced = list(full)
                for p, value in zip(positions, chosen):
                    replaced[p] = value
                return with_aux(*replaced)

            _, f_lin, aux = linearize(of_chosen, *(full[p] for p in positions), has_aux=True)
            self.program = f_lin.program
            aux_leaves, self.aux_tree = tree_flatten(aux)
            self.static_aux = [None if isinstance(leaf, Tracer) else leaf for leaf in aux_leaves]
            return list(f_lin.program.consts), [leaf for leaf in aux_leaves if isinstance(leaf, Tracer)]

        self.compiled = jit(residuals, static_argnums=static)
        self.skeleton: _Skeleton | None = None

    def _graph_at(self, consts: list) -> LinearizedGraph:
        """The graph with these constants: the first one read whole, later ones on its skeleton."""
        if self.skeleton is not None:
            graph = self.skeleton.graph(consts)
            if graph is not None:
                return graph
        graph = graph_of_program(self.program, consts)
        self.skeleton = _Skeleton(self.program, graph)
        return graph

    def graph(self, args: tuple, fold: bool = True) -> tuple[LinearizedGraph, object]:
        """The graph at ``args`` (of the shapes staged for) and the function's ``aux`` there."""
        try:
            consts, traced_aux = self.compiled(*args)
        except TracerError as error:
            raise _staging_error(error) from error
        graph = self._graph_at(consts)
        traced = iter(traced_aux)
        aux = tree_unflatten(self.aux_tree, [next(traced) if kept is None else kept for kept in self.static_aux])
        if not fold or self.skeleton.folds_nothing:  # which vertices are relays is the structure's, not the point's
            return graph, aux
        folded = fold_relays(graph)
        self.skeleton.folds_nothing = len(folded.intermediates) == len(graph.intermediates)
        return folded, aux


def _staging_error(error: TracerError) -> TracerError:
    """``jit``'s error for Python code that needs a value, with what it means for vertex elimination."""
    message = str(error)
    if "needs the value of a traced array" not in message or "; but " not in message:
        return error
    what_and_where = message.split("; but ", 1)[0].removeprefix("jit: ")
    return TracerError(
        f"vertex elimination: {what_and_where}; but the elimination reads one linearized graph for every point "
        "of the same shapes (the graph is staged without values, once), and Python control flow on a value "
        "has no single graph. Write the choice with wengert.numpy.where or wengert.lax.cond, or use jacfwd / "
        "jacrev, which differentiate the branch taken at the point."
    )


def _is_data(value) -> bool:
    """An argument ``jit`` traces: arrays and numbers, or containers of them (anything else is static)."""
    return all(isinstance(leaf, (Tracer, xp.ndarray, xp.generic, int, float, complex)) for leaf in tree_leaves(value))


def graph_of_program(program, consts: Sequence | None = None) -> LinearizedGraph:
    """The graph of a linear program (``linearize``'s): one vertex per variable that depends on its inputs.
    ``consts`` are the values of the program's constants (by default its own)."""
    steps, defined_by = _steps(program)
    vertices = {var.name: Vertex(var.name, var.shape, var.dtype, "input", "input") for var in program.invars}
    intermediates = []
    for eqn, positions in steps:
        if not positions:  # a constant part of the program
            continue
        for var in eqn.outputs:
            if var.dtype.kind == "c":
                raise DtypeError(
                    f"vertex elimination: `{eqn.primitive.name}` makes a complex value a derivative flows through "
                    f"({var.name}: {var.dtype}); elimination accumulates real Jacobians, whose entries cannot hold "
                    "a complex derivative (a complex number is a 2x2 real block). Use jacfwd or jacrev "
                    "(method='modes') for functions through complex values."
                )
            vertices[var.name] = Vertex(var.name, var.shape, var.dtype, "intermediate", eqn.head())
            intermediates.append(var.name)
    zeros = {var: xp.zeros(var.shape, var.dtype) for var in defined_by}
    edges = _edges_at(steps, program.consts if consts is None else consts, program, defined_by, zeros)
    outputs = _output_vertices(program, vertices, edges, intermediates, defined_by)
    graph = LinearizedGraph(vertices, edges, [v.name for v in program.invars], intermediates, outputs, program)
    return _pruned(graph)


def _steps(program) -> tuple[list, dict]:
    """``[(equation, the positions of its inputs that are vertices)]`` and the vertex (its name) of each
    variable that depends on the program's inputs: what the graph's structure is read from."""
    defined_by = {var: var.name for var in program.invars}
    steps = []
    for eqn in program.equations:
        positions = [p for p, x in enumerate(eqn.inputs) if isinstance(x, Var) and x in defined_by]
        if positions:
            defined_by.update((var, var.name) for var in eqn.outputs)
        steps.append((eqn, positions))
    return steps, defined_by


def _edges_at(steps: list, consts: Sequence, program, defined_by: dict, zeros: dict) -> dict:
    """The local Jacobians of the equations ``steps`` at the constants ``consts``, by ``(u, v)`` names: the
    constant equations run on them, and every vertex stands in as zeros (``zeros``, by variable)."""
    env = dict(zip(program.constvars, consts))
    edges: dict = {}
    for eqn, positions in steps:
        args = [x.value if isinstance(x, Literal) else zeros[x] if x in zeros else env[x] for x in eqn.inputs]
        if not positions:
            out = eqn.primitive(*args, **eqn.params)
            env.update(zip(eqn.outputs, out if eqn.primitive.multiple_results else (out,)))
            continue
        for position, out_position, edge in equation_edges(eqn, args, positions):
            key = (defined_by[eqn.inputs[position]], eqn.outputs[out_position].name)
            edges[key] = merge(edges[key], edge) if key in edges else edge
    return edges


class _Skeleton:
    """What :func:`graph_of_program` reads from a staged program that no point changes: the vertices
    (their roles settled), which equations are constant, the edges' places, the output copies and the
    pruned vertices. A later point computes only the edges' values on it (the walk, the vertices and the
    checks cost as much as the arithmetic on small graphs). The edges a point yields are compared with
    the first point's: a difference (a declaration that answers otherwise at other values) is read whole.
    """

    def __init__(self, program, first: LinearizedGraph):
        self.program = program
        self.first = first
        self.steps, self.defined_by = _steps(program)
        self.zeros = {var: _read_only(xp.zeros(var.shape, var.dtype)) for var in self.defined_by}
        self.keys = set(first.edges)
        self.copies = {key: edge for key, edge in first.edges.items() if key[1] not in self.defined_by.values()}
        self.folds_nothing = False
        """Whether folding found no relay on this structure (then a later point skips the search)."""

    def graph(self, consts: list) -> LinearizedGraph | None:
        """The graph at ``consts``, or None where its edges do not fall where the first point's did."""
        edges = _edges_at(self.steps, consts, self.program, self.defined_by, self.zeros)
        edges.update(self.copies)
        first = self.first
        live = [key for key in edges if key[0] in first.vertices and key[1] in first.vertices]
        if len(live) != len(self.keys) or not self.keys.issuperset(live):
            return None
        kept = {key: edges[key] for key in first.edges}
        return LinearizedGraph(first.vertices, kept, first.inputs, first.intermediates, first.outputs, self.program)


def _read_only(array):
    array.flags.writeable = False
    return array


def fold_relays(graph: LinearizedGraph) -> LinearizedGraph:
    """Eliminate every intermediate with one predecessor and one successor joined to either by a unit
    edge (an identity, a negation, a selection, a sum): a relay, whose elimination costs no multiplication."""
    state = _State(graph, numeric=True)
    folded = []
    changed = True
    while changed:
        changed = False
        for j in graph.intermediates:
            if j in folded or len(state.preds[j]) != 1 or len(state.succs[j]) != 1:
                continue
            (i,), (k,) = state.preds[j], state.succs[j]
            if state.edges[(i, j)].unit or state.edges[(j, k)].unit:
                state.eliminate(j)
                folded.append(j)
                changed = True
    kept = [v for v in graph.intermediates if v not in folded]
    vertices = {name: vertex for name, vertex in graph.vertices.items() if name not in folded}
    result = LinearizedGraph(vertices, dict(state.edges), graph.inputs, kept, graph.outputs, graph.program)
    result.raw_edges = graph.raw_edges
    return result


def optimal_order(graph: LinearizedGraph, max_vertices: int = MAX_EXACT_VERTICES) -> EliminationOrder:
    """The cheapest elimination order, exactly.

    The graph's connected parts (intermediates joined by edges) are searched one by one: eliminating
    a vertex only touches its neighbours, so the optimum of the whole is the optima of its parts one
    after the other. Each part is searched depth first, branch and bound over the orders, each set of
    eliminated vertices expanded only when reached more cheaply than before (the graph left after
    eliminating a set does not depend on the order), bounded by the best heuristic order of the part.
    """
    parts = connected_parts(graph)
    largest = max(map(len, parts), default=0)
    if largest > max_vertices:
        raise ArgumentError(
            f"the exact elimination search takes at most {max_vertices} intermediates in one connected part "
            f"of the graph (this graph's largest part has {largest}; the search grows as 2^n): use "
            "order='markowitz' or 'lowest_fill', or raise max_vertices"
        )
    state, order, total = _State(graph), [], 0
    for part in parts:
        names, cost = _cheapest_order(state, part)
        state.run(names)
        order += names
        total += cost
    return EliminationOrder("optimal", tuple(order), total)


def connected_parts(graph: LinearizedGraph) -> list[list]:
    """The intermediates grouped by the edges between them, each group in evaluation order."""
    part_of = {v: {v} for v in graph.intermediates}
    for u, v in graph.edges:
        if u in part_of and v in part_of and part_of[u] is not part_of[v]:
            joined = part_of[u] | part_of[v]
            for w in joined:
                part_of[w] = joined
    parts, seen = [], set()
    for v in graph.intermediates:
        if id(part_of[v]) not in seen:
            seen.add(id(part_of[v]))
            parts.append([w for w in graph.intermediates if w in part_of[v]])
    return parts


def _cheapest_order(start: _State, part: list) -> tuple[list, int]:
    """The cheapest order of eliminating the intermediates ``part`` (one connected part) from ``start``."""
    heuristics = [(_run_copy(start, part), part), (_run_copy(start, part[::-1]), part[::-1])]
    for rule in ("markowitz", "lowest_fill"):
        names, cost = _greedy_order(start.copy(), part, rule)
        heuristics.append((cost, names))
    best_cost, best_order = min(heuristics, key=lambda h: h[0])
    best_order = list(best_order)
    count = len(part)
    reached: dict = {}

    def search(state: _State, eliminated: frozenset, spent: int, path: list) -> None:
        nonlocal best_cost, best_order
        if spent >= best_cost and len(path) < count or reached.get(eliminated, math.inf) <= spent:
            return
        reached[eliminated] = spent
        if len(path) == count:
            best_cost, best_order = spent, list(path)
            return
        candidates = sorted((state.elimination_cost(j), state.position[j], j) for j in part if j not in eliminated)
        for cost, _, j in candidates:
            if spent + cost >= best_cost or reached.get(eliminated | {j}, math.inf) <= spent + cost:
                continue
            child = state.copy()
            child.eliminate(j)
            search(child, eliminated | {j}, spent + cost, path + [j])

    search(start.copy(), frozenset(), 0, [])
    return best_order, best_cost


def _run_copy(state: _State, names: list) -> int:
    return state.copy().run(names)


def elimination_cost(fun: Callable, *args, order="markowitz", argnums: int | Sequence[int] = 0) -> int:
    """Multiplications to accumulate ``fun``'s Jacobian at ``args`` by vertex elimination in ``order``
    (``"forward"``, ``"reverse"``, ``"markowitz"``, ``"lowest_fill"``, ``"optimal"`` or a list of the
    intermediates' names), under the cost model of :mod:`wengert.elimination`.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> wengert.elimination_cost(lambda x: wnp.sin(wnp.exp(x)), np.ones(3))
    3
    """
    return linearized_graph(fun, *args, argnums=argnums).cost(order)


class EliminationReport:
    """Every order's multiplications for one function, beside those of ``jacfwd``, ``jacrev`` and
    ``jacobian``'s automatic choice; it prints as a table."""

    def __init__(self, graph: LinearizedGraph, orders: list[EliminationOrder], mode_costs: dict):
        self.graph = graph
        self.orders = orders
        self.mode_costs = mode_costs

    def costs(self) -> dict:
        """``{name: multiplications}`` for every order and mode."""
        return {**{o.name: o.cost for o in self.orders}, **self.mode_costs}

    def __str__(self) -> str:
        lines = [
            f"{len(self.graph.inputs)} inputs, {len(self.graph.intermediates)} intermediates, "
            f"{len(self.graph.outputs)} outputs",
            "method                  multiplications   order",
        ]
        for o in self.orders:
            lines.append(f"elimination {o.name:<12} {o.cost:>15}   {' '.join(o.vertices)}")
        for name, cost in self.mode_costs.items():
            lines.append(f"{name:<23} {cost:>15}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def elimination_report(
    fun: Callable, *args, argnums: int | Sequence[int] = 0, max_vertices: int = MAX_EXACT_VERTICES
) -> EliminationReport:
    """Every named order's cost for ``fun`` at ``args`` (the exact optimum where the graph has at most
    ``max_vertices`` intermediates), with ``jacfwd``'s, ``jacrev``'s and ``jacobian``'s."""
    graph = linearized_graph(fun, *args, argnums=argnums)
    largest = max(map(len, connected_parts(graph)), default=0)
    names = [n for n in ORDERS if n != "optimal" or largest <= max_vertices]
    return EliminationReport(graph, [graph.order(n, max_vertices) for n in names], graph.mode_costs())


MAX_PLANS = 32
"""The most argument signatures one ``jacobian(method="elimination")`` function keeps staged."""


def jacobian_by_elimination(with_aux: Callable, args: tuple, positions: tuple, order, plans: dict) -> tuple:
    """``(out_tree, blocks, aux)`` for ``jacobians``: ``with_aux(*args)`` returns ``(result, aux)``,
    differentiated in the arguments at ``positions``.

    ``plans`` (a dict the caller keeps between calls) holds a :class:`StagedLinearization` per
    signature of the arguments, and on it the orders already planned: a call at a new point of the
    same shapes runs the compiled constants and the elimination at once, without tracing or
    planning (the exact search, above all, costs more than the elimination it plans).
    """
    key = _signature(args, positions)
    staged = plans.get(key)
    if staged is None:
        if len(plans) >= MAX_PLANS:
            plans.clear()
        staged = StagedLinearization(with_aux, args, positions)
        graph, aux = staged.graph(args)
        plans[key] = staged
    else:
        graph, aux = staged.graph(args)
    order_key = _order_key(order)
    if order_key not in staged.orders:
        staged.orders[order_key] = graph.order(order)
    return graph.program.out_tree, graph.jacobian_blocks(staged.orders[order_key]), aux


def _signature(args: tuple, positions: tuple) -> tuple:
    """What a staged program depends on: the pytree structure, shapes and dtypes of the data arguments,
    the Python type of numbers, and the static arguments themselves."""
    parts = []
    for p, arg in enumerate(args):
        leaves, tree = tree_flatten(arg)
        if p not in positions and not _is_data(arg):
            parts.append(("static", arg))  # hashable: jit takes it as a static argument
            continue
        parts.append((tree, tuple((type(x), getattr(x, "shape", ()), getattr(x, "dtype", None)) for x in leaves)))
    return tuple(parts)


# --- the pieces ---------------------------------------------------------------------------------------------


class _State:
    """A graph part-way through an elimination: its edges, predecessors and successors."""

    __slots__ = ("edges", "position", "preds", "succs")

    def __init__(self, graph: LinearizedGraph | None, numeric: bool = False):
        if graph is None:
            return
        self.edges = {key: (edge if numeric else edge.abstract()) for key, edge in graph.edges.items()}
        names = list(graph.vertices)
        self.preds = {v: set() for v in names}
        self.succs = {v: set() for v in names}
        for u, v in graph.edges:
            self.succs[u].add(v)
            self.preds[v].add(u)
        self.position = {v: p for p, v in enumerate(graph.intermediates)}

    def copy(self) -> _State:
        state = _State(None)
        state.edges = dict(self.edges)
        state.preds = {v: set(s) for v, s in self.preds.items()}
        state.succs = {v: set(s) for v, s in self.succs.items()}
        state.position = self.position
        return state

    def elimination_cost(self, j) -> int:
        return sum(product_cost(self.edges[(j, k)], self.edges[(i, j)]) for i in self.preds[j] for k in self.succs[j])

    def fill(self, j) -> int:
        """New edges eliminating ``j`` would create."""
        return sum((i, k) not in self.edges for i in self.preds[j] for k in self.succs[j])

    def eliminate(self, j) -> int:
        cost = 0
        for i in self.preds[j]:
            inner = self.edges.pop((i, j))
            self.succs[i].discard(j)
            for k in self.succs[j]:
                outer = self.edges[(j, k)]
                cost += product_cost(outer, inner)
                path = compose(outer, inner)
                self.edges[(i, k)] = merge(self.edges[(i, k)], path) if (i, k) in self.edges else path
                self.succs[i].add(k)
                self.preds[k].add(i)
        for k in self.succs[j]:
            del self.edges[(j, k)]
            self.preds[k].discard(j)
        del self.preds[j], self.succs[j]
        return cost

    def run(self, names) -> int:
        return sum(self.eliminate(j) for j in names)


def _greedy(graph: LinearizedGraph, rule: str) -> EliminationOrder:
    """Markowitz: the lowest ``|pred| * |succ|`` first, ties to the cheapest elimination now, then to the
    earliest vertex. Lowest fill: the fewest new edges first, ties to the lowest Markowitz degree, then
    the earliest vertex."""
    order, total = _greedy_order(_State(graph), list(graph.intermediates), rule)
    return EliminationOrder(rule, tuple(order), total)


def _greedy_order(state: _State, names: list, rule: str) -> tuple[list, int]:
    """Eliminate ``names`` from ``state`` greedily by ``rule`` (see :func:`_greedy`): the order and its cost."""
    left, order, total = list(names), [], 0

    def key(j):
        degree = len(state.preds[j]) * len(state.succs[j])
        if rule == "markowitz":
            return (degree, state.elimination_cost(j), state.position[j])
        return (state.fill(j), degree, state.position[j])

    while left:
        j = min(left, key=key)
        left.remove(j)
        total += state.eliminate(j)
        order.append(j)
    return order, total


def _order_key(order):
    """What names ``order`` (a name, an :class:`EliminationOrder` or a sequence of vertices) for the plans."""
    if isinstance(order, str):
        return order
    names = order.vertices if isinstance(order, EliminationOrder) else order
    return tuple(getattr(v, "name", v) for v in names)


def _output_vertices(program, vertices, edges, intermediates, defined_by) -> list:
    """One output vertex per output leaf: the variable itself where it is an intermediate that feeds
    nothing else and is returned once, else a copy of it through an identity edge."""
    feeds = {u for u, _ in edges}
    counts: dict = {}
    for var in program.outvars:
        counts[var] = counts.get(var, 0) + 1 if isinstance(var, Var) else 0
    outputs = []
    for k, var in enumerate(program.outvars):
        source = defined_by.get(var) if isinstance(var, Var) else None
        if source is not None and vertices[source].role == "intermediate" and source not in feeds and counts[var] == 1:
            vertices[source].role = "output"
            intermediates.remove(source)
            outputs.append(source)
            continue
        name = f"out{k + 1}"
        vertices[name] = Vertex(name, var.shape, var.dtype, "output", f"copy of {source}" if source else "constant")
        if source is not None:
            edges[(source, name)] = identity_edge(math.prod(var.shape), var.dtype)
        outputs.append(name)
    return outputs


def _pruned(graph: LinearizedGraph) -> LinearizedGraph:
    """Without the intermediates from which no output is reached (they add nothing to the Jacobian)."""
    alive = set(graph.outputs)
    for u, v in reversed(list(graph.edges)):
        if v in alive:
            alive.add(u)
    changed = True
    while changed:
        changed = False
        for u, v in graph.edges:
            if v in alive and u not in alive:
                alive.add(u)
                changed = True
    dead = [v for v in graph.intermediates if v not in alive]
    if dead:
        graph.intermediates = [v for v in graph.intermediates if v in alive]
        graph.vertices = {n: v for n, v in graph.vertices.items() if n not in dead}
        graph.edges = {(u, v): e for (u, v), e in graph.edges.items() if u not in dead and v not in dead}
        graph.raw_edges = list(graph.edges.values())
    return graph


def _shape(shape: tuple) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"
