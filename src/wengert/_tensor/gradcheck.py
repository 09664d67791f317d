"""PyTorch's ``gradcheck`` and ``gradgradcheck`` for functions of Tensors.

``gradcheck(fn, inputs)`` compares, for every output and every input that
requires grad, the Jacobian the backward pass gives (one ``autograd.grad``
per output element) with the one central differences give,

    J_num[:, j] = (fn(x + eps e_j) - fn(x - eps e_j)) / (2 eps),

and accepts when ``|J - J_num| <= atol + rtol |J_num|`` everywhere (PyTorch's
test, ``allclose``). It also runs the backward pass twice and asks for the
same answer (a backward that is not deterministic to ``nondet_tol`` fails).
``gradgradcheck`` does the same for the function that maps ``(inputs,
grad_outputs)`` to the gradients, computed with ``create_graph=True``: it
checks second derivatives. Both return True or raise
:class:`~wengert.errors.GradientCheckError` naming the output, the input and
the worst element (``raise_exception=False`` returns False instead).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from wengert.errors import AutogradError, GradientCheckError
from wengert.random import resolve_generator

from .._src.backend import is_float_dtype, xp
from .autograd import grad as autograd_grad
from .tensor import Tensor


def _as_inputs(inputs) -> tuple:
    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def _outputs(fn: Callable, inputs: tuple) -> tuple:
    out = fn(*inputs)
    return (out,) if isinstance(out, Tensor) else tuple(out)


def _differentiable(values: tuple) -> list[int]:
    return [i for i, v in enumerate(values) if isinstance(v, Tensor) and is_float_dtype(v.dtype)]


def _numerical_jacobians(fn: Callable, inputs: tuple, wrt: list[int], out_sizes: dict[int, int], eps: float):
    """``J[k][i]``: d output k / d input i by central differences, of shape ``(output size, input size)``.

    The perturbed inputs require grad as the originals do, so a ``fn`` that
    differentiates inside (``gradgradcheck``'s) runs as it would.
    """
    jacobians = {}
    for i in wrt:
        x = inputs[i].concrete()
        flat = x.reshape(-1)
        columns = {k: [] for k in out_sizes}
        for j in range(flat.size):
            values = []
            for step in (eps, -eps):
                moved = flat.copy()
                moved[j] += step
                args = list(inputs)
                args[i] = Tensor(moved.reshape(x.shape), requires_grad=True)
                outs = _outputs(fn, tuple(args))
                values.append([outs[k].concrete().astype(xp.float64).reshape(-1) for k in out_sizes])
            for k, plus, minus in zip(out_sizes, values[0], values[1]):
                columns[k].append((plus - minus) / (2 * eps))
        for k, size in out_sizes.items():
            jacobians[k, i] = xp.stack(columns[k], axis=1) if columns[k] else xp.zeros((size, 0))
    return jacobians


def _analytical_jacobians(fn: Callable, inputs: tuple, wrt: list[int], out_indices: list[int]):
    """``J[k][i]`` from the backward pass: row ``m`` is ``autograd.grad`` of element ``m`` of output ``k``."""
    outs = _outputs(fn, inputs)
    jacobians = {}
    for k in out_indices:
        out = outs[k]
        rows = {i: [] for i in wrt}
        for m in range(out.concrete().size):
            if out.requires_grad:
                seed = xp.zeros(out.shape, out.dtype)
                seed.reshape(-1)[m] = 1
                grads = autograd_grad(out, [inputs[i] for i in wrt], seed, retain_graph=True, allow_unused=True)
            else:
                grads = (None,) * len(wrt)
            for i, g in zip(wrt, grads):
                size = inputs[i].concrete().size
                rows[i].append(xp.zeros(size) if g is None else g.concrete().astype(xp.float64).reshape(-1))
        for i in wrt:
            size = inputs[i].concrete().size
            jacobians[k, i] = xp.stack(rows[i]) if rows[i] else xp.zeros((0, size))
    return jacobians


def _fail(message: str, raise_exception: bool, order: int, key: tuple, worst: tuple, a: float, b: float) -> bool:
    """Report a mismatch of ``a`` (the backward pass) and ``b`` at element ``worst`` of Jacobian ``key`` (out, in)."""
    if raise_exception:
        raise GradientCheckError(
            message,
            mode="rev",
            order=order,
            where=f"output {key[0]} with respect to input {key[1]}",
            index=tuple(int(w) for w in worst),
            analytic=a,
            numeric=b,
            abs_error=abs(a - b),
            rel_error=abs(a - b) / abs(b) if b else float("inf"),
        )
    return False


def _check(fn, inputs, eps, atol, rtol, raise_exception, nondet_tol, order: int, what: str) -> bool:
    inputs = _as_inputs(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise AutogradError(
            f"{what}: no input requires grad, so there is nothing to check; create the inputs with "
            "requires_grad=True (float64 is best: finite differences need the precision)."
        )
    for i in wrt:
        if inputs[i].dtype != xp.float64:
            warnings.warn(
                f"{what}: input {i} is {inputs[i].dtype}, not float64: finite differences with eps={eps} "
                "are not accurate in lower precision, so the check may fail (or pass) wrongly.",
                UserWarning,
                stacklevel=3,
            )
    outs = _outputs(fn, inputs)
    out_indices = _differentiable(outs)
    numerical = _numerical_jacobians(fn, inputs, wrt, {k: outs[k].concrete().size for k in out_indices}, eps)
    analytical = _analytical_jacobians(fn, inputs, wrt, out_indices)
    for (k, i), numeric in numerical.items():
        analytic = analytical[k, i]
        bound = atol + rtol * xp.abs(numeric)
        error = xp.abs(analytic - numeric)
        if not (error <= bound).all():
            worst = xp.unravel_index(xp.argmax(error - bound), error.shape)
            a, n = float(analytic[worst]), float(numeric[worst])
            return _fail(
                f"{what}: Jacobian mismatch for output {k} with respect to input {i}: element "
                f"(output element {worst[0]}, input element {worst[1]}) is {a!r} by the backward pass but "
                f"{n!r} by central differences (|difference| {abs(a - n):.3g} > atol + rtol |numerical| = "
                f"{float(bound[worst]):.3g}).\nnumerical:\n{numeric}\nanalytical:\n{analytic}",
                raise_exception,
                order,
                (k, i),
                worst,
                a,
                n,
            )
    again = _analytical_jacobians(fn, inputs, wrt, out_indices)
    for key, first in analytical.items():
        difference = xp.abs(again[key] - first)
        if (difference > nondet_tol).any():
            worst = xp.unravel_index(xp.argmax(difference), difference.shape)
            a, b = float(first[worst]), float(again[key][worst])
            return _fail(
                f"{what}: the backward pass is not reentrant: two runs gave {a!r} and {b!r} for output {key[0]} "
                f"with respect to input {key[1]} at {tuple(int(w) for w in worst)} (nondet_tol={nondet_tol}).",
                raise_exception,
                order,
                key,
                worst,
                a,
                b,
            )
    return True


def gradcheck(
    fn: Callable,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
) -> bool:
    """Check the gradients of ``fn(*inputs)`` (Tensors) against central differences, as PyTorch does.

    Every input that requires grad is checked against every floating-point
    output. Returns True, or raises :class:`GradientCheckError` with the
    mismatch (returns False when ``raise_exception=False``).

    >>> import wengert
    >>> x = wengert.tensor([0.5, -1.0], requires_grad=True)
    >>> gradcheck(lambda x: (x * x.exp()).sum(), (x,))
    True
    """
    return _check(fn, inputs, eps, atol, rtol, raise_exception, nondet_tol, 1, "gradcheck")


def gradgradcheck(
    fn: Callable,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    generator=0,
) -> bool:
    """Check second derivatives: ``gradcheck`` of ``(inputs, v) -> autograd.grad(fn(inputs), inputs, v)``.

    ``grad_outputs`` (one per floating-point output) are the ``v``; by
    default they are random normal tensors drawn from ``generator`` (a seed,
    so the check is reproducible), which require grad, so the check covers
    the dependence of the gradient on ``v`` too.
    """
    inputs = _as_inputs(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs(fn, inputs)
    out_indices = _differentiable(outs)
    if grad_outputs is None:
        rng = resolve_generator(generator)
        grad_outputs = tuple(
            Tensor(rng.standard_normal(outs[k].shape).astype(outs[k].dtype), requires_grad=True) for k in out_indices
        )
    else:
        grad_outputs = _as_inputs(grad_outputs)
    count = len(inputs)

    def gradients(*args):
        primal_inputs, vs = args[:count], args[count:]
        results = _outputs(fn, primal_inputs)
        grads = autograd_grad(
            [results[k] for k in out_indices],
            [primal_inputs[i] for i in wrt],
            vs,
            create_graph=True,
            allow_unused=True,
        )
        return tuple(g for g in grads if g is not None)

    return _check(
        gradients, inputs + tuple(grad_outputs), eps, atol, rtol, raise_exception, nondet_tol, 2, "gradgradcheck"
    )


__all__ = ["gradcheck", "gradgradcheck"]
