"""The benchmark's section on scalar programs: the gradient of 2,029 operations on 0-d float64 values.

**The program.** A recurrence over two state values ``(x, y)`` with two
parameters ``(a, b)``, ten operations a step (:func:`recurrence_step`)::

    u = sin(x) * a + y          # sin, *, +
    v = tanh(u)                 # tanh
    w = exp(v * b)              # *, exp
    y = log(1 + w ** 1.5) / w   # **, +, log, /
    x = v

run for :data:`STEPS` steps from each of :data:`TRAJECTORIES` starting points
``(x + 0.1 k, y)``, ``k = 1..10``, and the value is the sum of ``x_k y_k`` at
the ends: :data:`OPERATIONS` operations, every one on a 0-d value, so the
arithmetic is nothing and what is timed is each library's cost per operation.
``v`` stays in ``(-1, 1)`` and ``w`` near 1, so nothing overflows or
underflows. The gradient is in all four inputs, passed as 0-d float64 arrays
(0-d tensors in PyTorch).

Ten trajectories of 20 steps, not one of 200: XLA's compile time of the
unrolled gradient grows explosively with a recurrence's depth (its fusion
duplicates cheap operations into each consumer, and the chain of cotangents is
all cheap operations): one trajectory of 200 steps took minutes to compile and
then ran in about 10 ms, which would measure that pathology, not JAX. (Written
with ``lax.fori_loop`` instead, JAX compiles the loop itself and runs the
gradient in tens of microseconds, beyond any Python-level execution.)

Two columns: the forward value alone, and the gradient (value and gradient
in PyTorch, whose ``backward`` needs the value first). Rows: the program in
plain Python floats and ``math`` (forward) with a hand-written backward pass
(:func:`gradient_by_hand`), the floor of any implementation and the reference
every row is checked against; wengert eager and jitted; HIPS autograd; PyTorch
eager; JAX jit. Every ratio is to ``jax (jit)``.
"""

from __future__ import annotations

import math
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
from wengert import jit

TRAJECTORIES = 10
STEPS = 20
OPERATIONS_PER_STEP = 10
OPERATIONS = TRAJECTORIES * (STEPS * OPERATIONS_PER_STEP + 2) + TRAJECTORIES - 1  # + the start, x y, the sum
INPUTS = (0.3, -0.2, 0.7, 0.4)  # x, y, a, b
COLUMNS = ("forward", "gradient")
TARGET_JIT = 2.0  # wengert (jit) / jax (jit), gradient column (issue 19)
EAGER_PEERS = ("autograd", "torch (eager)")  # the eager gradient is held faster than these


def recurrence_step(xnp, x, y, a, b):
    """One step of the recurrence, written with namespace ``xnp`` (``math`` for Python floats)."""
    u = xnp.sin(x) * a + y
    v = xnp.tanh(u)
    w = xnp.exp(v * b)
    return v, xnp.log(1.0 + w**1.5) / w


def scalar_program(xnp, trajectories: int = TRAJECTORIES, steps: int = STEPS) -> Callable:
    """``(x, y, a, b) -> sum_k x_k y_k``, ``(x_k, y_k)`` after ``steps`` steps of :func:`recurrence_step`
    from ``(x + 0.1 k, y)``, ``k = 1..trajectories``."""

    def program(x, y, a, b):
        total = None
        for k in range(1, trajectories + 1):
            xk, yk = x + 0.1 * k, y
            for _ in range(steps):
                xk, yk = recurrence_step(xnp, xk, yk, a, b)
            total = xk * yk if total is None else total + xk * yk
        return total

    return program


def gradient_by_hand(x: float, y: float, a: float, b: float, trajectories: int = TRAJECTORIES, steps: int = STEPS):
    """The gradient of :func:`scalar_program` in ``(x, y, a, b)``, a tuple of floats: for each
    trajectory the forward pass in floats, then the chain rule backwards through each step from
    ``(x̄, ȳ) = (y_n, x_n)``, ``ḡ`` the cotangent of each intermediate, ``y'`` the step's new ``y``::

        w̄ = ȳ (-y'/w + 1.5 w^0.5 / (w (1 + w^1.5))),  n̄ = w̄ w,  v̄ = x̄ + n̄ b,  b̄ += n̄ v
        ū = v̄ (1 - v²),  ā += ū sin x,  then  x̄ = ū a cos x,  ȳ = ū
    """
    gradient = [0.0, 0.0, 0.0, 0.0]
    for k in range(1, trajectories + 1):
        xk, yk, saved = x + 0.1 * k, y, []
        for _ in range(steps):
            s = math.sin(xk)
            v = math.tanh(s * a + yk)
            w = math.exp(v * b)
            r = 1.0 + w**1.5
            saved.append((xk, s, v, w, r))
            xk, yk = v, math.log(r) / w
        gx, gy = yk, xk
        for xk, s, v, w, r in reversed(saved):
            gw = gy * (-math.log(r) / w / w + 1.5 * w**0.5 / w / r)
            gn = gw * w
            gv = gx + gn * b
            gradient[3] += gn * v
            gu = gv * (1.0 - v * v)
            gradient[2] += gu * s
            gx, gy = gu * a * math.cos(xk), gu
        gradient[0] += gx
        gradient[1] += gy
    return tuple(gradient)


def scalar_implementations(
    peers: dict, inputs: tuple = INPUTS, trajectories: int = TRAJECTORIES, steps: int = STEPS
) -> dict[str, list[Implementation]]:
    """The rows of the table, one list per column of :data:`COLUMNS`."""
    autograd, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
    want_value = np.float64(scalar_program(math, trajectories, steps)(*inputs))
    want_gradient = np.array(gradient_by_hand(*inputs, trajectories, steps))
    arrays = tuple(np.array(value) for value in inputs)

    def row(label: str, forward: Callable, gradient: Callable, args: tuple, read: Callable = np.asarray):
        """Makers of one row's two columns; ``read`` turns one returned value into NumPy."""

        def make_forward():
            return (lambda: forward(*args)), checker(f"{label} forward", want_value, read)

        def make_gradient():
            reads = lambda result: np.array([read(g) for g in result], dtype=np.float64)  # noqa: E731
            return (lambda: gradient(*args)), checker(f"{label} gradient", want_gradient, reads)

        return make_forward, make_gradient

    def python_row():
        return row(
            "python math",
            scalar_program(math, trajectories, steps),
            lambda *a: gradient_by_hand(*a, trajectories, steps),
            inputs,
        )

    def wengert_row(compiled: bool):
        forward = scalar_program(wnp, trajectories, steps)
        gradient = wengert.grad(forward, argnums=(0, 1, 2, 3))
        if compiled:
            return row("wengert (jit)", jit(forward), jit(gradient), arrays)
        return row("wengert", forward, gradient, arrays)

    def autograd_row():
        import autograd.numpy as anp

        forward = scalar_program(anp, trajectories, steps)
        return row("autograd", forward, autograd.grad(forward, argnum=(0, 1, 2, 3)), arrays)

    def torch_row():
        forward = scalar_program(torch, trajectories, steps)
        leaves = tuple(torch.tensor(value, dtype=torch.float64, requires_grad=True) for value in inputs)

        def gradient(*leaves):
            for leaf in leaves:
                leaf.grad = None
            forward(*leaves).backward()
            return tuple(leaf.grad for leaf in leaves)

        def run_forward(*leaves):
            with torch.no_grad():
                return forward(*leaves)

        return row("torch (eager)", run_forward, gradient, leaves, lambda t: t.detach().numpy())

    def jax_row():
        forward = jax.jit(scalar_program(jax.numpy, trajectories, steps))
        gradient = jax.jit(jax.grad(scalar_program(jax.numpy, trajectories, steps), argnums=(0, 1, 2, 3)))
        args = tuple(jax.numpy.asarray(value) for value in arrays)
        return row(
            "jax (jit)",
            lambda *a: jax.block_until_ready(forward(*a)),
            lambda *a: jax.block_until_ready(gradient(*a)),
            args,
        )

    table = [
        ("python math (by hand)", python_row()),
        ("wengert", wengert_row(compiled=False)),
        ("wengert (jit)", wengert_row(compiled=True)),
        ("autograd", autograd and autograd_row()),
        ("torch (eager)", torch and torch_row()),
        ("jax (jit)", jax and jax_row()),
    ]
    return {column: [(name, makes and makes[k]) for name, makes in table] for k, column in enumerate(COLUMNS)}


def run_scalar_program(peers: dict, settings: Settings) -> None:
    """Print the table and its targets: the jitted gradient within 2x of JAX jit, the eager one the fastest
    eager gradient (issue 19)."""
    per_column, rows, problems = timed_columns(scalar_implementations(peers), settings, baseline="jax (jit)")
    print_table(
        f"Scalar program: {OPERATIONS} operations on 0-d float64 values (sin, exp, log, tanh, +, *, /, **): "
        "median time, (ratio to jax jit)",
        ["implementation", *COLUMNS],
        rows,
    )
    print_problems(problems)
    gradient = per_column["gradient"]
    jax_time = gradient.get("jax (jit)")
    jitted = None if jax_time is None or "wengert (jit)" not in gradient else gradient["wengert (jit)"] / jax_time
    peers_eager = [gradient[name] for name in EAGER_PEERS if name in gradient]
    eager = None if not peers_eager or "wengert" not in gradient else gradient["wengert"] / min(peers_eager)
    targets = [
        target_row(f"gradient, wengert (jit) <= {TARGET_JIT:g}x jax (jit)", jitted, TARGET_JIT),
        target_row("gradient, wengert <= 1.0x the fastest eager peer (autograd, torch)", eager, 1.0),
    ]
    print_table("Targets: scalar program (issue 19)", ["target", "measured", "met"], targets)
