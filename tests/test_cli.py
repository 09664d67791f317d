"""Specification of the ``wengert`` command, its expression parser and the evaluation trace.

``wengert diff`` prints the value, the derivative by forward mode, reverse
mode and central differences, and the Wengert list; whatever the user typed
wrong is one line on stderr and exit status 2. Expressions are parsed, never
run as Python. The evaluation trace names each input of a primitive.
"""

import doctest
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert._src.transforms.evaluation_trace import evaluation_trace
from wengert.apps import expression_sweep
from wengert.apps.cli import main
from wengert.apps.expression import FUNCTIONS, ExpressionError, parse_expression


def run(capsys, *argv):
    """``main(argv)`` in-process: (exit status, stdout, stderr)."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def derivative_rows(out: str) -> dict[str, list[float]]:
    """``{"x": [forward, reverse, central, |central - reverse|], ...}`` from the table printed ("-": nan)."""
    rows = {}
    for line in out.splitlines():
        match = re.match(r"\s+df/d(\w+)\s+(.*)", line)
        if match:
            rows[match.group(1)] = [math.nan if cell == "-" else float(cell) for cell in match.group(2).split()]
    return rows


def trace_lines(out: str) -> list[str]:
    """The evaluation trace printed, with runs of spaces collapsed."""
    lines = out.split("evaluation trace (the Wengert list):\n")[1].splitlines()
    return [" ".join(line.split()) for line in lines]


# --- wengert diff, one variable -----------------------------------------------------------------


def test_diff_prints_value_and_derivative_by_forward_reverse_and_central_difference(capsys):
    status, out, err = run(capsys, "diff", "x**3 * exp(-x)", "--at", "x=1.5")
    x = 1.5
    expected = 3 * x**2 * math.exp(-x) - x**3 * math.exp(-x)
    assert status == 0 and err == ""
    assert f"f = {x**3 * math.exp(-x)!r}" in out.splitlines()
    forward, reverse, central, error = derivative_rows(out)["x"]
    assert forward == pytest.approx(expected, rel=1e-14)
    assert reverse == pytest.approx(expected, rel=1e-14)
    assert central == pytest.approx(expected, rel=1e-8)


def test_diff_reports_central_difference_error_relative_to_reverse_mode(capsys):
    _, out, _ = run(capsys, "diff", "sin(x) * x", "--at", "x=0.7")
    _, reverse, central, error = derivative_rows(out)["x"]
    assert error == pytest.approx(abs(central - reverse), rel=0.06)  # printed with two digits
    assert 0 < error < 1e-8


def test_diff_prints_the_evaluation_trace_one_primitive_per_line(capsys):
    _, out, _ = run(capsys, "diff", "x**3 * exp(-x)", "--at", "x=1.5")
    assert trace_lines(out) == [
        "x = 1.5",
        "v1 = power x 3 = 3.375",
        "v2 = neg x = -1.5",
        "v3 = exp v2 = 0.22313",
        "v4 = multiply v1 v3 = 0.753064",
        "f = v4",
    ]


def test_diff_evaluates_constants_pi_and_e(capsys):
    _, out, _ = run(capsys, "diff", "e * sin(pi * x)", "--at", "x=0.25")
    forward, reverse, _, _ = derivative_rows(out)["x"]
    assert reverse == pytest.approx(math.e * math.pi * math.cos(math.pi / 4), rel=1e-14)
    assert forward == pytest.approx(reverse, rel=1e-14)


def test_diff_next_to_the_largest_float_skips_central_difference_and_says_why(capsys):
    status, out, _ = run(capsys, "diff", "x / 2", "--at", f"x={float(np.finfo(np.float64).max)!r}")
    assert status == 0
    forward, reverse, central, error = derivative_rows(out)["x"]
    assert forward == reverse == 0.5
    assert math.isnan(central) and math.isnan(error)
    assert "central difference not computed" in out


# --- wengert diff, several variables ------------------------------------------------------------


def test_diff_with_several_variables_prints_each_partial_derivative(capsys):
    status, out, _ = run(capsys, "diff", "x*y + sin(x)", "--at", "x=1,y=2")
    rows = derivative_rows(out)
    assert status == 0
    assert "gradient" in out
    assert set(rows) == {"x", "y"}
    for value in rows["x"][:3]:
        assert value == pytest.approx(2 + math.cos(1), rel=1e-8)
    for value in rows["y"][:3]:
        assert value == pytest.approx(1.0, rel=1e-8)


def test_diff_takes_variables_in_any_order_and_in_repeated_at_options(capsys):
    _, together, _ = run(capsys, "diff", "x / y", "--at", "y=4,x=3")
    _, repeated, _ = run(capsys, "diff", "x / y", "--at", "x=3", "--at", "y=4")
    assert together == repeated
    assert derivative_rows(together)["x"][1] == pytest.approx(1 / 4)
    assert derivative_rows(together)["y"][1] == pytest.approx(-3 / 16)


# --- wengert diff, mistakes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["x**", "--at", "x=1"], "malformed expression"),
        (["(x + 1", "--at", "x=1"], "never closed"),
        (["foo(x)", "--at", "x=1"], "unknown function 'foo'"),
        (["epx(x)", "--at", "x=1"], "did you mean exp"),
        (["x^2", "--at", "x=1"], "write x**2"),
        (["exp(x, x)", "--at", "x=1"], "exp takes 1 argument"),
        (["np.exp(x)", "--at", "x=1"], "exp(...)"),
        (["__import__('os').system('true')", "--at", "x=1"], "not allowed"),
        (["x**2", "--at", "y=1"], "not a variable"),
        (["x**2", "--at", "x=abc"], "'abc' is not a number"),
        (["x**2", "--at", "x"], "NAME=VALUE"),
        (["x**2", "--at", "x=nan"], "finite number"),
        (["x**2", "--at", "x=1,"], "empty item"),
        (["x**2", "--at", "x=1,x=2"], "twice"),
        (["x*e", "--at", "x=1,e=2"], "constant"),
        (["x*y", "--at", "x=1"], "missing value for y"),
        (["x**2"], "missing value for x"),
        (["2 + 3"], "no variables"),
    ],
)
def test_diff_mistake_prints_one_line_naming_it_and_exits_2(capsys, argv, named):
    status, out, err = run(capsys, "diff", *argv)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("wengert diff: error: ")
    assert named in err
    assert "Traceback" not in err


def test_help_of_command_and_of_diff_exit_0(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "diff" in out and "usage: wengert" in out
    status, out, _ = run(capsys, "diff", "--help")
    assert status == 0 and "--at" in out and "exp" in out


def test_console_script_runs_diff():
    script = Path(sys.executable).with_name("wengert")
    command = str(script) if script.exists() else shutil.which("wengert")
    assert command, "the `wengert` console script is not installed; run `pip install -e .`"
    done = subprocess.run(
        [command, "diff", "x**3 * exp(-x)", "--at", "x=1.5"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "v1 = power x 3" in done.stdout
    bad = subprocess.run([command, "diff", "x**", "--at", "x=1"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert len(bad.stderr.splitlines()) == 1 and "Traceback" not in bad.stderr


# --- the expression parser ----------------------------------------------------------------------


def test_expression_variables_are_in_order_of_first_appearance():
    assert parse_expression("y * exp(x) + y + pi").variables == ("y", "x")


def test_expression_is_parsed_not_run_as_python(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ExpressionError):
        parse_expression(f"__import__('pathlib').Path('{marker}').touch()")
    assert not marker.exists()


def test_expression_nested_too_deep_is_an_error_not_a_crash():
    with pytest.raises(ExpressionError, match="deep"):
        parse_expression("+".join(["x"] * 1000))
    with pytest.raises(ExpressionError):
        parse_expression("-" * 100_000 + "x")


def _domain_point(name: str) -> float:
    """A point inside the domain of every table function (arccosh needs x > 1)."""
    return 1.4 if name == "arccosh" else 0.4


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_of_the_table_differentiates_like_central_differences(name):
    arity = FUNCTIONS[name][1]
    text = f"{name}(x)" if arity == 1 else f"{name}(x, 0.7 * y)"
    expression = parse_expression(text)
    point = (_domain_point(name),) * len(expression.variables)
    gradient = wengert.grad(expression, argnums=tuple(range(len(point))))(*point)
    for index, partial in enumerate(gradient):
        step = 1e-6
        shifted = [list(point), list(point)]
        shifted[0][index] += step
        shifted[1][index] -= step
        central = (float(expression(*shifted[0])) - float(expression(*shifted[1]))) / (2 * step)
        assert float(partial) == pytest.approx(central, rel=1e-6, abs=1e-8), (name, index)


# --- the evaluation trace -----------------------------------------------------------------------


def test_evaluation_trace_shows_untraced_constants_as_values():
    trace = evaluation_trace(lambda x: 2.0 * x + 1.0, 3.0)
    assert [e.definition() for e in trace.equations] == ["v1 = multiply 2 x", "v2 = add v1 1"]
    assert trace.output == "v2"
    assert trace.equations[-1].value == 7.0


def test_evaluation_trace_numbers_intermediates_around_argument_names():
    trace = evaluation_trace(lambda v1: v1 + wnp.exp(v1), 0.5, names=["v1"])
    assert [e.definition() for e in trace.equations] == ["v2 = exp v1", "v3 = add v1 v2"]


def test_evaluation_trace_names_output_that_is_an_argument_or_a_constant():
    assert evaluation_trace(lambda x, y: y, 1.0, 2.0, names=["x", "y"]).output == "y"
    assert evaluation_trace(lambda x: 4.0, 1.0).output == "4"
    assert evaluation_trace(lambda x: 4.0, 1.0).equations == ()


def test_evaluation_trace_prints_params_and_array_values():
    trace = evaluation_trace(lambda x: wnp.sum(x * x, axis=0), np.array([1.0, 2.0]))
    assert str(trace).splitlines()[-2].startswith("v2 = reduce_sum[axis=(0,)")
    assert str(trace).splitlines()[1].endswith("= [1., 4.]")


def test_evaluation_trace_rejects_names_that_do_not_fit_the_arguments():
    with pytest.raises(wengert.errors.TransformError, match="one distinct name"):
        evaluation_trace(lambda x, y: x * y, 1.0, 2.0, names=["x", "x"])


def _table(out: str) -> dict[str, list[str]]:
    """The rows of the tangent/adjoint table: definition -> its number cells."""
    body = out.split("one row per primitive:")[1]
    rows = {}
    for line in body.splitlines():
        cells = re.split(r"\s{3,}", line.strip())
        if len(cells) >= 2 and cells[0] and cells[1] != "value":
            rows[cells[0]] = cells[1:]
    return rows


def test_diff_tangents_and_adjoints_print_the_textbook_table(capsys):
    status, out, _ = run(capsys, "diff", "(a*b)*(b+1)", "--at", "a=2,b=3", "--tangents", "b", "--adjoints")
    assert status == 0
    rows = _table(out)
    assert rows["a"] == ["2", "0", "12"] and rows["b"] == ["3", "1", "14"]
    assert rows["v1 = multiply a b"] == ["6", "2", "4"] and rows["v2 = add b 1"] == ["4", "1", "6"]
    assert rows["v3 = multiply v1 v2"] == ["24", "14", "1"]  # the tangent of the output is df/db
    assert "forward mode seeded db/db = 1" in out and "reverse mode seeded df/df = 1" in out


def test_diff_adjoints_alone_agree_with_grad(capsys):
    status, out, _ = run(capsys, "diff", "x**3 * exp(-x)", "--at", "x=1.5", "--adjoints")
    rows = _table(out)
    assert float(rows["x"][1]) == pytest.approx(float(wengert.grad(parse_expression("x**3 * exp(-x)"))(1.5)), rel=1e-5)
    assert "tangent" not in out.split("one row per primitive:")[1]


def test_diff_tangents_of_an_unknown_variable_is_a_one_line_error(capsys):
    status, out, err = run(capsys, "diff", "x*y", "--at", "x=1,y=2", "--tangents", "z")
    assert status == 2 and out == ""
    assert err.strip() == "wengert diff: error: --tangents z: z is not a variable of 'x*y' (its variables: x, y)"


def test_the_examples_in_the_expression_sweeps_docstring_run():
    result = doctest.testmod(expression_sweep, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
