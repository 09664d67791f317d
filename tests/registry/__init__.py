"""The operator test registry: sample inputs for every primitive and every
``wengert.numpy`` / ``wengert.scipy`` function, swept by every transform's tests.

Adding a function to wengert means adding one :class:`OpCase` to the family
module here (``numpy_ops``, ``linalg``, ``special`` ...). The sweeps
(``tests/test_registry_sweep.py`` and friends) check each case: forward vs
reverse vs finite differences, first and second order, float64 and float32,
dtype preserved, and agreement with HIPS autograd and JAX when installed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class OpCase:
    """One sample call of one function.

    Attributes:
        name: ``"wnp.exp"``-style name; sweeps use it as the test id (suffixes allowed:
            ``"wnp.sum[axis=1]"``).
        fn: the wengert function, called as ``fn(*args)``; closures fix non-array arguments.
        args: float64 sample arrays; every one is differentiated unless ``argnums`` says otherwise.
        argnums: positions of the differentiated arguments (default: all).
        order: highest derivative order the sweep checks (2 by default; 1 for functions whose
            second derivative is not meaningful at the sample, 0 for non-differentiable ones).
        numpy_fn: NumPy/SciPy reference for the value, called the same way (None: no check).
        autograd_fn / jax_fn: the same function in HIPS autograd / JAX, given the module
            (``autograd.numpy`` or ``jax.numpy``) as first argument; None: not compared.
        rtol, atol: tolerances for float64 comparisons with finite differences.
        float32: whether the float32 sweep applies.
    """

    name: str
    fn: Callable
    args: tuple
    argnums: tuple | None = None
    order: int = 2
    numpy_fn: Callable | None = None
    autograd_fn: Callable | None = None
    jax_fn: Callable | None = None
    rtol: float = 1e-5
    atol: float = 1e-6
    float32: bool = True

    @property
    def diff_argnums(self) -> tuple:
        return tuple(range(len(self.args))) if self.argnums is None else self.argnums


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def all_cases() -> list[OpCase]:
    """Every registered case, from every family module."""
    import importlib
    import pkgutil

    cases: list[OpCase] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        cases.extend(getattr(module, "CASES", []))
    return cases
