"""A full-batch logistic regression on tens of millions of rows, fitted by SciPy's L-BFGS-B on a Dask cluster.

The loss is written once, with ``wengert.numpy``, as for NumPy arrays; given Dask arrays, the same
``wengert.value_and_grad(loss)(w, X, y)`` computes the full-data value and gradient chunk by chunk
on the workers (docs/dask.md), and ``dask.compute`` brings back one number and one gradient per
L-BFGS step. The data set (20 million rows of 10 features by default: 1.8 GB of memmaps) is made
by the script on first run, block by block.

    python examples/dask_logistic_lbfgs.py                      # a LocalCluster of 2 worker processes
    python examples/dask_logistic_lbfgs.py --rows 200000        # a small run
    python examples/dask_logistic_lbfgs.py --scheduler tcp://scheduler:8786 --data-dir /shared/data

Against a real cluster, ``--data-dir`` must be on storage every worker reads, and wengert installed
on the workers. It prints the fit's progress (one line per L-BFGS iteration, through tqdm), then
the weights found next to the ones the data were drawn from.
"""

from __future__ import annotations

import argparse
import sys
import time

import dask
import numpy as np
import scipy.optimize
from dask_dataset import add_arguments, cluster_and_data, print_weights
from tqdm import tqdm

import wengert
import wengert.numpy as wnp

L2 = 1e-4


def loss(w, X, y):
    """The mean logistic loss over the examples plus an L2 penalty on the weights (not the bias)."""
    z = X @ w[:-1] + w[-1]
    return wnp.mean(wnp.logaddexp(0.0, z) - y * z) + 0.5 * L2 * wnp.sum(w[:-1] ** 2)


def fit(X, y, features: int, max_iterations: int = 50):
    """L-BFGS-B from zeros; each evaluation is one distributed pass over the data."""
    value_and_grad = wengert.value_and_grad(loss)
    progress = tqdm(total=max_iterations, desc="L-BFGS-B", unit="it", file=sys.stdout)

    def objective(w):
        value, grad = dask.compute(*value_and_grad(w, X, y))
        progress.set_postfix(loss=f"{float(value):.6f}")
        return float(value), grad

    result = scipy.optimize.minimize(
        objective,
        np.zeros(features + 1),
        jac=True,
        method="L-BFGS-B",
        callback=lambda w: progress.update(1),
        options={"maxiter": max_iterations},
    )
    progress.close()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, rows=20_000_000)
    parser.add_argument("--iterations", type=int, default=50)
    args = parser.parse_args(argv)
    with cluster_and_data(args) as (X, y, true_w):
        start = time.perf_counter()
        result = fit(X, y, args.features, args.iterations)
        seconds = time.perf_counter() - start
    print(f"{result.message} after {result.nit} iterations: {result.nfev} passes over {args.rows} rows")
    print(f"{seconds:.1f} s")
    print(f"loss {result.fun:.6f}")
    print_weights(result.x, true_w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
