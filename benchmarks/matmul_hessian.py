"""The benchmark's section on derivatives through a matrix product: a Hessian and Jacobians of ``f(A @ x)``.

**The program.** ``f(x, A) = sum(log(1 + exp(A @ x)))`` with ``A`` of :data:`SHAPE`
(1000 x 500), the loss of a logistic model; its Hessian in ``x`` is
``H = Aᵀ diag(σ(1 - σ)) A`` with ``σ = sigmoid(A x)``. And ``g(x, A) = log(1 + exp(A @ x))``,
a function from ``R^500`` to ``R^1000`` that starts with a matrix product, whose
Jacobian ``diag(σ) A`` ``jacfwd`` and ``jacrev`` build. ``A`` is an argument, never
a constant of a compiled function. Forward over reverse pushes an identity basis
through ``A`` (``A I``): done well that costs no more than ``A`` itself.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from harness import (
    Implementation,
    Settings,
    print_problems,
    print_table,
    target_row,
    timed_columns,
)
from jacobians import _torch_numpy, checker

import wengert
import wengert.numpy as wnp
from wengert import jit

SHAPE = (1000, 500)
COLUMNS = ("hessian of f", "jacfwd of g", "jacrev of g")
TARGETS = {"wengert": 1.5, "wengert (jit)": 1.1}  # over jax (jit), every column


def logistic_problem(m: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, A)`` with ``A x`` of order one."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.standard_normal((m, n)) / np.sqrt(n)


def softplus_sum(xnp) -> Callable:
    """``(x, A) -> sum(log(1 + exp(A @ x)))`` written with namespace ``xnp``."""
    return lambda x, A: xnp.sum(xnp.log(1.0 + xnp.exp(A @ x)))


def softplus_layer(xnp) -> Callable:
    """``(x, A) -> log(1 + exp(A @ x))`` written with namespace ``xnp``."""
    return lambda x, A: xnp.log(1.0 + xnp.exp(A @ x))


def _sigmoid(x: np.ndarray, A: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(A @ x)))


def hessian_by_hand(x: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``Aᵀ diag(σ (1 - σ)) A``."""
    s = _sigmoid(x, A)
    return A.T @ ((s * (1.0 - s))[:, None] * A)


def jacobian_by_hand(x: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``diag(σ) A``."""
    return _sigmoid(x, A)[:, None] * A


def matmul_implementations(peers: dict, x: np.ndarray, A: np.ndarray) -> dict[str, list[Implementation]]:
    """The rows of the table, one list per column of :data:`COLUMNS`."""
    autograd, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
    wants = (hessian_by_hand(x, A), jacobian_by_hand(x, A), jacobian_by_hand(x, A))
    programs = (softplus_sum, softplus_layer, softplus_layer)

    def row(label: str, derivatives: tuple, convert: Callable = lambda a: a, read: Callable = np.asarray):
        """Makers of one row, from its three derivative functions of ``(x, A)``."""
        xs, As = convert(x), convert(A)

        def make(k: int):
            return lambda: ((lambda: derivatives[k](xs, As)), checker(f"{label} {COLUMNS[k]}", wants[k], read))

        return tuple(make(k) for k in range(3))

    def wengert_rows(compiled: bool):
        transforms = (wengert.hessian, wengert.jacfwd, wengert.jacrev)
        derivatives = tuple(t(p(wnp)) for t, p in zip(transforms, programs))
        if compiled:
            return row("wengert (jit)", tuple(jit(d) for d in derivatives))
        return row("wengert", derivatives)

    def autograd_rows():
        import autograd.numpy as anp

        transforms = (autograd.hessian, autograd.jacobian, autograd.jacobian)
        return row("autograd", tuple(t(p(anp)) for t, p in zip(transforms, programs)))

    def jax_rows():
        transforms = (jax.hessian, jax.jacfwd, jax.jacrev)
        jitted = tuple(jax.jit(t(p(jax.numpy))) for t, p in zip(transforms, programs))
        ready = tuple((lambda d: lambda *a: jax.block_until_ready(d(*a)))(d) for d in jitted)
        return row("jax (jit)", ready, jax.numpy.asarray)

    def torch_rows():
        func = torch.func
        transforms = (func.hessian, func.jacfwd, func.jacrev)
        return row(
            "torch.func", tuple(t(p(torch)) for t, p in zip(transforms, programs)), torch.from_numpy, _torch_numpy
        )

    table = [
        ("numpy (by hand)", row("by hand", (hessian_by_hand, jacobian_by_hand, jacobian_by_hand))),
        ("wengert", wengert_rows(compiled=False)),
        ("wengert (jit)", wengert_rows(compiled=True)),
        ("autograd", autograd and autograd_rows()),
        ("jax (jit)", jax and jax_rows()),
        ("torch.func", torch and torch_rows()),
    ]
    return {column: [(name, makes and makes[k]) for name, makes in table] for k, column in enumerate(COLUMNS)}


def run_matmul_hessian(peers: dict, settings: Settings, shape: tuple[int, int] = SHAPE) -> None:
    """Print the table and its targets: wengert over JAX jit in every column (issue 19)."""
    by_column = matmul_implementations(peers, *logistic_problem(*shape))
    per_column, rows, problems = timed_columns(by_column, settings, baseline="jax (jit)")
    m, n = shape
    print_table(
        f"Through a matrix product, A {m}x{n}: f = sum(log(1 + exp(A @ x))), g = log(1 + exp(A @ x)), float64: "
        "median time, (ratio to jax jit)",
        ["implementation", *COLUMNS],
        rows,
    )
    print_problems(problems)
    targets = []
    for name, limit in TARGETS.items():
        for column in COLUMNS:
            medians_here = per_column[column]
            jax_time = medians_here.get("jax (jit)")
            measured = None if jax_time is None or name not in medians_here else medians_here[name] / jax_time
            targets.append(target_row(f"{column}, {name} <= {limit}x jax (jit)", measured, limit))
    print_table("Targets: through a matrix product (issue 19)", ["target", "measured", "met"], targets)
