"""The random number generators a function can draw from, captured so that a second run draws the same numbers.

``checkpoint`` runs a function twice: once in the forward pass and again in the
backward pass. A function that draws random numbers (dropout) must draw the same
ones both times, or the backward pass differentiates a different function (a
different mask) and the gradient is silently wrong. PyTorch's checkpoint restores
its global generators for the recomputation; :class:`RandomStates` does so for
every source of randomness Python code reaches here:

* NumPy's global generator (``np.random.random``, ``np.random.seed``) and Python's
  (``random.random``);
* wengert's default generator (``wengert.manual_seed``, which ``nn.Dropout``,
  ``nn.functional.dropout`` and ``wengert.randn`` draw from), even when ``manual_seed``
  has replaced it since;
* every ``numpy.random.Generator`` (by its bit generator) and ``RandomState`` that the
  function reaches: passed as an argument, closed over, a default argument, a global
  its code names, or an attribute of an object it calls (a ``Dropout`` layer's
  ``generator``), within a bounded search of :data:`SEARCH_LIMIT` objects.

A generator the search cannot see (one made inside the function from the clock or
the operating system's entropy, or one reached only through a method's attribute
look-ups on an object the search does not walk) is not restored; ``checkpoint``
then finds the recomputation's outputs differ from the forward pass's and says so.
"""

from __future__ import annotations

import random
import types
from contextlib import contextmanager
from functools import partial

import wengert.random as wengert_random

from ..backend import xp
from ..core.primitive import Tracer

SEARCH_LIMIT = 4096
"""How many objects the search for generators visits at most, from a function and its arguments."""

_LEAVES = (str, bytes, int, float, complex, type, types.ModuleType, types.BuiltinFunctionType, xp.ndarray, xp.generic)


class RandomStates:
    """The states of the global generators and of ``sources``, as they were when captured."""

    __slots__ = ("_default", "_numpy_global", "_python_global", "_states")

    def __init__(self, sources: list):
        self._numpy_global = xp.random.get_state(legacy=False)
        self._python_global = random.getstate()
        self._default = wengert_random.get_rng_state()
        self._states = [(source, _state_of(source)) for source in sources]

    @classmethod
    def reachable_from(cls, roots: tuple) -> RandomStates:
        """The states of the global generators and of every generator ``roots`` reach (a function, its arguments)."""
        return cls(_reachable_generators(roots))

    @contextmanager
    def replayed(self):
        """Within the block, every generator is as it was when captured; after it, as it was before the block.

        The second run draws the first run's numbers, and the block leaves no trace on the
        generators' later draws (as PyTorch's checkpoint forks its generators around the
        recomputation).
        """
        now = RandomStates([source for source, _ in self._states])
        self._restore()
        try:
            yield
        finally:
            now._restore()

    def _restore(self) -> None:
        xp.random.set_state(self._numpy_global)
        random.setstate(self._python_global)
        wengert_random.set_rng_state(self._default)
        for source, state in self._states:
            _set_state(source, state)


def _state_of(source):
    return source.get_state(legacy=False) if isinstance(source, xp.random.RandomState) else source.state


def _set_state(source, state) -> None:
    if isinstance(source, xp.random.RandomState):
        source.set_state(state)
    else:
        source.state = state


def _reachable_generators(roots: tuple) -> list:
    """The bit generators (of ``Generator`` objects) and ``RandomState`` objects that ``roots`` reach.

    A breadth-first search over what a call can read: a function's closure cells, defaults and
    the globals its code names; a bound method's object; a partial's function and arguments;
    containers' items; an object's attributes and the functions of its class. At most
    :data:`SEARCH_LIMIT` objects are visited.
    """
    found: dict[int, object] = {}
    seen: set[int] = set()
    queue = list(roots)
    visited = 0
    while visited < len(queue) and visited < SEARCH_LIMIT:
        obj = queue[visited]
        visited += 1
        if id(obj) in seen or isinstance(obj, _LEAVES) or obj is None:
            continue
        seen.add(id(obj))
        if isinstance(obj, xp.random.Generator):
            found.setdefault(id(obj.bit_generator), obj.bit_generator)
        elif isinstance(obj, (xp.random.BitGenerator, xp.random.RandomState)):
            found.setdefault(id(obj), obj)
        else:
            queue.extend(_references(obj))
    return list(found.values())


def _references(obj) -> list:
    """What a call of (or through) ``obj`` may read, one step away."""
    if isinstance(obj, types.FunctionType):
        return _function_references(obj)
    if isinstance(obj, types.MethodType):
        return [obj.__self__, obj.__func__]
    if isinstance(obj, partial):
        return [obj.func, *obj.args, *obj.keywords.values()]
    if isinstance(obj, dict):
        return list(obj.values())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, Tracer):
        return []
    attributes = getattr(obj, "__dict__", None)
    if attributes is None:
        return []
    methods = [f for f in vars(type(obj)).values() if isinstance(f, types.FunctionType)]
    return [*attributes.values(), *methods]


def _function_references(fun: types.FunctionType) -> list:
    cells = []
    for cell in fun.__closure__ or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # a cell not yet filled
            continue
    named_globals = [fun.__globals__[name] for name in _global_names(fun.__code__) if name in fun.__globals__]
    defaults = [*(fun.__defaults__ or ()), *(fun.__kwdefaults__ or {}).values()]
    return [*cells, *defaults, *named_globals, *vars(fun).values()]


def _global_names(code: types.CodeType) -> set[str]:
    """The names ``code`` and the functions defined in it look up (globals among them)."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _global_names(constant)
    return names
