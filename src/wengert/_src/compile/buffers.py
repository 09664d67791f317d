"""Buffer planning for generated code: which results may take over which arrays' memory.

A compiled function allocates an array for each result of an operation, and a
large new array costs its page faults on every call, more than the arithmetic
on it. So code generation writes a result into memory the call already owns
and no longer needs, where that is safe:

* an elementwise operation writes into an input it reads for the last time
  (``t5 = np.tanh(t4, out=t4)``: each element is read before it is written), so
  a chain of k operations allocates one array instead of k;
* an elementwise operation or a matmul takes any dead array of its result's
  shape and dtype (``out=``), so a backward pass reuses the forward pass's
  buffers as they die;
* a scatter starts from its target itself when that is dead;
* large arrays that die inside the call are kept from one call to the next
  (:meth:`BufferPlan.kept_sites`).

Only memory known to be the call's own is reused: an array an operation made
(``Primitive.result_memory`` is ``"new"``), never an input, a constant or a view
(which may alias any of them). :class:`BufferPlan` tracks this for one function
body, equation by equation; the code generator asks it and writes the lines.
"""

from __future__ import annotations

import itertools

from ..backend import xp
from ..core.ir import Program, Var

KEPT_BUFFER_BYTES = 1 << 16
"""Arrays at least this large that die inside a compiled call are kept between calls (a new one
this large comes from the operating system, whose page faults cost more than the arithmetic)."""


# --- what the primitives declare about their results ---------------------------------------------------
def is_ufunc(prim) -> bool:
    """True for a primitive whose implementation is a NumPy ufunc of one result (it takes ``out=``)."""
    return isinstance(prim.impl, xp.ufunc) and prim.impl.nout == 1 and not prim.multiple_results


def result_memory(eqn) -> str | None:
    """``"new"``, ``"view"`` or ``None``: what the primitive declares its result's memory to be
    (``Primitive.result_memory``), for these parameters."""
    memory = eqn.primitive.result_memory
    return memory(eqn.params) if callable(memory) else memory


def makes_new_array(eqn) -> bool:
    """True if the equation's result is an array of its own, never a view of (or alias for) an input."""
    return not eqn.primitive.multiple_results and result_memory(eqn) == "new"


def _same_layout(x: Var, var: Var) -> bool:
    return x.shape == var.shape and x.dtype == var.dtype


def last_reads(program: Program) -> dict[int, int]:
    """For each variable, the index of the last equation that reads its memory.

    A read through a view counts: an equation that may return a view or alias of
    its inputs (a reshape, a transpose, a basic index, a branch returning its
    argument) extends its inputs' lives to its outputs' last reads. The program's
    outputs are read after every equation.
    """
    last: dict[int, int] = {}
    end = len(program.equations)
    for v in program.outvars:
        if isinstance(v, Var):
            last[id(v)] = end
    for index in range(end - 1, -1, -1):
        eqn = program.equations[index]
        extended = index if makes_new_array(eqn) else max([index, *(last.get(id(v), -1) for v in eqn.outputs)])
        for x in eqn.inputs:
            if isinstance(x, Var):
                last[id(x)] = max(last.get(id(x), -1), extended)
    return last


class BufferPlan:
    """What generating one function's body tracks: names and buffers.

    * ``names``: the source name of each variable;
    * ``fresh``: the variables holding arrays of their own (made by an operation, not views of
      another array, not inputs or constants), which may be overwritten once nothing reads them;
    * ``dead``: the inputs of the current equation that no later equation reads (directly or
      through a view);
    * ``pool``: the dead arrays of their own, by (shape, dtype), each waiting to be written over by a
      later result of its shape and dtype (``out=``), so that a program allocates few large arrays
      (a fresh large array costs its page faults on every call);
    * ``roots``: for each variable whose memory only this call holds (an array made by an operation,
      or a view of one), the variable that made that array (the function may return one of those
      as it is, once).

    Each array of its own is a *buffer* (a number); a result that takes over a dead array keeps its
    buffer (``reused``), and the sites that made each buffer are kept for :meth:`kept_sites`.
    """

    def __init__(self, program: Program):
        self.names: dict[int, str] = {}
        self.fresh: dict[int, int] = {}
        self.roots: dict[int, int] = {}
        self.pool: dict[tuple, list[tuple[str, int]]] = {}
        self.dead: set[int] = set()
        self.reused: int | None = None
        self.sites: dict[int, tuple] = {}
        self.buffers = itertools.count()
        self.last_reads = last_reads(program)
        self.dying: dict[int, list[Var]] = {}
        for eqn in program.equations:
            for var in eqn.outputs:
                if id(var) in self.last_reads:
                    self.dying.setdefault(self.last_reads[id(var)], []).append(var)

    def begin(self, index: int, eqn) -> None:
        """Start equation ``index``: find its dead inputs; it has reused no buffer yet."""
        self.dead = {id(x) for x in eqn.inputs if isinstance(x, Var) and self.last_reads.get(id(x)) == index}
        self.reused = None

    def note_memory(self, eqn) -> None:
        """Record whether ``eqn``'s results are memory of this call's own, and whose (see ``roots``)."""
        if makes_new_array(eqn):
            self.roots[id(eqn.outputs[0])] = id(eqn.outputs[0])
        elif result_memory(eqn) == "view" and isinstance(eqn.inputs[0], Var) and id(eqn.inputs[0]) in self.roots:
            root = self.roots[id(eqn.inputs[0])]
            self.roots.update((id(v), root) for v in eqn.outputs)

    def take_dead_input(self, x, var: Var) -> bool:
        """True if ``x`` (an input of the current equation) is a dead array of this call's own with
        ``var``'s shape and dtype; ``var``'s result then takes over its buffer."""
        if isinstance(x, Var) and id(x) in self.fresh and id(x) in self.dead and _same_layout(x, var):
            self.reused = self.fresh.pop(id(x))
            return True
        return False

    def output_buffer(self, eqn, args: list[str]) -> str | None:
        """The name of an array the result of an elementwise operation or a matmul may be written
        into, if any.

        An elementwise operation writes into an input it reads for the last time (fusing a chain:
        safe, as each element is read before it is written; a matmul's core dimensions are not);
        either may also take any dead array of the result's shape and dtype from the pool.
        """
        out = eqn.outputs[0]
        if not out.shape:
            return None
        if eqn.primitive.impl.signature is None:  # elementwise: no core dimensions
            for x, name in zip(eqn.inputs, args):
                if self.take_dead_input(x, out):
                    return name
        free = self.pool.get((out.shape, out.dtype))
        if not free:
            return None
        name, self.reused = free.pop()
        return name

    def own(self, eqn, args: list[str], line: int, fresh_site: bool) -> None:
        """Record that ``eqn``'s result owns its array: the one it reused, or a new one made at
        ``line`` (a site :meth:`kept_sites` may give a kept buffer when it is an elementwise
        operation or a matmul)."""
        var = eqn.outputs[0]
        buffer = self.reused if self.reused is not None else next(self.buffers)
        self.fresh[id(var)] = buffer
        if fresh_site and is_ufunc(eqn.primitive):
            self.sites[buffer] = (line, eqn, args, self.names[id(var)])

    def release(self, index: int) -> None:
        """After equation ``index``: the arrays of their own that nothing reads any more go to the pool."""
        for var in self.dying.get(index, ()):
            if id(var) in self.fresh:
                self.pool.setdefault((var.shape, var.dtype), []).append((self.names[id(var)], self.fresh.pop(id(var))))

    def kept_sites(self) -> list[tuple[tuple, Var]]:
        """``(site, result)`` for each array of at least :data:`KEPT_BUFFER_BYTES` made by an elementwise
        operation or a matmul that is dead when the function returns (its last holder is dead at the
        end: no output is it or a view of it), in the order of the sites; a site is ``(line, eqn,
        args, name)``."""
        found = [
            (self.sites[buffer], self.sites[buffer][1].outputs[0])
            for free in self.pool.values()
            for _, buffer in free
            if buffer in self.sites
        ]
        found.sort(key=lambda item: item[0][0])
        return [(site, var) for site, var in found if var.size * var.dtype.itemsize >= KEPT_BUFFER_BYTES]
