"""Every registry case with every value its rules do not read dropped from the tape.

The tape replaces an array no VJP rule of its entry reads by a stand-in of its shape
(``transforms/saved_values.py``), but only from 64 KiB on, and the registry's samples are
small. Here the threshold is lowered to nothing, so every such value of every case is a
stand-in, and reverse mode (as the transpose of forward mode), the compiled backward pass and
every nesting of second order must still give the derivatives they give with the values kept:
a rule that reads a value its primitive says it does not would read zeros.
"""

import pytest

from tests import sweep
from tests.registry import all_cases
from wengert._src.compile import compiled_backward
from wengert._src.transforms import reverse, saved_values

CASES = [pytest.param(case, id=case.name) for case in all_cases() if case.order >= 1]
SECOND_ORDER = [pytest.param(case, id=case.name) for case in all_cases() if case.order >= 2]


@pytest.fixture(autouse=True)
def every_unread_value_dropped(monkeypatch):
    for module in (saved_values, reverse, compiled_backward):  # the threshold, and where it is inlined
        monkeypatch.setattr(module, "KEPT_BELOW_BYTES", 0)
    compiled_backward.clear_cache()
    yield
    compiled_backward.clear_cache()


@pytest.mark.parametrize("case", CASES)
def test_reverse_mode_is_the_transpose_of_forward_mode(case):
    sweep.check_reverse(case)


@pytest.mark.parametrize("case", CASES)
def test_the_compiled_backward_pass_matches_the_eager_one(case):
    sweep.check_compiled_backward(case)


@pytest.mark.parametrize("case", SECOND_ORDER)
def test_hessian_vector_products_agree_in_every_nesting_of_modes(case):
    sweep.check_second_order(case)


def test_the_values_are_dropped_here():
    import numpy as np

    import wengert.numpy as wnp
    from wengert._src.core.primitive import new_trace

    with new_trace(reverse.ReverseTrace) as trace:
        (x,) = trace.new_inputs([np.ones(3)])
        wnp.tanh(x + 1.0)
    add, tanh = trace.tape[1:]
    assert add.args[0].strides == (0,) and add.out.strides == (0,) and tanh.args[0].strides == (0,)
    assert tanh.out.strides == (8,)  # tanh's rule reads its output
