"""The teaching references: a scalar reverse-mode engine (``Value``) and dual numbers (``Dual``).

Both fit in one sitting and compute the same derivatives as the engine
(``wengert.grad`` and ``wengert.jvp``); ``tests/test_scalar.py`` holds them
equal on a set of scalar programs.

- ``Value`` is reverse mode. Each operation records its inputs and its *local*
  derivatives ``dv/du`` while it computes ``v``; ``backward()`` then visits
  the graph from the output back to the inputs and applies the chain rule,
  ``u.grad += (dv/du) * v.grad``.
- ``Dual`` is forward mode. A dual number ``v + v'ε`` with ``ε² = 0`` carries
  a value and its derivative together: ``f(v + v'ε) = f(v) + f'(v) v'ε``,
  so seeding ``x + 1ε`` and reading the ``ε`` coefficient of ``f(x + 1ε)``
  gives ``f'(x)``.

>>> a, b = Value(2.0), Value(3.0)
>>> e = (a * b) * (b + 1)
>>> e.backward()
>>> a.grad, b.grad
(12.0, 14.0)
>>> derivative(lambda x: x**2 * exp(x) + 3 * x, 1.0)
11.154845485377136

Both compute with Python floats, so dividing by zero raises
``ZeroDivisionError`` as Python does. Where a *value* is not a real number
(``log`` of ``x <= 0``, ``sqrt`` of ``x < 0``, a negative base to a
non-integer power) they raise ``ArgumentError``; NumPy, and so the engine,
would return ``nan``. At the points where a *derivative* does not exist they
follow the engine's conventions (``docs/conventions.md``): ``relu'(0) = 0``,
``|x|'(0) = 0``, ``sqrt'(0) = inf``, ``d(x**0) = 0``, and the derivative of
``x**y`` with respect to ``y`` is ``0`` at ``x = 0`` and ``nan`` for ``x < 0``.

The functions ``exp``, ``log``, ``sin``, ``cos``, ``tan``, ``tanh``,
``sqrt``, ``sigmoid`` and ``relu`` of this module take a float, a ``Dual``
or a ``Value``, so one program runs on all three.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextvars import ContextVar
from numbers import Real
from typing import TYPE_CHECKING, NamedTuple

from wengert.errors import ArgumentError, DtypeError, MissingDependencyError, TransformError

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "Dual",
    "Value",
    "cos",
    "derivative",
    "exp",
    "log",
    "relu",
    "sigmoid",
    "sin",
    "sqrt",
    "tan",
    "tanh",
]


# --- the elementary functions, each a value and a derivative -------------------------------


class _Rule(NamedTuple):
    """A function of one real number: ``value(x)``, and ``slope(x, value(x)) = f'(x)``."""

    name: str
    value: Callable[[float], float]
    slope: Callable[[float, float], float]


def _log(x: float) -> float:
    if x <= 0:
        raise ArgumentError(f"log({x!r}) is not a real number: the logarithm needs a positive argument.")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        raise ArgumentError(f"sqrt({x!r}) is not a real number: the square root needs an argument >= 0.")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    """``1 / (1 + e^-x)``, written so that ``e^t`` is only taken of ``t <= 0`` and never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


_EXP = _Rule("exp", math.exp, lambda x, y: y)  # d e^x = e^x dx
_LOG = _Rule("log", _log, lambda x, y: 1.0 / x)  # d log x = dx / x
_SIN = _Rule("sin", math.sin, lambda x, y: math.cos(x))  # d sin x = cos x dx
_COS = _Rule("cos", math.cos, lambda x, y: -math.sin(x))  # d cos x = -sin x dx
_TAN = _Rule("tan", math.tan, lambda x, y: 1.0 + y * y)  # d tan x = (1 + tan² x) dx
_TANH = _Rule("tanh", math.tanh, lambda x, y: 1.0 - y * y)  # d tanh x = (1 - tanh² x) dx
_SQRT = _Rule("sqrt", _sqrt, lambda x, y: 0.5 / y if y else math.inf)  # d √x = dx / (2√x), inf at 0
_SIGMOID = _Rule("sigmoid", _sigmoid, lambda x, y: y * (1.0 - y))  # d σ(x) = σ(x)(1 - σ(x)) dx
_RELU = _Rule("relu", lambda x: x if x > 0 else 0.0, lambda x, y: 1.0 if x > 0 else 0.0)  # relu'(0) = 0
_ABS = _Rule("abs", abs, lambda x, y: math.copysign(1.0, x) if x else 0.0)  # d|x| = sign(x) dx, sign(0) = 0


def _power(x: float, n: float) -> float:
    """``x ** n`` as a real number (Python would answer a complex one for a negative base)."""
    if x < 0 and not float(n).is_integer():
        raise ArgumentError(f"({x!r}) ** {n!r} is not a real number: a negative base needs an integer exponent.")
    return float(x**n)


def _power_slope(x: float, n: float) -> float:
    """``d(x^n)/dx = n x^(n-1)``, exact at ``x = 0``: ``0`` for ``n = 0`` and ``inf`` for ``0 < n < 1``."""
    if n == 0:
        return 0.0
    if x == 0 and n < 1:
        return math.inf
    return n * _power(x, n - 1)


def _exponent_slope(x: float, x_to_the_y: float) -> float:
    """``d(x^y)/dy = x^y log x``: ``0`` at ``x = 0`` (its limit as ``x → 0+``), ``nan`` for ``x < 0``."""
    if x > 0:
        return x_to_the_y * math.log(x)
    return 0.0 if x == 0 else math.nan


def _real(x: object, where: str) -> float:
    """``x`` as a float, or a clear error naming ``where`` when it is not a real number."""
    if isinstance(x, Real):
        return float(x)
    hint = ""
    if isinstance(x, Dual):
        hint = " Duals don't nest: for higher derivatives use wengert.grad(wengert.grad(f)) or wengert.jvp."
    raise DtypeError(f"{where} takes a real number; got {x!r} ({type(x).__name__}).{hint}")


# --- Value: reverse mode ---------------------------------------------------------------------


class Value:
    """A real number that remembers how it was computed, for reverse-mode differentiation.

    Every operation on Values returns a new Value ``v = f(u_1, ..., u_k)`` that
    stores its inputs ``u_i`` and the local derivatives ``∂f/∂u_i`` at the
    values it saw. ``backward()`` sorts the graph so that every node comes
    after its inputs, sets ``out.grad = 1`` and walks the order backwards,
    adding each node's contribution to its inputs (the chain rule)::

        u_i.grad += ∂f/∂u_i · v.grad

    The ``+=`` is what makes a value used twice right: its gradient is the sum
    over every path to the output.

    >>> x = Value(3.0, label="x")
    >>> y = x * x + x            # x is used three times
    >>> y.backward()
    >>> x.grad                   # d(x² + x)/dx = 2x + 1
    7.0
    >>> y
    Value(data=12.0, grad=1.0)

    Args:
        data: the number.
        label: a name shown by ``draw()``.
    """

    __slots__ = ("data", "grad", "label", "_inputs", "_local_grads", "_op")

    def __init__(self, data: float, label: str = "", *, _inputs: tuple = (), _local_grads: tuple = (), _op: str = ""):
        self.data = _real(data, "Value(data)")
        self.grad = 0.0
        self.label = label
        self._inputs: tuple[Value, ...] = _inputs
        self._local_grads: tuple[float, ...] = _local_grads
        self._op = _op

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def _apply(self, rule: _Rule) -> Value:
        out = rule.value(self.data)
        return Value(out, _inputs=(self,), _local_grads=(rule.slope(self.data, out),), _op=rule.name)

    # arithmetic: each line is the value and the local derivatives with respect to the inputs

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is None:
            return NotImplemented
        return Value(self.data + other.data, _inputs=(self, other), _local_grads=(1.0, 1.0), _op="+")

    def __sub__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is None:
            return NotImplemented
        return Value(self.data - other.data, _inputs=(self, other), _local_grads=(1.0, -1.0), _op="-")

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is None:
            return NotImplemented
        return Value(self.data * other.data, _inputs=(self, other), _local_grads=(other.data, self.data), _op="*")

    def __truediv__(self, other: Value | float) -> Value:
        """``u / w``, with ``∂/∂u = 1/w`` and ``∂/∂w = -u/w²``."""
        other = _as_value(other)
        if other is None:
            return NotImplemented
        x, y = self.data, other.data
        return Value(x / y, _inputs=(self, other), _local_grads=(1.0 / y, -x / (y * y)), _op="/")

    def __pow__(self, exponent: Value | float) -> Value:
        """``u ** n``, with ``∂/∂u = n u^(n-1)``; for a Value exponent also ``∂/∂n = u^n log u``."""
        x = self.data
        if isinstance(exponent, Value):
            out = _power(x, exponent.data)
            slopes = (_power_slope(x, exponent.data), _exponent_slope(x, out))
            return Value(out, _inputs=(self, exponent), _local_grads=slopes, _op="**")
        if not isinstance(exponent, Real):
            return NotImplemented
        n = float(exponent)
        return Value(_power(x, n), _inputs=(self,), _local_grads=(_power_slope(x, n),), _op=f"**{n:g}")

    def __neg__(self) -> Value:
        return Value(-self.data, _inputs=(self,), _local_grads=(-1.0,), _op="neg")

    def __abs__(self) -> Value:
        return self._apply(_ABS)

    def __radd__(self, other: float) -> Value:
        other = _as_value(other)
        return NotImplemented if other is None else other + self

    def __rsub__(self, other: float) -> Value:
        other = _as_value(other)
        return NotImplemented if other is None else other - self

    def __rmul__(self, other: float) -> Value:
        other = _as_value(other)
        return NotImplemented if other is None else other * self

    def __rtruediv__(self, other: float) -> Value:
        other = _as_value(other)
        return NotImplemented if other is None else other / self

    def __rpow__(self, base: float) -> Value:
        base = _as_value(base)
        return NotImplemented if base is None else base**self

    # elementary functions

    def exp(self) -> Value:
        """``e^u``; ``d e^u = e^u du``."""
        return self._apply(_EXP)

    def log(self) -> Value:
        """``log u`` for ``u > 0``; ``d log u = du / u``."""
        return self._apply(_LOG)

    def sin(self) -> Value:
        """``sin u``; ``d sin u = cos u du``."""
        return self._apply(_SIN)

    def cos(self) -> Value:
        """``cos u``; ``d cos u = -sin u du``."""
        return self._apply(_COS)

    def tan(self) -> Value:
        """``tan u``; ``d tan u = (1 + tan² u) du``."""
        return self._apply(_TAN)

    def tanh(self) -> Value:
        """``tanh u``; ``d tanh u = (1 - tanh² u) du``."""
        return self._apply(_TANH)

    def sqrt(self) -> Value:
        """``√u`` for ``u >= 0``; ``d √u = du / (2√u)``."""
        return self._apply(_SQRT)

    def sigmoid(self) -> Value:
        """``σ(u) = 1 / (1 + e^-u)``; ``d σ(u) = σ(u)(1 - σ(u)) du``."""
        return self._apply(_SIGMOID)

    def relu(self) -> Value:
        """``max(u, 0)``; its derivative is 1 for ``u > 0`` and 0 otherwise (0 at the kink)."""
        return self._apply(_RELU)

    # the graph

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The Values this one was computed from (empty for a leaf made by ``Value(...)``)."""
        return self._inputs

    @property
    def op(self) -> str:
        """The operation that computed this Value: ``"*"``, ``"tanh"``, ``"**2"``; empty for a leaf."""
        return self._op

    # reverse mode

    def topological_order(self) -> list[Value]:
        """Every Value this one depends on, itself last, each after its inputs (depth first, without recursion).

        ``backward()`` walks this list backwards; ``wengert.viz.draw`` draws it.

        >>> a = Value(2.0, label="a")
        >>> b = a * a
        >>> c = b + a
        >>> [v.label or v.op for v in c.topological_order()]
        ['a', '*', '+']
        """
        order: list[Value] = []
        visited: set[Value] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((u, False) for u in reversed(node._inputs) if u not in visited)
        return order

    def backward(self) -> None:
        """Fill ``.grad`` of every Value this one depends on with ``d self / d value``.

        Intermediate gradients are recomputed on each call; leaves (Values made
        by ``Value(...)``) accumulate across calls, as in PyTorch: set
        ``leaf.grad = 0.0`` before a new step.
        """
        order = self.topological_order()
        for node in order:
            if node._inputs:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            for u, local_grad in zip(node._inputs, node._local_grads):
                u.grad += local_grad * node.grad

    def _repr_svg_(self) -> str:
        """The graph that computed this Value, for Jupyter (:func:`wengert.viz.draw`; needs no Graphviz)."""
        from wengert.viz import draw

        return draw(self).svg()

    def draw(self, rankdir: str = "LR") -> graphviz.Digraph:
        """The graph that computed this Value, as a ``graphviz.Digraph``.

        A box per Value shows its label, data and grad; an oval per operation
        joins its inputs to its result. Values are named ``v0, v1, ...`` in
        topological order (inputs first), so the same program draws the same
        source. Building the Digraph needs only the
        ``graphviz`` Python package; rendering it (``.render()``, or showing it
        in a notebook) also needs the Graphviz ``dot`` program.

        >>> a = Value(2.0, label="a")
        >>> out = (a * a).tanh()
        >>> "data 2 | grad 0" in a.draw().source
        True
        """
        try:
            import graphviz
        except ImportError as error:
            raise MissingDependencyError(
                "Value.draw() builds its picture with the graphviz Python package, which is not installed. "
                "Install it with `pip install graphviz` (and, to render the picture, the Graphviz `dot` "
                "program from https://graphviz.org/download/)."
            ) from error
        picture = graphviz.Digraph(graph_attr={"rankdir": rankdir})
        names: dict[Value, str] = {}
        for node in self.topological_order():
            name = names[node] = f"v{len(names)}"
            fields = [node.label.translate(_RECORD_ESCAPES)] if node.label else []
            fields += [f"data {node.data:.4g}", f"grad {node.grad:.4g}"]
            picture.node(name, label="{ " + " | ".join(fields) + " }", shape="record")
            if node._op:
                picture.node(name + "_op", label=node._op, shape="oval")
                picture.edge(name + "_op", name)
                for u in node._inputs:
                    picture.edge(names[u], name + "_op")
        return picture


_RECORD_ESCAPES = str.maketrans({c: "\\" + c for c in "{}|<>"})


def _as_value(x: object) -> Value | None:
    """A Value as itself and a real number as a constant Value; anything else is None."""
    if isinstance(x, Value):
        return x
    if isinstance(x, Real):
        return Value(x)
    return None


# --- Dual: forward mode ----------------------------------------------------------------------


class Dual:
    """A dual number ``real + dual·ε`` with ``ε² = 0``: a value and its derivative, carried together.

    Arithmetic follows from ``ε² = 0``::

        (a + a'ε) + (b + b'ε) = (a + b) + (a' + b')ε
        (a + a'ε) · (b + b'ε) = ab + (a'b + ab')ε
        (a + a'ε) / (b + b'ε) = a/b + ((a'b - ab') / b²)ε
        f(a + a'ε)            = f(a) + f'(a) a'ε       (Taylor, cut after ε)

    so the ``ε`` part of any program run on ``x + 1ε`` is the program's
    derivative at ``x``. Comparisons look at the real part only, so branches
    on values run as they would on floats.

    >>> x = Dual(3.0, 1.0)       # x = 3, seeded with dx/dx = 1
    >>> y = x * x + x
    >>> y
    Dual(real=12.0, dual=7.0)
    >>> print(y)
    12.0 + 7.0ε
    >>> (1 / x).dual == -1 / 9
    True

    Args:
        real: the value ``v``.
        dual: its tangent ``v'`` (0 for a constant).
    """

    __slots__ = ("real", "dual")

    def __init__(self, real: float, dual: float = 0.0):
        self.real = _real(real, "Dual(real)")
        self.dual = _real(dual, "Dual(dual)")

    def __repr__(self) -> str:
        return f"Dual(real={self.real!r}, dual={self.dual!r})"

    def __str__(self) -> str:
        return f"{self.real!r} + {self.dual!r}ε"

    def _apply(self, rule: _Rule) -> Dual:
        out = rule.value(self.real)
        return Dual(out, rule.slope(self.real, out) * self.dual)

    # arithmetic

    def __add__(self, other: Dual | float) -> Dual:
        other = _as_dual(other)
        if other is None:
            return NotImplemented
        return Dual(self.real + other.real, self.dual + other.dual)

    def __sub__(self, other: Dual | float) -> Dual:
        other = _as_dual(other)
        if other is None:
            return NotImplemented
        return Dual(self.real - other.real, self.dual - other.dual)

    def __mul__(self, other: Dual | float) -> Dual:
        other = _as_dual(other)
        if other is None:
            return NotImplemented
        return Dual(self.real * other.real, self.dual * other.real + self.real * other.dual)

    def __truediv__(self, other: Dual | float) -> Dual:
        other = _as_dual(other)
        if other is None:
            return NotImplemented
        a, b = self.real, other.real
        return Dual(a / b, (self.dual * b - a * other.dual) / (b * b))

    def __pow__(self, exponent: Dual | float) -> Dual:
        """``(a + a'ε)^(b + b'ε) = a^b + (b a^(b-1) a' + a^b log(a) b')ε``; the second term only if ``b' ≠ 0``."""
        a = self.real
        if isinstance(exponent, Dual):
            b = exponent.real
            out = _power(a, b)
            dual = _power_slope(a, b) * self.dual
            if exponent.dual:
                dual += _exponent_slope(a, out) * exponent.dual
            return Dual(out, dual)
        if not isinstance(exponent, Real):
            return NotImplemented
        return Dual(_power(a, exponent), _power_slope(a, exponent) * self.dual)

    def __neg__(self) -> Dual:
        return Dual(-self.real, -self.dual)

    def __pos__(self) -> Dual:
        return self

    def __abs__(self) -> Dual:
        return self._apply(_ABS)

    def __radd__(self, other: float) -> Dual:
        other = _as_dual(other)
        return NotImplemented if other is None else other + self

    def __rsub__(self, other: float) -> Dual:
        other = _as_dual(other)
        return NotImplemented if other is None else other - self

    def __rmul__(self, other: float) -> Dual:
        other = _as_dual(other)
        return NotImplemented if other is None else other * self

    def __rtruediv__(self, other: float) -> Dual:
        other = _as_dual(other)
        return NotImplemented if other is None else other / self

    def __rpow__(self, base: float) -> Dual:
        base = _as_dual(base)
        return NotImplemented if base is None else base**self

    # comparisons, on the real part

    def __eq__(self, other: object) -> bool:
        other = _as_dual(other)
        return NotImplemented if other is None else self.real == other.real

    def __lt__(self, other: Dual | float) -> bool:
        other = _as_dual(other)
        return NotImplemented if other is None else self.real < other.real

    def __le__(self, other: Dual | float) -> bool:
        other = _as_dual(other)
        return NotImplemented if other is None else self.real <= other.real

    def __gt__(self, other: Dual | float) -> bool:
        other = _as_dual(other)
        return NotImplemented if other is None else self.real > other.real

    def __ge__(self, other: Dual | float) -> bool:
        other = _as_dual(other)
        return NotImplemented if other is None else self.real >= other.real

    def __hash__(self) -> int:
        return hash(self.real)

    # elementary functions: f(a + a'ε) = f(a) + f'(a) a'ε

    def exp(self) -> Dual:
        """``e^(a + a'ε) = e^a + e^a a'ε``."""
        return self._apply(_EXP)

    def log(self) -> Dual:
        """``log(a + a'ε) = log a + (a'/a)ε`` for ``a > 0``."""
        return self._apply(_LOG)

    def sin(self) -> Dual:
        """``sin(a + a'ε) = sin a + cos(a) a'ε``."""
        return self._apply(_SIN)

    def cos(self) -> Dual:
        """``cos(a + a'ε) = cos a - sin(a) a'ε``."""
        return self._apply(_COS)

    def tan(self) -> Dual:
        """``tan(a + a'ε) = tan a + (1 + tan² a) a'ε``."""
        return self._apply(_TAN)

    def tanh(self) -> Dual:
        """``tanh(a + a'ε) = tanh a + (1 - tanh² a) a'ε``."""
        return self._apply(_TANH)

    def sqrt(self) -> Dual:
        """``√(a + a'ε) = √a + (a' / 2√a)ε`` for ``a >= 0``."""
        return self._apply(_SQRT)

    def sigmoid(self) -> Dual:
        """``σ(a + a'ε) = σ(a) + σ(a)(1 - σ(a)) a'ε``."""
        return self._apply(_SIGMOID)

    def relu(self) -> Dual:
        """``relu(a + a'ε) = max(a, 0) + [a > 0] a'ε`` (0 at the kink)."""
        return self._apply(_RELU)


def _as_dual(x: object) -> Dual | None:
    """A Dual as itself and a real number as a constant Dual (tangent 0); anything else is None."""
    if isinstance(x, Dual):
        return x
    if isinstance(x, Real):
        return Dual(x)
    return None


_inside_derivative: ContextVar[bool] = ContextVar("wengert_scalar_inside_derivative", default=False)


def derivative(f: Callable[[Dual], Dual | float], x: float) -> float:
    """``f'(x)``, by running ``f`` on the dual number ``x + 1ε`` and reading the ``ε`` part.

    ``f`` may use arithmetic, comparisons, loops and branches, and the functions
    of this module (``exp``, ``sin``, ...).

    >>> derivative(lambda t: t**3, 2.0)        # 3t² at t = 2
    12.0
    >>> derivative(lambda t: sigmoid(t), 0.0)  # σ(0)(1 - σ(0))
    0.25

    Calls don't nest: every Dual has the same ``ε``, so in
    ``derivative(lambda t: derivative(lambda s: s * t, 1.0), 2.0)`` the inner
    call could not tell its ``ε`` from the outer one (*perturbation
    confusion*) and the answer would be silently wrong; a nested call raises
    ``TransformError`` instead. The engine tags each level of nesting, so
    ``wengert.grad(wengert.grad(f))`` is right.
    """
    if _inside_derivative.get():
        raise TransformError(
            "derivative() was called inside another derivative(): dual numbers with a single ε cannot tell "
            "the two derivatives apart (perturbation confusion). For higher or nested derivatives use "
            "wengert.grad or wengert.jvp, which tag each level."
        )
    seed = Dual(_real(x, "derivative(f, x)"), 1.0)
    token = _inside_derivative.set(True)
    try:
        out = f(seed)
    finally:
        _inside_derivative.reset(token)
    if isinstance(out, Dual):
        return out.dual
    if isinstance(out, Real):
        return 0.0
    raise DtypeError(
        f"derivative(f, x): f returned {out!r} ({type(out).__name__}); it should return a Dual "
        "(or a number when its result does not depend on x)."
    )


# --- the elementary functions for floats, Duals and Values -----------------------------------


def _call(rule: _Rule, x: float | Dual | Value) -> float | Dual | Value:
    if isinstance(x, (Dual, Value)):
        return x._apply(rule)
    if isinstance(x, Real):
        return rule.value(float(x))
    raise DtypeError(
        f"wengert.scalar.{rule.name} takes a float, a Dual or a Value; got {x!r} ({type(x).__name__}). "
        f"For arrays and traced values use wengert.numpy."
    )


def exp(x: float | Dual | Value) -> float | Dual | Value:
    """``e^x``.

    >>> exp(0.0), exp(Dual(0.0, 2.0))
    (1.0, Dual(real=1.0, dual=2.0))
    """
    return _call(_EXP, x)


def log(x: float | Dual | Value) -> float | Dual | Value:
    """The natural logarithm, for ``x > 0``."""
    return _call(_LOG, x)


def sin(x: float | Dual | Value) -> float | Dual | Value:
    """``sin x``."""
    return _call(_SIN, x)


def cos(x: float | Dual | Value) -> float | Dual | Value:
    """``cos x``."""
    return _call(_COS, x)


def tan(x: float | Dual | Value) -> float | Dual | Value:
    """``tan x``."""
    return _call(_TAN, x)


def tanh(x: float | Dual | Value) -> float | Dual | Value:
    """``tanh x``."""
    return _call(_TANH, x)


def sqrt(x: float | Dual | Value) -> float | Dual | Value:
    """``√x``, for ``x >= 0``."""
    return _call(_SQRT, x)


def sigmoid(x: float | Dual | Value) -> float | Dual | Value:
    """``σ(x) = 1 / (1 + e^-x)``, without overflow for any ``x``."""
    return _call(_SIGMOID, x)


def relu(x: float | Dual | Value) -> float | Dual | Value:
    """``max(x, 0)``, with derivative 0 at 0."""
    return _call(_RELU, x)
