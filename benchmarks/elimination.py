"""The benchmark's section on vertex elimination: Jacobians that neither forward nor reverse mode builds cheaply.

**The programs** (issue 15), both of width :data:`WIDTH` = 200:

* the *diamond*, wide -> narrow -> wide: ``exp(B @ tanh(A @ sin(x)))``, ``x`` in R^200,
  ``A`` 5x200, ``B`` 200x5 (constants of the function). Its Jacobian ``diag · B · diag · A · diag``
  is a dense 200x200 matrix of rank 5: both modes push 200 directions through both products,
  while elimination forms the one outer product ``(B ·) (· A)`` once.
* *two chains*, side by side: a fan-in chain ``x (R^200) -> three tanh layers -> logsumexp`` (many
  inputs, one output: reverse mode's case) beside a fan-out chain ``s (R) -> s·a -> three sin
  layers`` (one input, many outputs: forward mode's case). The Jacobian in ``(x, s)`` is
  201x201 and block diagonal; each mode is right for one chain and pays 201 passes over both.

**The rows.** ``jacfwd``, ``jacrev`` and ``jacobian`` (its automatic choice) of wengert, and
``jacobian(method="elimination")`` with the Markowitz and the exact optimal order. The
elimination stages the linearization once per argument shape and plans its order once (the
first call, in the warm-up); every timed call computes the local partials at the point and
eliminates. ``jax jit`` rows (``jax.jit(jax.jacfwd)``/``jacrev``, compiled) show the compiled
ceiling when JAX is installed. The multiplications column is the cost model of
``wengert.elimination`` (``docs/elimination.md``): ``n`` JVPs for ``jacfwd``, ``m`` VJPs for
``jacrev``, the order's count for elimination.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from harness import Implementation, Settings, print_problems, print_table, table_cell, target_row, timed_columns
from jacobians import checker

import wengert
import wengert.numpy as wnp
from wengert import elimination

WIDTH = 200
NARROW = 5
TARGET = 0.5  # elimination's time over the better of jacfwd and jacrev, on both functions
MODES = ("jacfwd", "jacrev", "jacobian")
ORDERS = ("markowitz", "optimal")


def diamond_problem(seed: int = 0) -> tuple[Callable, Callable, tuple, tuple]:
    """``(f with wengert.numpy, f with a namespace, args, argnums)`` for the diamond."""
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((NARROW, WIDTH)) / np.sqrt(WIDTH), rng.standard_normal((WIDTH, NARROW))
    x = rng.standard_normal(WIDTH)

    def written_with(xnp) -> Callable:
        return lambda x: xnp.exp(b @ xnp.tanh(a @ xnp.sin(x)))

    return written_with(wnp), written_with, (x,), 0


def two_chains_problem(seed: int = 1) -> tuple[Callable, Callable, tuple, tuple]:
    """``(f with wengert.numpy, f with a namespace, args, argnums)`` for the fan-in chain beside the fan-out chain."""
    rng = np.random.default_rng(seed)
    w, a = rng.standard_normal(WIDTH), rng.standard_normal(WIDTH)
    x, s = rng.standard_normal(WIDTH), np.float64(0.7)

    def written_with(xnp) -> Callable:
        def two_chains(x, s):
            h = x
            for k in range(3):
                h = xnp.tanh(h * w + 0.1 * k)
            fan_in = xnp.log(xnp.sum(xnp.exp(h)))
            g = s * a
            for k in range(3):
                g = xnp.sin(g) * (1.0 + 0.1 * k)
            return fan_in, g

        return two_chains

    return written_with(wnp), written_with, (x, s), (0, 1)


PROBLEMS = {"diamond": diamond_problem, "two chains": two_chains_problem}


def flat_jacobian(leaves: list) -> np.ndarray:
    """A Jacobian's leaves (outputs outside, arguments inside, as JAX nests them) raveled into one vector."""
    return np.concatenate([np.ravel(np.asarray(leaf, dtype=np.float64)) for leaf in leaves])


def elimination_implementations(peers: dict, make_problem: Callable) -> tuple[list[Implementation], dict]:
    """The rows of one column and their multiplications (by row name)."""
    f, written_with, args, argnums = make_problem()
    want = flat_jacobian(wengert.tree_leaves(wengert.jacfwd(f, argnums=argnums)(*args)))
    check = checker("jacobian", want, lambda jac: flat_jacobian(wengert.tree_leaves(jac)))
    report = elimination.elimination_report(f, *args, argnums=argnums)
    costs = report.costs()
    multiplications = {name: costs[name] for name in MODES}
    multiplications.update({f"elimination ({order})": costs[order] for order in ORDERS})

    def wengert_row(derivative: Callable):
        return lambda: ((lambda: derivative(*args)), check)

    rows: list[Implementation] = [(name, wengert_row(getattr(wengert, name)(f, argnums=argnums))) for name in MODES]
    for order in ORDERS:
        eliminating = wengert.jacobian(f, argnums=argnums, method="elimination", order=order)
        rows.append((f"elimination ({order})", wengert_row(eliminating)))
    jax = peers.get("jax")
    for name in ("jacfwd", "jacrev"):
        rows.append((f"jax jit {name}", jax and _jax_row(jax, name, written_with, args, argnums, check)))
    return rows, multiplications


def _jax_row(jax, name: str, written_with: Callable, args: tuple, argnums, check) -> Callable:
    def make():
        compiled = jax.jit(getattr(jax, name)(written_with(jax.numpy), argnums=argnums))
        jax_args = tuple(jax.numpy.asarray(a) for a in args)
        step = lambda: jax.block_until_ready(compiled(*jax_args))
        return step, check

    return make


def run_elimination(peers: dict, settings: Settings) -> None:
    """Print the table (multiplications and time per function) and the target: elimination at most half
    the time of the better of jacfwd and jacrev, in every order, on both functions (issue 15)."""
    by_column, multiplications = {}, {}
    for column, make_problem in PROBLEMS.items():
        by_column[column], multiplications[column] = elimination_implementations(peers, make_problem)
    per_column, _, problems = timed_columns(by_column, settings, baseline="jacrev")
    rows = []
    for k, (name, _) in enumerate(by_column["diamond"]):
        cells = []
        for column, implementations in by_column.items():
            medians = per_column[column]
            best_mode = min((medians[m] for m in ("jacfwd", "jacrev") if m in medians), default=None)
            cells.append(str(multiplications[column].get(name, "-")))
            cells.append(table_cell(name, implementations[k][1], medians, best_mode))
        rows.append([name, *cells])
    header = ["implementation"]
    for column in by_column:
        header += [f"{column}: mults", f"{column}: time (ratio)"]
    print_table(
        f"Vertex elimination: diamond R^{WIDTH} -> R^{NARROW} -> R^{WIDTH}, two chains R^{WIDTH + 1} -> "
        f"R^{WIDTH + 1}, float64: multiplications (cost model) and median time, (ratio to the better of "
        "jacfwd and jacrev)",
        header,
        rows,
    )
    print_problems(problems)
    targets = []
    for column in by_column:
        medians = per_column[column]
        modes = [medians[m] for m in ("jacfwd", "jacrev") if m in medians]
        for order in ORDERS:
            name = f"elimination ({order})"
            measured = medians[name] / min(modes) if modes and name in medians else None
            targets.append(target_row(f"{column}, {name} <= {TARGET}x best of jacfwd/jacrev", measured, TARGET))
    print_table("Targets: vertex elimination (issue 15)", ["target", "measured", "met"], targets)
