"""The benchmark's elimination section checks what it times: every row's Jacobian equals jacfwd's."""

import os
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

import elimination as section  # noqa: E402
import harness  # noqa: E402


@pytest.fixture(scope="module")
def peers():
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    jax = harness.import_peer("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
    return {"jax": jax}


@pytest.mark.parametrize("problem", list(section.PROBLEMS))
def test_every_row_of_the_elimination_section_passes_its_check(peers, problem):
    rows, multiplications = section.elimination_implementations(peers, section.PROBLEMS[problem])
    steps, problems = harness.checked_steps(rows, problem)
    assert [(name, repr(error)) for name, _, error in problems] == []
    assert set(steps) == {name for name, make in rows if make is not None}
    best_mode = min(multiplications["jacfwd"], multiplications["jacrev"])
    assert 2 * multiplications["elimination (optimal)"] < best_mode
