"""Every registry case: reverse mode by transposition equals reverse mode on the tape, orders 1 and 2.

``vjp(f, x, method="transpose")`` is ``linear_transpose(linearize(f, x))``:
forward mode with staged tangents, then the staged linear program run
backwards. It must agree with the tape on every function, and Hessian-vector
products through it (by forward mode, by the tape, and by transposition
again) must agree with the tape over the tape. The checks live in
``tests/sweep.py``.
"""

import pytest

from tests import sweep
from tests.registry import all_cases

CASES = all_cases()


def _cases(predicate):
    return [pytest.param(case, id=case.name) for case in CASES if predicate(case)]


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 1))
def test_transposition_vjp_equals_tape_vjp(case):
    sweep.check_transpose_matches_tape(case)


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 2))
def test_hessian_vector_products_through_transposition_equal_the_tapes(case):
    sweep.check_transpose_second_order(case)
