"""The identity basis kept diagonal under vmap gives what the general rule gives, over the whole registry.

``jacrev`` maps the pullback over the identity basis of the output, ``jacfwd`` the push-forward
over that of the input, and ``vmap`` holds such a basis as its diagonal while the rules of
``transforms/diagonal_batches.py`` apply (elementwise scalings, reshapes, matrix products). The
general rule needs no batch at all: one ``vjp`` per output basis vector, one ``jvp`` per input
basis vector. For every registry case with one floating output, in float64 and float32, the
Jacobians by both modes equal those loops, and (order 2) the Hessian equals one Hessian-vector
product per basis vector. A rule that got a product, a scaling or a dtype wrong shows here.
"""

import numpy as np
import pytest

import wengert
from tests import sweep
from tests.registry import all_cases
from wengert import hessian, jacfwd, jacrev, jvp, vjp

CASES = all_cases()


def _one_float_output(case) -> bool:
    out = sweep.leaves(case.fn(*case.args))
    return len(out) == 1 and np.issubdtype(out[0].dtype, np.floating)


def _cases(predicate):
    return [pytest.param(case, id=case.name) for case in CASES if case.order >= 1 and predicate(case)]


def _in_dtype(case, dtype) -> tuple:
    return tuple(a.astype(dtype) if sweep._is_float(a) else a for a in case.args)


def _basis(value) -> list:
    """The basis vectors of ``value``'s shape and dtype, one at a time."""
    value = np.asarray(value)
    return [np.eye(value.size, dtype=value.dtype)[k].reshape(value.shape) for k in range(value.size)]


def _assert_equal_to_loop(actual, expected, dtype, what: str) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, the loop gives {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, the loop gives {expected.dtype}"
    rtol = 1e-9 if dtype == np.float64 else 1e-5
    atol = rtol * max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", _cases(_one_float_output))
def test_jacrev_equals_one_vjp_per_output_basis_vector(case, dtype):
    if dtype == np.float32 and not case.float32:
        pytest.skip("the case has no float32 sweep")
    f, x = sweep.differentiated(case, _in_dtype(case, dtype))
    argnums = tuple(range(len(x)))
    out, pullback = vjp(f, *x)
    rows = [pullback(e) for e in _basis(out)]
    for i, block in enumerate(sweep.leaves(jacrev(f, argnums=argnums)(*x))):
        expected = np.stack([np.asarray(row[i]) for row in rows]).reshape(np.shape(out) + np.shape(x[i]))
        _assert_equal_to_loop(block, expected, dtype, f"jacrev block {i} vs one vjp per basis vector")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", _cases(lambda c: _one_float_output(c) and len(c.diff_argnums) == 1))
def test_jacfwd_equals_one_jvp_per_input_basis_vector(case, dtype):
    if dtype == np.float32 and not case.float32:
        pytest.skip("the case has no float32 sweep")
    f, (x,) = sweep.differentiated(case, _in_dtype(case, dtype))
    columns = [np.asarray(jvp(f, (x,), (e,))[1]) for e in _basis(x)]
    expected = np.moveaxis(np.stack(columns), 0, -1).reshape(np.shape(f(x)) + np.shape(x))
    _assert_equal_to_loop(jacfwd(f)(x), expected, dtype, "jacfwd vs one jvp per basis vector")


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 2 and len(c.diff_argnums) == 1))
def test_hessian_equals_one_hessian_vector_product_per_basis_vector(case):
    f, (x,) = sweep.differentiated(case)
    s = sweep.scalarised(case, f)
    columns = [np.asarray(jvp(wengert.grad(s), (x,), (e,))[1]) for e in _basis(x)]
    expected = np.moveaxis(np.stack(columns), 0, -1).reshape(np.shape(x) + np.shape(x))
    _assert_equal_to_loop(hessian(s)(x), expected, np.float64, "hessian vs one Hessian-vector product per vector")
