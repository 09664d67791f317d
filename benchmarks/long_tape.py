"""The benchmark's section on long tapes: the gradient of an RNN unrolled over 500 steps, eager.

**The program.** A vanilla RNN, ``h_{t+1} = tanh(x_t U + h_t W + b)`` from ``h_0 = 0`` over
:data:`STEPS` inputs ``x_t`` (batch :data:`BATCH`, :data:`INPUTS` features, :data:`HIDDEN`
hidden units), and the loss ``mean((h_T V - y)²)``; the gradient is in ``(W, U, b, V)``. Five
operations a step, so the tape holds about 2,500 entries: longer than the compiled backward
pass's limit, so wengert's eager backward pass walks it (docs/jit.md). The matrix products are
small (32 x 128 x 128), where a BLAS's threads cost as much as they save.

**Rows.** Backpropagation through time written by hand in NumPy (:func:`gradient_by_hand`), the
reference every row is checked against; wengert (``value_and_grad``, eager); HIPS autograd;
PyTorch eager (``backward``); JAX jit of the same loop written with ``lax.scan`` (an unrolled
loop of 500 steps takes XLA minutes to compile). Every ratio is to autograd, the eager tape
the issue holds wengert against: run it with ``--threads 1`` and with ``--threads 2``.
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
from jacobians import checker

import wengert
import wengert.numpy as wnp

STEPS = 500
BATCH = 32
INPUTS = 16
HIDDEN = 128
COLUMN = "value and gradient"
TARGET = 1.0  # wengert / autograd (issue 19)


def rnn_problem(steps: int = STEPS, batch: int = BATCH, inputs: int = INPUTS, hidden: int = HIDDEN, seed: int = 0):
    """``(params, xs, y)``: parameters ``(W, U, b, V)`` scaled so ``h`` stays in tanh's working range."""
    rng = np.random.default_rng(seed)
    params = (
        rng.standard_normal((hidden, hidden)) * 0.9 / np.sqrt(hidden),
        rng.standard_normal((inputs, hidden)) / np.sqrt(inputs),
        rng.standard_normal(hidden) * 0.1,
        rng.standard_normal((hidden, 1)) / np.sqrt(hidden),
    )
    xs = [rng.standard_normal((batch, inputs)) for _ in range(steps)]
    return params, xs, rng.standard_normal((batch, 1))


def rnn_loss(xnp, xs: list, y) -> Callable:
    """``(W, U, b, V) -> mean((h_T V - y)²)`` written with namespace ``xnp``."""

    def loss(W, U, b, V):
        h = xnp.zeros((xs[0].shape[0], W.shape[0]), dtype=W.dtype)
        for x in xs:
            h = xnp.tanh(x @ U + h @ W + b)
        return xnp.mean((h @ V - y) ** 2)

    return loss


def gradient_by_hand(params: tuple, xs: list, y: np.ndarray) -> tuple[float, tuple]:
    """``(loss, (W̄, Ū, b̄, V̄))`` by backpropagation through time: from ``h̄_T = 2 (h_T V - y) Vᵀ / n``,
    each step back ``ā = h̄ (1 - h_{t+1}²)``, ``W̄ += h_tᵀ ā``, ``Ū += x_tᵀ ā``, ``b̄ += Σ ā``, ``h̄ = ā Wᵀ``."""
    W, U, b, V = params
    hs = [np.zeros((xs[0].shape[0], W.shape[0]))]
    for x in xs:
        hs.append(np.tanh(x @ U + hs[-1] @ W + b))
    residual = hs[-1] @ V - y
    loss = np.mean(residual**2)
    r_bar = 2.0 * residual / residual.size
    grads = [np.zeros_like(W), np.zeros_like(U), np.zeros_like(b), hs[-1].T @ r_bar]
    h_bar = r_bar @ V.T
    for t in range(len(xs) - 1, -1, -1):
        a_bar = h_bar * (1.0 - hs[t + 1] ** 2)
        grads[0] += hs[t].T @ a_bar
        grads[1] += xs[t].T @ a_bar
        grads[2] += a_bar.sum(axis=0)
        h_bar = a_bar @ W.T
    return loss, tuple(grads)


def long_tape_implementations(peers: dict, problem: tuple | None = None) -> dict[str, list[Implementation]]:
    """The rows of the table, one column."""
    autograd, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
    params, xs, y = problem or rnn_problem()
    want_loss, want_grads = gradient_by_hand(params, xs, y)
    want = np.concatenate([np.ravel(want_loss), *(np.ravel(g) for g in want_grads)])

    def row(label: str, step: Callable, read: Callable = np.asarray) -> Callable:
        """The maker of a row whose ``step()`` returns ``(loss, gradients)``."""

        def reads(result):
            loss, grads = result
            return np.concatenate([np.ravel(read(loss)), *(np.ravel(read(g)) for g in grads)])

        return lambda: (step, checker(f"{label} {COLUMN}", want, reads))

    def wengert_row():
        value_and_grad = wengert.value_and_grad(rnn_loss(wnp, xs, y), argnums=(0, 1, 2, 3))
        return row("wengert", lambda: value_and_grad(*params))

    def autograd_row():
        import autograd.numpy as anp

        value_and_grad = autograd.value_and_grad(rnn_loss(anp, xs, y), argnum=(0, 1, 2, 3))
        return row("autograd", lambda: value_and_grad(*params))

    def torch_row():
        leaves = tuple(torch.from_numpy(p.copy()).requires_grad_() for p in params)
        loss = rnn_loss(torch, [torch.from_numpy(x) for x in xs], torch.from_numpy(y))

        def step():
            for leaf in leaves:
                leaf.grad = None
            value = loss(*leaves)
            value.backward()
            return value.detach(), tuple(leaf.grad for leaf in leaves)

        return row("torch (eager)", step, lambda t: t.numpy())

    def jax_row():
        jnp = jax.numpy

        def loss(W, U, b, V, xs, y):
            def step(h, x):
                return jnp.tanh(x @ U + h @ W + b), None

            h, _ = jax.lax.scan(step, jnp.zeros((xs.shape[1], W.shape[0]), W.dtype), xs)
            return jnp.mean((h @ V - y) ** 2)

        value_and_grad = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2, 3)))
        args = tuple(jnp.asarray(a) for a in (*params, np.stack(xs), y))
        return row("jax (jit)", lambda: jax.block_until_ready(value_and_grad(*args)))

    table = [
        ("numpy (by hand)", row("by hand", lambda: gradient_by_hand(params, xs, y))),
        ("wengert", wengert_row()),
        ("autograd", autograd and autograd_row()),
        ("torch (eager)", torch and torch_row()),
        ("jax (jit)", jax and jax_row()),
    ]
    return {COLUMN: table}


def run_long_tape(peers: dict, settings: Settings) -> None:
    """Print the table and its target: wengert's eager gradient no slower than autograd's (issue 19)."""
    per_column, rows, problems = timed_columns(long_tape_implementations(peers), settings, baseline="autograd")
    print_table(
        f"Long tape: an RNN over {STEPS} steps (batch {BATCH}, {INPUTS} inputs, {HIDDEN} hidden), value and "
        "gradient, float64: median time, (ratio to autograd)",
        ["implementation", COLUMN],
        rows,
    )
    print_problems(problems)
    medians = per_column[COLUMN]
    baseline = medians.get("autograd")
    measured = None if baseline is None or "wengert" not in medians else medians["wengert"] / baseline
    targets = [target_row(f"{COLUMN}, wengert <= {TARGET:g}x autograd", measured, TARGET)]
    print_table("Targets: long tape (issue 19)", ["target", "measured", "met"], targets)
