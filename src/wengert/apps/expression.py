"""Safe parsing of a math expression typed by a person, such as ``x**3 * exp(-x)``.

The text is parsed with Python's :mod:`ast` and never run as Python: only
numbers, variables, ``+ - * / **``, unary ``-`` and ``+``, parentheses, the
constants ``pi`` and ``e``, and calls of a fixed table of functions from
:mod:`wengert.numpy` (and :mod:`wengert.scipy.special` where it is
installed) are accepted. Anything else (attributes, subscripts, comparisons,
keyword arguments, strings, ...) is an :class:`ExpressionError` that names
the offending piece.

The parsed :class:`Expression` is a function of its variables, in the order
they first appear, built from wengert operations, so every transform applies::

    >>> import wengert
    >>> f = parse_expression("x**2 * y")
    >>> f.variables
    ('x', 'y')
    >>> [float(d) for d in wengert.grad(f, argnums=(0, 1))(3.0, 2.0)]
    [12.0, 9.0]
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass

import wengert.numpy as wnp
from wengert.errors import ExpressionError

try:
    from wengert.scipy import special as _special
except ImportError:  # wengert.scipy is optional (it needs SciPy)
    _special = None


MAX_DEPTH = 200
"""The deepest nesting of operations accepted (deeper input would exhaust Python's stack)."""

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""Names that stand for numbers, not variables."""


def _function_table() -> dict[str, tuple[Callable, int]]:
    """Each callable name with its function and its number of arguments."""
    unary = (
        "exp exp2 expm1 log log2 log10 log1p sqrt cbrt square abs sin cos tan arcsin arccos arctan "
        "sinh cosh tanh arcsinh arccosh arctanh"
    ).split()
    binary = "maximum minimum hypot arctan2 logaddexp".split()
    table = {name: (getattr(wnp, name), 1) for name in unary}
    table.update({name: (getattr(wnp, name), 2) for name in binary})
    if _special is not None:
        special_unary = (
            "erf erfc erfinv erfcinv expit log_expit logit softplus gamma gammaln digamma ndtr ndtri log_ndtr entr"
        ).split()
        special_binary = "xlogy xlog1py beta betaln".split()
        for names, arity in ((special_unary, 1), (special_binary, 2)):
            present = [name for name in names if hasattr(_special, name)]
            table.update({name: (getattr(_special, name), arity) for name in present})
        if "expit" in table:
            table["sigmoid"] = table["expit"]
    return table


FUNCTIONS: dict[str, tuple[Callable, int]] = _function_table()
"""The functions an expression may call: name -> (function, number of arguments)."""

_BINARY_OPERATORS = {
    ast.Add: wnp.add,
    ast.Sub: wnp.subtract,
    ast.Mult: wnp.multiply,
    ast.Div: wnp.divide,
    ast.Pow: wnp.power,
}

_OPERATOR_HINTS = {
    ast.BitXor: "'^' is not a power here; write x**2",
    ast.FloorDiv: "'//' (floor division) is not differentiable; use '/'",
    ast.Mod: "'%' (remainder) is not supported",
    ast.MatMult: "'@' (matrix product) is not supported; variables are scalars",
}


@dataclass(frozen=True)
class Expression:
    """A parsed expression: a function of ``variables``, taken positionally in that order."""

    text: str
    variables: tuple[str, ...]
    evaluate: Callable[[dict], object]

    def __call__(self, *values):
        if len(values) != len(self.variables):
            raise ExpressionError(
                f"{self.text!r} takes {len(self.variables)} value(s), for {', '.join(self.variables)}; "
                f"got {len(values)}."
            )
        return self.evaluate(dict(zip(self.variables, values)))


def parse_expression(text: str) -> Expression:
    """Parse ``text`` into an :class:`Expression`, or raise :class:`ExpressionError` saying why not."""
    source = text.strip()
    if not source:
        raise ExpressionError("the expression is empty; write one such as 'x**2 * sin(x)'")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        column = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"malformed expression {_shorten(source)!r}: {error.msg}{column}") from None
    except (MemoryError, RecursionError, ValueError):
        raise ExpressionError(
            f"malformed expression: too long or too deeply nested ({len(source)} characters)"
        ) from None
    compiler = _Compiler(source)
    evaluate = compiler.compile(tree.body, depth=0)
    return Expression(source, tuple(compiler.variables), evaluate)


class _Compiler:
    """Turns a checked syntax tree into nested closures ``evaluate(values) -> value``."""

    def __init__(self, source: str):
        self.source = source
        self.variables: list[str] = []

    def compile(self, node: ast.AST, depth: int) -> Callable[[dict], object]:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} operations deep")
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.compile(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return operand
            return lambda values: wnp.negative(operand(values))
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise ExpressionError(self.not_allowed(node))

    def number(self, node: ast.Constant) -> Callable[[dict], object]:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"{self.segment(node)} is not a real number; only numbers are allowed")
        try:
            number = float(value)
        except OverflowError:
            raise ExpressionError(f"the number {self.segment(node)} is too large for a float") from None
        return lambda values: number

    def name(self, node: ast.Name) -> Callable[[dict], object]:
        identifier = node.id
        if identifier in CONSTANTS:
            constant = CONSTANTS[identifier]
            return lambda values: constant
        if identifier in FUNCTIONS:
            raise ExpressionError(f"{identifier} is a function; call it, as in {identifier}(x)")
        if identifier not in self.variables:
            self.variables.append(identifier)
        return lambda values: values[identifier]

    def binary(self, node: ast.BinOp, depth: int) -> Callable[[dict], object]:
        operator = _BINARY_OPERATORS.get(type(node.op))
        if operator is None:
            hint = _OPERATOR_HINTS.get(type(node.op), "this operator is not supported")
            raise ExpressionError(f"{hint}, in {self.segment(node)!r}")
        left = self.compile(node.left, depth + 1)
        right = self.compile(node.right, depth + 1)
        return lambda values: operator(left(values), right(values))

    def call(self, node: ast.Call, depth: int) -> Callable[[dict], object]:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute) and node.func.attr in FUNCTIONS:
                raise ExpressionError(
                    f"write the function by its bare name, {node.func.attr}(...), not {self.segment(node.func)}(...)"
                )
            raise ExpressionError(self.not_allowed(node))
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(self.unknown_function(name))
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise ExpressionError(f"{name} takes positional arguments only, in {self.segment(node)!r}")
        function, arity = FUNCTIONS[name]
        if len(node.args) != arity:
            raise ExpressionError(
                f"{name} takes {arity} argument{'s' if arity > 1 else ''}, got {len(node.args)}, "
                f"in {self.segment(node)!r}"
            )
        arguments = [self.compile(arg, depth + 1) for arg in node.args]
        if arity == 1:
            (argument,) = arguments
            return lambda values: function(argument(values))
        return lambda values: function(*(argument(values) for argument in arguments))

    def unknown_function(self, name: str) -> str:
        if name in CONSTANTS:
            return f"{name} is a constant, not a function"
        close = difflib.get_close_matches(name, FUNCTIONS, n=1)
        suggestion = f" (did you mean {close[0]}?)" if close else ""
        return f"unknown function {name!r}{suggestion}; the functions are {', '.join(sorted(FUNCTIONS))}"

    def not_allowed(self, node: ast.AST) -> str:
        return (
            f"{self.segment(node)!r} is not allowed in an expression: use numbers, variables, "
            "+ - * / **, parentheses and calls of known functions"
        )

    def segment(self, node: ast.AST) -> str:
        return _shorten(ast.get_source_segment(self.source, node) or type(node).__name__)


def _shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, so an error message stays one readable line."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
