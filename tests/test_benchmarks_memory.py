"""The benchmark's memory section measures what it says: its reference is right, and every row computes it.

``benchmarks/memory.py`` measures each implementation in a fresh process and checks its
result against the hand-written one; these tests hold that reference to wengert's gradient on a
small MLP, and run the children of the fast program (the additions) for every installed row.
"""

import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

import harness  # noqa: E402
import memory  # noqa: E402

import wengert  # noqa: E402
import wengert.numpy as wnp  # noqa: E402


def test_the_hand_written_mlp_gradient_is_the_gradient():
    params, x, y = memory.mlp_problem(batch=6, widths=(3, 5, 4, 4, 2))
    loss, grads = memory.mlp_by_hand(params, x, y)
    want_loss, want_grads = wengert.value_and_grad(memory.mlp_loss(wnp))(params, x, y)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-13)
    for (dW, db), (want_dW, want_db) in zip(grads, want_grads):
        np.testing.assert_allclose(dW, want_dW, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(db, want_db, rtol=1e-12, atol=1e-14)


INSTALLED_ROWS = [
    row for row in memory.ROWS if row not in memory.PEER_OF_ROW or harness.import_peer(memory.PEER_OF_ROW[row])
]


@pytest.mark.parametrize("row", INSTALLED_ROWS)
def test_every_row_of_the_additions_is_checked_and_measured_in_a_child(row):
    method = "rss" if row in ("torch (eager)", "jax (jit)") else "tracemalloc"
    peak = memory.measured_in_a_child("additions", row, method)  # raises if the row's result is wrong
    assert peak > 0


def test_a_wrong_result_fails_its_row():
    with pytest.raises(harness.ResultMismatch):
        memory.check_results("additions", "a row", [np.float64(1.0), np.ones(3)], [np.float64(1.0), np.zeros(3)])


def test_the_memory_section_is_selectable_with_only():
    import run

    assert "memory" in run.SECTIONS
