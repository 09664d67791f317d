"""The code generator's helpers for statements that write at indices: scatters, and scatter-adds along an axis.

A primitive that writes into an array at indices (``index_add``, ``take_add``,
...) is written as statements of its own (its declared
``Primitive.statements``, in ``primitives/indexing.py``), which build on these:

* :meth:`IndexedWrites.copy_of`: the array to write into, a copy of the target,
  zeros, or the target itself when it is dead (:class:`~.buffers.BufferPlan`);
* :meth:`IndexedWrites.bincount`: a scatter-add into a float array as one
  ``np.bincount`` over the flat positions the index names, several times faster
  than ``np.add.at`` and the same sums (float64 accumulates in order; float32 is
  summed in float64 and rounded once);
* :meth:`IndexedWrites.slice_positions`: those flat positions for whole slices
  along an axis, from small constant tables, so negative indices wrap and
  out-of-range ones raise ``IndexError`` as NumPy's indexing does.
"""

from __future__ import annotations

import math

from ..backend import xp
from ..core.ir import Var
from .buffers import KEPT_BUFFER_BYTES


class IndexedWrites:
    """A mixin of :class:`~wengert._src.compile.generator.SourceGenerator` (whose ``constant``,
    ``dtype`` and ``plan`` these use)."""

    def copy_of(self, eqn, out: str, x: str) -> str:
        """The line making ``out`` an array of its own holding ``x``'s values, to be written in place:
        zeros for a zero constant, ``x`` itself when it is a dead array of its own, else a copy."""
        x_atom, var = eqn.inputs[0], eqn.outputs[0]
        if isinstance(x_atom, Var) and self.is_zeros_constant(x):
            return f"{out} = np.zeros({var.shape!r}, {self.dtype(var.dtype)})"
        if self.plan.take_dead_input(x_atom, var):
            return f"{out} = {x}"
        return f"{out} = np.array({x})"

    def is_zeros_constant(self, name: str) -> bool:
        """True if ``name`` is a module constant holding an array of zeros."""
        value = self.constant_values.get(name)
        return isinstance(value, xp.ndarray) and value.dtype.kind in "fiub" and not value.any()

    def bincount(self, eqn, out: str, positions: str, shape: tuple, x: str, updates: str) -> list[str]:
        """``out = x + (updates summed into the flat positions)`` by ``np.bincount``.

        ``positions`` (source text) holds the flat position in ``x`` of each entry of an array of
        ``shape``; ``updates`` broadcasts to ``shape``. ``bincount`` sums in float64, in order: for
        float64 the very sums ``np.add.at`` makes, for float32 the same rounded once at the end.
        """
        var = eqn.outputs[0]
        weights = updates if tuple(eqn.inputs[-1].shape) == shape else f"np.broadcast_to({updates}, {shape!r})"
        total = f"np.bincount({positions}, {weights}.ravel(), minlength={var.size}).reshape({var.shape!r})"
        if var.dtype != xp.float64:
            total += f".astype({self.dtype(var.dtype)})"
        zeros = isinstance(eqn.inputs[0], Var) and self.is_zeros_constant(x)
        return [f"{out} = {total}"] if zeros else [f"{out} = {total}", f"{out} += {x}"]

    def slice_positions(self, shape: tuple, axis: int, indices: str) -> str:
        """Source for the flat positions, in an array of ``shape``, of the slices at ``indices`` along
        ``axis``, in the order of ``take``'s result: ``o (n m) + i m + j`` for the ``o``-th line of the
        axes before, the index ``i`` and the ``j``-th element of the axes after (``n`` the axis' length,
        ``m`` the size after it). Up to three small tables, where a table of every position would be
        as large as the array (a small array keeps one: a single ``take`` from it is cheaper); taking
        ``i m`` from one wraps negative indices and refuses out-of-range ones."""
        if math.prod(shape) * 8 < KEPT_BUFFER_BYTES:
            table = self.constant(xp.arange(math.prod(shape)).reshape(shape), "k1")
            return f"{table}.take({indices}, axis={axis}).ravel()"
        outer, n, inner = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])
        rows = f"{self.constant(xp.arange(n) * inner, 'k1')}.take({indices}, axis=0)"
        if outer == 1 and inner == 1:
            return f"{rows}.ravel()"
        rows = f"{rows}.reshape({'1, ' if outer > 1 else ''}-1{', 1' if inner > 1 else ''})"
        terms = [rows]
        if outer > 1:
            lines = self.constant(xp.arange(outer) * (n * inner), "k1")
            terms.insert(0, f"{lines}.reshape(-1, 1{', 1' if inner > 1 else ''})")
        if inner > 1:
            terms.append(self.constant(xp.arange(inner), "k1"))
        return f"({' + '.join(terms)}).ravel()"
