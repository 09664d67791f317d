"""Every registry case, every family: values, both modes, finite differences, order 2, float32.

The checks themselves live in ``tests/sweep.py``; a new case in
``tests/registry`` is swept here without further code.
"""

import pytest

from tests import sweep
from tests.registry import all_cases

CASES = all_cases()


def _cases(predicate):
    return [pytest.param(case, id=case.name) for case in CASES if predicate(case)]


@pytest.mark.parametrize("case", _cases(lambda c: c.numpy_fn is not None))
def test_value_matches_numpy(case):
    sweep.check_value(case)


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 1))
def test_forward_mode_matches_finite_differences(case):
    sweep.check_forward(case)


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 1))
def test_reverse_mode_is_the_transpose_of_forward_mode(case):
    sweep.check_reverse(case)


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 1))
def test_the_compiled_backward_pass_matches_the_eager_one(case):
    sweep.check_compiled_backward(case)


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 2))
def test_hessian_vector_products_agree_in_every_nesting_of_modes(case):
    sweep.check_second_order(case)


@pytest.mark.parametrize("case", _cases(lambda c: c.float32))
def test_float32_inputs_give_float32_results_close_to_float64(case):
    sweep.check_float32(case)


@pytest.mark.parametrize("case", _cases(lambda c: c.order == 0))
def test_non_differentiable_functions_carry_no_derivative(case):
    sweep.check_no_derivative(case)
