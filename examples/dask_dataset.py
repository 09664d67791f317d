"""The data set and the cluster of the Dask examples: a logistic-regression data set on disk, and a client.

The data set is two NumPy memmaps (``X.f64``, ``y.f64``) written block by block, so making or
reading one never holds more than a block in memory. ``open_dataset`` returns them as Dask
arrays whose chunks are *read by the worker that needs them* (each task opens the memmap by
path): the client never loads the data, and on a real cluster the directory must be on storage
every worker sees (or convert it to Zarr on object storage). ``connect`` starts a
``distributed.LocalCluster`` of worker processes, or joins a running cluster by its
scheduler's address.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import sys

import numpy as np

BLOCK_ROWS = 1_000_000


def add_arguments(parser: argparse.ArgumentParser, rows: int) -> None:
    parser.add_argument("--rows", type=int, default=rows, help="examples in the data set (default %(default)s)")
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--chunk-rows", type=int, default=1_000_000, help="rows per Dask chunk (one task each)")
    parser.add_argument("--data-dir", default="dask_logistic_data", help="where the memmaps are written")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--scheduler", default=None, help="a running scheduler's address (tcp://host:8786)")


def make_dataset(directory, rows: int, features: int, seed: int = 0) -> np.ndarray:
    """Write ``rows`` examples of a logistic model with known weights (returned) to ``directory``, unless there."""
    directory = pathlib.Path(directory)
    meta = {"rows": rows, "features": features, "seed": seed}
    rng = np.random.default_rng(seed)
    true_w = rng.standard_normal(features + 1)
    if (directory / "meta.json").exists() and json.loads((directory / "meta.json").read_text()) == meta:
        return true_w
    directory.mkdir(parents=True, exist_ok=True)
    X = np.lib.format.open_memmap(directory / "X.npy", mode="w+", dtype=np.float64, shape=(rows, features))
    y = np.lib.format.open_memmap(directory / "y.npy", mode="w+", dtype=np.float64, shape=(rows,))
    for start in range(0, rows, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, rows)
        block = rng.standard_normal((stop - start, features))
        p = 1.0 / (1.0 + np.exp(-(block @ true_w[:-1] + true_w[-1])))
        X[start:stop], y[start:stop] = block, rng.random(stop - start) < p
    X.flush()
    y.flush()
    del X, y
    (directory / "meta.json").write_text(json.dumps(meta))
    return true_w


def _read_rows(path: str, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of the ``.npy`` at ``path``, read on the worker running the task."""
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def open_dataset(directory, chunk_rows: int):
    """``(X, y)`` as Dask arrays in chunks of ``chunk_rows`` rows, each chunk a task reading its rows from disk."""
    import cloudpickle
    import dask
    import dask.array as da

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers need not have this file
    arrays = []
    for name in ("X.npy", "y.npy"):
        path = str(pathlib.Path(directory).resolve() / name)
        head = np.load(path, mmap_mode="r")
        rows, shape, dtype = head.shape[0], head.shape[1:], head.dtype
        pieces = [
            da.from_delayed(
                dask.delayed(_read_rows, pure=True)(path, start, min(start + chunk_rows, rows)),
                (min(start + chunk_rows, rows) - start, *shape),
                dtype=dtype,
            )
            for start in range(0, rows, chunk_rows)
        ]
        arrays.append(da.concatenate(pieces, axis=0))
    return tuple(arrays)


def connect(scheduler: str | None, workers: int):
    """A ``distributed.Client``: of the running cluster at ``scheduler``, else of a new LocalCluster of processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster)


@contextlib.contextmanager
def cluster_and_data(args: argparse.Namespace):
    """Make the data set if it is not there, connect to the cluster, and yield ``(X, y, true weights)``."""
    true_w = make_dataset(args.data_dir, args.rows, args.features)
    with connect(args.scheduler, args.workers) as client:
        print(f"cluster: {client}")
        X, y = open_dataset(args.data_dir, args.chunk_rows)
        yield X, y, true_w


def print_weights(fitted: np.ndarray, true_w: np.ndarray) -> None:
    print("fitted weights:", " ".join(f"{v:+.3f}" for v in fitted))
    print("true weights:  ", " ".join(f"{v:+.3f}" for v in true_w))
