"""The benchmark's divergence section: the exact divergence of an MLP vector field against Hutchinson and Hutch++.

**The field.** ``f(x) = W2 @ tanh(W1 @ x + b1)`` maps ``R^d`` to ``R^d`` through
:data:`HIDDEN` ``tanh`` units, the kind of network FFJORD integrates. Its
Jacobian is ``J = W2 diag(s) W1`` with ``s = 1 - tanh(W1 x + b1)^2``, so the
hand-written references know what AD does not: ``tr J = sum_k s_k (W1 W2)_kk``
costs ``O(HIDDEN d)``, and ``J V = W2 (s * (W1 V))``.

**The rows.** Every implementation computes four things at ``d = 100`` and
``d = 1000``: the exact divergence (``d`` Jacobian-vector products: ``jacfwd`` or
a vmapped ``jvp`` of the basis, then the trace), Hutchinson's estimate and the
Hutch++ estimate from :data:`PROBES` products, and one batched JVP of
:data:`PROBES` probes (``J V``, the unit the estimators' cost is measured in).
wengert's estimators draw their sign probes from the seed; the peers get the
very same probes as arrays (drawn here as wengert documents it: one probe after
another), so every row computes the same numbers and is checked against the
hand-written ones before it is timed.

The parameters are arguments, never constants of a compiled function, so no
compiler folds ``W1`` into the basis tangents ahead of time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from harness import (
    Implementation,
    Settings,
    check_close,
    checked_steps,
    import_peer,
    median_seconds,
    print_problems,
    print_table,
    table_cell,
    target_row,
)

import wengert
import wengert.numpy as wnp

SIZES = (100, 1000)
HIDDEN = 64
PROBES = 30
SEED = 0
COLUMNS = ("exact", "hutchinson", "hutchpp", "batched jvp")
TARGET_EXACT_OVER_JAX = 1.5  # wengert's exact divergence / jax.jit's
TARGET_PER_PROBE = 1.5  # an estimator's time / one batched JVP of as many probes


def divergence_problem(d: int, seed: int = 1) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(x, (W1, b1, W2))``, scaled so that ``W1 @ x + b1`` stays in tanh's live range."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(d)
    W1 = rng.standard_normal((HIDDEN, d)) / np.sqrt(d)
    return x, (W1, rng.standard_normal(HIDDEN), rng.standard_normal((d, HIDDEN)) / np.sqrt(HIDDEN))


def mlp_field(xnp) -> Callable:
    """``(x, W1, b1, W2) -> W2 @ tanh(W1 @ x + b1)`` written with namespace ``xnp``."""
    return lambda x, W1, b1, W2: W2 @ xnp.tanh(W1 @ x + b1)


def sign_probes(generator: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``k`` random sign probes as the columns of an ``(n, k)`` array, drawn one probe after another (one random
    bit per sign, a set bit -1), as ``wengert.trace_estimation`` draws them."""
    bits = np.unpackbits(np.frombuffer(generator.bytes((k * n + 7) // 8), dtype=np.uint8), count=k * n)
    return np.where(bits.reshape(k, n).T, -1.0, 1.0)


def probe_sets(d: int) -> tuple[np.ndarray, np.ndarray]:
    """The probes wengert's estimators draw from :data:`SEED`: Hutchinson's, and Hutch++'s sketch probes ``S`` and
    test probes ``G`` (drawn in turn) side by side, ``[S G]``, the first block Hutch++ multiplies."""
    hutchinson = sign_probes(np.random.default_rng(SEED), d, PROBES)
    generator = np.random.default_rng(SEED)
    sketch = sign_probes(generator, d, PROBES // 3)
    return hutchinson, np.concatenate([sketch, sign_probes(generator, d, PROBES - 2 * (PROBES // 3))], 1)


# --- the hand-written references ----------------------------------------------------------------


def _slopes(x, W1, b1):
    return 1.0 - np.tanh(W1 @ x + b1) ** 2


def divergence_by_hand(x, W1, b1, W2) -> np.ndarray:
    """``tr(W2 diag(s) W1) = sum_k s_k sum_i W1[k, i] W2[i, k]``: ``O(HIDDEN d)``, no products at all."""
    return np.einsum("k,ki,ik->", _slopes(x, W1, b1), W1, W2)


def jvps_by_hand(x, V, W1, b1, W2) -> np.ndarray:
    """``J V = W2 (s * (W1 V))``."""
    return W2 @ (_slopes(x, W1, b1)[:, None] * (W1 @ V))


def hutchinson_of(V, JV, xnp):
    """``mean_i v_iᵀ J v_i`` from the probes and their products."""
    return xnp.mean(xnp.sum(V * JV, 0))


def hutchpp_of(SG, jvps: Callable, xnp, qr: Callable):
    """Hutch++ from the probes ``[S G]`` and a function of a block ``V -> J V``, in two blocks of products as wengert
    computes it: ``J [S G]``, then ``J Q`` with ``Q = orth(J S)``; ``J (I - QQᵀ) G = J G - (J Q)(Qᵀ G)``."""
    k = PROBES // 3
    products = jvps(SG)
    Q = qr(products[:, :k])
    JQ = jvps(Q)
    G = SG[:, k:]
    coefficients = Q.T @ G
    rest = xnp.sum((G - Q @ coefficients) * (products[:, k:] - JQ @ coefficients), 0)
    return xnp.sum(Q * JQ) + xnp.mean(rest)


def _numpy_qr(Y):
    return np.linalg.qr(Y)[0]


# --- the rows -----------------------------------------------------------------------------------


def divergence_implementations(peers: dict, d: int) -> dict[str, list[Implementation]]:
    """The rows of the table at size ``d``: one list per column of :data:`COLUMNS`."""
    jax, torch, stochtrace = peers["jax"], peers["torch"], peers.get("matfree")
    x, params = divergence_problem(d)
    V, SG = probe_sets(d)

    def by_hand_jvps(block):
        return jvps_by_hand(x, block, *params)

    wants = {
        "exact": divergence_by_hand(x, *params),
        "hutchinson": hutchinson_of(V, by_hand_jvps(V), np),
        "hutchpp": hutchpp_of(SG, by_hand_jvps, np, _numpy_qr),
        "batched jvp": by_hand_jvps(V),
    }

    def check(label: str, column: str, read: Callable = np.asarray):
        want = wants[column]
        scale = float(np.max(np.abs(want)))
        return lambda result: check_close(f"{label} {column}", read(result), want, np.float64, scale)

    def rows(label: str, steps: dict[str, Callable], read: Callable = np.asarray) -> dict[str, Callable]:
        return {
            column: (lambda step=step, column=column: (step, check(label, column, read)))
            for column, step in steps.items()
        }

    def by_hand():
        return rows(
            "by hand",
            {
                "exact": lambda: divergence_by_hand(x, *params),
                "hutchinson": lambda: hutchinson_of(V, by_hand_jvps(V), np),
                "hutchpp": lambda: hutchpp_of(SG, by_hand_jvps, np, _numpy_qr),
                "batched jvp": lambda: by_hand_jvps(V),
            },
        )

    def wengert_rows(compiled: bool):
        f = mlp_field(wnp)
        estimators = {
            method: wengert.divergence(f, method=method, num_matvecs=PROBES, seed=SEED)
            for method in ("hutchinson", "hutchpp")
        }

        def batched_jvp(x, V, *params):
            return wengert.vmap(lambda v: wengert.jvp(lambda x: f(x, *params), (x,), (v,))[1], in_axes=1, out_axes=1)(V)

        functions = {
            "exact": wengert.divergence(f),
            "hutchinson": lambda *args: estimators["hutchinson"](*args).estimate,
            "hutchpp": lambda *args: estimators["hutchpp"](*args).estimate,
        }
        if compiled:
            functions = {column: wengert.jit(fun) for column, fun in functions.items()}
            batched_jvp = wengert.jit(batched_jvp)
        steps = {column: (lambda fun=fun: fun(x, *params)) for column, fun in functions.items()}
        steps["batched jvp"] = lambda: batched_jvp(x, V, *params)
        return rows("jit(wengert)" if compiled else "wengert", steps)

    def jax_rows():
        jnp = jax.numpy
        f = mlp_field(jnp)

        def jvps(x, block, *params):
            return jax.vmap(lambda v: jax.jvp(lambda x: f(x, *params), (x,), (v,))[1], in_axes=1, out_axes=1)(block)

        exact = jax.jit(lambda x, *params: jnp.trace(jax.jacfwd(f)(x, *params)))
        hutchinson = jax.jit(lambda x, V, *params: hutchinson_of(V, jvps(x, V, *params), jnp))
        hutchpp = jax.jit(
            lambda x, SG, *params: hutchpp_of(SG, lambda b: jvps(x, b, *params), jnp, lambda Y: jnp.linalg.qr(Y)[0])
        )
        batched = jax.jit(jvps)
        xj, Vj, SGj = (jnp.asarray(a) for a in (x, V, SG))
        pj = tuple(jnp.asarray(p) for p in params)
        ready = jax.block_until_ready
        return rows(
            "jax",
            {
                "exact": lambda: ready(exact(xj, *pj)),
                "hutchinson": lambda: ready(hutchinson(xj, Vj, *pj)),
                "hutchpp": lambda: ready(hutchpp(xj, SGj, *pj)),
                "batched jvp": lambda: ready(batched(xj, Vj, *pj)),
            },
        )

    def matfree_rows():
        jnp = jax.numpy
        f = mlp_field(jnp)
        Vj = jnp.asarray(V)
        estimate = stochtrace.estimator_monte_carlo(stochtrace.monte_carlo_trace(), sampler=lambda key: Vj.T)

        def matvec(v, x, *params):
            return jax.jvp(lambda x: f(x, *params), (x,), (v,))[1]

        hutchinson = jax.jit(lambda x, *params: estimate(matvec, jax.random.PRNGKey(SEED), x, *params))
        xj, pj = jnp.asarray(x), tuple(jnp.asarray(p) for p in params)
        return rows("matfree", {"hutchinson": lambda: jax.block_until_ready(hutchinson(xj, *pj))})

    def torch_rows():
        func = torch.func
        f = mlp_field(torch)
        xt, Vt, SGt = (torch.from_numpy(a) for a in (x, V, SG))
        pt = tuple(torch.from_numpy(p) for p in params)

        def jvps(block):
            return func.vmap(lambda v: func.jvp(lambda x: f(x, *pt), (xt,), (v,))[1], in_dims=1, out_dims=1)(block)

        jacobian = func.jacfwd(f)
        return rows(
            "torch.func",
            {
                "exact": lambda: torch.trace(jacobian(xt, *pt)),
                "hutchinson": lambda: hutchinson_of(Vt, jvps(Vt), torch),
                "hutchpp": lambda: hutchpp_of(SGt, jvps, torch, lambda Y: torch.linalg.qr(Y)[0]),
                "batched jvp": lambda: jvps(Vt),
            },
            lambda tensor: tensor.detach().numpy(),
        )

    table = [
        ("numpy (by hand)", by_hand()),
        ("wengert", wengert_rows(compiled=False)),
        ("wengert (jit)", wengert_rows(compiled=True)),
        ("jax (jit)", jax and jax_rows()),
        ("matfree (jax jit)", jax and stochtrace and matfree_rows()),
        ("torch.func", torch and torch_rows()),
    ]
    return {column: [(name, makes and makes.get(column)) for name, makes in table] for column in COLUMNS}


def run_divergence(peers: dict, settings: Settings) -> None:
    """Print the divergence table at each size and the targets: exact vs JAX, per-probe cost vs one batched JVP."""
    peers = {**peers, "matfree": import_peer("matfree.stochtrace")}
    print(f"\nmatfree: {'installed' if peers['matfree'] is not None else 'not installed'} (its Hutchinson row)")
    targets = []
    for d in SIZES:
        by_column = divergence_implementations(peers, d)
        steps, problems = {}, []
        for column, implementations in by_column.items():
            checked, broken = checked_steps(implementations, f"d={d}, {column}")
            steps.update({(column, name): step for name, step in checked.items()})
            problems += broken
        medians = median_seconds(steps, settings)
        per_column = {column: {name: medians[c, name] for c, name in medians if c == column} for column in COLUMNS}
        rows = []
        for k, (name, _) in enumerate(by_column["exact"]):
            cells = []
            for column, implementations in by_column.items():
                times = per_column[column]
                cells.append(table_cell(name, implementations[k][1], times, times.get("numpy (by hand)")))
            rows.append([name, *cells])
        print_table(
            f"Divergence of an MLP field R^{d} -> R^{d} ({HIDDEN} tanh units), float64, {PROBES} probes: "
            "median time, (ratio to hand-written NumPy)",
            [
                "implementation",
                f"exact ({d} jvps)",
                f"hutchinson ({PROBES})",
                f"hutch++ ({PROBES})",
                f"batched jvp ({PROBES})",
            ],
            rows,
        )
        print_problems(problems)
        targets += divergence_targets(d, per_column)
    print_table("Targets: divergence", ["target", "measured", "met"], targets)


def divergence_targets(d: int, per_column: dict[str, dict[str, float]]) -> list[list[str]]:
    """Exact divergence within 1.5x of jax.jit's; each estimator within 1.5x of one batched JVP of as many probes."""
    targets = []
    jax_exact = per_column["exact"].get("jax (jit)")
    for row in ("wengert", "wengert (jit)"):
        mine = per_column["exact"].get(row)
        measured = None if mine is None or jax_exact is None else mine / jax_exact
        targets.append(
            target_row(
                f"d={d}: {row} exact <= {TARGET_EXACT_OVER_JAX}x jax (jit) exact", measured, TARGET_EXACT_OVER_JAX
            )
        )
    for row in ("wengert", "wengert (jit)"):
        unit = per_column["batched jvp"].get(row)
        for column in ("hutchinson", "hutchpp"):
            mine = per_column[column].get(row)
            measured = None if mine is None or unit is None else mine / unit
            targets.append(
                target_row(f"d={d}: {row} {column} <= {TARGET_PER_PROBE}x its batched jvp", measured, TARGET_PER_PROBE)
            )
    return targets
