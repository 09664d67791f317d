"""Run HIPS autograd's own ``examples/`` on the real autograd and on ``wengert.compat.autograd.install()``.

The examples come from autograd's source distribution (``--sdist PATH``, or
``pip download`` at run time); those that need downloaded data (MNIST and the
like) are left out. Each runs twice in a subprocess, with matplotlib drawing
off screen: once on the real autograd (when installed) and once with
``install()`` called first. The script prints, per example, whether both ran
and printed the same numbers to 1e-6 relative, or what went wrong.

The examples run with their own folder as the working directory (they import
each other), so the entries of ``PYTHONPATH`` are made absolute first, against
the directory the script was started from: ``PYTHONPATH=src`` means this tree's
``src`` in the examples too, never a folder of that name beside them. The script
prints which ``wengert`` the examples load.

    python scripts/run_autograd_examples.py [--sdist autograd-1.9.1.tar.gz] [--timeout 300] [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

from run_autograd_suite import sdist

NEEDS_DATA = {"convnet", "data", "data_mnist", "generative_adversarial_net", "gmm", "gplvm", "neural_net",
              "variational_autoencoder"}  # fmt: skip
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")  # not the 64 of float64

COMPAT = "import wengert.compat.autograd as _w; _w.install()\n"
RUN = (  # NumPy's global generator seeded, for the examples that draw from it unseeded
    "import numpy, runpy, sys; numpy.random.seed(0); sys.argv = [{path!r}]\n"
    "runpy.run_path({path!r}, run_name='__main__')\n"
)


def child_environment() -> dict:
    """This process's environment for the examples: ``PYTHONPATH``'s entries absolute, plots off screen."""
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    absolute = os.pathsep.join(str(pathlib.Path(entry).resolve()) for entry in entries if entry)
    return {**os.environ, "PYTHONPATH": absolute, "MPLBACKEND": "Agg"}


def loaded_wengert(folder: pathlib.Path) -> str:
    """The file of the ``wengert`` package a program started in ``folder`` imports."""
    program = "import wengert; print(wengert.__file__)"
    result = subprocess.run([sys.executable, "-c", program], cwd=folder, capture_output=True, text=True,
                            env=child_environment(), check=True)  # fmt: skip
    return result.stdout.strip()


def run_example(path: pathlib.Path, compat: bool, timeout: float) -> tuple[str, str]:
    """``(status, stdout)``: status is ``ok``, ``timeout`` or the last line of the error."""
    program = (COMPAT if compat else "") + RUN.format(path=str(path))
    try:
        result = subprocess.run([sys.executable, "-c", program], cwd=path.parent, capture_output=True, text=True,
                                timeout=timeout, env=child_environment())  # fmt: skip
    except subprocess.TimeoutExpired as expired:
        return "timeout", (expired.stdout or b"").decode() if isinstance(expired.stdout, bytes) else ""
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        return (lines[-1] if lines else f"exit {result.returncode}")[:200], result.stdout
    return "ok", result.stdout


def same_numbers(ours: str, theirs: str, rtol: float = 1e-6) -> bool:
    a, b = NUMBER.findall(ours), NUMBER.findall(theirs)
    if len(a) != len(b):
        return False
    return all(abs(float(x) - float(y)) <= rtol * max(abs(float(x)), abs(float(y))) + 1e-12 for x, y in zip(a, b))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", help="autograd's sdist (default: download it with pip)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument("names", nargs="*", help="examples to run (default: all that need no data)")
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="autograd_examples_"))
    try:
        with tarfile.open(sdist(args.sdist, workdir)) as tar:
            members = [m for m in tar.getmembers() if re.match(r"[^/]+/examples/", m.name)]
            tar.extractall(workdir, members=members, filter="data")
        examples = next(workdir.glob("*/examples"))
        names = args.names or sorted(p.stem for p in examples.glob("*.py") if p.stem not in NEEDS_DATA | {"__init__"})
        print(f"wengert from {loaded_wengert(examples)}", flush=True)
        same = 0
        for name in names:
            path = examples / f"{name}.py"
            real_status, real_out = run_example(path, False, args.timeout)
            our_status, our_out = run_example(path, True, args.timeout)
            if our_status == "ok" and real_status == "ok":
                verdict = "same numbers" if same_numbers(our_out, real_out) else "different numbers"
                same += verdict == "same numbers"
            else:
                verdict = f"autograd: {real_status}; wengert: {our_status}"
            print(f"{name:34s} {verdict}", flush=True)
        print(f"{same} of {len(names)} examples run and print the same numbers as on autograd")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
