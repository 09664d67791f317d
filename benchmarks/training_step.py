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
  params - lr * grad)`` with ``value_and_grad``, not compiled: the yardstick of
  the eager row, which should cost at most :data:`TARGET_EAGER_OVER_FUNCTIONAL`
  times it (the Tensor face records onto a graph what ``value_and_grad``
  records onto a tape);
- ``wengert (jit)``: ``jit`` of that functional step, the batch passed as
  arguments;
- ``torch (eager)``: the same model from ``torch.nn`` modules (batch norm
  written as a small module, since PyTorch's own normalises with the biased
  variance), ``F.cross_entropy``, ``torch.optim.SGD``.

The module rows also update batch norm's running statistics, as a training
loop with modules does; the functional rows have none. Before timing, one step
of every row must give the loss and the parameter update of the hand-written
step (relative error 1e-9 of the largest update).
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
import wengert.numpy as wnp
from wengert import jit

BATCH = 32
LEARNING_RATE = 0.1
DTYPE = np.float64
TARGET_JIT_OVER_NUMPY = 1.5
TARGET_EAGER_OVER_FUNCTIONAL = 1.15
EAGER_ROW = "wengert (eager)"
TENSOR_ROW = "wengert (Tensor, no nn)"
FUNCTIONAL_ROW = "wengert (value_and_grad)"
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
    over_numpy = None if jit_seconds is None or baseline is None else jit_seconds / baseline
    over_torch = None if jit_seconds is None or torch_seconds is None else jit_seconds / torch_seconds
    eager_seconds, functional_seconds = medians.get(EAGER_ROW), medians.get(FUNCTIONAL_ROW)
    eager_over_functional = (
        None if eager_seconds is None or functional_seconds is None else eager_seconds / functional_seconds
    )
    print_table(
        "Targets: training step",
        ["target", "measured", "met"],
        [
            target_row(f"{JIT_ROW} <= {TARGET_JIT_OVER_NUMPY}x NumPy", over_numpy, TARGET_JIT_OVER_NUMPY),
            target_row(f"{JIT_ROW} ahead of {TORCH_ROW} (jit / torch <= 1)", over_torch, 1.0),
            target_row(
                f"{EAGER_ROW} <= {TARGET_EAGER_OVER_FUNCTIONAL}x {FUNCTIONAL_ROW}",
                eager_over_functional,
                TARGET_EAGER_OVER_FUNCTIONAL,
            ),
        ],
    )
