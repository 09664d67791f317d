"""The benchmark's second-order sections: Jacobians in both modes, Hessians and Hessian-vector products.

**Jacobian.** ``f(x) = tanh(B @ x)`` maps ``R^n_in`` to ``R^n_out``; its Jacobian is
``J = diag(1 - tanh(B x)^2) B``. Forward mode builds ``J`` from ``n_in``
tangents, reverse mode from ``n_out`` cotangents, so for a wide ``B``
(``n_in = 1000, n_out = 10``) reverse mode should win and for a tall one
(``n_in = 10, n_out = 1000``) forward mode: the ratio ``jacfwd / jacrev`` shows
that mode-by-shape effect, and ``jacobian`` (automatic choice) should match the
better mode.

**Hessian.** ``f(x) = sum(tanh(A @ x)^2)`` with ``y = tanh(A x)`` has gradient
``A^T (2 y (1 - y^2))`` and Hessian ``H = A^T diag(2 (1 - y^2)(1 - 3 y^2)) A``;
the Hessian-vector product is ``H v`` without forming ``H``.

Both are written once against a NumPy-like namespace (:func:`tanh_layer`,
:func:`sum_tanh_squared`), so every implementation differentiates the same
program, and both have a hand-written NumPy reference (the formulas above),
which every row is checked against before it is timed and which is the
baseline of the ratios.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from harness import (
    Implementation,
    Settings,
    check_close,
    checked_steps,
    median_seconds,
    print_problems,
    print_table,
    table_cell,
    target_row,
    timed_columns,
)

import wengert
import wengert.numpy as wnp
from wengert import jit

JACOBIAN_SHAPES = ((1000, 10), (10, 1000))  # (n_in, n_out)
HESSIAN_SIZE = 100
TARGET_AUTO_OVER_BEST = 1.1  # jacobian (auto) / the better of jacfwd and jacrev
TARGET_HESSIAN_SECONDS = {"wengert": 1e-3, "wengert (jit)": 0.3e-3}
MODES_COMPARED = (  # rows of the jacfwd / jacrev table: (label, forward row, reverse row)
    ("wengert", "wengert jacfwd", "wengert jacrev"),
    ("wengert (jit)", "wengert jacfwd (jit)", "wengert jacrev (jit)"),
    ("jax (jit)", "jax jacfwd (jit)", "jax jacrev (jit)"),
    ("torch.func", "torch.func jacfwd", "torch.func jacrev"),
)


def checker(what: str, want: np.ndarray, read: Callable = np.asarray) -> Callable[[object], None]:
    """A check for :func:`harness.checked_steps`: ``read(result)`` equals ``want`` in float64."""
    scale = float(np.max(np.abs(want)))
    return lambda result: check_close(what, read(result), want, np.float64, scale)


def _torch_numpy(tensor) -> np.ndarray:
    return tensor.detach().numpy()


# --- the Jacobian of tanh(B @ x) ---------------------------------------------------------------


def jacobian_problem(n_in: int, n_out: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, B)``: a point and ``B`` of shape ``(n_out, n_in)``, scaled so ``B @ x`` stays in tanh's live range."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n_in)
    return x, rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)


def tanh_layer(xnp) -> Callable:
    """``(x, B) -> tanh(B @ x)`` written with namespace ``xnp``.

    ``B`` is an argument, not a constant of the function, so that no
    implementation can fold ``B`` times the basis tangents at compile time;
    every Jacobian is taken with respect to ``x`` only.
    """
    return lambda x, B: xnp.tanh(B @ x)


def jacobian_by_hand(x: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``J = diag(1 - tanh(B x)^2) B``, shape ``(n_out, n_in)``."""
    y = np.tanh(B @ x)
    return (1.0 - y**2)[:, None] * B


def jacobian_implementations(peers: dict, x: np.ndarray, B: np.ndarray) -> list[Implementation]:
    """The rows of the Jacobian table for one ``(x, B)``, the hand-written reference first."""
    autograd, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
    want = jacobian_by_hand(x, B)
    f = tanh_layer(wnp)

    def wengert_row(transform, compiled: bool, what: str):
        def make():
            jacobian = jit(transform(f)) if compiled else transform(f)
            return (lambda: jacobian(x, B)), checker(what, want)

        return make

    def autograd_row():
        import autograd.numpy as anp

        jacobian = autograd.jacobian(tanh_layer(anp))
        return (lambda: jacobian(x, B)), checker("autograd jacobian", want)

    def jax_row(transform_name: str):
        def make():
            jnp = jax.numpy
            jacobian = jax.jit(getattr(jax, transform_name)(tanh_layer(jnp)))
            x_on_device, B_on_device = jnp.asarray(x), jnp.asarray(B)
            return (
                (lambda: jax.block_until_ready(jacobian(x_on_device, B_on_device))),
                checker(f"jax {transform_name}", want),
            )

        return make

    def torch_row(transform_name: str):
        def make():
            jacobian = getattr(torch.func, transform_name)(tanh_layer(torch))
            x_tensor, B_tensor = torch.from_numpy(x), torch.from_numpy(B)
            return (lambda: jacobian(x_tensor, B_tensor)), checker(f"torch.func {transform_name}", want, _torch_numpy)

        return make

    return [
        ("numpy (by hand)", lambda: ((lambda: jacobian_by_hand(x, B)), checker("by hand", want))),
        ("wengert jacfwd", wengert_row(wengert.jacfwd, False, "wengert jacfwd")),
        ("wengert jacrev", wengert_row(wengert.jacrev, False, "wengert jacrev")),
        ("wengert jacobian (auto)", wengert_row(wengert.jacobian, False, "wengert jacobian")),
        ("wengert jacfwd (jit)", wengert_row(wengert.jacfwd, True, "jit(wengert jacfwd)")),
        ("wengert jacrev (jit)", wengert_row(wengert.jacrev, True, "jit(wengert jacrev)")),
        ("autograd jacobian", autograd and autograd_row),
        ("jax jacfwd (jit)", jax and jax_row("jacfwd")),
        ("jax jacrev (jit)", jax and jax_row("jacrev")),
        ("torch.func jacfwd", torch and torch_row("jacfwd")),
        ("torch.func jacrev", torch and torch_row("jacrev")),
    ]


def run_jacobian(peers: dict, settings: Settings) -> None:
    """Print the Jacobian table, the jacfwd / jacrev table and the automatic-choice target."""
    medians_by_shape, problems, rows_by_shape = [], [], []
    for n_in, n_out in JACOBIAN_SHAPES:
        implementations = jacobian_implementations(peers, *jacobian_problem(n_in, n_out))
        steps, broken = checked_steps(implementations, f"n_in={n_in}, n_out={n_out}")
        problems += broken
        medians_by_shape.append(median_seconds(steps, settings))
        rows_by_shape.append(implementations)
    columns = [f"n_in={n_in}, n_out={n_out}" for n_in, n_out in JACOBIAN_SHAPES]
    rows = []
    for k, (name, _) in enumerate(rows_by_shape[0]):
        cells = []
        for medians, implementations in zip(medians_by_shape, rows_by_shape):
            cells.append(table_cell(name, implementations[k][1], medians, medians.get("numpy (by hand)")))
        rows.append([name, *cells])
    print_table(
        "Jacobian of tanh(B @ x), float64: median time, (ratio to hand-written NumPy)",
        ["implementation", *columns],
        rows,
    )
    print_problems(problems)

    ratio_rows = []
    for label, forward, reverse in MODES_COMPARED:
        cells = []
        for medians in medians_by_shape:
            both = forward in medians and reverse in medians
            cells.append(f"{medians[forward] / medians[reverse]:.2f}" if both else "-")
        ratio_rows.append([label, *cells])
    print_table(
        "Jacobian, mode by shape: time of jacfwd / time of jacrev (< 1: forward wins)",
        ["implementation", *columns],
        ratio_rows,
    )

    targets = []
    for column, medians in zip(columns, medians_by_shape):
        modes = [medians[name] for name in ("wengert jacfwd", "wengert jacrev") if name in medians]
        auto = medians.get("wengert jacobian (auto)")
        measured = None if auto is None or len(modes) < 2 else auto / min(modes)
        target = f"{column}: jacobian (auto) <= {TARGET_AUTO_OVER_BEST}x the better of jacfwd, jacrev"
        targets.append(target_row(target, measured, TARGET_AUTO_OVER_BEST))
    print_table("Targets: Jacobian", ["target", "measured", "met"], targets)


# --- the Hessian of sum(tanh(A @ x)^2) and its product with a vector ---------------------------


def hessian_problem(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, v, A)``: a point, a direction, and an ``n x n`` matrix scaled so ``A @ x`` stays in tanh's live range."""
    rng = np.random.default_rng(seed)
    x, v = rng.standard_normal(n), rng.standard_normal(n)
    return x, v, rng.standard_normal((n, n)) / np.sqrt(n)


def sum_tanh_squared(xnp) -> Callable:
    """``(x, A) -> sum(tanh(A @ x)^2)`` written with namespace ``xnp``; ``A`` an argument, as in :func:`tanh_layer`."""
    return lambda x, A: xnp.sum(xnp.tanh(A @ x) ** 2)


def _curvature(x: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``d^2 sum(y^2) / du^2`` at ``u = A x``, elementwise: ``2 (1 - y^2)(1 - 3 y^2)`` with ``y = tanh(u)``."""
    y2 = np.tanh(A @ x) ** 2
    return 2.0 * (1.0 - y2) * (1.0 - 3.0 * y2)


def hessian_by_hand(x: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``H = A^T diag(2 (1 - y^2)(1 - 3 y^2)) A``."""
    return A.T @ (_curvature(x, A)[:, None] * A)


def hvp_by_hand(x: np.ndarray, v: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``H v = A^T (2 (1 - y^2)(1 - 3 y^2) * (A v))``, without forming ``H``."""
    return A.T @ (_curvature(x, A) * (A @ v))


def hessian_implementations(
    peers: dict, x: np.ndarray, v: np.ndarray, A: np.ndarray
) -> dict[str, list[Implementation]]:
    """The rows of the Hessian table for ``(x, v, A)``: one list per column, ``hessian`` and ``hvp``.

    Every Hessian is with respect to ``x`` of ``f(x, A)``; every HVP is the
    forward derivative of the gradient along ``v``, ``jvp(grad f, (x,), (v,))``.
    """
    autograd, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
    want_hessian, want_hvp = hessian_by_hand(x, A), hvp_by_hand(x, v, A)

    def rows(label: str, hessian: Callable, product: Callable, read: Callable = np.asarray):
        """``(make hessian row, make hvp row)`` from ``hessian(x, A)`` and ``product(x, v, A)`` on converted inputs."""
        return (
            lambda: ((lambda: hessian(x, A)), checker(f"{label} hessian", want_hessian, read)),
            lambda: ((lambda: product(x, v, A)), checker(f"{label} hvp", want_hvp, read)),
        )

    def wengert_rows(compiled: bool):
        f = sum_tanh_squared(wnp)

        def product(x, v, A):
            return wengert.hvp(lambda x: f(x, A), (x,), (v,))

        hessian = wengert.hessian(f)
        if compiled:
            return rows("jit(wengert)", jit(hessian), jit(product))
        return rows("wengert", hessian, product)

    def autograd_rows():
        import autograd.numpy as anp

        f = sum_tanh_squared(anp)
        product = autograd.hessian_vector_product(f)  # called as product(*args, vector)
        return rows("autograd", autograd.hessian(f), lambda x, v, A: product(x, A, v))

    def jax_rows():
        jnp = jax.numpy
        f = sum_tanh_squared(jnp)
        hessian = jax.jit(jax.hessian(f))
        product = jax.jit(lambda x, v, A: jax.jvp(lambda x: jax.grad(f)(x, A), (x,), (v,))[1])
        xj, vj, Aj = jnp.asarray(x), jnp.asarray(v), jnp.asarray(A)
        return (
            lambda: ((lambda: jax.block_until_ready(hessian(xj, Aj))), checker("jax hessian", want_hessian)),
            lambda: ((lambda: jax.block_until_ready(product(xj, vj, Aj))), checker("jax hvp", want_hvp)),
        )

    def torch_rows():
        func = torch.func
        f = sum_tanh_squared(torch)
        hessian = func.hessian(f)
        xt, vt, At = torch.from_numpy(x), torch.from_numpy(v), torch.from_numpy(A)

        def product():
            return func.jvp(lambda x: func.grad(f)(x, At), (xt,), (vt,))[1]

        return (
            lambda: ((lambda: hessian(xt, At)), checker("torch.func hessian", want_hessian, _torch_numpy)),
            lambda: (product, checker("torch.func hvp", want_hvp, _torch_numpy)),
        )

    table = [
        ("numpy (by hand)", rows("by hand", hessian_by_hand, hvp_by_hand)),
        ("wengert", wengert_rows(compiled=False)),
        ("wengert (jit)", wengert_rows(compiled=True)),
        ("autograd", autograd and autograd_rows()),
        ("jax (jit)", jax and jax_rows()),
        ("torch.func", torch and torch_rows()),
    ]
    return {
        column: [(name, makes and makes[k]) for name, makes in table] for k, column in enumerate(("hessian", "hvp"))
    }


def run_hessian(peers: dict, settings: Settings) -> None:
    """Print the Hessian / HVP table and the Hessian's time targets."""
    by_column = hessian_implementations(peers, *hessian_problem(HESSIAN_SIZE))
    per_column, rows, problems = timed_columns(by_column, settings, baseline="numpy (by hand)")
    print_table(
        f"Hessian of sum(tanh(A @ x)**2), n = {HESSIAN_SIZE}, float64: median time, (ratio to hand-written NumPy)",
        ["implementation", f"hessian ({HESSIAN_SIZE}x{HESSIAN_SIZE})", "hvp (H @ v)"],
        rows,
    )
    print_problems(problems)
    targets = [
        target_row(f"hessian, {name}: under {limit * 1e3:g} ms", per_column["hessian"].get(name), limit, unit="s")
        for name, limit in TARGET_HESSIAN_SECONDS.items()
    ]
    print_table("Targets: Hessian (absolute times: noisy on a busy machine)", ["target", "measured", "met"], targets)
