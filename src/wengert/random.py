"""wengert's default random generator: ``wengert.manual_seed`` and what ``generator=`` arguments accept.

Everything random in wengert (initialising ``nn`` modules, dropout, shuffling
minibatches) draws from a NumPy ``Generator``. Each such function takes
``generator=``: a ``Generator`` (drawn from, so it advances), an int seed (a
fresh ``Generator`` from it), or ``None``, the default generator of this
module. ``manual_seed(s)`` replaces the default generator with one seeded by
``s``, as ``torch.manual_seed`` does, so that a script run twice draws the
same numbers:

>>> from wengert import nn
>>> _ = manual_seed(0)
>>> first = nn.Linear(2, 2).weight.detach().numpy().copy()
>>> _ = manual_seed(0)
>>> bool((nn.Linear(2, 2).weight.detach().numpy() == first).all())
True

The numbers differ from PyTorch's for the same seed: the generators differ.
``get_rng_state()`` and ``set_rng_state(state)`` save and restore the default
generator, as their PyTorch namesakes do (``wengert.checkpoint`` uses them to
draw the same numbers when it recomputes a block):

>>> state = get_rng_state()
>>> first = default_generator().random()
>>> set_rng_state(state)
>>> default_generator().random() == first
True
"""

from wengert._src.backend import xp
from wengert.errors import ArgumentError

__all__ = ["default_generator", "get_rng_state", "manual_seed", "resolve_generator", "set_rng_state"]

_default_generator = xp.random.default_rng()


def manual_seed(seed: int):
    """Seed the default generator (a new ``numpy.random.Generator``, PCG64) and return it."""
    global _default_generator
    _default_generator = xp.random.default_rng(seed)
    return _default_generator


def default_generator():
    """The generator that functions given ``generator=None`` draw from."""
    return _default_generator


def get_rng_state() -> tuple:
    """The default generator and its state: what :func:`set_rng_state` restores (an opaque value)."""
    return _default_generator, _default_generator.bit_generator.state


def set_rng_state(state: tuple) -> None:
    """Make the default generator what it was when :func:`get_rng_state` returned ``state``.

    The same generator object becomes the default again (``manual_seed`` may have replaced
    it since), in the state it had then.
    """
    global _default_generator
    generator, bit_state = state
    generator.bit_generator.state = bit_state
    _default_generator = generator


def resolve_generator(generator=None):
    """The ``Generator`` a ``generator=`` argument names: itself, a new one from a seed, or the default."""
    if generator is None:
        return _default_generator
    if isinstance(generator, xp.random.Generator):
        return generator
    if isinstance(generator, (int, xp.integer)) and not isinstance(generator, bool):
        return xp.random.default_rng(int(generator))
    raise ArgumentError(
        f"generator must be a numpy.random.Generator, an int seed or None, got {type(generator).__name__}; "
        "create one with numpy.random.default_rng(seed)."
    )
