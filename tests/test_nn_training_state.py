"""What a training step changes besides the loss: running statistics, gradients' layout, the optimiser's writes.

These are the parts of an ``nn``/``optim`` step that run outside the graph, on
NumPy arrays directly (issue 16: the Tensor face at the functional path's
speed); each must keep the semantics of the checked, recorded path it replaces.
"""

import numpy as np
import pytest

import wengert
import wengert.nn.functional as F
from wengert import nn
from wengert.errors import ArgumentError, AutogradError
from wengert.optim import SGD

INTEGER_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16]


@pytest.mark.parametrize("dtype", INTEGER_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("classes", [5, 200], ids=["5-classes", "200-classes"])
def test_cross_entropy_checks_every_target_of_every_integer_type(dtype, classes):
    logits = np.random.default_rng(0).standard_normal((3, classes))
    good = np.array([0, min(classes - 1, np.iinfo(dtype).max), 1]).astype(dtype)
    want = -np.mean(F.log_softmax(logits, dim=1)[np.arange(3), good.astype(np.int64)])
    np.testing.assert_allclose(float(F.cross_entropy(logits, good)), want, rtol=1e-12)
    with pytest.raises(ArgumentError, match=f"target {classes} is out of range for {classes} classes"):
        F.cross_entropy(logits, np.array([0, classes, 1]))
    if np.dtype(dtype).kind == "i":
        with pytest.raises(ArgumentError, match=f"target -1 is out of range for {classes} classes"):
            F.cross_entropy(logits, np.array([0, -1, 1]).astype(dtype))


@pytest.mark.parametrize("dtype", INTEGER_DTYPES, ids=lambda d: np.dtype(d).name)
def test_embedding_refuses_negative_and_past_the_end_indices_of_every_integer_type(dtype):
    weight = np.arange(400.0).reshape(200, 2)
    last = min(199, np.iinfo(dtype).max)
    np.testing.assert_array_equal(F.embedding(np.array([0, last]).astype(dtype), weight), weight[[0, last]])
    if np.dtype(dtype).kind == "i":
        with pytest.raises(IndexError, match="index -1 is out of range for 200 embeddings"):
            F.embedding(np.array([3, -1]).astype(dtype), weight)
    if np.iinfo(dtype).max >= 200:
        with pytest.raises(IndexError, match="index 200 is out of range for 200 embeddings"):
            F.embedding(np.array([3, 200]).astype(dtype), weight)


def test_batch_norm_updates_its_running_statistics_in_place():
    layer = nn.BatchNorm1d(3, momentum=0.25, correction=1)
    mean_array, var_array = layer.running_mean.detach().numpy(), layer.running_var.detach().numpy()
    alias = layer.running_mean.detach()
    x = np.random.default_rng(1).standard_normal((8, 3))
    layer(wengert.tensor(x, requires_grad=True)).sum().backward()
    assert layer.running_mean.detach().numpy() is mean_array and layer.running_var.detach().numpy() is var_array
    np.testing.assert_allclose(mean_array, 0.25 * x.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(var_array, 0.75 + 0.25 * x.var(axis=0, ddof=1), rtol=1e-15)
    assert alias.tolist() == mean_array.tolist()  # the same storage, as PyTorch's buffers
    assert layer.num_batches_tracked.item() == 1


def test_running_statistics_that_require_grad_are_refused():
    x = wengert.tensor(np.ones((4, 3)), requires_grad=True)
    running_mean = wengert.tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(AutogradError, match="leaf tensor that requires grad"):
        F.batch_norm(x, running_mean, wengert.tensor(np.ones(3)), training=True)


def test_a_linear_weights_gradient_is_laid_out_as_the_weight():
    layer = nn.Linear(4, 3, generator=0)
    layer(wengert.tensor(np.ones((2, 4)))).sum().backward()
    gradient = layer.weight.grad.numpy()
    assert gradient.flags.c_contiguous and gradient.flags.owndata
    np.testing.assert_array_equal(gradient, np.full((3, 4), 2.0))


def test_sgd_refuses_a_read_only_parameter_as_add_does():
    array = np.ones(2)
    w = wengert.tensor(array, requires_grad=True)
    (w * w).sum().backward()
    w.detach().numpy().flags.writeable = False
    with pytest.raises(AutogradError, match="read-only"):
        SGD([w], lr=0.1).step()
