"""The benchmark's memory section: the peak memory of reverse mode, each implementation in a process of its own.

**The programs.** ``mlp``: the loss and the gradient in every parameter of a 4-layer tanh MLP,
widths :data:`WIDTHS`, batch :data:`BATCH`, float64, loss ``sum((h - y)^2) / batch``.
``additions``: HIPS autograd's "needless nodes" benchmark, ``x = x + 1.0`` :data:`ADDITIONS`
times on a 1000x1000 float64 array, then the gradient of its sum: no derivative rule reads any
value, so a reverse mode that keeps what its rules read keeps no array per step.

**The measure.** Each (program, implementation) runs in a fresh Python process, which imports
only its own library, warms up (:data:`WARMUP_CALLS` calls: wengert's compiled backward pass,
JAX's compilation), then measures one step, the loss and gradient, above what was allocated
before it (the inputs and parameters), two ways:

* ``tracemalloc``: the peak of the bytes that Python's allocator hooks trace during the step. It
  sees every NumPy array exactly (NumPy reports its buffers to it), so it is the measure of the
  targets, but not PyTorch's or XLA's allocations: those rows show ``n/a``.
* ``RSS``: the peak resident set size during the step (the kernel's ``VmHWM``, reset through
  ``/proc/self/clear_refs`` before it) above the resident size before it, with glibc's
  ``malloc`` told to map every block of 64 KiB or more on its own (``MALLOC_MMAP_THRESHOLD_``),
  so a freed array goes back to the kernel in every library alike. Fair to all, coarser
  (pages; each allocator's own caches).

The rows: the hand-written NumPy forward and backward pass (the baseline; for ``additions``
the gradient of a sum is ones); ``wengert`` on the first tape of its structure, whose backward
pass runs eagerly (warmed up on a smaller batch, a structure of its own); ``wengert`` from the
third call on, when the backward pass of the recurring tape runs compiled; HIPS autograd;
PyTorch eager (``torch.autograd.grad``, fresh gradients each step); JAX jit. Each result is
checked against the hand-written one after it is measured.
``wengert.jit`` is left out: a jitted function keeps its large work arrays from one call to the
next (docs/jit.md), so the peak of a step above its start does not say what it holds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable

import numpy as np
from harness import (
    NOT_INSTALLED,
    ResultMismatch,
    Settings,
    check_close,
    print_problems,
    print_table,
    target_row,
)

BATCH = 2048
WIDTHS = (512, 1024, 1024, 1024, 10)
ADDITIONS = 100
ADDITIONS_SHAPE = (1000, 1000)
WARMUP_CALLS = 3
PROGRAMS = ("mlp", "additions")
ROWS = (
    "numpy (by hand)",
    "wengert (first call)",
    "wengert (recurring)",
    "autograd",
    "torch (eager)",
    "jax (jit)",
)
PEER_OF_ROW = {"autograd": "autograd", "torch (eager)": "torch", "jax (jit)": "jax"}
TARGETS = (  # (program, row, limit, baseline row): peak by tracemalloc, the row over its baseline
    ("mlp", "wengert (first call)", 1.15, "numpy (by hand)"),
    ("mlp", "wengert (recurring)", 1.15, "numpy (by hand)"),
    ("additions", "wengert (first call)", 1.5, "autograd"),
    ("additions", "wengert (recurring)", 1.5, "autograd"),
)
MMAP_THRESHOLD = 64 * 1024
MIB = 1024.0 * 1024.0


# --- the programs, written once against a NumPy-like namespace ----------------------------------


def mlp_loss(xnp) -> Callable:
    """``(params, x, y) -> sum((mlp(x) - y)^2) / batch``, ``params`` a list of ``(W, b)``, tanh between layers."""

    def loss(params, x, y):
        h = x
        for k, (W, b) in enumerate(params):
            h = h @ W + b
            if k < len(params) - 1:
                h = xnp.tanh(h)
        return xnp.sum((h - y) ** 2) / y.shape[0]

    return loss


def mlp_problem(batch: int = BATCH, widths: tuple = WIDTHS, seed: int = 0) -> tuple[list, np.ndarray, np.ndarray]:
    """``(params, x, y)``: Glorot-scaled weights, zero biases, a standard normal batch and targets."""
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal((m, n)) / np.sqrt(m), np.zeros(n)) for m, n in zip(widths[:-1], widths[1:])]
    return params, rng.standard_normal((batch, widths[0])), rng.standard_normal((batch, widths[-1]))


def mlp_by_hand(params: list, x: np.ndarray, y: np.ndarray) -> tuple[float, list]:
    """The loss and its gradient, forward and backward written out: ``dh = 2 (h - y) / n``,
    ``dW = a^T dz``, ``db = sum dz``, ``da = dz W^T``, ``dz = da (1 - a^2)`` through each tanh."""
    activations = [x]
    h = x
    for k, (W, b) in enumerate(params):
        h = h @ W + b
        if k < len(params) - 1:
            h = np.tanh(h)
        activations.append(h)
    residual = h - y
    loss = np.sum(residual**2) / y.shape[0]
    dz = 2.0 * residual / y.shape[0]
    grads = []
    for k in range(len(params) - 1, -1, -1):
        W, _ = params[k]
        grads.append((activations[k].T @ dz, dz.sum(axis=0)))
        if k:
            dz = (dz @ W.T) * (1.0 - activations[k] ** 2)
    return loss, grads[::-1]


def additions(xnp) -> Callable:
    """``x -> sum(x + 1 + 1 + ...)``, :data:`ADDITIONS` additions, each a value of its own."""

    def total(x):
        for _ in range(ADDITIONS):
            x = x + 1.0
        return xnp.sum(x)

    return total


def additions_by_hand(x: np.ndarray) -> tuple[float, np.ndarray]:
    for _ in range(ADDITIONS):
        x = x + 1.0
    return np.sum(x), np.ones_like(x)


# --- one implementation's step, in the child process ---------------------------------------------


def _flat(result) -> list[np.ndarray]:
    """The loss and every gradient of a step's result, as NumPy arrays in order."""
    loss, grads = result
    if isinstance(grads, (list, tuple)):
        leaves = [g for pair in grads for g in (pair if isinstance(pair, (list, tuple)) else (pair,))]
    else:
        leaves = [grads]
    return [np.asarray(_to_numpy(a)) for a in (loss, *leaves)]


def _to_numpy(a):
    return a.detach().numpy() if hasattr(a, "detach") else a


def _steps(program: str, row: str) -> tuple[Callable, Callable, Callable]:
    """``(warm-up step, measured step, reference)`` of ``row`` on ``program``; each returns (loss, grads)."""
    if program == "mlp":
        params, x, y = mlp_problem()
        small = mlp_problem(batch=8)
        args, small_args = (params, x, y), small
        by_hand, program_of = mlp_by_hand, mlp_loss
    else:
        x = np.random.default_rng(0).standard_normal(ADDITIONS_SHAPE)
        args, small_args = (x,), (x[:8],)
        by_hand, program_of = additions_by_hand, additions

    def reference():
        return by_hand(*args)

    if row == "numpy (by hand)":
        step = reference
        return step, step, reference
    if row.startswith("wengert"):
        import wengert
        import wengert.numpy as wnp

        gradient = wengert.value_and_grad(program_of(wnp))
        if row == "wengert (first call)":  # warmed up on another structure, measured on a new one
            return (lambda: gradient(*small_args)), (lambda: gradient(*args)), reference
        return (lambda: gradient(*args)), (lambda: gradient(*args)), reference
    if row == "autograd":
        import autograd
        import autograd.numpy as anp

        gradient = autograd.value_and_grad(program_of(anp))
        step = lambda: gradient(*args)  # noqa: E731
        return step, step, reference
    if row == "torch (eager)":
        return _torch_step(program, args, program_of, reference)
    return _jax_step(args, program_of, reference)


def _torch_step(program: str, args: tuple, program_of: Callable, reference: Callable):
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
    loss = program_of(torch)
    if program == "mlp":
        params, x, y = args
        leaves = [torch.from_numpy(a).requires_grad_() for pair in params for a in pair]
        pairs = list(zip(leaves[::2], leaves[1::2]))
        inputs = (pairs, torch.from_numpy(x), torch.from_numpy(y))
    else:
        leaves = [torch.from_numpy(args[0]).requires_grad_()]
        inputs = (leaves[0],)

    def step():
        value = loss(*inputs)
        grads = torch.autograd.grad(value, leaves)
        return value.detach(), (list(zip(grads[::2], grads[1::2])) if program == "mlp" else grads[0])

    return step, step, reference


def _jax_step(args: tuple, program_of: Callable, reference: Callable):
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_enable_x64", True)
    gradient = jax.jit(jax.value_and_grad(program_of(jax.numpy)))
    inputs = jax.tree_util.tree_map(jax.numpy.asarray, args)

    def step():
        return jax.block_until_ready(gradient(*inputs))

    return step, step, reference


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_resident_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmHWM in /proc/self/status")


def _reset_peak_resident() -> None:
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def measure(program: str, row: str, method: str) -> int:
    """The peak bytes of one step of ``row`` on ``program`` above those allocated before it, by
    ``method`` (``tracemalloc`` or ``rss``), after the warm-up; the step's result is checked after."""
    warm, step, reference = _steps(program, row)
    for _ in range(1 if row == "wengert (first call)" else WARMUP_CALLS):
        warm()
    gc.collect()
    if method == "tracemalloc":
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        result = step()
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
    else:
        before = _resident_bytes()
        _reset_peak_resident()
        result = step()
        peak = _peak_resident_bytes() - before
    got = _flat(result)
    del result
    check_results(program, row, got, _flat(reference()))
    return peak


def check_results(program: str, row: str, got: list, want: list) -> None:
    """Raise ResultMismatch unless the loss and every gradient match the hand-written ones, each to
    float64's tolerance relative to its own largest entry."""
    if len(got) != len(want):
        raise ResultMismatch(f"{row} on {program}: {len(got)} results, want {len(want)}")
    for k, (g, w) in enumerate(zip(got, want)):
        check_close(f"{row} on {program}, result {k}", g, w, np.float64, max(float(np.max(np.abs(w))), 1e-300))


# --- the section, in the parent process -----------------------------------------------------------


def measured_in_a_child(program: str, row: str, method: str) -> int:
    """:func:`measure` run in a fresh process (this file as a script), with glibc's malloc mapping
    large blocks on their own; raises with the child's last error line if it fails."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(MMAP_THRESHOLD))
    done = subprocess.run(
        [sys.executable, __file__, program, row, method], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise RuntimeError(lines[-1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(peak: int | None, baseline: int | None, shown: str | None) -> str:
    if shown is not None:
        return shown
    ratio = "" if not baseline else f" ({peak / baseline:.2f}x)"
    return f"{peak / MIB:.1f} MiB{ratio}"


def run_memory(peers: dict, settings: Settings) -> None:
    """Print the table of peak memory and the targets (issue 19). ``settings`` changes nothing: a
    peak is measured once per fresh process."""
    del settings
    columns = [(program, method) for program in PROGRAMS for method in ("tracemalloc", "rss")]
    peaks: dict = {}
    shown: dict = {}
    problems = []
    for program, method in columns:
        for row in ROWS:
            peer = PEER_OF_ROW.get(row)
            if peer is not None and peers.get(peer) is None:
                shown[program, method, row] = NOT_INSTALLED
            elif method == "tracemalloc" and row in ("torch (eager)", "jax (jit)"):
                shown[program, method, row] = "n/a"
            else:
                try:
                    peaks[program, method, row] = measured_in_a_child(program, row, method)
                except Exception as error:  # a broken row is reported, the rest still runs
                    shown[program, method, row] = "FAILED"
                    problems.append((row, f"{program} {method}", error))
    rows = []
    for row in ROWS:
        cells = []
        for program, method in columns:
            baseline = peaks.get((program, method, "numpy (by hand)"))
            cells.append(_cell(peaks.get((program, method, row)), baseline, shown.get((program, method, row))))
        rows.append([row, *cells])
    widths = "-".join(str(w) for w in WIDTHS)
    print_table(
        f"Peak memory of one loss-and-gradient step above its inputs, float64: mlp = 4 tanh layers {widths}, "
        f"batch {BATCH}; additions = {ADDITIONS} x (x + 1.0) on {ADDITIONS_SHAPE[0]}x{ADDITIONS_SHAPE[1]}. "
        "MiB, (ratio to numpy by hand); tracemalloc sees NumPy's allocations only, RSS every library's",
        ["implementation", *(f"{program} {method}" for program, method in columns)],
        rows,
    )
    print_problems(problems)
    targets = []
    for program, row, limit, baseline_row in TARGETS:
        peak, baseline = peaks.get((program, "tracemalloc", row)), peaks.get((program, "tracemalloc", baseline_row))
        measured = None if peak is None or not baseline else peak / baseline
        targets.append(target_row(f"{program}: {row} <= {limit}x {baseline_row} (tracemalloc)", measured, limit))
    print_table("Targets: peak memory of reverse mode (issue 19)", ["target", "measured", "met"], targets)


def main(argv: list[str]) -> int:
    """The child process: measure one (program, row, method) and print the peak in bytes as JSON."""
    parser = argparse.ArgumentParser(description="measure one step's peak memory (run by run_memory)")
    parser.add_argument("program", choices=PROGRAMS)
    parser.add_argument("row", choices=ROWS)
    parser.add_argument("method", choices=("tracemalloc", "rss"))
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.program, args.row, args.method)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
