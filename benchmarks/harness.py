"""The benchmark's measuring tools: interleaved median timing, result checks, tables.

Every section of ``run.py`` uses the same three steps: check each
implementation's result against a reference (:func:`check_close`, raising
:class:`ResultMismatch`), time the ones that agree together
(:func:`median_seconds`, in interleaved rounds), and print a table of the
times and their ratios (:func:`print_table`). :func:`checked_steps` does the
first step for a whole table and keeps the broken rows' reasons, so one
failing implementation leaves the rest of the table standing.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TOLERANCE = {np.float64: 1e-9, np.float32: 1e-4}  # max |got - want| / scale
NOT_INSTALLED = "not installed"
FAILED = "FAILED"


@dataclass(frozen=True)
class Settings:
    """How long to measure: warm-up calls, repeats, and the least time of one repeat."""

    warmup: int
    repeats: int
    min_repeat_seconds: float


FULL = Settings(warmup=3, repeats=15, min_repeat_seconds=0.05)
QUICK = Settings(warmup=1, repeats=5, min_repeat_seconds=0.01)


class ResultMismatch(Exception):
    """An implementation computed something other than the reference did."""


def import_peer(name: str):
    """The module ``name``, or None when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


# --- timing ----------------------------------------------------------------------------------


def median_seconds(steps: dict[str, Callable[[], object]], settings: Settings) -> dict[str, float]:
    """Median time of one call of each step, timeit-style and interleaved.

    Each step is warmed up, then its number of calls per repeat is raised until
    one repeat takes at least ``settings.min_repeat_seconds``. The repeats run in
    rounds, one repeat of every step per round, so that a change in the
    machine's load (other processes, frequency scaling) falls on every
    implementation alike and leaves their ratios fair. Returned: for each step,
    the median over the rounds of (repeat time / calls). The garbage collector
    stays on, as it is in a real training loop.
    """
    numbers = {name: _calls_per_repeat(step, settings) for name, step in steps.items()}
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(settings.repeats):
        for name, step in steps.items():
            samples[name].append(_time_calls(step, numbers[name]) / numbers[name])
    return {name: statistics.median(times) for name, times in samples.items()}


def _calls_per_repeat(step: Callable[[], object], settings: Settings) -> int:
    for _ in range(settings.warmup):
        step()
    number = 1
    while True:
        elapsed = _time_calls(step, number)
        if elapsed >= settings.min_repeat_seconds:
            return number
        number = min(number * 10, max(number + 1, int(number * 1.2 * settings.min_repeat_seconds / elapsed)))


def _time_calls(step: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        step()
    return time.perf_counter() - start


# --- printing --------------------------------------------------------------------------------


def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for k, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        print("  " + "   ".join(cells))
        if k == 0:
            print("  " + "   ".join("-" * width for width in widths))


# Why a row shows FAILED: (row name, where in the table, the exception raised).
Problem = tuple[str, str, Exception]


def print_problems(problems: list[Problem]) -> None:
    """The reasons of the rows shown as FAILED, under their table; a row's repeated error is named, not repeated."""
    seen = set()
    for name, where, error in problems:
        kind = type(error).__name__
        if (name, kind) in seen:
            print(f"  ! {name}, {where}: {kind}, as above")
            continue
        seen.add((name, kind))
        print(f"  ! {name}, {where}: {kind}: {error}")


def target_row(target: str, measured: float | None, limit: float, unit: str = "x") -> list[str]:
    """A row of a targets table: ``measured <= limit`` met or not; a missing measurement fails."""
    if measured is None:
        return [target, "failed", "no"]
    shown = f"{measured:.2f}x" if unit == "x" else f"{measured * 1e3:.3f} ms"
    return [target, shown, "yes" if measured <= limit else "no"]


# --- checking results ------------------------------------------------------------------------


def check_close(what: str, got: np.ndarray, want: np.ndarray, dtype, scale: float) -> None:
    """Raise ResultMismatch unless ``got`` matches ``want`` in shape, dtype and value.

    Values are compared to ``TOLERANCE[dtype] * scale``, with ``scale`` the size of the
    quantity compared (for a gradient, the largest entry of all parameters'
    gradients): a gradient that is zero in exact arithmetic (``b1``, whose effect
    the batch mean removes) is rounding noise, and only small compared with the others.
    """
    got = np.asarray(got)
    if got.shape != want.shape or got.dtype != want.dtype:
        raise ResultMismatch(f"{what}: got {got.dtype}{list(got.shape)}, want {want.dtype}{list(want.shape)}")
    error = float(np.max(np.abs(got.astype(np.float64) - want), initial=0.0)) / scale
    if not error <= TOLERANCE[dtype]:
        raise ResultMismatch(f"{what}: relative error {error:.2e} exceeds {TOLERANCE[dtype]:.0e}")


# A row of a table: (name, make or None when its peer is missing). ``make()`` returns
# ``(step, check)``: ``step()`` runs what is timed, ``check(step())`` raises
# ResultMismatch unless the result is right.
Implementation = tuple[str, Callable[[], tuple[Callable[[], object], Callable[[object], None]]] | None]


def checked_steps(implementations: list[Implementation], where: str) -> tuple[dict[str, Callable], list[Problem]]:
    """The steps whose first result passes its check, and the reasons of those that did not.

    A row whose setup, first call or check raises is left out of the timing and
    reported as a :data:`Problem`; the rest of the table still runs.
    """
    steps: dict[str, Callable] = {}
    problems: list[Problem] = []
    for name, make in implementations:
        if make is None:
            continue
        try:
            step, check = make()
            check(step())
        except Exception as error:  # a broken row is reported, the rest still runs
            problems.append((name, where, error))
            continue
        steps[name] = step
    return steps, problems


def table_cell(name: str, make, medians: dict[str, float], baseline: float | None = None) -> str:
    """A table entry: the median time, with its ratio to ``baseline`` when given."""
    if name not in medians:
        return NOT_INSTALLED if make is None else FAILED
    if baseline is None:
        return format_seconds(medians[name])
    return f"{format_seconds(medians[name])} ({medians[name] / baseline:.2f}x)"


def timed_columns(
    by_column: dict[str, list[Implementation]], settings: Settings, baseline: str
) -> tuple[dict[str, dict[str, float]], list[list[str]], list[Problem]]:
    """Check and time a table whose columns each have their own rows, all timed in one interleaved run.

    Returned: the medians of each column, the table's rows (each entry its ratio to the ``baseline``
    row of its column) and the problems of the rows that failed their check.
    """
    steps, problems = {}, []
    for column, implementations in by_column.items():
        checked, broken = checked_steps(implementations, column)
        steps.update({(column, name): step for name, step in checked.items()})
        problems += broken
    medians = median_seconds(steps, settings)
    per_column = {column: {name: medians[c, name] for c, name in medians if c == column} for column in by_column}
    rows = []
    for k, (name, _) in enumerate(next(iter(by_column.values()))):
        cells = []
        for column, implementations in by_column.items():
            column_medians = per_column[column]
            cells.append(table_cell(name, implementations[k][1], column_medians, column_medians.get(baseline)))
        rows.append([name, *cells])
    return per_column, rows, problems
