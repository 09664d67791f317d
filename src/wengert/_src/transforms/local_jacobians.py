"""Structured local Jacobians: the edges of the linearized computational graph, and what multiplying them costs.

An edge ``u -> v`` of the graph carries ``d v / d u``, a linear map from ``u``'s
elements to ``v``'s (both flattened in C order): an ``m x n`` matrix held in
one of two structures:

* :class:`Edge` of kind ``"pick"``: every row holds at most one entry,
  ``v[r] = w[r] * u[idx[r]]``. With ``idx`` absent (``m == n``, ``idx[r] = r``)
  this is the identity (``w`` absent too), a negation, a scalar multiple or a
  diagonal; with ``idx`` it is a selection (a transpose, a broadcast, a gather),
  possibly weighted.
* kind ``"dense"``: an ``m x n`` array.

An edge is *unit* when its entries are 0, 1 or -1 (identity, negation, selection,
a sum): multiplying by it copies, flips signs or adds, and costs no multiplication.

The cost model (what ``elimination_cost`` counts): the product ``A B`` of an
``m x k`` edge ``A`` and a ``k x n`` edge ``B`` costs

* 0 multiplications if ``A`` or ``B`` is unit;
* ``m`` if both are picks (``w_A[r] * w_B[idx_A[r]]``, one per row);
* ``m * n`` for a pick times a dense matrix (row ``r`` of ``B`` scaled);
* ``m * k`` for a dense matrix times a pick (each column of ``A`` scaled once);
* ``m * k * n`` for two dense matrices.

Adding two edges (where two paths meet) costs additions only, counted as none.
Applying an edge to one vector, as one JVP or VJP does, costs 0 if it is unit,
``m`` for a pick and ``m * n`` for a dense matrix.
"""

from __future__ import annotations

import math

from ..backend import xp
from .batching import vmap

DECLARED_STRUCTURES = ("identity", "negation", "elementwise", "selection", "sum", "matrix product")
"""What a primitive may declare per argument in ``Primitive.jacobian_structure``."""


class Edge:
    """One local Jacobian ``d v / d u`` (``shape = (v.size, u.size)``), structured; ``values`` None when
    only the structure is known (an elimination being planned, not run).

    For a pick, ``values`` is the weight vector ``w`` (length ``m``, or None for all ones) and ``idx``
    the column of each row (None for ``idx[r] = r``); for a dense edge, ``values`` is the matrix.
    """

    __slots__ = ("dtype", "idx", "kind", "planned", "shape", "unit", "values")

    def __init__(self, kind: str, shape: tuple, dtype, *, unit: bool, idx=None, values=None, planned=False):
        self.kind = kind
        self.shape = shape
        self.dtype = dtype
        self.unit = unit
        self.idx = idx
        self.values = values
        self.planned = planned

    @property
    def structure(self) -> str:
        """The name printed in a graph's table: identity, negation, scalar, diagonal, selection, sum, dense."""
        m, n = self.shape
        if self.kind == "dense":
            return "sum" if self.unit else "dense"
        if self.idx is None:
            if self.unit:
                return "identity" if self.values is None or bool(xp.all(self.values == 1)) else "negation"
            return "scalar" if m == 1 else "diagonal"
        return "selection" if self.unit else "scaled selection"

    @property
    def stored(self) -> int:
        """How many entries the structure stores (a pick one per row)."""
        m, n = self.shape
        return m if self.kind == "pick" else m * n

    def apply_cost(self) -> int:
        """Multiplications to apply this edge to one vector (one JVP or VJP through it)."""
        return 0 if self.unit else self.stored

    def abstract(self) -> Edge:
        """The same structure without its values, for planning an elimination."""
        return Edge(self.kind, self.shape, self.dtype, unit=self.unit, idx=self.idx, planned=True)

    def to_dense(self):
        """The ``m x n`` matrix."""
        m, n = self.shape
        if self.kind == "dense":
            return self.values
        weights = xp.ones(m, self.dtype) if self.values is None else self.values
        matrix = xp.zeros((m, n), self.dtype)
        matrix[xp.arange(m), xp.arange(m) if self.idx is None else self.idx] = weights
        return matrix

    def __repr__(self) -> str:
        return f"Edge({self.structure}, {self.shape[0]}x{self.shape[1]})"


def identity_edge(size: int, dtype) -> Edge:
    """The identity on ``size`` elements (an output that copies a vertex)."""
    return Edge("pick", (size, size), dtype, unit=True, values=None)


def product_cost(outer: Edge, inner: Edge) -> int:
    """Multiplications to form ``outer @ inner`` under the cost model (module docstring)."""
    if outer.unit or inner.unit:
        return 0
    m, k = outer.shape
    n = inner.shape[1]
    if outer.kind == "pick":
        return m if inner.kind == "pick" else m * n
    return m * k if inner.kind == "pick" else m * k * n


def compose(outer: Edge, inner: Edge) -> Edge:
    """``outer @ inner``, structured; values are computed only if both edges have them."""
    m, n = outer.shape[0], inner.shape[1]
    unit = outer.unit and inner.unit
    planned = outer.planned or inner.planned
    dtype = _joint_dtype(outer.dtype, inner.dtype)
    if outer.kind == "pick" and inner.kind == "pick":
        idx = _compose_indices(outer.idx, inner.idx)
        values = None
        if not planned and (outer.values is not None or inner.values is not None):
            inner_w = None if inner.values is None else _picked(inner.values, outer.idx)
            values = _times(outer.values, inner_w)
        return Edge("pick", (m, n), dtype, unit=unit, idx=idx, values=values, planned=planned)
    values = None
    if not planned:
        if outer.kind == "pick":
            rows = _picked(inner.values, outer.idx)
            values = rows if outer.values is None else outer.values[:, None] * rows
        elif inner.kind == "pick":
            values = _times_pick(outer.values, inner)
        else:
            values = outer.values @ inner.values
    return Edge("dense", (m, n), dtype, unit=unit, values=values, planned=planned)


def merge(a: Edge, b: Edge) -> Edge:
    """``a + b``: two paths between the same vertices meeting (additions only)."""
    dtype = _joint_dtype(a.dtype, b.dtype)
    planned = a.planned or b.planned
    if a.kind == "pick" and b.kind == "pick" and _same_indices(a.idx, b.idx):
        values = None
        if not planned:
            ones = xp.ones(a.shape[0], dtype)
            values = (ones if a.values is None else a.values) + (ones if b.values is None else b.values)
        return Edge("pick", a.shape, dtype, unit=False, idx=a.idx, values=values, planned=planned)
    values = None if planned else a.to_dense() + b.to_dense()
    return Edge("dense", a.shape, dtype, unit=False, values=values, planned=planned)


def equation_edges(eqn, args: list, vertex_positions: list[int]) -> list[tuple[int, int, Edge]]:
    """The local Jacobians of one linear equation: ``(input position, output position, Edge)`` for every
    input that is a vertex. ``args`` holds the equation's arguments, vertices as zeros.

    A primitive's declared structure (``Primitive.jacobian_structure``) gives a pick or a 0/1 matrix;
    anything undeclared, or a declaration that does not fit these shapes, is built dense by pushing
    the basis of the input through the equation (one vmapped application).
    """
    declared = eqn.primitive.jacobian_structure or ()
    edges = []
    for position in vertex_positions:
        kind = declared[position] if position < len(declared) else None
        edge = None
        if kind is not None and len(eqn.outputs) == 1:
            edge = _declared_edge(eqn, args, position, kind)
        if edge is not None:
            edges.append((position, 0, edge))
            continue
        for out_position, matrix in enumerate(_dense_jacobians(eqn, args, position)):
            unit = kind == "sum"
            edges.append((position, out_position, Edge("dense", matrix.shape, matrix.dtype, unit=unit, values=matrix)))
    return edges


# --- the pieces ---------------------------------------------------------------------------------------------


def _joint_dtype(a, b):
    return a if a == b else xp.result_type(a, b)


def _picked(values, idx):
    return values if idx is None else values[idx]


def _times(a, b):
    if a is None:
        return b
    return a if b is None else a * b


def _compose_indices(outer_idx, inner_idx):
    if outer_idx is None:
        return inner_idx
    return outer_idx if inner_idx is None else inner_idx[outer_idx]


def _same_indices(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(xp.array_equal(a, b))


def _times_pick(matrix, pick: Edge):
    """``matrix @ pick`` for a dense ``matrix``: column ``r`` scaled by ``w[r]`` and added into column ``idx[r]``."""
    scaled = matrix if pick.values is None else matrix * pick.values
    if pick.idx is None:
        return scaled
    out = xp.zeros((matrix.shape[0], pick.shape[1]), xp.result_type(matrix.dtype, pick.dtype))
    xp.add.at(out.T, pick.idx, scaled.T)
    return out


def _declared_edge(eqn, args: list, position: int, kind: str) -> Edge | None:
    """The edge a declaration describes, or None where it does not apply to these shapes."""
    source, target = eqn.inputs[position], eqn.outputs[0]
    n, m = math.prod(source.shape), math.prod(target.shape)
    if kind == "sum":
        return _sum_edge(eqn, args, position, m, n)
    if kind == "matrix product":
        matrix = _matrix_product_jacobian(args, position)
        if matrix is None:
            return None
        return Edge("dense", (m, n), target.dtype, unit=False, values=matrix.astype(target.dtype, copy=True))
    if kind == "selection":
        positions = xp.arange(n).reshape(source.shape)
        try:
            idx = xp.asarray(eqn.primitive(*_with(args, position, positions), **eqn.params))
        except (TypeError, ValueError):
            return None
        if idx.dtype != positions.dtype or idx.size != m:
            return None
        idx = idx.reshape(m)
        return Edge("pick", (m, n), target.dtype, unit=True, idx=None if _is_arange(idx, n) else idx)
    try:
        idx = None if n == m else xp.broadcast_to(xp.arange(n).reshape(source.shape), target.shape).reshape(m)
    except ValueError:
        return None
    if kind == "identity":
        return Edge("pick", (m, n), target.dtype, unit=True, idx=idx)
    if kind == "negation":
        return Edge("pick", (m, n), target.dtype, unit=True, idx=idx, values=-xp.ones(m, target.dtype))
    ones = xp.ones(source.shape, source.dtype)
    weights = xp.asarray(eqn.primitive.impl(*_with(args, position, ones), **eqn.params))
    values = weights.reshape(m).astype(target.dtype, copy=False)
    return Edge("pick", (m, n), target.dtype, unit=False, idx=idx, values=values)


def _sum_edge(eqn, args: list, position: int, m: int, n: int) -> Edge | None:
    """The 0/1 matrix of a sum, read off its VJP rule: the rule broadcasts each output element back to
    the input elements summed into it, so applied to the output positions it names, for each input
    element, the output it adds to. None where the rule does not answer that way (built dense instead)."""
    vjps = eqn.primitive.vjps
    rule = vjps[position] if isinstance(vjps, tuple) and position < len(vjps) else None
    target = eqn.outputs[0]
    if rule is None:
        return None
    try:
        owner = xp.asarray(rule(xp.arange(m).reshape(target.shape), None, *args, **eqn.params))
    except (TypeError, ValueError, AttributeError):
        return None
    if owner.dtype.kind not in "iu" or owner.size != n:
        return None
    matrix = xp.zeros((m, n), target.dtype)
    matrix[owner.reshape(n), xp.arange(n)] = 1
    return Edge("dense", (m, n), target.dtype, unit=True, values=matrix)


def _matrix_product_jacobian(args: list, position: int):
    """``d (a @ b) / d (args[position])`` read off the other operand, for operands of at most two axes.

    With 1-D operands taken as a row ``a`` (``1 x k``) or a column ``b`` (``k x 1``), ``a`` of ``m x k``
    and ``b`` of ``k x p``, and C-order flattening: ``d vec(a b) / d vec(b) = a ⊗ I_p`` and
    ``d vec(a b) / d vec(a) = I_m ⊗ bᵀ``. Where ``p`` (or ``m``) is 1 this is the operand itself
    (``A`` for ``A @ x``), with no product formed; None for stacks of matrices (built dense instead).
    """
    a, b = args
    if xp.ndim(a) > 2 or xp.ndim(b) > 2:
        return None
    if position == 1:
        left = xp.reshape(a, (1, -1)) if xp.ndim(a) == 1 else xp.asarray(a)
        p = 1 if xp.ndim(b) == 1 else b.shape[1]
        return left if p == 1 else xp.kron(left, xp.eye(p, dtype=left.dtype))
    right = (xp.reshape(b, (-1, 1)) if xp.ndim(b) == 1 else xp.asarray(b)).T
    m = 1 if xp.ndim(a) == 1 else a.shape[0]
    return right if m == 1 else xp.kron(xp.eye(m, dtype=right.dtype), right)


def _is_arange(idx, n: int) -> bool:
    return idx.shape == (n,) and bool(xp.array_equal(idx, xp.arange(n)))


def _with(args: list, position: int, value) -> list:
    replaced = list(args)
    replaced[position] = value
    return replaced


def _dense_jacobians(eqn, args: list, position: int) -> list:
    """``d output / d input`` for each output of ``eqn``, as ``m x n`` matrices: the input's basis pushed
    through the (linear) equation in one vmapped application."""
    source = eqn.inputs[position]
    n = math.prod(source.shape)
    basis = xp.eye(n, dtype=source.dtype).reshape((n,) + tuple(source.shape))

    def apply(tangent):
        out = eqn.primitive(*_with(args, position, tangent), **eqn.params)
        return tuple(out) if eqn.primitive.multiple_results else (out,)

    columns = vmap(apply)(basis)
    return [
        xp.asarray(column).reshape(n, math.prod(target.shape)).T.astype(target.dtype)
        for column, target in zip(columns, eqn.outputs)
    ]
