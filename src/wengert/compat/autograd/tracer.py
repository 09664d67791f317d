"""autograd's primitives on wengert's engine: ``primitive``, ``notrace_primitive``, ``Box``, ``getval``.

An autograd primitive is a plain NumPy function with derivative rules kept beside
it (``defvjp``, ``defjvp``, ... in :mod:`.core`). Called on values no transform
traces, it runs as it is. Called on traced values, it becomes one call of a
``wengert.custom_vjp`` (reverse mode, when a VJP is defined for every traced
argument) or of a ``wengert.custom_jvp`` (forward mode, and reverse mode by
transposition when only JVPs are given). The rules are run on the primals, which
are themselves traced by the transforms below, and the primal output is computed
by calling the primitive again on those primals, so the rules written with
``autograd.numpy`` are differentiated in turn: user primitives work to every order
and in both modes, as they do in autograd.

Only positional arguments are differentiated, as in autograd; a traced keyword
argument is refused with a clear error rather than silently treated as a constant.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from wengert._src.core.primitive import Tracer
from wengert._src.core.pytree import tree_flatten, tree_map
from wengert._src.transforms.custom_derivatives import custom_jvp, custom_vjp
from wengert._src.transforms.jvp import JVPTrace
from wengert._src.transforms.reverse import ReverseTrace
from wengert.errors import TransformError

from ._graph import new_box as new_box  # autograd.tracer names: re-exported
from ._graph import trace as trace
from ._node_trace import Node as Node
from ._user_spaces import Box as Box
from ._user_spaces import is_user_box


def isbox(value) -> bool:
    """Whether ``value`` is a traced value or a user's box (autograd's ``isbox``)."""
    return isinstance(value, Tracer) or is_user_box(value)


def getval(value):
    """The plain value under every level of tracing (autograd's ``getval``); it carries no derivative."""
    if isinstance(value, Tracer):
        return value.concrete()
    return value._value if is_user_box(value) else value


def _has_tracer(tree) -> bool:
    return any(isinstance(leaf, Tracer) for leaf in tree_flatten(tree)[0])


def _top_trace(leaves: list):
    """The trace of the highest-level tracer among ``leaves`` (the one a custom call dispatches on)."""
    top = None
    for leaf in leaves:
        if isinstance(leaf, Tracer):
            trace = leaf._trace
            if top is None or trace.level > top.level:
                top = trace
    return top


class Primitive:
    """A function wengert's transforms treat as one operation, with autograd-style derivative rules.

    The rules are kept as autograd keeps them internally:

    - ``vjp_argnums(argnums, ans, args, kwargs) -> (g -> cotangents)``, one cotangent per argnum;
    - ``jvp_argnums(argnums, tangents, ans, args, kwargs) -> tangent`` of the output;

    with ``vjp_defined`` / ``jvp_defined`` the argument positions they cover (``None``: all).
    ``defvjp``, ``defjvp`` and their ``_argnum(s)`` forms (in :mod:`.core`) set them.
    """

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.vjp_argnums: Callable | None = None
        self.vjp_defined: frozenset | None = frozenset()
        self.jvp_argnums: Callable | None = None
        self.jvp_defined: frozenset | None = frozenset()
        self.deprecated_vjps: dict = {}  # the VJP makers set one argument at a time (core.deprecated_setters)

    def __repr__(self) -> str:
        return f"autograd primitive {getattr(self, '__name__', self.fun)!r}"

    def __get__(self, instance, owner=None):
        return self if instance is None else functools.partial(self, instance)

    def __call__(self, *args, **kwargs):
        if Box.types and any(is_user_box(arg) for arg in args):
            return self._via_user_boxes(args, kwargs)
        diff = tuple(i for i, arg in enumerate(args) if _has_tracer(arg))
        if not diff:
            if _has_tracer(kwargs):
                self._refuse_traced_keywords()
            return self.fun(*args, **kwargs)
        if _has_tracer(kwargs):
            self._refuse_traced_keywords()
        top = _top_trace([leaf for i in diff for leaf in tree_flatten(args[i])[0]])
        reverse = isinstance(top, ReverseTrace)
        if reverse and self._covers(self.vjp_defined, diff):
            return self._via_vjp(args, kwargs, diff)
        if self._covers(self.jvp_defined, diff):
            return self._via_jvp(args, kwargs, diff)
        if isinstance(top, JVPTrace) or not self._covers(self.vjp_defined, diff):
            self._refuse_undefined("VJP" if reverse else "JVP", diff)
        return self._via_vjp(args, kwargs, diff)

    @staticmethod
    def _covers(defined, diff: tuple) -> bool:
        return defined is None or all(i in defined for i in diff)

    def _full_args(self, args: tuple, diff: tuple, diff_values) -> tuple:
        full = list(args)
        for position, value in zip(diff, diff_values):
            full[position] = value
        return tuple(full)

    def _via_vjp(self, args: tuple, kwargs: dict, diff: tuple):
        def call(*diff_values):
            return self.fun(*self._full_args(args, diff, diff_values), **kwargs)

        def fwd(*diff_values):
            full = self._full_args(args, diff, diff_values)
            ans = self(*full, **kwargs)
            return ans, (ans, full)

        def bwd(residuals, g):
            ans, full = residuals
            return tuple(self.vjp_argnums(diff, ans, full, kwargs)(g))

        custom = custom_vjp(_named(call, self))
        custom.defvjp(fwd, bwd)
        return custom(*(args[i] for i in diff))

    def _via_jvp(self, args: tuple, kwargs: dict, diff: tuple):
        def call(*diff_values):
            return self.fun(*self._full_args(args, diff, diff_values), **kwargs)

        def rule(primals, tangents):
            full = self._full_args(args, diff, primals)
            ans = self(*full, **kwargs)
            return ans, self.jvp_argnums(diff, tangents, ans, full, kwargs)

        custom = custom_jvp(_named(call, self))
        custom.defjvp(rule)
        return custom(*(args[i] for i in diff))

    def _via_user_boxes(self, args: tuple, kwargs: dict):
        """One call on values of a user's vector space (``_user_spaces``): their tokens stand for them on the
        tape, and the VJP rule's cotangents for them are summed on their boxes' nodes."""
        boxes = {i: arg for i, arg in enumerate(args) if is_user_box(arg)}
        plain = tuple(arg._value if i in boxes else arg for i, arg in enumerate(args))
        traced = tuple(i for i, arg in enumerate(plain) if i not in boxes and _has_tracer(arg))
        diff = tuple(sorted((*boxes, *traced)))
        if not self._covers(self.vjp_defined, diff):
            self._refuse_undefined("VJP", diff)
        if _has_tracer(kwargs):
            self._refuse_traced_keywords()

        def call(*tokens_and_traced):
            return self.fun(*self._full_args(plain, traced, tokens_and_traced[len(boxes) :]), **kwargs)

        def fwd(*tokens_and_traced):
            full = self._full_args(plain, traced, tokens_and_traced[len(boxes) :])
            ans = self(*full, **kwargs)
            return ans, (ans, full)

        def bwd(residuals, g):
            ans, full = residuals
            cotangents = dict(zip(diff, self.vjp_argnums(diff, ans, full, kwargs)(g)))
            for i, box in boxes.items():
                box._node.add(cotangents[i])
            return (None,) * len(boxes) + tuple(cotangents[i] for i in traced)

        custom = custom_vjp(_named(call, self))
        custom.defvjp(fwd, bwd)
        return custom(*(box._node.token for box in boxes.values()), *(plain[i] for i in traced))

    def _refuse_undefined(self, kind: str, diff: tuple) -> None:
        defined = self.vjp_defined if kind == "VJP" else self.jvp_defined
        missing = [i for i in diff if defined is not None and i not in defined]
        how = "defvjp" if kind == "VJP" else "defjvp"
        raise TransformError(
            f"{kind} of autograd primitive {self.__name__!r} with respect to argument(s) {missing} is not "
            f"defined, and a traced value was passed there. Define it with {how}({self.__name__}, ...)"
            + (
                " (a primitive with only a JVP is differentiated in reverse mode too, by transposition)."
                if kind == "VJP"
                else "; a VJP alone serves reverse mode only (grad, make_vjp, jacobian), as in autograd."
            )
        )

    def _refuse_traced_keywords(self) -> None:
        raise TransformError(
            f"autograd primitive {self.__name__!r} was called with a traced keyword argument. As in "
            "autograd, only positional arguments are differentiated: pass that value positionally "
            "(or getval(x) to use it as a constant)."
        )


def _named(call: Callable, prim: Primitive) -> Callable:
    call.__name__ = call.__qualname__ = getattr(prim, "__name__", "primitive")
    return call


def primitive(f_raw: Callable) -> Primitive:
    """Wrap ``f_raw`` as a primitive: differentiated only through the rules given to ``defvjp``/``defjvp``.

    >>> import numpy as np
    >>> from wengert.compat.autograd import grad
    >>> from wengert.compat.autograd.extend import defvjp
    >>> @primitive
    ... def logsumexp(x):
    ...     return np.log(np.sum(np.exp(x)))
    >>> defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
    >>> grad(logsumexp)(np.zeros(2)).tolist()
    [0.5, 0.5]
    """
    return Primitive(f_raw)


def notrace_primitive(f_raw: Callable) -> Callable:
    """Wrap ``f_raw`` to run on the plain values of its arguments: its output carries no derivative."""

    @functools.wraps(f_raw)
    def f_wrapped(*args, **kwargs):
        return f_raw(*tree_map(getval, args), **tree_map(getval, kwargs))

    return f_wrapped


def register_notrace(trace_type, primitive_fun) -> None:
    """autograd's hook to skip a primitive under one trace type; wengert's transforms need none, so it does nothing."""
