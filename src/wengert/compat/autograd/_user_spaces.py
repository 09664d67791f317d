"""autograd's ``Box`` and the values of a user's own vector space, differentiated through that space.

autograd lets a program differentiate with respect to a value of its own type (its
``rkhs`` example: a function in a reproducing-kernel Hilbert space): the program
subclasses ``Box`` for the type (``MyBox.register(MyType)``), gives it a ``VSpace``
(``MyVSpace.register(MyType)``: ``zeros``, ``_add``, ``_scalar_mul``, ...), and
defines primitives on it with ``defvjp``, whose VJP rules return values of the type.

wengert's tape holds arrays, so such a value is not put on it. It stands there as a
*token*, a 0-d input of the tape, and is handed to the program in the user's box
(``Box.type_mappings[type(value)](value, trace, node)``). A primitive called on a
user's box records one call whose inputs are the tokens (with the traced arrays among
its arguments); in the backward pass its VJP rule runs on the plain values, the
cotangents of the user's values are summed in their ``VSpace`` on the box's
:class:`UserNode` (``add`` then ``mut_add``, as autograd's backward pass sums them),
and the token's own cotangent is zero. That sum is the derivative ``make_vjp`` and
``grad`` return. Reverse mode only, to first order: the user's VJP rules run on plain
values, and forward mode would need a tangent of the user's type.
"""

from __future__ import annotations

from wengert._src.core.primitive import Tracer


class _BoxType(type):
    """The metaclass of ``Box``: ``isinstance(x, Box)`` is true of wengert's traced values too.

    wengert's tracers are the engine's classes (one per transform), not subclasses of ``Box``;
    asking whether a value is being differentiated (``isinstance(x, Box)``, ``ArrayBox``, ...) must
    still say yes for them, as it does in autograd.
    """

    def __instancecheck__(cls, value) -> bool:
        return type.__instancecheck__(cls, value) or (cls is Box and isinstance(value, Tracer))

    def __subclasscheck__(cls, subclass) -> bool:
        return type.__subclasscheck__(cls, subclass) or (cls is Box and issubclass(subclass, Tracer))


class Box(metaclass=_BoxType):
    """autograd's ``Box``: a value being differentiated (``_value``), on a trace, at a node.

    wengert's traced values count as boxes (``isinstance(x, Box)``). A program subclasses ``Box``
    only for a type of its own, and registers the subclass for it (``MyBox.register(MyType)``);
    ``make_vjp`` and ``grad`` then hand a value of that type to the function in a ``MyBox``.
    """

    type_mappings: dict = {}
    """The box class of each registered value type (and of each box class itself), as in autograd."""
    types: set = set()
    """The registered box classes."""

    __slots__ = ("_node", "_trace", "_value")

    def __init__(self, value, trace, node):
        self._value, self._trace, self._node = value, trace, node

    def __bool__(self) -> bool:
        return bool(self._value)

    def __str__(self) -> str:
        return f"Autograd {type(self).__name__} with value {self._value}"

    @classmethod
    def register(cls, value_type: type) -> None:
        """Box values of ``value_type`` in ``cls`` when they are differentiated."""
        Box.types.add(cls)
        Box.type_mappings[value_type] = cls
        Box.type_mappings[cls] = cls


def is_user_box(value) -> bool:
    """Whether ``value`` is a box of a registered user type (not one of wengert's tracers)."""
    return type(value) in Box.types


class UserNode:
    """Where the cotangents of one user's value gather: its token on the tape and its vector space.

    ``add(ct)`` sums them as autograd's backward pass does: the first as it is, the second by the
    space's ``add``, the others by its ``mut_add`` into that sum (which this node owns).
    """

    __slots__ = ("count", "space", "token", "total")

    def __init__(self, token, space):
        self.token, self.space = token, space
        self.total, self.count = None, 0

    def reset(self) -> None:
        self.total, self.count = None, 0

    def add(self, cotangent) -> None:
        if self.count == 0:
            self.total = cotangent
        elif self.count == 1:
            self.total = self.space.add(self.total, cotangent)
        else:
            self.total = self.space.mut_add(self.total, cotangent)
        self.count += 1

    def cotangent(self):
        """The sum, or the space's zero when nothing reached the value."""
        return self.space.zeros() if self.total is None else self.total
