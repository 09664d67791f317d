"""Registry cases for ``wengert.scipy.stats``: every function of every distribution.

References: ``scipy.stats`` for values, ``autograd.scipy.stats`` and
``jax.scipy.stats`` for derivatives where they have the function. Samples lie
inside the support, away from its edges. Shape parameters of the CDFs built on
``gammainc``/``betainc`` and the counts of the discrete distributions are not
differentiated (they carry no derivative there).
"""

import importlib

import numpy as np
import scipy.stats as st

import wengert.scipy.stats as wss

from . import OpCase, rng

_AUTOGRAD = {
    "norm": {"logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"},
    "t": {"logpdf", "pdf"},  # autograd's t.cdf has no derivative in scale
    "gamma": {"logpdf", "pdf", "cdf"},
    "beta": {"logpdf", "pdf", "cdf"},
    "chi2": {"cdf"},  # autograd's chi2.logpdf has no derivative in df
    "poisson": {"logpmf", "pmf", "cdf"},
    "dirichlet": {"logpdf", "pdf"},
    "multivariate_normal": {"logpdf", "pdf"},
}
_JAX = {
    "norm": {"logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"},
    "t": {"logpdf", "pdf"},
    "gamma": {"logpdf", "pdf", "cdf", "sf"},
    "beta": {"logpdf", "pdf", "cdf", "sf"},
    "chi2": {"logpdf", "pdf", "cdf", "sf"},
    "poisson": {"logpmf", "pmf", "cdf"},
    "dirichlet": {"logpdf", "pdf"},
    "multivariate_normal": {"logpdf", "pdf"},
    "expon": {"logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"},
    "cauchy": {"logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"},
    "laplace": {"logpdf", "pdf", "cdf"},
    "logistic": {"logpdf", "pdf", "cdf", "sf"},
    "binom": {"logpmf", "pmf"},
    "bernoulli": {"logpmf", "pmf"},
    "geom": {"logpmf", "pmf"},
    "nbinom": {"logpmf", "pmf"},
}
_CDF_FAMILY = ("cdf", "logcdf", "sf", "logsf")


def _peer(module: str, dist: str, name: str):
    """``module.<dist>.<name>`` called as the registry calls peers (the numpy module first)."""
    return lambda np_module, *args: getattr(getattr(importlib.import_module(module), dist), name)(*args)


def _case(dist, name, args, argnums=None, suffix="", peers=True, **options):
    return OpCase(
        f"wss.{dist}.{name}{suffix}",
        getattr(getattr(wss, dist), name),
        args,
        argnums=argnums,
        numpy_fn=getattr(getattr(st, dist), name),
        autograd_fn=_peer("autograd.scipy.stats", dist, name) if peers and name in _AUTOGRAD.get(dist, ()) else None,
        jax_fn=_peer("jax.scipy.stats", dist, name) if peers and name in _JAX.get(dist, ()) else None,
        **options,
    )


def _uniform(shape, seed, low, high):
    return rng(seed).uniform(low, high, size=shape)


_X = rng(80).normal(size=(2, 3)) * 1.5
_LOC, _SCALE = np.array([0.3, -0.2, 0.1]), np.array([1.7, 0.8, 1.2])
_POSITIVE = _uniform((2, 3), 81, 0.4, 3.0)
_UNIT = _uniform((2, 3), 82, 0.1, 0.9)

_CONTINUOUS = [
    *[_case("norm", name, (_X, _LOC, _SCALE)) for name in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")],
    _case("norm", "ppf", (_UNIT, _LOC, _SCALE)),
    *[_case("t", name, (_X, np.array([2.5, 4.0, 7.0]), _LOC, _SCALE)) for name in ("logpdf", "pdf")],
    *[
        _case("t", name, (_X + 0.05, np.array([2.5, 4.0, 7.0]), _LOC, _SCALE), argnums=(0, 2, 3))
        for name in _CDF_FAMILY
    ],
    *[_case("gamma", name, (_POSITIVE, np.array([0.8, 2.5, 4.0]))) for name in ("logpdf", "pdf")],
    *[_case("gamma", name, (_POSITIVE, np.array([0.8, 2.5, 4.0])), argnums=(0,)) for name in _CDF_FAMILY],
    _case(
        "gamma",
        "logpdf",
        (_POSITIVE + 0.5, np.array(2.5), np.array(0.3), np.array(1.4)),
        argnums=(0, 1, 2, 3),
        suffix="[loc,scale]",
        peers=False,
    ),
    *[_case("chi2", name, (_POSITIVE, np.array([1.5, 3.0, 5.0]))) for name in ("logpdf", "pdf")],
    *[_case("chi2", name, (_POSITIVE, np.array([1.5, 3.0, 5.0])), argnums=(0,)) for name in _CDF_FAMILY],
    *[_case("beta", name, (_UNIT, np.array([0.8, 2.5, 4.0]), np.array(1.5))) for name in ("logpdf", "pdf")],
    *[_case("beta", name, (_UNIT, np.array([0.8, 2.5, 4.0]), np.array(1.5)), argnums=(0,)) for name in _CDF_FAMILY],
    *[
        _case(dist, name, (_X if dist != "expon" else _POSITIVE, _LOC - (dist == "expon") * 0.3, _SCALE))
        for dist in ("expon", "cauchy", "laplace", "logistic")
        for name in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
    ],
    *[
        _case(
            "uniform",
            name,
            (_LOC - 0.5 + (_SCALE + 0.5) * _UNIT, _LOC - 0.5, _SCALE + 0.5),
            argnums=(0, 1, 2),
            order=order,
        )
        for name, order in (("logpdf", 2), ("pdf", 2), ("cdf", 2), ("logcdf", 2), ("sf", 2), ("logsf", 2))
    ],
]

_COUNTS = np.array([[0.0, 1.0, 3.0], [2.0, 5.0, 4.0]])
_P = np.array([0.2, 0.45, 0.7])
_DISCRETE = [
    *[
        _case("poisson", name, (_COUNTS, np.array([0.7, 2.5, 4.0])), argnums=(1,))
        for name in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")
    ],
    *[
        _case("binom", name, (_COUNTS, np.array(6.0), np.array([0.2, 0.45, 0.7])), argnums=(2,))
        for name in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")
    ],
    *[
        _case("nbinom", name, (_COUNTS, np.array([1.5, 3.0, 4.5]), np.array([0.2, 0.45, 0.7])), argnums=(1, 2))
        for name in ("logpmf", "pmf")
    ],
    *[
        _case("nbinom", name, (_COUNTS, np.array(3.0), np.array([0.2, 0.45, 0.7])), argnums=(2,))
        for name in _CDF_FAMILY
    ],
    *[
        _case("geom", name, (_COUNTS + 1.0, np.array([0.2, 0.45, 0.7])), argnums=(1,))
        for name in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")
    ],
    *[
        _case("bernoulli", name, (np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]), _P), argnums=(1,))
        for name in ("logpmf", "pmf")
    ],
    *[  # the samples stay inside [0, 1), where cdf and sf are both positive
        _case("bernoulli", name, (np.array([[0.0, 0.5, 0.0], [0.5, 0.0, 0.0]]), _P), argnums=(1,))
        for name in _CDF_FAMILY
    ],
]

_ALPHA = np.array([1.5, 2.0, 3.5])
_SIMPLEX = np.array([[0.2, 0.1], [0.3, 0.6], [0.5, 0.3]])
_SQUARE = rng(83).normal(size=(3, 3))
_COV = _SQUARE @ _SQUARE.T + np.eye(3)
_SINGULAR = np.array([[1.0, 0.5, 0.0], [0.5, 2.0, 0.0], [0.0, 0.0, 0.0]])
_MULTIVARIATE = [
    *[_case("dirichlet", name, (_SIMPLEX[:, 0], _ALPHA)) for name in ("logpdf", "pdf")],
    _case("dirichlet", "logpdf", (_SIMPLEX, _ALPHA), suffix="[(K, N) samples]", peers=False),
    *[
        _case("multivariate_normal", name, (rng(84).normal(size=(4, 3)), np.array([0.1, -0.3, 0.2]), _COV), rtol=1e-4)
        for name in ("logpdf", "pdf")
    ],
    _case(
        "multivariate_normal",
        "logpdf",
        (rng(85).normal(size=3), np.array([0.1, -0.3, 0.2]), _COV),
        suffix="[one sample]",
        rtol=1e-4,
    ),
    OpCase(
        "wss.multivariate_normal.logpdf[allow_singular]",
        lambda x, mean: wss.multivariate_normal.logpdf(x, mean, _SINGULAR.astype(x.dtype), allow_singular=True),
        (rng(86).normal(size=(4, 3)) * np.array([1.0, 1.0, 0.0]), np.array([0.1, -0.3, 0.0])),
        numpy_fn=lambda x, mean: st.multivariate_normal.logpdf(x, mean, _SINGULAR, allow_singular=True),
    ),
    _case("multivariate_normal", "entropy", (np.array([0.1, -0.3, 0.2]), _COV), argnums=(1,), rtol=1e-4),
]

CASES = _CONTINUOUS + _DISCRETE + _MULTIVARIATE
