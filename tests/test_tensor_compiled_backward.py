"""``Tensor.backward`` on a graph whose structure recurs runs the compiled backward pass, with the tape's results.

A training loop builds a graph of the same structure at every step; ``backward()``
writes it as a reverse-mode tape, and from the second time it sees a structure the
compile layer's compiled backward pass (the one ``value_and_grad`` uses) computes the
leaves' gradients instead of the tape's eager pass (``reverse.pull_back_tape``). Each
test runs a step three times (eager, then compiled twice) and compares with the eager
pass alone (the cache cleared before each step), bit for bit; and checks that what the
eager pass refuses (a graph already freed, a saved value changed in place) is refused
on the compiled path too.
"""

import numpy as np
import pytest

import wengert
import wengert.nn.functional as F
from wengert import nn
from wengert._src.compile import compiled_backward
from wengert.errors import AutogradError

STEPS = 3


def _model():
    wengert.manual_seed(0)
    return nn.Sequential(
        nn.Embedding(10, 3), nn.Flatten(), nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 10)
    )


def _batches():
    generator = np.random.default_rng(1)
    return [(generator.integers(0, 10, (5, 2)), generator.integers(0, 10, 5)) for _ in range(STEPS)]


def _train(eager_only: bool) -> list:
    """The parameters' gradients after each of ``STEPS`` steps of SGD, as arrays."""
    compiled_backward.clear_cache()
    model = _model()
    optimizer = wengert.optim.SGD(model.parameters(), lr=0.1)
    gradients = []
    for X, Y in _batches():
        if eager_only:
            compiled_backward.clear_cache()
        loss = F.cross_entropy(model(X), Y)
        optimizer.zero_grad()
        loss.backward()
        gradients.append([p.grad.numpy().copy() for p in model.parameters()])
        optimizer.step()
    return gradients


def test_a_recurring_training_step_gives_the_eager_gradients_bit_for_bit():
    for step, (got, want) in enumerate(zip(_train(eager_only=False), _train(eager_only=True))):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w, err_msg=f"step {step}")


def test_the_recurring_step_is_compiled():
    compiled_backward.clear_cache()
    _train(eager_only=False)
    assert compiled_backward.cache_size() == 1


def _recurring(x, y):
    """``sum(tanh(x * y))``, built and pulled back twice first, so that its structure is compiled."""
    for _ in range(2):
        wengert.tensor(x.detach().numpy(), requires_grad=True).mul(y).tanh().sum().backward()
    return (x * y).tanh().sum()


def test_gradients_accumulate_into_grad_on_the_compiled_path():
    compiled_backward.clear_cache()
    x = wengert.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = wengert.tensor([1.0, 2.0, 3.0])
    _recurring(x, y).backward()
    first = x.grad.numpy().copy()
    _recurring(x, y).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    np.testing.assert_allclose(first, y.numpy() * (1 - np.tanh(x.detach().numpy() * y.numpy()) ** 2))


def test_a_freed_graph_is_refused_on_the_compiled_path():
    compiled_backward.clear_cache()
    x = wengert.tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = _recurring(x, wengert.tensor([1.0, 2.0, 3.0]))
    loss.backward()
    with pytest.raises(AutogradError, match="second time"):
        loss.backward()


def test_retain_graph_keeps_the_graph_on_the_compiled_path():
    compiled_backward.clear_cache()
    x = wengert.tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = _recurring(x, wengert.tensor([1.0, 2.0, 3.0]))
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_a_saved_value_changed_in_place_is_refused_on_the_compiled_path():
    compiled_backward.clear_cache()
    x = wengert.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = wengert.tensor([1.0, 2.0, 3.0])
    loss = _recurring(x, y)
    y.mul_(2.0)  # mul's rule for x reads y
    with pytest.raises(AutogradError, match="modified by an in-place operation"):
        loss.backward()


def test_a_hook_runs_on_a_recurring_structure():
    compiled_backward.clear_cache()
    x = wengert.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = wengert.tensor([1.0, 2.0, 3.0])
    seen = []
    for _ in range(STEPS):
        x.grad = None
        x.register_hook(lambda g: seen.append(g.numpy().copy()))
        (x * y).tanh().sum().backward()
    assert len(seen) == STEPS * (STEPS + 1) // 2  # each step's hook, and the earlier ones still registered


def test_a_hook_on_a_leaf_keeps_the_compiled_path():
    """A leaf's hooks run on its gradient once the pass has computed it, so its structure still compiles,
    and what the hook returns is what accumulates."""
    compiled_backward.clear_cache()
    x = wengert.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = wengert.tensor([1.0, 2.0, 3.0])
    x.register_hook(lambda g: 2 * g)
    for _ in range(STEPS):
        x.grad = None
        (x * y).tanh().sum().backward()
    assert compiled_backward.cache_size() == 1
    want = 2 * y.numpy() * (1 - np.tanh(x.detach().numpy() * y.numpy()) ** 2)
    np.testing.assert_allclose(x.grad.numpy(), want)


def test_a_hook_inside_the_graph_runs_on_the_eager_pass():
    """A hook on an intermediate tensor changes what is pulled back further, so that graph is not compiled."""
    compiled_backward.clear_cache()
    x = wengert.tensor([0.5, -1.0, 2.0], requires_grad=True)
    for _ in range(STEPS):
        x.grad = None
        h = x * 3.0
        h.register_hook(lambda g: g + 1.0)
        h.sum().backward()
    assert compiled_backward.cache_size() == 0
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0, 6.0])
