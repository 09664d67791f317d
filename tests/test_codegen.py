"""Program.to_source and compile_program: readable NumPy source that runs and gives the program's results."""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
import wengert.scipy.special as wsp
from tests.sweep import run_source
from wengert import trace
from wengert._src.core.codegen import compile_program, literal
from wengert.errors import TransformError


def _run(program, *args):
    return run_source(program.to_source(), wengert.tree_leaves(tuple(args)))


def test_one_line_per_equation_with_the_programs_names():
    program = trace(lambda x, y: wnp.sum(wnp.exp(x * y), axis=0))(np.ones((2, 3)), np.ones(3))
    source = program.to_source()
    body = source.split("def f(t1, t2):\n")[1].splitlines()
    assert body == [
        "    t3 = t1 * t2",
        "    t4 = np.exp(t3)",
        "    t5 = np.add.reduce(t4, axis=(0,), keepdims=False)",
        "    return t5",
    ]


def test_derivative_programs_compile_and_run():
    def f(x):
        return wnp.sum(wnp.tanh(x @ x.T) ** 2)

    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    program = trace(wengert.grad(f))(x)
    np.testing.assert_allclose(_run(program, x), wengert.grad(f)(x), rtol=1e-14)


def test_constants_are_written_exactly():
    table = np.array([np.pi, -0.0, np.inf, -np.inf, 1e-300, np.nan])
    program = trace(lambda x: x * table)(np.ones(6))
    np.testing.assert_array_equal(_run(program, np.ones(6)), table)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2.0"),
        (-0.5, "(-0.5)"),
        (-3, "(-3)"),
        (np.float32(0.5), "np.float32(0.5)"),
        (True, "True"),
        (float("nan"), "np.nan"),
        (float("-inf"), "(-np.inf)"),
    ],
)
def test_literals_keep_their_type_and_parse_inside_expressions(value, text):
    assert literal(value) == text
    assert eval(f"2 ** {text}", {"np": np}) is not None


def test_float32_literals_keep_float32_results():
    x = np.ones(3, np.float32)
    program = trace(lambda x: x * np.float32(0.5) + 1.0)(x)
    out = _run(program, x)
    assert out.dtype == np.float32 and np.all(out == 1.5)


def test_indexing_scatters_and_multiple_results():
    x = np.arange(20.0).reshape(4, 5)
    idx = np.array([0, 2, 0])

    def f(x):
        return (
            x[1:3, None, ...],
            x[idx],
            wnp.at(x)[idx].add(1.0),
            wnp.at(x)[1:, ::2].set(-1.0),
            wnp.at(x)[idx, 1].add(x[idx, 2]),
        )

    program = trace(f)(x)
    for got, want in zip(_run(program, x), program(x)):
        np.testing.assert_array_equal(got, want)


def test_scatter_add_by_bincount_equals_add_at_with_repeated_indices():
    rng = np.random.default_rng(0)
    table, rows = rng.standard_normal((7, 3)), rng.integers(0, 7, size=(40, 2))

    def f(table):
        return wnp.sum(wnp.sin(table[rows]))

    program = trace(wengert.grad(f))(table)
    compiled, source = compile_program(program)
    assert "np.bincount" in source and "np.add.at" not in source
    np.testing.assert_allclose(compiled(table)[0], wengert.grad(f)(table), rtol=1e-14)


def test_primitives_without_a_template_call_an_importable_implementation():
    x = np.array([0.3, 0.9])
    program = trace(lambda x: wsp.erf(x) + wnp.linalg.det(wnp.outer(x, x) + np.eye(2)))(x)
    source = program.to_source()
    assert "from wengert._src.primitives import" in source
    np.testing.assert_allclose(_run(program, x), program(x), rtol=1e-15)


def test_fusion_writes_only_into_fresh_single_use_arrays():
    def f(x, y):
        a = wnp.exp(x)  # fresh, used twice: never overwritten
        b = wnp.sin(a) * 2.0 + 1.0  # a chain: one array
        return b * a, y * 3.0 - 1.0  # y is an input: never overwritten

    x, y = np.linspace(0.0, 1.0, 4), np.linspace(1.0, 2.0, 4)
    program = trace(f)(x, y)
    compiled, source = compile_program(program)
    assert source.count("out=") >= 3
    assert "out=t1" not in source and "out=t2" not in source and "out=t3" not in source
    before = (x.copy(), y.copy())
    for got, want in zip(compiled(x, y), f(x, y)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(y, before[1])


def test_scalars_are_never_written_in_place():
    x = np.float64(0.5)
    program = trace(lambda x: wnp.exp(wnp.sin(x) * 2.0))(x)
    compiled, source = compile_program(program)
    assert "out=" not in source
    assert compiled(x)[0] == pytest.approx(np.exp(np.sin(0.5) * 2.0))


def test_a_parameter_that_is_not_source_is_refused_by_to_source():
    class Opaque:
        pass

    from wengert._src.core.codegen import _Generator

    with pytest.raises(TransformError, match="cannot be written as source"):
        _Generator(inline_constants=True, fuse=False).param(Opaque())
