"""The eager graph's nodes, grad mode, and the backward pass that walks them.

Every operation on a :class:`~wengert.Tensor` that requires grad leaves one
:class:`Node` behind: the primitive, the values it saw, and an edge to the
node of each differentiable input. A leaf tensor that requires grad has a
:class:`LeafNode`, where its gradient is accumulated; a ``custom_vjp`` or
``custom_jvp`` function applied to Tensors leaves a :class:`CustomRuleNode`,
whose backward step runs the custom rule. Nodes are numbered in
creation order, and an operation is always created after its inputs, so the
numbers sort the graph topologically: the backward pass collects the nodes
reachable from the outputs (an iterative depth-first walk), sorts them by
number, newest first, and applies each node's VJP rules once,

    x̄_i += vjp_i(ȳ, y, x_1, ..., x_n),

after every consumer of its output has contributed to ``ȳ``. Without
``create_graph`` the rules run on plain arrays (fast); with it they run on
Tensors with grad enabled, so the gradient is itself recorded and can be
differentiated again.

Grad mode (``no_grad``/``enable_grad``) lives in a context variable, as the
trace stack does: each thread has its own.
"""

from __future__ import annotations

import contextvars
import itertools
from operator import attrgetter

from wengert.errors import AutogradError

from .._src.backend import xp
from .._src.compile import compiled_backward
from .._src.core.primitive import Tracer
from .._src.primitives.rules import JointVJP
from .._src.transforms.reverse import ReverseTrace, ReverseTracer, entry

grad_enabled = contextvars.ContextVar("wengert_grad_enabled", default=True)
"""Whether Tensor operations record a graph (``no_grad`` sets it False)."""

new_sequence_number = itertools.count().__next__
"""Creation order of nodes: a node is numbered after every node it depends on."""

_by_sequence = attrgetter("seq")


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

    def backward_step(self, ct, retain_graph: bool, create_graph: bool, wrap):
        """The cotangents of the parents, as ``[(parent, slot, cotangent), ...]``."""
        args = self.args
        if args is None:
            raise freed_graph_error(self.name())
        if self.saved is not None:
            self.check_saved()
        prim = self.prim
        out = self.out
        if prim.multiple_results:
            ct = fill_zeros(ct, out)
        if create_graph:
            args, out = self._as_tensors(wrap)
        vjps = prim.vjps
        params = self.params
        if type(vjps) is JointVJP:  # one rule for all the parents (``n`` stacked pieces: offsets summed once)
            contributions = vjps.rule(ct, out, [position for position, _, _ in self.parents], *args, **params)
            result = [(parent, slot, c) for (_, parent, slot), c in zip(self.parents, contributions)]
        else:
            result = [
                (parent, slot, vjps[position](ct, out, *args, **params)) for position, parent, slot in self.parents
            ]
        if not retain_graph:
            self.args = self.out = self.saved = None
        return result

    def _as_tensors(self, wrap):
        """Arguments and output as Tensors carrying their history, so the rules are recorded."""
        args = list(self.args)
        for position, parent, slot in self.parents:
            args[position] = wrap(args[position], parent, slot)
        if self.prim.multiple_results:
            return args, tuple(wrap(o, self, k) for k, o in enumerate(self.out))
        return args, wrap(self.out, self, -1)


class CustomRuleNode(GraphNode):
    """The ``grad_fn`` of the outputs of a ``custom_vjp``/``custom_jvp`` function applied to Tensors."""

    __slots__ = ("function_name", "hooks", "out", "parents", "pullback", "seq")

    def __init__(self, function_name: str, pullback, parents: tuple, out: tuple):
        self.function_name = function_name
        self.pullback = pullback
        self.parents = parents
        self.out = out
        self.seq = new_sequence_number()
        self.hooks = None

    def name(self) -> str:
        return f"{self.function_name}Backward"

    def backward_step(self, cts: list, retain_graph: bool, create_graph: bool, wrap):
        if self.pullback is None:
            raise freed_graph_error(self.name())
        if create_graph:
            raise AutogradError(
                f"create_graph through the custom-derivative function {self.function_name!r} on Tensors: its rule "
                "runs on plain arrays here, so its gradient would not be differentiable. Take higher derivatives "
                "of custom_jvp/custom_vjp functions with the functional transforms (wengert.grad of wengert.grad)."
            )
        cotangents = self.pullback(fill_zeros(cts, self.out))
        if not retain_graph:
            self.pullback = None
        return [(parent, slot, cotangents[position]) for position, parent, slot in self.parents]


def freed_graph_error(name: str) -> AutogradError:
    return AutogradError(
        f"Trying to backward through the graph a second time: the values `{name}` saved for the "
        "backward pass were freed by the first backward. Pass `retain_graph=True` to the first "
        "`backward()` (or `autograd.grad`) if you need to go through the graph again, or recompute "
        "the forward pass."
    )


def fill_zeros(cts: list, outs) -> tuple:
    """One cotangent per output of a multiple-output node: zeros where none arrived."""
    return tuple(
        cts[k] if k < len(cts) and cts[k] is not None else xp.zeros_like(_array_of(o)) for k, o in enumerate(outs)
    )


def _array_of(value):
    """The plain array of a Tensor (or of anything array-like)."""
    return value.concrete() if isinstance(value, Tracer) else xp.asarray(value)


def as_tensor(ct, wrap):
    """A cotangent as a Tensor (hooks and Function.backward take Tensors)."""
    return ct if isinstance(ct, Tracer) else wrap(xp.asarray(ct))


def _add(current, contribution):
    return contribution if current is None else current + contribution


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
    ``.grad`` (``Tensor.backward``), by the compiled backward pass of the
    graph's structure when it has one (:func:`_compiled_pull_back`). With
    ``inputs`` (a list of ``(node, slot)``) nothing is accumulated: the
    gradient reaching each input is returned, in order, ``None`` where none
    arrives (``autograd.grad``), and only the part of the graph that leads to
    an input is walked. ``unit_seeds``: every seed is ones (an implied
    gradient), which the compiled pass may hold as a constant.
    """
    given = {id(s) for s in seeds}
    if inputs is None and not create_graph:
        pulled = _compiled_pull_back(roots, seeds, unit_seeds, retain_graph)
        if pulled is not None:
            for leaf, ct in pulled:
                accumulate_grad(leaf.tensor, ct, wrap, False, given)
            return None
    order = _reachable(node for node, _ in roots)
    cts: dict = {}
    for (node, slot), seed in zip(roots, seeds):
        _accumulate_ct(cts, node, slot, seed)
    captured = None
    if inputs is not None:
        wanted: dict = {}
        for index, (node, slot) in enumerate(inputs):
            wanted.setdefault(node, []).append((slot, index))
        propagate = _leading_to(order, wanted)
        order = [node for node in order if node in propagate or node in wanted]
        captured = [None] * len(inputs)
    token = grad_enabled.set(create_graph)
    try:
        for node in order:
            ct = cts.pop(node, None)
            if ct is None:
                continue
            hooks = node.hooks
            if hooks is not None:
                ct = _run_hooks(hooks, node, ct, wrap, create_graph, given, inputs is None)
            if captured is not None and node in wanted:
                for slot, index in wanted[node]:
                    if slot < 0:
                        captured[index] = ct
                    elif slot < len(ct):
                        captured[index] = ct[slot]
                if node not in propagate:
                    continue
            if type(node) is LeafNode:
                if inputs is None:
                    accumulate_grad(node.tensor, ct, wrap, create_graph, given)
                continue
            for parent, slot, contribution in node.backward_step(ct, retain_graph, create_graph, wrap):
                _accumulate_ct(cts, parent, slot, contribution)
    finally:
        grad_enabled.reset(token)
    return captured


def _compiled_pull_back(roots, seeds, unit_seeds: bool, retain_graph: bool) -> list | None:
    """``[(leaf node, its cotangent), ...]`` by the compiled backward pass of the graph's structure, or None.

    A training loop builds a graph of the same structure at every step. Written
    as a reverse-mode tape (the leaves its inputs, each node an entry, oldest
    first), it goes to the compile layer
    (:func:`~wengert._src.compile.compiled_backward.pull_back`), which compiles
    the backward pass of a structure the second time it sees it, exactly as for
    ``value_and_grad``'s tapes. None when the walk must run instead: a
    structure not compiled (yet), a hook or retained gradient, a custom rule
    (``CustomRuleNode``, ``autograd.Function``), values already freed. The
    saved values are checked as the walk checks them, and freed after unless
    ``retain_graph``.
    """
    leaves: list = []
    nodes: list = []
    seen: set = set()
    stack = [node for node, _ in roots]
    pop, push, see = stack.pop, stack.append, seen.add
    while stack:  # the nodes reachable from the roots, as _reachable finds them, refusing what the walk needs
        node = pop()
        if node in seen:
            continue
        see(node)
        if node.hooks is not None:
            return None
        kind = type(node)
        if kind is Node:
            if node.args is None:
                return None
            nodes.append(node)
            for _, parent, _ in node.parents:
                push(parent)
        elif kind is LeafNode:
            leaves.append(node)
        else:
            return None
    leaves.sort(key=_by_sequence)
    nodes.sort(key=_by_sequence)
    trace = ReverseTrace(1)
    tape = trace.tape
    tape.extend([None] * len(leaves))
    index = {leaf: i for i, leaf in enumerate(leaves)}
    add = tape.append
    for position, node in enumerate(nodes, len(leaves)):
        if node.saved is not None:
            node.check_saved()
        index[node] = position
        add(entry(node.prim, node.args, node.params, node.out, [(k, index[p], s) for k, p, s in node.parents]))
    outputs = [ReverseTracer(trace, _value_of(node, slot), index[node], slot) for node, slot in roots]
    inputs = [ReverseTracer(trace, leaf.tensor._primal, i) for i, leaf in enumerate(leaves)]
    cts = compiled_backward.pull_back(trace, outputs, list(seeds), inputs, unit_seeds)
    if cts is None:
        return None
    if not retain_graph:
        for node in nodes:
            node.args = node.out = node.saved = None
    return [(leaf, ct) for leaf, ct in zip(leaves, cts) if ct is not None]


def _value_of(node, slot: int):
    """The value of output ``slot`` of ``node`` (-1: its only one)."""
    if type(node) is LeafNode:
        return node.tensor._primal
    return node.out if slot < 0 else node.out[slot]


def _run_hooks(hooks: Hooks, node, ct, wrap, create_graph: bool, given: set, keep_retained: bool):
    if not keep_retained:
        retained, hooks.retained = hooks.retained, {}
    try:
        if type(ct) is list:
            return [c if c is None else hooks.run(c, slot, wrap, create_graph, given) for slot, c in enumerate(ct)]
        return hooks.run(ct, -1, wrap, create_graph, given)
    finally:
        if not keep_retained:
            hooks.retained = retained


def _accumulate_ct(cts: dict, node, slot: int, ct) -> None:
    if slot < 0:
        cts[node] = _add(cts.get(node), ct)
        return
    slots = cts.get(node)
    if slots is None:
        slots = cts[node] = []
    if len(slots) <= slot:
        slots.extend([None] * (slot + 1 - len(slots)))
    slots[slot] = _add(slots[slot], ct)


def _reachable(roots) -> list:
    """Every node reachable from ``roots``, newest first (a reverse topological order)."""
    seen = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for _, parent, _ in node.parents:
            if parent not in seen:
                stack.append(parent)
    return sorted(seen, key=_by_sequence, reverse=True)


def _leading_to(order: list, wanted: dict) -> set:
    """The nodes of ``order`` with a parent that is wanted or leads to one: those worth pulling back through."""
    propagate: set = set()
    for node in reversed(order):
        if any(parent in wanted or parent in propagate for _, parent, _ in node.parents):
            propagate.add(node)
    return propagate
