"""benchmarks/autograd_suite.py loads autograd's benchmark modules once per engine and pairs their benchmarks.

No timing here: a small stand-in for autograd's ``benchmarks/`` folder (a module-level ``time_*``
function and an asv suite class with ``setup``) is loaded on the real autograd and on the compat
package, and each pair of steps computes the same gradient, each on its own ``autograd``.
"""

import pathlib
import sys

import numpy as np
import pytest

pytest.importorskip("autograd")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

import autograd_suite  # noqa: E402

BENCHMARK = """
import autograd
import autograd.numpy as np
from autograd import grad

x = np.random.randn(3)


def time_grad():
    return autograd.__name__, grad(lambda x: np.sum(np.sin(x) ** 2))(x)


def peakmem_grad():
    time_grad()


class Suite:
    def setup(self):
        self.f = grad(lambda x: np.sum(np.tanh(x)))

    def time_method(self):
        return autograd.__name__, self.f(x)
"""


def test_each_benchmark_is_paired_across_engines_and_runs_on_its_own_autograd(tmp_path):
    (tmp_path / "bench_small.py").write_text(BENCHMARK)
    modules = {engine: autograd_suite.load_modules(tmp_path, engine) for engine in autograd_suite.ENGINES}
    cases = dict(autograd_suite.paired(modules, "time_"))
    assert list(cases) == ["bench_small.time_grad", "bench_small.Suite.time_method"]
    for steps in cases.values():
        (real_name, real), (compat_name, ours) = steps["autograd"](), steps["wengert"]()
        assert (real_name, compat_name) == ("autograd", "wengert.compat.autograd")
        np.testing.assert_allclose(ours, real, rtol=1e-12)
    assert [name for name, _ in autograd_suite.paired(modules, "peakmem_")] == ["bench_small.peakmem_grad"]
    import autograd

    assert autograd.__name__ == "autograd"  # install() was undone


def test_a_step_on_plain_values_runs_no_differentiation_code_and_a_gradient_does(tmp_path):
    """The table's ``untraced`` mark: NumPy's work through autograd.numpy is untraced, a grad is not."""
    (tmp_path / "bench_small.py").write_text(BENCHMARK + PLAIN)
    modules = {engine: autograd_suite.load_modules(tmp_path, engine) for engine in autograd_suite.ENGINES}
    wengert_steps = {name: steps["wengert"] for name, steps in autograd_suite.paired(modules, "time_")}
    assert autograd_suite.runs_no_differentiation_code(wengert_steps["bench_small.time_plain"])
    assert not autograd_suite.runs_no_differentiation_code(wengert_steps["bench_small.time_grad"])


PLAIN = """

def time_plain():
    return np.sum(np.tanh(np.dot(x, x)))
"""
