"""The benchmark's linear-algebra section: the gradient of a Gaussian process's negative log marginal likelihood.

**The program.** An RBF kernel ``K = sf² exp(-D / (2 ell²)) + sn² I`` over
:data:`SIZE` points (``D`` the matrix of squared distances, an argument), its
Cholesky factor ``L``, ``z = L⁻¹ y`` and

    nlml(θ) = ½ zᵀz + Σ log Lᵢᵢ + (N/2) log 2π,     θ = (log ell, log sf, log sn),

written once against a NumPy-like namespace (:func:`gp_nlml`) with only
``cholesky`` and ``solve`` from its ``linalg``, so every implementation
differentiates the same program. The gradient is taken in ``θ``.

**The reference.** With ``α = K⁻¹ y`` and ``W = K⁻¹ - α αᵀ``,
``∂ nlml / ∂θₖ = ½ tr(W ∂K/∂θₖ)``: ``∂K/∂ log ell = K_rbf ∘ D / ell²``,
``∂K/∂ log sf = 2 K_rbf``, ``∂K/∂ log sn = 2 sn² I``; ``K⁻¹`` from the
Cholesky factor (SciPy's ``cho_solve`` where installed).
"""

from __future__ import annotations

import math
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
)

import wengert
import wengert.numpy as wnp

SIZE = 500
THETA = np.array([np.log(0.7), np.log(1.3), np.log(0.3)])  # log ell, log sf, log sn
TARGET_EAGER = 1.2  # wengert eager / the best of torch (eager) and jax (jit)
TARGET_JIT = 1.0  # wengert jit / the same
PEER_ROWS = ("torch (eager)", "jax (jit)")


def gp_problem(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(D, identity, y)``: squared distances of ``n`` points on a line, the identity, and noisy observations."""
    rng = np.random.default_rng(seed)
    points = np.sort(rng.uniform(0.0, 10.0, n))
    y = np.sin(points) + 0.3 * rng.standard_normal(n)
    return (points[:, None] - points[None, :]) ** 2, np.eye(n), y


def gp_nlml(xnp) -> Callable:
    """``(θ, D, identity, y) -> nlml`` written with namespace ``xnp`` (``xnp.linalg.cholesky`` and ``solve``)."""

    def nlml(theta, D, identity, y):
        ell2, sf2, sn2 = xnp.exp(2.0 * theta[0]), xnp.exp(2.0 * theta[1]), xnp.exp(2.0 * theta[2])
        K = sf2 * xnp.exp(-0.5 * D / ell2) + sn2 * identity
        L = xnp.linalg.cholesky(K)
        z = xnp.linalg.solve(L, y)
        return (
            0.5 * xnp.sum(z * z)
            + xnp.sum(xnp.log(xnp.diagonal(L, 0, -1, -2)))
            + 0.5 * y.shape[0] * math.log(2 * math.pi)
        )

    return nlml


def _inverse_from_cholesky(L: np.ndarray, identity: np.ndarray) -> np.ndarray:
    try:
        from scipy.linalg import cho_solve
    except ImportError:
        inverse = np.linalg.inv(L)
        return inverse.T @ inverse
    return cho_solve((L, True), identity)


def gp_by_hand(theta: np.ndarray, D: np.ndarray, identity: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """``(nlml, ∂ nlml / ∂θ)`` by the formulas of the module docstring."""
    ell2, sf2, sn2 = np.exp(2.0 * theta)
    rbf = sf2 * np.exp(-0.5 * D / ell2)
    L = np.linalg.cholesky(rbf + sn2 * identity)
    K_inv = _inverse_from_cholesky(L, identity)
    alpha = K_inv @ y
    value = 0.5 * y @ alpha + np.sum(np.log(np.diagonal(L))) + 0.5 * y.shape[0] * math.log(2 * math.pi)
    W = K_inv - np.outer(alpha, alpha)
    gradient = np.array(
        [
            0.5 * np.sum(W * rbf * D) / ell2,
            np.sum(W * rbf),
            sn2 * np.trace(W),
        ]
    )
    return value, gradient


def gp_implementations(peers: dict, theta, D, identity, y) -> list[Implementation]:
    """The rows of the GP table, the hand-written reference first; each computes ``(nlml, gradient)``."""
    autograd, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
    want_value, want_gradient = gp_by_hand(theta, D, identity, y)
    scale = float(np.max(np.abs(want_gradient)))

    def checker(label: str, read: Callable = np.asarray) -> Callable[[object], None]:
        def check(result):
            value, gradient = result
            check_close(
                f"{label} nlml",
                np.asarray(read(value), dtype=np.float64),
                np.float64(want_value),
                np.float64,
                abs(want_value),
            )
            check_close(f"{label} gradient", read(gradient), want_gradient, np.float64, scale)

        return check

    def wengert_row(compiled: bool):
        def make():
            step = wengert.value_and_grad(gp_nlml(wnp))
            if compiled:
                step = wengert.jit(step)
            return (lambda: step(theta, D, identity, y)), checker("wengert (jit)" if compiled else "wengert")

        return make

    def autograd_row():
        import autograd.numpy as anp

        step = autograd.value_and_grad(gp_nlml(anp))
        return (lambda: step(theta, D, identity, y)), checker("autograd")

    def torch_row():
        f = gp_nlml(torch)
        Dt, It, yt = (torch.from_numpy(a) for a in (D, identity, y))

        def step():
            theta_t = torch.tensor(theta, requires_grad=True)
            value = f(theta_t, Dt, It, yt)
            value.backward()
            return value.detach(), theta_t.grad

        return step, checker("torch", lambda t: t.numpy())

    def jax_row():
        jnp = jax.numpy
        step = jax.jit(jax.value_and_grad(gp_nlml(jnp)))
        args = tuple(jnp.asarray(a) for a in (theta, D, identity, y))
        return (lambda: jax.block_until_ready(step(*args))), checker("jax")

    return [
        ("numpy (by hand)", lambda: ((lambda: gp_by_hand(theta, D, identity, y)), checker("by hand"))),
        ("wengert", wengert_row(compiled=False)),
        ("wengert (jit)", wengert_row(compiled=True)),
        ("autograd", autograd and autograd_row),
        ("torch (eager)", torch and torch_row),
        ("jax (jit)", jax and jax_row),
    ]


def run_gaussian_process(peers: dict, settings: Settings, size: int = SIZE) -> None:
    """Print the GP table and its targets (issue 19)."""
    implementations = gp_implementations(peers, THETA, *gp_problem(size))
    steps, problems = checked_steps(implementations, f"N={size}")
    medians = median_seconds(steps, settings)
    best_peer = min((medians[name] for name in PEER_ROWS if name in medians), default=None)
    rows = [
        [
            name,
            table_cell(name, make, medians, medians.get("numpy (by hand)")),
            table_cell(name, make, medians, best_peer),
        ]
        for name, make in implementations
    ]
    print_table(
        f"Gaussian process: value and gradient of the negative log marginal likelihood (RBF, N = {size}), float64",
        ["implementation", "median (ratio to by hand)", "median (ratio to best of torch, jax jit)"],
        rows,
    )
    print_problems(problems)

    def over_best(name: str) -> float | None:
        return None if best_peer is None or name not in medians else medians[name] / best_peer

    targets = [
        target_row(f"wengert eager <= {TARGET_EAGER}x the best of torch, jax jit", over_best("wengert"), TARGET_EAGER),
        target_row(f"wengert jit <= {TARGET_JIT}x the best of torch, jax jit", over_best("wengert (jit)"), TARGET_JIT),
    ]
    print_table("Targets: Gaussian process (issue 19)", ["target", "measured", "met"], targets)
