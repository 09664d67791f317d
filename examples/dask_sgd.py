"""Minibatch SGD whose every step's gradient is spread over a Dask cluster's workers.

Each step draws a minibatch of rows at random from the data set on disk (a Dask array: the rows
are gathered by the workers holding their chunks), and ``wengert.value_and_grad(loss)`` on it runs
chunk by chunk on those workers, as for the full data (docs/dask.md); the client receives one
loss and one gradient per step and updates the weights with momentum. The loss is the same
``wengert.numpy`` function a NumPy user writes.

    python examples/dask_sgd.py                                  # a LocalCluster of 2 worker processes
    python examples/dask_sgd.py --rows 200000 --steps 50         # a small run
    python examples/dask_sgd.py --scheduler tcp://scheduler:8786 --data-dir /shared/data
"""

from __future__ import annotations

import argparse
import sys
import time

import dask
import numpy as np
from dask_dataset import add_arguments, cluster_and_data, print_weights
from tqdm import tqdm

import wengert
import wengert.numpy as wnp


def loss(w, X, y):
    """The mean logistic loss of a minibatch."""
    z = X @ w[:-1] + w[-1]
    return wnp.mean(wnp.logaddexp(0.0, z) - y * z)


def sgd(X, y, features: int, steps: int, batch: int, learning_rate: float, momentum: float = 0.5, seed: int = 0):
    """``steps`` steps of SGD with momentum from zeros; returns the weights and the loss of each step."""
    rng = np.random.default_rng(seed)
    value_and_grad = wengert.value_and_grad(loss)
    w, velocity, losses = np.zeros(features + 1), np.zeros(features + 1), []
    for _ in tqdm(range(steps), desc="SGD", unit="step", file=sys.stdout):
        rows = np.sort(rng.integers(0, X.shape[0], batch))
        value, grad = dask.compute(*value_and_grad(w, X[rows], y[rows]))
        velocity = momentum * velocity - learning_rate * grad
        w = w + velocity
        losses.append(float(value))
    return w, losses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, rows=20_000_000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100_000, help="rows per minibatch")
    parser.add_argument("--learning-rate", type=float, default=0.5)
    args = parser.parse_args(argv)
    with cluster_and_data(args) as (X, y, true_w):
        start = time.perf_counter()
        w, losses = sgd(X, y, args.features, args.steps, min(args.batch, args.rows), args.learning_rate)
        seconds = time.perf_counter() - start
    print(f"{args.steps} steps of {min(args.batch, args.rows)} rows in {seconds:.1f} s")
    print(f"minibatch loss: first {losses[0]:.4f}, mean of the last ten {np.mean(losses[-10:]):.4f}")
    print_weights(w, true_w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
