"""The operator registry on array-api-strict arrays: the engine keeps to the array API standard.

array-api-strict implements the standard and nothing else: no NumPy methods, no mixing with
NumPy arrays, no implicit conversion. Its arrays are put on its second device, from which
converting to NumPy raises, so an engine that reached NumPy on them anywhere (a NumPy function,
``np.asarray``) fails here. For each registry case, on those arrays: the value and the JVP
(``wengert.jvp``) and the gradient of ``sum(f(x) * w)`` (``wengert.grad``) are arrays of
array-api-strict on that device, of the NumPy results' dtypes, equal to the NumPy results.

A case that needs a primitive without an implementation in the standard (the special functions:
``primitives/standard.py``) is skipped with the primitive named (``pytest -rs`` lists
them; docs/array_api.md says which remain).
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert
import wengert.errors
import wengert.numpy as wnp
import wengert.scipy.special
from tests import sweep
from tests.registry import all_cases
from wengert._src.core.primitive import Primitive
from wengert._src.primitives import contractions, elementwise, indexing, reductions, structural
from wengert._src.primitives.standard import standard_impl
from wengert.errors import BackendError

xs = pytest.importorskip("array_api_strict")
pytest.importorskip("array_api_compat")

DEVICE = xs.Device("device1")
"""array-api-strict's second device: its arrays refuse conversion to NumPy."""

CASES = all_cases()


def on_device(value):
    """A NumPy array (or number) as an array-api-strict array on :data:`DEVICE`."""
    return xs.asarray(np.asarray(value), device=DEVICE)


def to_numpy(value) -> np.ndarray:
    """An array-api-strict array (checked to be one, on :data:`DEVICE`) as a NumPy array."""
    assert isinstance(value, type(on_device(0.0))), f"a {type(value).__name__} came back, not an array-api-strict array"
    assert value.device == DEVICE, f"the result is on {value.device}, not on the inputs' device"
    return np.asarray(value.to_device(xs.Device("CPU_DEVICE")))


def assert_equal_to_numpy(got, want, what: str) -> None:
    got_leaves, want_leaves = wengert.tree_leaves(got), wengert.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves), f"{what}: {len(got_leaves)} results, NumPy gives {len(want_leaves)}"
    for i, (g, w) in enumerate(zip(got_leaves, want_leaves)):
        if isinstance(w, int):  # a Python number where NumPy gives one (lstsq's rank)
            assert g == w and type(g) is type(w), f"{what} [{i}]: {g!r}, NumPy gives {w!r}"
            continue
        g, w = to_numpy(g), np.asarray(w)
        assert g.dtype == w.dtype, f"{what} [{i}]: dtype {g.dtype}, NumPy gives {w.dtype}"
        assert g.shape == w.shape, f"{what} [{i}]: shape {g.shape}, NumPy gives {w.shape}"
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, equal_nan=True, err_msg=f"{what} [{i}]")


def skipped_outside_the_standard(check):
    """Run ``check``; a case needing a primitive the standard cannot run yet is skipped, naming it."""
    try:
        check()
    except BackendError as error:
        if "array API standard" not in str(error):
            raise
        pytest.skip(str(error).split(";")[0])


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_value_and_jvp_on_array_api_strict_equal_numpy(case):
    f, x = sweep.differentiated(case)
    if not x:
        pytest.skip("no argument is differentiated: the value is checked under jit")
    v = sweep.random_like(x, sweep.seeded(case, "tangents"))
    want_out, want_tangent = wengert.jvp(f, x, v)

    def check():
        out, tangent = wengert.jvp(f, tuple(map(on_device, x)), tuple(map(on_device, v)))
        assert_equal_to_numpy(out, want_out, "value")
        assert_equal_to_numpy(tangent, want_tangent, "jvp")

    skipped_outside_the_standard(check)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES if c.order >= 1])
def test_grad_on_array_api_strict_equals_numpy(case):
    f, x = sweep.differentiated(case)
    out_leaves = wengert.tree_leaves(f(*x))
    weights = [w.astype(np.float64) for w in sweep.random_like(out_leaves, sweep.seeded(case, "weights"))]

    def scalarised(weights):
        def s(*args):
            total = 0.0
            for leaf, weight in zip(wengert.tree_leaves(f(*args)), weights):
                total = total + wnp.sum(leaf * weight)
            return total

        return s

    argnums = tuple(range(len(x)))
    want = wengert.grad(scalarised(weights), argnums=argnums)(*x)

    def check():
        got = wengert.grad(scalarised([on_device(w) for w in weights]), argnums=argnums)(*map(on_device, x))
        assert_equal_to_numpy(got, want, "grad")

    skipped_outside_the_standard(check)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_jit_on_array_api_strict_equals_numpy(case):
    """Every argument (indices too) an array-api-strict array, through ``jit``'s program."""
    try:
        want = wengert.jit(case.fn)(*case.args)
    except wengert.errors.WengertError as error:
        pytest.skip(f"not staged on NumPy arrays either: {type(error).__name__}")
    skipped_outside_the_standard(
        lambda: assert_equal_to_numpy(wengert.jit(case.fn)(*map(on_device, case.args)), want, "jit value")
    )


@pytest.mark.parametrize(
    "family", [elementwise, reductions, structural, contractions, indexing], ids=lambda m: m.__name__
)
def test_every_primitive_of_the_covered_families_has_a_standard_implementation(family):
    primitives = [p for p in vars(family).values() if isinstance(p, Primitive)]
    assert primitives
    for prim in primitives:
        assert callable(standard_impl(prim)), prim.name


def test_a_primitive_outside_the_standard_is_refused_by_name():
    x = on_device(np.array([[2.0, 1.0], [1.0, 3.0]]))
    with pytest.raises(BackendError, match="gammaln: not in the array API standard, and array_api_strict has no"):
        wengert.grad(lambda x: wnp.sum(wengert.scipy.special.gammaln(x)))(x)


def test_arrays_of_two_devices_are_refused():
    x, y = on_device(np.ones(2)), xs.asarray(np.ones(2), device=xs.Device("device2"))
    with pytest.raises(BackendError, match="one library and device"):
        wengert.grad(lambda x, y: wnp.sum(x * y))(x, y)


def test_numpy_arrays_never_reach_the_array_api_path():
    """A NumPy input gives NumPy results: the foreign path is taken only for foreign arrays."""
    value, gradient = wengert.value_and_grad(lambda x: wnp.sum(wnp.tanh(x)))(np.array([0.5, -1.0]))
    assert type(gradient) is np.ndarray and isinstance(value, (np.ndarray, np.generic))


def _loss(w, X, y):
    """Written with ``wnp.matmul(X, w)`` for ``X @ w``: where a transform's function closes over ``X`` (jacrev's
    below), the library's own operator would refuse a traced ``w`` (docs/array_api.md)."""
    z = wnp.matmul(X, w)
    return wnp.mean(wnp.logaddexp(0.0, z) - y * z) + 1e-3 * wnp.sum(w**2)


_R = np.random.default_rng(7)
_W, _X, _Y = _R.standard_normal(3), _R.standard_normal((5, 3)), (_R.random(5) > 0.5).astype(float)

TRANSFORMS = {
    "value_and_grad": lambda w, X, y: wengert.value_and_grad(_loss)(w, X, y),
    "grad argnums=(0, 1)": lambda w, X, y: wengert.grad(_loss, argnums=(0, 1))(w, X, y),
    "vjp_fn": lambda w, X, y: wengert.vjp(lambda w: wnp.matmul(X, w), w)[1](y),
    "vjp_fn by transposition": lambda w, X, y: wengert.vjp(lambda w: wnp.tanh(wnp.matmul(X, w)), w, method="transpose")[
        1
    ](y),
    "hvp": lambda w, X, y: wengert.hvp(_loss, (w, X, y), (w, X * 0.0, y * 0.0)),
    "jvp": lambda w, X, y: wengert.jvp(_loss, (w, X, y), (w, X * 0.5, y * 0.0)),
    "jit(grad)": lambda w, X, y: wengert.jit(wengert.grad(_loss))(w, X, y),
    "grad(jit)": lambda w, X, y: wengert.grad(wengert.jit(_loss))(w, X, y),
    "vmap": lambda w, X, y: wengert.vmap(lambda x: wnp.tanh(x @ w))(X),
    "vmap in_axes=(0, None)": lambda w, X, y: wengert.vmap(lambda x, w: wnp.tanh(x @ w), in_axes=(0, None))(X, w),
    "vmap(grad)": lambda w, X, y: wengert.vmap(wengert.grad(lambda x: wnp.sum(wnp.tanh(x * w))))(X),
    "jacrev": lambda w, X, y: wengert.jacrev(lambda w: wnp.tanh(wnp.matmul(X, w)))(w),
    "jacfwd": lambda w, X, y: wengert.jacfwd(lambda w: wnp.tanh(wnp.matmul(X, w)))(w),
    "hessian": lambda w, X, y: wengert.hessian(_loss)(w, X, y),
    "grad(grad)": lambda w, X, y: wengert.grad(lambda w: wnp.sum(wengert.grad(_loss)(w, X, y) ** 2))(w),
}


@pytest.mark.parametrize("transform", TRANSFORMS.values(), ids=TRANSFORMS.keys())
def test_transforms_give_the_librarys_arrays_equal_to_numpys(transform):
    want = transform(_W, _X, _Y)
    got = transform(on_device(_W), on_device(_X), on_device(_Y))
    assert_equal_to_numpy(got, want, "result")


def _lin_applied(w, X, y):
    out, f_lin = wengert.linearize(lambda w: wnp.tanh(wnp.matmul(X, w)), w)
    return out, f_lin(w * 0.5)


def _traced_and_run(w, X, y):
    program = wengert.trace(_loss)(w, X, y)
    return program(w, X, y), program(w * 2.0, X, y)


def _scan(w, X, y):
    return wengert.lax.scan(lambda c, row: (c + wnp.tanh(wnp.matmul(row, w)), c * 2.0), 0.0, X)


def _scan_loss(w, X, y):
    carry, ys = _scan(w, X, y)
    return carry + wnp.sum(ys)


def _cond_loss(w, X, y):
    return wengert.lax.cond(wnp.sum(w) > 0, lambda w: wnp.sum(wnp.sin(w)), lambda w: wnp.sum(wnp.cos(w)), w)


def _while_loss(w, X, y):
    return wengert.lax.while_loop(lambda v: wnp.sum(v * v) < 100.0, lambda v: v * 1.5, w)


def _fori(w, X, y):
    return wengert.lax.fori_loop(0, 3, lambda i, v: wnp.tanh(wnp.matmul(X, v))[:3] + v, w)


ENTRIES = {
    "linearize": _lin_applied,
    "linear_transpose": lambda w, X, y: wengert.linear_transpose(lambda v: wnp.matmul(X, v), w)(y),
    "linear_transpose of linearize": lambda w, X, y: wengert.linear_transpose(
        wengert.linearize(lambda w: wnp.tanh(wnp.matmul(X, w)), w)[1], w
    )(y),
    "checkpoint": lambda w, X, y: wengert.checkpoint(_loss)(w, X, y),
    "grad(checkpoint)": lambda w, X, y: wengert.grad(wengert.checkpoint(_loss))(w, X, y),
    "trace, the program run": _traced_and_run,
    "lax.scan": _scan,
    "grad(lax.scan)": wengert.grad(_scan_loss),
    "jit(grad(lax.scan))": wengert.jit(wengert.grad(_scan_loss)),
    "lax.cond": _cond_loss,
    "jit(lax.cond)": wengert.jit(_cond_loss),
    "grad(jit(lax.cond))": wengert.grad(wengert.jit(_cond_loss)),
    "lax.switch under jit": wengert.jit(
        lambda w, X, y: wengert.lax.switch(wnp.argmax(w), [wnp.sin, wnp.cos, wnp.tanh], w)
    ),
    "lax.while_loop": _while_loss,
    "jit(lax.while_loop)": wengert.jit(_while_loss),
    "jvp(jit(lax.while_loop))": lambda w, X, y: wengert.jvp(wengert.jit(_while_loss), (w, X, y), (w, X, y)),
    "lax.fori_loop": _fori,
    "grad(lax.fori_loop)": wengert.grad(lambda w, X, y: wnp.sum(_fori(w, X, y))),
}


@pytest.mark.parametrize("entry", ENTRIES.values(), ids=ENTRIES.keys())
def test_entries_give_the_librarys_arrays_equal_to_numpys(entry):
    want = entry(_W, _X, _Y)
    got = entry(on_device(_W), on_device(_X), on_device(_Y))
    assert_equal_to_numpy(got, want, "result")


def test_a_program_traced_on_the_librarys_arrays_prints_as_on_numpys():
    traced = wengert.trace(_loss)
    assert str(traced(on_device(_W), on_device(_X), on_device(_Y))) == str(traced(_W, _X, _Y))
    _, f_lin = wengert.linearize(wnp.tanh, on_device(_W))
    assert "tanh" not in str(f_lin) and "multiply" in str(f_lin)  # the linear program, tanh' folded in a constant


def test_a_checkpointed_function_that_is_not_the_same_twice_is_refused_on_the_librarys_arrays():
    def noisy(x):
        return x * np.random.default_rng().random()  # a generator checkpoint cannot restore

    with pytest.raises(wengert.errors.TransformError, match="not the same function twice"):
        wengert.grad(lambda x: wnp.sum(wengert.checkpoint(noisy)(x)))(on_device(_W))


_A = _R.standard_normal((40, 40))
_SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])

LINEAR_ALGEBRA = {
    "grad slogdet 40 x 40": (wengert.grad(lambda a: wnp.linalg.slogdet(a)[1]), (_A,)),
    "grad solve 40 x 40": (
        wengert.grad(lambda a, b: wnp.sum(wnp.linalg.solve(a, b) ** 2), argnums=(0, 1)),
        (_A, _A[:, :3]),
    ),
    "grad det at a singular matrix": (wengert.grad(wnp.linalg.det), (_SINGULAR,)),
    "hessian det at a singular matrix": (wengert.hessian(wnp.linalg.det), (_SINGULAR,)),
    "third derivative of det": (wengert.jacfwd(wengert.hessian(wnp.linalg.det)), (_A[:3, :3],)),
    "vmap solve": (wengert.vmap(wnp.linalg.solve), (_A[:8].reshape(2, 4, 4, 10)[..., :4], _A[:2, :4])),
    "jit(grad) slogdet": (wengert.jit(wengert.grad(lambda a: wnp.linalg.slogdet(a)[1])), (_A,)),
}


@pytest.mark.parametrize("case", LINEAR_ALGEBRA.values(), ids=LINEAR_ALGEBRA.keys())
def test_linear_algebra_past_the_registrys_sizes_equals_numpys(case):
    """Matrices NumPy factors once (32 x 32 and more) and singular ones: the standard solves from A each time, and
    takes the cofactors through the SVD."""
    function, args = case
    assert_equal_to_numpy(function(*map(on_device, args)), function(*args), "result")


def test_gradients_of_indexing_add_repeated_positions_in_memory_of_the_data():
    """NumPy's ``np.add.at`` by sorting: 10^5 updates into 10^6 places (a one-hot matrix would be 10^11 entries),
    repeated places summed, float32 to float32 rounding."""
    rng = np.random.default_rng(3)
    table, positions = rng.standard_normal(10**6).astype(np.float32), rng.integers(-(10**6), 10**3, size=10**5)
    weights = rng.standard_normal(10**5).astype(np.float32)
    got = wengert.grad(lambda t, w: wnp.sum(t[positions] * w))(on_device(table), on_device(weights))
    want = np.zeros(10**6)
    np.add.at(want, positions, weights.astype(np.float64))
    got = to_numpy(got)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_writes_at_repeated_positions_keep_the_last_as_numpys():
    x, positions, values = np.zeros(5), np.array([3, 1, 3, -2, 0, 1]), np.arange(1.0, 7.0)

    def write(x, v):
        return wnp.at(x)[positions].set(v)

    assert_equal_to_numpy(wengert.jit(write)(on_device(x), on_device(values)), wengert.jit(write)(x, values), "set")


def test_adds_along_an_axis_at_repeated_indices_equal_numpys():
    rng = np.random.default_rng(4)
    x, indices = rng.standard_normal((3, 4, 5)), rng.integers(-4, 4, size=(3, 6, 5))

    def f(x):
        return wnp.sum(wnp.take_along_axis(x, indices, axis=1) ** 2)

    assert_equal_to_numpy(wengert.grad(f)(on_device(x)), wengert.grad(f)(x), "grad")


def test_float32_arrays_give_float32_results():
    w, X, y = (on_device(a.astype(np.float32)) for a in (_W, _X, _Y))
    value, gradient = wengert.value_and_grad(_loss)(w, X, y)
    assert value.dtype == xs.float32 and gradient.dtype == xs.float32


def test_the_docs_example_runs_and_gives_numpys_gradient():
    import pathlib
    import re

    page = pathlib.Path(__file__).parent.parent / "docs" / "array_api.md"
    code = re.search(r"```python\n(.*?)```", page.read_text(), re.S).group(1)
    scope: dict = {}
    exec(code, scope)
    to_numpy_on_cpu = [np.asarray(scope[name]) for name in ("w", "X", "y")]
    want = wengert.grad(scope["loss"])(*to_numpy_on_cpu)
    np.testing.assert_allclose(np.asarray(scope["grad"]), want, rtol=1e-12)
