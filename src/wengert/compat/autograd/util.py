"""``autograd.util``: the small helpers autograd's modules and examples import from it.

``subval``/``subvals`` replace items of a tuple, ``func`` is the identity (autograd
used it to tag functions), ``toposort`` yields the nodes of a graph children first,
and ``quick_grad_check`` is the deprecated first-order reverse-mode gradient check.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Iterator

__all__ = ["func", "quick_grad_check", "subval", "subvals", "toposort"]


def subvals(x, ivs) -> tuple:
    """``x`` as a tuple, with item ``i`` replaced by ``v`` for each ``(i, v)`` in ``ivs``."""
    items = list(x)
    for i, v in ivs:
        items[i] = v
    return tuple(items)


def subval(x, i: int, v) -> tuple:
    """``x`` as a tuple, with item ``i`` replaced by ``v``."""
    return subvals(x, [(i, v)])


def func(f: Callable) -> Callable:
    """``f`` itself."""
    return f


def toposort(end_node, parents: Callable = operator.attrgetter("parents")) -> Iterator:
    """The nodes that ``end_node`` reaches through ``parents``, each after every node that uses it."""
    uses: dict = {}
    stack = [end_node]
    while stack:
        node = stack.pop()
        uses[node] = uses.get(node, 0) + 1
        if uses[node] == 1:
            stack.extend(parents(node))
    ready = [end_node]
    while ready:
        node = ready.pop()
        yield node
        for parent in parents(node):
            uses[parent] -= 1
            if uses[parent] == 0:
                ready.append(parent)


def quick_grad_check(fun: Callable, arg0, extra_args=(), kwargs=None, verbose=True, eps=1e-4, rtol=1e-4, atol=1e-6,
                     rs=None) -> None:  # fmt: skip
    """Deprecated (as in autograd): ``check_grads`` of ``fun`` in ``arg0``, reverse mode, first order."""
    from .test_util import check_grads

    warnings.warn("quick_grad_check is deprecated, as in autograd: use autograd.test_util.check_grads.",
                  DeprecationWarning, stacklevel=2)  # fmt: skip
    check_grads(lambda x: fun(x, *extra_args, **(kwargs or {})), modes=["rev"], order=1)(arg0)
