"""The benchmark harness: wengert against hand-written NumPy and its peers, in ratios.

Twelve sections, each a table followed by the targets it is held to
(``--only`` picks one):

1. ``makemore``: the makemore MLP loss and every parameter gradient at batch
   32 and 1024, float64 and float32: hand-written NumPy, wengert eager and
   jitted, HIPS autograd, PyTorch eager, JAX eager and JAX jit. Each entry is
   the median time of one step and its ratio to the hand-written NumPy step
   of the same run.
2. ``chain``: the cost of reverse mode per operation, forward and backward,
   on a chain of 1,000 elementwise operations on a one-element array, where
   only the framework's overhead is left: wengert, a bare reference tape (the
   floor), HIPS autograd, PyTorch eager and JAX eager.
3. ``jacobian``: the Jacobian of ``tanh(B @ x)`` in forward and reverse mode
   for a wide and a tall ``B``, showing which mode wins for which shape
   (``jacobians.py``).
4. ``hessian``: the Hessian of ``sum(tanh(A @ x)**2)`` and a Hessian-vector
   product (``jacobians.py``).
5. ``training``: a whole makemore training step, forward, backward and SGD
   update, with ``wengert.nn``/``wengert.optim`` and jitted
   (``training_step.py``).
6. ``divergence``: the exact divergence of an MLP vector field against
   Hutchinson's and Hutch++'s estimates and one batched JVP, at d = 100 and
   1000, against JAX, matfree and ``torch.func`` (``divergence.py``).
7. ``gp``: the gradient of a Gaussian process's negative log marginal
   likelihood in its hyperparameters, N = 500 (``gaussian_process.py``).
8. ``matmul``: the Hessian of ``sum(log(1 + exp(A @ x)))`` and the Jacobians
   of ``log(1 + exp(A @ x))``, A 1000x500 (``matmul_hessian.py``).
9. ``elimination``: Jacobians by vertex elimination against jacfwd and jacrev on
   a diamond (R^200 -> R^5 -> R^200) and two chains (fan-in beside fan-out):
   multiplications and time (``elimination.py``).
10. ``memory``: the peak memory of one loss-and-gradient step of a 4-layer MLP (batch
   2048) and of HIPS autograd's 100 additions, each implementation in a fresh process, by
   tracemalloc and by resident size (``memory.py``).
11. ``scalar``: the gradient of a 2,029-operation program on 0-d float64
   values, eager and jitted (``scalar_program.py``).
12. ``rnn``: the gradient of an RNN over 500 steps, a tape longer than the compiled
   backward pass's limit, eager, against autograd, PyTorch eager and JAX jit; run it with
   ``--threads 1`` and ``--threads 2`` (``long_tape.py``).

Every implementation runs the same program and its result is checked against
the reference once before it is timed. Peers that are not installed are
reported as such. Usage::

    python benchmarks/run.py                  # everything (a few minutes)
    python benchmarks/run.py --quick          # fewer, shorter repetitions
    python benchmarks/run.py --only chain     # one section
    python benchmarks/run.py --threads 1      # every library on one thread
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.metadata
import os
import platform
import sys
from collections.abc import Callable

import divergence
import elimination
import gaussian_process
import jacobians
import long_tape
import makemore_reference as reference
import matmul_hessian
import memory
import numpy as np
import scalar_program
import training_step
from harness import (
    FULL,
    QUICK,
    Implementation,
    Problem,
    Settings,
    check_close,
    checked_steps,
    import_peer,
    median_seconds,
    print_problems,
    print_table,
    table_cell,
    target_row,
)

import wengert
import wengert.numpy as wnp

MAKEMORE_BATCHES = (32, 1024)
DTYPES = (np.float64, np.float32)
CHAIN_LENGTH = 1000  # elementwise operations: sin and multiply by CHAIN_SCALE, alternating
CHAIN_SCALE = 1.001
CHAIN_OPS = CHAIN_LENGTH + 1  # and the final sum that makes the output a scalar

TARGET_US_PER_OP = 3.0
TARGET_RATIO = {32: 2.0, 1024: 1.3}  # wengert eager / hand-written NumPy, per batch
TARGET_JIT_RATIO = {32: 1.2, 1024: 1.0}  # wengert jit / hand-written NumPy, per batch (issue 4)
SECTIONS = (
    "makemore",
    "chain",
    "jacobian",
    "hessian",
    "training",
    "divergence",
    "gp",
    "matmul",
    "elimination",
    "memory",
    "scalar",
    "rnn",
)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# --- the environment -------------------------------------------------------------------------


def numpy_blas_threads() -> int | None:
    """The number of threads NumPy's OpenBLAS uses, or None where it cannot be asked."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    for path in paths:
        library = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(library, symbol):
                return int(getattr(library, symbol)())
    return None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# --- section makemore: the loss and gradients of the makemore MLP ----------------------------

# An implementation of the step: prepare(params, Xb, Yb) returns (step, read), where
# step() runs one training step and read(step()) gives (loss, {name: gradient}) in NumPy.
Prepared = tuple[Callable[[], object], Callable[[object], tuple]]


def prepare_numpy(params, Xb, Yb) -> Prepared:
    return (lambda: reference.loss_and_grads(params, Xb, Yb)), (lambda result: result)


def prepare_wengert(params, Xb, Yb) -> Prepared:
    value_and_grad = wengert.value_and_grad(reference.make_loss(wnp))
    return (lambda: value_and_grad(params, Xb, Yb)), (lambda result: result)


def prepare_wengert_jit(params, Xb, Yb) -> Prepared:
    """``jit(value_and_grad(loss))``: staged and compiled on the first call (the check), run compiled after."""
    value_and_grad = wengert.jit(wengert.value_and_grad(reference.make_loss(wnp)))
    return (lambda: value_and_grad(params, Xb, Yb)), (lambda result: result)


def prepare_autograd(autograd, params, Xb, Yb) -> Prepared:
    import autograd.numpy as anp

    value_and_grad = autograd.value_and_grad(reference.make_loss(anp))
    return (lambda: value_and_grad(params, Xb, Yb)), (lambda result: result)


def prepare_torch(torch, params, Xb, Yb) -> Prepared:
    tensors = {name: torch.from_numpy(value.copy()).requires_grad_() for name, value in params.items()}
    Xt, Yt = torch.from_numpy(Xb), torch.from_numpy(Yb)
    loss_fn = reference.make_loss(torch)

    def step():
        for tensor in tensors.values():
            tensor.grad = None
        loss = loss_fn(tensors, Xt, Yt)
        loss.backward()
        return loss.detach(), {name: tensor.grad for name, tensor in tensors.items()}

    def read(result):
        loss, grads = result
        return loss.numpy(), {name: grad.numpy() for name, grad in grads.items()}

    return step, read


def prepare_jax(jax, params, Xb, Yb, compiled: bool) -> Prepared:
    jnp = jax.numpy
    value_and_grad = jax.value_and_grad(reference.make_loss(jnp))
    if compiled:
        value_and_grad = jax.jit(value_and_grad)
    on_device = {name: jnp.asarray(value) for name, value in params.items()}
    Xj, Yj = jnp.asarray(Xb), jnp.asarray(Yb)

    def read(result):
        loss, grads = result
        return np.asarray(loss), {name: np.asarray(grad) for name, grad in grads.items()}

    return (lambda: jax.block_until_ready(value_and_grad(on_device, Xj, Yj))), read


def makemore_implementations(peers: dict) -> list[tuple[str, Callable | None]]:
    """(row name, prepare or None when the peer is missing), the reference first."""
    autograd, torch, jax = peers["autograd"], peers["torch"], peers["jax"]
    return [
        ("numpy (by hand)", prepare_numpy),
        ("wengert", prepare_wengert),
        ("wengert (jit)", prepare_wengert_jit),
        ("autograd", autograd and (lambda *a: prepare_autograd(autograd, *a))),
        ("torch (eager)", torch and (lambda *a: prepare_torch(torch, *a))),
        ("jax (eager)", jax and (lambda *a: prepare_jax(jax, *a, compiled=False))),
        ("jax (jit)", jax and (lambda *a: prepare_jax(jax, *a, compiled=True))),
    ]


def makemore_rows(implementations: list, params: dict, Xb: np.ndarray, Yb: np.ndarray, dtype) -> list[Implementation]:
    """The rows for one batch and dtype, each checked against the hand-written step's loss and gradients."""
    want_loss, want_grads = reference.loss_and_grads(params, Xb, Yb)
    grad_scale = max(float(np.max(np.abs(grad))) for grad in want_grads.values())

    def row(name: str, prepare: Callable):
        def make():
            step, read = prepare(params, Xb, Yb)

            def check(result) -> None:
                got_loss, got_grads = read(result)
                check_close(f"{name} loss", got_loss, np.asarray(want_loss), dtype, float(want_loss))
                for param in reference.PARAM_NAMES:
                    check_close(f"{name} d{param}", got_grads[param], want_grads[param], dtype, grad_scale)

            return step, check

        return make

    return [(name, prepare and row(name, prepare)) for name, prepare in implementations]


def run_makemore(peers: dict, settings: Settings) -> None:
    configs = [(batch, dtype) for batch in MAKEMORE_BATCHES for dtype in DTYPES]
    implementations = makemore_implementations(peers)
    times: dict[tuple[str, int, type], float] = {}
    cells: dict[str, list[str]] = {name: [] for name, _ in implementations}
    problems: list[Problem] = []
    for batch, dtype in configs:
        params = reference.init_params(dtype)
        Xb, Yb = reference.random_batch(batch)
        rows = makemore_rows(implementations, params, Xb, Yb, dtype)
        steps, broken = checked_steps(rows, f"batch {batch} {np.dtype(dtype).name}")
        problems += broken
        medians = median_seconds(steps, settings)
        baseline = medians["numpy (by hand)"]
        for name, prepare in implementations:
            if name in medians:
                times[name, batch, dtype] = medians[name]
            cells[name].append(table_cell(name, prepare, medians, baseline))
    header = ["implementation"] + [f"batch {batch} {np.dtype(dtype).name}" for batch, dtype in configs]
    print_table(
        "Makemore MLP step, loss and all gradients: median time, (ratio to hand-written NumPy)",
        header,
        [[name, *cells[name]] for name, _ in implementations],
    )
    print_problems(problems)

    rows = []
    for name, limits in (("wengert", TARGET_RATIO), ("wengert (jit)", TARGET_JIT_RATIO)):
        for batch, dtype in configs:
            seconds = times.get((name, batch, dtype))
            ratio = None if seconds is None else seconds / times["numpy (by hand)", batch, dtype]
            target = f"batch {batch} {np.dtype(dtype).name}: {name} <= {limits[batch]}x NumPy"
            rows.append(target_row(target, ratio, limits[batch]))
    print_table("Targets: makemore step", ["target", "measured", "met"], rows)


# --- section chain: the cost of one operation in reverse mode -------------------------------


def chain(xnp, x):
    """CHAIN_LENGTH elementwise operations, ``x <- sin(x) * CHAIN_SCALE``, then a sum."""
    for _ in range(CHAIN_LENGTH // 2):
        x = xnp.sin(x) * CHAIN_SCALE
    return xnp.sum(x)


def chain_gradient(x0: np.ndarray) -> np.ndarray:
    """d chain / d x by the chain rule, multiplied out forwards in plain NumPy."""
    x, derivative = x0, np.ones_like(x0)
    for _ in range(CHAIN_LENGTH // 2):
        derivative = derivative * np.cos(x) * CHAIN_SCALE
        x = np.sin(x) * CHAIN_SCALE
    return derivative


class TapeValue:
    """A value on the reference tape: its array and the index of the record that made it."""

    __slots__ = ("index", "tape", "value")

    def __init__(self, tape: ReferenceTape, value: np.ndarray, index: int):
        self.tape, self.value, self.index = tape, value, index

    def __mul__(self, constant: float) -> TapeValue:
        return self.tape.record(self.value * constant, self, _scale_vjp, constant)


def _sin_vjp(g, x):
    return g * np.cos(x)


def _scale_vjp(g, x, constant):
    return g * constant


def _sum_vjp(g, x):
    return np.broadcast_to(g, x.shape)


class ReferenceTape:
    """The floor: reverse mode with nothing but one NumPy call and one list append per op.

    Only what the chain needs (one-input operations). Each record is
    ``(parent index, vjp, parent value, extra arguments)``; ``backward`` walks
    the records once, from the last to the first.
    """

    def __init__(self):
        self.records: list[tuple] = [(None, None, None, ())]  # record 0: the input

    def input(self, value: np.ndarray) -> TapeValue:
        return TapeValue(self, value, 0)

    def record(self, value, parent: TapeValue, vjp, *extra) -> TapeValue:
        self.records.append((parent.index, vjp, parent.value, extra))
        return TapeValue(self, value, len(self.records) - 1)

    def sin(self, x: TapeValue) -> TapeValue:
        return self.record(np.sin(x.value), x, _sin_vjp)

    def sum(self, x: TapeValue) -> TapeValue:
        return self.record(np.sum(x.value), x, _sum_vjp)

    def backward(self, output: TapeValue) -> np.ndarray:
        grads: list = [None] * len(self.records)
        grads[output.index] = np.ones_like(output.value)
        for index in range(output.index, 0, -1):
            g = grads[index]
            if g is None:
                continue
            parent, vjp, value, extra = self.records[index]
            contribution = vjp(g, value, *extra)
            grads[parent] = contribution if grads[parent] is None else grads[parent] + contribution
        return grads[0]


def reference_tape_grad(x0: np.ndarray) -> np.ndarray:
    tape = ReferenceTape()
    return tape.backward(chain(tape, tape.input(x0)))


def chain_implementations(peers: dict) -> list[tuple[str, Callable | None]]:
    """(row name, make_step(x0) or None when the peer is missing); make_step gives step, read."""
    autograd, torch, jax = peers["autograd"], peers["torch"], peers["jax"]

    def wengert_step(x0):
        grad = wengert.grad(lambda x: chain(wnp, x))
        return (lambda: grad(x0)), np.asarray

    def autograd_step(x0):
        import autograd.numpy as anp

        grad = autograd.grad(lambda x: chain(anp, x))
        return (lambda: grad(x0)), np.asarray

    def torch_step(x0):
        x = torch.from_numpy(x0.copy()).requires_grad_()

        def step():
            x.grad = None
            chain(torch, x).backward()
            return x.grad

        return step, lambda grad: grad.numpy()

    def jax_step(x0):
        grad = jax.grad(lambda x: chain(jax.numpy, x))
        x = jax.numpy.asarray(x0)
        return (lambda: jax.block_until_ready(grad(x))), np.asarray

    return [
        ("reference tape", lambda x0: ((lambda: reference_tape_grad(x0)), np.asarray)),
        ("wengert", wengert_step),
        ("autograd", autograd and autograd_step),
        ("torch (eager)", torch and torch_step),
        ("jax (eager)", jax and jax_step),
    ]


def run_chain(peers: dict, settings: Settings) -> None:
    x0 = np.array([0.5])
    want = chain_gradient(x0)
    steps = {}
    problems = []
    implementations = chain_implementations(peers)
    for name, make_step in implementations:
        if make_step is None:
            continue
        try:
            step, read = make_step(x0)
            check_close(f"{name} gradient", read(step()), want, np.float64, float(np.max(np.abs(want))))
        except Exception as error:  # a broken row is reported, the rest still runs
            problems.append((name, "1-element float64", error))
            continue
        steps[name] = step
    us_per_op = {name: seconds / CHAIN_OPS * 1e6 for name, seconds in median_seconds(steps, settings).items()}
    floor = us_per_op.get("reference tape")
    rows = []
    for name, make_step in implementations:
        if name not in us_per_op:
            rows.append([name, "not installed" if make_step is None else "FAILED", ""])
            continue
        ratio = "" if floor is None else f"{us_per_op[name] / floor:.1f}x"
        rows.append([name, f"{us_per_op[name]:.2f}", ratio])
    print_table(
        f"Reverse mode per operation: chain of {CHAIN_OPS} ops on a 1-element float64 array, forward + backward",
        ["implementation", "us/op", "vs reference tape"],
        rows,
    )
    print_problems(problems)
    wengert_us = us_per_op.get("wengert")
    measured = "failed" if wengert_us is None else f"{wengert_us:.2f} us"
    met = "yes" if wengert_us is not None and wengert_us <= TARGET_US_PER_OP else "no"
    print_table(
        "Targets: reverse-mode overhead",
        ["target", "measured", "met"],
        [[f"wengert <= {TARGET_US_PER_OP:g} us/op", measured, met]],
    )


# --- main ------------------------------------------------------------------------------------


def load_peers(threads: int) -> dict:
    """The installed peers, configured like NumPy: same thread count, float64 enabled in JAX."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")  # JAX on the CPU, like everything else here
    peers = {name: import_peer(name) for name in ("autograd", "torch", "jax")}
    if peers["torch"] is not None:
        peers["torch"].set_num_threads(threads)
    if peers["jax"] is not None:
        peers["jax"].config.update("jax_enable_x64", True)
    return peers


def print_environment(peers: dict, threads: int | None, settings: Settings) -> None:
    def version(name: str) -> str:
        return importlib.metadata.version(name) if peers.get(name) is not None else "not installed"

    print(f"wengert {wengert.__version__} | Python {platform.python_version()} | {cpu_model()}")
    print(
        f"numpy {np.__version__} (BLAS threads: {threads if threads is not None else 'unknown'})"
        f" | torch {version('torch')} | jax {version('jax')} | autograd {version('autograd')}"
    )
    print_load("before the run")
    print(
        f"timing: median of {settings.repeats} repeats, each >= {settings.min_repeat_seconds * 1e3:.0f} ms,"
        f" after {settings.warmup} warm-up calls"
    )


def print_load(when: str) -> None:
    """The machine's 1-minute load average, with a warning when other work competes for it."""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    line = f"load average {when}: {load:.2f} on {cpus} CPUs"
    if load >= 0.5 * cpus:
        line += " -- the machine is busy: absolute times are noisy (ratios less so, rounds are interleaved)"
    print(line)


def pin_threads_and_restart(threads: int) -> None:
    """Run this script again with every library limited to ``threads`` threads, unless it already is.

    BLAS libraries read their thread count when they are loaded, and NumPy is loaded by now: the
    variables must be set before a fresh start (XLA's flags likewise; PyTorch is told in :func:`load_peers`).
    """
    wanted = {name: str(threads) for name in THREAD_VARIABLES}
    if threads == 1:
        wanted["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    if all(os.environ.get(name) == value for name, value in wanted.items()):
        return
    os.environ.update(wanted)
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, *sys.argv])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions (noisier)")
    parser.add_argument("--only", choices=SECTIONS, help="run one section")
    parser.add_argument("--threads", type=int, help="pin NumPy's BLAS, PyTorch and JAX to this many threads")
    args = parser.parse_args(argv)
    if args.threads is not None and argv is None:
        pin_threads_and_restart(args.threads)
    settings = QUICK if args.quick else FULL
    threads = numpy_blas_threads()
    peers = load_peers(threads or os.cpu_count() or 1)
    print_environment(peers, threads, settings)
    sections = {
        "makemore": run_makemore,
        "chain": run_chain,
        "jacobian": jacobians.run_jacobian,
        "hessian": jacobians.run_hessian,
        "training": training_step.run_training,
        "divergence": divergence.run_divergence,
        "gp": gaussian_process.run_gaussian_process,
        "matmul": matmul_hessian.run_matmul_hessian,
        "elimination": elimination.run_elimination,
        "memory": memory.run_memory,
        "scalar": scalar_program.run_scalar_program,
        "rnn": long_tape.run_long_tape,
    }
    for name in SECTIONS if args.only is None else (args.only,):
        sections[name](peers, settings)
    print()
    print_load("after the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
