"""Every registry case under jit and to_source: jit(f) = f, jit(grad(f)) = grad(f), exec(to_source) = f.

A case that jit cannot stage must fail with a clear :class:`TracerError` (never
a wrong program), raised where a ``wengert.numpy`` function needs the values of
its argument in Python: only functions whose result's shape depends on the
values, listed in :data:`READS_VALUES`. A case failing anywhere else, or with
another error, fails the sweep.
"""

import traceback

import pytest

import wengert
from tests import sweep
from tests.registry import all_cases
from wengert import jit, trace
from wengert.errors import TracerError

CASES = all_cases()

_SHAPE_FROM_VALUES = "its result's shape depends on the values (as in JAX, it cannot be staged)"
READS_VALUES = {
    "numpy/_math.py:where": "with one argument it is nonzero: " + _SHAPE_FROM_VALUES,
    "numpy/_creation.py:nonzero": _SHAPE_FROM_VALUES,
    "numpy/_creation.py:argwhere": _SHAPE_FROM_VALUES,
    "numpy/_creation.py:unique": _SHAPE_FROM_VALUES,
}
"""``wengert.numpy`` functions that read their argument's value in Python, and why."""


def _cases(predicate):
    return [pytest.param(case, id=case.name) for case in CASES if predicate(case)]


def _responsible_function(error: Exception) -> str:
    """``'numpy/_math.py:where'``: the innermost face function on the error's traceback."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "/wengert/" in frame.filename and "/_src/" not in frame.filename and not frame.filename.endswith("_core.py")
    ]
    if not frames:
        return "?"
    return f"{frames[-1].filename.split('/wengert/')[-1]}:{frames[-1].name}"


def _equal_or_explained(run, case) -> None:
    """``run()`` gives ``(got, want)`` that agree in values and dtypes, or fails as READS_VALUES explains."""
    try:
        got, want = run()
    except TracerError as error:
        where = _responsible_function(error)
        if where not in READS_VALUES:
            raise
        assert "jit" in str(error) and "static_argnums" in str(error), f"{case.name}: unclear error: {error}"
        pytest.xfail(f"{where} {READS_VALUES[where]}")
    got_leaves, want_leaves = sweep.leaves(got), sweep.leaves(want)
    for i, (g, w) in enumerate(zip(got_leaves, want_leaves)):
        if w.dtype.kind == "f":  # integer results (a rank, an index) may come back as Python ints
            assert g.dtype == w.dtype, f"output {i}: dtype {g.dtype}, eagerly {w.dtype}"
    sweep.assert_all_close(got_leaves, want_leaves, sweep.VALUE_RTOL, sweep.VALUE_ATOL, "jit vs eager")


@pytest.mark.parametrize("case", _cases(lambda c: True))
def test_jit_equals_eager(case):
    f, x = sweep.differentiated(case)
    _equal_or_explained(lambda: (jit(f)(*x), f(*x)), case)


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 1))
def test_jit_of_grad_equals_grad(case):
    f, x = sweep.differentiated(case)
    gradient = wengert.grad(sweep.scalarised(case, f), argnums=tuple(range(len(x))))
    _equal_or_explained(lambda: (jit(gradient)(*x), gradient(*x)), case)


@pytest.mark.parametrize("case", _cases(lambda c: c.order >= 1))
def test_grad_of_jit_equals_grad(case):
    f, x = sweep.differentiated(case)
    s = sweep.scalarised(case, f)
    argnums = tuple(range(len(x)))
    _equal_or_explained(lambda: (wengert.grad(jit(s), argnums=argnums)(*x), wengert.grad(s, argnums=argnums)(*x)), case)


@pytest.mark.parametrize("case", _cases(lambda c: True))
def test_to_source_runs_and_equals_eager(case):
    f, x = sweep.differentiated(case)

    def run():
        program = trace(f)(*x)
        out = sweep.run_source(program.to_source(), wengert.tree_leaves(tuple(x)))
        return wengert.tree_unflatten(program.out_tree, out if len(program.outvars) != 1 else [out]), f(*x)

    _equal_or_explained(run, case)
