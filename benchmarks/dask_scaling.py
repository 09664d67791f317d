"""The full-data gradient over a Dask array: one process against two local worker processes, and a model for N machines.

The data set (a logistic regression's X and y, NumPy memmaps on disk) is larger than the memory
budget of one process (``--budget-mib``, 256 MiB by default: the data are 2.2 times that), so
neither side ever loads it whole: both run ``wengert.value_and_grad(loss)(w, X, y)`` on the same
Dask arrays, chunk by chunk, with Dask's synchronous scheduler in this process (one chunk in memory
at a time) or on a ``distributed.LocalCluster`` of two worker processes. Timings are taken in
interleaved rounds, the median kept, and every library is pinned to one thread.

The model for N machines is computed, not measured (this machine has 2 cores): from the measured
cost of one chunk's task (reading its rows from disk plus wengert's value and gradient), the
measured per-pass overhead of the distributed scheduler, and the bytes each pass moves (the
parameters out to each machine, one value and one gradient back per chunk), at a stated network
bandwidth and latency:

    T(N) = overhead + ceil(K / N) * t_chunk + log_8(K) * latency + (N * params + K * results) / bandwidth

    python benchmarks/dask_scaling.py                   # 9 million rows of 7 features (560 MiB on disk)
    python benchmarks/dask_scaling.py --rows 1000000    # quicker
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import multiprocessing  # noqa: E402
import pathlib  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import dask  # noqa: E402
from dask_dataset import _read_rows, make_dataset, open_dataset  # noqa: E402
from dask_logistic_lbfgs import loss  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import wengert  # noqa: E402

MACHINES = (1, 2, 4, 8, 16, 64)
BANDWIDTH = 1e9  # bytes per second between machines (10 Gbit/s Ethernet, rounded down)
LATENCY = 200e-6  # seconds per message between the scheduler and a worker


def one_pass(value_and_grad, w, X, y, **compute):
    value, grad = dask.compute(*value_and_grad(w, X, y), **compute)
    return float(value), grad


def pass_in_a_fresh_process(directory: str, chunk_rows: int, w: np.ndarray) -> tuple[float, float]:
    """One full-data pass with the synchronous scheduler; the value and this process's peak resident MiB."""
    X, y = open_dataset(directory, chunk_rows)
    value, _ = one_pass(wengert.value_and_grad(loss), w, X, y, scheduler="sync")
    return value, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(rounds_of: dict, rounds: int) -> dict:
    """The median time of each function in ``rounds_of``, run interleaved ``rounds`` times."""
    times = {name: [] for name in rounds_of}
    for _ in range(rounds):
        for name, run in rounds_of.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def chunk_cost(directory: pathlib.Path, chunk_rows: int, features: int, repeats: int = 5) -> tuple[float, float]:
    """Seconds to read one chunk from disk and to take wengert's value and gradient on it (medians)."""
    w = np.full(features + 1, 0.1)
    reads, grads = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        X = _read_rows(str(directory / "X.npy"), 0, chunk_rows)
        y = _read_rows(str(directory / "y.npy"), 0, chunk_rows)
        reads.append(time.perf_counter() - start)
        start = time.perf_counter()
        wengert.value_and_grad(loss)(w, X, y)
        grads.append(time.perf_counter() - start)
    return statistics.median(reads), statistics.median(grads)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=9_000_000)
    parser.add_argument("--features", type=int, default=7)
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--budget-mib", type=int, default=256, help="the memory budget of one process, stated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", default=None, help="where the memmaps go (default: a temporary directory)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        directory = pathlib.Path(args.data_dir or scratch)
        make_dataset(directory, args.rows, args.features)
        data_mib = sum((directory / name).stat().st_size for name in ("X.npy", "y.npy")) / 2**20
        X, y = open_dataset(directory, args.chunk_rows)
        chunks = X.numblocks[0]
        w = np.full(args.features + 1, 0.1)
        value_and_grad = wengert.value_and_grad(loss)
        print(
            f"data: {args.rows} rows x {args.features} features, {data_mib:.0f} MiB on disk in {chunks} chunks of "
            f"{args.chunk_rows} rows; budget of one process {args.budget_mib} MiB "
            f"({data_mib / args.budget_mib:.1f}x smaller than the data)"
        )
        with multiprocessing.get_context("spawn").Pool(1) as pool:  # a fresh process: its peak is the pass's own
            reference, rss_mib = pool.apply(pass_in_a_fresh_process, (str(directory), args.chunk_rows, w))
        print(
            f"one process, chunk by chunk: peak resident memory {rss_mib:.0f} MiB (within the budget: "
            f"{'yes' if rss_mib <= args.budget_mib else 'no'})"
        )

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        with Client(cluster):
            distributed_value, _ = one_pass(value_and_grad, w, X, y)
            assert abs(distributed_value - reference) <= 1e-12 * abs(reference)
            medians = timed(
                {
                    "one process (sync scheduler)": lambda: one_pass(value_and_grad, w, X, y, scheduler="sync"),
                    "2 worker processes (LocalCluster)": lambda: one_pass(value_and_grad, w, X, y),
                },
                args.rounds,
            )
            tiny_X = dask.array.from_array(np.ones((chunks, args.features)), chunks=(1, args.features))
            tiny_y = dask.array.from_array(np.ones(chunks), chunks=1)
            overhead = timed({"overhead": lambda: one_pass(value_and_grad, w, tiny_X, tiny_y)}, args.rounds)
        cluster.close()

        read, grad = chunk_cost(directory, args.chunk_rows, args.features)

    one, two = medians.values()
    print()
    print("| full-data value and gradient | median s per pass | speed-up |")
    print("|---|---:|---:|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds:.3f} | {one / seconds:.2f}x |")
    print()
    t_chunk = read + grad
    scheduler = overhead["overhead"]
    params_bytes = (args.features + 1) * 8
    result_bytes = (args.features + 2) * 8
    print(
        f"measured: one chunk's task {t_chunk * 1e3:.1f} ms (reading {read * 1e3:.1f} ms, value and gradient "
        f"{grad * 1e3:.1f} ms); the distributed scheduler's cost of one pass of {chunks} tiny chunks "
        f"{scheduler * 1e3:.0f} ms"
    )
    print(
        f"each pass moves {params_bytes} B of parameters to each machine and {result_bytes} B back per chunk; "
        f"the rows never move (each machine reads its own chunks)"
    )
    print(f"model, at {BANDWIDTH / 1e9:.0f} GB/s and {LATENCY * 1e6:.0f} us per message (on paper, not measured):")
    print()
    print("| machines | chunks each | s per pass | speed-up over one machine |")
    print("|---:|---:|---:|---:|")
    base = None
    for machines in MACHINES:
        moved = machines * params_bytes + chunks * result_bytes
        seconds = (
            scheduler
            + math.ceil(chunks / machines) * t_chunk
            + math.ceil(math.log(max(chunks, 2), 8)) * LATENCY
            + moved / BANDWIDTH
        )
        base = base or seconds
        print(f"| {machines} | {math.ceil(chunks / machines)} | {seconds:.3f} | {base / seconds:.2f}x |")
    print()
    print(
        f"The speed-up stops at {chunks} machines (one chunk each) and is bounded by the scheduler's "
        f"{scheduler * 1e3:.0f} ms per pass: more, smaller chunks move the bound."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
