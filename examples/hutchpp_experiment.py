"""The synthetic experiment of the Hutch++ paper (Meyer, Musco, Musco & Woodruff, 2021), with wengert's estimators.

A = Q diag(i^-c) Qᵀ, Q a random orthogonal n x n matrix: the larger c, the faster the
spectrum decays and the more of the trace sits in a few eigenvalues, which Hutch++'s sketch
captures exactly. For each decay c and each budget of matrix-vector products, every method
runs ``trials`` times with fresh probes; the relative error |estimate - tr A| / tr A is
summarised by its median and quartiles. Hutchinson's error falls like 1/sqrt(m) whatever
the spectrum; Hutch++, NA-Hutch++ and XTrace fall like 1/m, and faster still on a fast
decaying spectrum.

    python examples/hutchpp_experiment.py                 # the paper's sizes: n = 1000, 100 trials (a few minutes)
    python examples/hutchpp_experiment.py --trials 20 --plot errors.png

The table goes to stdout; ``--plot`` saves the log-log plot of error against products
(matplotlib, ``pip install "wengert[plot]"``); a progress bar shows with tqdm installed
(``pip install "wengert[progress]"``).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from wengert import trace_estimation

METHODS = ("hutchinson", "hutchpp", "na_hutchpp", "xtrace")
DECAYS = (0.5, 1.0, 2.0, 3.0)
BUDGETS = (10, 20, 30, 50, 100, 150, 200, 300)


def decaying_matrix(n: int, c: float, seed: int) -> np.ndarray:
    """``Q diag(i^-c) Qᵀ`` for ``i = 1..n``, ``Q`` orthogonal (the QR of a Gaussian matrix, signs fixed)."""
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    Q *= np.sign(np.diag(R))
    return (Q * np.arange(1, n + 1) ** -c) @ Q.T


def relative_errors(A: np.ndarray, method: str, budget: int, trials: int, seed: int) -> np.ndarray:
    """The relative error of ``trials`` runs of ``method`` with ``budget`` products, run k seeded ``seed + k``."""
    exact = np.trace(A)
    estimator = getattr(trace_estimation, method)
    return np.array([abs(float(estimator(A, budget, seed=seed + k)) - exact) / exact for k in range(trials)])


def run(
    n: int = 1000,
    decays=DECAYS,
    budgets=BUDGETS,
    methods=METHODS,
    trials: int = 100,
    seed: int = 0,
    progress: bool = False,
) -> dict:
    """``{(c, method, budget): array of relative errors}`` for every decay, method and budget."""
    jobs = [(c, method, budget) for c in decays for method in methods for budget in budgets]
    bar = _progress(len(jobs)) if progress else None
    results, matrices = {}, {}
    for c, method, budget in jobs:
        if c not in matrices:
            matrices[c] = decaying_matrix(n, c, seed)
        results[c, method, budget] = relative_errors(matrices[c], method, budget, trials, seed + 1)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return results


def loglog_slope(budgets, errors) -> float:
    """The slope of the least-squares line through ``(log m, log error)``."""
    return float(np.polyfit(np.log(budgets), np.log(errors), 1)[0])


def table(results: dict, decays=DECAYS, budgets=BUDGETS, methods=METHODS) -> str:
    """Median relative error with its quartiles, one row per decay and budget, one column per method."""
    width = 30
    lines = [f"{'c':>4} {'m':>5}  " + "".join(f"{method:>{width}}" for method in methods)]
    lines.append(f"{'':>12}" + "".join(f"{'median [q1, q3]':>{width}}" for _ in methods))
    for c in decays:
        for budget in budgets:
            cells = []
            for method in methods:
                q1, median, q3 = np.quantile(results[c, method, budget], [0.25, 0.5, 0.75])
                cells.append(f"{median:.2e} [{q1:.1e}, {q3:.1e}]".rjust(width))
            lines.append(f"{c:>4} {budget:>5}  " + "".join(cells))
        if len(budgets) < 2:
            continue
        fits = [loglog_slope(budgets, [np.median(results[c, m, b]) for b in budgets]) for m in methods]
        slopes = "".join(f"slope {fit:.2f}".rjust(width) for fit in fits)
        lines.append(f"{c:>4} {'fit':>5}  " + slopes)
    return "\n".join(lines)


def plot(results: dict, path: str, decays=DECAYS, budgets=BUDGETS, methods=METHODS) -> None:
    """Median relative error against products on log-log axes, one panel per decay, quartiles shaded."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        sys.exit('--plot needs matplotlib: pip install "wengert[plot]"')
    figure = Figure(figsize=(4 * len(decays), 3.6), layout="constrained")
    axes = figure.subplots(1, len(decays), squeeze=False)[0]
    for ax, c in zip(axes, decays):
        for method in methods:
            q1, median, q3 = np.quantile([results[c, method, b] for b in budgets], [0.25, 0.5, 0.75], axis=1)
            ax.loglog(budgets, median, marker="o", label=method)
            ax.fill_between(budgets, q1, q3, alpha=0.2)
        ax.set_title(f"eigenvalues i^-{c:g}")
        ax.set_xlabel("matrix-vector products m")
    axes[0].set_ylabel("relative error |t - tr A| / tr A")
    axes[0].legend()
    figure.savefig(path, dpi=120)


def _progress(total: int):
    try:
        from tqdm import tqdm
    except ImportError:
        print('(tqdm is not installed: no progress bar; pip install "wengert[progress]" for one)', file=sys.stderr)
        return None
    return tqdm(total=total, unit="cell", desc="trials", dynamic_ncols=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="matrix size (the paper's: 1000)")
    parser.add_argument("--trials", type=int, default=100, help="runs per method and budget (the paper's: 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="PATH", help="save the log-log plot here (needs matplotlib)")
    args = parser.parse_args(argv)
    budgets = tuple(b for b in BUDGETS if b <= args.n)  # XTrace's sketch of m/2 probes must fit in n
    results = run(n=args.n, budgets=budgets, trials=args.trials, seed=args.seed, progress=True)
    print(f"relative error of the trace estimate, n = {args.n}, {args.trials} trials")
    print(table(results, budgets=budgets))
    if args.plot:
        plot(results, args.plot, budgets=budgets)
        print(f"plot saved to {args.plot}")


if __name__ == "__main__":
    main()
