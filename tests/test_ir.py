"""Specification of the Wengert list: ``wengert.trace`` and ``Program`` (print, run, count, pytrees).

A program is what staging records: inputs, one equation per primitive,
outputs, captured constants and the pytree structure of both ends. It prints
like a textbook evaluation trace, runs like the function, counts its
operations, and the derivative program is a program like any other.
"""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import Program, trace
from wengert._src.core.ir import Literal
from wengert._src.core.primitive import Primitive
from wengert._src.primitives import contractions, elementwise, indexing, linalg, reductions, special, structural
from wengert._src.transforms.stage import stage
from wengert.errors import DtypeError, PytreeError, ShapeError, TracerError


def _lines(program: Program) -> list[str]:
    return str(program).splitlines()


# --- printing ------------------------------------------------------------------------------------------


def test_a_program_prints_inputs_then_one_equation_per_line_then_outputs():
    program = trace(lambda x, y: wnp.sin(x * y))(np.ones((32, 200)), np.ones((32, 200)))
    assert _lines(program) == [
        "input  t1, t2        :: f64[32,200], f64[32,200]",
        "t3 = multiply t1 t2  :: f64[32,200]",
        "t4 = sin t3          :: f64[32,200]",
        "output t4            :: f64[32,200]",
    ]


def test_parameters_print_compactly_in_brackets():
    program = trace(lambda x: wnp.sum(x[1:, None], axis=0))(np.ones(3, np.float32))
    assert _lines(program)[1:3] == [
        "t2 = getitem[idx=(1:, None)] t1                :: f32[2,1]",
        "t3 = reduce_sum[axis=(0,), keepdims=False] t2  :: f32[1]",
    ]


def test_scalars_are_literals_and_arrays_are_named_constants():
    weights = np.arange(3.0)
    program = trace(lambda x: x * weights + 2.0 + x * weights)(np.ones(3))
    text = str(program)
    assert "const  c1" in text and "c2" not in text  # the same array captured twice is one constant
    assert "add t2 2.0" in text
    assert program.consts[0] is weights


def test_numpy_scalars_are_constants_since_they_promote_unlike_python_scalars():
    program = trace(lambda x: x * np.float64(0.5) + 1.0)(np.ones(2, np.float32))
    assert "t2 = multiply t1 c1" in str(program) and "add t2 1.0" in str(program)
    assert program(np.ones(2, np.float32)).dtype == np.float64
    assert Literal(np.float32(0.5)).name == "0.5:f32"  # a literal holding one shows its dtype


def test_multiple_results_print_on_one_line():
    program = trace(wnp.linalg.eigh)(np.eye(2))
    assert any(line.startswith("t4, t5 = eigh[lower=True] t3") for line in _lines(program))


def test_pytree_inputs_and_outputs_print_in_their_structure():
    program = trace(lambda p, x: {"y": p["w"] * x, "z": (x, 1.0)})({"w": np.ones(2), "b": np.zeros(2)}, np.ones(2))
    lines = _lines(program)
    assert lines[0].startswith("input  {'b': t1, 'w': t2}, t3 ")
    assert lines[-1].startswith("output {'y': t4, 'z': (t3, 1.0)} ")


def test_sub_programs_print_indented_below_a_one_line_equation():
    def f(x, y):
        z = wengert.lax.cond(wnp.sum(x) > 0, lambda a: wnp.sin(a) * y, wnp.cos, x)
        return wengert.lax.while_loop(lambda s: wnp.sum(s) < 10.0, lambda s: s * 2.0, z)

    lines = _lines(wengert.jit(f).lower(np.ones(3), np.ones(3)))
    assert lines[3] == "t5 = cond[branches=({1 equation}, {2 equations})] t4 t2 t1  :: f64[3]"
    assert lines[4:13] == [
        "  branches[0]:",
        "    input  t1, t2                                           :: f64[3], f64[3]",
        "    t3 = cos t2                                             :: f64[3]",
        "    output t3                                               :: f64[3]",
        "  branches[1]:",
        "    input  t1, t2                                           :: f64[3], f64[3]",
        "    t3 = sin t2                                             :: f64[3]",
        "    t4 = multiply t3 t1                                     :: f64[3]",
        "    output t4                                               :: f64[3]",
    ]
    assert lines[13].startswith("t6 = while[cond_program={2 equations}, body_program={1 equation}, ")
    assert lines[14] == "  cond_program:" and lines[19] == "  body_program:"
    assert lines[-1] == "output t6                                                   :: f64[3]"


def test_repr_is_a_one_line_summary():
    assert repr(trace(wnp.sin)(1.0)) == "<Program: 1 inputs, 1 equations, 1 outputs; print() it to read it>"


# --- running -------------------------------------------------------------------------------------------


def test_a_program_runs_on_new_arguments_like_the_function():
    def f(w, x):
        return wnp.tanh(w @ x) * 2.0 - x[:2]

    rng = np.random.default_rng(0)
    program = trace(f)(rng.normal(size=(2, 3)), rng.normal(size=3))
    w, x = rng.normal(size=(2, 3)), rng.normal(size=3)
    np.testing.assert_allclose(program(w, x), f(w, x), rtol=1e-15)


def test_a_program_returns_the_functions_pytree():
    program = trace(lambda p: {"s": p[0] + p[1], "pair": (p[0], p[1] * 3.0)})((np.ones(2), np.ones(2)))
    out = program((np.zeros(2), np.ones(2)))
    assert set(out) == {"s", "pair"}
    np.testing.assert_array_equal(out["pair"][1], [3.0, 3.0])


def test_float32_stays_float32_when_a_program_runs():
    program = trace(lambda x: x * 0.5 + 1)(np.ones(3, np.float32))
    assert program(np.ones(3, np.float32)).dtype == np.float32


def test_a_program_refuses_arguments_of_other_shapes_dtypes_or_structure():
    program = trace(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(ShapeError, match="traced with shape"):
        program(np.ones(4))
    with pytest.raises(DtypeError, match="traced with dtype"):
        program(np.ones(3, np.float32))
    with pytest.raises(PytreeError, match="structure"):
        program(np.ones(3), np.ones(3))


def test_dead_code_is_not_recorded():
    def f(x):
        wnp.exp(x)  # computed and dropped
        return wnp.sin(x)

    assert trace(f)(1.0).count_ops() == {"sin": 1}


def test_static_arguments_are_not_inputs():
    program = trace(lambda x, n: x**n, static_argnums=1)(np.ones(2), 3)
    assert len(program.invars) == 1
    np.testing.assert_array_equal(program(np.full(2, 2.0)), [8.0, 8.0])


def test_python_control_flow_follows_the_example_arguments():
    def f(x):
        return wnp.sin(x) if x > 0 else wnp.cos(x)

    assert trace(f)(1.0).count_ops() == {"sin": 1}  # the comparison steered Python; no output needs it
    assert trace(f)(-1.0).count_ops() == {"cos": 1}


def test_a_program_runs_under_transforms():
    program = trace(lambda x: wnp.sin(x) * x)(0.0)
    assert float(wengert.grad(program)(1.5)) == pytest.approx(np.cos(1.5) * 1.5 + np.sin(1.5))


# --- values hidden (the staging jit uses) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x: x if x > 0 else -x,
        lambda x: float(x) * x,
        lambda x: x * int(x.sum()),
        lambda x: x[: x.argmax()],
    ],
    ids=["bool", "float", "int", "index"],
)
def test_with_values_hidden_value_dependent_python_raises_naming_the_line(f):
    with pytest.raises(TracerError, match=r"test_ir\.py:\d+.*static_argnums"):
        stage(f, (np.ones(3),), values_visible=False, purpose="jit")


def test_with_values_hidden_shapes_still_steer_python():
    program = stage(lambda x: x.reshape(len(x), 1) * x.shape[0], (np.ones(3),), values_visible=False)
    np.testing.assert_array_equal(program(np.array([-1.0, 2.0, 0.5])), [[-3.0], [6.0], [1.5]])


# --- counting ------------------------------------------------------------------------------------------


def test_operation_counts_by_primitive():
    program = trace(lambda x: wnp.sin(x) * wnp.sin(x) + x)(np.ones(4))
    assert program.count_ops() == {"sin": 2, "multiply": 1, "add": 1}


def test_flops_count_elementwise_reductions_and_matmul():
    m, k, n = 8, 5, 3
    program = trace(lambda a, b: wnp.sum(wnp.tanh(a @ b)))(np.ones((m, k)), np.ones((k, n)))
    assert program.flops() == 2 * m * k * n + m * n + m * n  # matmul, tanh, sum


def test_einsum_flops_are_a_multiply_and_an_add_per_term():
    program = trace(lambda a, b: wnp.einsum("ij,jk->ik", a, b))(np.ones((4, 5)), np.ones((5, 6)))
    assert program.flops() == 2 * 4 * 5 * 6


def test_moving_data_costs_no_flops():
    program = trace(lambda x: x.T.reshape(-1)[::2])(np.ones((3, 4)))
    assert program.flops() == 0 and sum(program.count_ops().values()) == 3


def test_every_primitive_counts_its_flops_except_argsort():
    uncounted = [
        value.name
        for module in (contractions, elementwise, indexing, linalg, reductions, special, structural)
        for value in vars(module).values()
        if isinstance(value, Primitive) and value.flops is None
    ]
    assert uncounted == ["argsort"]


# --- derivative programs -------------------------------------------------------------------------------


def test_the_gradient_program_prints_counts_and_runs():
    def f(x):
        return wnp.sum(wnp.tanh(x) * x)

    program = trace(wengert.grad(f))(np.ones(3))
    assert program.count_ops()["tanh"] == 1
    assert program.flops() > 0
    assert all(" = " in line for line in _lines(program)[2:-1])
    x = np.array([0.1, -2.0, 0.7])
    np.testing.assert_allclose(program(x), wengert.grad(f)(x), rtol=1e-15)
    namespace = {}
    exec(program.to_source("gradient"), namespace)
    np.testing.assert_allclose(namespace["gradient"](x), wengert.grad(f)(x), rtol=1e-15)


def test_the_second_derivative_is_a_program_too():
    def f(x):
        return wnp.sin(x) * x

    program = trace(wengert.grad(wengert.grad(f)))(1.0)
    assert program(0.5) == pytest.approx(2 * np.cos(0.5) - 0.5 * np.sin(0.5))


def test_grad_of_a_traced_gradient_program():
    program = trace(wengert.grad(lambda x: x**3))(1.0)
    assert float(wengert.grad(program)(2.0)) == pytest.approx(12.0)
