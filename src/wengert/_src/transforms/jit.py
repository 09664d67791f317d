"""``jit``: stage a function once per input signature, optimise it, compile it to NumPy source, cache it.

A call of a jitted function looks up its *signature*: the pytree structure
of the arguments, the shape and dtype of every array leaf, and the values of
the static arguments. The first call with a signature stages the function
(:mod:`~wengert._src.transforms.stage`, values hidden, so a program serves
every argument of that signature), optimises the program
(:mod:`~wengert._src.compile.optimize`), compiles it to Python/NumPy
source (:mod:`~wengert._src.compile.codegen`) and caches the compiled function;
later calls with the same signature run the compiled function directly.
A Python number argument is weakly typed, as NumPy 2 promotes it: its
signature holds its type, and the program keeps it a Python number
(:mod:`~wengert._src.transforms.python_numbers`), so ``jit(f)(x32, 0.1)`` has
the dtype ``f(x32, 0.1)`` has. The cache keeps :data:`_CACHE_SIZE` signatures,
and the work buffers of the :data:`_BUFFERED` used last.

Python control flow on a staged value (``if x > 0``, ``float(x)``) raises
:class:`~wengert.errors.TracerError` at the user's line: mark the argument
static, or use ``wengert.lax.cond`` / ``while_loop`` / ``scan`` or
``wengert.numpy.where``.

Inside another transform (``grad(jit(f))``, ``jvp(jit(f))``, ``jit`` within
``jit``), the arguments are tracers: the function is staged and optimised the
same way (cached by the same signature), and the optimised program is *run
by binding* each equation on the tracers, so the outer transform sees
ordinary primitives and differentiates or stages them as usual. Under
``vmap`` an argument holds a whole batch, with no single example to stage
from, so ``jit`` runs ``f`` as it is and ``vmap`` batches its operations.
``jit(grad(f))`` and ``jit(vmap(f))`` simply stage the transformed function
and compile it.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Sequence

from wengert.errors import TracerError, TransformError

from ..backend import xp
from ..compile.codegen import compile_program, release_buffers
from ..compile.optimize import optimize
from ..core.ir import Program
from ..core.primitive import Tracer
from ..core.pytree import tree_flatten, tree_unflatten
from ..distributed import dask_chunks
from .batching import BatchTracer
from .foreign_arrays import foreign_trace, hand_over
from .python_numbers import PYTHON_NUMBERS
from .stage import StagedTracer, WeakStagedTracer, stage, staging_argument

_CACHE_SIZE = 256
"""Signatures a jitted function keeps compiled; beyond, the least recently used is dropped."""
_BUFFERED = 4
"""Signatures a jitted function keeps work buffers for: the most recently used ones."""


class _Compiled:
    """One cache entry: the optimised program, its compiled function and source."""

    __slots__ = ("captures_tracers", "function", "name", "out_tree", "program", "source")

    def __init__(self, program: Program, name: str):
        self.program = program
        self.name = name
        self.captures_tracers = any(isinstance(c, Tracer) for c in program.consts)
        self.out_tree = program.out_tree
        self.function = None
        self.source = None

    def compiled(self):
        if self.function is None:
            self.function, self.source = compile_program(self.program, name=self.name, floats=True)
        return self.function

    def release_buffers(self) -> None:
        if self.function is not None:
            release_buffers(self.function)


class JittedFunction:
    """The function ``jit(fun)`` returns: call it like ``fun``; inspect its cache.

    Attributes beyond calling: :meth:`lower` (the optimised program for some
    arguments), :meth:`source` (its generated source), :meth:`cache_size`,
    :meth:`clear_cache`.
    """

    def __init__(self, fun: Callable, static_argnums: Sequence[int], static_argnames: Sequence[str]):
        self.fun = fun
        self.static_argnums = frozenset(static_argnums)
        self.static_argnames = frozenset(static_argnames)
        self._cache: dict = {}
        self._last = None
        self._buffered: list[_Compiled] = []
        self._lock = threading.Lock()
        functools.update_wrapper(self, fun)
        self.__name__ = f"jit({getattr(fun, '__name__', 'function')})"
        self.__qualname__ = self.__name__

    # --- calling --------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        key, leaves, static_args, static_kwargs = self._signature(args, kwargs)
        if dask_chunks.any_dask_array(leaves):  # data in row chunks: spread over them (docs/dask.md)
            return dask_chunks.jit(jit, self.fun, self.static_argnums, self.static_argnames, args, kwargs)
        foreign = foreign_trace(leaves)
        if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
            return hand_over(foreign, self, *args, **kwargs)
        if any(_batched(leaf) for leaf in leaves):
            return self.fun(*args, **kwargs)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._stage(key, leaves, static_args, static_kwargs)
        if entry.captures_tracers or any(isinstance(leaf, Tracer) for leaf in leaves):
            return tree_unflatten(entry.out_tree, entry.program.run_flat(leaves))
        if entry is not self._last:
            self._switch_to(key, entry)
        return tree_unflatten(entry.out_tree, entry.compiled()(*leaves))

    def lower(self, *args, **kwargs) -> Program:
        """The optimised :class:`Program` this function runs for arguments like ``args``."""
        return self._entry(args, kwargs).program

    def source(self, *args, **kwargs) -> str:
        """The generated Python/NumPy source this function runs for arguments like ``args``."""
        entry = self._entry(args, kwargs)
        entry.compiled()
        return entry.source

    def cache_size(self) -> int:
        """How many signatures have been staged and compiled."""
        return len(self._cache)

    def clear_cache(self) -> None:
        """Forget every compiled signature, and the work buffers kept for them (the next call stages again)."""
        with self._lock:
            for entry in self._buffered:
                entry.release_buffers()
            self._buffered.clear()
            self._cache.clear()
            self._last = None

    def __get__(self, instance, owner=None):
        return self if instance is None else functools.partial(self, instance)

    def __repr__(self) -> str:
        return f"<{self.__name__}: {len(self._cache)} compiled signatures>"

    # --- the signature and the cache ------------------------------------------------------------------
    def _switch_to(self, key, entry: _Compiled) -> None:
        """A call runs ``entry``, not the one the last call ran: it becomes the most recently used
        signature (of the cache, and of the :data:`_BUFFERED` whose work buffers are kept; the
        buffers of the one this pushes out are let go)."""
        with self._lock:
            self._last = entry
            if self._cache.get(key) is entry:
                self._cache[key] = self._cache.pop(key)
            if entry in self._buffered:
                self._buffered.remove(entry)
            self._buffered.append(entry)
            while len(self._buffered) > _BUFFERED:
                self._buffered.pop(0).release_buffers()

    def _entry(self, args, kwargs) -> _Compiled:
        key, leaves, static_args, static_kwargs = self._signature(args, kwargs)
        entry = self._cache.get(key)
        return entry if entry is not None else self._stage(key, leaves, static_args, static_kwargs)

    def _signature(self, args: tuple, kwargs: dict):
        """``(key, dynamic leaves, static positional args, static keyword args)`` of one call."""
        static_args = {}
        dynamic_args = []
        for position, arg in enumerate(args):
            if position in self.static_argnums or position - len(args) in self.static_argnums:
                static_args[position] = arg
            else:
                dynamic_args.append(arg)
        static_kwargs = {k: v for k, v in kwargs.items() if k in self.static_argnames}
        dynamic_kwargs = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        leaves, tree = tree_flatten((tuple(dynamic_args), dynamic_kwargs))
        types = []
        for leaf in leaves:
            if leaf.__class__ is xp.ndarray:  # the common case, first
                types.append((leaf.shape, leaf.dtype))
            elif leaf.__class__ in PYTHON_NUMBERS or isinstance(leaf, WeakStagedTracer):
                types.append((type(staging_argument(leaf)).__name__,))  # weakly typed: 2.0, 2 and True differ
            elif hasattr(leaf, "shape") and hasattr(leaf, "dtype"):
                types.append((tuple(leaf.shape), leaf.dtype))
            else:
                raise _not_an_array_leaf(leaf, self.__name__)
        try:
            key = (
                tree,
                tuple(types),
                tuple(sorted(static_args.items())),
                tuple(sorted(static_kwargs.items())),
                len(args),
            )
            hash(key)
        except TypeError as error:
            raise TransformError(
                f"{self.__name__}: a static argument is not hashable ({error}); static arguments are part of "
                "the cache key. Pass arrays as ordinary (dynamic) arguments, and make static ones "
                "hashable (tuples instead of lists)."
            ) from None
        return key, leaves, static_args, static_kwargs

    def _stage(self, key, leaves: list, static_args: dict, static_kwargs: dict) -> _Compiled:
        tree = key[0]
        total = key[4]

        def flat_fun(*flat):
            dynamic_args, dynamic_kwargs = tree_unflatten(tree, flat)
            dynamic = iter(dynamic_args)
            full = [static_args[i] if i in static_args else next(dynamic) for i in range(total)]
            return self.fun(*full, **dynamic_kwargs, **static_kwargs)

        flat_args = [staging_argument(leaf) for leaf in leaves]
        program = stage(flat_fun, flat_args, values_visible=False, purpose="jit", weak_numbers=True)
        program = Program(
            program.invars,
            program.equations,
            program.outvars,
            constvars=program.constvars,
            consts=program.consts,
            in_tree=tree.children[0] if tree.children[1].num_leaves == 0 else tree,
            out_tree=program.out_tree,
        )
        entry = _Compiled(optimize(program), _identifier(self.fun))
        if not entry.captures_tracers:  # a program holding an outer transform's values serves this call only
            with self._lock:
                self._cache[key] = entry
                while len(self._cache) > _CACHE_SIZE:
                    self._forget(next(iter(self._cache)))
        return entry

    def _forget(self, key) -> None:
        """Drop the signature ``key`` (its work buffers, its compiled function, its source in ``linecache``)."""
        entry = self._cache.pop(key)
        if entry in self._buffered:
            self._buffered.remove(entry)
            entry.release_buffers()
        if entry is self._last:
            self._last = None


def jit(
    fun: Callable | None = None, static_argnums: int | Sequence[int] = (), static_argnames: str | Sequence[str] = ()
):
    """``fun`` staged, optimised and compiled to NumPy source once per input signature.

    ``static_argnums`` / ``static_argnames`` name arguments passed to ``fun`` as
    they are (Python numbers, flags, shapes, strings); they must be hashable and
    each distinct value compiles anew. Every other argument is a pytree of
    arrays, known while staging by shape and dtype only. Usable as a decorator,
    with or without arguments.

    >>> import numpy as np, wengert, wengert.numpy as wnp
    >>> f = wengert.jit(lambda x: wnp.sum(wnp.tanh(x) ** 2))
    >>> float(f(np.zeros(3))), f.cache_size()
    (0.0, 1)
    >>> float(wengert.grad(f)(np.zeros(3))[0])
    0.0
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums, static_argnames=static_argnames)
    if not callable(fun):
        raise TransformError(f"jit: expected a function, got {type(fun).__name__}")
    argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    argnames = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    _check_static(fun, argnums, argnames)
    return JittedFunction(fun, argnums, argnames)


def _check_static(fun: Callable, argnums: tuple, argnames: tuple) -> None:
    """Refuse static argument positions or names that ``fun``'s signature does not have (a typo would
    otherwise silently make nothing static)."""
    try:
        parameters = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):  # a builtin or callable without a signature: nothing to check against
        return
    kinds = {p.kind for p in parameters}
    name = getattr(fun, "__name__", "function")
    positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    n = len(positional)
    outside = [i for i in argnums if not -n <= i < n]
    if outside and inspect.Parameter.VAR_POSITIONAL not in kinds:
        raise TransformError(
            f"jit({name}): static_argnums={argnums} but {name} takes {n} positional arguments "
            f"({', '.join(positional) or 'none'}); give positions in [{-n}, {n})."
        )
    named = {p.name for p in parameters if p.kind is not p.POSITIONAL_ONLY}
    unknown = [a for a in argnames if a not in named]
    if unknown and inspect.Parameter.VAR_KEYWORD not in kinds:
        raise TransformError(
            f"jit({name}): static_argnames={argnames} names {unknown}, which {name} has no parameter for; "
            f"its parameters are {sorted(named)}."
        )


def _batched(leaf) -> bool:
    """True if ``leaf`` carries a ``vmap`` batch (at any level): it has no single example value to stage."""
    while isinstance(leaf, Tracer):
        if isinstance(leaf, BatchTracer):
            return True
        if isinstance(leaf, StagedTracer):
            return False
        leaf = leaf.primal
    return False


def _not_an_array_leaf(leaf, name: str) -> TracerError:
    """The error for an argument leaf that is neither an array nor a Python number."""
    return TracerError(
        f"{name}: an argument leaf of type {type(leaf).__name__} is neither an array nor a number; "
        "pass it as a static argument (static_argnums=... or static_argnames=...)."
    )


def _identifier(fun) -> str:
    """A Python identifier for the generated function, from ``fun``'s name (``jitted_loss``)."""
    words = "".join(c if c.isalnum() else " " for c in getattr(fun, "__name__", "function")).split()
    return "_".join(["jitted", *words])
