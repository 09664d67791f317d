"""A jitted program on 0-d float64 values runs on Python floats, and gives what NumPy gives.

``jit`` writes such a program twice, on Python floats and ``math`` and on
NumPy, and runs the NumPy code where Python raises or a result is not finite
(``wengert/_src/compile/scalar_floats.py``). These tests hold the float path
equal to the NumPy path (the eager function, which runs NumPy): values and
gradients to rounding (NumPy's SIMD ``exp``, ``log``, ``tanh`` ... differ
from the C library's by a few ulps), bit for bit where both round exactly,
and the same result types, ``inf``/``nan`` and warnings at the edges. Every
registry case is run on 0-d inputs, and random scalar programs too.
"""

import warnings

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from tests import sweep
from tests.registry import all_cases
from wengert import jit
from wengert._src.compile.codegen import compile_program
from wengert._src.compile.scalar_floats import BOOL_FORMS, FLOAT_FORMS, PASS_THROUGH

RTOL, ATOL = 1e-12, 1e-300


def takes_float_path(f, *args) -> bool:
    return "_floats(" in jit(f).source(*args)


def numpy_path(f, *args) -> list:
    """The flat outputs of what ``jit(f)`` ran before Python floats: the same optimised program, compiled
    to NumPy code only."""
    function, _ = compile_program(jit(f).lower(*args), floats=False)
    return list(function(*args))


def assert_values_close(got, want, rtol=RTOL, atol=ATOL) -> None:
    """The same number of leaves, of the same dtypes, with values equal to rounding (nan where nan)."""
    got_leaves, want_leaves = wengert.tree_leaves(got), wengert.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)


def assert_as_numpy_path(f, args, rtol=RTOL, atol=ATOL) -> None:
    """``jit(f)(*args)`` gives what the NumPy code gives: the same types, values equal to rounding; and what
    ``f`` gives eagerly, to rounding."""
    got = wengert.tree_leaves(jit(f)(*args))
    want = numpy_path(f, *args)
    assert [type(g) for g in got] == [type(w) for w in want]
    assert_values_close(got, want, rtol, atol)
    assert_values_close(got, f(*args), rtol, atol)


def scalars(*values, dtype=np.float64):
    return tuple(np.array(value, dtype=dtype) for value in values)


def recurrence(x, y, a):
    for _ in range(5):
        x, y = wnp.tanh(wnp.sin(x) * a + y), wnp.log(1.0 + wnp.exp(x) ** 1.5) / (1.0 + y * y)
    return x * y - wnp.sqrt(wnp.abs(x)) + wnp.arctan2(y, a) % 0.7


# --- the float path is taken, and equals NumPy's ---------------------------------------------------------


def test_a_scalar_program_and_its_gradient_run_on_python_floats():
    x = scalars(0.3, -0.2, 0.7)
    gradient = wengert.grad(recurrence, argnums=(0, 1, 2))
    assert takes_float_path(recurrence, *x) and takes_float_path(gradient, *x)
    floats = jit(gradient).source(*x).split("_floats(")[1].split("def ")[0].splitlines()
    assert [line.split("(")[0].strip() for line in floats if "np." in line] == ["return"]  # NumPy boxes the results
    assert_as_numpy_path(recurrence, x)
    assert_as_numpy_path(gradient, x)


def test_results_are_numpy_float64_scalars_as_on_the_numpy_path():
    f = jit(lambda x, y: (x * y, wnp.sin(x)))
    x = scalars(2.0, 3.0)
    assert [type(r) for r in f(*x)] == [np.float64, np.float64]
    assert [type(r) for r in f(np.float64(2.0), np.float64(3.0))] == [np.float64, np.float64]


def test_arithmetic_that_rounds_exactly_gives_numpy_s_bits():
    def f(x, y):
        for _ in range(20):
            x, y = (x * y + 0.1) / (1.0 + wnp.abs(y)), wnp.sqrt(x * x + 1.0) - y
        return x - y

    x = scalars(0.37, -1.3)
    assert takes_float_path(f, *x)
    assert jit(f)(*x) == f(*x)
    assert np.array_equal(jit(wengert.grad(f, argnums=(0, 1)))(*x), wengert.grad(f, argnums=(0, 1))(*x))


def test_comparisons_selections_and_the_logistic_run_on_floats_too():
    def neuron(w, b, x):  # a micrograd-style unit: relu, a leaky branch, a sigmoid, a clipped value
        z = w * x + b
        h = wnp.maximum(z, 0.0) + wnp.where(z < 0.0, 0.01 * z, 0.0)
        return wengert.nn.functional.sigmoid(h) * wnp.minimum(wnp.abs(z), 3.0) + wnp.logaddexp(z, 0.0)

    gradient = wengert.grad(neuron, argnums=(0, 1))
    for values in ((0.5, -0.2, 1.5), (-1.0, 0.3, 2.0), (0.0, 0.0, 1.0), (2.0, 1.0, 3.0)):
        x = scalars(*values)
        assert takes_float_path(neuron, *x) and takes_float_path(gradient, *x)
        assert_as_numpy_path(neuron, x)
        assert_as_numpy_path(gradient, x)


def test_results_of_comparisons_and_where_keep_their_numpy_types():
    f = lambda x, y: (x > y, wnp.where(x > y, x, y), wnp.isnan(x * y), x + y)  # noqa: E731
    x = scalars(2.0, 3.0)
    assert takes_float_path(f, *x)
    assert [type(r) for r in jit(f)(*x)] == [np.bool_, np.ndarray, np.bool_, np.float64]
    assert_as_numpy_path(f, x)
    flag = jit(lambda c, x: wnp.where(c, x, -x) * 2.0)
    assert flag(np.array(True), x[0]) == 4.0 and flag(np.array(False), x[0]) == -4.0


def test_python_number_arguments_stay_python_numbers():
    def f(x, lr, n):
        return x * lr + n // 2 + (n - 1) / 2, n * 2

    x = scalars(2.0)
    assert takes_float_path(f, *x, 0.1, 3)
    for n in (3, 0):
        assert_as_numpy_path(lambda x, lr: f(x, lr, n), (*x, 0.1))
        assert [type(r) for r in jit(f)(*x, 0.1, n)] == [np.float64, int]


# --- the edges: what Python raises on, NumPy answers -------------------------------------------------------

EDGES = [
    ("1 / 0", lambda x, y: x / y, (1.0, 0.0)),
    ("0 / 0", lambda x, y: x / y, (0.0, 0.0)),
    ("x % 0", lambda x, y: x % y, (1.5, 0.0)),
    ("x // 0", lambda x, y: x // y, (1.5, 0.0)),
    ("log(0)", lambda x, y: wnp.log(x) * y, (0.0, 2.0)),
    ("log(-1)", lambda x, y: wnp.log(x) + y, (-1.0, 2.0)),
    ("exp(1000)", lambda x, y: wnp.exp(x) * y, (1000.0, 2.0)),
    ("1 / exp(1000)", lambda x, y: y / wnp.exp(x), (1000.0, 2.0)),
    ("(-1) ** 0.5", lambda x, y: (x * y) ** 0.5, (-1.0, 1.0)),
    ("0 ** -1", lambda x, y: (x * y) ** -1.0, (0.0, 1.0)),
    ("10 ** 400", lambda x, y: (x * y) ** 400.0, (10.0, 1.0)),
    ("sin(inf)", lambda x, y: wnp.sin(x * y), (np.inf, 1.0)),
    ("arcsin(2)", lambda x, y: wnp.arcsin(x * y), (2.0, 1.0)),
    ("arctanh(1)", lambda x, y: wnp.arctanh(x * y), (1.0, 1.0)),
    ("cosh(1000)", lambda x, y: wnp.cosh(x * y), (1000.0, 1.0)),
    ("sqrt(-1)", lambda x, y: wnp.sqrt(x * y), (-1.0, 1.0)),
    ("fmod(inf, 1)", lambda x, y: wnp.fmod(x * y, 1.0), (np.inf, 1.0)),
    ("inf - inf", lambda x, y: x * y - x * y, (np.inf, 1.0)),
    ("nan input", lambda x, y: wnp.sin(x) + y, (np.nan, 1.0)),
    ("sign(-0.0)", lambda x, y: wnp.sign(x * y), (-0.0, 1.0)),
    ("maximum(-0.0, 0.0)", lambda x, y: wnp.maximum(x * 1.0, y * 1.0), (-0.0, 0.0)),
    ("maximum(0.0, -0.0)", lambda x, y: wnp.maximum(x * 1.0, y * 1.0), (0.0, -0.0)),
    ("minimum(-0.0, 0.0)", lambda x, y: wnp.minimum(x * 1.0, y * 1.0), (-0.0, 0.0)),
    ("minimum(0.0, -0.0)", lambda x, y: wnp.minimum(x * 1.0, y * 1.0), (0.0, -0.0)),
    ("maximum(1, nan)", lambda x, y: wnp.maximum(x * 1.0, y * 1.0), (1.0, np.nan)),
    ("minimum(nan, 1)", lambda x, y: wnp.minimum(x * 1.0, y * 1.0), (np.nan, 1.0)),
    ("sigmoid(-1000)", lambda x, y: wengert.nn.functional.sigmoid(x * y), (-1000.0, 1.0)),
    ("sigmoid(nan)", lambda x, y: wengert.nn.functional.sigmoid(x * y), (np.nan, 1.0)),
    ("overflow to a finite result", lambda x, y: 1.0 / (x * x * y), (1e200, 1.0)),
]


def run_recording_warnings(f, args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = f(*args)
    return result, sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})


@pytest.mark.parametrize(("f", "values"), [pytest.param(f, v, id=name) for name, f, v in EDGES])
def test_edges_give_numpy_s_values(f, values):
    x = scalars(*values)
    with np.errstate(all="ignore"):
        got, (want,), eager = jit(f)(*x), numpy_path(f, *x), f(*x)
    assert type(got) is type(want) and np.asarray(got).dtype == np.asarray(want).dtype
    for other in (want, eager):
        np.testing.assert_array_equal(got, other)  # inf, nan and the sign of zero included
        assert np.signbit(got) == np.signbit(other)


@pytest.mark.parametrize(
    ("f", "values"),
    [pytest.param(f, v, id=name) for name, f, v in EDGES if name != "overflow to a finite result"],
)
def test_edges_warn_as_numpy_does(f, values):
    x = scalars(*values)
    _, wanted = run_recording_warnings(f, x)
    _, got = run_recording_warnings(jit(f), x)
    assert [w.split(" in ")[0] for w in got] == [w.split(" in ")[0] for w in wanted]


def test_errstate_raise_raises_as_numpy_does():
    f = lambda x, y: x / y  # noqa: E731
    x = scalars(1.0, 0.0)
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            f(*x)
        with pytest.raises(FloatingPointError):
            jit(f)(*x)


def test_gradients_at_the_edges_equal_numpy_s():
    f = lambda x, y: wnp.log(x) * y + x / y  # noqa: E731
    gradient = wengert.grad(f, argnums=(0, 1))
    with np.errstate(all="ignore"):
        for values in ((0.0, 2.0), (1.0, 0.0), (-1.0, 1.0), (2.0, 3.0)):
            x = scalars(*values)
            np.testing.assert_array_equal(jit(gradient)(*x), gradient(*x))


# --- what keeps the NumPy code ---------------------------------------------------------------------------


def test_float32_programs_keep_numpy_s_float32_rounding():
    x = scalars(0.3, -0.2, 0.7, dtype=np.float32)
    assert not takes_float_path(recurrence, *x)
    got, want = jit(recurrence)(*x), recurrence(*x)
    assert np.asarray(got).dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_integer_inputs_keep_numpy_s_integer_arithmetic():
    f = lambda n, x: (n * 3 + 1, wnp.sin(x) * n)  # noqa: E731
    args = (np.array(7), np.array(0.5))
    assert not takes_float_path(f, *args)
    assert_as_numpy_path(f, args)


def test_arrays_among_the_values_keep_the_numpy_code():
    f = lambda x, v: wnp.sin(x) * v + x  # noqa: E731
    args = (np.array(0.5), np.arange(3.0))
    assert not takes_float_path(f, *args)
    np.testing.assert_array_equal(jit(f)(*args), f(*args))


def test_an_input_returned_as_it_is_keeps_the_numpy_code_and_its_copy():
    f = lambda x, y: (x, x * y)  # noqa: E731
    x = scalars(2.0, 3.0)
    got = jit(f)(*x)
    assert not takes_float_path(f, *x)
    assert type(got[0]) is np.ndarray and got[0] is not x[0]
    assert_as_numpy_path(f, x)


# --- random scalar programs ------------------------------------------------------------------------------

UNARY = (wnp.sin, wnp.cos, wnp.tanh, wnp.arctan, wnp.arcsinh, wnp.expm1, wnp.sinh)
BOUNDED = (
    lambda v: wnp.exp(wnp.tanh(v)),
    lambda v: wnp.log(1.0 + v * v),
    lambda v: wnp.sqrt(1.0 + v * v),
    lambda v: wnp.log1p(wnp.abs(v)),
    lambda v: (wnp.abs(v) + 0.5) ** 1.5,
    lambda v: wnp.cbrt(v),
    lambda v: wnp.log10(2.0 + wnp.cos(v)) + wnp.log2(2.0 + wnp.sin(v)),
)
BINARY = (
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (1.0 + b * b),
    lambda a, b: wnp.arctan2(a, b),
    lambda a, b: wnp.square(a) - b,
)


def random_program(seed: int, n_ops: int = 40):
    """A program of ``n_ops`` random operations on three inputs, each reading values made before it,
    squashed by ``tanh`` from time to time so that nothing overflows."""
    rng = np.random.default_rng(seed)
    plan = [(rng.integers(len(UNARY + BOUNDED + BINARY)), rng.integers(1 << 30)) for _ in range(n_ops)]

    def program(x, y, z):
        values = [x, y, z]
        for k, (op, pick) in enumerate(plan):
            a, b = values[pick % len(values)], values[(pick // 7) % len(values)]
            unary = UNARY + BOUNDED
            value = unary[op](a) if op < len(unary) else BINARY[op - len(unary)](a, b)
            values.append(wnp.tanh(value) if k % 5 == 4 else value)
        return sum(values[-4:]) * values[-5]

    return program


@pytest.mark.parametrize("seed", range(12))
def test_random_scalar_programs_and_gradients_equal_numpy_s(seed):
    program = random_program(seed)
    gradient = wengert.grad(program, argnums=(0, 1, 2))
    x = scalars(*np.random.default_rng(100 + seed).uniform(-2.0, 2.0, 3))
    assert takes_float_path(program, *x) and takes_float_path(gradient, *x)
    assert_as_numpy_path(program, x, rtol=1e-10, atol=1e-12)
    assert_as_numpy_path(gradient, x, rtol=1e-9, atol=1e-11)


# --- the operator registry on 0-d values -----------------------------------------------------------------


def zero_d_case(case):
    """The case as a function of its differentiated arguments, at 0-d samples (each argument's first
    element); None where the case is not a program of 0-d float64 (or bool) values."""
    if not all(isinstance(a, np.ndarray) and a.dtype == np.float64 and a.size for a in case.args):
        return None
    f, x = sweep.differentiated(case, tuple(np.array(a.flat[0]) for a in case.args))
    try:
        with np.errstate(all="ignore"):
            out = wengert.tree_leaves(f(*x))
    except Exception:  # the function needs an array (an axis, a matrix): not a scalar program
        return None
    if not out or not all(np.shape(leaf) == () and np.asarray(leaf).dtype in (np.float64, bool) for leaf in out):
        return None
    return f, x


ZERO_D = [(case, zero_d_case(case)) for case in all_cases()]
ZERO_D = [pytest.param(case, fx, id=case.name) for case, fx in ZERO_D if fx is not None]


@pytest.mark.parametrize(("case", "fx"), ZERO_D)
def test_registry_cases_on_0d_values_equal_numpy_s(case, fx):
    f, x = fx
    with np.errstate(all="ignore"):
        assert_as_numpy_path(f, x, rtol=1e-12)
        if case.order >= 1:
            assert_as_numpy_path(wengert.grad(sweep.scalarised(case, f), argnums=tuple(range(len(x)))), x, rtol=1e-11)


def test_every_float_form_is_swept_by_the_registry_on_0d_values():
    swept = set()
    for case, (f, x) in (param.values for param in ZERO_D):
        functions = [f]
        if case.order >= 1:
            functions.append(wengert.grad(sweep.scalarised(case, f), argnums=tuple(range(len(x)))))
        for function in functions:
            with np.errstate(all="ignore"):
                if takes_float_path(function, *x):
                    swept.update(eqn.primitive for eqn in jit(function).lower(*x).equations)
    assert {*FLOAT_FORMS, *BOOL_FORMS, *PASS_THROUGH} - swept == set()
