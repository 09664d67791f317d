"""The memory of reverse mode: the tape keeps what derivative rules read, and frees it once used.

Measured with ``tracemalloc``, which counts NumPy's allocations byte for byte: each figure is
the same on every run, whatever the machine's load.
"""

import tracemalloc

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp

SHAPE = (256, 256)
ARRAY = 256 * 256 * 8  # bytes of one float64 array of SHAPE
STEPS = 40


def _peak_and_result(f, *args):
    """``(peak bytes allocated while f runs, above what was allocated before, f's result)``."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = f(*args)
        return tracemalloc.get_traced_memory()[1] - before, result
    finally:
        tracemalloc.stop()


def additions(x):
    """HIPS autograd's "needless nodes": x + 1, STEPS times; no derivative rule reads a value."""
    for _ in range(STEPS):
        x = x + 1.0
    return wnp.sum(x)


def test_a_chain_of_additions_keeps_no_array_per_step():
    x = np.random.default_rng(0).normal(size=SHAPE)
    peak, gradient = _peak_and_result(wengert.grad(additions), x)
    np.testing.assert_array_equal(gradient, np.ones(SHAPE))
    assert peak < 4 * ARRAY, f"peak {peak / ARRAY:.1f} arrays for {STEPS} additions; two or three are live at once"


def tanh_layers(x):
    """tanh(x + 1), STEPS times: tanh's rule reads its output, never its input (the sum)."""
    for _ in range(STEPS):
        x = wnp.tanh(x + 1.0)
    return wnp.sum(x)


def test_an_entry_keeps_the_output_its_rule_reads_and_not_its_input():
    x = np.random.default_rng(1).normal(size=SHAPE)
    peak, gradient = _peak_and_result(wengert.grad(tanh_layers), x)
    np.testing.assert_allclose(gradient, wengert.grad(tanh_layers)(x), rtol=0, atol=0)
    # STEPS saved outputs of tanh; the sums x + 1 (another STEPS arrays) are freed as they are used.
    assert STEPS * ARRAY <= peak < (STEPS + 4) * ARRAY, f"peak {peak / ARRAY:.1f} arrays for {STEPS} tanh layers"


def test_saved_values_are_freed_as_the_backward_pass_passes_them():
    """A custom rule at the start of the program runs last in the backward pass: by then the
    pass has pulled back through every tanh, and the values they saved are gone."""
    live_at_the_end = []

    @wengert.custom_vjp
    def observed(x):
        return x * 1.0

    def observed_fwd(x):
        return x * 1.0, None

    def observed_bwd(_, g):
        live_at_the_end.append(tracemalloc.get_traced_memory()[0])
        return (g,)

    observed.defvjp(observed_fwd, observed_bwd)
    x = np.random.default_rng(2).normal(size=SHAPE)
    peak, _ = _peak_and_result(wengert.grad(lambda x: tanh_layers(observed(x))), x)
    assert peak >= STEPS * ARRAY  # the forward pass saved every tanh's output
    assert live_at_the_end[0] < 6 * ARRAY, f"{live_at_the_end[0] / ARRAY:.1f} arrays still held at the end"


def test_a_pullback_called_twice_still_has_every_value_it_reads():
    x = np.random.default_rng(3).normal(size=SHAPE)
    _, pullback = wengert.vjp(tanh_layers, x)
    first, second = pullback(1.0)[0], pullback(2.0)[0]
    np.testing.assert_allclose(second, 2.0 * first, rtol=1e-15)


def product_of_sums(x):
    """``(x + 1) * sin(x + 2)``: the sums' entries keep nothing, but the product reads both sums."""
    return wnp.sum((x + 1.0) * wnp.sin(x + 2.0))


@pytest.mark.parametrize("calls", [1, 3])  # the eager backward pass, then the compiled one
def test_a_value_its_own_entry_drops_is_kept_by_the_entry_that_reads_it(calls):
    x = np.linspace(-1.0, 1.0, 20_000)  # 160 kB: large enough to be dropped
    for _ in range(calls):
        gradient = wengert.grad(product_of_sums)(x)
    np.testing.assert_allclose(gradient, np.sin(x + 2.0) + (x + 1.0) * np.cos(x + 2.0), rtol=1e-14)
