"""The eager graph's nodes, grad mode, and its backward pass: the graph written as a tape.

Every operation on a :class:`~wengert.Tensor` that requires grad leaves one
:class:`Node` behind: the primitive, the values it saw, and an edge to the
node of each differentiable input. A leaf tensor that requires grad has a
:class:`LeafNode`, where its gradient is accumulated; a ``custom_vjp`` or
``custom_jvp`` function applied to Tensors leaves a :class:`CustomRuleNode`,
whose rule is the custom one (the primitive the tape records for a custom
call). The graph persists: it outlives the call that built it, carries hooks
and retained gradients, and may be pulled back through again
(``retain_graph``), as PyTorch's does.

The backward pass is the tape's (:func:`~wengert._src.transforms.reverse.pull_back_tape`),
the one ``grad`` and ``vjp`` run. Nodes are numbered in creation order, and an
operation is always created after its inputs, so the numbers sort the graph
topologically: :func:`run_backward` collects the nodes reachable from the
outputs, writes them oldest first as a reverse-mode tape (the leaves its
inputs, each other node one :class:`~wengert._src.transforms.reverse.TapeEntry`),
checking on the way that no saved value was changed in place, and hands it
to the compiled backward pass of its structure if it has one, else to
``pull_back_tape``, with a callback for each node whose gradient a hook or
``retain_grad`` wants. Without ``create_graph`` the rules run on plain arrays
(fast); with it the entries hold Tensors with grad enabled, so the gradient
is itself recorded and can be differentiated again.

Grad mode (``no_grad``/``enable_grad``) lives in a context variable, as the
trace stack does: each thread has its own.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
from operator import attrgetter

from wengert.errors import AutogradError

from .._src.backend import xp
from .._src.compile import compiled_backward
from .._src.core.primitive import Tracer
from .._src.transforms.reverse import ReverseTrace, ReverseTracer, TapeEntry, pull_back_tape

grad_enabled = contextvars.ContextVar("wengert_grad_enabled", default=True)
"""Whether Tensor operations record a graph (``no_grad`` sets it False)."""

new_sequence_number = itertools.count().__next__
"""Creation order of nodes: a node is numbered after every node it depends on."""

_by_sequence = attrgetter("seq")
_new = object.__new__


class Hooks:
    """What runs on the gradient of a node's output before it is used: user hooks, then retained grads."""

    __slots__ = ("hooks", "retained")

    def __init__(self):
        self.hooks: dict[int, dict[int, object]] = {}  # output slot -> {handle id: fn}
        self.retained: dict[int, object] = {}  # output slot -> the Tensor whose .grad is kept

    def run(self, ct, slot: int, wrap, create_graph: bool, given: set):
        """Apply the hooks of ``slot`` to its gradient ``ct`` and keep it where retain_grad asked."""
        for fn in list(self.hooks.get(slot, {}).values()):
            result = fn(as_tensor(ct, wrap))
            if result is not None:
                ct = result if create_graph else _array_of(result)
        tensor = self.retained.get(slot)
        if tensor is not None:
            accumulate_grad(tensor, ct, wrap, create_graph, given)
        return ct


class GraphNode:
    """What every node of the eager graph shows as a ``grad_fn``: ``name()``, ``next_functions`` and its repr.

    ``parents`` holds ``(argument position, parent node, parent output slot)``
    for each input the node pulls gradients back to.
    """

    __slots__ = ()
    parents: tuple = ()

    def name(self) -> str:
        raise NotImplementedError

    def written(self, parents: list, create_graph: bool, wrap) -> TapeEntry:
        """This node as an entry of the tape a backward pass runs on, pulling back to ``parents``
        (``(argument position, tape index, slot)``, the parents' places on that tape)."""
        raise NotImplementedError

    @property
    def next_functions(self) -> tuple:
        """``((parent node, output slot), ...)`` for each argument that requires grad, as in PyTorch."""
        return tuple((parent, max(slot, 0)) for _, parent, slot in self.parents)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class LeafNode(GraphNode):
    """Where the gradient of a leaf tensor that requires grad is accumulated (PyTorch's AccumulateGrad)."""

    __slots__ = ("hooks", "seq", "tensor")

    def __init__(self, tensor):
        self.tensor = tensor
        self.seq = new_sequence_number()
        self.hooks = None

    def name(self) -> str:
        return "AccumulateGrad"


class Node(GraphNode):
    """One recorded primitive application: the ``grad_fn`` of the tensors it produced.

    ``args`` are the primal values of the arguments and ``out`` the result (a
    tuple for a multiple-result primitive), exactly what the VJP rules take;
    ``parents`` holds ``(argument position, parent node, parent output slot)``
    for each argument that requires grad. When the rules may read the
    numbers (not only the shapes), ``saved`` holds the arguments as given
    (Tensors among them) and ``out_counters`` the version counter(s) of the
    output(s): before the rules run, a counter changed after ``seq`` means a
    value was overwritten in place. ``args is None`` marks a node whose values
    were freed by a backward pass.
    """

    __slots__ = ("args", "hooks", "out", "out_counters", "params", "parents", "prim", "saved", "seq")

    def __init__(self, prim, args, params, out, parents, saved):
        self.prim = prim
        self.args = args
        self.params = params
        self.out = out
        self.parents = parents
        self.saved = saved
        self.out_counters = None
        self.seq = new_sequence_number()
        self.hooks = None

    def name(self) -> str:
        return f"{self.prim.name}Backward"

    def check_saved(self) -> None:
        """Raise if a value this node saved was changed in place after it was recorded."""
        seq = self.seq
        for position, arg in enumerate(self.saved):
            if not isinstance(arg, Tracer):  # an array or a number: no tensor's memory, no version
                continue
            counter = getattr(arg, "_version", None)
            if counter is not None and counter[1] > seq:
                self._overwritten(f"its argument {position}", counter)
        counters = self.out_counters
        if counters is None:
            return
        if type(counters) is not tuple:
            if counters[1] > seq:
                self._overwritten("its output", counters)
            return
        for k, counter in enumerate(counters):
            if counter[1] > seq:
                self._overwritten(f"its output {k}", counter)

    def _overwritten(self, what: str, counter: list):
        raise AutogradError(
            f"backward through `{self.prim.name}`: {what}, saved to compute the gradient, was modified by an "
            f"in-place operation after it was used (it is now at version {counter[0]}). Make that in-place "
            "operation out-of-place (`y = x * 2` instead of `x.mul_(2)`), or apply it to a `.clone()`."
        )

    def written(self, parents: list, create_graph: bool, wrap) -> TapeEntry:
        """This node's entry on the tape, its saved values checked first (and, with ``create_graph``,
        its arguments and output as Tensors carrying their history, so the rules are recorded)."""
        args = self.args
        if args is None:
            raise freed_graph_error(self.name())
        if self.saved is not None:
            self.check_saved()
        out = self.out
        if create_graph:
            args, out = self._as_tensors(wrap)
        return TapeEntry(self.prim, args, self.params, out, parents)

    def _as_tensors(self, wrap):
        """Arguments and output as Tensors carrying their history, so the rules are recorded."""
        args = list(self.args)
        for position, parent, slot in self.parents:
            args[position] = wrap(args[position], parent, slot)
        if self.prim.multiple_results:
            return args, tuple(wrap(o, self, k) for k, o in enumerate(self.out))
        return args, wrap(self.out, self, -1)


class CustomRuleNode(Node):
    """The ``grad_fn`` of the outputs of a ``custom_vjp``/``custom_jvp`` function applied to Tensors.

    Its primitive is the one a tape records for a custom call
    (:func:`~wengert._src.transforms.custom_derivatives.custom_call_primitive`): its rules pull back
    through the custom rule.
    """

    __slots__ = ()

    def written(self, parents: list, create_graph: bool, wrap) -> TapeEntry:
        if create_graph:
            raise AutogradError(
                f"create_graph through the custom-derivative function {self.prim.name!r} on Tensors: its rule "
                "runs on plain arrays here, so its gradient would not be differentiable. Take higher derivatives "
                "of custom_jvp/custom_vjp functions with the functional transforms (wengert.grad of wengert.grad)."
            )
        return super().written(parents, create_graph, wrap)


def freed_graph_error(name: str) -> AutogradError:
    return AutogradError(
        f"Trying to backward through the graph a second time: the values `{name}` saved for the "
        "backward pass were freed by the first backward. Pass `retain_graph=True` to the first "
        "`backward()` (or `autograd.grad`) if you need to go through the graph again, or recompute "
        "the forward pass."
    )


def _array_of(value):
    """The plain array of a Tensor (or of anything array-like)."""
    return value.concrete() if isinstance(value, Tracer) else xp.asarray(value)


def as_tensor(ct, wrap):
    """A cotangent as a Tensor (hooks and Function.backward take Tensors)."""
    return ct if isinstance(ct, Tracer) else wrap(xp.asarray(ct))


def accumulate_grad(tensor, ct, wrap, create_graph: bool, given: set) -> None:
    """``tensor.grad += ct``: in place into the existing gradient, or recorded when ``create_graph``."""
    grad = tensor._grad
    if create_graph:
        ct = as_tensor(ct, wrap)
        tensor._grad = ct if grad is None else grad + ct
        return
    if isinstance(ct, Tracer):
        ct = _array_of(ct)
    if grad is None:
        if ct.base is not None or not ct.flags.writeable or id(ct) in given or type(ct) is not xp.ndarray:
            ct = _copy_like(ct, tensor._primal)
        given.add(id(ct))
        tensor._grad = wrap(ct)
        return
    array = grad._primal
    if array.flags.writeable and array.shape == xp.shape(ct) and grad._node is None:
        xp.add(array, ct, out=array, casting="unsafe")
        grad._bump_version()
    else:
        tensor._grad = wrap(_array_of(grad) + ct)


def _copy_like(ct, value):
    """A copy of the cotangent ``ct`` laid out in memory as ``value``, the tensor it is the gradient of.

    PyTorch's layout contract for ``.grad``: a gradient that arrives as a view (the transpose
    behind ``Linear``'s ``(out, in)`` weight, say) is copied into the parameter's own order, so
    that the optimiser's in-place update walks both arrays in the same order.
    """
    if xp.shape(ct) != value.shape:
        return xp.array(ct, copy=True)
    copy = xp.empty_like(value, dtype=xp.result_type(ct))
    xp.copyto(copy, ct)
    return copy


def run_backward(roots, seeds, *, retain_graph: bool, create_graph: bool, wrap, inputs=None, unit_seeds: bool = False):
    """Pull ``seeds`` back from ``roots`` (``(node, slot)`` pairs) through the graph.

    Without ``inputs`` the gradients of the leaves are accumulated into their
    ``.grad`` (``Tensor.backward``). With ``inputs`` (a list of ``(node,
    slot)``) nothing is accumulated: the gradient reaching each input is
    returned, in order, ``None`` where none arrives (``autograd.grad``), and
    only the part of the graph that leads to an input is pulled back through.
    ``unit_seeds``: every seed is ones (an implied gradient), which the
    compiled pass may hold as a constant. Unless ``retain_graph``, the nodes
    let go of their values once written on the tape.
    """
    state = _Pass(seeds, create_graph, wrap, inputs)
    sources, nodes = _reachable(node for node, _ in roots)
    if inputs is not None:
        sources, nodes = state.pruned(sources, nodes)
    tape = [None] * len(sources)
    index = {node: i for i, node in enumerate(sources)}
    visits = {}
    wanted = state.wanted
    add = tape.append
    for position, node in enumerate(nodes, len(sources)):
        if inputs is None:
            parents = [(k, index[p], s) for k, p, s in node.parents]
        else:  # the parents that lead to an input
            parents = [(k, index[p], s) for k, p, s in node.parents if p in index]
        if type(node) is Node and not create_graph:  # Node.written's common case, inlined (a call per node)
            args = node.args
            if args is None:
                raise freed_graph_error(node.name())
            if node.saved is not None:
                node.check_saved()
            recorded = _new(TapeEntry)
            recorded.prim = node.prim
            recorded.args = args
            recorded.params = node.params
            recorded.out = node.out
            recorded.parents = parents
            add(recorded)
        else:
            add(node.written(parents, create_graph, wrap))
        index[node] = position
        if node.hooks is not None or node in wanted:
            visits[position] = functools.partial(state.arrived, node)
    if not retain_graph:  # every value is on the tape now
        for node in nodes:
            node.args = node.out = node.saved = None  # freed: a second pass raises
    tape_seeds = [(index[node], slot, seed) for (node, slot), seed in zip(roots, seeds) if node in index]
    token = grad_enabled.set(create_graph)
    try:
        cts = None
        if inputs is None and not create_graph and not visits:
            cts = _compiled_pull_back(tape, tape_seeds, sources, unit_seeds)
        if cts is None:
            cts = pull_back_tape(tape, tape_seeds, not retain_graph, not create_graph, visits or None)
        for node, ct in zip(sources, cts):
            if ct is not None:
                if node.hooks is not None or node in wanted:
                    ct = state.arrived(node, ct)
                if inputs is None:
                    accumulate_grad(node.tensor, ct, wrap, create_graph, state.given)
    finally:
        grad_enabled.reset(token)
    return state.captured


class _Pass:
    """One backward pass through the graph: what its hooks, retained gradients and captured inputs need."""

    __slots__ = ("captured", "create_graph", "given", "wanted", "wrap")

    def __init__(self, seeds, create_graph: bool, wrap, inputs):
        self.given = {id(s) for s in seeds}  # arrays handed out, never to become a .grad unchanged
        self.create_graph = create_graph
        self.wrap = wrap
        self.wanted: dict = {}  # node -> [(slot, index in inputs), ...]
        self.captured = None
        if inputs is not None:
            self.captured = [None] * len(inputs)
            for i, (node, slot) in enumerate(inputs):
                self.wanted.setdefault(node, []).append((slot, i))

    def pruned(self, leaves: list, nodes: list) -> tuple[list, list]:
        """``(inputs of the tape, its entries)`` for ``autograd.grad(inputs=...)``: a wanted node that leads to no
        other is an input of the tape (nothing is pulled back through it), a node that leads to a wanted one an
        entry, and nothing else is written."""
        wanted = self.wanted
        order = sorted(leaves + nodes, key=_by_sequence)
        propagate = _leading_to(order, wanted)
        return (
            [node for node in order if node in wanted and node not in propagate],
            [node for node in order if node in propagate],
        )

    def arrived(self, node, ct):
        """``ct`` reached ``node``, every use of it counted: run its hooks, keep what is retained or wanted."""
        hooks = node.hooks
        if hooks is not None:
            ct = _run_hooks(hooks, ct, self.wrap, self.create_graph, self.given, self.captured is None)
        for slot, i in self.wanted.get(node, ()):
            if slot < 0:
                self.captured[i] = ct
            elif slot < len(ct):
                self.captured[i] = ct[slot]
        return ct


def _compiled_pull_back(tape: list, seeds: list, leaves: list, unit_seeds: bool) -> list | None:
    """The leaves' cotangents by the compiled backward pass of the tape's structure, or ``None``.

    A training loop builds a graph of the same structure at every step. Written as a
    reverse-mode tape, it goes to the compile layer
    (:func:`~wengert._src.compile.compiled_backward.pull_back`), which compiles the backward
    pass of a structure the second time it sees it, exactly as for ``value_and_grad``'s tapes.
    ``None`` when ``pull_back_tape`` must run instead: a structure not compiled (yet), a custom rule.
    """
    trace = ReverseTrace(1)
    trace.tape = tape
    inputs = [ReverseTracer(trace, leaf.tensor._primal, i) for i, leaf in enumerate(leaves)]
    outputs = [ReverseTracer(trace, _value_of(tape, inputs, index, slot), index, slot) for index, slot, _ in seeds]
    return compiled_backward.pull_back(trace, outputs, [seed for _, _, seed in seeds], inputs, unit_seeds)


def _value_of(tape: list, inputs: list, index: int, slot: int):
    """The value of result ``slot`` (-1: the only one) of entry ``index`` of ``tape`` (an input's, if ``None``)."""
    recorded = tape[index]
    if recorded is None:
        return inputs[index]._primal
    return recorded.out if slot < 0 else recorded.out[slot]


def _run_hooks(hooks: Hooks, ct, wrap, create_graph: bool, given: set, keep_retained: bool):
    if not keep_retained:
        retained, hooks.retained = hooks.retained, {}
    try:
        if type(ct) is list:
            return [c if c is None else hooks.run(c, slot, wrap, create_graph, given) for slot, c in enumerate(ct)]
        return hooks.run(ct, -1, wrap, create_graph, given)
    finally:
        if not keep_retained:
            hooks.retained = retained


def _reachable(roots) -> tuple[list, list]:
    """``(leaves, other nodes)`` reachable from ``roots``, each oldest first (a topological order)."""
    leaves: list = []
    nodes: list = []
    seen: set = set()
    stack = list(roots)
    pop, push, see = stack.pop, stack.append, seen.add
    while stack:
        node = pop()
        if node in seen:
            continue
        see(node)
        if type(node) is LeafNode:
            leaves.append(node)
            continue
        nodes.append(node)
        for _, parent, _ in node.parents:
            if parent not in seen:
                push(parent)
    leaves.sort(key=_by_sequence)
    nodes.sort(key=_by_sequence)
    return leaves, nodes


def _leading_to(order: list, wanted: dict) -> set:
    """The nodes of ``order`` (oldest first) with a parent that is wanted or leads to one: those worth pulling
    back through."""
    propagate: set = set()
    for node in order:
        if any(parent in wanted or parent in propagate for _, parent, _ in node.parents):
            propagate.add(node)
    return propagate
