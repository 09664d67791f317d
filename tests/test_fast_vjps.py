"""Every declared fast VJP computes what its general rule computes, and only the tape's loop calls it.

A primitive's ``fast_vjps`` (``Primitive``'s docstring) are NumPy forms of some of its VJP rules,
which ``reverse.pull_back_tape`` calls instead of the general rules where the tape holds no tracer
and the cotangent is not one either. The general rules are pure wengert operations (they serve staging,
``jit``, the compiled backward pass and every order). So that the two cannot drift:

* every registry case's backward pass (``wengert.vjp``, float64 and float32, with the tape's
  values kept and with every value no general rule reads dropped) runs with each fast VJP checked
  against its general rule at the very entry, on the very cotangent, it is called with: the same
  shape, dtype and bits (one justified tolerance, :data:`ROUNDED_ONCE`), and its inputs left as
  they were;
* every declared fast VJP is exercised by some registry case, in float64 and in float32;
* no general rule (nor a helper of its family that it calls) tests for plain arrays again
  (``Tracer``, ``ndarray``), bar the uses :data:`NOT_A_SPEED_PATH` lists with why;
* transforms that stage or nest (``jit``, the compiled backward pass, ``grad`` of ``grad``,
  ``jacrev``, a pullback under ``jvp``) never hand a fast VJP a tracer.
"""

import dis
import functools
import importlib
import inspect
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from tests import sweep
from tests.registry import all_cases
from wengert._src import primitives
from wengert._src.compile import compiled_backward
from wengert._src.core.primitive import Primitive, Tracer
from wengert._src.primitives import elementwise, indexing
from wengert._src.primitives.rules import PerPosition, _JointRule
from wengert._src.transforms import reverse, saved_values

SRC = Path(wengert.__file__).parent


def declared_primitives() -> list[Primitive]:
    """Every primitive declared in a module of ``_src/primitives/``, once each."""
    found: dict[int, Primitive] = {}
    for info in pkgutil.iter_modules(primitives.__path__):
        module = importlib.import_module(f"{primitives.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Primitive):
                found.setdefault(id(value), value)
    return list(found.values())


PRIMITIVES = declared_primitives()
FAST = [prim for prim in PRIMITIVES if prim.fast_vjps is not None]
DECLARED = {
    (prim, position)
    for prim in FAST
    for position, (fast, general) in enumerate(zip(prim.fast_vjps, prim.vjps))
    if fast is not general
}
"""``(primitive, argument position)`` of every fast VJP declared (the others are the general rules)."""

ROUNDED_ONCE = {indexing.getitem}
"""Fast VJPs whose float32 results may differ from the general rule's in rounding, and why: the
gather's scatter-add sums the cotangents of a repeated position in float64 and rounds once
(``np.bincount``, as the compiled pass writes it), where the general rule's ``index_add`` rounds each
float32 addition (``np.add.at``). Recursive summation of ``n`` terms is off the exact sum by at most
``(n - 1) u Σ|g_i|`` (``u`` = float32's unit roundoff), a single rounding by ``u |Σ g_i|``, so the two
differ by at most ``n u Σ|g_i|`` with ``n`` the number of cotangents; :func:`_rounding_bound` allows
``n eps Σ|g_i|`` (``eps = 2u``: a margin for ``Σ|g_i|`` being itself summed in float32). In float64
both are the same additions in the same order, and are compared bit for bit."""

CASES = [pytest.param(case, id=case.name) for case in all_cases() if case.order >= 1]


# --- the registry sweep: each fast VJP beside its general rule, where the backward pass calls it --------


def _plain(value) -> bool:
    return not isinstance(value, Tracer)


def _snapshot(values) -> list:
    return [np.array(v, copy=True) if isinstance(v, np.ndarray | np.generic) else v for v in values]


def _rounding_bound(general, g, ans, args, params):
    """``n eps Σ|g_i|`` per element of the result (see :data:`ROUNDED_ONCE`)."""
    absolute = general(np.abs(g), ans, *args, **params)
    return np.size(g) * np.finfo(np.float32).eps * np.abs(np.asarray(absolute, np.float64))


def _checked(prim: Primitive, position: int, fast, general, record: list):
    """``fast``, checked at each call against ``general`` on the same values; ``record`` gets
    ``(prim, position, dtype, problem or None)``."""

    def rule(g, ans, *args, **params):
        assert _plain(g) and _plain(ans) and all(_plain(a) for a in args), f"{prim.name}: a fast VJP got a tracer"
        before = _snapshot((g, ans, *args))
        got = fast(g, ans, *args, **params)
        problem = None
        for k, (now, then) in enumerate(zip((g, ans, *args), before)):
            if isinstance(then, np.ndarray) and not np.array_equal(now, then, equal_nan=True):
                problem = f"the fast VJP wrote its input {k}"
        want = general(g, ans, *args, **params)
        got_a, want_a = np.asarray(got), np.asarray(want)
        if problem is None and (got_a.shape, got_a.dtype) != (want_a.shape, want_a.dtype):
            problem = f"{got_a.shape} {got_a.dtype}, the general rule's {want_a.shape} {want_a.dtype}"
        elif problem is None and prim in ROUNDED_ONCE and got_a.dtype == np.float32:
            excess = np.abs(got_a.astype(np.float64) - want_a) - _rounding_bound(general, g, ans, args, params)
            if np.any(excess > 0):
                problem = f"off the general rule by more than rounding ({np.max(excess):.3g} beyond the bound)"
        elif problem is None and not np.array_equal(got_a, want_a, equal_nan=True):
            problem = f"not the general rule's bits (largest difference {np.nanmax(np.abs(got_a - want_a)):.3g})"
        record.append((prim, position, np.asarray(g).dtype, problem))
        return got

    return rule


_outcomes: dict = {}


def outcome(case, dropped: bool) -> list:
    """``(prim, position, cotangent dtype, problem)`` for every fast VJP call of ``case``'s backward
    passes (float64, and float32 where the case has a float32 sweep), computed once per test session."""
    key = (case.name, dropped)
    if key not in _outcomes:
        with pytest.MonkeyPatch.context() as patch:
            if dropped:  # every value no general rule reads becomes a NaN stand-in (tests/test_saved_values_sweep.py)
                for module in (saved_values, reverse, compiled_backward):
                    patch.setattr(module, "KEPT_BELOW_BYTES", 0)
            record: list = []
            for prim in FAST:
                checked = tuple(
                    _checked(prim, i, fast, general, record) if fast is not general else fast
                    for i, (fast, general) in enumerate(zip(prim.fast_vjps, prim.vjps))
                )
                patch.setattr(prim, "fast_vjps", checked)
            compiled_backward.clear_cache()
            try:
                _backward_passes(case)
            finally:
                compiled_backward.clear_cache()
        _outcomes[key] = record
    return _outcomes[key]


def _backward_passes(case) -> None:
    dtypes = (np.float64, np.float32) if case.float32 else (np.float64,)
    for dtype in dtypes:
        args = tuple(a.astype(dtype) if sweep._is_float(a) else a for a in case.args) if dtype is np.float32 else None
        f, x = sweep.differentiated(case, args)
        out, pullback = wengert.vjp(f, *x)
        out_leaves, out_tree = wengert.tree_flatten(out)
        pullback(wengert.tree_unflatten(out_tree, sweep.random_like(out_leaves, sweep.seeded(case, "cotangents"))))


@pytest.mark.parametrize("dropped", [False, True], ids=["values kept", "unread values dropped"])
@pytest.mark.parametrize("case", CASES)
def test_fast_vjps_compute_what_the_general_rules_compute(case, dropped):
    problems = [
        f"{prim.name} argument {position} ({dtype}): {problem}"
        for prim, position, dtype, problem in outcome(case, dropped)
        if problem is not None
    ]
    assert problems == []


def test_every_fast_vjp_is_exercised_by_the_registry_in_float64_and_float32():
    seen = {
        (prim, position, np.dtype(dtype).name)
        for case in CASES
        for prim, position, dtype, _ in outcome(case.values[0], False)
    }
    missing = sorted(
        f"{prim.name} argument {position} in {dtype}"
        for prim, position in DECLARED
        for dtype in ("float64", "float32")
        if (prim, position, dtype) not in seen
    )
    assert missing == [], "add a registry case (tests/registry/) that reaches these fast VJPs"


# --- the declarations ------------------------------------------------------------------------------------


def test_fast_vjps_are_declared_beside_per_argument_rules_of_single_results():
    assert DECLARED, "no primitive declares a fast VJP: this file checks nothing"
    for prim in FAST:
        assert isinstance(prim.vjps, tuple) and not prim.multiple_results, prim.name
        assert len(prim.fast_vjps) == len(prim.vjps), prim.name


def test_a_declaration_pairs_each_fast_vjp_with_a_general_rule():
    general = elementwise.tanh.vjps[0]
    prim = Primitive("p", np.tanh, vjps=(general, general), fast_vjps=(None, np.negative))
    assert prim.fast_vjps == (general, np.negative)
    with pytest.raises(ValueError):
        Primitive("q", np.tanh, vjps=(general,), fast_vjps=(None, np.negative))


def test_only_the_tapes_backward_loop_calls_fast_vjps():
    """The rest of the engine (staging, ``jit``, the compiled pass, the Tensor face) reads ``vjps`` only."""
    allowed = {SRC / "_src/core/primitive.py", SRC / "_src/transforms/reverse.py"}
    readers = {
        path
        for path in SRC.rglob("*.py")
        if "fast_vjps" in path.read_text() and path not in allowed and path.parent != SRC / "_src/primitives"
    }
    assert readers == set()


# --- the general rules hold no plain-array branch ----------------------------------------------------------

NOT_A_SPEED_PATH = {
    "_power_dx": "the exponent is a constant of the program (a Python or NumPy scalar, under every transform "
    "alike), which shapes the derivative y x^(y-1) itself (0 for y = 0); a traced exponent takes the general form",
    "_indexes_by_operands": "a gather's index arrays that are operands of a staged program (the compiled backward "
    "pass's placeholders) are scattered back as operands, by take_add; it reads the index, never the cotangent",
    "is_integer_operand": "whether an index item is an integer array, plain or traced alike",
}
"""Helpers of the general rules that may test for a tracer, and why: each decides by whether a value
is a constant of the program, never by whether the tape's values are plain arrays."""

_PLAIN_TESTS = {"Tracer", "ValueTracer", "ndarray"}


def _rules(prim: Primitive) -> list:
    vjps = prim.vjps
    if isinstance(vjps, _JointRule):
        return [vjps.rule]
    if isinstance(vjps, PerPosition):
        return [vjps.fn]
    return [rule for rule in vjps if rule is not None]


def _function(rule):
    while isinstance(rule, functools.partial) or inspect.ismethod(rule):
        rule = rule.func if isinstance(rule, functools.partial) else rule.__func__
    return rule if inspect.isfunction(rule) else None


def _codes(code):
    yield code
    for const in code.co_consts:
        if inspect.iscode(const):
            yield from _codes(const)


def plain_array_tests(function, seen: set) -> list[str]:
    """Where ``function``, the functions nested in it and the helpers of ``_src/primitives`` it calls
    (by global name, transitively) name ``Tracer`` or ``ndarray``: ``["helper: name", ...]``."""
    if function in seen or function.__name__ in NOT_A_SPEED_PATH:
        return []
    seen.add(function)
    found = []
    for code in _codes(function.__code__):
        for op in dis.get_instructions(code):
            if op.opname in ("LOAD_GLOBAL", "LOAD_ATTR", "LOAD_NAME", "LOAD_METHOD") and op.argval in _PLAIN_TESTS:
                found.append(f"{function.__qualname__}: {op.argval}")
            if op.opname == "LOAD_GLOBAL":
                helper = function.__globals__.get(op.argval)
                if inspect.isfunction(helper) and helper.__module__.startswith(primitives.__name__):
                    found += plain_array_tests(helper, seen)
    return found


@pytest.mark.parametrize("prim", [p for p in PRIMITIVES if p.vjps is not None], ids=lambda p: p.name)
def test_the_general_rules_hold_no_plain_array_branch(prim):
    """A plain-array speed path belongs in ``fast_vjps``, where the registry holds it equal to the rule."""
    found = []
    for rule in _rules(prim):
        function = _function(rule)
        assert function is not None, f"{prim.name}: a rule whose code cannot be read ({rule!r})"
        found += plain_array_tests(function, set())
    assert found == []


def test_the_scan_finds_a_plain_array_branch():
    def rule(g, ans, x):
        return g.reshape(x.shape) if type(g) is np.ndarray else wnp.reshape(g, x.shape)

    def helper(g):
        return isinstance(g, Tracer)

    assert plain_array_tests(rule, set()) == ["test_the_scan_finds_a_plain_array_branch.<locals>.rule: ndarray"]
    assert plain_array_tests(helper, set()) == ["test_the_scan_finds_a_plain_array_branch.<locals>.helper: Tracer"]


# --- which rule serves where ------------------------------------------------------------------------------


@pytest.fixture
def fast_vjps_refuse_tracers(monkeypatch):
    """Each fast VJP fails the test if handed a tracer; yields the list of primitives whose fast VJP ran."""
    ran: list = []

    def guarded(prim, fast):
        def rule(g, ans, *args, **params):
            if not (_plain(g) and _plain(ans) and all(_plain(a) for a in args)):
                pytest.fail(f"{prim.name}'s fast VJP was handed a tracer")
            ran.append(prim)
            return fast(g, ans, *args, **params)

        return rule

    for prim in FAST:
        monkeypatch.setattr(prim, "fast_vjps", tuple(guarded(prim, fast) for fast in prim.fast_vjps))
    compiled_backward.clear_cache()
    yield ran
    compiled_backward.clear_cache()


ROWS = np.array([0, 2, 2, 1])


def _loss(w, x):
    return wnp.sum(wnp.tanh(x @ w)[:, ROWS] ** 3) + wnp.max(w)


W = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
X = np.cos(np.arange(6.0)).reshape(2, 3)


def test_a_plain_tape_pulls_back_by_the_fast_vjps(fast_vjps_refuse_tracers):
    wengert.grad(_loss)(W, X)
    assert {prim.name for prim in fast_vjps_refuse_tracers} >= {"tanh", "matmul", "getitem", "power", "reduce_max"}


def test_staged_and_nested_derivatives_use_the_general_rules(fast_vjps_refuse_tracers):
    want = wengert.grad(_loss)(W, X)
    np.testing.assert_allclose(wengert.jit(wengert.grad(_loss))(W, X), want, rtol=1e-13)
    for _ in range(3):  # the second tape of a structure compiles its backward pass, the third runs it
        np.testing.assert_array_equal(wengert.grad(_loss)(W, X), want)
    assert compiled_backward.cache_size() == 1
    hessian = wengert.jacfwd(wengert.grad(_loss))(W, X)
    np.testing.assert_allclose(wengert.jacrev(wengert.grad(_loss))(W, X), hessian, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(wengert.hessian(_loss)(W, X), hessian, rtol=1e-10, atol=1e-12)
    _, pullback = wengert.vjp(_loss, W, X)  # a plain tape, pulled back on a traced cotangent
    tangent = wengert.jvp(lambda c: pullback(c)[0], (np.float64(1.0),), (np.float64(2.0),))[1]
    np.testing.assert_allclose(tangent, 2.0 * want, rtol=1e-13)
