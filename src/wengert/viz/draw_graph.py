"""``draw``: the computational graph of a program, a function, a Tensor's history or a scalar Value."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import numpy as np

import wengert
from wengert._src.core.ir import Program
from wengert._src.core.pytree import tree_flatten, tree_map
from wengert._tensor.api import Tensor
from wengert.errors import ArgumentError
from wengert.scalar import Value

from .graph import Graph, program_graph, tensor_graph, value_graph
from .render import Drawing
from .sweep import sweep_program

SHOW = ("forward", "adjoint", "both")


def draw(
    obj,
    *args,
    rankdir: str = "LR",
    show: str = "forward",
    names: Sequence[str] | None = None,
) -> Drawing:
    """The computational graph of ``obj`` as a :class:`~wengert.viz.render.Drawing`.

    ``obj`` is one of:

    * a :class:`Program` (``wengert.trace(f)(x)``): with ``args``, each box
      shows its value and its gradient (the adjoint of the sum of the
      outputs) at ``args``; without, the operations and types only;
    * a function, with the arguments to trace it at (``draw(f, x)``);
    * a :class:`wengert.Tensor`: its recorded history (``grad_fn``), leaves
      with their ``.grad`` after ``backward()``;
    * a :class:`wengert.scalar.Value`: every Value that computed it, with data and grad.

    ``show`` picks, for a program or a function, the ``"forward"`` graph,
    the ``"adjoint"`` graph (the reverse pass, itself a program: ``vjp``
    staged), or ``"both"`` side by side. ``rankdir`` is ``"LR"`` (left to
    right) or ``"TB"`` (top to bottom). ``names`` renames the inputs; for a
    function they default to its parameter names.

    >>> import wengert.numpy as wnp
    >>> drawing = draw(lambda a, b: (a * b) * (b + 1), 2.0, 3.0)
    >>> [n.value for n in drawing.graphs[0].nodes if n.kind == "output"], drawing.graphs[0].node("t1").grad
    (['24'], '12')
    """
    if show not in SHOW:
        raise ArgumentError(f"show must be one of {', '.join(map(repr, SHOW))}, got {show!r}.")
    if isinstance(obj, (Tensor, Value)):
        if args or show != "forward":
            raise ArgumentError(
                f"draw of a {type(obj).__name__} shows the graph it recorded, with no arguments and "
                "show='forward'; to see the adjoint graph, draw the function that computes it: draw(f, x, show='both')."
            )
        graph = tensor_graph(obj) if isinstance(obj, Tensor) else value_graph(obj)
        return Drawing([graph], rankdir)
    if isinstance(obj, Program):
        return Drawing(_program_graphs(obj, args, show, names), rankdir)
    if callable(obj):
        if not args:
            raise ArgumentError("draw(f, *args) needs the arguments to trace f at, e.g. draw(f, 1.0).")
        if names is None:
            names = _parameter_names(obj, args)
        return Drawing(_program_graphs(wengert.trace(obj)(*args), args, show, names), rankdir)
    raise ArgumentError(
        f"draw takes a Program (wengert.trace(f)(x)), a function and its arguments, a wengert.Tensor or a "
        f"wengert.scalar.Value; got {type(obj).__name__}."
    )


def _program_graphs(program: Program, args: tuple, show: str, names) -> list[Graph]:
    graphs = []
    if show in ("forward", "both"):
        if args:
            sweep = sweep_program(program, args)
            graph = program_graph(program, sweep.values, sweep.adjoints, names, title="forward: values and gradients")
        else:
            graph = program_graph(program, names=names, title="forward")
        graphs.append(graph)
    if show in ("adjoint", "both"):
        example = args or tuple(np.zeros(v.shape, v.dtype) for v in program.invars)
        adjoint = adjoint_program(program, example)
        values = sweep_program(adjoint, example).values if args else None
        graphs.append(program_graph(adjoint, values, None, names, prefix="a_", title="adjoint: the reverse pass"))
    if show == "both":
        graphs[0].title = graphs[0].title or "forward"
    elif len(graphs) == 1 and not args:
        graphs[0].title = ""
    return graphs


def adjoint_program(program: Program, args: Sequence) -> Program:
    """The reverse pass of ``program`` as a program of its own: ``x -> vjp(program, x)[1](ones)``."""

    def reverse_pass(*xs):
        out, pullback = wengert.vjp(program, *xs)
        return pullback(tree_map(lambda y: wengert.numpy.ones_like(y), out))

    return wengert.trace(reverse_pass)(*args)


def _parameter_names(fun: Callable, args: tuple) -> list[str] | None:
    """The function's parameter names, when each argument is one array (else the program's own names)."""
    if any(len(tree_flatten(arg)[0]) != 1 for arg in args):
        return None
    try:
        parameters = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return None
    positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return positional[: len(args)] if len(positional) >= len(args) else None
