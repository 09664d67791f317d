"""The checks that every registry case goes through, shared by the sweep tests.

For a case ``f`` at sample ``x`` with random tangents ``v``, cotangents ``u``
and output weights ``w`` (seeded by the case's name):

* value: ``f(x)`` equals the NumPy reference, in shape, dtype and value;
* first order: the JVP ``J v`` equals central differences
  ``(f(x + h v) - f(x - h v)) / 2h``, and the VJP is its transpose,
  ``<u, J v> = <Jᵀ u, v>``, with cotangents of the inputs' shapes and dtypes;
* second order: for ``s(x) = sum(f(x) * w)``, the Hessian-vector product
  ``H v`` by forward-over-reverse, reverse-over-reverse and
  reverse-over-forward equals central differences of the gradient, and
  forward-over-forward gives ``vᵀ H v``;
* float32: float32 inputs give float32 values, tangents and cotangents, close
  to the float64 ones at the same (rounded) inputs;
* order 0: the output carries no derivative (zero gradient, zero tangent);
* compiled backward pass: once a tape's structure recurs, its compiled backward
  pass gives the eager pass's cotangents bit for bit, on new values.
"""

from __future__ import annotations

import zlib

import numpy as np

import wengert
import wengert.check
import wengert.numpy as wnp
from tests.registry import OpCase
from wengert._src.compile import compiled_backward

VALUE_RTOL, VALUE_ATOL = 1e-10, 1e-12
"""Agreement with NumPy: the same computation, up to rounding in another order."""

FLOAT32_RTOL, FLOAT32_ATOL = 2e-3, 2e-4
"""float32 against float64 at the same inputs (``atol`` scaled by the largest value)."""


# --- plumbing ----------------------------------------------------------------------------------------


def seeded(case: OpCase, purpose: str) -> np.random.Generator:
    """A generator fixed by the case and the purpose, so reruns draw the same vectors."""
    return np.random.default_rng(zlib.crc32(f"{case.name}/{purpose}".encode()))


def leaves(tree) -> list:
    return [np.asarray(leaf) for leaf in wengert.tree_leaves(tree)]


def random_like(values, generator: np.random.Generator) -> list:
    """Standard normal arrays with the shapes and dtypes of ``values``."""
    return [generator.standard_normal(np.shape(v)).astype(np.asarray(v).dtype) for v in values]


def differentiated(case: OpCase, args: tuple | None = None):
    """``(f, primals)``: the case as a function of its differentiated arguments only."""
    args = case.args if args is None else args
    positions = case.diff_argnums

    def f(*diff_args):
        full = list(args)
        for position, value in zip(positions, diff_args):
            full[position] = value
        return case.fn(*full)

    return f, tuple(args[p] for p in positions)


def scalarised(case: OpCase, f):
    """``s(x) = sum over output leaves of sum(leaf * w)``, with fixed random weights ``w``."""
    outputs = wengert.tree_leaves(f(*differentiated(case)[1]))
    weights = [w.astype(np.float64) for w in random_like(outputs, seeded(case, "weights"))]

    def s(*x):
        out = wengert.tree_leaves(f(*x))
        total = 0.0
        for leaf, weight in zip(out, weights):
            total = total + wnp.sum(leaf * weight.astype(_float_dtype(leaf)))
        return total

    return s


def _float_dtype(value):
    """The dtype of a (possibly traced) value if floating, else float64."""
    dtype = value.dtype if hasattr(value, "dtype") else np.result_type(value)
    return dtype if np.issubdtype(dtype, np.floating) else np.float64


def directional_difference(f, primals, tangents) -> list:
    """Central differences of ``f`` at ``primals`` along ``tangents``, one array per output leaf.

    ``wengert.check.numerical_derivative`` of ``t -> f(primals + t tangents)`` at ``t = 0``, with
    the step it chooses for float64, or for float32 when an output is float32 (whose rounding,
    about 1e-7, would swamp the float64 step).
    """
    precision = np.float64 if all(_exact(leaf) for leaf in leaves(f(*primals))) else np.float32

    def along(t):
        return f(*[p + t * v for p, v in zip(primals, tangents)])

    return leaves(wengert.check.numerical_derivative(along, precision(0.0)))


def inner(a: list, b: list) -> float:
    return float(sum(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64)) for x, y in zip(a, b)))


def assert_all_close(actual: list, expected: list, rtol: float, atol: float, what: str) -> None:
    assert len(actual) == len(expected), f"{what}: {len(actual)} results, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"{what} [{i}]: shape {a.shape}, expected {e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=f"{what} [{i}]")


def _exact(value) -> bool:
    """True unless ``value`` is floating with less precision than float64."""
    dtype = np.asarray(value).dtype
    return not np.issubdtype(dtype, np.floating) or np.finfo(dtype).eps <= np.finfo(np.float64).eps


def _is_float(value) -> bool:
    return np.issubdtype(np.asarray(value).dtype, np.floating)


# --- the checks --------------------------------------------------------------------------------------


def check_value(case: OpCase) -> None:
    """The value, its shape and its dtype equal NumPy's."""
    out, reference = case.fn(*case.args), case.numpy_fn(*case.args)
    out_leaves, ref_leaves = wengert.tree_leaves(out), wengert.tree_leaves(reference)
    assert len(out_leaves) == len(ref_leaves), f"{len(out_leaves)} outputs, NumPy gives {len(ref_leaves)}"
    for i, (o, r) in enumerate(zip(out_leaves, ref_leaves)):
        o, r = np.asarray(o), np.asarray(r)
        assert o.dtype == r.dtype, f"output {i}: dtype {o.dtype}, NumPy gives {r.dtype}"
    assert_all_close(leaves(out), leaves(reference), VALUE_RTOL, VALUE_ATOL, "value")


def check_forward(case: OpCase) -> None:
    """The JVP equals central differences and its primal output equals the plain value."""
    f, x = differentiated(case)
    v = random_like(x, seeded(case, "tangents"))
    out, tangent = wengert.jvp(f, x, v)
    assert_all_close(leaves(out), leaves(f(*x)), VALUE_RTOL, VALUE_ATOL, "jvp primal output")
    for t, o in zip(leaves(tangent), leaves(out)):
        assert t.dtype == o.dtype, f"tangent dtype {t.dtype} differs from the output's {o.dtype}"
    assert_all_close(
        leaves(tangent), directional_difference(f, x, v), case.rtol, case.atol, "jvp vs finite differences"
    )


def check_reverse(case: OpCase) -> None:
    """The VJP is the transpose of the JVP: ``<u, J v> = <Jᵀ u, v>``; cotangents fit the inputs."""
    f, x = differentiated(case)
    v = random_like(x, seeded(case, "tangents"))
    _, tangent = wengert.jvp(f, x, v)
    out, pullback = wengert.vjp(f, *x)
    assert_all_close(leaves(out), leaves(f(*x)), VALUE_RTOL, VALUE_ATOL, "vjp primal output")
    out_leaves, out_tree = wengert.tree_flatten(out)
    u = random_like(out_leaves, seeded(case, "cotangents"))
    cotangents = pullback(wengert.tree_unflatten(out_tree, u))
    assert len(cotangents) == len(x)
    for i, (c, p) in enumerate(zip(cotangents, x)):
        c = np.asarray(c)
        assert c.shape == np.shape(p), f"cotangent {i}: shape {c.shape}, input has {np.shape(p)}"
        assert c.dtype == np.asarray(p).dtype, f"cotangent {i}: dtype {c.dtype}, input has {p.dtype}"
    forward, backward = inner(u, leaves(tangent)), inner(leaves(cotangents), v)
    scale = np.sqrt(inner(u, u) * inner(leaves(tangent), leaves(tangent))) + inner(v, v)
    rounding = 1e-9 if all(_exact(leaf) for leaf in out_leaves) else 1e-5
    assert abs(forward - backward) <= rounding * (scale + 1e-3), (
        f"<u, J v> = {forward} but <J^T u, v> = {backward}: reverse mode is not forward mode's transpose"
    )


def check_compiled_backward(case: OpCase) -> None:
    """The backward pass compiled for a recurring tape gives the eager pass's cotangents, bit for
    bit, on new values: compiled from a tape at ``x``, run on a tape at a nearby ``x2`` (in float64,
    and in float32 where the case has a float32 sweep)."""
    dtypes = (np.float64, np.float32) if case.float32 else (np.float64,)
    for dtype in dtypes:
        args = tuple(a.astype(dtype) if _is_float(a) else a for a in case.args) if dtype is np.float32 else None
        f, x = differentiated(case, args)
        nudges = random_like(x, seeded(case, "nudges"))
        x2 = tuple(p + np.asarray(1e-3, p.dtype) * n * np.abs(p) for p, n in zip(x, nudges))
        out_leaves, out_tree = wengert.tree_flatten(f(*x))
        u = wengert.tree_unflatten(out_tree, random_like(out_leaves, seeded(case, "cotangents")))

        def cotangents(args, f=f, u=u):
            return leaves(wengert.vjp(f, *args)[1](u))

        compiled_backward.clear_cache()
        eager = cotangents(x2)  # the first tape of its structure runs eagerly
        cotangents(x)  # the second compiles
        compiled = cotangents(x2)
        compiled_backward.clear_cache()
        for i, (got, want) in enumerate(zip(compiled, eager)):
            assert got.dtype == want.dtype, f"{dtype.__name__} cotangent {i}: dtype {got.dtype}, eager {want.dtype}"
            np.testing.assert_array_equal(got, want, err_msg=f"{dtype.__name__} cotangent {i}: compiled != eager")


def check_second_order(case: OpCase) -> None:
    """Hessian-vector products, by every nesting of the two modes, equal differences of the gradient."""
    f, x = differentiated(case)
    s = scalarised(case, f)
    argnums = tuple(range(len(x)))
    gradient = wengert.grad(s, argnums=argnums)
    v = random_like(x, seeded(case, "tangents"))
    expected = directional_difference(gradient, x, v)
    rtol, atol = 10 * case.rtol, 10 * case.atol

    _, forward_over_reverse = wengert.jvp(gradient, x, v)
    assert_all_close(leaves(forward_over_reverse), expected, rtol, atol, "H v, forward over reverse")

    def gradient_along_v(*y):
        return sum(wnp.sum(g * t) for g, t in zip(gradient(*y), v))

    reverse_over_reverse = wengert.grad(gradient_along_v, argnums=argnums)(*x)
    assert_all_close(leaves(reverse_over_reverse), expected, rtol, atol, "H v, reverse over reverse")

    def derivative_along_v(*y):
        return wengert.jvp(s, y, v)[1]

    reverse_over_forward = wengert.grad(derivative_along_v, argnums=argnums)(*x)
    assert_all_close(leaves(reverse_over_forward), expected, rtol, atol, "H v, reverse over forward")

    _, curvature = wengert.jvp(derivative_along_v, x, v)
    np.testing.assert_allclose(
        float(curvature),
        inner(expected, v),
        rtol=rtol,
        atol=atol * (1 + np.sqrt(inner(v, v))),
        err_msg="v^T H v, forward over forward",
    )


def check_float32(case: OpCase) -> None:
    """float32 in, float32 out (values, tangents, cotangents), close to float64 at the same inputs."""
    args32 = tuple(a.astype(np.float32) if _is_float(a) else a for a in case.args)
    args64 = tuple(a.astype(np.float64) if _is_float(a) else a for a in args32)
    out32, out64 = case.fn(*args32), case.fn(*args64)
    _assert_float32_like(leaves(out32), leaves(out64), "value")
    if case.order == 0:
        return
    f32, x32 = differentiated(case, args32)
    f64, x64 = differentiated(case, args64)
    v = random_like(x32, seeded(case, "tangents"))
    _, t32 = wengert.jvp(f32, x32, v)
    _, t64 = wengert.jvp(f64, x64, [t.astype(np.float64) for t in v])
    _assert_float32_like(leaves(t32), leaves(t64), "tangent")
    out_leaves, out_tree = wengert.tree_flatten(out32)
    u = random_like(out_leaves, seeded(case, "cotangents"))
    c32 = wengert.vjp(f32, *x32)[1](wengert.tree_unflatten(out_tree, u))
    c64 = wengert.vjp(f64, *x64)[1](wengert.tree_unflatten(out_tree, [a.astype(np.float64) for a in u]))
    _assert_float32_like(leaves(c32), leaves(c64), "cotangent")


def _assert_float32_like(values32: list, values64: list, what: str) -> None:
    assert len(values32) == len(values64)
    for i, (a, b) in enumerate(zip(values32, values64)):
        if _is_float(b):
            assert a.dtype == np.float32, f"{what} {i}: float32 inputs gave {a.dtype}"
            scale = max(1.0, float(np.nanmax(np.abs(np.where(np.isfinite(b), b, 0.0)), initial=0.0)))
            np.testing.assert_allclose(
                a, b, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL * scale, equal_nan=True, err_msg=f"float32 {what} [{i}]"
            )
        else:
            assert a.dtype == b.dtype, f"{what} {i}: dtype {a.dtype} in float32, {b.dtype} in float64"
            np.testing.assert_array_equal(a, b, err_msg=f"float32 {what} [{i}]")


def check_no_derivative(case: OpCase) -> None:
    """A non-differentiable function's output carries no derivative: zero gradient and tangent."""
    f, x = differentiated(case)
    gradients = wengert.grad(scalarised(case, f), argnums=tuple(range(len(x))))(*x)
    for i, g in enumerate(leaves(gradients)):
        assert not np.any(g), f"gradient {i} of a non-differentiable function is {g}, not zero"
    _, tangent = wengert.jvp(f, x, random_like(x, seeded(case, "tangents")))
    for i, t in enumerate(leaves(tangent)):
        assert not np.any(t), f"tangent {i} of a non-differentiable function is {t}, not zero"


# --- reverse mode by transposition (vjp(method="transpose")) vs the tape --------------------------------

TRANSPOSE_RTOL, TRANSPOSE_ATOL = 1e-9, 1e-11
"""The two reverse modes run mostly the same rules in another order: they agree to rounding."""


def check_transpose_matches_tape(case: OpCase) -> None:
    """``vjp(f, method="transpose")`` gives the tape's output and cotangents (shapes, dtypes, values)."""
    f, x = differentiated(case)
    out, tape_pullback = wengert.vjp(f, *x)
    out_t, transpose_pullback = wengert.vjp(f, *x, method="transpose")
    assert_all_close(leaves(out_t), leaves(out), VALUE_RTOL, VALUE_ATOL, "transpose-vjp primal output")
    out_leaves, out_tree = wengert.tree_flatten(out)
    u = wengert.tree_unflatten(out_tree, random_like(out_leaves, seeded(case, "cotangents")))
    by_tape, by_transpose = leaves(tape_pullback(u)), leaves(transpose_pullback(u))
    for i, (a, b) in enumerate(zip(by_transpose, by_tape)):
        assert a.dtype == b.dtype, f"cotangent {i}: dtype {a.dtype} by transposition, {b.dtype} by the tape"
    assert_all_close(by_transpose, by_tape, TRANSPOSE_RTOL, TRANSPOSE_ATOL * _scale(by_tape), "transpose vs tape")


def check_transpose_second_order(case: OpCase) -> None:
    """``H v`` through the transposition gradient, by forward mode, the tape and transposition again,
    equals ``H v`` by the tape over the tape."""
    f, x = differentiated(case)
    s = scalarised(case, f)
    v = random_like(x, seeded(case, "tangents"))

    def gradient(method):
        def g(*y):
            value, pullback = wengert.vjp(s, *y, method=method)
            return pullback(np.ones((), np.asarray(value).dtype if not hasattr(value, "dtype") else value.dtype))

        return g

    def along_v(g):
        return lambda *y: sum(wnp.sum(a * b) for a, b in zip(g(*y), v))

    expected = leaves(wengert.vjp(along_v(gradient("tape")), *x)[1](1.0))
    rtol, atol = 1e3 * TRANSPOSE_RTOL, 1e3 * TRANSPOSE_ATOL * _scale(expected)
    by_forward = leaves(wengert.jvp(gradient("transpose"), x, v)[1])
    assert_all_close(by_forward, expected, rtol, atol, "H v, forward over transposition")
    by_tape = leaves(wengert.vjp(along_v(gradient("transpose")), *x)[1](1.0))
    assert_all_close(by_tape, expected, rtol, atol, "H v, tape over transposition")
    by_transpose = leaves(wengert.vjp(along_v(gradient("transpose")), *x, method="transpose")[1](1.0))
    assert_all_close(by_transpose, expected, rtol, atol, "H v, transposition over transposition")


def _scale(values: list) -> float:
    """The largest finite magnitude among ``values`` (at least 1), to scale an absolute tolerance."""
    finite = [np.abs(np.where(np.isfinite(v), v, 0.0)).max(initial=0.0) for v in values]
    return max([1.0, *finite])


def run_source(source: str, flat_args: list, name: str = "f"):
    """Execute generated source (``Program.to_source()``) and call its function ``name`` on ``flat_args``."""
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace[name](*flat_args)
