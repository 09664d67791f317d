"""Specification of ``linearize``, ``linear_transpose`` and ``vjp(method="transpose")``.

``linearize`` is forward mode with known primals and staged tangents: its
program holds only operations linear in the tangent, and nothing that
depends on the primals alone. ``linear_transpose`` runs a linear program
backwards. Together they are reverse mode, equal to the tape. The examples of
docs/staged_programs.md run here as doctests.
"""

import doctest
import pathlib

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from tests.test_primitive_declarations import declared_primitives, linear_primitive_names
from wengert import linear_transpose, linearize
from wengert._src.transforms.transpose import UndefinedPrimal
from wengert.errors import ArgumentError, NotLinearError, PytreeError, ShapeError, TracerError

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "staged_programs.md"

LINEAR_PRIMITIVES = linear_primitive_names()
"""Every primitive that a JVP rule may apply to a tangent (with constant other operands): those
declared linear in some argument (``Primitive.linear_in``)."""

rng = np.random.default_rng(7)


def _names(program) -> set[str]:
    return {eqn.primitive.name for eqn in program.equations}


def _model(w, x):
    hidden = wnp.tanh(w["a"] @ x + w["b"])
    return wnp.sum(wnp.exp(-(hidden**2)) * wnp.log1p(hidden**2)), hidden[::2].cumsum()


def _params():
    return {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=4)}, rng.normal(size=3)


# --- linearize -----------------------------------------------------------------------------------------


def test_the_linearized_program_holds_only_linear_operations():
    w, x = _params()
    _, f_lin = linearize(_model, w, x)
    assert _names(f_lin.program) <= LINEAR_PRIMITIVES
    assert not _names(f_lin.program) & {"tanh", "exp", "log1p", "power"}


def test_primal_operations_are_computed_once_not_staged():
    # Partial evaluation: every equation of the linear program depends on the tangent input.
    w, x = _params()
    _, f_lin = linearize(_model, w, x)
    program = f_lin.program
    depends = {id(v) for v in program.invars}
    for eqn in program.equations:
        assert any(id(v) in depends for v in eqn.inputs), f"{eqn!r} depends on constants only"
        depends.update(id(v) for v in eqn.outputs)


def test_the_linear_function_is_the_jvp():
    w, x = _params()
    dw, dx = {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=4)}, rng.normal(size=3)
    out, f_lin = linearize(_model, w, x)
    expected_out, expected_tangent = wengert.jvp(_model, (w, x), (dw, dx))
    for a, b in zip(wengert.tree_leaves(out), wengert.tree_leaves(expected_out)):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    for a, b in zip(wengert.tree_leaves(f_lin(dw, dx)), wengert.tree_leaves(expected_tangent)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_printing_the_linear_function_shows_its_program():
    _, f_lin = linearize(wnp.sin, 0.5)
    assert str(f_lin).splitlines() == [
        "input  t1            :: f64[]",
        "const  c1            :: f64[]",
        "t2 = multiply t1 c1  :: f64[]",
        "output t2            :: f64[]",
    ]
    assert float(f_lin.program.consts[0]) == np.cos(0.5)


def test_outputs_that_do_not_depend_on_the_input_have_zero_tangent():
    _, f_lin = linearize(lambda x: (x * 2.0, np.ones(2)), np.ones(3))
    np.testing.assert_array_equal(f_lin(np.ones(3))[1], np.zeros(2))


def test_linearize_with_aux():
    out, f_lin, aux = linearize(lambda x: (wnp.sin(x), {"cos": wnp.cos(x)}), 1.0, has_aux=True)
    assert float(aux["cos"]) == np.cos(1.0) and not isinstance(aux["cos"], wengert._src.core.primitive.Tracer)
    assert float(f_lin(2.0)) == pytest.approx(2.0 * np.cos(1.0))


def test_linearize_refuses_integer_primals():
    with pytest.raises(wengert.errors.DtypeError, match="floating-point"):
        linearize(wnp.sin, 1)


def test_the_linear_function_refuses_the_wrong_number_of_tangents():
    _, f_lin = linearize(lambda x, y: x * y, 1.0, 2.0)
    with pytest.raises(wengert.errors.TransformError, match="one tangent per primal"):
        f_lin(1.0)


# --- linear_transpose ----------------------------------------------------------------------------------


def test_the_transpose_satisfies_the_adjoint_identity():
    # <u, J v> = <J^T u, v> for random u, v.
    w, x = _params()
    v = (w_tangent := {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=4)}, rng.normal(size=3))
    out, f_lin = linearize(_model, w, x)
    u = (rng.normal(), rng.normal(size=2))
    f_t = linear_transpose(f_lin, w, x)
    jv = wengert.tree_leaves(f_lin(*v))
    jtu = wengert.tree_leaves(f_t(u))
    forward = sum(float(np.vdot(a, b)) for a, b in zip(wengert.tree_leaves(u), jv))
    backward = sum(float(np.vdot(a, b)) for a, b in zip(jtu, wengert.tree_leaves(v)))
    assert forward == pytest.approx(backward, rel=1e-12)
    assert set(f_t(u)[0]) == set(w_tangent)


def test_a_plain_linear_function_is_transposed_by_staging_it():
    a = rng.normal(size=(3, 4))

    def linear(v, m):
        return (a @ v)[::-1] * 2.0 - wnp.sum(m, axis=0) + wnp.concatenate([v[:1], v[2:]]) @ a[:, :3].T

    v, m = rng.normal(size=4), rng.normal(size=(5, 3))
    ct = rng.normal(size=3)
    v_bar, m_bar = linear_transpose(linear, v, m)(ct)
    jacobian_v = np.stack([linear(e, np.zeros((5, 3))) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(v_bar, jacobian_v.T @ ct, rtol=1e-12)
    np.testing.assert_allclose(m_bar, -np.broadcast_to(ct, (5, 3)), rtol=1e-12)


def test_transposing_twice_gives_the_function_back():
    a = rng.normal(size=(3, 4))
    v = rng.normal(size=4)
    f_t = linear_transpose(lambda x: a @ x, v)
    f_tt = linear_transpose(lambda u: f_t(u)[0], np.zeros(3))
    np.testing.assert_allclose(f_tt(v)[0], a @ v, rtol=1e-14)


@pytest.mark.parametrize(
    "f",
    [lambda v: v * v, lambda v: wnp.sin(v), lambda v: v @ v, lambda v: wnp.maximum(v, 0.0)],
    ids=["product", "sin", "matmul", "maximum"],
)
def test_a_nonlinear_function_cannot_be_transposed(f):
    with pytest.raises(NotLinearError, match="not linear in its inputs"):
        linear_transpose(f, np.ones(3))(np.ones(()) if f(np.ones(3)).shape == () else np.ones(3))


def test_a_linear_function_cannot_branch_on_its_input():
    with pytest.raises(TracerError, match=r"test_linearize_transpose\.py:\d+"):
        linear_transpose(lambda v: v if v.sum() > 0 else -v, np.ones(3))


def test_the_transpose_checks_its_cotangent():
    f_t = linear_transpose(lambda v: (v, v[0]), np.ones(3))
    with pytest.raises(PytreeError, match="structure"):
        f_t(np.ones(3))
    with pytest.raises(ShapeError, match="shape"):
        f_t((np.ones(2), 1.0))


def test_the_linear_argument_of_a_rule_has_a_shape_and_a_dtype_but_no_value():
    placeholder = UndefinedPrimal((2, 3), np.float32)
    assert (placeholder.shape, placeholder.dtype, placeholder.ndim, placeholder.size) == ((2, 3), np.float32, 2, 6)
    with pytest.raises(TypeError):
        np.ones(3) * placeholder


def test_every_linear_primitive_has_a_transpose_rule():
    # tests/test_primitive_declarations.py holds linear_in equal to the transpose rules' positions.
    arithmetic = {"neg", "add", "subtract", "multiply", "divide", "where", "reduce_sum"}
    expected = arithmetic | {"reshape", "transpose", "broadcast_to", "flip"}
    assert expected <= LINEAR_PRIMITIVES
    assert [p.name for p in declared_primitives() if p.linear_in and p.transposes is None] == []


# --- reverse mode by construction ----------------------------------------------------------------------


def test_vjp_by_transposition_equals_the_tape():
    w, x = _params()
    out, pullback = wengert.vjp(_model, w, x, method="transpose")
    out_tape, pullback_tape = wengert.vjp(_model, w, x)
    u = (1.5, rng.normal(size=2))
    for a, b in zip(wengert.tree_leaves(pullback(u)), wengert.tree_leaves(pullback_tape(u))):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_vjp_by_transposition_with_aux():
    out, pullback, aux = wengert.vjp(lambda x: (wnp.sin(x), x * 2.0), 1.0, has_aux=True, method="transpose")
    assert float(aux) == 2.0
    assert float(pullback(1.0)[0]) == pytest.approx(np.cos(1.0))


def test_an_unknown_vjp_method_is_refused():
    with pytest.raises(ArgumentError, match="'tape'.*'transpose'"):
        wengert.vjp(wnp.sin, 1.0, method="backwards")


def test_the_transposition_gradient_differentiates_again():
    def gradient(x):
        _, pullback = wengert.vjp(lambda y: wnp.sum(wnp.sin(y) * y), x, method="transpose")
        return pullback(1.0)[0]

    x = np.array([0.3, 1.2])
    expected = 2 * np.cos(x) - x * np.sin(x)
    np.testing.assert_allclose(wengert.jvp(gradient, (x,), (np.ones(2),))[1], expected, rtol=1e-12)
    np.testing.assert_allclose(wengert.grad(lambda y: wnp.sum(gradient(y)))(x), expected, rtol=1e-12)


def test_the_transposition_gradient_float32_stays_float32():
    _, pullback = wengert.vjp(lambda y: wnp.tanh(y) * 0.5, np.ones(3, np.float32), method="transpose")
    assert pullback(np.ones(3, np.float32))[0].dtype == np.float32


# --- the documentation ---------------------------------------------------------------------------------


def test_the_staged_programs_page_runs_as_written():
    results = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert results.attempted > 10
    assert results.failed == 0
