"""``custom_jvp`` and ``custom_vjp``: functions that bring their own derivative rules, JAX's way.

A function decorated with :class:`custom_jvp` runs as written when nothing
differentiates it; under a transform, the transform uses the rule given with
:meth:`custom_jvp.defjvp` instead of differentiating the function's own
operations. The rule maps primals and tangents to the output and its tangent,

    (y, dy) = jvp((x_1, ..., x_n), (dx_1, ..., dx_n)),

and must be linear in the tangents. Forward mode calls it directly; reverse
mode transposes it (see ``ReverseTrace.process_custom_jvp``); the rule is
written with wengert operations, so derivatives of every order work, each
higher order differentiating the rule itself.

A function decorated with :class:`custom_vjp` brings a reverse-mode rule as
a pair: ``fwd(*args) -> (y, residuals)`` runs the function and keeps what the
backward pass needs; ``bwd(residuals, ȳ) -> (x̄_1, ..., x̄_n)`` pulls a
cotangent back. It works in reverse mode only: forward mode has no rule to
use and says so.

Complex values follow JAX's convention (docs/complex.md), which is also HIPS
autograd's: a JVP rule pushes a complex tangent forward, and ``bwd`` returns the
*transpose* of that map (no conjugate), ``c ȳ`` for ``y = c x``. A real
argument's cotangent is the real part of what ``bwd`` returns; a complex tangent
for a real output is refused. The rules are the user's to get right, as in JAX.

Each transform interprets a call through its trace's ``process_custom_jvp`` /
``process_custom_vjp`` (``wengert._src.core.primitive.Trace``); the pieces they
share (splitting arguments, running and checking the user's rules, the tape
node of a call, the equation ``jit`` stages for a call) live here.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

from wengert.errors import DtypeError, LeakedTracerError, ShapeError, TransformError

from ..backend import dtype_of, shape_of, xp
from ..core.primitive import Primitive, Tracer
from ..core.pytree import tree_flatten, tree_unflatten
from ..primitives.elementwise import real, stop_gradient


class _CustomFunction:
    """What ``custom_jvp`` and ``custom_vjp`` share: the wrapped function, its signature and ``nondiff_argnums``."""

    # Slots keep the rules out of ``__dict__``, which ``functools.wraps`` copies onto wrappers (jit ...).
    __slots__ = ("__dict__", "_arity", "_signature", "fun", "nondiff_argnums")

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        _wraps(self, fun)
        self.fun = fun
        self.nondiff_argnums = _check_argnums(fun, nondiff_argnums)
        self._signature = _signature(fun)
        self._arity = _simple_arity(self._signature)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__name__})"


class custom_jvp(_CustomFunction):  # noqa: N801 - JAX's name, which users type
    """A function with a custom forward-mode (JVP) rule, which every transform uses.

    Attributes read by traces (see ``Trace.process_custom_jvp``):
        fun: the primal function, ``fun(*args)``.
        jvp: the rule, ``jvp(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)``;
            ``primals`` and ``tangents`` are tuples of the differentiable arguments (tangents
            have the primals' structure, zeros where an argument carries none), and
            ``tangent_out`` has the structure and shapes of ``primal_out``.
        nondiff_argnums: positions of arguments that are not differentiated (functions,
            flags, sizes); a traced value passed there goes through ``stop_gradient``, so
            derivatives treat it as a constant (and ``vmap`` still batches it).

    >>> import wengert, wengert.numpy as wnp
    >>> @custom_jvp
    ... def log1pexp(x):
    ...     return wnp.log1p(wnp.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (dx,) = primals, tangents
    ...     return log1pexp(x), dx * (1.0 - 1.0 / (1.0 + wnp.exp(x)))
    >>> float(wengert.grad(log1pexp)(1000.0))
    1.0
    """

    __slots__ = ("jvp",)

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp: Callable | None = None

    def defjvp(self, jvp: Callable) -> Callable:
        """Set the JVP rule, ``jvp(*nondiff_args, primals, tangents) -> (out, tangent_out)``.

        Returns ``jvp``, so this works as a decorator.
        """
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps: Callable | None) -> None:
        """Set the JVP rule as one rule per differentiable argument, summed.

        ``jvps[i](tangent_i, out, *primals)`` is argument ``i``'s contribution to the output
        tangent (``None``: the output does not depend on argument ``i``). The output is
        ``fun(*args)`` with the primal arguments; its structure must be that of each term.
        """
        if self.nondiff_argnums:
            raise TransformError(
                f"custom_jvp function {self.__name__!r}: defjvps does not take nondiff_argnums; use defjvp."
            )

        def jvp_by_argument(primals, tangents):
            out = self(*primals)
            total = None
            for rule, tangent in zip(jvps, tangents):
                if rule is None:
                    continue
                term = rule(tangent, out, *primals)
                leaves, treedef = tree_flatten(term)
                total = leaves if total is None else [a + b for a, b in zip(total, leaves)]
            if total is None:
                return out, _tree_zeros_like(out)
            return out, tree_unflatten(treedef, total)

        self.jvp = jvp_by_argument

    def __call__(self, *args, **kwargs):
        if self.jvp is None:
            raise TransformError(
                f"custom_jvp function {self.__name__!r} has no JVP rule: define one with "
                f"@{self.__name__}.defjvp before calling it."
            )
        args = _resolve_args(self, args, kwargs)
        if self.nondiff_argnums:
            args = tuple(_stop_gradient_tree(a) if i in self.nondiff_argnums else a for i, a in enumerate(args))
        top = _top_trace(self, args)
        if top is None:
            return self.fun(*args)
        return top.process_custom_jvp(self, args)


class custom_vjp(_CustomFunction):  # noqa: N801 - JAX's name, which users type
    """A function with a custom reverse-mode (VJP) rule; it is differentiated in reverse mode only.

    Attributes read by traces (see ``Trace.process_custom_vjp``):
        fun: the primal function, ``fun(*args)``.
        fwd: ``fwd(*args) -> (out, residuals)``, all arguments in their places; ``out`` is
            what ``fun`` returns, ``residuals`` any pytree the backward pass needs.
        bwd: ``bwd(*nondiff_args, residuals, cotangent) -> tuple``: one cotangent per
            differentiable argument, in order, each with that argument's structure and
            shapes (``None`` for zero); ``cotangent`` has the structure of ``out``.
        nondiff_argnums: positions of arguments that are not differentiated; they must not
            hold traced values (functions, flags, sizes).

    >>> import wengert, wengert.numpy as wnp
    >>> @custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (wnp.clip(g, -1.0, 1.0),))
    >>> float(wengert.grad(lambda x: 5.0 * clip_gradient(x))(2.0))
    1.0
    """

    __slots__ = ("bwd", "fwd")

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Set the rule: ``fwd(*args) -> (out, residuals)`` and ``bwd(*nondiff, residuals, g) -> tuple``."""
        self.fwd = fwd
        self.bwd = bwd

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise TransformError(
                f"custom_vjp function {self.__name__!r} has no VJP rule: define one with "
                f"{self.__name__}.defvjp(fwd, bwd) before calling it."
            )
        args = _resolve_args(self, args, kwargs)
        for i in self.nondiff_argnums:
            if any(isinstance(leaf, Tracer) for leaf in tree_flatten(args[i])[0]):
                raise TransformError(
                    f"custom_vjp function {self.__name__!r}: argument {i} is in nondiff_argnums but "
                    "holds a traced value, whose derivative bwd could not return. Use nondiff_argnums "
                    "for values that are not differentiated (functions, flags, sizes); pass arrays as "
                    "ordinary arguments (bwd may return None as their cotangent)."
                )
        top = _top_trace(self, args)
        if top is None:
            return self.fun(*args)
        return top.process_custom_vjp(self, args)


class CustomCall:
    """One call of a custom function, as seen by the trace that interprets it.

    The differentiable arguments are flattened into ``leaves`` (in argument
    order); ``primals`` are the same leaves with this trace's tracers replaced by
    their primals (values of the levels below), on which the rules run.
    """

    __slots__ = ("args", "custom", "diff_argnums", "in_tree", "leaves", "level", "nondiff_args", "primals")

    def __init__(self, trace, custom, args: tuple):
        self.custom = custom
        self.args = args
        self.level = trace.level
        nondiff = custom.nondiff_argnums
        self.diff_argnums = tuple(i for i in range(len(args)) if i not in nondiff)
        self.nondiff_args = tuple(args[i] for i in nondiff)
        self.leaves, self.in_tree = tree_flatten(tuple(args[i] for i in self.diff_argnums))
        self.primals = [
            leaf.primal if isinstance(leaf, Tracer) and leaf._trace is trace else leaf for leaf in self.leaves
        ]

    @property
    def name(self) -> str:
        return self.custom.__name__

    def zero_tangents(self) -> list:
        """A zero tangent per differentiable leaf (concrete arrays of the primals' shapes and dtypes)."""
        return [_zeros_like(p) for p in self.primals]

    def run_jvp_rule(self, tangents: list, tangent_trace=None) -> tuple[list, list, object]:
        """Run the JVP rule on this call's primals and ``tangents`` (flat, one per leaf).

        Returns ``(flat primal outputs, flat tangent outputs, output treedef)``, checked:
        the rule returns a pair of equal structures and shapes, and neither holds a value of
        this level or above (``tangent_trace``'s tracers are looked through to their primals).
        """
        custom = self.custom
        result = custom.jvp(*self.nondiff_args, self._diff_args(self.primals), self._diff_args(tangents))
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TransformError(
                f"custom_jvp function {self.name!r}: its JVP rule must return a pair (primal_out, "
                f"tangent_out), but returned {_describe(result)}."
            )
        primals_out, out_tree = tree_flatten(result[0])
        tangents_out, tangent_tree = tree_flatten(result[1])
        if tangent_tree != out_tree:
            raise TransformError(
                f"custom_jvp function {self.name!r}: its JVP rule returned a tangent of structure "
                f"{tangent_tree} for a primal output of structure {out_tree}; give the tangent the "
                "output's structure."
            )
        primals_out = [_as_array(p) for p in primals_out]
        for i, (p, t) in enumerate(zip(primals_out, tangents_out)):
            if dtype_of(t).kind == "c" and dtype_of(p).kind != "c":
                raise DtypeError(
                    f"custom_jvp function {self.name!r}: its JVP rule returned a complex tangent (dtype "
                    f"{dtype_of(t)}) for output leaf {i}, which is real (dtype {dtype_of(p)}); a real value's "
                    "tangent is real. Return wnp.real of it if the output is the real part of a complex value."
                )
        tangents_out = [_as_array(t, dtype_of(p)) for t, p in zip(tangents_out, primals_out)]
        for i, (p, t) in enumerate(zip(primals_out, tangents_out)):
            if tuple(shape_of(t)) != tuple(shape_of(p)):
                raise ShapeError(
                    f"custom_jvp function {self.name!r}: its JVP rule returned a tangent of shape "
                    f"{shape_of(t)} for output leaf {i} of shape {shape_of(p)}; give each tangent its "
                    "output's shape."
                )
        if tangent_trace is not None and any(isinstance(p, Tracer) and p._trace is tangent_trace for p in primals_out):
            raise TransformError(
                f"custom_jvp function {self.name!r}: its JVP rule's primal output depends on the tangents; "
                "compute the output from the primals only."
            )
        self.check_no_escape(primals_out, "its JVP rule's output")
        self.check_no_escape(
            [
                t.primal if tangent_trace is not None and isinstance(t, Tracer) and t._trace is tangent_trace else t
                for t in tangents_out
            ],
            "its JVP rule's tangent",
        )
        return primals_out, tangents_out, out_tree

    def run_fwd(self) -> tuple[list, object, object]:
        """Run ``fwd`` on the primals: ``(flat outputs, output treedef, residuals)``, checked."""
        result = self.custom.fwd(*self.full_args(self.primals))
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TransformError(
                f"custom_vjp function {self.name!r}: fwd must return a pair (output, residuals), "
                f"but returned {_describe(result)}."
            )
        out, residuals = result
        primals_out, out_tree = tree_flatten(out)
        primals_out = [_as_array(p) for p in primals_out]
        self.check_no_escape(primals_out, "fwd's output")
        self.check_no_escape(tree_flatten(residuals)[0], "fwd's residuals")
        return primals_out, out_tree, residuals

    def bwd_pullback(self, residuals, out_tree) -> Callable[[Sequence], list]:
        """The map from flat output cotangents to flat argument cotangents, through ``bwd``."""

        def pullback(cotangents: Sequence) -> list:
            try:
                result = self.custom.bwd(*self.nondiff_args, residuals, tree_unflatten(out_tree, list(cotangents)))
            except LeakedTracerError as error:
                raise TransformError(
                    f"custom_vjp function {self.name!r}: bwd used a traced value of a transform that has "
                    "returned (closed over in bwd, not passed to it). Hand bwd what it needs through fwd's "
                    "residuals."
                ) from error
            return self._check_bwd_output(result)

        return pullback

    def _check_bwd_output(self, result) -> list:
        count = len(self.diff_argnums)
        if not (isinstance(result, (tuple, list)) and len(result) == count):
            raise TransformError(
                f"custom_vjp function {self.name!r}: bwd must return a tuple of {count} cotangent(s), one "
                f"per differentiable argument{_argument_names(self)}, but returned {_describe(result)}."
            )
        arg_trees = self.in_tree.children
        cotangents = []
        start = 0
        for k, (ct, arg_tree) in enumerate(zip(result, arg_trees)):
            primals = self.primals[start : start + arg_tree.num_leaves]
            start += arg_tree.num_leaves
            where = f"argument {self.diff_argnums[k]}{_parameter_name(self.custom, self.diff_argnums[k])}"
            if ct is None:
                cotangents.extend(_zeros_like(p) for p in primals)
                continue
            leaves, ct_tree = tree_flatten(ct)
            if ct_tree != arg_tree:
                raise TransformError(
                    f"custom_vjp function {self.name!r}: bwd returned a cotangent of structure {ct_tree} "
                    f"for {where}, of structure {arg_tree}; give it the argument's structure (or None)."
                )
            for leaf, primal in zip(leaves, primals):
                if tuple(shape_of(leaf)) != tuple(shape_of(primal)):
                    raise ShapeError(
                        f"custom_vjp function {self.name!r}: bwd returned a cotangent of shape "
                        f"{shape_of(leaf)} for {where}, of shape {shape_of(primal)}; give each cotangent "
                        "its argument's shape."
                    )
                if dtype_of(leaf).kind == "c" and dtype_of(primal).kind != "c":
                    leaf = real(leaf)  # a real argument's cotangent is the real part (docs/complex.md)
                cotangents.append(_as_array(leaf, dtype_of(primal)))
        self.check_no_escape(cotangents, "bwd's output")
        return cotangents

    def check_no_escape(self, values: list, what: str) -> None:
        """Raise if ``values`` hold a tracer of this level or above: one the rules closed over."""
        for value in values:
            if isinstance(value, Tracer) and value._trace.level >= self.level:
                kind = type(self.custom).__name__
                raise TransformError(
                    f"{kind} function {self.name!r}: {what} depends on a value traced by an enclosing "
                    f"transform that is not among the function's arguments (a closed-over variable?). "
                    "The custom rule cannot account for it, so the derivative would be wrong. Pass that "
                    f"value to {self.name} as an argument, or wrap it in wengert.stop_gradient if its "
                    "derivative should be dropped."
                )

    def full_args(self, flat: Sequence) -> list:
        """All positional arguments, the differentiable ones rebuilt from ``flat`` (one per leaf)."""
        args = list(self.args)
        for position, value in zip(self.diff_argnums, self._diff_args(flat)):
            args[position] = value
        return args

    def _diff_args(self, flat: Sequence) -> tuple:
        return tree_unflatten(self.in_tree, list(flat))


def custom_call_primitive(call: CustomCall, pullback: Callable[[Sequence], list]) -> Primitive:
    """The primitive a tape records for one custom call: its VJP rules pull back through ``pullback``.

    Its arguments are the call's differentiable leaves and its results the flat outputs, so
    ``impl(*node.args)`` recomputes ``node.out``; it declares no JVP rules (forward mode goes
    through the custom function itself, never through a recorded node).

    ``pullback(cotangents)`` maps the tuple of output cotangents to one cotangent per
    differentiable leaf (``None`` for zero). The backward pass asks each argument's rule
    in turn with the same cotangent tuple, so the pullback runs once per visit and each
    rule picks its entry.
    """
    memo: list = [None, None]  # the last cotangent tuple seen, and its pullback

    def rule_for(position: int):
        def vjp(cotangents, out, *args):
            if memo[0] is not cotangents:
                memo[1] = pullback(cotangents)
                memo[0] = cotangents
            ct = memo[1][position]
            return _zeros_like(call.primals[position]) if ct is None else ct

        return vjp

    def impl(*leaves):
        return tuple(tree_flatten(call.custom.fun(*call.full_args(leaves)))[0])

    return Primitive(
        call.name,
        impl,
        vjps=tuple(rule_for(i) for i in range(len(call.leaves))),
        multiple_results=True,
        single_call=True,
        doc=f"A call of the custom-derivative function {call.name!r}.",
    )


class CustomCallPrimitive(Primitive):
    """The equation ``jit`` stages for one custom call, so that its rule outlives staging.

    Its inputs are the call's traced leaves (the rest of the arguments, functions and
    constants, are kept here). On plain arrays (the compiled program) it runs the primal
    function; bound on tracers (the program run under ``grad``, ``jvp``, another ``jit``)
    it calls the custom function again, so the transform of those tracers interprets
    the call with its rule, as it would have without ``jit``.
    """

    __slots__ = ("custom", "in_tree", "out_tree", "template")

    def __init__(self, custom, args: tuple):
        leaves, self.in_tree = tree_flatten(args)
        self.template = [None if isinstance(leaf, Tracer) else leaf for leaf in leaves]
        self.custom = custom
        self.out_tree = None
        super().__init__(
            f"{type(custom).__name__}[{custom.__name__}]",
            self.run,
            multiple_results=True,
            doc=f"A staged call of the {type(custom).__name__} function {custom.__name__!r}.",
        )

    def traced_leaves(self, args: tuple) -> list:
        """The leaves of ``args`` this primitive takes as inputs: the traced ones."""
        return [leaf for leaf in tree_flatten(args)[0] if isinstance(leaf, Tracer)]

    def arguments(self, inputs: Sequence) -> list:
        """The call's positional arguments, with ``inputs`` in the places of the traced leaves."""
        values = iter(inputs)
        return tree_unflatten(self.in_tree, [next(values) if leaf is None else leaf for leaf in self.template])

    def run(self, *inputs) -> tuple:
        """The primal function on plain arrays: its flat outputs (their structure is kept in ``out_tree``)."""
        leaves, self.out_tree = tree_flatten(self.custom.fun(*self.arguments(inputs)))
        return tuple(leaves)

    def __call__(self, *inputs):
        if any(isinstance(x, Tracer) for x in inputs):  # (another library's arrays while staging, too)
            leaves, self.out_tree = tree_flatten(self.custom(*self.arguments(inputs)))
            return tuple(leaves)
        return self.run(*inputs)


def stage_custom_call(trace, custom, args: tuple):
    """A staging trace's record of a ``custom_jvp`` / ``custom_vjp`` call: one :class:`CustomCallPrimitive` equation.

    Inlining ``custom.fun`` would stage the function's own operations, and a transform
    running the staged program (``grad(jit(f))``) would differentiate those instead of
    using the rule (``log1pexp`` at 1000 would give nan again).
    """
    prim = CustomCallPrimitive(custom, args)
    outputs = trace.process(prim, prim.traced_leaves(args), {})
    return tree_unflatten(prim.out_tree, list(outputs))


def forward_mode_error(custom: custom_vjp) -> TransformError:
    """The error for forward mode through a ``custom_vjp`` function, which has no forward rule."""
    return TransformError(
        f"custom_vjp function {custom.__name__!r} cannot be differentiated in forward mode (jvp, jacfwd, "
        "hessian): it defines only a reverse-mode rule (fwd/bwd), and a VJP cannot be turned into a JVP. "
        "Differentiate it in reverse mode (grad, vjp, jacrev), or define it with wengert.custom_jvp, "
        "whose rule serves forward and reverse mode."
    )


def _wraps(custom, fun: Callable) -> None:
    """Give the custom function ``fun``'s name, docstring and module (a name for nameless callables too)."""
    functools.update_wrapper(custom, fun)
    if "__name__" not in custom.__dict__:
        custom.__name__ = custom.__qualname__ = getattr(fun, "name", None) or type(fun).__name__


def _check_argnums(fun: Callable, nondiff_argnums: Sequence[int]) -> tuple[int, ...]:
    if isinstance(nondiff_argnums, int):
        nondiff_argnums = (nondiff_argnums,)
    argnums = tuple(nondiff_argnums)
    if not all(isinstance(i, int) and i >= 0 for i in argnums):
        raise TransformError(
            f"{getattr(fun, '__name__', 'function')}: nondiff_argnums={nondiff_argnums!r} must be "
            "non-negative argument positions (ints)."
        )
    return tuple(sorted(set(argnums)))


def _signature(fun: Callable) -> inspect.Signature | None:
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):
        return None


def _simple_arity(signature: inspect.Signature | None) -> int:
    """The number of parameters of a signature with positional ones only (-1 for any other)."""
    if signature is None:
        return -1
    kinds = {parameter.kind for parameter in signature.parameters.values()}
    positional = {inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD}
    return len(signature.parameters) if kinds <= positional else -1


def _resolve_args(custom, args: tuple, kwargs: dict) -> tuple:
    """All arguments as positions, with defaults filled in (rules see every argument by position)."""
    if kwargs or len(args) != custom._arity:
        args = _bind(custom, args, kwargs)
    if custom.nondiff_argnums and custom.nondiff_argnums[-1] >= len(args):
        raise TransformError(
            f"{custom.__name__}: nondiff_argnums={custom.nondiff_argnums} but it was called with "
            f"{len(args)} positional arguments."
        )
    return args


def _bind(custom, args: tuple, kwargs: dict) -> tuple:
    """Bind keyword and default arguments to their positions with ``fun``'s signature."""
    signature = custom._signature
    if signature is None:
        if kwargs:
            raise TransformError(
                f"{custom.__name__}: keyword arguments need a function with a signature; pass them positionally."
            )
        return args
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{custom.__name__}(): {error}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TransformError(
            f"{custom.__name__}: keyword-only arguments {sorted(bound.kwargs)} cannot be passed to a "
            f"{type(custom).__name__} function; make them positional parameters (use nondiff_argnums "
            "for ones that are not differentiated)."
        )
    return bound.args


def _top_trace(custom, args: tuple):
    """The trace of the highest-level tracer among the arguments (``None``: none).

    Non-differentiable arguments count too: after ``stop_gradient`` they may still be
    traced by a transform that is not a derivative (``vmap``), which must see the call.
    """
    top = None
    for leaf in tree_flatten(args)[0]:
        if isinstance(leaf, Tracer):
            trace = leaf._trace
            if top is None or trace.level > top.level:
                top = trace
    if top is not None and not top.active:
        raise LeakedTracerError(
            f"{custom.__name__}: a traced value was passed after the transform that made it returned. "
            "Return values out of the transformed function instead of storing them in globals or closures."
        )
    return top


def _stop_gradient_tree(tree):
    """``tree`` with ``stop_gradient`` applied to its traced leaves (kept traced by non-derivative transforms)."""
    leaves, treedef = tree_flatten(tree)
    if not any(isinstance(leaf, Tracer) for leaf in leaves):
        return tree
    return tree_unflatten(treedef, [stop_gradient(leaf) if isinstance(leaf, Tracer) else leaf for leaf in leaves])


def _as_array(value, dtype=None):
    """``value`` as a NumPy value (of ``dtype`` if given: a rule's result takes its primal's dtype).

    Tracers are kept as they are, and NumPy values of the right dtype too.
    """
    if isinstance(value, Tracer):
        return value
    if isinstance(value, (xp.ndarray, xp.generic)) and (dtype is None or value.dtype == dtype):
        return value
    return xp.asarray(value, dtype=dtype)


def _zeros_like(value):
    """Plain zeros of ``value``'s shape and dtype (a tracer's shape: one example's under ``vmap``)."""
    return xp.zeros(shape_of(value), dtype_of(value))


def _tree_zeros_like(tree):
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [_zeros_like(leaf) for leaf in leaves])


def _describe(value) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def _parameter_name(custom, position: int) -> str:
    if custom._signature is None:
        return ""
    names = list(custom._signature.parameters)
    return f" ({names[position]})" if position < len(names) else ""


def _argument_names(call: CustomCall) -> str:
    names = [_parameter_name(call.custom, i).strip(" ()") for i in call.diff_argnums]
    return f" ({', '.join(names)})" if all(names) else ""
