"""HIPS autograd's own benchmarks, timed on autograd and on ``wengert.compat.autograd``, in ratios.

The benchmarks are not in this repository: they are the ``benchmarks/`` folder of
autograd's source distribution (``--sdist PATH``, or downloaded with pip as
``scripts/run_autograd_suite.py`` does), written for asv. Each of its modules is
loaded twice in this one process: once with ``autograd`` the real autograd, and
once after ``wengert.compat.autograd.install()`` (then undone), so each copy
holds its own ``autograd``. Every ``time_*`` benchmark (module functions, and
methods of the suite classes after their ``setup()``) is then timed on both,
interleaved in rounds (``harness.median_seconds``), and the table gives the
median times and their ratio wengert / autograd; the target is a ratio under 1
on every benchmark. ``time_exp_call`` and ``time_no_autograd_control`` call
NumPy alone (autograd's controls for the machine's speed): they are shown and
not held to the target. A benchmark whose wengert step runs none of wengert's
differentiation code (no transform, nothing of the compat package but its NumPy
namespace: Python floats, or plain arrays through ``autograd.numpy``) is marked
``untraced``: both engines then run the same NumPy and Python work, and its
ratio is 1 within the machine's noise; it stays held to the target, and the
mark says why it cannot be met by more than noise. Every ``peakmem_*``
benchmark is run once on each, and its peak memory (NumPy's allocations, as
``tracemalloc`` sees them) is given as a ratio too.

The benchmarks return nothing, so there is nothing to check before timing; that
both compute the same is what autograd's test suite on ``install()`` checks
(``scripts/run_autograd_suite.py``).

    python benchmarks/autograd_suite.py --threads 1 [--sdist autograd-1.9.1.tar.gz] [--quick] [-k dot]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import inspect
import pathlib
import re
import shutil
import sys
import tarfile
import tempfile
import tracemalloc
import warnings
from collections.abc import Callable

import numpy as np
from harness import FULL, QUICK, format_seconds, median_seconds, print_table
from run import pin_threads_and_restart

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts"))

from run_autograd_suite import VERSION, sdist  # noqa: E402

import wengert.compat.autograd as compat  # noqa: E402

ENGINES = ("autograd", "wengert")
CONTROLS = {"time_exp_call", "time_no_autograd_control"}  # NumPy alone: the machine's speed, not autograd's
TARGET = 1.0  # wengert / autograd, on every benchmark but the controls
DIFFERENTIATION_CODE = ("wengert._src.transforms", "wengert.compat.autograd")
NUMPY_NAMESPACE = "wengert.compat.autograd.numpy"


def unpack_benchmarks(archive: pathlib.Path, workdir: pathlib.Path) -> pathlib.Path:
    """The sdist's ``benchmarks/`` folder, unpacked into ``workdir``."""
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if re.match(r"[^/]+/benchmarks/", m.name)]
        tar.extractall(workdir, members=members, filter="data")
    return next(workdir.glob("*/benchmarks"))


def load_modules(folder: pathlib.Path, engine: str) -> dict:
    """Every ``bench_*.py`` of ``folder``, imported with ``autograd`` bound to ``engine``'s package.

    NumPy's global generator is seeded before each module, so both engines' modules draw the same data.
    """
    if engine == "wengert":
        compat.install()
    modules = {}
    try:
        for path in sorted(folder.glob("bench_*.py")):
            np.random.seed(0)
            spec = importlib.util.spec_from_file_location(f"autograd_benchmarks_{engine}.{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # autograd's "Output seems independent of input"
                spec.loader.exec_module(module)
            modules[path.stem] = module
    finally:
        if engine == "wengert":
            compat.uninstall()
    return modules


def benchmarks(module, prefix: str) -> dict[str, Callable]:
    """The module's benchmarks named ``prefix*``: its functions, and its classes' methods after ``setup()``."""
    found = {}
    for name, value in vars(module).items():
        if name.startswith(prefix) and inspect.isfunction(value) and value.__module__ == module.__name__:
            found[name] = value
        elif inspect.isclass(value) and value.__module__ == module.__name__:
            methods = [m for m in vars(value) if m.startswith(prefix)]
            if methods:
                np.random.seed(0)
                suite = value()
                if hasattr(suite, "setup"):
                    suite.setup()
                found.update({f"{name}.{m}": getattr(suite, m) for m in methods})
    return found


def paired(modules: dict, prefix: str) -> list[tuple[str, dict[str, Callable]]]:
    """``(module.benchmark, {engine: step})`` for every benchmark named ``prefix*``, in the sdist's order."""
    per_engine = {
        engine: {f"{stem}.{name}": step for stem, module in modules[engine].items()
                 for name, step in benchmarks(module, prefix).items()}
        for engine in ENGINES
    }  # fmt: skip
    return [(name, {engine: per_engine[engine][name] for engine in ENGINES}) for name in per_engine["autograd"]]


def peak_bytes(step: Callable) -> int:
    """The peak of NumPy's and Python's allocations during one call of ``step``."""
    gc.collect()
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def runs_no_differentiation_code(step: Callable) -> bool:
    """Whether one call of ``step`` (a wengert step) runs none of wengert's transforms and nothing of the
    compat package but its NumPy namespace: then it times the same NumPy and Python work as autograd's."""
    modules = set()

    def watch(frame, event, arg):
        if event == "call":
            modules.add(frame.f_globals.get("__name__", ""))

    sys.setprofile(watch)
    try:
        step()
    finally:
        sys.setprofile(None)
    return not any(m.startswith(DIFFERENTIATION_CODE) and not m.startswith(NUMPY_NAMESPACE) for m in modules)


def seconds_text(seconds: float) -> str:
    """``harness.format_seconds``, with two decimals under 10 us (autograd's unit benchmarks take 0.1-1 us)."""
    return f"{seconds * 1e6:.2f} us" if seconds < 1e-5 else format_seconds(seconds)


def run_times(cases: list, settings) -> tuple[int, int]:
    """Time every case on both engines, print the table; return how many miss the target, and how many of
    those are untraced (:func:`runs_no_differentiation_code`)."""
    rows, missed, untraced_missed = [], 0, 0
    for name, steps in cases:
        untraced = runs_no_differentiation_code(steps["wengert"])
        medians = median_seconds(steps, settings)
        ratio = medians["wengert"] / medians["autograd"]
        control = name.split(".")[-1] in CONTROLS
        met = "control" if control else ("yes" if ratio < TARGET else "no")
        missed += met == "no"
        untraced_missed += met == "no" and untraced
        rows.append([name, seconds_text(medians["autograd"]), seconds_text(medians["wengert"]), f"{ratio:.2f}x",
                     met + (" (untraced)" if untraced and not control else "")])  # fmt: skip
    header = ["benchmark", "autograd", "wengert", "wengert/autograd", f"< {TARGET:.0f}x"]
    print_table(f"autograd {VERSION}'s benchmarks: median time per call (interleaved rounds)", header, rows)
    return missed, untraced_missed


def run_peak_memory(cases: list) -> None:
    rows = []
    for name, steps in cases:
        peaks = {engine: peak_bytes(step) for engine, step in steps.items()}
        rows.append([name, *(f"{peaks[e] / 2**20:.1f} MiB" for e in ENGINES),
                     f"{peaks['wengert'] / peaks['autograd']:.2f}x"])  # fmt: skip
    header = ["benchmark", "autograd", "wengert", "wengert/autograd"]
    print_table(f"autograd {VERSION}'s benchmarks: peak memory of one call (tracemalloc)", header, rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", help=f"autograd-{VERSION}.tar.gz (default: download it with pip)")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions (noisier)")
    parser.add_argument("--threads", type=int, help="pin NumPy's BLAS to this many threads")
    parser.add_argument("-k", default="", help="run the benchmarks whose name contains this")
    args = parser.parse_args()
    if args.threads is not None:
        pin_threads_and_restart(args.threads)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="autograd_benchmarks_"))
    try:
        folder = unpack_benchmarks(sdist(args.sdist, workdir), workdir)
        modules = {engine: load_modules(folder, engine) for engine in ENGINES}
        missed, untraced = run_times([c for c in paired(modules, "time_") if args.k in c[0]],
                                     QUICK if args.quick else FULL)  # fmt: skip
        run_peak_memory([c for c in paired(modules, "peakmem_") if args.k in c[0]])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    verdict = "met" if not missed else f"{missed} missed" + (f", {untraced} of them untraced" if untraced else "")
    print(f"\ntarget (wengert faster on every benchmark but the controls): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
