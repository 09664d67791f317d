"""Control-flow primitives: ``unstack`` (the slices a scan walks over), ``cond`` and ``while``.

``unstack`` splits an array along an axis into its slices in one operation,
so a loop over them (``lax.scan``) costs one scatter in the backward pass,
not one per slice: its VJP stacks the slices' cotangents back together.

``cond`` and ``while`` carry sub-programs (staged :class:`Program` objects) as
parameters; they appear only when a predicate is not known while tracing
(under ``jit``). Their derivative rules are the same control flow over the
derivatives of the sub-programs, written with wengert's transforms, so they
differentiate again:

    d cond(p, f, g, x)  = cond(p, jvp f, jvp g, x, dx)
    d while(c, b, x)    = while over pairs (x, dx), the body advanced by jvp b

Reverse mode of a staged ``cond`` pulls the cotangent through the chosen
branch's VJP; reverse mode of a staged ``while`` is refused (its trip count,
and so what to store, is unknown until it runs), as in JAX.
"""

from __future__ import annotations

from ..backend import xp
from ..core.primitive import Primitive
from .indexing import concatenate
from .rules import EveryArgument, PerPosition
from .structural import batched_axis, reshape


def _unstack_impl(x, axis):
    return tuple(xp.moveaxis(x, axis, 0)) if axis else tuple(x)


def _unstack_jvp(t, ans, x, axis):
    return unstack(t, axis=axis)


def _unstack_batch(args, dims, axis):
    """The slices of a batch along a per-example axis: each slice keeps the batch axis (shifted
    down by one when the sliced axis came before it)."""
    (x,), (dim,) = args, dims
    slices = unstack(x, axis=batched_axis(axis, dim))
    return slices, (dim - 1 if axis < dim else dim,) * len(slices)


def _stack_cotangents(cts, x, axis):
    """The slices' cotangents put back together along ``axis``: the transpose of ``unstack``."""
    shape = x.shape[:axis] + (1,) + x.shape[axis + 1 :]
    pieces = [
        reshape(ct, shape=shape) if ct.dtype == x.dtype else reshape(ct.astype(x.dtype), shape=shape) for ct in cts
    ]
    return concatenate(*pieces, axis=axis)


unstack = Primitive(
    "unstack",
    _unstack_impl,
    jvps=(_unstack_jvp,),
    vjps=(lambda cts, ans, x, axis: _stack_cotangents(cts, x, axis),),
    transposes=(lambda cts, x, axis: _stack_cotangents(cts, x, axis),),
    batch=_unstack_batch,
    multiple_results=True,
    doc="The slices of ``x`` along ``axis``, as a tuple (``tuple(x)`` for axis 0). Its VJP stacks them.",
)


# --- cond and while: primitives whose parameters are programs ------------------------------------------
# Their rules are transforms (jvp, vjp) of the sub-programs, so they call the transforms' control-flow
# module, imported when a rule first runs (the primitives are loaded before the transforms).


def _control_flow():
    from ..transforms import control_flow

    return control_flow


def _cond_impl(index, *args, branches):
    return tuple(branches[int(index)].run_flat(list(args)))


class _AfterTheIndex(PerPosition):
    """``cond``'s rules: none for the branch index (argument 0), ``partial(fn, i)`` for the rest."""

    __slots__ = ()

    def __getitem__(self, position):
        return None if position == 0 else super().__getitem__(position)


def _cond_jvp(position, tangent, outs, index, *args, branches):
    return _control_flow().cond_jvp(position - 1, tangent, index, args, branches)


def _cond_vjp(position, cotangents, outs, index, *args, branches):
    return _control_flow().cond_vjp(position - 1, cotangents, index, args, branches)


def _batched_by_vmap(prim, args, dims, **params):
    """A batching rule that runs the primitive's control flow under ``vmap`` itself: a batched
    predicate then selects between branches (cond), or advances only the examples whose
    condition holds (while)."""
    return _control_flow().batch_control_flow(prim, args, dims, params)


cond = Primitive(
    "cond",
    _cond_impl,
    jvps=_AfterTheIndex(_cond_jvp),
    vjps=_AfterTheIndex(_cond_vjp),
    batch=lambda args, dims, **params: _batched_by_vmap(cond, args, dims, **params),
    multiple_results=True,
    doc=(
        "cond[branches] index *args: run program ``branches[index]`` on ``args`` (closed-over values "
        "included, as leading arguments). Staged by ``lax.cond`` / ``lax.switch`` under ``jit``."
    ),
)


def _while_impl(*args, cond_program, body_program, cond_nconsts, body_nconsts):
    cond_consts = list(args[:cond_nconsts])
    body_consts = list(args[cond_nconsts : cond_nconsts + body_nconsts])
    carry = list(args[cond_nconsts + body_nconsts :])
    while cond_program.run_flat(cond_consts + carry)[0]:
        carry = body_program.run_flat(body_consts + carry)
    return tuple(carry)


def _while_jvp(position, tangent, outs, *args, **params):
    return _control_flow().while_jvp(position, tangent, args, **params)


def _while_vjp(cotangents, outs, *args, **params):
    _control_flow().while_vjp_error()


while_loop = Primitive(
    "while",
    _while_impl,
    jvps=PerPosition(_while_jvp),
    vjps=EveryArgument(_while_vjp),
    batch=lambda args, dims, **params: _batched_by_vmap(while_loop, args, dims, **params),
    multiple_results=True,
    doc=(
        "while[cond_program, body_program] *cond_consts *body_consts *carry: repeat the body while the "
        "condition holds. Staged by ``lax.while_loop`` under ``jit``; reverse mode is refused."
    ),
)
