"""Running or staging structured control flow (``wengert.lax``), and the ``cond``/``while`` primitives.

A predicate (or branch index) is either *known* (a plain value, or a tracer
of an eager transform, whose value Python may read) or *staged* (a value of
``jit``'s staging, known only by shape and dtype). Known: the control flow
runs as Python, and the transforms see the operations of the path taken.
Staged: the branches (or the loop's condition and body) are staged as
sub-programs of one ``cond`` (or ``while``) equation; values they read from
outside (closures) become leading arguments of the equation, so every
transform sees them flow in. A predicate with a batch axis (under ``vmap``)
evaluates every branch and selects elementwise, as ``vmap`` of a ``cond``
does in JAX.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from wengert.errors import TransformError

from ..backend import dtype_of, is_float_dtype, xp
from ..core.ir import Program, Var
from ..core.primitive import Primitive, Tracer
from ..core.pytree import tree_flatten, tree_unflatten
from ..core.source_info import user_frame_summary
from ..primitives import standard
from ..primitives.elementwise import where
from ..primitives.rules import EveryArgument, JointJVP, PerPosition
from .batching import BatchTracer
from .foreign_arrays import in_library
from .stage import StagedTracer, stage


def known_value(value):
    """The value of ``value`` if Python may read it, else ``None`` (staged, or one per example of a vmap)."""
    kind, value = _inspect(value)
    return value if kind == "known" else None


def _inspect(value) -> tuple[str, object]:
    """``("known", value)``, ``("staged", None)`` or ``("batched", values or None)`` for a predicate.

    ``batched``: some transform holds one value per example (``vmap``); the values of the whole
    batch are given when Python may read them.
    """
    batched = False
    while isinstance(value, Tracer):
        if isinstance(value, StagedTracer) and not value._trace.values_visible:
            return ("batched", None) if batched else ("staged", None)
        if isinstance(value, BatchTracer):
            batched, value = True, value.value
        else:
            value = value.primal
    return ("batched" if batched else "known"), value


# --- cond / switch ----------------------------------------------------------------------------------------
def switch(index, branches: Sequence[Callable], operands: tuple):
    """``branches[index](*operands)``: run when ``index`` is known, staged as one ``cond`` when not.

    ``index`` is an integer scalar already in range.
    """
    kind, value = _inspect(index)
    if kind == "known":
        return branches[int(value)](*operands)
    if kind == "batched":
        return _select(index, branches, operands)
    flat_ops, in_tree = tree_flatten(tuple(operands))
    programs = [_stage(lambda *flat, b=b: b(*tree_unflatten(in_tree, flat)), flat_ops) for b in branches]
    _check_same_outputs(programs, "cond/switch", "branch")
    consts, converted = _closure_convert(programs)
    outs = cond(index, *consts, *flat_ops, branches=tuple(converted))
    return tree_unflatten(programs[0].out_tree, outs)


def _select(index, branches, operands):
    """Every branch evaluated, results chosen elementwise by a batched ``index`` (``vmap`` of a cond)."""
    results = [tree_flatten(b(*operands)) for b in branches]
    leaves, tree = results[0]
    for k, (other, other_tree) in enumerate(results[1:], start=1):
        if other_tree != tree:
            raise TransformError(f"cond/switch: branch {k} returns {other_tree}, branch 0 returns {tree}")
        leaves = [where(index == k, o, leaf) for leaf, o in zip(leaves, other)]
    return tree_unflatten(tree, leaves)


def cond_jvp(tangents: list, index, args: tuple, branches: Sequence[Program]):
    """The tangent of every output of ``cond``: the chosen branch's JVP along every argument's tangent at
    once (``tangents[i]`` is ``None`` where argument ``i`` carries none), one branch run, whatever the
    number of arguments."""
    from .api import jvp

    n = len(args)
    moving = [i for i, t in enumerate(tangents) if t is not None]

    def tangent_of(program):
        def branch(*args_and_tangents):
            values = list(args_and_tangents[:n])

            def along(*chosen):
                full = list(values)
                for i, v in zip(moving, chosen):
                    full[i] = v
                return tuple(program.run_flat(full))

            return list(jvp(along, tuple(values[i] for i in moving), tuple(args_and_tangents[n:]))[1])

        return branch

    return tuple(switch(index, [tangent_of(p) for p in branches], (*args, *(tangents[i] for i in moving))))


_last_pullback = threading.local()  # per thread: (the cotangents a cond's rules were last asked about, the answer)


def cond_vjp(position: int, cotangents: tuple, index, args: tuple, branches: Sequence[Program]):
    """The cotangent of argument ``position`` of ``cond``: the chosen branch's VJP.

    The backward pass asks for each argument in turn with the same cotangent
    tuple (a new tuple for each equation it reaches); one ``cond`` computes all
    of them, and the later requests reuse it. Each thread keeps its own.
    """
    last = getattr(_last_pullback, "pair", None)
    if last is None or last[0] is not cotangents:
        last = _last_pullback.pair = (cotangents, _cond_pullback(cotangents, index, args, branches))
    return last[1][position]


def _cond_pullback(cotangents: tuple, index, args: tuple, branches: Sequence[Program]) -> list:
    from .api import vjp

    n = len(args)
    floats = [i for i, a in enumerate(args) if is_float_dtype(a.dtype)]

    def pullback_of(program):
        def branch(*args_and_cts):
            values, cts = list(args_and_cts[:n]), args_and_cts[n:]

            def of_floats(*chosen):
                full = list(values)
                for i, v in zip(floats, chosen):
                    full[i] = v
                return tuple(program.run_flat(full))

            grads = vjp(of_floats, *(values[i] for i in floats))[1](tuple(cts))
            out = [xp.zeros(a.shape, a.dtype) for a in values]
            for i, g in zip(floats, grads):
                out[i] = g
            return out

        return branch

    return list(switch(index, [pullback_of(p) for p in branches], (*args, *cotangents)))


# --- while ------------------------------------------------------------------------------------------------
def while_loop(cond_fun: Callable, body_fun: Callable, init, check: Callable | None = None):
    """Repeat ``val = body_fun(val)`` while ``cond_fun(val)``: a Python loop while the condition is
    known, one staged ``while`` equation from the first iteration it is not.

    ``check(new_val)`` (if given) validates and normalises each new carry.
    """
    val = init
    while True:
        predicate = check_scalar(cond_fun(val), "while_loop", "cond_fun's result")
        kind, keep_going = _inspect(predicate)
        if kind == "staged":
            return _staged_while(cond_fun, body_fun, val)
        if kind == "batched":
            if keep_going is None:
                raise TransformError(
                    "while_loop: a condition that differs between the examples of a vmap cannot be staged "
                    f"under jit (at {user_frame_summary()}); apply vmap outside jit, or use scan/fori_loop."
                )
            if not xp.any(keep_going):
                return val
            new_val = body_fun(val)
            if check is not None:
                new_val = check(new_val)
            val = _where_tree(predicate, new_val, val)
            continue
        if not keep_going:
            return val
        val = body_fun(val)
        if check is not None:
            val = check(val)


def _where_tree(predicate, new, old):
    """The examples whose condition holds advance; the others keep their carry (``vmap`` of a loop)."""
    new_leaves, tree = tree_flatten(new)
    return tree_unflatten(tree, [where(predicate, n, o) for n, o in zip(new_leaves, tree_flatten(old)[0])])


def _staged_while(cond_fun, body_fun, val):
    flat, tree = tree_flatten(val)
    cond_program = _stage(lambda *c: cond_fun(tree_unflatten(tree, c)), flat)
    body_program = _stage(lambda *c: body_fun(tree_unflatten(tree, c)), flat)
    carry_types = [(tuple(getattr(c, "shape", xp.shape(c))), dtype_of(c)) for c in flat]
    body_types = [(tuple(v.shape), v.dtype) for v in body_program.outvars]
    if body_program.out_tree != tree or body_types != carry_types:
        raise TransformError(
            f"while_loop: body_fun returns {body_program.out_tree} with types {body_types}, but the carry is "
            f"{tree} with types {carry_types}, at {user_frame_summary()}. Return the carry with the same "
            "structure, shapes and dtypes."
        )
    (cond_consts, (cond_program,)) = _closure_convert([cond_program])
    (body_consts, (body_program,)) = _closure_convert([body_program])
    outs = while_(
        *cond_consts,
        *body_consts,
        *flat,
        cond_program=cond_program,
        body_program=body_program,
        cond_nconsts=len(cond_consts),
        body_nconsts=len(body_consts),
    )
    return tree_unflatten(tree, outs)


def while_jvp(tangents: list, args: tuple, *, cond_program, body_program, cond_nconsts, body_nconsts):
    """The tangents of a ``while``'s outputs: the loop run once over pairs (carry, carry tangent), the
    body advanced by its JVP along every argument's tangent at once (``tangents[i]`` is ``None`` where
    argument ``i`` carries none; a condition's constants have no effect)."""
    from .api import jvp

    cond_consts = list(args[:cond_nconsts])
    body_consts = list(args[cond_nconsts : cond_nconsts + body_nconsts])
    carry = list(args[cond_nconsts + body_nconsts :])
    tangents = list(tangents[cond_nconsts:])
    inputs = body_consts + carry
    start = [t if t is not None else xp.zeros(c.shape, c.dtype) for t, c in zip(tangents[body_nconsts:], carry)]
    floats = [i for i, x in enumerate(inputs) if is_float_dtype(x.dtype)]
    const_tangents = tangents[:body_nconsts]

    def loop_cond(state):
        return cond_program.run_flat(cond_consts + list(state[0]))[0]

    def loop_body(state):
        values, carry_tangents = list(state[0]), list(state[1])
        all_values = body_consts + values
        all_tangents = [
            t if t is not None else xp.zeros(x.shape, x.dtype)
            for t, x in zip(const_tangents + carry_tangents, all_values)
        ]

        def of_floats(*chosen):
            full = list(all_values)
            for i, v in zip(floats, chosen):
                full[i] = v
            return tuple(body_program.run_flat(full))

        new_values, new_tangents = jvp(
            of_floats, tuple(all_values[i] for i in floats), tuple(all_tangents[i] for i in floats)
        )
        return tuple(new_values), tuple(new_tangents)

    return tuple(while_loop(loop_cond, loop_body, (tuple(carry), tuple(start)))[1])


def while_vjp_error():
    raise TransformError(
        "Reverse-mode differentiation (grad, vjp) of a while_loop whose condition is staged (under jit) is "
        "not supported: how many iterations to store is not known until it runs. Use wengert.lax.scan or "
        "fori_loop with known bounds (they unroll), differentiate outside jit (eager loops are Python and "
        "differentiate in both modes), or use forward mode (jvp, jacfwd)."
    )


# --- helpers ------------------------------------------------------------------------------------------------
def _stage(fun: Callable, flat_args: list) -> Program:
    """``fun`` staged with its values hidden (as ``jit`` does): a program for every value of these types."""
    return stage(fun, flat_args, values_visible=False, purpose="jit")


def _closure_convert(programs: Sequence[Program]) -> tuple[list, list[Program]]:
    """The captured constants of all ``programs``, and the programs taking them as leading inputs.

    Every program gets the same leading inputs (all programs' constants, in order); each reads
    its own and ignores the others'.
    """
    consts = [c for p in programs for c in p.consts]
    converted = []
    for p in programs:
        leading = []
        for q in programs:
            if q is p:
                leading.extend(p.constvars)
            else:
                leading.extend(Var(v.shape, v.dtype) for v in q.constvars)
        converted.append(
            Program(
                [*leading, *p.invars],
                p.equations,
                p.outvars,
                in_tree=tree_flatten((0,) * (len(leading) + len(p.invars)))[1],
                out_tree=p.out_tree,
            )
        )
    return consts, converted


def _check_same_outputs(programs: Sequence[Program], transform: str, what: str) -> None:
    first = programs[0]
    first_types = [(tuple(v.shape), v.dtype) for v in first.outvars]
    for k, p in enumerate(programs[1:], start=1):
        types = [(tuple(v.shape), v.dtype) for v in p.outvars]
        if p.out_tree != first.out_tree or types != first_types:
            raise TransformError(
                f"{transform}: {what} {k} returns {p.out_tree} with types {types}, but {what} 0 returns "
                f"{first.out_tree} with types {first_types}, at {user_frame_summary()}. Under jit both are "
                "staged and must return the same structure, shapes and dtypes."
            )


def check_scalar(value, transform: str, what: str):
    """``value``, checked to be a scalar (a predicate, an index)."""
    if not isinstance(value, Tracer) and not hasattr(value, "shape"):
        value = xp.asarray(value)
    if tuple(value.shape) != ():
        raise TransformError(
            f"{transform}: {what} must be a scalar, got shape {tuple(value.shape)}, at {user_frame_summary()}. "
            "Reduce it (wnp.all, wnp.any) or select elementwise with wnp.where."
        )
    return value


def batch_control_flow(prim, args: list, dims: list, params: dict):
    """The batching rule of ``cond`` and ``while``: their control flow, run under ``vmap``."""
    from .batching import vmap

    if prim is cond:
        branches = params["branches"]

        def per_example(index, *values):
            return tuple(switch(index, [_as_function(b) for b in branches], values))

    else:
        n_cond, n_body = params["cond_nconsts"], params["body_nconsts"]
        cond_program, body_program = params["cond_program"], params["body_program"]

        def per_example(*values):
            cond_consts, body_consts = list(values[:n_cond]), list(values[n_cond : n_cond + n_body])
            carry = tuple(values[n_cond + n_body :])
            return while_loop(
                lambda c: cond_program.run_flat(cond_consts + list(c))[0],
                lambda c: tuple(body_program.run_flat(body_consts + list(c))),
                carry,
            )

    outs = vmap(per_example, in_axes=tuple(dims))(*args)
    return tuple(outs), (0,) * len(outs)


def _as_function(program: Program) -> Callable:
    return lambda *values: tuple(program.run_flat(list(values)))


# --- the primitives: ``cond`` and ``while`` carry programs as parameters ---------------------------------
# They appear only when a predicate is not known while tracing (under ``jit``). Their derivative rules
# are the same control flow over the derivatives of the sub-programs, written with the transforms
# above, so they differentiate again:
#
#     d cond(p, f, g, x)  = cond(p, jvp f, jvp g, x, dx)
#     d while(c, b, x)    = while over pairs (x, dx), the body advanced by jvp b
#
# Reverse mode of a staged ``cond`` pulls the cotangent through the chosen branch's VJP; reverse mode
# of a staged ``while`` is refused (its trip count, and so what to store, is unknown until it runs).


def _cond_impl(index, *args, branches):
    return tuple(branches[int(index)].run_flat(list(args)))


class _AfterTheIndex(PerPosition):
    """``cond``'s rules: none for the branch index (argument 0), ``partial(fn, i)`` for the rest."""

    __slots__ = ()

    def __getitem__(self, position):
        return None if position == 0 else super().__getitem__(position)


def _cond_jvp(tangents, outs, index, *args, branches):
    return cond_jvp(tangents[1:], index, args, branches)


def _cond_vjp(position, cotangents, outs, index, *args, branches):
    return cond_vjp(position - 1, cotangents, index, args, branches)


def _control_primitive(name: str, impl, jvps, vjps, statements, doc: str) -> Primitive:
    """A primitive whose parameters are programs. Its batching rule runs its control flow under
    ``vmap`` itself: a batched predicate then selects between branches (cond), or advances only
    the examples whose condition holds (while). Code generation writes its programs as functions
    of the module and calls them (``statements``); on another library's arrays ``impl`` runs them
    on values of its level (``foreign_arrays.in_library``)."""
    prim = Primitive(
        name,
        impl,
        jvps=jvps,
        vjps=vjps,
        batch=lambda args, dims, **params: batch_control_flow(prim, args, dims, params),
        multiple_results=True,
        single_call=True,
        statements=statements,
        doc=doc,
    )
    standard.register(prim, in_library(impl))  # on another library's arrays the programs run in it
    return prim


def _results(outs: list[str]) -> str:
    """The left side assigning a tuple of results: ``t3, t4`` (``t3,`` for one)."""
    return ", ".join(outs) + ("," if len(outs) == 1 else "")


def _cond_statements(gen, eqn, args: list[str], outs: list[str]) -> list[str]:
    """``outs = (branch0, branch1, ...)[int(index)](*args)``, each branch a generated function."""
    tag = gen.tag()
    names = [gen.sub_function(branch, f"cond{tag}_branch{k}") for k, branch in enumerate(eqn.params["branches"])]
    return [f"{_results(outs)} = {gen.tuple_text(names)}[int({args[0]})]({', '.join(args[1:])})"]


cond = _control_primitive(
    "cond",
    _cond_impl,
    JointJVP(_cond_jvp),
    _AfterTheIndex(_cond_vjp),
    _cond_statements,
    "cond[branches] index *args: run program ``branches[index]`` on ``args`` (closed-over values "
    "included, as leading arguments). Staged by ``lax.cond`` / ``lax.switch`` under ``jit``.",
)


def _while_impl(*args, cond_program, body_program, cond_nconsts, body_nconsts):
    cond_consts = list(args[:cond_nconsts])
    body_consts = list(args[cond_nconsts : cond_nconsts + body_nconsts])
    carry = list(args[cond_nconsts + body_nconsts :])
    while cond_program.run_flat(cond_consts + carry)[0]:
        carry = body_program.run_flat(body_consts + carry)
    return tuple(carry)


def _while_jvp(tangents, outs, *args, **params):
    return while_jvp(tangents, args, **params)


def _while_vjp(cotangents, outs, *args, **params):
    while_vjp_error()


def _while_statements(gen, eqn, args: list[str], outs: list[str]) -> list[str]:
    """A Python ``while`` loop over the generated functions of the condition and the body, on a tuple
    of the carried values."""
    tag = gen.tag()
    n_cond, n_body = eqn.params["cond_nconsts"], eqn.params["body_nconsts"]
    cond_name = gen.sub_function(eqn.params["cond_program"], f"while{tag}_cond")
    body_name = gen.sub_function(eqn.params["body_program"], f"while{tag}_body")
    cond_consts, body_consts, carry = args[:n_cond], args[n_cond : n_cond + n_body], args[n_cond + n_body :]
    carry_name = f"carry{tag}"
    return [
        f"{carry_name} = {gen.tuple_text(carry)}",
        f"while {cond_name}({''.join(a + ', ' for a in cond_consts)}*{carry_name})[0]:",
        f"    {carry_name} = {body_name}({''.join(a + ', ' for a in body_consts)}*{carry_name})",
        f"{_results(outs)} = {carry_name}",
    ]


while_ = _control_primitive(
    "while",
    _while_impl,
    JointJVP(_while_jvp),
    EveryArgument(_while_vjp),
    _while_statements,
    "while[cond_program, body_program] *cond_consts *body_consts *carry: repeat the body while the "
    "condition holds. Staged by ``lax.while_loop`` under ``jit``; reverse mode is refused.",
)
