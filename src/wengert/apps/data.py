"""Minibatches for training: a seeded shuffled iterator over arrays, and random batches with replacement.

Both draw from a NumPy ``Generator`` (``generator=``: a ``Generator``, an int
seed, or ``None`` for wengert's default generator, see
:func:`wengert.manual_seed`), so a training run repeats exactly. They index
each array along its first axis, so NumPy arrays and ``wengert.Tensor`` s
work alike.

>>> import numpy as np
>>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
>>> [yb.tolist() for xb, yb in minibatches(x, y, batch_size=2, generator=0)]
[[2, 4], [3, 0], [1]]
>>> [yb.tolist() for xb, yb in minibatches(x, y, batch_size=2, shuffle=False, drop_last=True)]
[[0, 1], [2, 3]]
"""

from collections.abc import Iterator

from wengert._src.backend import xp
from wengert.errors import ArgumentError, ShapeError
from wengert.random import resolve_generator

__all__ = ["Minibatches", "minibatches", "sample_batch"]


def _common_length(arrays: tuple, op: str) -> int:
    """The length of the first axis that every array shares."""
    if not arrays:
        raise ArgumentError(f"{op}: pass at least one array to draw batches from.")
    lengths = [len(array) for array in arrays]
    if len(set(lengths)) != 1:
        raise ShapeError(
            f"{op}: the arrays must have the same length along their first axis, got {lengths}; "
            "each batch takes the same rows from every array."
        )
    return lengths[0]


def _check_batch_size(batch_size, op: str) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, xp.integer)) or batch_size < 1:
        raise ArgumentError(f"{op}: batch_size must be a positive int, got {batch_size!r}")
    return int(batch_size)


class Minibatches:
    """One pass over ``arrays`` in batches of ``batch_size`` rows per iteration; ``len`` is the batch count.

    Each ``iter`` draws a new permutation from the generator when shuffling,
    so successive epochs differ and the whole sequence of epochs repeats
    from the same seed. With ``drop_last`` a last, smaller batch is skipped.
    """

    def __init__(self, arrays: tuple, batch_size: int, shuffle: bool, generator, drop_last: bool):
        self.arrays = arrays
        self.length = _common_length(arrays, "minibatches")
        self.batch_size = _check_batch_size(batch_size, "minibatches")
        self.shuffle = shuffle
        self.generator = resolve_generator(generator) if shuffle else None
        self.drop_last = drop_last

    def __len__(self) -> int:
        full, rest = divmod(self.length, self.batch_size)
        return full if self.drop_last or not rest else full + 1

    def __iter__(self) -> Iterator[tuple]:
        order = self.generator.permutation(self.length) if self.shuffle else xp.arange(self.length)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            rows = order[start : start + self.batch_size]
            yield tuple(array[rows] for array in self.arrays)

    def __repr__(self) -> str:
        return (
            f"Minibatches(rows={self.length}, batch_size={self.batch_size}, batches={len(self)}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


def minibatches(*arrays, batch_size: int, shuffle: bool = True, generator=None, drop_last: bool = False):
    """Batches of the same rows of every array, each batch a tuple with one entry per array.

    A :class:`Minibatches`: iterate it once per epoch; ``len()`` gives the
    number of batches (for a progress bar).
    """
    return Minibatches(arrays, batch_size, shuffle, generator, drop_last)


def sample_batch(*arrays, batch_size: int, generator=None) -> tuple:
    """``batch_size`` rows drawn uniformly with replacement, the same rows from every array.

    The indices are ``generator.integers(0, n, batch_size)``, as the makemore
    text draws them with ``torch.randint``.

    >>> import numpy as np
    >>> x = np.arange(6)
    >>> sample_batch(x, x * 10, batch_size=3, generator=1)
    (array([2, 3, 4]), array([20, 30, 40]))
    """
    length = _common_length(arrays, "sample_batch")
    rows = resolve_generator(generator).integers(0, length, _check_batch_size(batch_size, "sample_batch"))
    return tuple(array[rows] for array in arrays)
