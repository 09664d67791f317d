"""Linearize: forward mode with known primals and staged tangents, which is partial evaluation.

``linearize(f, x)`` runs forward mode (:class:`JVPTrace`) on the concrete
primal ``x`` and on a tangent that is a *staged* input (a
:class:`StagingTrace` one level below). Every operation splits in two:

* its primal part, ``y = sin(x)``, involves only known values, so it runs
  now, once (the staging never sees it);
* its tangent part, ``dy = dx * cos(x)``, involves the unknown tangent, so
  it is recorded as an equation whose other operand, ``cos(x)``, is a
  constant computed now.

The staged program is therefore the Jacobian ``J(x)`` as a linear program:
only operations linear in the tangent, with everything that depends on the
primals alone folded into its constants. Evaluating it costs one pass of
linear operations per tangent, and ``linear_transpose`` runs it backwards,
which is reverse mode.
"""

from __future__ import annotations

from collections.abc import Callable

from wengert.errors import TransformError

from ..backend import dtype_of, shape_of, xp
from ..core.ir import Program
from ..core.primitive import new_trace
from ..core.pytree import tree_flatten, tree_unflatten
from .foreign_arrays import foreign_trace_in, hand_over
from .inputs import as_float_input, check_output, private_copy, split_aux
from .jvp import JVPTrace
from .stage import StagingTrace


class LinearFunction:
    """The linear map ``v -> J v`` that :func:`linearize` returns, held as a staged :class:`Program`.

    Call it with tangents of the primals' structure, shapes and dtypes; print
    it to read the linear program (``print(f_lin)`` or ``f_lin.program``).
    """

    __slots__ = ("__weakref__", "program")

    def __init__(self, program: Program):
        self.program = program

    def __call__(self, *tangents):
        if len(tangents) != len(self.program.in_tree.children):
            raise TransformError(
                f"linearized function: called with {len(tangents)} tangents, but it was linearized at "
                f"{len(self.program.in_tree.children)} primals; pass one tangent per primal."
            )
        return self.program(*tangents)

    def __str__(self) -> str:
        return str(self.program)

    def __repr__(self) -> str:
        return f"<LinearFunction of {len(self.program.equations)} linear equations; print() it to read it>"


def linearize(fun: Callable, *primals, has_aux: bool = False):
    """``(fun(*primals), f_lin)`` where ``f_lin(*tangents)`` is the JVP at ``primals``, staged.

    ``f_lin`` is a :class:`LinearFunction` whose program contains only
    operations linear in the tangents; what depends on the primals alone was
    computed once, here. With ``has_aux=True``, ``fun`` returns ``(out, aux)``
    and ``linearize`` returns ``(out, f_lin, aux)``.

    >>> import wengert, wengert.numpy as wnp
    >>> y, f_lin = wengert.linearize(wnp.sin, 0.5)
    >>> print(f_lin)
    input  t1            :: f64[]
    const  c1            :: f64[]
    t2 = multiply t1 c1  :: f64[]
    output t2            :: f64[]
    >>> float(f_lin(2.0)) == 2.0 * float(wnp.cos(0.5))
    True
    """
    foreign = foreign_trace_in(primals)
    if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
        return hand_over(foreign, linearize, fun, *primals, has_aux=has_aux)
    flat_primals, in_tree = tree_flatten(primals)
    # f_lin holds values computed from the inputs, and the outputs themselves: it keeps its own copies
    flat_primals = [private_copy(as_float_input(p, "linearize", "primal leaf", i)) for i, p in enumerate(flat_primals)]
    with new_trace(StagingTrace, False, "linearize") as staging:
        tangent_inputs = [staging.new_input(xp.zeros(shape_of(p), dtype_of(p))) for p in flat_primals]
        with new_trace(JVPTrace) as forward:
            tracers = [forward.lift(p, t) for p, t in zip(flat_primals, tangent_inputs)]
            result = fun(*tree_unflatten(in_tree, tracers))
            if has_aux:
                result, aux = split_aux(result, "linearize")
                aux_leaves, aux_tree = tree_flatten(aux)
                aux = tree_unflatten(aux_tree, [forward.primal_of(leaf) for leaf in aux_leaves])
            flat_out, out_tree = tree_flatten(result)
            check_output(result, flat_out, "linearize")
            primals_out = [forward.primal_of(o) for o in flat_out]
            tangents_out = [forward.tangent_of(o) for o in flat_out]
        tangents_out = [
            xp.zeros(shape_of(p), dtype_of(p)) if t is None else t for p, t in zip(primals_out, tangents_out)
        ]
        program = staging.build(tangent_inputs, tangents_out, in_tree, out_tree)
    out = tree_unflatten(out_tree, [private_copy(o) for o in primals_out])
    f_lin = LinearFunction(program)
    return (out, f_lin, aux) if has_aux else (out, f_lin)
