"""The makemore MLP training step, once as a model and once differentiated by hand.

This is the network of Karpathy's "makemore" lectures (part 4, "becoming a
backprop ninja"): a character-level language model that reads three
characters and predicts the fourth.

    emb     = C[Xb]                                   (n, 3, 10)
    hprebn  = emb.reshape(n, 30) @ W1 + b1            (n, 200)
    mean    = sum_i hprebn_i / n
    var     = sum_i (hprebn_i - mean)^2 / (n - 1)     (Bessel's correction)
    bnraw   = (hprebn - mean) * (var + 1e-5)^-1/2
    h       = tanh(bngain * bnraw + bnbias)
    logits  = h @ W2 + b2                             (n, 27)
    loss    = mean_i [ logsumexp(logits_i) - logits_i[Yb_i] ]

:func:`make_loss` writes that forward pass once against any NumPy-like
namespace (``wengert.numpy``, ``autograd.numpy``, ``jax.numpy``, ``torch``),
so every automatic implementation in the benchmark differentiates the very
same program. :func:`loss_and_grads` is the hand-written NumPy step the
benchmark measures them against: the forward pass plus the lecture's compact
backward formulas,

    dlogits = (softmax(logits) - onehot(Yb)) / n
    dhprebn = bngain * bnvar_inv / n
              * (n * dhpreact - sum_i dhpreact_i - n/(n-1) * bnraw * sum_i dhpreact_i * bnraw_i)
    dC      = scatter-add of demb into the rows Xb      (np.add.at)

``tests/test_benchmarks_reference.py`` holds it equal to wengert's gradient.
"""

from __future__ import annotations

import numpy as np

VOCAB_SIZE = 27
BLOCK_SIZE = 3
EMBED_DIM = 10
HIDDEN = 200
BN_EPS = 1e-5
PARAM_NAMES = ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")


def init_params(dtype=np.float64, seed: int = 0) -> dict[str, np.ndarray]:
    """Parameters initialised as in the lecture (small random values, Kaiming-scaled W1)."""
    rng = np.random.default_rng(seed)
    fan_in = BLOCK_SIZE * EMBED_DIM
    params = {
        "C": rng.standard_normal((VOCAB_SIZE, EMBED_DIM)),
        "W1": rng.standard_normal((fan_in, HIDDEN)) * (5 / 3) / fan_in**0.5,
        "b1": rng.standard_normal(HIDDEN) * 0.1,
        "bngain": 1.0 + rng.standard_normal((1, HIDDEN)) * 0.1,
        "bnbias": rng.standard_normal((1, HIDDEN)) * 0.1,
        "W2": rng.standard_normal((HIDDEN, VOCAB_SIZE)) * 0.1,
        "b2": rng.standard_normal(VOCAB_SIZE) * 0.1,
    }
    return {name: value.astype(dtype) for name, value in params.items()}


def random_batch(batch_size: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A batch ``(Xb, Yb)`` of random character indices: contexts (n, 3) and labels (n,)."""
    rng = np.random.default_rng(seed)
    Xb = rng.integers(0, VOCAB_SIZE, size=(batch_size, BLOCK_SIZE))
    Yb = rng.integers(0, VOCAB_SIZE, size=batch_size)
    return Xb, Yb


def make_loss(xnp):
    """The loss ``loss(params, Xb, Yb)`` written with the functions of namespace ``xnp``.

    ``xnp`` is any module with NumPy's names for ``reshape``, ``mean``, ``sum``,
    ``amax``, ``tanh``, ``log``, ``exp`` and ``arange`` (and ``axis=`` /
    ``keepdims=``): ``numpy``, ``wengert.numpy``, ``autograd.numpy``,
    ``jax.numpy`` and ``torch`` all qualify.
    """

    def loss(params, Xb, Yb):
        n = Xb.shape[0]
        emb = params["C"][Xb]
        embcat = xnp.reshape(emb, (n, BLOCK_SIZE * EMBED_DIM))
        hprebn = embcat @ params["W1"] + params["b1"]
        bnmean = xnp.mean(hprebn, axis=0, keepdims=True)
        bndiff = hprebn - bnmean
        bnvar = xnp.sum(bndiff**2, axis=0, keepdims=True) / (n - 1)
        bnvar_inv = (bnvar + BN_EPS) ** -0.5
        hpreact = params["bngain"] * (bndiff * bnvar_inv) + params["bnbias"]
        h = xnp.tanh(hpreact)
        logits = h @ params["W2"] + params["b2"]
        shifted = logits - xnp.amax(logits, axis=1, keepdims=True)
        logprobs = shifted - xnp.log(xnp.sum(xnp.exp(shifted), axis=1, keepdims=True))
        return -xnp.mean(logprobs[xnp.arange(n), Yb])

    loss.__name__ = "makemore_loss"
    return loss


def loss_and_grads(params: dict, Xb: np.ndarray, Yb: np.ndarray) -> tuple[np.ndarray, dict]:
    """The loss and the gradient of every parameter, differentiated by hand.

    Same dtype in, same dtype out: float32 parameters give float32 results.
    """
    C, W1, b1 = params["C"], params["W1"], params["b1"]
    bngain, bnbias, W2, b2 = params["bngain"], params["bnbias"], params["W2"], params["b2"]
    n = Xb.shape[0]
    rows = np.arange(n)

    # forward
    emb = C[Xb]
    embcat = emb.reshape(n, BLOCK_SIZE * EMBED_DIM)
    hprebn = embcat @ W1 + b1
    bndiff = hprebn - hprebn.mean(axis=0, keepdims=True)
    bnvar = (bndiff**2).sum(axis=0, keepdims=True) / (n - 1)
    bnvar_inv = (bnvar + BN_EPS) ** -0.5
    bnraw = bndiff * bnvar_inv
    h = np.tanh(bngain * bnraw + bnbias)
    logits = h @ W2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    sumexp = exps.sum(axis=1, keepdims=True)
    loss = (np.log(sumexp[:, 0]) - shifted[rows, Yb]).mean()

    # backward
    dlogits = exps / sumexp
    dlogits[rows, Yb] -= 1
    dlogits /= n
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(axis=0)
    dhpreact = (1 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(axis=0, keepdims=True)
    dbnbias = dhpreact.sum(axis=0, keepdims=True)
    dhprebn = (bngain * bnvar_inv / n) * (
        n * dhpreact
        - dhpreact.sum(axis=0, keepdims=True)
        - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(axis=0, keepdims=True)
    )
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(axis=0)
    dC = np.zeros_like(C)
    np.add.at(dC, Xb, dembcat.reshape(emb.shape))

    grads = {"C": dC, "W1": dW1, "b1": db1, "bngain": dbngain, "bnbias": dbnbias, "W2": dW2, "b2": db2}
    return loss, grads
