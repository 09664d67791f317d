"""The "backprop ninja" exercise as a test: wengert's gradients equal the hand-derived backward pass.

The makemore MLP's forward pass (embedding, linear, batch norm, tanh, linear,
cross-entropy) is written as a chain of small named steps, the way the classic
text breaks it up. Its backward pass is then derived by hand, one step at a
time, in plain NumPy: for ``y = f(x)`` the gradient ``dx`` is ``dy`` times the
local derivative, summed over every place ``x`` is used (and over the axes it
was broadcast along). wengert's gradient of every intermediate and every
parameter must equal that derivation to 1e-12 in float64, from both faces:

* the Tensor face: each intermediate calls ``retain_grad()`` and
  ``loss.backward()`` fills in ``.grad``;
* the functional face: ``wengert.grad`` over a plain function, with a zero
  *probe* added to each intermediate, so that the gradient with respect to
  the probe is the gradient with respect to the intermediate;

and PyTorch's, when it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert
import wengert.nn.functional as F
import wengert.numpy as wnp
from wengert import no_grad, tensor
from wengert.apps.datasets import load_names
from wengert.apps.diagnostics import layer_outputs
from wengert.apps.makemore import VOCABULARY_SIZE, MakemoreConfig, build_dataset, make_model

BATCH = 32
BLOCK_SIZE = 3
EMBEDDING = 10
HIDDEN = 64
EPSILON = 1e-5
TOLERANCE = 1e-12

INTERMEDIATES = (
    "logprobs",
    "probs",
    "counts",
    "counts_sum",
    "counts_sum_inv",
    "norm_logits",
    "logit_maxes",
    "logits",
    "h",
    "hpreact",
    "bnraw",
    "bnvar_inv",
    "bnvar",
    "bndiff2",
    "bndiff",
    "hprebn",
    "bnmeani",
    "embcat",
    "emb",
)
PARAMETERS = ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")


class WengertOps:
    """The reductions and functions the forward pass needs, from ``wengert.numpy`` (arrays, tracers, Tensors)."""

    tanh = staticmethod(wnp.tanh)
    exp = staticmethod(wnp.exp)
    log = staticmethod(wnp.log)

    @staticmethod
    def sum_keep(x, axis: int):
        return wnp.sum(x, axis=axis, keepdims=True)

    @staticmethod
    def max_keep(x, axis: int):
        return wnp.max(x, axis=axis, keepdims=True)

    @staticmethod
    def flatten_rows(x):
        return wnp.reshape(x, (x.shape[0], -1))


class TorchOps:
    """The same operations from PyTorch, for the comparison with PyTorch's autograd."""

    def __init__(self, torch):
        self.tanh, self.exp, self.log = torch.tanh, torch.exp, torch.log

    @staticmethod
    def sum_keep(x, axis: int):
        return x.sum(axis, keepdim=True)

    @staticmethod
    def max_keep(x, axis: int):
        return x.max(axis, keepdim=True).values

    @staticmethod
    def flatten_rows(x):
        return x.reshape(x.shape[0], -1)


def chunked_forward(params: dict, contexts: np.ndarray, targets: np.ndarray, ops, tap):
    """The loss, one small step per named intermediate; ``tap(name, value)`` sees (and may replace) each.

    The batch-norm variance divides by ``n - 1`` (Bessel's correction), as the
    classic text does; the mean of ``logprobs`` at the targets is the
    cross-entropy.
    """
    n = contexts.shape[0]
    emb = tap("emb", params["C"][contexts])
    embcat = tap("embcat", ops.flatten_rows(emb))
    hprebn = tap("hprebn", embcat @ params["W1"] + params["b1"])
    bnmeani = tap("bnmeani", ops.sum_keep(hprebn, 0) * (1.0 / n))
    bndiff = tap("bndiff", hprebn - bnmeani)
    bndiff2 = tap("bndiff2", bndiff**2)
    bnvar = tap("bnvar", ops.sum_keep(bndiff2, 0) * (1.0 / (n - 1)))
    bnvar_inv = tap("bnvar_inv", (bnvar + EPSILON) ** -0.5)
    bnraw = tap("bnraw", bndiff * bnvar_inv)
    hpreact = tap("hpreact", params["bngain"] * bnraw + params["bnbias"])
    h = tap("h", ops.tanh(hpreact))
    logits = tap("logits", h @ params["W2"] + params["b2"])
    logit_maxes = tap("logit_maxes", ops.max_keep(logits, 1))
    norm_logits = tap("norm_logits", logits - logit_maxes)
    counts = tap("counts", ops.exp(norm_logits))
    counts_sum = tap("counts_sum", ops.sum_keep(counts, 1))
    counts_sum_inv = tap("counts_sum_inv", counts_sum**-1)
    probs = tap("probs", counts * counts_sum_inv)
    logprobs = tap("logprobs", ops.log(probs))
    return -logprobs[np.arange(n), targets].mean()


def hand_derived_backward(params: dict, values: dict, contexts: np.ndarray, targets: np.ndarray) -> dict:
    """Every gradient of the loss, derived by hand from the last step back to the embedding table.

    ``values`` holds the forward intermediates. Each line is the chain rule for
    one step; where a forward step broadcast a value (a ``(1, H)`` row over the
    batch, a ``(n, 1)`` column over the vocabulary), its gradient sums over
    that axis; where a value is used twice, the two contributions add.
    """
    v = values
    n = contexts.shape[0]
    rows = np.arange(n)
    d = {}
    # loss = -mean_i logprobs[i, targets[i]]: only the picked entries matter, each with weight -1/n.
    d["logprobs"] = np.zeros_like(v["logprobs"])
    d["logprobs"][rows, targets] = -1.0 / n
    # logprobs = log(probs)
    d["probs"] = d["logprobs"] / v["probs"]
    # probs = counts * counts_sum_inv: counts_sum_inv is a column broadcast over the vocabulary.
    d["counts_sum_inv"] = (v["counts"] * d["probs"]).sum(axis=1, keepdims=True)
    d_counts_direct = v["counts_sum_inv"] * d["probs"]
    # counts_sum_inv = counts_sum ** -1
    d["counts_sum"] = -(v["counts_sum"] ** -2) * d["counts_sum_inv"]
    # counts_sum = counts.sum(1): every count in a row receives the row's gradient.
    d["counts"] = d_counts_direct + np.broadcast_to(d["counts_sum"], v["counts"].shape)
    # counts = exp(norm_logits): the derivative of exp is exp itself.
    d["norm_logits"] = v["counts"] * d["counts"]
    # norm_logits = logits - logit_maxes, with logit_maxes a column broadcast over the vocabulary.
    d["logit_maxes"] = -d["norm_logits"].sum(axis=1, keepdims=True)
    # logit_maxes = max(logits, 1): the gradient goes to the position of each row's maximum.
    argmax = v["logits"].argmax(axis=1)
    picked = np.zeros_like(v["logits"])
    picked[rows, argmax] = 1.0
    d["logits"] = d["norm_logits"] + picked * d["logit_maxes"]
    # logits = h @ W2 + b2
    d["h"] = d["logits"] @ params["W2"].T
    d["W2"] = v["h"].T @ d["logits"]
    d["b2"] = d["logits"].sum(axis=0)
    # h = tanh(hpreact): tanh' = 1 - tanh^2.
    d["hpreact"] = (1.0 - v["h"] ** 2) * d["h"]
    # hpreact = bngain * bnraw + bnbias, with the (1, H) rows broadcast over the batch.
    d["bngain"] = (v["bnraw"] * d["hpreact"]).sum(axis=0, keepdims=True)
    d["bnbias"] = d["hpreact"].sum(axis=0, keepdims=True)
    d["bnraw"] = params["bngain"] * d["hpreact"]
    # bnraw = bndiff * bnvar_inv: bnvar_inv is a row broadcast over the batch.
    d["bnvar_inv"] = (v["bndiff"] * d["bnraw"]).sum(axis=0, keepdims=True)
    d_bndiff_direct = v["bnvar_inv"] * d["bnraw"]
    # bnvar_inv = (bnvar + eps) ** -0.5
    d["bnvar"] = -0.5 * (v["bnvar"] + EPSILON) ** -1.5 * d["bnvar_inv"]
    # bnvar = bndiff2.sum(0) / (n - 1)
    d["bndiff2"] = np.broadcast_to(d["bnvar"] / (n - 1), v["bndiff2"].shape)
    # bndiff2 = bndiff ** 2; bndiff is used twice (in bnraw and in bndiff2), so both paths add.
    d["bndiff"] = d_bndiff_direct + 2.0 * v["bndiff"] * d["bndiff2"]
    # bndiff = hprebn - bnmeani: bnmeani is a row broadcast over the batch.
    d["bnmeani"] = -d["bndiff"].sum(axis=0, keepdims=True)
    # bnmeani = hprebn.sum(0) / n; hprebn is used twice (in bndiff and in bnmeani).
    d["hprebn"] = d["bndiff"] + np.broadcast_to(d["bnmeani"] / n, v["hprebn"].shape)
    # hprebn = embcat @ W1 + b1
    d["embcat"] = d["hprebn"] @ params["W1"].T
    d["W1"] = v["embcat"].T @ d["hprebn"]
    d["b1"] = d["hprebn"].sum(axis=0)
    # embcat = emb.reshape(n, -1): a reshape passes gradients through unchanged.
    d["emb"] = d["embcat"].reshape(v["emb"].shape)
    # emb = C[contexts]: row contexts[i, j] of C was copied to emb[i, j], so its gradient is scattered
    # back there and added up over every place that character occurs.
    d["C"] = np.zeros_like(params["C"])
    for i in range(n):
        for j in range(contexts.shape[1]):
            d["C"][contexts[i, j]] += d["emb"][i, j]
    return d


@pytest.fixture(scope="module")
def problem():
    """Parameters (non-standard initialisation, so no gradient is trivially zero) and a batch of real names."""
    rng = np.random.default_rng(2024)
    contexts, targets = build_dataset(load_names()[:500], BLOCK_SIZE)
    batch = rng.choice(contexts.shape[0], size=BATCH, replace=False)
    params = {
        "C": rng.standard_normal((VOCABULARY_SIZE, EMBEDDING)),
        "W1": rng.standard_normal((BLOCK_SIZE * EMBEDDING, HIDDEN)) * (5 / 3) / (BLOCK_SIZE * EMBEDDING) ** 0.5,
        "b1": rng.standard_normal(HIDDEN) * 0.1,
        "W2": rng.standard_normal((HIDDEN, VOCABULARY_SIZE)) * 0.1,
        "b2": rng.standard_normal(VOCABULARY_SIZE) * 0.1,
        "bngain": rng.standard_normal((1, HIDDEN)) * 0.1 + 1.0,
        "bnbias": rng.standard_normal((1, HIDDEN)) * 0.1,
    }
    return params, contexts[batch], targets[batch]


@pytest.fixture(scope="module")
def forward_values(problem):
    """The loss and every intermediate, on plain NumPy arrays."""
    params, contexts, targets = problem
    values = {}

    def record(name, value):
        values[name] = value
        return value

    loss = chunked_forward(params, contexts, targets, WengertOps, record)
    return loss, values


@pytest.fixture(scope="module")
def hand_gradients(problem, forward_values):
    params, contexts, targets = problem
    return hand_derived_backward(params, forward_values[1], contexts, targets)


@pytest.fixture(scope="module")
def tensor_face_gradients(problem):
    """Gradients from ``loss.backward()`` with ``retain_grad()`` on every intermediate."""
    params, contexts, targets = problem
    leaves = {name: tensor(value, requires_grad=True) for name, value in params.items()}
    kept = {}

    def retain(name, value):
        value.retain_grad()
        kept[name] = value
        return value

    loss = chunked_forward(leaves, contexts, targets, WengertOps, retain)
    loss.backward()
    return {name: value.grad.numpy() for name, value in {**kept, **leaves}.items()}


@pytest.fixture(scope="module")
def functional_face_gradients(problem, forward_values):
    """Gradients from ``wengert.grad`` over a plain function, with a zero probe on each intermediate."""
    params, contexts, targets = problem
    probes = {name: np.zeros_like(value) for name, value in forward_values[1].items()}

    def loss(params, probes):
        return chunked_forward(params, contexts, targets, WengertOps, lambda name, value: value + probes[name])

    parameter_grads, probe_grads = wengert.grad(loss, argnums=(0, 1))(params, probes)
    return {**probe_grads, **parameter_grads}


@pytest.fixture(scope="module")
def torch_gradients(problem):
    torch = pytest.importorskip("torch")
    params, contexts, targets = problem
    leaves = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    kept = {}

    def retain(name, value):
        value.retain_grad()
        kept[name] = value
        return value

    loss = chunked_forward(leaves, torch.from_numpy(contexts), torch.from_numpy(targets), TorchOps(torch), retain)
    loss.backward()
    return {name: value.grad.numpy() for name, value in {**kept, **leaves}.items()}


def assert_same_gradient(actual, expected, name: str) -> None:
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE, atol=TOLERANCE, err_msg=f"d{name}")
    assert np.shape(actual) == np.shape(expected), f"d{name} has shape {np.shape(actual)}"


def test_the_chunked_loss_is_the_cross_entropy(forward_values, problem):
    loss, values = forward_values
    _, _, targets = problem
    logits = values["logits"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert loss == pytest.approx(-log_softmax[np.arange(BATCH), targets].mean(), rel=1e-14)


def test_the_hand_derivation_covers_every_intermediate_and_parameter(hand_gradients):
    assert set(hand_gradients) == set(INTERMEDIATES) | set(PARAMETERS)


@pytest.mark.parametrize("name", INTERMEDIATES + PARAMETERS)
def test_tensor_face_gradient_equals_the_hand_derived_one(name, tensor_face_gradients, hand_gradients):
    assert_same_gradient(tensor_face_gradients[name], hand_gradients[name], name)


@pytest.mark.parametrize("name", INTERMEDIATES + PARAMETERS)
def test_functional_face_gradient_equals_the_hand_derived_one(name, functional_face_gradients, hand_gradients):
    assert_same_gradient(functional_face_gradients[name], hand_gradients[name], name)


@pytest.mark.parametrize("name", INTERMEDIATES + PARAMETERS)
def test_pytorch_gradient_equals_the_hand_derived_one(name, torch_gradients, hand_gradients):
    assert_same_gradient(torch_gradients[name], hand_gradients[name], name)


def test_the_makemore_model_built_from_nn_layers_has_the_hand_derived_gradients(
    problem, forward_values, hand_gradients
):
    """``wengert.apps.makemore.make_model`` (nn.Embedding, Linear, BatchNorm1d with Bessel's correction, Tanh, Linear).

    Given the same weights (``nn.Linear`` stores ``W`` transposed; its first
    layer has no bias, which batch norm's mean subtraction cancels anyway), its
    loss and the gradients ``loss.backward()`` leaves in the parameters and in
    the tanh output are the hand-derived ones.
    """
    params, contexts, targets = problem
    model = make_model(MakemoreConfig(hidden=HIDDEN), np.random.default_rng(0))
    embedding, first, batch_norm, last = model[0], model[2], model[3], model[5]
    assert batch_norm.correction == 1 and batch_norm.eps == EPSILON and first.bias is None
    with no_grad():
        embedding.weight.copy_(params["C"])
        first.weight.copy_(params["W1"].T)
        batch_norm.weight.copy_(params["bngain"].ravel())
        batch_norm.bias.copy_(params["bnbias"].ravel())
        last.weight.copy_(params["W2"].T)
        last.bias.copy_(params["b2"])
    outputs = layer_outputs(model, contexts)
    loss = F.cross_entropy(outputs["output"], targets)
    assert loss.item() == pytest.approx(float(forward_values[0]), rel=1e-13)
    loss.backward()
    assert_same_gradient(outputs["layer 4 (Tanh)"].grad.numpy(), hand_gradients["h"], "h")
    for parameter, name, layout in [
        (embedding.weight, "C", lambda g: g),
        (first.weight, "W1", np.transpose),
        (batch_norm.weight, "bngain", np.ravel),
        (batch_norm.bias, "bnbias", np.ravel),
        (last.weight, "W2", np.transpose),
        (last.bias, "b2", lambda g: g),
    ]:
        assert_same_gradient(parameter.grad.numpy(), layout(hand_gradients[name]), name)


def test_the_cross_entropy_backward_collapses_to_softmax_minus_one_hot(hand_gradients, forward_values, problem):
    """The many steps from the loss back to ``logits`` add up to ``(softmax(logits) - one_hot(targets)) / n``."""
    _, values = forward_values
    _, _, targets = problem
    expected = values["probs"].copy()
    expected[np.arange(BATCH), targets] -= 1.0
    assert_same_gradient(hand_gradients["logits"], expected / BATCH, "logits")


def test_the_batch_norm_backward_collapses_to_one_formula(hand_gradients, forward_values, problem):
    """The steps from ``hpreact`` back to ``hprebn`` add up to the closed form of batch norm's gradient.

    With ``g = bngain * dhpreact``, ``x̂ = bnraw`` and Bessel's ``n - 1`` in the
    variance: ``dhprebn = bnvar_inv / n * (n g - sum(g) - n/(n-1) x̂ sum(g x̂))``.
    """
    params, _, _ = problem
    _, values = forward_values
    g = params["bngain"] * hand_gradients["hpreact"]
    xhat = values["bnraw"]
    n = BATCH
    closed_form = (
        values["bnvar_inv"]
        / n
        * (n * g - g.sum(axis=0, keepdims=True) - n / (n - 1) * xhat * (g * xhat).sum(axis=0, keepdims=True))
    )
    assert_same_gradient(hand_gradients["hprebn"], closed_form, "hprebn")
