"""Forward mode: push tangents along with the primals, in one pass.

A :class:`JVPTracer` carries a primal value and its tangent. Each primitive
applied to one computes its output on the primals (at the level below) and
its output tangent as the sum of the per-argument JVP rules,

    d f(x_1, ..., x_n) = sum_i  (d f / d x_i) . dx_i ,

skipping arguments whose tangent is zero (symbolically: ``None``). A
variadic primitive whose rule is one :class:`~..primitives.rules.JointJVP`
gets every tangent at once instead: the tangent of ``n`` stacked pieces is
one concatenation, not ``n`` contributions each the size of the whole.
Tangents may carry a leading batch axis only through ``vmap`` (a later
transform).
"""

from __future__ import annotations

from ..core.primitive import Trace, Tracer, ValueTracer, run_impl
from ..core.pytree import tree_unflatten
from ..primitives.rules import JointJVP
from .complex_guard import COMPLEX_DTYPES, ChecksComplexArguments, refuse_unproven_complex
from .custom_derivatives import CustomCall, forward_mode_error

_TRANSFORM = "forward mode (jvp, jacfwd, linearize, hessian)"


class JVPTracer(ValueTracer):
    __slots__ = ("tangent",)

    def __init__(self, trace: JVPTrace, primal, tangent):
        self._trace = trace
        self._primal = primal
        self.tangent = tangent


class JVPTrace(Trace):
    """Forward-mode interpreter."""

    __slots__ = ()

    def process(self, prim, args, params):
        primals = []
        tangents = []
        lower = False
        for arg in args:
            if isinstance(arg, JVPTracer) and arg._trace is self:
                arg_primal = arg._primal
                tangents.append(arg.tangent)
            else:
                arg_primal = arg
                tangents.append(None)
            primals.append(arg_primal)
            if isinstance(arg_primal, Tracer):
                lower = True
        out = prim(*primals, **params) if lower else run_impl(prim, primals, params)
        rules = prim.jvps
        if rules is None:
            return out
        if prim.multiple_results or out.dtype in COMPLEX_DTYPES:
            self._admit_complex(prim, args, out, rules, tangents)
        tangent_out = None
        if type(rules) is JointJVP:  # one rule for all the tangents (``n`` stacked pieces: one concatenation)
            if any(tangent is not None for tangent in tangents):
                tangent_out = rules.rule(tangents, out, *primals, **params)
        else:
            for i, tangent in enumerate(tangents):
                if tangent is None or rules[i] is None:
                    continue
                contribution = rules[i](tangent, out, *primals, **params)
                if tangent_out is None:
                    tangent_out = contribution
                elif prim.multiple_results:
                    tangent_out = tuple(a + b for a, b in zip(tangent_out, contribution))
                else:
                    tangent_out = tangent_out + contribution
        if tangent_out is None:
            return out
        if prim.multiple_results:
            return tuple(JVPTracer(self, o, t) for o, t in zip(out, tangent_out))
        return JVPTracer(self, out, tangent_out)

    def _admit_complex(self, prim, args, out, rules, tangents) -> None:
        """Let a complex result carry a tangent if ``prim`` is proven in complex, else raise (see
        :mod:`.complex_guard`); from then on this trace is a :class:`ComplexJVPTrace`."""
        if not any(tangent is not None and rules[i] is not None for i, tangent in enumerate(tangents)):
            return
        results = out if prim.multiple_results else (out,)
        if any(o.dtype in COMPLEX_DTYPES for o in results):
            refuse_unproven_complex(prim, args, results, self, _TRANSFORM)
            self.__class__ = ComplexJVPTrace

    def process_custom_jvp(self, custom, args):
        """Forward mode through a ``custom_jvp`` function: its rule gives the output and its tangent.

        The rule runs on this level's primals and tangents (zeros for arguments that carry
        none), so the levels below see the rule's operations, not the function's.
        """
        call = CustomCall(self, custom, args)
        tangents = [self.tangent_of(leaf) for leaf in call.leaves]
        tangents = [zero if t is None else t for t, zero in zip(tangents, call.zero_tangents())]
        primals_out, tangents_out, out_tree = call.run_jvp_rule(tangents)
        if any(p.dtype in COMPLEX_DTYPES for p in primals_out):  # the user's rule follows docs/complex.md
            self.__class__ = ComplexJVPTrace
        return tree_unflatten(out_tree, [JVPTracer(self, p, t) for p, t in zip(primals_out, tangents_out)])

    def process_custom_vjp(self, custom, args):
        """Forward mode has no rule for a ``custom_vjp`` function: a clear error."""
        raise forward_mode_error(custom)

    def lift(self, primal, tangent) -> JVPTracer:
        if primal.dtype in COMPLEX_DTYPES:
            self.__class__ = ComplexJVPTrace
        return JVPTracer(self, primal, tangent)

    def tangent_of(self, value):
        """The tangent of an output: ``None`` (zero) if it doesn't depend on the inputs."""
        if isinstance(value, JVPTracer) and value._trace is self:
            return value.tangent
        return None

    def primal_of(self, value):
        if isinstance(value, JVPTracer) and value._trace is self:
            return value._primal
        return value


class ComplexJVPTrace(ChecksComplexArguments, JVPTrace):
    """A forward trace that holds a complex value (see :class:`.complex_guard.ChecksComplexArguments`)."""

    __slots__ = ()
    transform = _TRANSFORM
