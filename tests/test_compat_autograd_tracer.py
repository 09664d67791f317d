"""autograd's ``tracer.Node`` on wengert: a user's node class sees every primitive, as on autograd."""

import numpy as np
import pytest

import wengert.compat.autograd as wag
import wengert.compat.autograd.numpy as wnp
from wengert.compat.autograd import tracer as wtracer

pytest.importorskip("autograd")
import autograd  # noqa: E402
import autograd.numpy as anp  # noqa: E402
from autograd import tracer as atracer  # noqa: E402


def recorder(node_base):
    """A node class (as autograd's print_trace example writes one) logging each primitive to a shared list."""

    class RecordNode(node_base):
        def __init__(self, value, fun, args, kwargs, parent_argnums, parents):
            self.log = parents[0].log
            self.name = f"v{len(self.log)}"
            shown = [parents[parent_argnums.index(i)].name if i in parent_argnums else a for i, a in enumerate(args)]
            self.log.append((fun.__name__, shown, float(value)))

        def initialize_root(self, log):
            self.log, self.name = log, "x"

    return RecordNode


def traced(node_base, trace, f, x):
    log = []
    value, end_node = trace(recorder(node_base).new_root(log), f, x)
    return float(value), end_node.name, log


def test_a_user_node_sees_each_primitive_with_its_parents_as_on_autograd():
    def f(np_):
        return lambda x: (np_.sin(x + x) + np_.exp(x) - 0.5) / 2

    ours = traced(wtracer.Node, wtracer.trace, f(wnp), 1.23)
    theirs = traced(atracer.Node, atracer.trace, f(anp), 1.23)
    assert ours[:2] == theirs[:2]
    assert [(name, args) for name, args, _ in ours[2]] == [(name, args) for name, args, _ in theirs[2]]
    np.testing.assert_allclose([v for *_, v in ours[2]], [v for *_, v in theirs[2]], rtol=1e-15)
    assert [name for name, *_ in ours[2]] == ["add", "sin", "exp", "add", "subtract", "divide"]


def test_a_trace_through_grad_records_the_backward_pass_and_returns_the_derivative():
    def f(np_):
        return lambda x: np_.sin(x) * x

    value, end_name, log = traced(wtracer.Node, wtracer.trace, wag.grad(f(wnp)), 0.7)
    assert value == pytest.approx(np.cos(0.7) * 0.7 + np.sin(0.7), rel=1e-15)
    assert value == traced(atracer.Node, atracer.trace, autograd.grad(f(anp)), 0.7)[0]
    assert log[-1][1][0] != "x" and end_name == f"v{len(log) - 1}"  # the last node is the sum of two cotangents


def test_an_output_that_ignores_the_input_warns_and_has_no_end_node():
    with pytest.warns(UserWarning, match="independent of input"):
        value, end_node = wtracer.trace(recorder(wtracer.Node).new_root([]), lambda x: 3.0, 1.0)
    assert (value, end_node) == (3.0, None)


def test_a_node_class_without_the_interface_says_what_to_define():
    class Bare(wtracer.Node):
        pass

    with pytest.raises(NotImplementedError, match="initialize_root"):
        Bare.new_root(1.0)
