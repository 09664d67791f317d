"""``odeint`` on traced values: SciPy's solver forward, gradients by the adjoint method.

``odeint(func, y0, t, args)`` solves ``dy/dt = func(y, t, *args)`` with
``scipy.integrate.odeint`` and returns ``y`` at each time in ``t``, shape
``(len(t),) + y0.shape``. Its reverse-mode derivative does not differentiate
through the solver's steps: the adjoint ``a(t)`` of the state is integrated
backwards, segment by segment from ``t[-1]`` to ``t[0]``, together with the
state and the parameters' adjoint (Pontryagin; Chen et al. 2018):

    da/dt = -aᵀ ∂f/∂y,    d(ā_args)/dt = -aᵀ ∂f/∂args,

the VJPs of ``func`` taken by wengert. ``t`` gets ``ḡ_i · f(y_i, t_i)`` for
``i >= 1`` and ``-a(t_0) · f(y_0, t_0)`` for ``t_0`` (``a`` without ``ḡ_0``,
since ``y(t_0) = y_0``). The accuracy of the gradient is the solver's (``rtol``, ``atol``, passed on
to SciPy as the other keywords are).

Forward mode (``jvp``, ``jacfwd``) integrates the sensitivities ``S = ∂y/∂(y_0, args)`` beside the
state instead, and applies them to the tangents (a dot for a tangent):

    dS/dt = ∂f/∂y S + [0, ∂f/∂args],    S(t_0) = [I, 0],
    ẏ(t_i) = S(t_i) (ẏ_0 - f(y_0, t_0) ṫ_0, args_dot) + f(y_i, t_i) ṫ_i,

the Jacobians of ``func`` taken by wengert. Which one runs is read from the transform that meets
``odeint`` first (a ``custom_vjp`` for reverse mode, a ``custom_jvp`` for forward mode). Both are
first order: a derivative of a derivative (``hessian``, ``grad`` of ``grad``) is refused with an error.

>>> import numpy as np, wengert
>>> decay = lambda k: odeint(lambda y, t, k: -k * y, np.array([1.0]), np.array([0.0, 1.0]), (k,))[-1, 0]
>>> print(round(float(wengert.grad(decay)(0.5)), 6), round(-np.exp(-0.5), 6))  # d/dk e^(-k) = -e^(-k)
-0.606531 -0.606531
"""

import numpy as np

import wengert
import wengert.numpy as wnp
from wengert._src.core.primitive import Tracer
from wengert._src.transforms.jvp import JVPTracer
from wengert.errors import MissingDependencyError, TransformError

__all__ = ["odeint"]

_TOLERANCES = {"rtol": 1e-10, "atol": 1e-10}


def _scipy_odeint():
    try:
        from scipy.integrate import odeint as scipy_odeint
    except ImportError as error:
        raise MissingDependencyError("odeint needs SciPy: `pip install scipy`.") from error
    return scipy_odeint


def _flat(tree):
    """``(vector, unflatten)`` of a pytree of arrays."""
    leaves, structure = wengert.tree_flatten(tree)
    shapes = [np.shape(leaf) for leaf in leaves]
    sizes = [int(np.prod(shape)) for shape in shapes]
    vector = wnp.concatenate([wnp.ravel(leaf) for leaf in leaves]) if leaves else wnp.zeros(0)

    def unflatten(flat):
        pieces, start = [], 0
        for shape, size in zip(shapes, sizes):
            pieces.append(wnp.reshape(flat[start : start + size], shape))
            start += size
        return wengert.tree_unflatten(structure, pieces)

    return vector, unflatten


def _solve(func, options, y0, t, args):
    shape = np.shape(y0)

    def dynamics(y, time):
        return np.ravel(np.asarray(func(np.reshape(y, shape), time, *args), dtype=float))

    solution = _scipy_odeint()(dynamics, np.ravel(np.asarray(y0, dtype=float)), np.asarray(t, float), **options)
    return np.reshape(solution, (len(t),) + shape)


def _refuse_higher_order(values) -> None:
    if any(isinstance(leaf, Tracer) for leaf in wengert.tree_flatten(values)[0]):
        raise TransformError(
            "odeint is differentiated to first order (the adjoint and the sensitivity equations are "
            "solved by SciPy on plain arrays): a derivative of its derivative (hessian, grad of grad, "
            "jacfwd of jacrev) is not available. For second derivatives, differentiate through a "
            "fixed-step solver written with wengert.numpy."
        )


def _forward(func, options, y0, t, args):
    _refuse_higher_order((y0, t, args))
    yt = _solve(func, options, y0, t, args)
    return yt, (yt, t, args)


def _backward(func, options, residuals, g):
    _refuse_higher_order(residuals)
    if isinstance(g, Tracer):
        raise TransformError(
            "odeint's adjoint is solved by SciPy on plain arrays, one cotangent at a time: a batched or traced "
            "cotangent (jacrev, vmap of a pullback) is not available. Use jacfwd (the sensitivity equations), "
            "or one vjp per output."
        )
    yt, t, args = residuals
    g = np.asarray(g, dtype=float)
    shape = yt.shape[1:]
    size = int(np.prod(shape))
    flat_args, unflatten = _flat(args)
    n_args = int(np.size(flat_args))

    def derivative(y, time):
        return func(wnp.reshape(y, shape), time, *unflatten(flat_args))

    def augmented(state, minus_time):  # in reversed time s = -t: d/ds = -d/dt
        y, adjoint = state[:size], state[size : 2 * size]
        f_value, pull = wengert.vjp(lambda y, a: func(wnp.reshape(y, shape), -minus_time, *unflatten(a)), y, flat_args)
        y_bar, args_bar = pull(wnp.reshape(adjoint, np.shape(f_value)))
        return np.concatenate([-np.ravel(f_value), np.ravel(y_bar), np.ravel(args_bar)])

    adjoint, args_adjoint = np.ravel(g[-1]), np.zeros(n_args)
    t_bar = np.zeros(len(t))
    for i in range(len(t) - 1, 0, -1):
        t_bar[i] = float(np.dot(np.ravel(g[i]), np.ravel(derivative(np.ravel(yt[i]), t[i]))))
        state = np.concatenate([np.ravel(yt[i]), adjoint, args_adjoint])
        state = _scipy_odeint()(augmented, state, np.array([-t[i], -t[i - 1]]), **options)[-1]
        adjoint = state[size : 2 * size] + np.ravel(g[i - 1])
        args_adjoint = state[2 * size :]
    flowing_back = adjoint - np.ravel(g[0])  # y(t_0) = y_0 itself does not move with t_0
    t_bar[0] = -float(np.dot(flowing_back, np.ravel(derivative(np.ravel(yt[0]), t[0]))))
    return np.reshape(adjoint, shape), t_bar, unflatten(args_adjoint)


def _tangents(func, options, primals, tangents):
    """``(y(t), ẏ(t))``. The sensitivities ``S(t) = ∂y(t)/∂(y_0, args)`` are integrated beside the state
    (``dS/dt = ∂f/∂y S + [0, ∂f/∂args]``, ``S(t_0) = [I, 0]``) on plain arrays; the tangent is then
    ``S (ẏ_0 - f_0 ṫ_0, args_dot) + f ṫ``, wengert operations linear in the tangents, so batched tangents
    (``jacfwd``) and staged ones work as any other."""
    _refuse_higher_order(primals)
    (y0, t, args), (y0_dot, t_dot, args_dot) = primals, tangents
    shape = np.shape(y0)
    n = int(np.prod(shape))
    flat_args, unflatten = _flat(args)
    p = int(np.size(flat_args))

    def field(y, time, a):
        return wnp.ravel(func(wnp.reshape(y, shape), time, *unflatten(a)))

    in_state = wengert.jacfwd(field, argnums=0)
    in_args = wengert.jacfwd(field, argnums=2) if p else (lambda y, time, a: np.zeros((n, 0)))

    def augmented(state, time):
        y, sensitivities = state[:n], np.reshape(state[n:], (n, n + p))
        rate = in_state(y, time, flat_args) @ sensitivities
        rate[:, n:] += in_args(y, time, flat_args)
        return np.concatenate([np.ravel(field(y, time, flat_args)), np.ravel(rate)])

    t = np.asarray(t, dtype=float)
    start = np.concatenate([np.ravel(np.asarray(y0, dtype=float)), np.ravel(np.eye(n, n + p))])
    solution = _scipy_odeint()(augmented, start, t, **options)
    ys, sensitivities = solution[:, :n], np.reshape(solution[:, n:], (len(t), n, n + p))
    rates = np.stack([np.asarray(field(y, time, flat_args)) for y, time in zip(ys, t)])
    seed = wnp.concatenate([wnp.ravel(y0_dot) - rates[0] * t_dot[0], wnp.ravel(_flat(args_dot)[0])])
    ys_dot = wnp.matmul(sensitivities, seed) + rates * wnp.reshape(t_dot, (len(t), 1))
    return np.reshape(ys, (len(t),) + shape), wnp.reshape(ys_dot, (len(t),) + shape)


def _forward_mode_first(tree) -> bool:
    """Whether the highest transform among ``tree``'s traced values is forward mode."""
    top = None
    for leaf in wengert.tree_flatten(tree)[0]:
        if isinstance(leaf, Tracer) and (top is None or leaf._trace.level > top._trace.level):
            top = leaf
    return isinstance(top, JVPTracer)


def odeint(func, y0, t, args=(), **options):
    """``y`` at the times ``t`` for ``dy/dt = func(y, t, *args)``, ``y(t[0]) = y0``; differentiable in
    ``y0``, ``t`` and ``args``, in reverse mode by the adjoint method and in forward mode by the
    sensitivity equations (first order). ``options`` go to SciPy (``rtol`` and ``atol`` default to
    1e-10, so that the derivatives are accurate); ``args`` is a tuple, or one value."""
    options = {**_TOLERANCES, **options}
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)

    def primal(y0, t, args):
        return _solve(func, options, y0, t, args)

    if _forward_mode_first((y0, t, args)):
        solve = wengert.custom_jvp(primal)
        solve.defjvp(lambda primals, tangents: _tangents(func, options, primals, tangents))
    else:
        solve = wengert.custom_vjp(primal)
        solve.defvjp(
            lambda y0, t, args: _forward(func, options, y0, t, args),
            lambda residuals, g: _backward(func, options, residuals, g),
        )
    return solve(y0, t, args)
