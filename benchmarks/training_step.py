"""The benchmark's training section: one whole makemore training step, forward, backward and SGD update.

The model is the makemore MLP of :mod:`makemore_reference` (and of
``wengert.apps.makemore``): ``Embedding -> Flatten -> Linear -> BatchNorm1d
(Bessel's correction) -> Tanh -> Linear``, cross-entropy, plain SGD with
learning rate :data:`LEARNING_RATE`; batch :data:`BATCH`, float64. Every row
starts from the same parameters (``makemore_reference.init_params``) and the
same batch:

- ``numpy (by hand)``: ``makemore_reference.loss_and_grads``, then
  ``p -= lr * g`` in place; the baseline of the ratios;
- ``wengert (eager)``: the model built from ``wengert.nn`` modules (the Tensor
  face), ``F.cross_entropy``, ``zero_grad``, ``backward``, ``wengert.optim.SGD``;
- ``wengert (Tensor, no nn)``: the reference loss written with ``wengert.numpy``
  on leaf Tensors (the reference's parameter layout, no modules, no running
  statistics), ``backward``, ``wengert.optim.SGD``: the Tensor face and its
  backward pass alone, to tell their cost from the modules';
- ``wengert (value_and_grad)``: the same functional step, ``params -> (loss,
  params - lr * grad)`` with ``value_and_grad`` of the reference loss, not
  compiled;
- ``wengert (value_and_grad, nn.functional)``: the functional step of the
  module model itself: ``value_and_grad`` of :func:`nn_functional_loss`, the
  ``wengert.nn.functional`` calls the modules make, on the parameters in the
  modules' layout, and the same update. The yardstick of the eager row, which
  should cost at most :data:`TARGET_EAGER_OVER_FUNCTIONAL` times it (issue 16:
  the Tensor face at the functional path's speed);
- ``wengert (jit)``: ``jit`` of the reference functional step, the batch passed
  as arguments;
- ``torch (eager)``: the same model from ``torch.nn`` modules (batch norm
  written as a small module, since PyTorch's own normalises with the biased
  variance), ``F.cross_entropy``, ``torch.optim.SGD``.

Why the eager row's yardstick is the ``nn.functional`` row, not the reference
loss: the modules must do work that the reference loss does not, whichever
face runs them, as PyTorch's modules do it. ``BatchNorm1d`` updates its running
statistics and counts its batches; ``F.embedding`` and ``F.cross_entropy``
check that every index is in range (NumPy's indexing would wrap a negative
one); ``Linear`` keeps PyTorch's ``(out, in)`` weight, so it multiplies by a
transposed weight and pulls the gradient back through that transpose. The
``nn.functional`` row does all of that too (its running statistics are NumPy
arrays it updates in place), so the ratio of the two measures the Tensor face,
its graph, ``.grad`` and the optimiser against ``value_and_grad``, and the
module objects' own dispatch, which is the eager row's to pay. Both
``value_and_grad`` rows are shown; the reference one also stands for the
``jit`` row's program.

The module rows and the ``nn.functional`` row update batch norm's running
statistics; the reference rows have none. Before timing, one step of every row
must give the loss and the parameter update of the hand-written step (relative
error 1e-9 of the largest update).
"""

from __future__ import annotations

from collections.abc import Callable

import makemore_reference as reference
import numpy as np
from harness import (
    Implementation,
    Settings,
    check_close,
    checked_steps,
    median_seconds,
    print_problems,
    print_table,
    table_cell,
    target_row,
)

import wengert
import wengert.nn.functional as F
import wengert.numpy as wnp
from wengert import jit

BATCH = 32
LEARNING_RATE = 0.1
DTYPE = np.float64
TARGET_JIT_OVER_NUMPY = 1.5
TARGET_EAGER_OVER_FUNCTIONAL = 1.15
BN_MOMENTUM = 0.1
"""``BatchNorm1d``'s default momentum, which the module row uses."""
EAGER_ROW = "wengert (eager)"
TENSOR_ROW = "wengert (Tensor, no nn)"
FUNCTIONAL_ROW = "wengert (value_and_grad)"
NN_FUNCTIONAL_ROW = "wengert (value_and_grad, nn.functional)"
JIT_ROW = "wengert (jit)"
TORCH_ROW = "torch (eager)"


# --- the parameters as a dict (reference names) and as module state ----------------------------

# reference name -> (module state-dict key, whether the module stores it transposed)
MODULE_KEYS = {
    "C": ("0.weight", False),
    "W1": ("2.weight", True),
    "b1": ("2.bias", False),
    "bngain": ("3.weight", False),
    "bnbias": ("3.bias", False),
    "W2": ("5.weight", True),
    "b2": ("5.bias", False),
}


def to_module_state(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reference parameters as the modules hold them: ``Linear`` weights ``(out, in)``, 1-d batch norm."""
    state = {}
    for name, (key, transposed) in MODULE_KEYS.items():
        value = params[name].T if transposed else params[name]
        state[key] = np.ascontiguousarray(value.reshape(-1) if name in ("bngain", "bnbias") else value)
    return state


def from_module_state(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inverse of :func:`to_module_state`: the modules' parameters under the reference's names and shapes."""
    params = {}
    for name, (key, transposed) in MODULE_KEYS.items():
        value = np.asarray(state[key])
        params[name] = value.T if transposed else value.reshape(1, -1) if name in ("bngain", "bnbias") else value
    return params


# --- the implementations -----------------------------------------------------------------------


def hand_written_step(params: dict[str, np.ndarray], Xb: np.ndarray, Yb: np.ndarray):
    """The loss, after ``params`` took one SGD step (in place) with the hand-derived gradients."""
    loss, grads = reference.loss_and_grads(params, Xb, Yb)
    for name, gradient in grads.items():
        params[name] -= LEARNING_RATE * gradient
    return loss


def functional_sgd_step(params: dict, Xb, Yb) -> tuple:
    """``(loss, params - lr * grad loss)``: a training step as a pure function of the params dict."""
    loss, grads = wengert.value_and_grad(reference.make_loss(wnp))(params, Xb, Yb)
    return loss, {name: params[name] - LEARNING_RATE * grads[name] for name in params}


def nn_functional_loss(params: dict, statistics: dict, Xb, Yb):
    """The module model's loss, written with the ``wengert.nn.functional`` calls its modules make.

    ``params`` are the modules' parameters under their state-dict names (``Linear``
    weights ``(out, in)``, batch norm's 1-d); ``statistics`` holds batch norm's running
    statistics and batch count as NumPy arrays, updated in place as the module updates
    its buffers. The checks and the arithmetic are the modules', without modules or Tensors.
    """
    n = Xb.shape[0]
    embeddings = F.embedding(Xb, params["0.weight"])
    hprebn = F.linear(wnp.reshape(embeddings, (n, -1)), params["2.weight"], params["2.bias"])
    hpreact = F.batch_norm(
        hprebn,
        statistics["3.running_mean"],
        statistics["3.running_var"],
        params["3.weight"],
        params["3.bias"],
        training=True,
        momentum=BN_MOMENTUM,
        eps=reference.BN_EPS,
        correction=1,
    )
    statistics["3.num_batches_tracked"] += 1
    logits = F.linear(F.tanh(hpreact), params["5.weight"], params["5.bias"])
    return F.cross_entropy(logits, Yb)


def nn_functional_sgd_step(params: dict, statistics: dict, Xb, Yb) -> tuple:
    """``(loss, params - lr * grad loss)`` for :func:`nn_functional_loss` (the statistics updated in place)."""
    loss, grads = wengert.value_and_grad(nn_functional_loss)(params, statistics, Xb, Yb)
    return loss, {name: params[name] - LEARNING_RATE * grads[name] for name in params}


def wengert_model():
    """The makemore model from ``wengert.nn`` modules, with the reference's parameters."""
    from wengert import nn

    model = nn.Sequential(
        nn.Embedding(reference.VOCAB_SIZE, reference.EMBED_DIM),
        nn.Flatten(),
        nn.Linear(reference.BLOCK_SIZE * reference.EMBED_DIM, reference.HIDDEN),
        nn.BatchNorm1d(reference.HIDDEN, eps=reference.BN_EPS, correction=1),
        nn.Tanh(),
        nn.Linear(reference.HIDDEN, reference.VOCAB_SIZE),
    )
    model.load_state_dict(to_module_state(reference.init_params(DTYPE)), strict=False)
    return model


def torch_model(torch):
    """The same model from ``torch.nn`` modules; batch norm with Bessel's correction, as the reference has it."""

    class BesselBatchNorm1d(torch.nn.Module):
        """``BatchNorm1d`` normalising by the unbiased batch variance; running statistics as PyTorch keeps them."""

        def __init__(self, features: int, eps: float, momentum: float = 0.1):
            super().__init__()
            self.eps, self.momentum = eps, momentum
            self.weight = torch.nn.Parameter(torch.ones(features, dtype=torch.float64))
            self.bias = torch.nn.Parameter(torch.zeros(features, dtype=torch.float64))
            self.register_buffer("running_mean", torch.zeros(features, dtype=torch.float64))
            self.register_buffer("running_var", torch.ones(features, dtype=torch.float64))

        def forward(self, x):
            mean = x.mean(0, keepdim=True)
            var = x.var(0, keepdim=True, correction=1)
            with torch.no_grad():
                self.running_mean.lerp_(mean[0], self.momentum)
                self.running_var.lerp_(var[0], self.momentum)
            return (x - mean) * (var + self.eps) ** -0.5 * self.weight + self.bias

    nn = torch.nn
    model = nn.Sequential(
        nn.Embedding(reference.VOCAB_SIZE, reference.EMBED_DIM),
        nn.Flatten(),
        nn.Linear(reference.BLOCK_SIZE * reference.EMBED_DIM, reference.HIDDEN),
        BesselBatchNorm1d(reference.HIDDEN, reference.BN_EPS),
        nn.Tanh(),
        nn.Linear(reference.HIDDEN, reference.VOCAB_SIZE),
    ).double()
    state = {key: torch.from_numpy(value) for key, value in to_module_state(reference.init_params(DTYPE)).items()}
    model.load_state_dict(state, strict=False)
    return model


def training_implementations(peers: dict, Xb: np.ndarray, Yb: np.ndarray) -> list[Implementation]:
    """The rows of the training table for the batch ``(Xb, Yb)``, the hand-written step first.

    Each row's check compares the loss of its first step and the parameters after
    it with one hand-written step from the same initial parameters.
    """
    torch = peers["torch"]
    initial = reference.init_params(DTYPE)
    want_loss, want_grads = reference.loss_and_grads(initial, Xb, Yb)
    update_scale = LEARNING_RATE * max(float(np.max(np.abs(grad))) for grad in want_grads.values())

    def checker(what: str, read_params: Callable[[], dict], read_loss: Callable = np.asarray):
        def check(loss) -> None:
            check_close(f"{what} loss", read_loss(loss), np.asarray(want_loss), DTYPE, float(want_loss))
            params = read_params()
            for name in reference.PARAM_NAMES:
                got_update = np.asarray(params[name]) - initial[name]
                want_update = -LEARNING_RATE * want_grads[name]
                check_close(f"{what} update of {name}", got_update, want_update, DTYPE, update_scale)

        return check

    def numpy_row():
        params = reference.init_params(DTYPE)
        return (lambda: hand_written_step(params, Xb, Yb)), checker("numpy", lambda: params)

    def wengert_eager_row():
        import wengert.nn.functional as F
        from wengert.optim import SGD

        model = wengert_model()
        optimizer = SGD(model.parameters(), lr=LEARNING_RATE)

        def step():
            loss = F.cross_entropy(model(Xb), Yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss

        def read_params():
            return from_module_state({key: value.detach().numpy() for key, value in model.state_dict().items()})

        return step, checker(EAGER_ROW, read_params, lambda loss: loss.detach().numpy())

    def wengert_tensor_row():
        from wengert.optim import SGD

        params = {
            name: wengert.tensor(value, requires_grad=True) for name, value in reference.init_params(DTYPE).items()
        }
        optimizer = SGD(list(params.values()), lr=LEARNING_RATE)
        loss_fn = reference.make_loss(wnp)

        def step():
            loss = loss_fn(params, Xb, Yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss

        def read_params():
            return {name: value.detach().numpy() for name, value in params.items()}

        return step, checker(TENSOR_ROW, read_params, lambda loss: loss.detach().numpy())

    def wengert_functional_row():
        state = {"params": reference.init_params(DTYPE)}

        def step():
            loss, state["params"] = functional_sgd_step(state["params"], Xb, Yb)
            return loss

        return step, checker(FUNCTIONAL_ROW, lambda: state["params"])

    def wengert_nn_functional_row():
        state = {"params": to_module_state(reference.init_params(DTYPE))}
        statistics = {
            "3.running_mean": np.zeros(reference.HIDDEN, DTYPE),
            "3.running_var": np.ones(reference.HIDDEN, DTYPE),
            "3.num_batches_tracked": np.zeros((), np.int64),
        }

        def step():
            loss, state["params"] = nn_functional_sgd_step(state["params"], statistics, Xb, Yb)
            return loss

        return step, checker(NN_FUNCTIONAL_ROW, lambda: from_module_state(state["params"]))

    def wengert_jit_row():
        state = {"params": reference.init_params(DTYPE)}
        compiled = jit(functional_sgd_step)

        def step():
            loss, state["params"] = compiled(state["params"], Xb, Yb)
            return loss

        return step, checker(JIT_ROW, lambda: state["params"])

    def torch_row():
        model = torch_model(torch)
        optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
        loss_fn = torch.nn.functional.cross_entropy
        Xt, Yt = torch.from_numpy(Xb), torch.from_numpy(Yb)

        def step():
            loss = loss_fn(model(Xt), Yt)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss

        def read_params():
            return from_module_state({key: value.detach().numpy() for key, value in model.state_dict().items()})

        return step, checker("torch (eager)", read_params, lambda loss: loss.detach().numpy())

    return [
        ("numpy (by hand)", numpy_row),
        (EAGER_ROW, wengert_eager_row),
        (TENSOR_ROW, wengert_tensor_row),
        (FUNCTIONAL_ROW, wengert_functional_row),
        (NN_FUNCTIONAL_ROW, wengert_nn_functional_row),
        (JIT_ROW, wengert_jit_row),
        (TORCH_ROW, torch and torch_row),
    ]


def run_training(peers: dict, settings: Settings) -> None:
    """Print the training-step table and its targets."""
    Xb, Yb = reference.random_batch(BATCH)
    implementations = training_implementations(peers, Xb, Yb)
    steps, problems = checked_steps(implementations, f"batch {BATCH} float64")
    medians = median_seconds(steps, settings)
    baseline = medians.get("numpy (by hand)")
    print_table(
        f"Makemore training step (forward, backward, SGD update), batch {BATCH} float64: "
        "median time, (ratio to hand-written NumPy)",
        ["implementation", f"batch {BATCH} float64"],
        [[name, table_cell(name, make, medians, baseline)] for name, make in implementations],
    )
    print_problems(problems)
    jit_seconds, torch_seconds = medians.get(JIT_ROW), medians.get(TORCH_ROW)
    over_numpy = _ratio(jit_seconds, baseline)
    over_torch = _ratio(jit_seconds, torch_seconds)
    eager_seconds = medians.get(EAGER_ROW)
    yardstick_seconds, reference_seconds = medians.get(NN_FUNCTIONAL_ROW), medians.get(FUNCTIONAL_ROW)
    eager_over_yardstick = _ratio(eager_seconds, yardstick_seconds)
    eager_over_reference = _ratio(eager_seconds, reference_seconds)
    print_table(
        "Targets: training step",
        ["target", "measured", "met"],
        [
            target_row(f"{JIT_ROW} <= {TARGET_JIT_OVER_NUMPY}x NumPy", over_numpy, TARGET_JIT_OVER_NUMPY),
            target_row(f"{JIT_ROW} ahead of {TORCH_ROW} (jit / torch <= 1)", over_torch, 1.0),
            target_row(
                f"{EAGER_ROW} <= {TARGET_EAGER_OVER_FUNCTIONAL}x {NN_FUNCTIONAL_ROW}",
                eager_over_yardstick,
                TARGET_EAGER_OVER_FUNCTIONAL,
            ),
            [
                f"(for comparison: {EAGER_ROW} / {FUNCTIONAL_ROW})",
                "failed" if eager_over_reference is None else f"{eager_over_reference:.2f}x",
                "-",
            ],
        ],
    )


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either row has no time."""
    return None if numerator is None or denominator is None else numerator / denominator
