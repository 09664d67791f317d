"""``wnp.tensordot`` and N-D ``wnp.dot`` are one ``tensordot`` operation; ``wnp.dot`` of plain matrices is NumPy's.

Their values and derivatives (both modes, order 2, float32, vmap, jit, against NumPy, autograd and
JAX) are the registry's ``wnp.dot`` and ``wnp.tensordot`` cases; these tests hold what the sweeps
do not: how many operations a program records, and the errors.
"""

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert.errors import ShapeError

RNG = np.random.default_rng(0)
A4, B4 = RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal((2, 3, 5, 4))


def _primitives(fun, *args) -> list[str]:
    return [eqn.primitive.name for eqn in wengert.trace(fun)(*args).equations]


def test_a_dot_of_4d_arrays_records_one_operation_and_equals_numpys():
    assert _primitives(wnp.dot, A4, B4) == ["tensordot"]
    np.testing.assert_allclose(wnp.dot(A4, B4), np.dot(A4, B4), rtol=1e-13, atol=1e-14)


def test_tensordot_records_one_operation_for_any_pairing_of_axes():
    a, b = RNG.standard_normal((3, 2, 4)), RNG.standard_normal((4, 5, 3))
    assert _primitives(lambda a, b: wnp.tensordot(a, b, axes=([2, 0], [0, 2])), a, b) == ["tensordot"]
    np.testing.assert_array_equal(wnp.tensordot(a, b, axes=([2, 0], [0, 2])), np.tensordot(a, b, ([2, 0], [0, 2])))


def test_its_gradient_records_one_contraction_per_operand_and_no_transpose_where_the_axes_line_up():
    grad = wengert.grad(lambda a, b: wnp.sum(wnp.dot(a, b) ** 2), argnums=(0, 1))
    assert _primitives(grad, A4, B4).count("tensordot") == 3  # the product, then one per cotangent


def test_dot_of_plain_matrices_is_numpys_dot():
    m, v = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    for a, b in ((m, v), (v, m.T), (m, m.T), (v, v)):
        np.testing.assert_array_equal(wnp.dot(a, b), np.dot(a, b))


def test_misaligned_operands_are_shape_errors_that_say_which_axes():
    with pytest.raises(ShapeError, match=r"dot: shapes \(2, 3, 4, 5\) and \(2, 3, 4, 5\) do not align"):
        wnp.dot(A4, A4)
    with pytest.raises(ShapeError, match="matmul: shapes"):
        wnp.dot(np.ones((2, 3)), np.ones((2, 3)))


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        (([0, 1], [0]), "2 axes of a are paired with 1 of b"),
        (([0, 0], [0, 1]), "repeat an axis"),
        (([4], [0]), "axis 4 is out of range for a"),
        (([1], [1]), "axis 1 of .* and axis 1 of .* differ"),
    ],
)
def test_tensordot_refuses_axes_numpy_refuses_with_a_shape_error(axes, message):
    with pytest.raises(ShapeError, match=message):
        wnp.tensordot(np.ones((2, 3, 4)), np.ones((2, 5, 3)), axes=axes)
