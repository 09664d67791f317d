"""The operator registry on the Tensor face: ``Tensor.backward`` gives ``wengert.grad``'s gradient for every case.

For each case ``f`` at its sample ``x`` (its differentiated arguments), the
scalar ``s(x) = sum over output leaves of sum(leaf * w)`` (fixed random
weights, :func:`tests.sweep.scalarised`) is differentiated twice: by
``wengert.grad`` on arrays, and on the Tensor face, where the differentiated
arguments are leaf Tensors with ``requires_grad=True``, the case's own function
runs on them (every ``wengert.numpy``/``wengert.scipy`` function takes Tensors
and returns Tensors) and ``s(x).backward()`` fills their ``.grad``. The two
must agree: the Tensor face records the same primitives and pulls back through
the same VJP rules.

A case whose output does not depend on its differentiated inputs (``zeros_like``,
``nonzero``, an order-0 function) gives a constant on the Tensor face, with no
graph to pull back through; its ``wengert.grad`` must then be zero. Cases the
Tensor face expresses differently are in :data:`NOT_ON_TENSORS`, with why.
"""

import numpy as np
import pytest

import wengert
from tests import sweep
from tests.registry import all_cases

CASES = all_cases()

_PYTORCH_METHOD = "on a Tensor the method has PyTorch's meaning, not NumPy's"
NOT_ON_TENSORS: dict[str, str] = {
    "x.var()": _PYTORCH_METHOD + " (the unbiased variance, correction=1, where NumPy's ndarray.var divides by n)",
    "x.dot(x.T)": _PYTORCH_METHOD + " (torch.Tensor.dot takes 1-D tensors only; matrices multiply by @ or mm)",
    "x.repeat(2)": _PYTORCH_METHOD + " (torch.Tensor.repeat tiles the whole tensor, NumPy's repeats each element)",
}
"""Registry cases that call a NumPy method whose name the Tensor face gives PyTorch's meaning, and why."""

THROUGH_COMPLEX = {case.name for case in CASES if case.name.startswith("wnp.fft.") and "shift" not in case.name}
"""Real cases whose path goes through complex values (an FFT), which the Tensor face refuses (docs/complex.md)."""

RTOL, ATOL = 1e-9, 1e-12
"""The same rules on the same values: the sums may only be taken in another order."""


def _cases():
    return [pytest.param(case, id=case.name) for case in CASES]


def _tensor_gradients(s, primals) -> list | None:
    """``s``'s gradient at ``primals`` by ``Tensor.backward``; None when ``s`` is a constant on the Tensor face."""
    leaves = [wengert.tensor(p, requires_grad=True) for p in primals]
    out = s(*leaves)
    if not isinstance(out, wengert.Tensor) or not out.requires_grad:
        return None
    out.backward()
    return [np.zeros_like(p) if leaf.grad is None else leaf.grad.numpy() for p, leaf in zip(primals, leaves)]


@pytest.mark.parametrize("case", _cases())
def test_tensor_backward_equals_grad(case):
    if case.name in NOT_ON_TENSORS:
        pytest.skip(NOT_ON_TENSORS[case.name])
    if case.name in THROUGH_COMPLEX:
        f, primals = sweep.differentiated(case)
        with pytest.raises(wengert.errors.DtypeError, match="complex"):
            _tensor_gradients(sweep.scalarised(case, f), primals)
        return
    f, primals = sweep.differentiated(case)
    s = sweep.scalarised(case, f)
    want = [np.asarray(g) for g in wengert.grad(s, argnums=tuple(range(len(primals))))(*primals)]
    got = _tensor_gradients(s, primals)
    if got is None:
        for i, gradient in enumerate(want):
            assert not np.any(gradient), f"{case.name}: a constant on Tensors, but grad's gradient {i} is not zero"
        return
    for i, (g, w) in enumerate(zip(got, want)):
        assert (g.shape, g.dtype) == (w.shape, w.dtype), f"{case.name} [{i}]: {g.dtype}{g.shape}, grad: {w.shape}"
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=f"{case.name} [{i}]")


def test_every_case_left_out_is_in_the_registry():
    names = {case.name for case in CASES}
    assert set(NOT_ON_TENSORS) <= names, f"no such case: {sorted(set(NOT_ON_TENSORS) - names)}"


@pytest.mark.parametrize("name", sorted(NOT_ON_TENSORS))
def test_a_case_left_out_differs_on_tensors(name):
    """Each case left out really gives another value (or an error) on Tensors: the reason still holds."""
    case = next(case for case in CASES if case.name == name)
    want = sweep.leaves(case.fn(*case.args))
    try:
        got = sweep.leaves(case.fn(*[wengert.tensor(a) for a in case.args]))
    except Exception:  # PyTorch's method refuses NumPy's arguments
        return
    assert len(got) != len(want) or any(g.shape != w.shape or not np.allclose(g, w) for g, w in zip(got, want)), (
        f"{name} now gives NumPy's value on Tensors: remove it from NOT_ON_TENSORS"
    )
