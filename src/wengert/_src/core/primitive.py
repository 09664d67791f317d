"""Primitives, tracers, the trace stack and ``bind``: the heart of the engine.

A *primitive* is one operation of the Wengert list (``exp``, ``add``,
``reduce_sum`` ...), declared once with its NumPy implementation and its
derivative rules. Calling a primitive *binds* it: if none of its arguments is
a tracer it simply runs the NumPy implementation (the fast path, one Python
call over NumPy); otherwise the trace of the highest-level tracer among the
arguments interprets it.

Each active transform (``jvp``, ``grad`` ...) is a :class:`Trace` with a
*level*: its position on the trace stack. Values of a transform are
:class:`Tracer` objects that know their trace. Because the top trace is taken
from the arguments, nested transforms never mix up each other's
perturbations, and values from outer levels look like constants to inner
ones. The stack lives in a context variable, so two threads running
transforms at once never see each other's levels.
"""

from __future__ import annotations

import contextvars
import dis
import functools
import inspect

from wengert.errors import ConcretizationError, InPlaceError, LeakedTracerError, ShapeError, TracerError

from ..backend import xp
from .source_info import is_storing_into_a_container, user_frame_summary

_stack_depth: contextvars.ContextVar[int] = contextvars.ContextVar("wengert_trace_depth", default=0)


class Trace:
    """One active transform: a level on the trace stack and an interpreter.

    Subclasses implement :meth:`process` for one primitive application whose
    highest-level tracer argument belongs to this trace.
    """

    __slots__ = ("active", "level")

    def __init__(self, level: int):
        self.level = level
        self.active = True

    def process(self, prim: Primitive, args: tuple, params: dict):
        raise NotImplementedError

    def process_custom_jvp(self, custom, args: tuple):
        """Interpret a call of a ``custom_jvp`` function whose top tracer belongs to this trace.

        ``custom`` is the :class:`~wengert._src.transforms.custom_derivatives.custom_jvp` object;
        the attributes a trace may use are ``custom.fun`` (the primal function), ``custom.jvp``
        (the rule, ``jvp(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)``, with
        ``primals`` and ``tangents`` tuples of the differentiable arguments) and
        ``custom.nondiff_argnums``. ``args`` is the tuple of all positional arguments (pytrees;
        keyword arguments already bound to positions, the traced leaves of ``nondiff_argnums``
        ones already through ``stop_gradient``). To keep the custom rule visible to the
        transforms below, a trace re-binds: it calls a new ``custom_jvp`` (built from
        transformed ``fun`` and ``jvp``, same ``nondiff_argnums``) on its tracers' inner values.

        The default runs the primal function inline, so this trace and the ones below it see
        ``fun``'s own operations (the custom rule is then not used below this level).
        """
        return custom.fun(*args)

    def process_custom_vjp(self, custom, args: tuple):
        """Interpret a call of a ``custom_vjp`` function whose top tracer belongs to this trace.

        ``custom`` is the :class:`~wengert._src.transforms.custom_derivatives.custom_vjp` object,
        with ``custom.fun`` (the primal function), ``custom.fwd`` (``fwd(*args) -> (out,
        residuals)``, all arguments), ``custom.bwd`` (``bwd(*nondiff_args, residuals, cotangent)
        -> tuple`` of one cotangent per differentiable argument) and ``custom.nondiff_argnums``.
        ``args`` is the tuple of all positional arguments (pytrees; keyword arguments already
        bound to positions; ``nondiff_argnums`` ones hold no tracers).

        The default runs the primal function inline, as :meth:`process_custom_jvp` does.
        """
        return custom.fun(*args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(level={self.level})"


def new_trace(trace_type, *init_args) -> _TraceScope:
    """Push a new transform level for the duration of a ``with`` block: ``with new_trace(T) as trace``."""
    return _TraceScope(trace_type, init_args)


class _TraceScope:
    """The ``with`` block of :func:`new_trace` (a class: every transform call enters one)."""

    __slots__ = ("init_args", "token", "trace", "trace_type")

    def __init__(self, trace_type, init_args: tuple):
        self.trace_type = trace_type
        self.init_args = init_args

    def __enter__(self):
        depth = _stack_depth.get()
        self.token = _stack_depth.set(depth + 1)
        self.trace = self.trace_type(depth + 1, *self.init_args)
        return self.trace

    def __exit__(self, *exc_info) -> bool:
        self.trace.active = False
        _stack_depth.reset(self.token)
        return False


def trace_depth() -> int:
    """How many transforms are active in this thread (0: plain NumPy)."""
    return _stack_depth.get()


class Tracer:
    """A value being traced by a transform.

    Concrete subclasses carry the value (``primal``) and what their transform
    needs. NumPy-style operators and methods are installed on this class by
    ``wengert.numpy`` (the face registers them; the core doesn't import it).
    """

    __slots__ = ("_trace",)
    __array_priority__ = 1000

    # --- what every tracer must provide -------------------------------------------------
    @property
    def primal(self):
        raise NotImplementedError

    def concrete(self):
        """The plain NumPy value underneath every level of tracing."""
        value = self.primal
        while isinstance(value, Tracer):
            value = value.primal
        return value

    @property
    def shape(self) -> tuple:
        return self.primal.shape

    @property
    def dtype(self):
        return self.primal.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        size = 1
        for dim in self.shape:
            size *= dim
        return size

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d traced array")
        return self.shape[0]

    # --- Python control flow sees concrete values (eager transforms) ----------------------
    def __bool__(self) -> bool:
        return bool(self.concrete())

    def __float__(self) -> float:
        self._refuse_a_store_into_numpy()
        return float(self.concrete_number("float()"))

    def __int__(self) -> int:
        self._refuse_a_store_into_numpy()
        return int(self.concrete_number("int()"))

    def __complex__(self) -> complex:
        return complex(self.concrete_number("complex()"))

    def concrete_number(self, conversion: str):
        """The concrete value, for ``conversion`` to a Python number; refused for a float or complex value.

        A Python number carries no derivative: ``math.sin(x)`` (which calls ``float(x)``) would
        differentiate as a constant, and the gradient would be silently wrong. Integer and boolean
        values carry no derivative anyway, so they convert (indices, sizes, ``if`` on a flag).
        A transform that has no value to give (``vmap``, ``jit``) says so first.
        """
        value = self.concrete()
        if self.dtype.kind in "fc":
            raise ConcretizationError(
                f"{conversion} of a traced {self.dtype} value (shape {self.shape}) at {user_frame_summary()} "
                "would turn it into a Python number and drop its derivative. Keep it an array: use "
                "wengert.numpy instead of math or plain NumPy/SciPy (`wnp.exp(x)` for `math.exp(x)`, "
                "`x.astype(...)` for a cast); to drop the derivative on purpose, convert "
                "`wengert.stop_gradient(x)` instead."
            )
        return value

    def _refuse_a_store_into_numpy(self) -> None:
        """Raise if NumPy converts this value to a number to store it into a plain array.

        ``y[0] = x[1]`` with ``y`` a NumPy array would keep only the number, and the
        derivative through ``y`` would be silently lost.
        """
        if is_storing_into_a_container(2):
            raise InPlaceError(
                f"`array[...] = value` stores a traced value (shape {self.shape}, dtype {self.dtype}) into a "
                f"plain NumPy array, at {user_frame_summary()}; the array would hold a number and the "
                "derivative through it would be lost. Build the array with wengert.numpy instead: "
                "`y = wnp.at(y)[idx].set(value)`, or wnp.stack / wnp.concatenate of the pieces."
            )

    def __index__(self) -> int:
        return self.concrete().__index__()

    def __array__(self, dtype=None, copy=None):
        raise TracerError(
            f"A traced value (shape {self.shape}, dtype {self.dtype}) was passed to plain NumPy, "
            f"at {user_frame_summary()}. Inside a wengert transform use wengert.numpy "
            "(`import wengert.numpy as wnp`) so the operation is differentiated; to drop the "
            "derivative on purpose use wengert.stop_gradient(x) and then np.asarray on the result "
            "outside the transform."
        )

    def __hash__(self):
        raise TypeError(
            f"traced arrays are unhashable, like NumPy arrays (at {user_frame_summary()}); key a dict or set "
            "by a Python value instead (an index, a name), or by id(x) for identity."
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.primal!r}, level={self._trace.level})"


def concrete(x):
    """The plain NumPy value of ``x`` (for values that carry no derivative, such as indices)."""
    return x.concrete() if isinstance(x, Tracer) else x


def known_value(x):
    """The plain NumPy value of ``x``, or ``None`` where the transform hides it (vmap, jit).

    For the few functions whose NumPy behaviour depends on values in a way a program
    cannot (``lstsq`` returns no residuals for a rank-deficient matrix): eager transforms
    show values and get NumPy's behaviour; the others get the one that needs no values.
    """
    if not isinstance(x, Tracer):
        return x
    try:
        return x.concrete()
    except TracerError:
        return None


class ValueTracer(Tracer):
    """A tracer that holds its primal value (the eager transforms and Tensors).

    The array attributes read the value directly: the NumPy face asks them on
    every operation, so they skip the generic ``primal`` property.
    """

    __slots__ = ("_primal",)

    @property
    def primal(self):
        return self._primal

    @property
    def shape(self) -> tuple:
        return self._primal.shape

    @property
    def dtype(self):
        return self._primal.dtype

    @property
    def ndim(self) -> int:
        return self._primal.ndim

    @property
    def size(self) -> int:
        return self._primal.size


class Primitive:
    """One operation of the Wengert list, with every rule about it.

    Attributes:
        name: the name printed in traces, which is also the Python name the primitive is declared
            under (``elementwise.multiply`` prints ``multiply``; a Python keyword takes PEP 8's
            trailing underscore: ``control_flow.while_`` prints ``while``).
        impl: the NumPy implementation, ``impl(*args, **params)``.
        jvps: one rule per argument, ``jvp_i(tangent_i, ans, *args, **params)``
            returning that argument's contribution to the output tangent (with the
            output's shape and dtype); ``None`` for an argument that is never
            differentiated (an index, a condition). ``jvps is None`` declares the
            primitive non-differentiable: its outputs carry no tangent. A variadic
            primitive may give ``rules.JointJVP``, one rule over all the tangents.
        vjps: one rule per argument, ``vjp_i(cotangent, ans, *args, **params)``
            returning the cotangent of argument ``i`` (its shape and dtype), or
            ``rules.JointVJP``, one rule for all the differentiated arguments.
        fast_vjps: faster forms of some VJP rules for plain values, one per argument as ``vjps``
            (``None``: the general rule serves), ``fast_i(cotangent, ans, *args, **params)``. Only
            the tape's backward loop (``transforms/reverse.pull_back_tape``) calls them, and only
            where the tape holds no tracer and the cotangent is not one: then every value they get is
            a NumPy array or number, and they may call NumPy directly or compute in place into
            arrays of their own. They return what the general rule returns (a form they do not
            speed up may call it) and read no value the general rule does not read (``vjp_reads``
            and the tape's stand-ins follow the general rules); ``tests/test_fast_vjps.py`` holds
            each equal to its general rule on every registry case. The general rules stay pure
            wengert operations, so staging, ``jit``, the compiled backward pass and higher orders
            differentiate and compile them. Stored with the general rules filled in for ``None``.
        multiple_results: the impl returns a tuple; rules then take and return tuples
            of tangents/cotangents, one per result (zeros filled in).
        transposes: for a primitive linear in some arguments, one rule per argument,
            ``transpose_i(cotangent, *args, **params)`` (``None`` where not linear); the
            linear arguments arrive as :class:`UndefinedPrimal` placeholders that carry only
            shape and dtype. Used by ``linear_transpose`` (staged reverse mode). Most entries are
            ``rules.BY_VJP`` (the VJP rule already is the transpose); ``rules.EveryArgument`` and
            ``rules.Multilinear`` serve variadic and multilinear primitives.
        batch: the batching rule for ``vmap``, ``batch(args, dims, **params)`` returning
            ``(out, out_dim)``; ``dims[i]`` is the batch axis of argument ``i`` (``None``: unbatched).
        flops: ``flops(out_shapes, *arg_shapes, **params)``, the floating-point operations of
            one application, for ``Program`` operation counts (``None``: not counted).
        single_call: the primitive stands for one call (of a custom rule, of a checkpointed or
            control-flow function) whose rules or parameters hold that call's objects, so no
            later tape has the same entry (the compiled backward pass never keys on it).
        jacobian_structure: where the primitive is linear in an argument (as it is in a
            linearized program), the structure of its local Jacobian with respect to that
            argument, one entry per argument: ``"identity"`` (the output is the argument,
            broadcast), ``"negation"`` (minus it), ``"elementwise"`` (it times a factor that
            does not depend on it, broadcast), ``"selection"`` (each output element is one
            element of it: a transpose, a broadcast, a gather), ``"sum"`` (each output element
            is a sum of its elements), or ``None``. ``None`` (the default, for the whole
            primitive or one argument) means dense: vertex elimination
            (``wengert.elimination``) then builds the whole local Jacobian, never a wrong one.
        linear_in: the argument positions in which the primitive is linear (``multiply`` in each of
            ``(0, 1)`` while the other stays fixed), ``"every"`` for every argument of a variadic
            one (``concatenate``), ``()`` for none. The positions whose ``transposes`` entry is a
            rule; a linearized program holds only primitives linear in some argument.
        source: how code generation (``compile/generator.py``) writes one application: a Python
            operator (``"+"``; written prefix for one operand, ``"-x"``), or a function
            ``source(gen, eqn, args)`` returning the NumPy expression (``args`` the operands'
            source text; ``gen`` writes parameters: ``gen.param``, ``gen.index``,
            ``gen.keywords``, ``gen.array``). ``None``: a ufunc is written ``np.<ufunc>(...)``,
            anything else calls ``impl`` by an importable name.
        statements: how code generation writes one application that is no single expression, as
            lines of its own: ``statements(gen, eqn, args, outs)`` returning them (``outs`` the
            results' names; a scatter copies its target, then writes in place; ``cond`` and
            ``while`` call functions generated for their programs). ``gen`` also offers
            ``gen.constant``, ``gen.call_impl``, ``gen.sub_function`` and the writes at indices
            (``compile/indexed_writes.py``). Takes precedence over ``source``; ``None`` for most.
        result_memory: ``"new"`` if the result is always an array of its own, ``"view"`` if it
            may be a view of the first argument (and never of another array), or a function of
            the parameters returning one of those (``getitem``: a view for a basic index); ``None``
            (unknown: it may alias any argument) is always safe. Defaults to ``"new"`` for a
            single-result ufunc. Code generation reuses only memory it knows is the call's own.
        vjp_reads: which values the VJP rules read: :data:`READS_NOTHING` (only shapes and
            dtypes), :data:`READS_ARGUMENTS`, :data:`READS_ARGUMENTS_AND_OUTPUT`. The Tensor face
            checks in-place changes only of what is read (PyTorch allows ``y = x + 1;
            y.mul_(2)``). ``None``: derived from the rules' code on first use
            (:func:`what_vjps_read`) and stored here.
        neutral: ``(value, side)`` for a binary primitive with a neutral operand, for the
            optimiser's identities: ``x * 1 = 1 * x = x`` is ``(1, "either")``, ``x - 0 = x``
            is ``(0, "right")``.
        saving_plans: not declared: what a tape entry of this primitive keeps, per bit mask of the
            positions it pulls back to, found from ``vjp_reads`` and the rules on first use and
            stored here (``transforms/saved_values.py``).

    Rules are written with wengert's own primitives, so that a derivative is
    itself differentiable and every order works.
    """

    __slots__ = (
        "__dict__",
        "batch",
        "fast_vjps",
        "flops",
        "impl",
        "jacobian_structure",
        "jvps",
        "linear_in",
        "multiple_results",
        "name",
        "neutral",
        "result_memory",
        "saving_plans",
        "single_call",
        "source",
        "statements",
        "transposes",
        "vjp_reads",
        "vjps",
    )

    def __init__(
        self,
        name: str,
        impl,
        *,
        jvps=None,
        vjps=None,
        fast_vjps=None,
        transposes=None,
        batch=None,
        flops=None,
        multiple_results=False,
        single_call=False,
        jacobian_structure=None,
        linear_in=(),
        source=None,
        statements=None,
        result_memory=None,
        vjp_reads=None,
        neutral=None,
        doc=None,
    ):
        self.name = name
        self.impl = impl
        self.jvps = jvps
        self.vjps = vjps
        self.fast_vjps = None if fast_vjps is None else tuple(f or v for f, v in zip(fast_vjps, vjps, strict=True))
        self.transposes = transposes
        self.batch = batch
        self.flops = flops
        self.multiple_results = multiple_results
        self.single_call = single_call
        self.jacobian_structure = jacobian_structure
        self.linear_in = linear_in
        self.source = source
        self.statements = statements
        if result_memory is None and _is_single_result_ufunc(impl) and not multiple_results:
            result_memory = "new"
        self.result_memory = result_memory
        self.vjp_reads = vjp_reads
        self.saving_plans: dict = {}
        self.neutral = neutral
        self.__doc__ = doc or f"The ``{name}`` primitive."

    @property
    def differentiable(self) -> bool:
        return self.jvps is not None

    def __call__(self, *args, **params):
        top = None
        for arg in args:
            if isinstance(arg, Tracer):
                trace = arg._trace
                if top is None or trace.level > top.level:
                    top = trace
        if top is None:  # the fast path: run_impl's body, inlined to save a call per operation
            try:
                return self.impl(*args, **params)
            except ValueError as error:
                reraise_with_shapes(self, args, error)
        if not top.active:
            raise LeakedTracerError(
                f"{self.name}: a traced value was used after the transform that made it returned "
                f"(at {user_frame_summary()}). Return values out of the transformed function "
                "instead of storing them in globals or closures."
            )
        return top.process(self, args, params)

    def __repr__(self) -> str:
        return f"Primitive({self.name})"


def _is_single_result_ufunc(impl) -> bool:
    return isinstance(impl, xp.ufunc) and impl.nout == 1


READS_NOTHING = ""
"""``Primitive.vjp_reads``: the VJP rules read only shapes and dtypes (falsy)."""
READS_ARGUMENTS = "arguments"
"""``Primitive.vjp_reads``: the VJP rules read the arguments' values, never the output's."""
READS_ARGUMENTS_AND_OUTPUT = "arguments and output"
"""``Primitive.vjp_reads``: the VJP rules may read the output's value too."""


def what_vjps_read(prim: Primitive) -> str:
    """``prim.vjp_reads``, derived from its rules' code where not declared (and stored there).

    A rule reads the output if its ``ans`` parameter appears in its code at all (passing it on to
    a helper counts as reading it); ``multiply``'s and ``matmul``'s rules never mention it. A
    primitive with no derivative has no rule, which reads nothing.
    """
    if prim.vjp_reads is None and prim.vjps is None:
        prim.vjp_reads = READS_NOTHING
    if prim.vjp_reads is None:
        vjps = prim.vjps
        rules = [r for r in vjps if r is not None] if isinstance(vjps, tuple) else [vjps[0]]
        mentions = any(_mentions_output(rule) for rule in rules)
        prim.vjp_reads = READS_ARGUMENTS_AND_OUTPUT if mentions else READS_ARGUMENTS
    return prim.vjp_reads


def _mentions_output(rule) -> bool:
    return what_a_rule_reads(rule)[0]


def what_a_rule_reads(rule) -> tuple[bool, frozenset[int] | None]:
    """``(reads the output, the positions of the arguments it reads)`` for a VJP rule
    ``rule(cotangent, ans, *args, **params)``, from its code; ``None`` for the positions: maybe every one.

    A parameter is read if the rule's code loads it at all (passing it on to a helper counts, even one
    that reads only its shape) or an inner function closes over it; a rule whose code cannot be read
    (no ``__code__``) or that takes the arguments as ``*args`` and loads them reads everything it
    can. So the answer may say too much, never too little: ``multiply``'s rule for ``x``,
    ``unbroadcast(g * y, x)``, reads both arguments, its output never.
    """
    bound = 0
    while isinstance(rule, functools.partial) or inspect.ismethod(rule):
        if inspect.ismethod(rule):  # its instance is bound to the first parameter
            bound, rule = bound + 1, rule.__func__
        else:
            bound, rule = bound + len(rule.args), rule.func
    code = getattr(rule, "__code__", None)
    if code is None or code.co_argcount < bound + 2:
        return True, None
    names = code.co_varnames
    loaded = {op.argval for op in dis.get_instructions(code) if op.opname.startswith("LOAD")}
    loaded.update(code.co_cellvars)
    named = names[bound + 2 : code.co_argcount]
    if code.co_flags & inspect.CO_VARARGS and names[code.co_argcount + code.co_kwonlyargcount] in loaded:
        return names[bound + 1] in loaded, None
    return names[bound + 1] in loaded, frozenset(k for k, name in enumerate(named) if name in loaded)


def run_impl(prim: Primitive, args, params: dict):
    """Run ``prim``'s NumPy implementation on values known to hold no tracers."""
    try:
        return prim.impl(*args, **params)
    except ValueError as error:
        reraise_with_shapes(prim, args, error)


def reraise_with_shapes(prim: Primitive, args, error: ValueError):
    """Re-raise NumPy's ValueError, as a ShapeError naming op, shapes and line if it is about shapes."""
    converted = shape_error(prim, args, error)
    if converted is error:
        raise error
    raise converted from error


def shape_error(prim: Primitive, args: tuple, error: Exception) -> Exception:
    """Turn NumPy's ValueError into one that names the op, the shapes and the user's line."""
    message = str(error)
    if isinstance(error, ShapeError):
        return error
    if "shape" not in message and "broadcast" not in message and "dimension" not in message:
        return error
    shapes = ", ".join(str(getattr(a, "shape", "scalar")) for a in args)
    return ShapeError(
        f"{prim.name}: operands of shapes {shapes} do not fit ({message}), "
        f"at {user_frame_summary()}. Check the shapes, or reshape/transpose an operand."
    )
