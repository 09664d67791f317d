"""A tape longer than the compiled backward pass's limit drops the arrays no rule reads, small ones too.

Measured with ``tracemalloc`` (NumPy's allocations byte for byte, whatever the machine's load):
a chain of ``x + 1`` (HIPS autograd's "needless nodes": no rule reads a value) keeps the arrays of its first
``LONG_TAPE_ENTRIES`` entries (8 KiB each, under the per-array threshold of a short tape) and
none beyond, so a long program holds what a short one does, not an array per operation; and its
gradient is unchanged.
"""

import tracemalloc

import numpy as np

import wengert
from wengert._src.transforms.saved_values import KEPT_BELOW_BYTES, LONG_TAPE_ENTRIES

SIZE = 1024  # float64 elements: 8 KiB, kept on a short tape, dropped on a long one
STEPS = 3 * LONG_TAPE_ENTRIES


def additions(x):
    for _ in range(STEPS):
        x = x + 1.0
    return x


def test_a_long_tape_keeps_no_array_per_operation_beyond_the_limit():
    assert SIZE * 8 < KEPT_BELOW_BYTES  # a short tape would keep every one of them
    x = np.linspace(0.0, 1.0, SIZE)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out, pullback = wengert.vjp(additions, x)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    per_step = SIZE * 8
    assert held < (LONG_TAPE_ENTRIES + STEPS // 4) * per_step  # the first LONG_TAPE_ENTRIES only, not STEPS
    (gradient,) = pullback(np.ones(SIZE))
    np.testing.assert_array_equal(gradient, np.ones(SIZE))
    np.testing.assert_allclose(out, x + STEPS, rtol=1e-15)


def test_a_long_tape_of_arrays_its_rules_read_keeps_them_and_differentiates_exactly():
    def f(x):
        for _ in range(STEPS // 2):
            x = np.float64(0.5) * x + 0.25 * x * x  # the product's rule reads x
        return wengert.numpy.sum(x)

    x = np.linspace(0.1, 0.2, SIZE)
    eager = wengert.grad(f)(x)
    want = np.ones(SIZE)
    values = [x]
    for _ in range(STEPS // 2):
        values.append(0.5 * values[-1] + 0.25 * values[-1] ** 2)
    for v in reversed(values[:-1]):
        want = want * (0.5 + 0.5 * v)
    np.testing.assert_allclose(eager, want, rtol=1e-12)
