"""vmap vs a Python loop, and jacfwd vs jacrev vs finite differences, over the whole operator registry.

For each case, a batch of three slightly scaled copies of its sample arguments
(``x * (1 + k / 100)``: same signs, zeros and order, so every sample stays
where the function is smooth) goes through ``vmap(f)`` and through a Python
loop of ``f``; the results must agree. Three layouts: every floating argument
batched on axis 0; the first one batched on its last axis and the others
shared (``in_axes=None``); and the batch axis put last in the outputs
(``out_axes=-1``).

Cases that cannot be vmapped are listed in :data:`NOT_VMAPPABLE` with the
reason: their output's shape depends on the values, so each would need a
batched value's one concrete array; each raises a clear ``TracerError``
instead of a wrong answer, which the sweep checks.
"""

import numpy as np
import pytest

from tests import sweep
from tests.registry import all_cases
from wengert import jacfwd, jacrev, vmap
from wengert.errors import TracerError

CASES = all_cases()
BATCH = 3

_VALUE_DEPENDENT_SHAPE = "the output's shape depends on the values, so a batch of them has no one shape (as in JAX)"

NOT_VMAPPABLE: dict[str, str] = dict.fromkeys(
    ["wnp.nonzero", "wnp.argwhere", "wnp.unique", "wnp.where[one argument]"], _VALUE_DEPENDENT_SHAPE
)
"""Registry cases that vmap cannot run, each with the reason; each raises a clear TracerError."""


def _cases(predicate):
    return [pytest.param(case, id=case.name) for case in CASES if predicate(case)]


def _is_float(value) -> bool:
    return np.issubdtype(np.asarray(value).dtype, np.floating)


def _examples(case) -> list[tuple]:
    return [tuple(a * (1.0 + k / 100.0) if _is_float(a) else a for a in case.args) for k in range(BATCH)]


def _batched_positions(case) -> list[int]:
    """The floating arguments, or every argument when none is floating (integer labels)."""
    floats = [i for i, a in enumerate(case.args) if _is_float(a)]
    return floats or list(range(len(case.args)))


def _stacked(case, examples) -> tuple[tuple, tuple]:
    """``(in_axes, args)`` with the examples stacked on axis 0 where batched."""
    positions = _batched_positions(case)
    in_axes = tuple(0 if i in positions else None for i in range(len(case.args)))
    args = tuple(np.stack([ex[i] for ex in examples]) if i in positions else a for i, a in enumerate(case.args))
    return in_axes, args


def _loop(case, examples) -> list:
    """Each output leaf of the case, stacked over the examples along a new first axis."""
    outputs = [sweep.leaves(case.fn(*args)) for args in examples]
    return [np.stack([out[i] for out in outputs]) for i in range(len(outputs[0]))]


def _assert_batch_equal(actual: list, expected: list, what: str) -> None:
    assert len(actual) == len(expected), f"{what}: {len(actual)} outputs, the loop gives {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"{what} [{i}]: shape {a.shape}, the loop gives {e.shape}"
        assert a.dtype == e.dtype, f"{what} [{i}]: dtype {a.dtype}, the loop gives {e.dtype}"
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=f"{what} [{i}]")


def _vmappable(case) -> bool:
    return case.name not in NOT_VMAPPABLE


@pytest.mark.parametrize("case", _cases(_vmappable))
def test_vmap_on_axis_0_equals_a_loop(case):
    examples = _examples(case)
    in_axes, stacked = _stacked(case, examples)
    out = vmap(case.fn, in_axes=in_axes)(*stacked)
    _assert_batch_equal(sweep.leaves(out), _loop(case, examples), "vmap(f) vs loop")


@pytest.mark.parametrize("case", _cases(lambda c: _vmappable(c) and any(_is_float(a) for a in c.args)))
def test_vmap_over_a_last_axis_with_shared_arguments_equals_a_loop(case):
    first = next(i for i, a in enumerate(case.args) if _is_float(a))
    examples = [tuple(ex[i] if i == first else a for i, a in enumerate(case.args)) for ex in _examples(case)]
    in_axes = tuple(-1 if i == first else None for i in range(len(case.args)))
    batched = np.stack([ex[first] for ex in examples], axis=-1)
    args = tuple(batched if i == first else a for i, a in enumerate(case.args))
    out = vmap(case.fn, in_axes=in_axes)(*args)
    _assert_batch_equal(sweep.leaves(out), _loop(case, examples), "vmap(f, in_axes=(-1, None...)) vs loop")


@pytest.mark.parametrize("case", _cases(_vmappable))
def test_vmap_with_the_batch_axis_last_in_the_outputs_equals_a_loop(case):
    examples = _examples(case)
    in_axes, stacked = _stacked(case, examples)
    out = vmap(case.fn, in_axes=in_axes, out_axes=-1)(*stacked)
    expected = [np.moveaxis(e, 0, -1) for e in _loop(case, examples)]
    _assert_batch_equal(sweep.leaves(out), expected, "vmap(f, out_axes=-1) vs loop")


@pytest.mark.parametrize("case", _cases(lambda c: not _vmappable(c)))
def test_cases_vmap_cannot_run_raise_a_clear_error(case):
    in_axes, stacked = _stacked(case, _examples(case))
    with pytest.raises(TracerError, match="batched value|traced value"):
        vmap(case.fn, in_axes=in_axes)(*stacked)


# --- jacfwd vs jacrev vs finite differences ------------------------------------------------------------------


def _along(jacobian_leaves: list, tangents: list, out_count: int) -> list:
    """``J v`` per output leaf, from the Jacobian blocks (output-major, one per input leaf)."""
    blocks = iter(jacobian_leaves)
    products = []
    for _ in range(out_count):
        total = 0.0
        for v in tangents:
            total = total + np.tensordot(next(blocks), v, axes=np.ndim(v))
        products.append(np.asarray(total))
    return products


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 1))
def test_jacfwd_equals_jacrev_equals_finite_differences(case):
    """The two Jacobians agree entry by entry, and along a random direction ``v`` both equal central
    differences (``sweep.directional_difference``, which picks the step for float32 outputs too)."""
    f, x = sweep.differentiated(case)
    argnums = tuple(range(len(x)))
    forward = sweep.leaves(jacfwd(f, argnums=argnums)(*x))
    reverse = sweep.leaves(jacrev(f, argnums=argnums)(*x))
    sweep.assert_all_close(forward, reverse, 1e-9, 1e-12, "jacfwd vs jacrev")
    v = sweep.random_like(x, sweep.seeded(case, "tangents"))
    expected = sweep.directional_difference(f, x, v)
    actual = _along(forward, v, len(expected))
    sweep.assert_all_close(actual, expected, case.rtol, case.atol, "jacfwd @ v vs finite differences")
