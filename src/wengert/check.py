"""Finite differences, and checking wengert's derivatives against them.

Numerical differentiation evaluates ``f`` near ``x`` and divides differences
by the step ``h``. Every formula trades a *truncation* error, from the terms
of the Taylor series it drops, against a *rounding* error, from subtracting
two nearly equal floating-point values of ``f`` that are each only known to
a relative precision ``eps`` (the machine epsilon of the dtype)::

    forward   (f(x + h) - f(x)) / h         = f'(x) + h f''(x) / 2   + O(h^2)
    backward  (f(x) - f(x - h)) / h         = f'(x) - h f''(x) / 2   + O(h^2)
    central   (f(x + h) - f(x - h)) / (2h)  = f'(x) + h^2 f'''(x) / 6 + O(h^4)

The rounding error of either difference is about ``eps |f| / h``, so

    forward:  err(h) ~ h |f''| / 2   + eps |f| / h,   smallest at h ~ sqrt(eps),
              where err ~ sqrt(eps)  (about 1e-8 in float64);
    central:  err(h) ~ h^2 |f'''| / 6 + eps |f| / h,  smallest at h ~ eps^(1/3),
              where err ~ eps^(2/3)  (about 4e-11 in float64).

Plotted against ``h`` on log axes, the error is a V: a slope +1 (forward) or
+2 (central) line of truncation on the right, a slope -1 line of rounding on
the left. :func:`default_step` sits at the bottom of the V, scaled with the
size of ``x`` because rounding is relative: ``h = eps^(1/p) max(1, |x|)``.

Two methods move the bottom of the V down:

* ``"richardson"``: central differences at ``h``, ``h/2``, ``h/4``, combined
  so that the ``h^2`` and ``h^4`` terms of the error cancel (Richardson
  extrapolation: ``D(h/2) + (D(h/2) - D(h)) / (4^k - 1)`` at level ``k``).
  What remains is ``O(h^6) + eps |f| / h``, smallest at ``h ~ eps^(1/7)``,
  where the error is about ``eps^(6/7)`` (about 1e-13 in float64).
* ``"complex_step"``: ``f'(x) = Im f(x + i h) / h + O(h^2)`` for a function
  that is real on real inputs and analytic. Nothing is subtracted, so there is
  no rounding term and ``h = 1e-20`` gives ``f'`` to machine precision. ``f``
  must accept complex input and compute with it as it would with reals: NumPy
  functions do (``np.sin``, ``@``, ``np.exp``), but ``abs``, comparisons,
  ``np.real`` or ``.astype(float)`` break the method (it says so when ``f``
  returns a real value).

:func:`numerical_derivative`, :func:`numerical_grad` and
:func:`numerical_jacobian` compute derivatives this way, for arrays and
pytrees of arrays. :func:`check_grads` holds wengert's forward mode
(:func:`wengert.jvp`) and reverse mode (:func:`wengert.vjp`) to central
differences, to any order, as ``jax.test_util.check_grads`` does.
:func:`gradcheck` and :func:`gradgradcheck` are PyTorch's checkers, for
functions of ``wengert.Tensor``s and ``autograd.Function``s: they return True
or raise :class:`~wengert.errors.GradientCheckError`.

>>> import numpy as np
>>> round(float(numerical_derivative(np.sin, 0.0)), 9)
1.0
>>> import wengert.numpy as wnp
>>> check_grads(lambda x: wnp.tanh(x @ x), (np.eye(2) / 2,), order=2)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from wengert._src.backend import is_float_dtype, xp
from wengert._src.core.primitive import Tracer
from wengert._src.core.pytree import tree_flatten, tree_unflatten
from wengert._src.transforms.api import argnum_positions, argnums_as_tuple, jvp, vjp
from wengert._tensor.gradcheck import gradcheck as gradcheck
from wengert._tensor.gradcheck import gradgradcheck as gradgradcheck
from wengert.errors import DtypeError, GradientCheckError, ShapeError, TracerError, TransformError

METHODS = ("forward", "backward", "central", "richardson", "complex_step")
"""The finite-difference formulas, by the name the ``method=`` arguments take."""

RICHARDSON_LEVELS = 3
"""Central differences that ``"richardson"`` combines: steps ``h, h/2, h/4``."""

COMPLEX_STEP = 1e-20
"""The default step of ``"complex_step"``: tiny, since nothing is subtracted."""

_STEP_EXPONENT = {"forward": 1 / 2, "backward": 1 / 2, "central": 1 / 3, "richardson": 1 / (2 * RICHARDSON_LEVELS + 1)}

_TOLERANCE = {xp.dtype(xp.float16): 1e-1, xp.dtype(xp.float32): 1e-2, xp.dtype(xp.float64): 1e-6}

_SCALAR_TREE = tree_flatten(0.0)[1]

_MODES = {"fwd": "forward mode (wengert.jvp)", "rev": "reverse mode (wengert.vjp)"}


def default_step(x, method: str = "central"):
    """The finite-difference step for each element of ``x``: ``eps^(1/p) max(1, |x|)``.

    ``eps`` is the machine epsilon of ``x``'s dtype and ``p`` the power that
    balances truncation against rounding for the method: 2 for forward and
    backward differences, 3 for central ones, 7 for Richardson extrapolation;
    the complex step is :data:`COMPLEX_STEP` everywhere (see the module
    docstring for the error model).

    >>> float(default_step(1.0, "forward"))  # sqrt(2^-52)
    1.4901161193847656e-08
    """
    _check_method(method)
    x = _float_leaf(x, "default_step", "x")
    if method == "complex_step":
        return xp.full(x.shape, COMPLEX_STEP)
    base = float(xp.finfo(x.dtype).eps) ** _STEP_EXPONENT[method]
    return base * xp.maximum(1.0, xp.abs(x.astype(xp.float64)))


def default_tolerance(dtype) -> float:
    """The ``atol`` and ``rtol`` that :func:`check_grads` uses for inputs of ``dtype``.

    Central differences at the default step are good to about ``eps^(2/3)``
    relative to the size of ``f`` (4e-11 in float64, 2e-5 in float32); the
    tolerances leave room for functions whose values or third derivatives are
    larger than their first derivatives.

    >>> default_tolerance("float32") > default_tolerance("float64")
    True
    """
    dtype = xp.dtype(dtype)
    if dtype not in _TOLERANCE:
        raise DtypeError(
            f"default_tolerance: no default for dtype {dtype}; finite differences need "
            f"one of {', '.join(str(d) for d in _TOLERANCE)}."
        )
    return _TOLERANCE[dtype]


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise TransformError(f"unknown finite-difference method {method!r}; use one of {', '.join(METHODS)}.")


def _float_leaf(value, caller: str, where: str):
    """``value`` as a floating-point array, or an error that says why it can't be."""
    if isinstance(value, Tracer):
        raise TracerError(
            f"{caller}: {where} is a traced value; finite differences evaluate the function on "
            "concrete arrays. Call it outside wengert transforms."
        )
    array = xp.asarray(value)
    if not is_float_dtype(array.dtype):
        raise DtypeError(
            f"{caller}: {where} has dtype {array.dtype}; only floating-point inputs can be "
            "perturbed by a small step. Pass floats (1.0 instead of 1) or convert with x.astype(float)."
        )
    return array


# --- finite differences along one direction -----------------------------------------------------------


def _derivative_along(curve: Callable, h: float, method: str, at_zero=None) -> list:
    """The derivative at ``t = 0`` of ``t -> curve(t)`` (a list of arrays), by ``method`` with step ``h``.

    ``at_zero`` is ``curve(0.0)`` when the caller already has it (forward and
    backward differences need it).
    """
    if method == "complex_step":
        return [xp.imag(y) / h for y in curve(1j * h)]
    if method == "richardson":
        # Neville's tableau: each level cancels the next even power of h in the error.
        estimates = [_central(curve, h / 2**k) for k in range(RICHARDSON_LEVELS)]
        for level in range(1, RICHARDSON_LEVELS):
            factor = 4.0**level
            estimates = [
                [fine + (fine - coarse) / (factor - 1.0) for coarse, fine in zip(coarser, finer)]
                for coarser, finer in zip(estimates, estimates[1:])
            ]
        return estimates[0]
    if method == "central":
        return _central(curve, h)
    at_zero = curve(0.0) if at_zero is None else at_zero
    if method == "forward":
        return [(ahead - here) / h for ahead, here in zip(curve(h), at_zero)]
    return [(here - behind) / h for here, behind in zip(at_zero, curve(-h))]


def _central(curve: Callable, h: float) -> list:
    return [(ahead - behind) / (2.0 * h) for ahead, behind in zip(curve(h), curve(-h))]


def _representable_step(value: float, h: float, dtype, method: str, vanishing_ok: bool = False) -> float:
    """The step actually taken from ``value``: ``(value + h) - value`` in ``dtype``.

    Using it in the denominator removes the error of rounding ``value + h``.
    A step below half the spacing of the floats at ``value`` vanishes:
    ``value + h == value``. With ``vanishing_ok`` the nominal ``h`` is kept
    then, so the difference of equal values gives the estimate ``0``, the
    honest result of that step; otherwise it is refused.
    """
    if method == "complex_step":
        return h
    scalar = dtype.type(value)
    step = float(dtype.type(scalar + dtype.type(h)) - scalar)
    if step == 0.0 and vanishing_ok and h > 0.0:
        return h
    if step == 0.0 or not math.isfinite(step):
        raise TransformError(
            f"finite differences: the step h={h:.3g} vanishes next to x={value!r} in {dtype} "
            f"(the spacing there is {float(xp.spacing(scalar)):.3g}); use a larger step, or "
            "h=None for the default."
        )
    return step


# --- numerical derivatives of functions of pytrees -----------------------------------------------------


class _Problem:
    """A function of the chosen arguments' leaves, the rest of the arguments held fixed."""

    def __init__(self, f: Callable, args: tuple, argnums, caller: str, method: str, vanishing_ok: bool = False):
        _check_method(method)
        self.vanishing_ok = vanishing_ok
        self.single = isinstance(argnums, int)
        self.argnums = argnum_positions(argnums_as_tuple(argnums, caller), argnums, len(args), caller)
        self.f, self.args, self.caller, self.method = f, args, caller, method
        leaves, self.in_tree = tree_flatten(tuple(args[a] for a in self.argnums))
        self.leaves = [_float_leaf(leaf, caller, f"input leaf {i}") for i, leaf in enumerate(leaves)]
        self.value, self.out_tree = self.evaluate(self.leaves)

    def evaluate(self, leaves: list) -> tuple[list, object]:
        """``f`` at the given leaves of the chosen arguments: (output leaves as arrays, output tree)."""
        full = list(self.args)
        for argnum, value in zip(self.argnums, tree_unflatten(self.in_tree, leaves)):
            full[argnum] = value
        out, out_tree = tree_flatten(self.f(*full))
        out = [xp.asarray(leaf) for leaf in out]
        for i, leaf in enumerate(out):
            if not xp.issubdtype(leaf.dtype, xp.inexact):
                raise DtypeError(
                    f"{self.caller}: output leaf {i} of f has dtype {leaf.dtype}; finite differences "
                    "need floating-point outputs. Return floats, or leave integer results out of f."
                )
        return out, out_tree

    def complex_outputs(self, out: list) -> list:
        """``out`` itself, after checking that ``f`` kept the imaginary part of a complex step."""
        for i, leaf in enumerate(out):
            if not xp.issubdtype(leaf.dtype, xp.complexfloating):
                raise DtypeError(
                    f"{self.caller}: method='complex_step' needs f to carry complex inputs through, "
                    f"but output leaf {i} came back as {leaf.dtype} for a complex input. Something in "
                    "f dropped the imaginary part (abs, a comparison, np.real, astype(float)); use "
                    "method='central' or 'richardson' instead."
                )
        return out

    def jacobian_blocks(self, h) -> list[list]:
        """``blocks[o][k]``: d output leaf ``o`` / d input leaf ``k``, shaped out.shape + in.shape."""
        method = self.method
        blocks = [[None] * len(self.leaves) for _ in self.value]
        for k, x in enumerate(self.leaves):
            steps = default_step(x, method) if h is None else xp.full(x.shape, float(h))
            columns = []
            for j in range(x.size):
                step = _representable_step(x.flat[j], float(steps.flat[j]), x.dtype, method, self.vanishing_ok)
                columns.append(_derivative_along(self._curve(k, j), step, method, self.value))
            for o, out in enumerate(self.value):
                block = xp.zeros(out.shape + (x.size,), out.dtype)
                for j, column in enumerate(columns):
                    block[..., j] = column[o]
                blocks[o][k] = block.reshape(out.shape + x.shape)
        return blocks

    def _curve(self, k: int, j: int) -> Callable:
        """``t -> f(leaves with element j of leaf k moved by t)``, outputs in float64 (or complex128)."""

        def curve(t):
            leaves = list(self.leaves)
            is_complex = isinstance(t, complex)
            dtype = xp.result_type(leaves[k].dtype, xp.complex64) if is_complex else leaves[k].dtype
            moved = leaves[k].astype(dtype, copy=True)
            moved.flat[j] += t
            leaves[k] = moved
            out, _ = self.evaluate(leaves)
            if is_complex:
                return [leaf.astype(xp.complex128) for leaf in self.complex_outputs(out)]
            return [leaf.astype(xp.result_type(leaf.dtype, xp.float64)) for leaf in out]

        return curve

    def in_structure(self, per_leaf: list):
        """Leaves shaped like the chosen arguments: the argument itself, or a tuple for several."""
        chosen = tree_unflatten(self.in_tree, per_leaf)
        return chosen[0] if self.single else chosen


def numerical_jacobian(f: Callable, *args, argnums: int | Sequence[int] = 0, method: str = "central", h=None):
    """The Jacobian of ``f`` at ``args`` by finite differences.

    For one array input ``x`` and one array output ``y`` it is the array of
    shape ``y.shape + x.shape`` with entries ``d y[i] / d x[j]``. With pytrees
    it has the structure of the output, each leaf holding the structure of the
    chosen argument(s) (a tuple of them when ``argnums`` is a tuple), as
    ``jax.jacobian`` arranges it. Costs two evaluations of ``f`` per input
    element for central differences (one for forward, backward and complex
    steps, six for Richardson).

    Args:
        f: the function; it is called with plain NumPy arrays.
        args: its positional arguments.
        argnums: which of them to differentiate (the others are held fixed).
        method: one of :data:`METHODS`.
        h: the step for every element, or ``None`` for :func:`default_step`.

    >>> import numpy as np
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> np.round(numerical_jacobian(lambda x: A @ x, np.ones(2)), 6).tolist()
    [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    """
    problem = _Problem(f, args, argnums, "numerical_jacobian", method)
    blocks = problem.jacobian_blocks(h)
    return tree_unflatten(problem.out_tree, [problem.in_structure(row) for row in blocks])


def numerical_grad(f: Callable, *args, argnums: int | Sequence[int] = 0, method: str = "central", h=None):
    """The gradient of a scalar function ``f`` by finite differences.

    It has the structure of the chosen argument (a tuple of them when
    ``argnums`` is a tuple), as :func:`wengert.grad` returns it.

    >>> import numpy as np
    >>> np.round(numerical_grad(lambda x: (x ** 2).sum(), np.array([1.0, -2.0])), 6).tolist()
    [2.0, -4.0]
    """
    problem = _Problem(f, args, argnums, "numerical_grad", method)
    if problem.out_tree != _SCALAR_TREE or problem.value[0].shape != ():
        raise TransformError(
            f"numerical_grad: f must return a scalar, but returned {problem.out_tree} with leaf shapes "
            f"{[leaf.shape for leaf in problem.value]}. Reduce it (e.g. .sum()), or use numerical_jacobian."
        )
    return problem.in_structure(problem.jacobian_blocks(h)[0])


def numerical_derivative(f: Callable, x, method: str = "central", h=None):
    """The derivative ``f'(x)`` of a function of one scalar, by finite differences.

    ``f`` may return an array or a pytree; the derivative has its structure.
    Any positive step ``h`` is taken, even one so small that ``x + h == x``
    in floating point: the difference then vanishes and the estimate is
    ``0``, which is what the formula honestly gives there (the left end of
    the error-versus-step plot, :func:`wengert.viz.plot_fd_error`).

    >>> import numpy as np
    >>> abs(float(numerical_derivative(np.exp, 0.0, method="complex_step")) - 1.0) < 1e-15
    True
    >>> float(numerical_derivative(lambda x: x**3, 1.0, method="forward", h=1e-17))  # 1 + 1e-17 == 1
    0.0
    """
    if xp.ndim(x) != 0:
        raise ShapeError(
            f"numerical_derivative: x must be a scalar, got shape {xp.shape(x)}; use numerical_grad "
            "or numerical_jacobian for array inputs."
        )
    problem = _Problem(f, (x,), 0, "numerical_derivative", method, vanishing_ok=True)
    return tree_unflatten(problem.out_tree, [problem.in_structure(row) for row in problem.jacobian_blocks(h)])


# --- checking wengert's derivatives --------------------------------------------------------------------


def check_grads(
    f: Callable,
    args: Sequence,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    eps: float | None = None,
) -> None:
    """Check wengert's derivatives of ``f`` at ``args`` against central differences.

    With JAX's meaning: ``"fwd"`` compares ``wengert.jvp(f, args, v)`` along a
    random direction ``v`` with ``(f(args + h v) - f(args - h v)) / 2h``;
    ``"rev"`` compares ``wengert.vjp`` with a random cotangent ``u`` with the
    numerical gradient of ``<u, f(args)>``, element by element. For
    ``order > 1`` it repeats the check, one order lower, on the derivative
    functions themselves: ``(primals, tangents) -> jvp(f, primals,
    tangents)[1]`` and ``(primals, cotangents) -> vjp(f, *primals)[1](cotangents)``,
    so the rules' own derivatives (forward-over-reverse, reverse-over-reverse,
    ...) are held to finite differences too.

    Each forward check costs two evaluations of the function checked; each
    reverse check two per input element. Keep the inputs small.

    Args:
        f: a function of the positional arguments ``args`` (pytrees of float arrays), all differentiated.
        args: the point to check at.
        order: the highest derivative order to check.
        modes: which of ``"fwd"`` and ``"rev"`` to check, at every order.
        atol, rtol: an element passes when ``|analytic - numeric| <= atol + rtol |numeric|``;
            ``None`` takes :func:`default_tolerance` of the least precise input or output dtype.
        eps: the finite-difference step; ``None`` takes :func:`default_step` (central).

    Raises:
        GradientCheckError: (an ``AssertionError``) naming the mode, the order, the worst
            element's place and index, its analytic and numeric values and their errors.

    >>> import numpy as np, wengert.numpy as wnp
    >>> check_grads(wnp.sin, (np.linspace(0.0, 1.0, 3),))
    """
    if not isinstance(args, (tuple, list)):
        raise TransformError("check_grads: args must be a tuple of positional arguments, e.g. (x,) or (x, y).")
    if not isinstance(order, int) or order < 1:
        raise TransformError(f"check_grads: order must be a positive integer, got {order!r}.")
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    unknown = [mode for mode in modes if mode not in _MODES]
    if unknown or not modes:
        raise TransformError(f"check_grads: modes must be chosen from {tuple(_MODES)}, got {modes!r}.")
    checker = _Checker(getattr(f, "__name__", None) or repr(f), modes, atol, rtol, eps)
    checker.check(f, tuple(args), [f"args[{i}]" for i in range(len(args))], order, ())


class _Checker:
    """One run of :func:`check_grads`: its settings and its random numbers."""

    def __init__(self, name: str, modes: tuple, atol, rtol, eps):
        self.name = name
        self.modes, self.atol, self.rtol, self.eps = modes, atol, rtol, eps
        self.rng = xp.random.default_rng(0)

    def check(self, f: Callable, args: tuple, names: list, order: int, path: tuple) -> None:
        """Check ``f`` at ``args``, then its derivative functions down to ``order`` 1."""
        leaves, in_tree = tree_flatten(args)
        leaves = [_float_leaf(leaf, "check_grads", f"input leaf {i}") for i, leaf in enumerate(leaves)]
        args = tree_unflatten(in_tree, leaves)
        out_leaves, out_tree = tree_flatten(f(*args))
        out_leaves = [_float_output(y, i) for i, y in enumerate(out_leaves)]
        atol, rtol = self._tolerances(leaves + out_leaves)
        context = dict(order=len(path) + 1, atol=atol, rtol=rtol, name=_describe(path, self.name))
        if "fwd" in self.modes:
            self._check_jvp(f, args, leaves, in_tree, context)
            if order > 1:
                tangents = tree_unflatten(in_tree, [self._random_like(x) for x in leaves])

                def jvp_of_f(primals, tangents):
                    return jvp(f, primals, tangents)[1]

                self.check(jvp_of_f, (args, tangents), ["primals", "tangents"], order - 1, path + ("fwd",))
        if "rev" in self.modes:
            self._check_vjp(f, args, names, out_leaves, out_tree, context)
            if order > 1:
                cotangents = tree_unflatten(out_tree, [self._random_like(y) for y in out_leaves])

                def vjp_of_f(primals, cotangents):
                    return vjp(f, *primals)[1](cotangents)

                self.check(vjp_of_f, (args, cotangents), ["primals", "cotangents"], order - 1, path + ("rev",))

    def _check_jvp(self, f, args, leaves, in_tree, context) -> None:
        """``jvp(f, args, v)`` against central differences along ``v``, in the output's elements."""
        if sum(x.size for x in leaves) == 0:
            return
        directions = [self._random_like(x) for x in leaves]
        largest = max(float(xp.max(xp.abs(v))) for v in directions if v.size)
        directions = [(v / largest).astype(v.dtype) for v in directions]
        out, analytic = jvp(f, args, tree_unflatten(in_tree, directions))
        analytic = tree_flatten(analytic)[0]
        h = self._direction_step(leaves)

        def curve(t):
            moved = tree_unflatten(in_tree, [x + t * v for x, v in zip(leaves, directions)])
            return [xp.asarray(y).astype(xp.float64) for y in tree_flatten(f(*moved))[0]]

        numeric = _derivative_along(curve, h, "central")
        where = _leaf_paths(out, "output", len(analytic))
        how = f"central differences along a random direction, h={h:.3g}"
        self._compare(analytic, numeric, where, "fwd", context, how)

    def _check_vjp(self, f, args, names, out_leaves, out_tree, context) -> None:
        """``vjp(f, *args)[1](u)`` against the numerical gradient of ``<u, f(args)>``, per input element."""
        cotangents = [self._random_like(y) for y in out_leaves]
        _, pullback = vjp(f, *args)
        analytic = tree_flatten(pullback(tree_unflatten(out_tree, cotangents)))[0]

        def projected(*moved):
            outputs = tree_flatten(f(*moved))[0]
            return sum(float(xp.sum(u.astype(xp.float64) * xp.asarray(y))) for u, y in zip(cotangents, outputs))

        problem = _Problem(projected, args, tuple(range(len(args))), "check_grads", "central")
        numeric = problem.jacobian_blocks(self.eps)[0]
        where = [path for name, arg in zip(names, args) for path in _leaf_paths(arg, name, len(tree_flatten(arg)[0]))]
        self._compare(analytic, numeric, where, "rev", context, "central differences of <u, f> for a random u")

    def _compare(self, analytic: list, numeric: list, where: list, mode: str, context: dict, how: str) -> None:
        worst = None
        failing = total = 0
        atol, rtol = context["atol"], context["rtol"]
        for place, a, n in zip(where, analytic, numeric):
            a = xp.asarray(a, dtype=xp.float64)
            n = xp.asarray(n, dtype=xp.float64)
            error = xp.abs(a - n)
            allowed = atol + rtol * xp.abs(n)
            agree = (error <= allowed) | (a == n) | (xp.isnan(a) & xp.isnan(n))
            total += a.size
            failing += int(a.size - xp.count_nonzero(agree))
            if agree.all():
                continue
            badness = xp.where(agree, -1.0, xp.nan_to_num(error / allowed, nan=xp.inf))
            flat = int(xp.argmax(badness))
            if worst is None or badness.flat[flat] > worst[0]:
                index = tuple(int(i) for i in xp.unravel_index(flat, a.shape))
                worst = (badness.flat[flat], place, index, float(a.flat[flat]), float(n.flat[flat]))
        if worst is None:
            return
        _, place, index, a, n = worst
        abs_error = abs(a - n) if math.isfinite(a) and math.isfinite(n) else math.inf
        rel_error = abs_error / abs(n) if n != 0 else math.inf
        order = context["order"]
        message = (
            f"check_grads: {_MODES[mode]} disagrees with finite differences at order {order}, "
            f"checking {context['name']}.\n"
            f"  worst element: {_element_name(mode, place)} at index {index}\n"
            f"    analytic (wengert): {a!r}\n"
            f"    numeric ({how}): {n!r}\n"
            f"    abs error {abs_error:.3g}, rel error {rel_error:.3g}; tolerance atol={atol:.3g}, rtol={rtol:.3g}\n"
            f"  {failing} of {total} elements are outside the tolerance.\n" + _advice(order)
        )
        raise GradientCheckError(
            message,
            mode=mode,
            order=order,
            where=place,
            index=index,
            analytic=a,
            numeric=n,
            abs_error=abs_error,
            rel_error=rel_error,
        )

    def _tolerances(self, leaves: list) -> tuple[float, float]:
        default = max(default_tolerance(leaf.dtype) for leaf in leaves)
        return (default if self.atol is None else self.atol), (default if self.rtol is None else self.rtol)

    def _direction_step(self, leaves: list) -> float:
        if self.eps is not None:
            return float(self.eps)
        least_precise = max((x.dtype for x in leaves), key=lambda d: xp.finfo(d).eps)
        scale = max(float(xp.max(xp.abs(x))) for x in leaves if x.size)
        return float(default_step(xp.asarray(0.0, least_precise), "central")) * max(1.0, scale)

    def _random_like(self, x):
        x = xp.asarray(x)
        return self.rng.standard_normal(x.shape).astype(x.dtype)


def _float_output(value, i: int):
    array = xp.asarray(value)
    if not is_float_dtype(array.dtype):
        raise DtypeError(
            f"check_grads: output leaf {i} of f has dtype {array.dtype}; only floating-point outputs "
            "have derivatives to check. Return integer or boolean results from another function."
        )
    return array


def _element_name(mode: str, place: str) -> str:
    return place if mode == "fwd" else f"cotangent of {place}"


def _describe(path: tuple, name: str) -> str:
    """Which function a check at ``path`` looks at: ``f``, or a derivative function built from it."""
    if not path:
        return f"f = {name}"
    described = "f"
    for mode in path:
        described = (
            f"(primals, tangents) -> jvp({described}, primals, tangents)[1]"
            if mode == "fwd"
            else f"(primals, cotangents) -> vjp({described}, *primals)[1](cotangents)"
        )
    return f"{described} where f = {name}"


def _advice(order: int) -> str:
    if order == 1:
        return (
            "If a derivative rule is wrong, fix the JVP/VJP rule of the primitive it belongs to; if "
            "f is not smooth at this point (a kink, a branch), check at another point; if the "
            "numbers are close, pass a larger atol/rtol or another eps."
        )
    return (
        "The first derivatives were checked; the derivatives of the derivative rules are wrong. "
        "Look for rules written with plain NumPy or stop_gradient on values that may be traced: "
        "rules must use wengert operations so that they differentiate."
    )


def _leaf_paths(tree, prefix: str, count: int) -> list[str]:
    """Readable names of the leaves of ``tree`` (``prefix[0]['w']``), in ``tree_flatten`` order."""
    paths = _paths_into(tree, prefix)
    return paths if len(paths) == count else [f"{prefix} leaf {i}" for i in range(count)]


def _paths_into(tree, prefix: str) -> list[str]:
    if tree is None:
        return []
    if type(tree) is dict:
        return [path for key in sorted(tree) for path in _paths_into(tree[key], f"{prefix}[{key!r}]")]
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return [path for field in tree._fields for path in _paths_into(getattr(tree, field), f"{prefix}.{field}")]
    if type(tree) in (tuple, list):
        return [path for i, item in enumerate(tree) for path in _paths_into(item, f"{prefix}[{i}]")]
    leaves = tree_flatten(tree)[0]
    if len(leaves) == 1 and leaves[0] is tree:
        return [prefix]
    return [f"{prefix} leaf {i}" for i in range(len(leaves))]
