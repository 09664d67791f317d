"""The transforms on arrays of JAX and PyTorch (through array-api-compat), and the special functions there.

array-api-strict (``test_array_api_strict.py``) proves the engine keeps to the standard; these libraries
go beyond it. JAX's arrays carry NumPy's dtypes and cannot be written in place; a PyTorch tensor has no
``__array_namespace__`` (array-api-compat serves it). Each has special functions of its own under SciPy's
names (``jax.scipy.special``, ``torch.special``), which the standard lacks: the registry cases of the
special-function primitives run on them, value, JVP and gradient equal to NumPy's (SciPy's) to the
libraries' accuracy, and a function the library lacks is refused by name (skipped here, named).
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
import wengert.scipy.special
from tests import sweep
from tests.registry import all_cases
from tests.test_array_api_strict import _W, _X, _Y, ENTRIES, TRANSFORMS
from wengert._src.primitives.standard_more import SCIPY_FUNCTIONS
from wengert.errors import BackendError

pytest.importorskip("array_api_compat")
jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
jax.config.update("jax_enable_x64", True)

LIBRARIES = {
    "jax": (lambda a: jax.numpy.asarray(a), "jax"),
    "torch": (lambda a: torch.asarray(np.array(a)), "torch"),
}


def to_numpy(value, library: str) -> np.ndarray:
    assert type(value).__module__.startswith(library), f"a {type(value).__module__}.{type(value).__name__} came back"
    return np.asarray(value)


def assert_close_to_numpy(got, want, library: str, rtol: float = 1e-10) -> None:
    got_leaves, want_leaves = wengert.tree_leaves(got), wengert.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        g, w = to_numpy(g, library), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 1e-2, equal_nan=True)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("transform", {**TRANSFORMS, **ENTRIES}.values(), ids={**TRANSFORMS, **ENTRIES}.keys())
def test_transforms_give_the_librarys_arrays_equal_to_numpys(transform, library):
    convert, module = LIBRARIES[library]
    assert_close_to_numpy(transform(*map(convert, (_W, _X, _Y))), transform(_W, _X, _Y), module)


SPECIAL_NAMES = {*SCIPY_FUNCTIONS, "polygamma"}


def _special_cases():
    """The registry cases whose program applies a special-function primitive of SciPy's."""
    for case in all_cases():
        try:
            ops = wengert.trace(case.fn)(*case.args).count_ops()
        except wengert.errors.WengertError:
            continue
        if SPECIAL_NAMES & set(ops):
            yield case


SPECIAL_CASES = list(_special_cases())


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in SPECIAL_CASES])
def test_special_functions_run_in_the_librarys_own_and_equal_scipys(case, library):
    """Value, JVP and gradient; to 1e-8 (the libraries' own series and continued fractions, not SciPy's)."""
    convert, module = LIBRARIES[library]
    f, x = sweep.differentiated(case)
    if not x:
        pytest.skip("no argument is differentiated")
    v = sweep.random_like(x, sweep.seeded(case, "tangents"))
    want = wengert.jvp(f, x, v)
    try:
        got = wengert.jvp(f, tuple(map(convert, x)), tuple(map(convert, v)))
    except BackendError as error:
        assert "not in the array API standard" in str(error)
        pytest.skip(str(error).split(";")[0])
    assert_close_to_numpy(got, want, module, rtol=1e-8)
    if case.order >= 1:

        def total(*args):
            return sum(wnp.sum(leaf) for leaf in wengert.tree_leaves(f(*args)))

        argnums = tuple(range(len(x)))
        got = wengert.grad(total, argnums=argnums)(*map(convert, x))
        assert_close_to_numpy(got, wengert.grad(total, argnums=argnums)(*x), module, rtol=1e-8)


def test_a_special_function_the_library_lacks_is_refused_naming_it_and_the_library():
    x = torch.asarray(np.array([0.5, 1.5]))
    with pytest.raises(BackendError, match="betainc: not in the array API standard, and torch.special has no betainc"):
        wengert.grad(lambda x: wnp.sum(wengert.scipy.special.betainc(2.0, 3.0, x)))(x)


def test_float32_special_functions_stay_float32():
    x = jax.numpy.asarray(np.array([0.5, 1.5], dtype=np.float32))
    value, gradient = wengert.value_and_grad(lambda x: wnp.sum(wengert.scipy.special.gammaln(x)))(x)
    assert value.dtype == np.float32 and gradient.dtype == np.float32
