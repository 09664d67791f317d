"""Program.to_source and compile_program: readable NumPy source that runs and gives the program's results."""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
import wengert.scipy.special as wsp
from tests.sweep import run_source
from wengert import trace
from wengert._src.compile.codegen import compile_program
from wengert._src.compile.source_text import literal
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


def test_modules_that_end_alike_are_imported_under_names_of_their_own():
    # numpy.linalg and wengert's linalg primitives once shared the alias ``_linalg``, so one import
    # shadowed the other and a call meant for NumPy reached wengert's primitive of the same name.
    def f(a, b):
        factor = wnp.linalg.cholesky(a @ a.T + 40.0 * wnp.eye(40))
        return wnp.sum(wnp.linalg.solve(a, b)) + wnp.sum(factor) + wnp.linalg.slogdet(a)[1]

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((40, 40)) + 10.0 * np.eye(40), rng.standard_normal((40, 3))
    source = trace(wengert.grad(f))(a, b).to_source()
    imports = [line for line in source.splitlines() if " as _" in line]
    aliases = [line.rsplit(" as ", 1)[1] for line in imports]
    assert len(imports) >= 2 and len(set(aliases)) == len(aliases), imports
    np.testing.assert_allclose(_run(trace(wengert.grad(f))(a, b), a, b), wengert.grad(f)(a, b), rtol=1e-12)


def test_fusion_writes_only_into_fresh_single_use_arrays():
    def f(x, y):
        a = wnp.exp(x)  # fresh, used twice: never overwritten
        b = wnp.sin(a) * 2.0 + 1.0  # a chain: one array
        return b * a, y * 3.0 - 1.0  # y is an input: never overwritten

    x, y = np.linspace(0.0, 1.0, 4), np.linspace(1.0, 2.0, 4)
    program = trace(f)(x, y)
    compiled, source = compile_program(program)
    assert source.count("out=") >= 3
    assert "out=t1" not in source and "out=t2" not in source
    lines = source.splitlines()
    last_read_of_a = max(i for i, line in enumerate(lines) if "t3" in line.split("=", 1)[-1].replace("out=t3", ""))
    assert all(i > last_read_of_a for i, line in enumerate(lines) if "out=t3" in line)  # a is reused only once dead
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

    from wengert._src.compile.generator import SourceGenerator

    with pytest.raises(TransformError, match="cannot be written as source"):
        SourceGenerator(inline_constants=True, fuse=False).param(Opaque())


# --- traced indices, buffer reuse --------------------------------------------------------------------
def _table_and_rows(dtype=np.float64):
    rng = np.random.default_rng(1)
    return rng.standard_normal((7, 3)).astype(dtype), np.array([[0, 6], [-1, 2], [2, 2], [0, -7]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_take_by_a_traced_index_gathers_by_take_and_scatters_by_bincount(dtype):
    table, rows = _table_and_rows(dtype)

    def loss(table, rows):
        return wnp.sum(wnp.sin(table[rows]) * np.arange(3.0, dtype=dtype))

    step = wengert.jit(wengert.value_and_grad(loss))
    source = step.source(table, rows)
    assert ".take(" in source and "np.bincount(" in source
    assert "broadcast_to" not in source and "add.at" not in source and "along_axis" not in source
    (value, grad), (want_value, want_grad) = step(table, rows), wengert.value_and_grad(loss)(table, rows)
    assert grad.dtype == want_grad.dtype == dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(value, want_value, rtol=rtol)
    np.testing.assert_allclose(grad, want_grad, rtol=rtol)


def test_a_traced_index_out_of_range_raises_under_jit_as_eagerly():
    table, _ = _table_and_rows()
    step = wengert.jit(wengert.grad(lambda table, rows: wnp.sum(table[rows])))
    step(table, np.array([0, 1]))
    with pytest.raises(IndexError):
        step(table, np.array([0, 7]))


def test_one_dimensional_indices_gather_by_indexing():
    x = np.linspace(0.0, 1.0, 12).reshape(3, 4)
    labels = np.array([3, 0, -1])

    def loss(x, labels):
        return -wnp.mean(wnp.log(x + 1.0)[np.arange(3), labels])

    step = wengert.jit(wengert.grad(loss))
    assert "along_axis" not in step.source(x, labels)
    np.testing.assert_allclose(step(x, labels), wengert.grad(loss)(x, labels), rtol=1e-14)


def test_a_dead_array_lends_its_memory_to_a_later_result_of_its_shape():
    def f(x, y):
        a = wnp.exp(x) * x  # one array (the product written into exp's), dead once summed
        b = wnp.sum(a)
        c = wnp.sin(y) + 1.0
        return b, c

    x, y = np.linspace(0.0, 1.0, 5), np.linspace(1.0, 2.0, 5)
    compiled, source = compile_program(trace(f)(x, y))
    assert "np.sin(t2, out=t4)" in source
    for got, want in zip(compiled(x, y), f(x, y)):
        np.testing.assert_allclose(got, want, rtol=1e-15)


def test_large_intermediates_are_kept_between_calls_and_never_returned():
    def f(x):
        a = wnp.tanh(x) @ x  # a large matmul result that dies inside the call
        return wnp.sum(a * a, axis=0), x * 2.0

    compiled, source = compile_program(trace(f)(np.ones((200, 200))))
    assert "_buffers = spare_buffers1.pop()" in source and "out=_buffers[0]" in source
    x1, x2 = np.linspace(-1.0, 1.0, 40000).reshape(200, 200), np.full((200, 200), 0.5)
    first = compiled(x1)
    kept = [out.copy() for out in first]
    second = compiled(x2)
    for got, want in zip(first, kept):  # the second call wrote nothing the first returned
        np.testing.assert_array_equal(got, want)
    for got, want in zip(second, f(x2)):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    assert not any(np.shares_memory(a, b) for a in first for b in second)


def test_kept_buffers_serve_concurrent_calls_each_its_own():
    from concurrent.futures import ThreadPoolExecutor

    def f(x):
        return wnp.sum(wnp.tanh(x @ x) * 3.0)

    compiled, source = compile_program(trace(f)(np.ones((128, 128))))
    assert "spare_buffers1" in source
    inputs = [np.full((128, 128), k / 1000.0) for k in range(16)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda x: compiled(x)[0], inputs * 4))
    np.testing.assert_allclose(results, [f(x) for x in inputs] * 4, rtol=1e-13)
