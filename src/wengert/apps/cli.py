"""The ``wengert`` command: differentiate a typed expression, or train the makemore MLP, from the shell.

``wengert diff EXPRESSION --at x=1.5`` prints the value, the derivative by
forward mode (``jvp``), by reverse mode (``grad``) and by central
differences, and the evaluation trace (the Wengert list) of the expression.
With several variables (``--at x=1,y=2``) it prints each partial derivative.

``wengert explore`` serves the interactive explorer on 127.0.0.1
(:mod:`wengert.apps.explorer`).

``wengert makemore`` trains the makemore character-level MLP on US first
names with ``wengert.nn`` and ``wengert.optim``, prints the losses, writes
the model and pictures, and samples names (see ``docs/makemore.md``).

Mistakes in what was typed (a malformed expression, an unknown name, a bad
or missing value) print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from collections.abc import Sequence

import numpy as np

import wengert
from wengert._src.transforms.evaluation_trace import evaluation_trace
from wengert.apps.expression import CONSTANTS, FUNCTIONS, Expression, parse_expression
from wengert.apps.expression_sweep import sweep_expression, table_lines
from wengert.check import default_step, numerical_grad
from wengert.errors import ArgumentError, ExpressionError, TransformError

USAGE_ERROR = 2
"""Exit status for input the command cannot use (argparse's convention)."""


def _function_list(arity: int) -> str:
    names = sorted(name for name, (_, count) in FUNCTIONS.items() if count == arity)
    return textwrap.fill(", ".join(names), width=78, initial_indent="  ", subsequent_indent="  ")


_DIFF_EPILOG = f"""\
expressions: numbers, variables, + - * / ** (not ^), unary -, parentheses,
the constants {", ".join(CONSTANTS)}, and calls of these functions.
of one argument:
{_function_list(1)}
of two arguments:
{_function_list(2)}

examples:
  wengert diff "x**3 * exp(-x)" --at x=1.5
  wengert diff "x*y + sin(x)" --at x=1,y=2
  wengert diff --at x=1 -- "-x**2"     (an expression starting with - goes after --)
  wengert diff "(a*b)*(b+1)" --at a=2,b=3 --tangents a --adjoints
                                      (the textbook table: value, tangent, adjoint per row)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``) and return its exit status.

    It returns rather than exits (``--help`` and argparse's own usage
    errors included), so it can be called from Python and tested in-process.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        return exit_request.code if isinstance(exit_request.code, int) else USAGE_ERROR
    return args.command(args)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wengert",
        description="wengert: automatic differentiation for Python on NumPy, from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"wengert {wengert.__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    diff = commands.add_parser(
        "diff",
        help="differentiate an expression at a point, in forward and reverse mode",
        description=(
            "Print the value of EXPRESSION at a point, its derivative (or gradient) by forward\n"
            "mode, by reverse mode and by central differences, and its evaluation trace."
        ),
        epilog=_DIFF_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("expression", metavar="EXPRESSION", help='a math expression, e.g. "x**3 * exp(-x)"')
    diff.add_argument(
        "--at",
        action="append",
        metavar="NAME=VALUE[,NAME=VALUE...]",
        help="the value of each variable; may be repeated (--at x=1 --at y=2)",
    )
    diff.add_argument(
        "--tangents",
        nargs="?",
        const="",
        metavar="NAME",
        help="print the evaluation trace with each row's tangent: forward mode seeded on NAME "
        "(default: the first variable)",
    )
    diff.add_argument(
        "--adjoints",
        action="store_true",
        help="print the evaluation trace with each row's adjoint df/dv: reverse mode, seeded df/df = 1",
    )
    diff.set_defaults(command=_diff)
    _add_makemore_parser(commands)
    _add_explore_parser(commands)
    return parser


def _add_explore_parser(commands) -> None:
    """``wengert explore``: the interactive explorer, served on the loopback."""
    explore = commands.add_parser(
        "explore",
        help="explore derivatives interactively in the browser (a local server on 127.0.0.1)",
        description=(
            "Serve the wengert explorer on 127.0.0.1: type an expression or pick an example, move the\n"
            "inputs, step through the forward and backward passes, inspect each node's adjoint, and\n"
            "train the 2-2-1 network on its loss landscape. Every derivative is computed by wengert."
        ),
        epilog="examples:\n  wengert explore\n  wengert explore --port 8765 --no-browser",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explore.add_argument("--port", type=int, default=0, metavar="N", help="the port (default: a free one)")
    explore.add_argument("--no-browser", action="store_true", help="print the URL without opening a browser")
    explore.set_defaults(command=_explore)


def _explore(args: argparse.Namespace) -> int:
    from wengert.apps.explorer import serve

    if not 0 <= args.port <= 65535:
        print(
            f"wengert explore: error: --port {args.port} is not a port; give 1 to 65535, or 0 for a free one",
            file=sys.stderr,
        )
        return USAGE_ERROR
    try:
        serve(args.port, open_browser=not args.no_browser)
    except OSError as error:
        print(
            f"wengert explore: error: cannot listen on 127.0.0.1:{args.port} ({error.strerror}); try another --port",
            file=sys.stderr,
        )
        return USAGE_ERROR
    return 0


def _add_makemore_parser(commands) -> None:
    """``wengert makemore``: the character-level MLP of the classic text, trained on US first names."""
    from wengert.apps.makemore import MakemoreConfig

    defaults = MakemoreConfig()
    makemore = commands.add_parser(
        "makemore",
        help="train the makemore MLP on 32,000 US first names and sample new ones",
        description=(
            "Train the makemore character-level MLP (embedding, Linear, BatchNorm1d, tanh, Linear) by\n"
            "minibatch SGD with learning-rate decay on 32,000 US first names; print the train and\n"
            "validation loss and tanh saturation, save the model and the pictures, and sample names."
        ),
        epilog="examples:\n  wengert makemore\n  wengert makemore --steps 2000 --seed 1 --out /tmp/run",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    makemore.add_argument(
        "--steps", type=int, default=defaults.steps, metavar="N", help="training steps (default %(default)s)"
    )
    makemore.add_argument(
        "--seed", type=int, default=defaults.seed, metavar="S", help="seed of everything (default %(default)s)"
    )
    makemore.add_argument(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        metavar="B",
        help="examples per step (default %(default)s)",
    )
    makemore.add_argument(
        "--learning-rate",
        type=float,
        default=defaults.learning_rate,
        metavar="LR",
        help="learning rate; a tenth of it for the last quarter of the steps (default %(default)s)",
    )
    makemore.add_argument(
        "--out", default="makemore-run", metavar="DIR", help="folder for the outputs (default %(default)s)"
    )
    makemore.set_defaults(command=_makemore)


def _makemore(args: argparse.Namespace) -> int:
    from wengert.apps.makemore import MakemoreConfig, makemore_report

    try:
        config = MakemoreConfig(
            steps=args.steps, seed=args.seed, batch_size=args.batch_size, learning_rate=args.learning_rate
        )
    except ArgumentError as error:
        print(f"wengert makemore: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    makemore_report(config, args.out)
    return 0


def _diff(args: argparse.Namespace) -> int:
    try:
        expression = parse_expression(args.expression)
        point = parse_point(args.at or [], expression)
        seed = args.tangents or None
        if seed is not None and seed not in expression.variables:
            raise ExpressionError(
                f"--tangents {seed}: {seed} is not a variable of {expression.text!r} "
                f"(its variables: {', '.join(expression.variables)})"
            )
    except ExpressionError as error:
        print(f"wengert diff: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    with np.errstate(all="ignore"):  # log(-1) is nan, printed as such; no NumPy warnings
        lines = diff_report(expression, point, tangents=args.tangents is not None, adjoints=args.adjoints, seed=seed)
    print("\n".join(lines))
    return 0


def parse_point(assignments: Sequence[str], expression: Expression) -> tuple[float, ...]:
    """The values of ``expression.variables``, in that order, from ``["x=1,y=2", ...]``."""
    if not expression.variables:
        raise ExpressionError(f"{expression.text!r} has no variables, so there is nothing to differentiate")
    given: dict[str, float] = {}
    for text in assignments:
        for assignment in (part.strip() for part in text.split(",")):
            name, value = _parse_assignment(assignment, text)
            if name in given:
                raise ExpressionError(f"--at gives {name} twice; give each variable one value")
            if name in CONSTANTS:
                raise ExpressionError(f"--at {assignment}: {name} is the constant {CONSTANTS[name]}, not a variable")
            if name not in expression.variables:
                raise ExpressionError(
                    f"--at names {name}, which is not a variable of {expression.text!r} "
                    f"(its variables: {', '.join(expression.variables)})"
                )
            given[name] = value
    missing = [name for name in expression.variables if name not in given]
    if missing:
        example = ",".join(f"{name}=VALUE" for name in missing)
        raise ExpressionError(f"missing value for {', '.join(missing)}: add --at {example}")
    return tuple(given[name] for name in expression.variables)


def _parse_assignment(assignment: str, text: str) -> tuple[str, float]:
    """``"x=1.5"`` -> ``("x", 1.5)``; ``text`` is the whole --at argument, for the message."""
    if not assignment:
        raise ExpressionError(f"bad --at value {text!r}: an empty item between commas")
    name, equals, value_text = (piece.strip() for piece in assignment.partition("="))
    if not equals or not name.isidentifier():
        raise ExpressionError(f"bad --at value {assignment!r}: write NAME=VALUE, as in x=1.5")
    try:
        value = float(value_text)
    except ValueError:
        raise ExpressionError(f"bad --at value {assignment!r}: {value_text!r} is not a number") from None
    if not math.isfinite(value):
        raise ExpressionError(f"bad --at value {assignment!r}: give a finite number")
    return name, value


def diff_report(
    expression: Expression,
    point: Sequence[float],
    tangents: bool = False,
    adjoints: bool = False,
    seed: str | None = None,
) -> list[str]:
    """The lines ``wengert diff`` prints for ``expression`` at ``point``.

    With ``tangents`` and/or ``adjoints`` the evaluation trace is the
    textbook table: each row with its value, its tangent (forward mode seeded
    on ``seed``, default the first variable) and/or its adjoint (reverse mode).
    """
    variables = expression.variables
    count = len(variables)
    argnums = tuple(range(count))
    value, reverse = wengert.value_and_grad(expression, argnums=argnums)(*point)
    forward = [wengert.jvp(_along(expression, point, i), (point[i],), (1.0,))[1] for i in range(count)]
    try:
        central = numerical_grad(expression, *point, argnums=argnums, method="central")
        central_cells = [[_exact(c), f"{abs(float(c) - float(r)):.1e}"] for c, r in zip(central, reverse)]
        central_note = (
            f"(central difference: (f(v + h) - f(v - h)) / 2h, h = {float(default_step(1.0)):.1e} * max(1, |v|))"
        )
    except TransformError:  # v + h overflows: v is within a step of the largest float
        central_cells = [["-", "-"]] * count
        central_note = "(central difference not computed: v + h overflows next to the largest float)"

    assignments = ", ".join(f"{name} = {_exact(v)}" for name, v in zip(variables, point))
    lines = [f"f({', '.join(variables)}) = {expression.text}", f"at {assignments}", ""]
    lines += [f"f = {_exact(value)}", ""]
    header = [
        "derivative" if count == 1 else "gradient",
        "forward (jvp)",
        "reverse (grad)",
        "central difference",
        "|central - reverse|",
    ]
    rows = [
        [f"  df/d{name}", _exact(fwd), _exact(rev), *cells]
        for name, fwd, rev, cells in zip(variables, forward, reverse, central_cells)
    ]
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
    for row in [header, *rows]:
        lines.append("   ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    lines.append(central_note)
    if tangents or adjoints:
        sweep = sweep_expression(expression, point, seed)
        lines += ["", "evaluation trace (the Wengert list), one row per primitive:"]
        if tangents:
            lines.append(f"  tangent: d·/d{sweep.seed}, forward mode seeded d{sweep.seed}/d{sweep.seed} = 1")
        if adjoints:
            lines.append("  adjoint: df/d·, reverse mode seeded df/df = 1")
        lines.append("")
        lines += [f"  {line}" for line in table_lines(sweep, tangents, adjoints)]
        lines.append(f"  f = {sweep.output}")
        return lines
    lines += ["", "evaluation trace (the Wengert list):"]
    lines += [f"  {line}" for line in evaluation_trace(expression, *point, names=variables).lines("f")]
    return lines


def _along(expression: Expression, point: Sequence[float], i: int):
    """``expression`` as a function of its ``i``-th variable alone, the others held at ``point``.

    Forward mode along one variable, rather than with zero tangents for the others: a zero tangent
    times an infinite partial derivative is ``nan`` (``x / 0 * y`` has ``df/dx = inf`` at ``y = 2``).
    """
    return lambda value: expression(*point[:i], value, *point[i + 1 :])


def _exact(value) -> str:
    """A float written with all the digits needed to read it back exactly."""
    return repr(float(value))


if __name__ == "__main__":
    sys.exit(main())
