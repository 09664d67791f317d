"""The divergence of a neural vector field, as FFJORD needs it: exact against Hutchinson and Hutch++.

FFJORD (Grathwohl et al., 2019) follows the density of points moved by an ODE
``dx/dt = f(x)`` through ``d log p / dt = -div f(x)``, with ``f`` a neural network,
so every step of the solver needs a divergence. Here ``f: R^d -> R^d`` is an MLP
with one hidden layer of 64 tanh units, and for ``d`` from 2 to 1000 the script
prints, for the exact divergence and the two estimators, the Jacobian-vector
products each uses ("passes"), its wall time, and its error (the median over
trials of |estimate - exact|, next to the exact divergence's size).

    python examples/divergence_mlp.py
    python examples/divergence_mlp.py --probes 10 100 --plot divergence.png

The exact divergence costs one product per dimension, so its time grows with
``d``; the estimators cost their budget whatever ``d`` is. The Jacobian
``W2 diag(tanh') W1`` has rank at most 64: once Hutch++'s sketch is that large
it holds the whole Jacobian and its error is rounding.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import wengert
import wengert.numpy as wnp

DIMENSIONS = (2, 10, 30, 100, 300, 1000)
HIDDEN = 64


def mlp_field(d: int, seed: int = 0):
    """``f(x) = W2 tanh(W1 x + b1) + b2``, weights scaled to keep tanh in its live range."""
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((HIDDEN, d)) / np.sqrt(d)
    b1 = rng.standard_normal(HIDDEN)
    W2 = rng.standard_normal((d, HIDDEN)) / np.sqrt(HIDDEN)
    b2 = rng.standard_normal(d)
    return lambda x: W2 @ wnp.tanh(W1 @ x + b1) + b2


def wall_time(fun, repeats: int = 5) -> float:
    """The least time of ``repeats`` calls (after one warm-up call)."""
    fun()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fun()
        best = min(best, time.perf_counter() - start)
    return best


def measure(d: int, probes: int, trials: int) -> dict:
    """Passes, wall time and error of the exact divergence and of each estimator at dimension ``d``.

    The estimators get ``probes`` products, or ``d`` when that is fewer (at least 3, Hutch++'s least).
    """
    f = mlp_field(d)
    x = np.random.default_rng(1).standard_normal(d)
    exact = float(wengert.divergence(f)(x))
    row = {"d": d, "exact": exact, "exact passes": d, "exact time": wall_time(lambda: wengert.divergence(f)(x))}
    budget = min(probes, max(d, 3))
    for method in ("hutchinson", "hutchpp"):
        estimates = [wengert.divergence(f, method=method, num_matvecs=budget, seed=s)(x) for s in range(trials)]
        row[f"{method} passes"] = estimates[0].num_matvecs
        row[f"{method} time"] = wall_time(
            lambda m=method: wengert.divergence(f, method=m, num_matvecs=budget, seed=0)(x)
        )
        row[f"{method} error"] = float(np.median([abs(float(e) - exact) for e in estimates]))
    return row


def table(rows: list[dict]) -> str:
    header = (
        f"{'d':>5} {'exact div':>10} | {'passes':>6} {'time':>9} | {'m':>4} | {'hutchinson':>9} {'error':>9} | "
        f"{'hutch++':>9} {'error':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['d']:>5} {r['exact']:>10.3f} | {r['exact passes']:>6} {r['exact time'] * 1e3:>7.2f}ms | "
            f"{r['hutchinson passes']:>4} | {r['hutchinson time'] * 1e3:>7.2f}ms {r['hutchinson error']:>9.2e} | "
            f"{r['hutchpp time'] * 1e3:>7.2f}ms {r['hutchpp error']:>9.2e}"
        )
    return "\n".join(lines)


def plot(rows: list[dict], path: str) -> None:
    """Two panels against d: wall time of each method, and each estimator's median error, one line per budget."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        sys.exit('--plot needs matplotlib: pip install "wengert[plot]"')
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    cost, error = figure.subplots(1, 2)
    budgets = sorted({r["probes"] for r in rows})
    exact_rows = [r for r in rows if r["probes"] == budgets[0]]
    cost.loglog([r["d"] for r in exact_rows], [r["exact time"] for r in exact_rows], "o-C0", label="exact (d passes)")
    lines = [
        (probes, method, label)
        for probes in budgets
        for method, label in (("hutchinson", "Hutchinson"), ("hutchpp", "Hutch++"))
    ]
    for k, (probes, method, label) in enumerate(lines, start=1):  # the same colour for a line in both panels
        mine = [r for r in rows if r["probes"] == probes]
        style = {"marker": "o", "color": f"C{k}", "label": f"{label}, m = {probes}"}
        cost.loglog([r["d"] for r in mine], [r[f"{method} time"] for r in mine], **style)
        error.loglog([r["d"] for r in mine], [max(r[f"{method} error"], 1e-16) for r in mine], **style)
    cost.set_xlabel("dimension d")
    cost.set_ylabel("wall time per divergence (s)")
    cost.legend(fontsize="small")
    error.set_xlabel("dimension d")
    error.set_ylabel("median |estimate - exact|")
    error.legend(fontsize="small")
    figure.savefig(path, dpi=120)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probes", type=int, nargs="+", default=[30, 200], help="the estimators' budgets of products")
    parser.add_argument("--trials", type=int, default=20, help="seeds per estimator for the median error")
    parser.add_argument("--plot", metavar="PATH", help="save the plot here (needs matplotlib)")
    args = parser.parse_args(argv)
    rows = []
    for probes in args.probes:
        rows += [{**measure(d, probes, args.trials), "probes": probes} for d in DIMENSIONS]
    print(f"divergence of an MLP field R^d -> R^d ({HIDDEN} tanh units), {args.trials} trials per estimate;")
    print("m: the estimators' products (their budget, or d when fewer); times are the least of 5 calls")
    print(table(rows))
    if args.plot:
        plot(rows, args.plot)
        print(f"plot saved to {args.plot}")


if __name__ == "__main__":
    main()
