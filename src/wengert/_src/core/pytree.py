"""Pytrees: nested containers of arrays that transforms take and return.

Tuples, lists, dicts (keys sorted, as JAX does), ``OrderedDict`` (keys in their
order) and ``defaultdict``, ``None`` and namedtuples are containers out of the box; a user class becomes one with
:func:`register_pytree_node`. Everything else is a leaf.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

from wengert.errors import PytreeError


def _flatten_dict(d: dict) -> tuple[list, tuple]:
    keys = tuple(sorted(d))
    return [d[k] for k in keys], keys


def _flatten_defaultdict(d: defaultdict) -> tuple[list, tuple]:
    children, keys = _flatten_dict(d)
    return children, (d.default_factory, keys)


class NodeType(NamedTuple):
    flatten: Callable[[Any], tuple[list, Any]]
    unflatten: Callable[[Any, list], Any]


_registry: dict[type, NodeType] = {
    tuple: NodeType(lambda t: (list(t), None), lambda _, children: tuple(children)),
    list: NodeType(lambda items: (list(items), None), lambda _, children: list(children)),
    dict: NodeType(_flatten_dict, lambda keys, children: dict(zip(keys, children))),
    type(None): NodeType(lambda _: ([], None), lambda _, __: None),
    OrderedDict: NodeType(
        lambda d: (list(d.values()), tuple(d)), lambda keys, children: OrderedDict(zip(keys, children))
    ),
    defaultdict: NodeType(_flatten_defaultdict, lambda aux, children: defaultdict(aux[0], zip(aux[1], children))),
}


def register_pytree_node(cls: type, flatten: Callable, unflatten: Callable) -> type:
    """Make ``cls`` a container: ``flatten(obj) -> (children, aux)``, ``unflatten(aux, children)``.

    Returns ``cls`` so it can be used as a decorator helper.
    """
    _registry[cls] = NodeType(flatten, unflatten)
    _leaf_types.discard(cls)
    return cls


class TreeDef:
    """The structure of a pytree with its leaves taken out."""

    __slots__ = ("_hash", "aux", "children", "node_type", "num_leaves")

    def __init__(self, node_type, aux, children: tuple):
        self.node_type = node_type
        self.aux = aux
        self.children = children
        self.num_leaves = 1 if node_type is None else sum([c.num_leaves for c in children])
        self._hash = None  # computed when first asked (jit's cache keys); grad never needs it

    def unflatten(self, leaves):
        """Rebuild the tree from an iterable of leaves."""
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise PytreeError(f"expected {self.num_leaves} leaves for {self}, got {len(leaves)}")
        iterator = iter(leaves)
        return self._build(iterator)

    def _build(self, iterator):
        if self.node_type is None:
            return next(iterator)
        children = [next(iterator) if child is _LEAF else child._build(iterator) for child in self.children]
        return self.node_type[1].unflatten(self.aux, children)

    def __eq__(self, other) -> bool:
        return self is other or (
            isinstance(other, TreeDef)
            and hash(self) == hash(other)
            and _cls(self.node_type) is _cls(other.node_type)
            and self.aux == other.aux
            and self.children == other.children
        )

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((_cls(self.node_type), self.children))
        return self._hash

    def __repr__(self) -> str:
        if self.node_type is None:
            return "*"
        kind = self.node_type[0].__name__
        return f"{kind}({', '.join(map(repr, self.children))})"


def _cls(node_type):
    return None if node_type is None else node_type[0]


_LEAF = TreeDef(None, None, ())  # the one TreeDef of a leaf
_leaf_types: set[type] = set()  # types met as leaves (no registry entry, not namedtuples)


def _namedtuple_node(tree):
    """The node type of a namedtuple (registered by its class on the fly), else ``None``: a leaf."""
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        cls = type(tree)
        return NodeType(lambda t: (list(t), None), lambda _, children, cls=cls: cls(*children))
    return None


def tree_flatten(tree) -> tuple[list, TreeDef]:
    """``(leaves, treedef)`` for any pytree."""
    leaves: list = []
    treedef = _flatten_into(tree, leaves)
    return leaves, treedef


def _flatten_into(tree, leaves: list) -> TreeDef:
    cls = type(tree)
    if cls in _leaf_types:
        leaves.append(tree)
        return _LEAF
    node = _registry.get(cls) or _namedtuple_node(tree)
    if node is None:
        _leaf_types.add(cls)
        leaves.append(tree)
        return _LEAF
    children, aux = node.flatten(tree)
    defs = []
    for child in children:  # leaves are taken here, without a call each
        if type(child) in _leaf_types:
            leaves.append(child)
            defs.append(_LEAF)
        else:
            defs.append(_flatten_into(child, leaves))
    return TreeDef((cls, node), aux, tuple(defs))


def tree_unflatten(treedef: TreeDef, leaves):
    """Inverse of :func:`tree_flatten`."""
    return treedef.unflatten(leaves)


def tree_leaves(tree) -> list:
    return tree_flatten(tree)[0]


def tree_map(fn: Callable, tree, *rest):
    """Apply ``fn`` to every leaf (and the matching leaves of ``rest``)."""
    leaves, treedef = tree_flatten(tree)
    others = []
    for other in rest:
        other_leaves, other_def = tree_flatten(other)
        if other_def != treedef:
            raise PytreeError(f"tree_map: structures differ: {treedef} vs {other_def}")
        others.append(other_leaves)
    return treedef.unflatten(fn(*xs) for xs in zip(leaves, *others))
