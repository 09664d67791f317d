"""Run HIPS autograd's own test suite against ``wengert.compat.autograd`` installed as ``autograd``.

The suite is not in this repository: it comes from autograd's source
distribution (``--sdist PATH``, or downloaded with ``pip download
autograd==VERSION --no-deps --no-binary :all:`` into a temporary folder),
whose ``tests/`` are copied to a temporary folder with a ``conftest.py`` that
calls ``wengert.compat.autograd.install()`` before any test module imports
``autograd``. pytest runs there (``--real`` runs the same tests on the real
autograd instead, as a control), and this script prints the pass count and
rate and the failures grouped by cause (the exception's type and first line).
The denominator is every test the suite has: where a test module cannot even
be imported on the compat package, its tests (counted by collecting them on
the real autograd, when installed) count as failed, by that import error.

    python scripts/run_autograd_suite.py [--sdist autograd-1.9.1.tar.gz] [--real] [-k EXPR]
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ElementTree

VERSION = "1.9.1"

INSTALL = """
import wengert.compat.autograd

wengert.compat.autograd.install()
"""


def sdist(path: str | None, workdir: pathlib.Path) -> pathlib.Path:
    """The sdist at ``path``, or one downloaded into ``workdir``."""
    if path:
        return pathlib.Path(path)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"autograd=={VERSION}", "--no-deps", "--no-binary", ":all:",
         "-d", str(workdir), "-q"],
        check=True,
    )  # fmt: skip
    return next(workdir.glob("autograd-*.tar.gz"))


def unpack_tests(archive: pathlib.Path, workdir: pathlib.Path) -> pathlib.Path:
    """The sdist's ``tests/`` folder, unpacked into ``workdir``."""
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if re.match(r"[^/]+/tests/", m.name)]
        tar.extractall(workdir, members=members, filter="data")
    return next(workdir.glob("*/tests"))


def install_compat(tests: pathlib.Path) -> None:
    """Make the suite's conftest install the compat package before any test module imports autograd."""
    conftest = tests / "conftest.py"
    conftest.write_text(INSTALL + conftest.read_text())


def pytest_command(tests: pathlib.Path, conftest: pathlib.Path, extra: list) -> list:
    # rootdir is the temporary folder: the repository's pytest configuration does not apply.
    return [sys.executable, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider", "--rootdir",
            str(tests), "-c", str(conftest), *extra]  # fmt: skip


def run(tests: pathlib.Path, report: pathlib.Path, extra: list) -> None:
    extra = ["--continue-on-collection-errors", f"--junitxml={report}", *extra]
    command = pytest_command(tests, tests / "conftest.py", extra)
    subprocess.run(command, cwd=tests, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tests_per_module(tests: pathlib.Path, extra: list) -> collections.Counter:
    """How many tests each module has, collected on the real autograd (empty if it is not installed)."""
    listing = subprocess.run(
        pytest_command(tests, tests / "conftest.py", ["--collect-only", "-q", *extra]),
        cwd=tests,
        capture_output=True,
        text=True,
    ).stdout
    counts = collections.Counter()
    for line in listing.splitlines():  # "test_core.py: 12" (pytest -qq --collect-only)
        if match := re.fullmatch(r"(\w+)\.py: (\d+)", line.strip()):
            counts[match.group(1)] = int(match.group(2))
    return counts


def cause(element) -> str:
    """``ExceptionType: first line of the message`` of a failure or error, numbers masked."""
    message = (element.get("message") or element.text or "").strip().splitlines()
    first = message[0] if message else element.get("type", "?")
    return re.sub(r"0x[0-9a-f]+|\d+(\.\d+)?", "#", first)[:160]


def summarize(report: pathlib.Path, expected: collections.Counter) -> int:
    """Print the counts and the failures by cause; return the number of failed tests."""
    counts = collections.Counter()
    causes = collections.defaultdict(list)
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        module = case.get("classname", "").split(".")[-1]
        name = f"{module}::{case.get('name')}"
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        weight = 1
        if not module and problem is not None:  # the module failed to import: all its tests fail
            module = case.get("name", "").split("/")[-1].removesuffix(".py")
            weight = max(expected.get(module, 1), 1)
            name = f"{module} (all {weight} tests)"
        if case.find("skipped") is not None:
            counts["skipped"] += 1
        elif problem is not None:
            counts["failed"] += weight
            causes[cause(problem)].append(name)
        else:
            counts["passed"] += 1
    run_count = counts["passed"] + counts["failed"]
    print(f"autograd {VERSION} test suite: {counts['passed']} of {run_count} passed "
          f"({100.0 * counts['passed'] / max(run_count, 1):.1f}%), {counts['skipped']} skipped")  # fmt: skip
    for text, names in sorted(causes.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        print(f"  {len(names):4d}  {text}\n        {shown}")
    return counts["failed"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", help=f"autograd-{VERSION}.tar.gz (default: download it with pip)")
    parser.add_argument("--real", action="store_true", help="run on the real autograd (the control)")
    parser.add_argument("-k", help="pytest -k expression, to run a subset")
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="autograd_suite_"))
    try:
        tests = unpack_tests(sdist(args.sdist, workdir), workdir)
        report = workdir / "report.xml"
        extra = ["-k", args.k] if args.k else []
        expected = tests_per_module(tests, extra)
        if not args.real:
            install_compat(tests)
        run(tests, report, extra)
        summarize(report, expected)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
