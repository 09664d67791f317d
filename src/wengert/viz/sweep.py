"""Every variable of a program at a point: its value, its tangent (forward mode) and its adjoint (reverse mode).

The pictures and the explorer show more than a derivative: they show the
derivative of the output with respect to *every* intermediate of the Wengert
list (its adjoint), and the derivative of every intermediate with respect to
one input (its tangent). Both come from wengert's own transforms, with no
rule written here:

* the **adjoint** of ``t_k`` is ``d out / d t_k``. The program is run with a
  zero ``ε_k`` added to each intermediate, ``t_k = op(...) + ε_k``, which
  changes no value; the gradient with respect to ``ε_k`` (one ``vjp``) is
  the adjoint of ``t_k``, for all ``k`` at once;
* the **tangent** of ``t_k`` is ``d t_k / d x · ẋ``: one ``jvp`` of the run
  that returns every intermediate.

For a program with several outputs, or one output that is not a scalar,
the adjoints are those of the sum of all the outputs' elements (the
cotangent is ones), as ``Tensor.backward`` would give for ``y.sum()``.

>>> import wengert
>>> program = wengert.trace(lambda a, b: (a * b) * (b + 1))(2.0, 3.0)
>>> sweep = sweep_program(program, (2.0, 3.0), tangents=(1.0, 0.0))
>>> [float(sweep.adjoints[v]) for v in program.invars]   # de/da = b(b+1), de/db = 2ab + a
[12.0, 14.0]
>>> [float(sweep.tangents[v]) for v in program.invars]
[1.0, 0.0]
>>> float(sweep.tangents[program.outvars[0]])             # forward mode gives de/da too
12.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import wengert
from wengert._src.core.ir import Program, Var
from wengert._src.core.pytree import tree_flatten
from wengert.errors import ArgumentError

__all__ = ["Sweep", "local_partials", "sweep_program"]


@dataclass(frozen=True)
class Sweep:
    """What :func:`sweep_program` found: per program variable, its value, adjoint and (if asked) tangent.

    The dicts are keyed by the program's :class:`Var` objects (inputs, constants
    and equation outputs). ``adjoints`` and ``tangents`` hold only variables of
    a floating dtype (an integer result such as ``argmax`` carries no derivative).
    """

    values: dict
    adjoints: dict
    tangents: dict


def _differentiable(var: Var) -> bool:
    return np.issubdtype(var.dtype, np.inexact)


def _run(program: Program, flat_inputs: Sequence, perturbations: dict | None = None) -> dict:
    """Run the equations one by one; each output gets its perturbation added. The environment of every Var."""
    env = dict(zip(program.invars, flat_inputs))
    env.update(zip(program.constvars, program.consts))
    for eqn in program.equations:
        args = [env[x] if isinstance(x, Var) else x.value for x in eqn.inputs]
        out = eqn.primitive(*args, **eqn.params)
        outs = out if eqn.primitive.multiple_results else (out,)
        for var, value in zip(eqn.outputs, outs):
            env[var] = value + perturbations[var] if perturbations and var in perturbations else value
    return env


def sweep_program(program: Program, args: Sequence, tangents: Sequence | None = None) -> Sweep:
    """Values and adjoints (and, given ``tangents``, tangents) of every variable of ``program`` at ``args``.

    ``args`` are the program's arguments as it was traced (a tuple of pytrees);
    ``tangents``, if given, has the same structure: the direction of forward mode.
    """
    flat_inputs, in_tree = tree_flatten(tuple(args))
    if in_tree != program.in_tree:
        raise ArgumentError(
            f"the program was traced with arguments of structure {program.in_tree}, got {in_tree}; "
            "pass the arguments it was traced with (or others of the same structure, shapes and dtypes)."
        )
    flat_inputs = [np.asarray(x) for x in flat_inputs]
    values = _run(program, flat_inputs)
    differentiable = [v for eqn in program.equations for v in eqn.outputs if _differentiable(v)]
    float_inputs = [k for k, v in enumerate(program.invars) if _differentiable(v)]

    def perturbed(inputs, epsilons):
        full = list(flat_inputs)
        for k, x in zip(float_inputs, inputs):
            full[k] = x
        env = _run(program, full, dict(zip(differentiable, epsilons)))
        return [env[v] for v in program.outvars if isinstance(v, Var) and _differentiable(v)]

    zeros = [np.zeros(v.shape, v.dtype) for v in differentiable]
    chosen = [flat_inputs[k] for k in float_inputs]
    outputs, pullback = wengert.vjp(perturbed, chosen, zeros)
    if not outputs:
        raise ArgumentError("the program has no floating-point output to differentiate; return a float array.")
    input_bars, epsilon_bars = pullback([np.ones_like(out) for out in outputs])
    adjoints = {program.invars[k]: bar for k, bar in zip(float_inputs, input_bars)}
    adjoints.update(zip(differentiable, epsilon_bars))
    return Sweep(values=values, adjoints=adjoints, tangents=_tangents(program, flat_inputs, tangents, float_inputs))


def _tangents(program: Program, flat_inputs: list, tangents, float_inputs: list) -> dict:
    if tangents is None:
        return {}
    flat_tangents, tangent_tree = tree_flatten(tuple(tangents))
    if tangent_tree != program.in_tree:
        raise ArgumentError(
            f"tangents must have the structure of the arguments, {program.in_tree}; got {tangent_tree}."
        )
    variables = [v for v in (*program.invars, *(v for e in program.equations for v in e.outputs)) if _differentiable(v)]

    def every_variable(*inputs):
        full = list(flat_inputs)
        for k, x in zip(float_inputs, inputs):
            full[k] = x
        env = _run(program, full)
        return [env[v] for v in variables]

    primals = [flat_inputs[k] for k in float_inputs]
    directions = [np.asarray(flat_tangents[k], dtype=program.invars[k].dtype) for k in float_inputs]
    _, tangent_values = wengert.jvp(every_variable, primals, directions)
    return dict(zip(variables, tangent_values))


def local_partials(program: Program, values: dict, max_size: int = 36) -> dict:
    """For each equation output ``t`` and each variable input ``u`` of its equation: ``∂t/∂u`` at ``values``.

    The partial of one primitive application with its other inputs held at
    their values, by ``wengert.jacobian``: a number for scalars, the Jacobian
    (shape ``t.shape + u.shape``) for arrays with at most ``max_size``
    entries, and None for larger ones. Keys are ``(t, position of u)``.
    """
    partials = {}
    for eqn in program.equations:
        args = [values[x] if isinstance(x, Var) else x.value for x in eqn.inputs]
        for position, var in enumerate(eqn.inputs):
            if not isinstance(var, Var) or not _differentiable(var):
                continue
            for slot, out in enumerate(eqn.outputs):
                if not _differentiable(out) or out.size * var.size > max_size:
                    partials[(out, position)] = None
                    continue

                def application(u, position=position, slot=slot, eqn=eqn, args=args):
                    result = eqn.primitive(*args[:position], u, *args[position + 1 :], **eqn.params)
                    return result[slot] if eqn.primitive.multiple_results else result

                partials[(out, position)] = np.asarray(wengert.jacobian(application)(np.asarray(args[position])))
    return partials
