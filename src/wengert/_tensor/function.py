"""``autograd.Function``: a custom operation on Tensors with a hand-written backward, as in PyTorch.

Subclass :class:`Function` with two static methods::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_y):
            (y,) = ctx.saved_tensors
            return grad_y * y

and call ``Exp.apply(x)``. ``forward`` runs with grad mode off (its own
operations are not recorded); the outputs get one :class:`FunctionNode`,
whose rule (one joint VJP rule of the tape, :func:`_function_backward`) calls
``backward`` with one gradient per output and expects one gradient per input
of ``forward`` (``None`` for an input without one). Under ``create_graph`` ``backward`` runs with grad mode on, so a
``backward`` written with Tensor operations is differentiable again;
:func:`once_differentiable` declares one that is not.
"""

from __future__ import annotations

import functools
import inspect

from wengert.errors import AutogradError, TracerError

from .._src.backend import is_float_dtype, xp
from .._src.core.ir import ShapedArray
from .._src.core.primitive import Primitive, Tracer
from .._src.primitives.rules import JointVJP
from .._src.transforms.complex_guard import complex_derivative_error
from .._src.transforms.reverse import TapeEntry
from .graph import GraphNode, Node, as_tensor, freed_graph_error, grad_enabled, new_sequence_number
from .tensor import Tensor, make_tensor, version_counter, wrap_history


class FunctionCtx:
    """The ``ctx`` of ``forward``/``backward``: what forward hands to backward.

    Attributes set by ``apply``: ``needs_input_grad`` (one bool per input of
    ``forward``: does that input require grad?). Any other attribute may be
    set freely to pass non-tensor values to ``backward``.
    """

    def __init__(self, needs_input_grad: tuple, function_name: str):
        self.needs_input_grad = needs_input_grad
        self.materialize_grads = True
        self._function_name = function_name
        self._saved = ()
        self._saved_versions = ()
        self._freed = False
        self._non_differentiable: set = set()
        self._dirty: set = set()

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (Tensors or None) for ``backward``; changing them in place later is an error."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"{self._function_name}: save_for_backward takes Tensors (or None), argument {i} is a "
                    f"{type(t).__name__}; keep other values as attributes of ctx (ctx.value = ...)."
                )
        self._saved = tensors
        self._saved_versions = tuple(None if t is None else version_counter(t)[0] for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked to be unchanged since."""
        if self._freed:
            raise freed_graph_error(f"{self._function_name}Backward")
        for i, (t, version) in enumerate(zip(self._saved, self._saved_versions)):
            if t is not None and version_counter(t)[0] != version:
                raise AutogradError(
                    f"{self._function_name}: saved tensor {i} (shape {t.shape}) was modified by an in-place "
                    f"operation after save_for_backward (it is at version {version_counter(t)[0]}; version "
                    f"{version} was saved). Save a .clone(), or make that operation out-of-place."
                )
        return self._saved

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that have no derivative (indices, masks): they will not require grad."""
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that ``forward`` changed in place (and returns): their history becomes this op."""
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` gets None (not zeros) for outputs that received no gradient."""
        self.materialize_grads = bool(value)


def once_differentiable(backward):
    """Declare that a ``backward`` cannot itself be differentiated (it works on plain values).

    It then runs with grad mode off; differentiating its result again
    (``create_graph=True`` and a second ``backward``) raises a clear error
    instead of silently giving zero.
    """

    @functools.wraps(backward)
    def once_differentiable_backward(ctx, *grads):
        token = grad_enabled.set(False)
        try:
            return backward(ctx, *grads)
        finally:
            grad_enabled.reset(token)

    once_differentiable_backward.once_differentiable = True
    return once_differentiable_backward


class Function:
    """Base class of custom operations: subclass it with static ``forward`` and ``backward``, call ``apply``.

    ``forward(ctx, *args)`` computes the outputs (Tensors, or a tuple holding
    them); alternatively ``forward(*args)`` together with
    ``setup_context(ctx, inputs, output)``, PyTorch 2's split form.
    ``backward(ctx, *grad_outputs)`` returns one gradient per input of
    ``forward``: a Tensor of that input's shape, or None.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward as a @staticmethod")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward as a @staticmethod")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on ``args`` and record one node whose backward step calls ``backward``."""
        for i, arg in enumerate(args):
            if isinstance(arg, Tracer) and not isinstance(arg, Tensor):
                raise TracerError(
                    f"{cls.__name__}.apply: argument {i} is a value traced by a functional transform "
                    "(wengert.grad, jvp, vmap). autograd.Function works on Tensors; for a custom derivative "
                    "under the functional transforms use wengert.custom_vjp or wengert.custom_jvp."
                )
        needs = tuple(isinstance(a, Tensor) and a._synced()._node is not None for a in args)
        ctx = FunctionCtx(needs, cls.__name__)
        token = grad_enabled.set(False)
        try:
            if _overrides(cls, "setup_context"):
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        finally:
            grad_enabled.reset(token)
        if not (grad_enabled.get() and any(needs)):
            return output
        return _record(cls, ctx, args, output)

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError


def _overrides(cls, name: str) -> bool:
    return getattr(cls, name) is not getattr(Function, name)


def _record(cls, ctx: FunctionCtx, args: tuple, output):
    single = not isinstance(output, tuple)
    outputs = (output,) if single else output
    parents = tuple((i, a._node, a._slot) for i, a in enumerate(args) if isinstance(a, Tensor) and a._node is not None)
    node = FunctionNode(cls, ctx, parents, args)
    arg_ids = {id(a) for a in args if isinstance(a, Tensor)}
    recorded = []
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            node.outputs.append(None)
            recorded.append(out)
            continue
        differentiable = id(out) not in ctx._non_differentiable and is_float_dtype(out.dtype)
        if out.dtype.kind == "c" and id(out) not in ctx._non_differentiable:
            raise complex_derivative_error(f"{cls.__name__}.forward", out.dtype, "Tensor autograd")
        if id(out) not in ctx._dirty and (id(out) in arg_ids or out._node is not None):
            alias = make_tensor(out._primal)
            alias._version = version_counter(out)
            out = alias
        if differentiable:
            out._node = node
            out._slot = k
            node.outputs.append(ShapedArray(out.shape, out.dtype))
        else:
            out._node = None
            node.outputs.append(None)
        recorded.append(out)
    return recorded[0] if single else tuple(recorded)


class FunctionNode(Node):
    """The ``grad_fn`` of the outputs of one ``Function.apply``: its rule calls ``backward``.

    A node of the graph like any other, whose primitive stands for this one call (its rule,
    :func:`_function_backward`, reads the node from the entry's parameters). It keeps no
    values (``args`` is empty until a backward pass frees the node): ``ctx`` holds what
    ``forward`` saved.
    """

    __slots__ = ("ctx", "function", "inputs", "outputs")

    def __init__(self, function, ctx: FunctionCtx, parents: tuple, args: tuple):
        prim = Primitive(
            function.__name__,
            function.apply,
            vjps=JointVJP(_function_backward),
            multiple_results=True,
            single_call=True,
            doc=f"A call of the autograd.Function {function.__name__!r}.",
        )
        super().__init__(prim, (), {}, None, parents, None)
        self.function = function
        self.ctx = ctx
        self.inputs = tuple((a.shape, a.dtype) if isinstance(a, Tensor) else None for a in args)
        self.outputs: list = []  # a ShapedArray per differentiable output, None for the others

    def written(self, parents: list, create_graph: bool, wrap) -> TapeEntry:
        """The entry: its results are the outputs' shapes and dtypes, so the pass fills in zeros for an output that
        received no gradient (``None`` for every output if ``ctx.set_materialize_grads(False)``)."""
        if self.args is None:
            raise freed_graph_error(self.name())
        out = tuple(self.outputs) if self.ctx.materialize_grads else (None,) * len(self.outputs)
        return TapeEntry(self.prim, (), {"node": self, "create_graph": create_graph}, out, parents)

    def _check(self, result) -> tuple:
        """``backward``'s result as one gradient per input, its count and shapes checked."""
        name = self.function.__name__
        result = result if isinstance(result, tuple) else (result,)
        expected = len(self.inputs)
        if len(result) < expected or any(g is not None for g in result[expected:]):
            missing = f" (none for {_input_name(self.function, len(result))})" if len(result) < expected else ""
            raise AutogradError(
                f"{name}.backward returned {len(result)} gradient(s), but forward took {expected} input(s){missing}: "
                "return one gradient per input of forward, in order (None for an input without one)."
            )
        checked = []
        for i, (grad, meta) in enumerate(zip(result, self.inputs)):
            if grad is None:
                checked.append(None)
                continue
            if meta is None:
                raise AutogradError(
                    f"{name}.backward returned a gradient for {_input_name(self.function, i)} of forward, which "
                    "is not a Tensor; return None there."
                )
            shape, dtype = meta
            grad_shape = tuple(grad.shape) if hasattr(grad, "shape") else xp.shape(grad)
            if grad_shape != tuple(shape):
                raise AutogradError(
                    f"{name}.backward returned a gradient of shape {grad_shape} for {_input_name(self.function, i)} "
                    f"of forward, which has shape {tuple(shape)}; the gradient of an input has that input's shape."
                )
            if isinstance(grad, Tensor):
                if grad.dtype != dtype:
                    grad = grad.type_to(dtype)
            else:
                grad = xp.asarray(grad, dtype=dtype)
            checked.append(grad)
        return tuple(checked)


def _function_backward(cts: tuple, out, positions: list, *, node: FunctionNode, create_graph: bool) -> list:
    """The joint VJP rule of a :class:`FunctionNode`: ``backward(ctx, *grads)``, checked, one gradient per position.

    Gradients reach ``backward`` as Tensors; without ``create_graph`` its results are handed on as
    arrays, with it as Tensors (recorded: grad mode is on), and those of a ``once_differentiable``
    backward get a history that refuses to be differentiated. ``None`` where ``backward`` gave none.
    Once the pass has freed the node (no ``retain_graph``), ``ctx.saved_tensors`` is freed after this call.
    """
    ctx = node.ctx
    grads = [None if ct is None else as_tensor(ct, wrap_history) for ct in cts]
    backward = node.function.backward
    result = backward(ctx, *grads)
    once = getattr(backward, "once_differentiable", False)
    contributions = node._check(result)
    if node.args is None:
        ctx._freed = True
    pulled = []
    for position in positions:
        grad = contributions[position]
        if grad is not None:
            if create_graph:
                grad = as_tensor(grad, wrap_history)
                if once:
                    grad = make_tensor(grad.concrete(), _OnceDifferentiableNode(node.name()))
            elif isinstance(grad, Tracer):
                grad = grad.concrete()
        pulled.append(grad)
    return pulled


def _input_name(function, i: int) -> str:
    """``input 1 (w)``: input ``i`` of ``function.forward``, with its parameter name when the signature gives one."""
    try:
        parameters = list(inspect.signature(function.forward).parameters.values())
    except (TypeError, ValueError):
        return f"input {i}"
    if not _overrides(function, "setup_context"):
        parameters = parameters[1:]  # ctx
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if i < len(parameters) and parameters[i].kind in positional:
        return f"input {i} ({parameters[i].name})"
    return f"input {i}"


class _OnceDifferentiableNode(GraphNode):
    """The history of a gradient computed by a ``once_differentiable`` backward: differentiating it raises."""

    __slots__ = ("hooks", "name_of", "parents", "seq")

    def __init__(self, name: str):
        self.name_of = name
        self.parents = ()
        self.seq = new_sequence_number()
        self.hooks = None

    def name(self) -> str:
        return "OnceDifferentiableBackward"

    def written(self, parents: list, create_graph: bool, wrap) -> TapeEntry:
        raise AutogradError(
            f"trying to differentiate the gradient computed by {self.name_of}, whose backward is marked "
            "@once_differentiable: it cannot be differentiated again. Write that backward with Tensor "
            "operations and drop the decorator to get higher derivatives."
        )


__all__ = ["Function", "FunctionCtx", "FunctionNode", "once_differentiable"]
