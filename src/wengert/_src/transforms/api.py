"""The functional transforms, with JAX's names and signatures.

``jvp`` runs forward mode, ``vjp`` reverse mode on the tape; ``grad`` and
``value_and_grad`` are ``vjp`` with a scalar output and a seed of one. All
take and return pytrees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from wengert.errors import ArgumentError, DtypeError, ShapeError, TransformError

from ..backend import dtype_of, is_float_dtype, shape_of, xp
from ..compile import compiled_backward
from ..core.gc_pause import collector_paused
from ..core.primitive import Tracer, new_trace
from ..core.pytree import tree_flatten, tree_map, tree_unflatten
from ..core.source_info import user_frame_summary
from ..distributed import dask_chunks
from .complex_guard import refuse_complex_seed
from .foreign_arrays import foreign_trace_in, hand_over, like
from .inputs import as_float_input, check_output, own_arrays, private_copy, split_aux
from .jvp import JVPTrace
from .reverse import ReverseTrace, ReverseTracer
from .transpose import vjp_by_transposition


def _zeros_like(value):
    """Zeros of ``value``'s shape and dtype (read without its value, which a staging may hide)."""
    return xp.zeros(shape_of(value), dtype_of(value))


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """Forward mode: ``(fun(*primals), J(primals) @ tangents)`` in one pass.

    With ``has_aux=True``, ``fun`` returns ``(out, aux)`` and ``jvp`` returns
    ``(out, tangent_out, aux)``, as in JAX.

    >>> import wengert, wengert.numpy as wnp
    >>> wengert.jvp(wnp.sin, (0.0,), (2.0,))
    (np.float64(0.0), np.float64(2.0))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TransformError("jvp: primals and tangents must be tuples, e.g. jvp(f, (x,), (v,))")
    flat_primals, in_tree = tree_flatten(tuple(primals))
    flat_tangents, tangent_tree = tree_flatten(tuple(tangents))
    if in_tree != tangent_tree:
        raise TransformError(f"jvp: primals {in_tree} and tangents {tangent_tree} differ in structure")
    if dask_chunks.any_dask_array(flat_primals):  # data in row chunks: spread over them (docs/dask.md)
        return dask_chunks.jvp(jvp, fun, primals, tangents, has_aux)
    foreign = foreign_trace_in(flat_primals, flat_tangents)
    if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
        return hand_over(foreign, jvp, fun, primals, tangents, has_aux)
    with new_trace(JVPTrace) as trace:
        tracers = []
        for i, (primal, tangent) in enumerate(zip(flat_primals, flat_tangents)):
            primal = as_float_input(primal, "jvp", "primal", i)
            refuse_complex_seed(tangent, "jvp", f"tangent {i}", primal)
            if not isinstance(tangent, Tracer):
                tangent = xp.asarray(tangent, dtype=primal.dtype)
            if tuple(tangent.shape) != tuple(primal.shape):
                raise ShapeError(
                    f"jvp: tangent {i} has shape {tangent.shape} but its primal has shape "
                    f"{primal.shape}; give each tangent the shape of its primal."
                )
            tracers.append(trace.lift(primal, tangent))
        out = fun(*tree_unflatten(in_tree, tracers))
        if has_aux:
            out, aux = split_aux(out, "jvp")
            aux = tree_map(trace.primal_of, aux)
        flat_out, out_tree = tree_flatten(out)
        check_output(out, flat_out, "jvp")
        primals_out = [trace.primal_of(o) for o in flat_out]
        tangents_out = [trace.tangent_of(o) for o in flat_out]
    tangents_out = [_zeros_like(p) if t is None else t for p, t in zip(primals_out, tangents_out)]
    if has_aux:
        return tree_unflatten(out_tree, primals_out), tree_unflatten(out_tree, tangents_out), aux
    return tree_unflatten(out_tree, primals_out), tree_unflatten(out_tree, tangents_out)


def vjp(fun: Callable, *primals, has_aux: bool = False, method: str = "tape"):
    """Reverse mode: ``(fun(*primals), vjp_fn)`` where ``vjp_fn(ct)`` pulls ``ct`` back.

    ``vjp_fn`` may be called any number of times; it returns a tuple with one
    cotangent per primal, arrays of the caller's own. It keeps copies of the input
    arrays and hands out a copy of the output, so writing into either later changes
    nothing; arrays ``fun`` closes over are read where they stand, so change them only
    after the last call of ``vjp_fn``. With ``has_aux=True``, ``fun`` returns ``(out, aux)``
    and ``vjp`` returns ``(out, vjp_fn, aux)``.

    ``method="tape"`` (the default) records the evaluation on a tape and
    replays the VJP rules backwards. ``method="transpose"`` builds reverse
    mode from forward mode: ``linear_transpose(linearize(fun, *primals))``
    (see docs/staged_programs.md). Both give the same cotangents.
    """
    foreign = foreign_trace_in(primals)
    if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
        return hand_over(foreign, vjp, fun, *primals, has_aux=has_aux, method=method)
    if method == "transpose":
        return vjp_by_transposition(fun, primals, has_aux)
    if method != "tape":
        raise ArgumentError(f"vjp: method={method!r}; use 'tape' (the default) or 'transpose'.")
    return _reverse(fun, primals, has_aux, "vjp")


class _Recording:
    """The forward pass of reverse mode: the finished tape, its inputs and its outputs."""

    __slots__ = ("aux", "flat_out", "in_tree", "inputs", "out_tree", "primals_out", "trace")

    def __init__(self, fun: Callable, primals: tuple, has_aux: bool, transform: str):
        flat_primals, self.in_tree = tree_flatten(primals)
        with new_trace(ReverseTrace) as trace:
            inputs = trace.new_inputs(
                [as_float_input(p, transform, "input leaf", i) for i, p in enumerate(flat_primals)]
            )
            result = fun(*tree_unflatten(self.in_tree, inputs))
            self.aux = None
            if has_aux:
                result, aux = split_aux(result, transform)
                self.aux = _strip(trace, aux)
            self.flat_out, self.out_tree = tree_flatten(result)
            check_output(result, self.flat_out, transform)
            self.primals_out = [_primal_of(trace, o) for o in self.flat_out]
        self.trace, self.inputs = trace, inputs

    def pull_back(self, flat_cts: list, unit_seed: bool = False, last: bool = False):
        """The input cotangents (zeros for inputs the outputs don't depend on), as the input pytree.

        ``unit_seed``: the cotangents are ones (``grad``'s seed), which a compiled backward pass
        may then fold into its constants. ``last``: no pull back follows, so the eager pass frees
        each tape entry's values as it passes it. The arrays returned are the caller's own and
        writable (see :func:`.inputs.own_arrays`).
        """
        grads = compiled_backward.pull_back(self.trace, self.flat_out, flat_cts, self.inputs, unit_seed)
        if grads is None:
            grads = self.trace.backward(self.flat_out, flat_cts, self.inputs, release=last)
        grads = [_zeros_like(x) if g is None else g for g, x in zip(grads, self.inputs)]
        return tree_unflatten(self.in_tree, own_arrays(grads, flat_cts))


def _reverse(fun: Callable, primals: tuple, has_aux: bool, transform: str):
    """``vjp`` on behalf of ``transform`` (named in errors).

    The tape keeps its own copy of each input array, and the caller gets a copy of each output
    array: ``vjp_fn`` may be called long after, and the tape's rules read the inputs and outputs
    (``exp``'s VJP reads its output), so writing into either in between would change the
    derivative with no error. (Arrays the function closes over are read where they stand: change
    them only after the last call of ``vjp_fn``.)
    """
    with collector_paused():
        recording = _Recording(fun, tree_map(private_copy, primals), has_aux, transform)
    out_tree, primals_out = recording.out_tree, recording.primals_out

    def vjp_fn(cotangents):
        flat_cts, ct_tree = tree_flatten(cotangents)
        if ct_tree != out_tree:
            raise TransformError(f"vjp_fn: cotangent structure {ct_tree} differs from the output's {out_tree}")
        for i, (ct, primal) in enumerate(zip(flat_cts, primals_out)):
            refuse_complex_seed(ct, "vjp_fn", f"cotangent {i}", primal)
            if tuple(shape_of(ct)) != tuple(shape_of(primal)):
                raise ShapeError(
                    f"vjp_fn: cotangent {i} has shape {shape_of(ct)}, but the output has shape "
                    f"{shape_of(primal)}; give each cotangent the shape of its output."
                )
        flat_cts = [
            xp.asarray(c, dtype=dtype_of(p)) if not isinstance(c, Tracer) else c for c, p in zip(flat_cts, primals_out)
        ]
        with collector_paused():
            return recording.pull_back(flat_cts)

    out = tree_unflatten(out_tree, [private_copy(o) for o in primals_out])
    return (out, vjp_fn, recording.aux) if has_aux else (out, vjp_fn)


def value_and_grad(
    fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False
):
    """A function returning ``(fun(*args), gradient)``, or ``((value, aux), gradient)``.

    The gradient is with respect to the positional argument(s) ``argnums``; it
    has the structure of that argument (a tuple of them for a tuple of
    ``argnums``). ``fun`` must return a real scalar, or, with ``holomorphic=True``, a
    complex one of complex arguments, whose gradient is then ``f'(z)`` (JAX's convention,
    docs/complex.md; a real scalar of complex arguments has gradient ``df/dx - i df/dy``).
    """
    single = isinstance(argnums, int)
    argnum_tuple = argnums_as_tuple(argnums, "grad")

    def value_and_grad_fun(*args, **kwargs):
        positions = argnum_positions(argnum_tuple, argnums, len(args), "grad")
        if dask_chunks.dask_arrays_in((args, kwargs)):  # data in row chunks: spread over them (docs/dask.md)
            return dask_chunks.value_and_grad(value_and_grad, fun, argnums, has_aux, positions, args, kwargs)
        foreign = foreign_trace_in(args, kwargs)
        if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
            return hand_over(foreign, value_and_grad_fun, *args, **kwargs)
        chosen = tuple([args[a] for a in positions])

        def of_chosen(*diff_args):
            full = list(args)
            for argnum, value in zip(positions, diff_args):
                full[argnum] = value
            return fun(*full, **kwargs)

        # One pause of the collector over the forward and the backward pass; the seed is a one
        # of the output's dtype, so the checks ``vjp_fn`` makes of a user's cotangent are moot.
        with collector_paused():
            recording = _Recording(of_chosen, chosen, has_aux, "grad")
            out_tree, primals_out = recording.out_tree, recording.primals_out
            value = primals_out[0] if out_tree.node_type is None else tree_unflatten(out_tree, primals_out)
            _check_scalar(value, holomorphic)
            if holomorphic:
                _check_holomorphic_inputs(chosen)
            grads = recording.pull_back([like(value, xp.array(1, dtype_of(value)))], unit_seed=True, last=True)
            aux = recording.aux
            del recording  # the tape is freed while the collector is still paused: none of it to traverse
        grads = grads[0] if single else grads
        return ((value, aux) if has_aux else value), grads

    _wraps(value_and_grad_fun, fun, "value_and_grad")
    return value_and_grad_fun


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False):
    """The gradient of a scalar function, as a function of the same arguments.

    ``holomorphic=True`` differentiates a complex function of complex arguments: the result is
    ``f'(z)`` (see :func:`value_and_grad`).

    >>> import wengert, wengert.numpy as wnp
    >>> float(wengert.grad(lambda x: x ** 3)(2.0))
    12.0
    """
    value_and_grad_fun = value_and_grad(fun, argnums, has_aux, holomorphic)

    def grad_fun(*args, **kwargs):
        (value_or_pair, grads) = value_and_grad_fun(*args, **kwargs)
        return (grads, value_or_pair[1]) if has_aux else grads

    _wraps(grad_fun, fun, "grad")
    return grad_fun


def argnums_as_tuple(argnums, transform: str) -> tuple:
    """``argnums`` (an int or a sequence of ints) as a tuple, refused at once if it is neither."""
    argnum_tuple = (argnums,) if isinstance(argnums, int) else argnums
    if isinstance(argnum_tuple, (tuple, list)) and all(isinstance(a, (int, xp.integer)) for a in argnum_tuple):
        return tuple(int(a) for a in argnum_tuple)
    raise TransformError(
        f"{transform}: argnums={argnums!r} at {user_frame_summary()}; give the position of a positional argument "
        "(an int) or a tuple of them, e.g. argnums=(0, 2)."
    )


def argnum_positions(argnum_tuple: tuple, argnums, count: int, transform: str) -> tuple:
    """The positions ``argnum_tuple`` names among ``count`` positional arguments, negative ones counted from the end.

    Refused: a position past the arguments given (keyword arguments have none), and an argument
    named twice (``argnums=(0, 0)``, or ``(0, -2)`` of two): one value differentiated as two
    copies would leave all of its gradient in one and zeros in the other (JAX fails on it too).
    """
    for argnum in argnum_tuple:
        if not -count <= argnum < count:
            raise TransformError(
                f"{transform}: argnums={argnums} but the function was called with {count} positional "
                f"argument(s), at {user_frame_summary()}; pass the differentiated values positionally "
                "(keyword arguments are not differentiated)."
            )
    positions = tuple(a % count for a in argnum_tuple)
    if len(set(positions)) != len(positions):
        twice = next(p for p in positions if positions.count(p) > 1)
        raise TransformError(
            f"{transform}: argnums={argnums} names argument {twice} more than once, at {user_frame_summary()}; "
            "name each argument once (to use one gradient twice, repeat it in the result)."
        )
    return positions


def _check_scalar(value, holomorphic: bool = False) -> None:
    is_array = isinstance(value, (xp.ndarray, xp.generic))
    if is_array and value.shape == () and value.dtype.kind == "f" and not holomorphic:
        return
    if isinstance(value, (tuple, list, dict)):
        returned = f"a {type(value).__name__}"
    elif shape_of(value) != ():
        returned = f"an array of shape {shape_of(value)}"
    else:
        returned = None
    if returned:
        raise TransformError(
            f"grad: the function must return a scalar, but returned {returned}. "
            "Reduce it (e.g. .sum()), use has_aux=True for extra outputs, or use vjp / jacrev."
        )
    dtype = dtype_of(value)
    if holomorphic and dtype.kind != "c":
        raise DtypeError(
            f"grad with holomorphic=True: the function returned dtype {dtype}, at {user_frame_summary()}; a "
            "holomorphic function returns a complex value. Drop holomorphic=True for a real-valued function."
        )
    if dtype.kind == "c" and not holomorphic:
        raise DtypeError(
            f"grad: the function returned a complex value (dtype {dtype}), at {user_frame_summary()}; grad needs a "
            "real-valued output. For a holomorphic function pass holomorphic=True (the gradient is then f'(z)); "
            "for another complex-valued function use vjp directly, or grad of its real part (as JAX)."
        )
    if not is_float_dtype(dtype) and dtype.kind != "c":
        raise DtypeError(f"grad: the function returned dtype {dtype}; it must return a float")


def _check_holomorphic_inputs(chosen: tuple) -> None:
    """Refuse a real input to ``grad(..., holomorphic=True)`` (JAX does): its derivative would be a complex
    number for a real variable."""
    for i, leaf in enumerate(tree_flatten(chosen)[0]):
        if dtype_of(leaf).kind != "c":
            raise DtypeError(
                f"grad with holomorphic=True: input leaf {i} has dtype {dtype_of(leaf)}, at {user_frame_summary()}; "
                "a holomorphic derivative is taken in complex inputs. Pass it as complex (x + 0j), or drop "
                "holomorphic=True."
            )


def _primal_of(trace, value):
    if isinstance(value, ReverseTracer) and value._trace is trace:
        return value.primal
    return value


def _strip(trace, tree):
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [_primal_of(trace, leaf) for leaf in leaves])


def _wraps(wrapper, fun, transform: str) -> None:
    name = getattr(fun, "__name__", "function")
    wrapper.__name__ = f"{transform}({name})"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__doc__ = getattr(fun, "__doc__", None)
    wrapper.__wrapped__ = fun
