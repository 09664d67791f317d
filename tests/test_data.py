"""Specification of ``wengert.data``: seeded minibatches that repeat exactly, and random batches with replacement."""

import doctest

import numpy as np
import pytest

import wengert
import wengert.apps.data
import wengert.data
import wengert.random
from wengert import Tensor, tensor
from wengert.data import minibatches, sample_batch
from wengert.errors import ArgumentError, ShapeError


def _rows(batches) -> list[list[int]]:
    return [batch[0].tolist() for batch in batches]


def test_the_same_seed_gives_the_same_batches():
    x = np.arange(23)
    assert _rows(minibatches(x, batch_size=5, generator=7)) == _rows(minibatches(x, batch_size=5, generator=7))


def test_different_seeds_give_different_orders():
    x = np.arange(50)
    assert _rows(minibatches(x, batch_size=50, generator=1)) != _rows(minibatches(x, batch_size=50, generator=2))


def test_an_epoch_visits_every_row_once():
    x = np.arange(23)
    rows = [row for batch in _rows(minibatches(x, batch_size=5, generator=0)) for row in batch]
    assert sorted(rows) == list(range(23))


def test_batches_take_the_same_rows_from_every_array():
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10) * 10
    for xb, yb in minibatches(x, y, batch_size=3, generator=3):
        np.testing.assert_array_equal(xb[:, 0] * 5, yb)


def test_the_last_batch_is_smaller_or_dropped():
    x = np.arange(10)
    assert [len(b) for b in _rows(minibatches(x, batch_size=4, generator=0))] == [4, 4, 2]
    assert [len(b) for b in _rows(minibatches(x, batch_size=4, generator=0, drop_last=True))] == [4, 4]
    assert len(minibatches(x, batch_size=4)) == 3
    assert len(minibatches(x, batch_size=4, drop_last=True)) == 2
    assert len(minibatches(x, batch_size=5)) == 2


def test_without_shuffle_the_order_is_the_arrays_order():
    assert _rows(minibatches(np.arange(5), batch_size=2, shuffle=False)) == [[0, 1], [2, 3], [4]]


def test_successive_epochs_differ_and_repeat_from_the_seed():
    def two_epochs(seed):
        batches = minibatches(np.arange(30), batch_size=30, generator=seed)
        return _rows(batches), _rows(batches)

    first, second = two_epochs(5)
    assert first != second
    assert two_epochs(5) == (first, second)


def test_a_generator_object_is_drawn_from():
    x = np.arange(12)
    expected = np.random.default_rng(4).permutation(12)
    got = [row for batch in _rows(minibatches(x, batch_size=5, generator=np.random.default_rng(4))) for row in batch]
    assert got == expected.tolist()


def test_manual_seed_makes_the_default_generator_repeat():
    wengert.random.manual_seed(11)
    first = _rows(minibatches(np.arange(9), batch_size=4))
    wengert.random.manual_seed(11)
    assert _rows(minibatches(np.arange(9), batch_size=4)) == first


def test_arrays_of_different_lengths_are_refused():
    with pytest.raises(ShapeError, match=r"same length.*\[3, 4\]"):
        minibatches(np.zeros(3), np.zeros(4), batch_size=2)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_a_batch_size_that_is_not_a_positive_int_is_refused(batch_size):
    with pytest.raises(ArgumentError, match="batch_size"):
        minibatches(np.zeros(3), batch_size=batch_size)


def test_no_arrays_is_refused():
    with pytest.raises(ArgumentError, match="at least one array"):
        minibatches(batch_size=2)


def test_sample_batch_draws_indices_with_replacement_like_randint():
    x = np.arange(100)
    (batch,) = sample_batch(x, batch_size=32, generator=9)
    np.testing.assert_array_equal(batch, np.random.default_rng(9).integers(0, 100, 32))
    xb, yb = sample_batch(x, x * 2, batch_size=8, generator=1)
    np.testing.assert_array_equal(yb, xb * 2)


def test_sample_batch_repeats_from_a_seed_and_advances_a_generator():
    x = np.arange(1000)
    generator = np.random.default_rng(0)
    first, second = (
        sample_batch(x, batch_size=10, generator=generator),
        sample_batch(x, batch_size=10, generator=generator),
    )
    assert first[0].tolist() != second[0].tolist()
    replay = np.random.default_rng(0)
    assert sample_batch(x, batch_size=10, generator=replay)[0].tolist() == first[0].tolist()


def test_minibatches_index_tensors_too():
    x = tensor(np.arange(6.0))
    batches = list(minibatches(x, batch_size=4, shuffle=False))
    assert isinstance(batches[0][0], Tensor)
    assert batches[1][0].tolist() == [4.0, 5.0]


def test_the_examples_in_the_docstrings_run():
    assert doctest.testmod(wengert.apps.data).failed == 0
    assert doctest.testmod(wengert.data).failed == 0
