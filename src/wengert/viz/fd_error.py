"""The error of a finite difference against its step: the V on log-log axes, with its two asymptotes.

For a step ``h`` a difference quotient makes two errors (see :mod:`wengert.check`):

* **truncation**, from the Taylor terms it drops: ``h |f''| / 2`` for the
  forward difference, ``h² |f'''| / 6`` for the central one and the complex step;
* **rounding**, from subtracting two values of ``f`` each known to a relative
  ``ε``: about ``ε |f| / h`` for the forward and central differences, none for
  the complex step, which subtracts nothing.

Their sum is smallest where the two are balanced, at the optimal step
``h* = sqrt(2 ε |f| / |f''|)`` (forward; about ``1e-8`` for ``x³`` at 1) and
``h* = (3 ε |f| / |f'''|)^(1/3)`` (central; about ``5e-6``). Below the
spacing of the floats next to ``x``, ``x + h == x`` and the difference is 0:
the error is then ``|f'|`` itself, which the plot shows rather than hides.

The derivatives in the asymptotes (``f'``, ``f''``, ``f'''``) come from
wengert's ``grad``. The differences are the textbook formulas with the
nominal step ``h`` (``step="nominal"``, the classic figure), where rounding
``x + h`` itself is part of the rounding error; or
:func:`wengert.check.numerical_derivative` (``step="representable"``), which
divides by the step actually taken, ``(x + h) - x``, and so removes that part:
for ``x³`` at ``x = 1`` its forward difference is then exact for every step
below about ``6e-9``, since ``(1 + h)³`` rounds to ``1 + 3h``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from os import PathLike

import numpy as np

import wengert
from wengert.check import numerical_derivative
from wengert.errors import ArgumentError, WengertError

from .training import figure, finish

__all__ = ["FD_METHODS", "fd_errors", "optimal_steps", "plot_fd_error"]

FD_METHODS = ("forward", "central", "complex_step")
EPS = float(np.finfo(np.float64).eps)
COLORS = {"forward": "tab:blue", "central": "tab:orange", "complex_step": "tab:green", "backward": "tab:purple"}


def fd_errors(
    f: Callable,
    x: float,
    df: Callable | None = None,
    steps: Sequence[float] | None = None,
    methods: Sequence[str] = FD_METHODS,
    step: str = "nominal",
) -> dict:
    """``{"h": steps, method: |numerical - exact| per step, ...}`` for ``f'`` at ``x``.

    The exact derivative is ``df(x)``, or wengert's ``grad(f)(x)`` when
    ``df`` is None. ``steps`` default to 321 steps from ``1e-20`` to ``1``;
    ``step`` is ``"nominal"`` or ``"representable"`` (see the module docstring).

    >>> errors = fd_errors(lambda x: x**3, 1.0, steps=[1e-17, 1e-8, 1e-5])
    >>> [float(e) for e in errors["forward"][:1]]   # x + 1e-17 == x: the difference is 0, the error 3
    [3.0]
    >>> bool(errors["forward"][1] < 1e-7 and errors["central"][2] < 1e-9)
    True
    """
    steps = np.logspace(-20, 0, 321) if steps is None else np.asarray(steps, dtype=float)
    if steps.ndim != 1 or not np.all(steps > 0):
        raise ArgumentError("steps must be a 1-D sequence of positive numbers, e.g. np.logspace(-16, 0, 200).")
    x = float(x)
    exact = float(df(x)) if df is not None else float(wengert.grad(f)(x))
    errors = {"h": steps}
    if step not in ("nominal", "representable"):
        raise ArgumentError(f"step must be 'nominal' or 'representable', got {step!r}.")
    with np.errstate(all="ignore"):
        for method in methods:
            if step == "nominal" and method in _TEXTBOOK:
                estimates = [float(_TEXTBOOK[method](f, x, h)) for h in steps]
            else:
                estimates = [float(numerical_derivative(f, x, method=method, h=h)) for h in steps]
            errors[method] = np.abs(np.array(estimates) - exact)
    return errors


_TEXTBOOK = {
    "forward": lambda f, x, h: (f(x + h) - f(x)) / h,
    "backward": lambda f, x, h: (f(x) - f(x - h)) / h,
    "central": lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h),
    "complex_step": lambda f, x, h: np.imag(f(complex(x, h))) / h,
}
"""Each difference as the textbook writes it, with the nominal step ``h``."""


def optimal_steps(f: Callable, x: float) -> dict:
    """``{"forward": h*, "central": h*}``, and the derivatives used (``"f"``, ``"d2"``, ``"d3"``), by ``grad``.

    >>> round(optimal_steps(lambda x: x**3, 1.0)["forward"] * 1e9, 1)   # sqrt(2 eps / 6)
    8.6
    """
    x = float(x)
    value = abs(float(f(x)))
    second = abs(float(wengert.grad(wengert.grad(f))(x)))
    third = abs(float(wengert.grad(wengert.grad(wengert.grad(f)))(x)))
    scale = max(value, EPS)
    found = {"f": value, "d2": second, "d3": third}
    found["forward"] = float(np.sqrt(2 * EPS * scale / second)) if second > 0 else None
    found["central"] = float(np.cbrt(3 * EPS * scale / third)) if third > 0 else None
    return found


def plot_fd_error(
    f: Callable,
    x: float,
    df: Callable | None = None,
    steps: Sequence[float] | None = None,
    methods: Sequence[str] = FD_METHODS,
    path: str | PathLike | None = None,
    title: str | None = None,
    step: str = "nominal",
):
    """The absolute error of each difference against ``h``, log-log, with the asymptotes and optimal steps.

    ``f`` takes and returns a float; for the asymptotes wengert differentiates it
    three times (write it with ``wengert.numpy`` or plain operators; a NumPy-only
    ``f`` still plots, without the asymptotes). An error of exactly 0 (the
    complex step often hits ``f'`` exactly) is drawn on the bottom edge, at
    ``ε |f'| / 100``. Returns the matplotlib Figure; writes ``path`` if given.
    """
    errors = fd_errors(f, x, df, steps, methods, step)
    steps = errors["h"]
    exact = float(df(float(x))) if df is not None else float(wengert.grad(f)(float(x)))
    floor = EPS * max(abs(exact), 1.0) / 100
    fig, (axes,) = figure()
    labels = {"forward": "forward difference", "central": "central difference", "complex_step": "complex step"}
    for method in methods:
        axes.loglog(
            steps,
            np.maximum(errors[method], floor),
            color=COLORS.get(method),
            linewidth=1.6,
            label=labels.get(method, method),
        )
    try:
        found = optimal_steps(f, x)
    except WengertError:
        found = None
    if found is not None:
        _asymptotes(axes, steps, found, methods)
    axes.set_ylim(floor / 2, max(10 * abs(exact), 10.0))
    axes.set_xlabel("step h")
    axes.set_ylabel("absolute error of f'(x)")
    axes.set_title(title or f"finite-difference error at x = {float(x):g}")
    axes.grid(alpha=0.3, which="major")
    return finish(fig, axes, path)


def _asymptotes(axes, steps: np.ndarray, found: dict, methods: Sequence[str]) -> None:
    rounding = EPS * max(found["f"], EPS) / steps
    if "forward" in methods or "central" in methods:
        axes.loglog(steps, rounding, color="grey", linestyle=":", linewidth=1, label="rounding  ε|f| / h")
    if "forward" in methods and found["d2"] > 0:
        axes.loglog(
            steps,
            steps * found["d2"] / 2,
            color=COLORS["forward"],
            linestyle="--",
            linewidth=1,
            alpha=0.7,
            label="truncation  h|f''| / 2",
        )
    if ("central" in methods or "complex_step" in methods) and found["d3"] > 0:
        axes.loglog(
            steps,
            steps**2 * found["d3"] / 6,
            color=COLORS["central"],
            linestyle="--",
            linewidth=1,
            alpha=0.7,
            label="truncation  h²|f'''| / 6",
        )
    for method in ("forward", "central"):
        h = found.get(method)
        if method in methods and h is not None:
            axes.axvline(
                h, color=COLORS[method], linestyle="-.", linewidth=1, alpha=0.8, label=f"optimal h ({method}) = {h:.1e}"
            )
