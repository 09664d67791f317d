"""The registry covers the API: every public function that takes arrays has a case.

A case counts for the function its name starts with (``wnp.sum[axis=1]``
covers ``wengert.numpy.sum``; ``wnp.linalg.inv`` covers
``wengert.numpy.linalg.inv``; ``wsp.erf`` covers
``wengert.scipy.special.erf``). Functions that take no arrays, or return
nothing an array computation could differentiate, are listed below with the
reason; every other public callable needs a case.
"""

import importlib
import inspect
import types

import pytest

import wengert.numpy as wnp
from tests.registry import all_cases, numpy_ops

CASES = all_cases()

SCIPY_STATS = [
    "bernoulli", "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "geom", "laplace",
    "logistic", "multivariate_normal", "nbinom", "norm", "poisson", "t", "uniform",
]  # fmt: skip

NOT_ARRAY_FUNCTIONS = {
    "wengert.numpy": {
        **dict.fromkeys(
            [
                "zeros",
                "ones",
                "empty",
                "arange",
                "eye",
                "identity",
                "tri",
                "indices",
            ],
            "constructor from sizes and scalars: its result is a constant",
        ),
        "ix_": "builds index arrays, which carry no derivative",
        "shape": "returns a tuple of ints",
        "ndim": "returns an int",
        "size": "returns an int",
        "allclose": "returns a Python bool",
        "array_equal": "returns a Python bool",
        "issubdtype": "takes dtypes",
        "result_type": "takes and returns dtypes",
    },
    "wengert.numpy.linalg": {},
    "wengert.numpy.fft": dict.fromkeys(["fftfreq", "rfftfreq"], "frequencies from a length and a spacing"),
    "wengert.scipy.special": {},
    "wengert.scipy.linalg": {},
    "wengert.scipy.signal": {},
    **{f"wengert.scipy.stats.{name}": {} for name in SCIPY_STATS},
}

PREFIXES = {
    "wengert.numpy": "wnp.",
    "wengert.numpy.linalg": "wnp.linalg.",
    "wengert.numpy.fft": "wnp.fft.",
    "wengert.scipy.special": "wsp.",
    "wengert.scipy.linalg": "wsl.",
    "wengert.scipy.signal": "wsig.",
    **{f"wengert.scipy.stats.{name}": f"wss.{name}." for name in SCIPY_STATS},
}


def public_functions(module) -> set:
    """Public callables of a module (its ``__all__`` if it has one) that are functions, not classes,
    dtypes or submodules."""
    return {
        name
        for name in getattr(module, "__all__", dir(module))
        if not name.startswith("_")
        and callable(value := getattr(module, name))
        and not isinstance(value, (type, types.ModuleType))
    }


def covered(module_name: str, cases=CASES, min_order: int = 0) -> set:
    """Names of ``module_name``'s functions that have a case (of at least ``min_order``)."""
    prefix = PREFIXES[module_name]
    deeper = [p for p in PREFIXES.values() if p != prefix and p.startswith(prefix)]
    names = set()
    for case in cases:
        head = case.name.split("[", 1)[0]
        if head.startswith(prefix) and not any(head.startswith(p) for p in deeper) and case.order >= min_order:
            names.add(head[len(prefix) :])
    return names


def _module(module_name: str):
    if module_name.startswith("wengert.scipy."):
        return pytest.importorskip(module_name)
    return importlib.import_module(module_name)


@pytest.mark.parametrize("module_name", sorted(PREFIXES))
def test_every_public_function_that_takes_arrays_has_a_registry_case(module_name):
    module = _module(module_name)
    missing = public_functions(module) - covered(module_name) - set(NOT_ARRAY_FUNCTIONS[module_name])
    assert not missing, (
        f"{module_name} functions without a registry case: {sorted(missing)}. Add an OpCase to the family "
        "module in tests/registry (or, for a function that takes no arrays, to NOT_ARRAY_FUNCTIONS with why)."
    )


@pytest.mark.parametrize("module_name", sorted(PREFIXES))
def test_exclusions_name_existing_functions_without_cases(module_name):
    module = _module(module_name)
    excluded = set(NOT_ARRAY_FUNCTIONS[module_name])
    assert excluded <= public_functions(module), f"not in {module_name}: {excluded - public_functions(module)}"
    assert not excluded & covered(module_name), f"excluded but registered: {excluded & covered(module_name)}"


@pytest.mark.parametrize("module_name", sorted(PREFIXES))
def test_every_registry_case_names_an_existing_function(module_name):
    module = _module(module_name)
    unknown = covered(module_name) - public_functions(module)
    assert not unknown, f"registry cases name functions that {module_name} does not have: {sorted(unknown)}"


def test_at_least_150_numpy_functions_are_differentiable():
    differentiable = covered("wengert.numpy", min_order=1) & public_functions(wnp)
    assert len(differentiable) >= 150, f"only {len(differentiable)}: {sorted(differentiable)}"


def test_case_names_are_unique():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_autograd_gaps_name_registered_cases():
    assert numpy_ops.AUTOGRAD_GAPS <= {case.name for case in CASES}


@pytest.mark.parametrize("module_name", ["_math", "_shape", "_creation"])
def test_every_function_of_a_star_imported_face_module_is_exported(module_name):
    module = importlib.import_module(f"wengert.numpy.{module_name}")
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__
    }
    assert defined <= set(module.__all__), f"add to {module_name}.__all__: {sorted(defined - set(module.__all__))}"
