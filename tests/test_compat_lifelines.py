"""lifelines, a survival-analysis library written for autograd, fits its parametric models on wengert.

Each model is fitted twice, in fresh processes: once on the real autograd and once after
``wengert.compat.autograd.install()``, the library itself unchanged. The fitted parameters and
log-likelihoods agree to 1e-6 relative. lifelines reaches into autograd beyond its public
operators (``autograd.builtins.DictBox``, ``autograd.numpy.numpy_boxes.ArrayBox``, and through
autograd-gamma ``autograd.numpy.numpy_vjps.unbroadcast_f`` and ``defvjp`` on SciPy's incomplete
gamma functions), so this also holds those modules working.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("lifelines")
pytest.importorskip("autograd")

FIT = """
import json, sys, warnings
warnings.simplefilter("ignore")
if sys.argv[1] == "wengert":
    import wengert.compat.autograd
    wengert.compat.autograd.install()
import lifelines
from lifelines.datasets import load_rossi, load_waltons
waltons, rossi = load_waltons(), load_rossi()
models = {
    "WeibullFitter": lambda: lifelines.WeibullFitter().fit(waltons["T"], waltons["E"]),
    "LogNormalFitter": lambda: lifelines.LogNormalFitter().fit(waltons["T"], waltons["E"]),
    "LogLogisticFitter": lambda: lifelines.LogLogisticFitter().fit(waltons["T"], waltons["E"]),
    "GeneralizedGammaFitter": lambda: lifelines.GeneralizedGammaFitter().fit(waltons["T"], waltons["E"]),
    "WeibullAFTFitter": lambda: lifelines.WeibullAFTFitter().fit(rossi, "week", "arrest"),
    "LogNormalAFTFitter": lambda: lifelines.LogNormalAFTFitter().fit(rossi, "week", "arrest"),
}
fits = {}
for name, fit in models.items():
    model = fit()
    fits[name] = {"params": [float(v) for v in model.params_.values], "log_likelihood": float(model.log_likelihood_)}
print("autograd is", __import__("autograd").__name__)
print(json.dumps(fits))
"""


def fitted(engine: str) -> dict:
    """The fits of every model, made in a fresh process on ``engine`` (``"autograd"`` or ``"wengert"``)."""
    result = subprocess.run([sys.executable, "-c", FIT, engine], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    which, fits = result.stdout.strip().splitlines()[-2:]
    assert which == ("autograd is wengert.compat.autograd" if engine == "wengert" else "autograd is autograd")
    return json.loads(fits)


@pytest.fixture(scope="module")
def fits() -> dict:
    return {engine: fitted(engine) for engine in ("autograd", "wengert")}


@pytest.mark.parametrize(
    "model",
    [
        "WeibullFitter",
        "LogNormalFitter",
        "LogLogisticFitter",
        "GeneralizedGammaFitter",
        "WeibullAFTFitter",
        "LogNormalAFTFitter",
    ],
)
def test_lifelines_fits_a_parametric_model_through_install_as_on_autograd(fits, model):
    want, got = fits["autograd"][model], fits["wengert"][model]
    np.testing.assert_allclose(got["params"], want["params"], rtol=1e-6)
    np.testing.assert_allclose(got["log_likelihood"], want["log_likelihood"], rtol=1e-6)
