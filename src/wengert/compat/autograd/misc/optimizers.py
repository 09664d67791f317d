"""autograd's optimizers, ``sgd``, ``rmsprop`` and ``adam``, with its signatures and callback.

Each takes ``grad(x, i)`` (the gradient at iteration ``i``), a starting point ``x0``
(any nesting of lists, tuples and dicts of arrays) and ``callback(x, i, g)``,
called before each step with the point, the iteration and the gradient, and
returns the final point in ``x0``'s structure. The updates are autograd's,
operation for operation, so the trajectories are the same numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import wengert.numpy as wnp

from .flatten import flatten


def unflatten_optimizer(optimize: Callable) -> Callable:
    """Lift an optimizer of flat 1-D arrays to one of nested containers of arrays."""

    @functools.wraps(optimize)
    def _optimize(grad, x0, callback=None, *args, **kwargs):
        flat_x0, unflatten = flatten(x0)

        def flat_grad(x, i):
            return flatten(grad(unflatten(x), i))[0]

        flat_callback = None
        if callback:

            def flat_callback(x, i, g):
                return callback(unflatten(x), i, unflatten(g))

        return unflatten(optimize(flat_grad, flat_x0, flat_callback, *args, **kwargs))

    return _optimize


@unflatten_optimizer
def sgd(grad, x, callback=None, num_iters=200, step_size=0.1, mass=0.9):
    """Stochastic gradient descent with momentum: ``v = mass v - (1 - mass) g``, ``x = x + step_size v``."""
    velocity = wnp.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


@unflatten_optimizer
def rmsprop(grad, x, callback=None, num_iters=100, step_size=0.1, gamma=0.9, eps=10**-8):
    """Root-mean-square propagation: steps scaled by a running RMS of the gradients."""
    avg_sq_grad = wnp.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        avg_sq_grad = avg_sq_grad * gamma + g**2 * (1 - gamma)
        x = x - step_size * g / (wnp.sqrt(avg_sq_grad) + eps)
    return x


@unflatten_optimizer
def adam(grad, x, callback=None, num_iters=100, step_size=0.001, b1=0.9, b2=0.999, eps=10**-8):
    """Adam (arXiv:1412.6980): momentum and RMS scaling with bias correction."""
    m = wnp.zeros(len(x))
    v = wnp.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g**2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (wnp.sqrt(vhat) + eps)
    return x
