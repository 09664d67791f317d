"""Registry cases for ``wengert.scipy.linalg``, ``wengert.scipy.signal`` and ``wengert.numpy``'s
``convolve``/``correlate``.

References: SciPy and NumPy for values, ``jax.scipy.linalg``/``jax.scipy.signal``
and ``autograd.scipy`` for derivatives where they have the function with the
same convention. Matrices are well conditioned; the symmetric and triangular
arguments are read as SciPy reads them (one triangle), so finite differences
in any direction agree with the derivative.
"""

import importlib

import numpy as np
import scipy.linalg as sl
import scipy.signal as ssig

import wengert.numpy as wnp
import wengert.scipy.linalg as wsl
import wengert.scipy.signal as wsig

from . import OpCase, rng


def _jax(module: str, name: str):
    return lambda jnp, *args, **kwargs: getattr(importlib.import_module(module), name)(*args, **kwargs)


def _well_conditioned(n, seed, shift=3.0):
    return rng(seed).normal(size=(n, n)) + shift * np.eye(n)


_A = _well_conditioned(3, 90)
_SPD = _A @ _A.T + np.eye(3)
_B = rng(91).normal(size=(3, 2))
_b = rng(92).normal(size=3)

_LINALG = [
    *[
        OpCase(
            f"wsl.solve_triangular[trans={trans},lower={lower}]",
            lambda a, b, trans=trans, lower=lower: wsl.solve_triangular(a, b, trans=trans, lower=lower),
            (_A, _B),
            numpy_fn=lambda a, b, trans=trans, lower=lower: sl.solve_triangular(a, b, trans=trans, lower=lower),
            jax_fn=lambda jnp, a, b, trans=trans, lower=lower: _jax("jax.scipy.linalg", "solve_triangular")(
                jnp, a, b, trans=trans, lower=lower
            ),
        )
        for trans in (0, 1)
        for lower in (True, False)
    ],
    OpCase(
        "wsl.solve_triangular[vector,unit_diagonal]",
        lambda a, b: wsl.solve_triangular(a, b, lower=True, unit_diagonal=True),
        (_A, _b),
        numpy_fn=lambda a, b: sl.solve_triangular(a, b, lower=True, unit_diagonal=True),
        jax_fn=lambda jnp, a, b: _jax("jax.scipy.linalg", "solve_triangular")(
            jnp, a, b, lower=True, unit_diagonal=True
        ),
    ),
    *[
        OpCase(
            f"wsl.cholesky[lower={lower}]",
            lambda a, lower=lower: wsl.cholesky(a, lower=lower),
            (_SPD,),
            numpy_fn=lambda a, lower=lower: sl.cholesky(a, lower=lower),
        )
        for lower in (True, False)
    ],
    *[
        OpCase(
            f"wsl.cho_solve[lower={lower}]",
            lambda a, b, lower=lower: wsl.cho_solve(wsl.cho_factor(a, lower=lower), b),
            (_SPD, _B),
            numpy_fn=lambda a, b, lower=lower: sl.cho_solve(sl.cho_factor(a, lower=lower), b),
        )
        for lower in (True, False)
    ],
    OpCase(
        "wsl.cho_factor",
        lambda a: wsl.cho_factor(a)[0],
        (_SPD,),
        numpy_fn=lambda a: np.triu(sl.cho_factor(a)[0]),
    ),
    *[
        OpCase(
            f"wsl.solve[assume_a={assume_a}]",
            lambda a, b, assume_a=assume_a: wsl.solve(a, b, assume_a=assume_a),
            (_SPD if assume_a == "pos" else _A, _B),
            numpy_fn=lambda a, b, assume_a=assume_a: sl.solve(a, b, assume_a=assume_a),
        )
        for assume_a in ("gen", "pos")
    ],
    OpCase("wsl.inv", wsl.inv, (_A,), numpy_fn=sl.inv, jax_fn=_jax("jax.scipy.linalg", "inv")),
    OpCase("wsl.det", wsl.det, (_A,), numpy_fn=sl.det, jax_fn=_jax("jax.scipy.linalg", "det")),
    OpCase(
        "wsl.eigh[eigvals_only]",
        lambda a: wsl.eigh(a, eigvals_only=True),
        (_SPD,),
        numpy_fn=lambda a: sl.eigh(a, eigvals_only=True),
    ),
    OpCase(
        "wsl.eigh[projector]",
        lambda a: (lambda w, v: v @ wnp.diag(wnp.exp(w / 10.0)) @ v.T)(*wsl.eigh(a)),
        (_SPD,),
        numpy_fn=lambda a: (lambda w, v: v @ np.diag(np.exp(w / 10.0)) @ v.T)(*sl.eigh(a)),
    ),
    OpCase(
        "wsl.svd[compute_uv=False]",
        lambda a: wsl.svd(a, compute_uv=False),
        (_A,),
        numpy_fn=lambda a: sl.svd(a, compute_uv=False),
    ),
    OpCase(
        "wsl.block_diag",
        wsl.block_diag,
        (_A[:2, :2], rng(93).normal(size=(1, 3)), _b),
        numpy_fn=sl.block_diag,
        jax_fn=_jax("jax.scipy.linalg", "block_diag"),
    ),
    OpCase(
        "wsl.sqrtm",
        wsl.sqrtm,
        (_SPD,),
        numpy_fn=sl.sqrtm,
        rtol=1e-4,
    ),
    OpCase(
        "wsl.sqrtm[non-symmetric]",
        wsl.sqrtm,
        (_A,),
        numpy_fn=sl.sqrtm,
        rtol=1e-4,
    ),
    OpCase(
        "wsl.solve_banded[l=1,u=2]",
        lambda ab, b: wsl.solve_banded((1, 2), ab, b),
        (rng(96).normal(size=(4, 5)) + np.array([[0.0], [0.0], [4.0], [0.0]]), rng(97).normal(size=(5, 2))),
        numpy_fn=lambda ab, b: sl.solve_banded((1, 2), ab, b),
    ),
    OpCase(
        "wsl.solve_sylvester",
        wsl.solve_sylvester,
        (_A, _well_conditioned(2, 94), rng(95).normal(size=(3, 2))),
        numpy_fn=sl.solve_sylvester,
    ),
    OpCase(
        "wsl.lu_factor",
        lambda a: wsl.lu_factor(a)[0],
        (_A,),
        numpy_fn=lambda a: sl.lu_factor(a)[0],
        jax_fn=lambda jnp, a: _jax("jax.scipy.linalg", "lu_factor")(jnp, a)[0],
    ),
    *[
        OpCase(
            f"wsl.lu_solve[trans={trans}]",
            lambda a, b, trans=trans: wsl.lu_solve(wsl.lu_factor(a), b, trans=trans),
            (_A, _B),
            numpy_fn=lambda a, b, trans=trans: sl.lu_solve(sl.lu_factor(a), b, trans=trans),
            jax_fn=lambda jnp, a, b, trans=trans: _jax("jax.scipy.linalg", "lu_solve")(
                jnp, _jax("jax.scipy.linalg", "lu_factor")(jnp, a), b, trans=trans
            ),
        )
        for trans in (0, 1)
    ],
    OpCase(
        "wsl.lu_solve[vector,factors]",
        lambda lu, b: wsl.lu_solve((lu, sl.lu_factor(_A)[1]), b),
        (sl.lu_factor(_A)[0], _b),
        numpy_fn=lambda lu, b: sl.lu_solve((lu, sl.lu_factor(_A)[1]), b),
    ),
    *[
        OpCase(
            f"wsl.logm[{name}]",
            wsl.logm,
            (matrix,),
            numpy_fn=sl.logm,
            rtol=1e-4,
        )
        for name, matrix in (("symmetric", _SPD), ("non-symmetric", _A))
    ],
    *[
        OpCase(
            f"wsl.expm[norm={scale}]",
            lambda a, scale=scale: wsl.expm(scale * a),
            (_A / np.abs(_A).sum(axis=0).max(),),
            numpy_fn=lambda a, scale=scale: sl.expm(scale * a),
            jax_fn=lambda jnp, a, scale=scale: _jax("jax.scipy.linalg", "expm")(jnp, scale * a),
            rtol=1e-4,
        )
        for scale in (0.5, 20.0)
    ],
]

_SIGNAL_SHAPES = [((5,), (3,)), ((3,), (5,)), ((4, 3), (2, 2))]
_SIGNAL = [
    *[
        OpCase(
            f"wsig.{name}[{mode},{first}x{second}]",
            lambda a, b, name=name, mode=mode: getattr(wsig, name)(a, b, mode=mode),
            (rng(94).normal(size=first), rng(95).normal(size=second)),
            numpy_fn=lambda a, b, name=name, mode=mode: getattr(ssig, name)(a, b, mode=mode),
            jax_fn=lambda jnp, a, b, name=name, mode=mode: _jax("jax.scipy.signal", name)(jnp, a, b, mode=mode),
        )
        for name in ("convolve", "correlate")
        for first, second in _SIGNAL_SHAPES
        for mode in ("full", "same", "valid")
    ],
    OpCase(
        "wsig.convolve[axes,dot_axes]",
        lambda a, b: wsig.convolve(a, b, axes=((0,), (1,)), dot_axes=((1,), (0,))),
        (rng(96).normal(size=(5, 2, 3)), rng(97).normal(size=(2, 3))),
        numpy_fn=lambda a, b: np.stack(
            [sum(np.convolve(a[:, d, i], b[d, :]) for d in range(2)) for i in range(3)], axis=0
        ),
    ),
]

_NUMPY = [
    OpCase(
        f"wnp.{name}[{mode},{n}x{m}]",
        lambda a, v, name=name, mode=mode: getattr(wnp, name)(a, v, mode=mode),
        (rng(98).normal(size=n), rng(99).normal(size=m)),
        numpy_fn=lambda a, v, name=name, mode=mode: getattr(np, name)(a, v, mode=mode),
        jax_fn=lambda jnp, a, v, name=name, mode=mode: getattr(jnp, name)(a, v, mode=mode),
    )
    for name in ("convolve", "correlate")
    for n, m in ((6, 3), (3, 6))
    for mode in ("full", "same", "valid")
]

CASES = _LINALG + _SIGNAL + _NUMPY
