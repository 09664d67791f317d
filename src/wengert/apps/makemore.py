"""The makemore MLP: a character-level model of US first names, trained with ``wengert.nn`` and ``wengert.optim``.

The model reads the previous ``block_size`` characters of a name and predicts
the next one. Characters are the 26 lowercase letters and ``.``, which marks
both ends of a name, so the vocabulary has 27 entries. Each context character
is looked up in an embedding table, the embeddings are concatenated, and the
result goes through ``Linear (no bias) -> BatchNorm1d -> tanh -> Linear`` to
27 logits; the loss is the cross-entropy of the next character. The first
Linear has no bias because batch norm subtracts the batch mean right after it,
which would cancel any bias.

Training is minibatch SGD with a step decay of the learning rate (0.1, then
a tenth of it for the last quarter of the steps), the recipe of the classic
text. ``run_makemore`` does the whole job that ``wengert makemore`` runs:

>>> from wengert.apps.datasets import load_names
>>> from wengert.apps.makemore import MakemoreConfig, run_makemore
>>> run = run_makemore(MakemoreConfig(steps=200, hidden=32, samples=3), names=load_names()[:2000])
>>> len(run.samples), run.losses.shape, bool(run.val_loss < 3.0)
(3, (200,), True)
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

import wengert.nn.functional as F
from wengert import nn
from wengert._tensor.api import no_grad
from wengert.apps.data import sample_batch
from wengert.apps.datasets import load_names
from wengert.apps.diagnostics import format_statistics, layer_outputs, parameter_labels
from wengert.errors import ArgumentError
from wengert.optim import SGD
from wengert.optim.lr_scheduler import StepLR
from wengert.serialization import save
from wengert.viz.training_statistics import UpdateRatioTracker, activation_statistics, gradient_statistics

__all__ = [
    "DIAGNOSTIC_EXAMPLES",
    "VOCABULARY",
    "VOCABULARY_SIZE",
    "MakemoreConfig",
    "MakemoreRun",
    "build_dataset",
    "decode",
    "diagnose",
    "encode",
    "evaluate",
    "make_model",
    "makemore_report",
    "plotting_available",
    "run_makemore",
    "sample_names",
    "split_names",
    "train",
]

VOCABULARY = ".abcdefghijklmnopqrstuvwxyz"
"""Index 0 is ``.``, the mark before the first and after the last letter; then ``a``..``z`` at 1..26."""
VOCABULARY_SIZE = len(VOCABULARY)
_INDEX = {character: index for index, character in enumerate(VOCABULARY)}
_EVALUATION_CHUNK = 16_384
DIAGNOSTIC_EXAMPLES = 1000
"""How many training examples ``wengert makemore`` computes its activation and gradient statistics on."""


@dataclass(frozen=True)
class MakemoreConfig:
    """Every setting of a makemore run; the defaults are the run ``wengert makemore`` makes.

    ``decay_at`` is the fraction of ``steps`` after which the learning rate
    drops to ``learning_rate * decay_factor`` (a ``StepLR`` of step size
    ``round(decay_at * steps)``). ``seed`` fixes everything random: the
    split of the names, the initial weights, the minibatches and the samples.
    ``update_ratio_every`` is how often (in steps) the update-to-data ratio
    of each parameter is recorded (see :mod:`wengert.viz.training_statistics`).
    """

    block_size: int = 3
    embedding_dim: int = 10
    hidden: int = 200
    steps: int = 20_000
    batch_size: int = 32
    learning_rate: float = 0.1
    decay_at: float = 0.75
    decay_factor: float = 0.1
    seed: int = 42
    samples: int = 20
    update_ratio_every: int = 10

    def __post_init__(self) -> None:
        for name in ("block_size", "embedding_dim", "hidden", "steps", "batch_size", "update_ratio_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ArgumentError(f"MakemoreConfig: {name} must be a positive int, got {value!r}")
        if not isinstance(self.samples, int) or self.samples < 0:
            raise ArgumentError(f"MakemoreConfig: samples must be an int >= 0, got {self.samples!r}")
        if not self.learning_rate > 0:
            raise ArgumentError(f"MakemoreConfig: learning_rate must be > 0, got {self.learning_rate!r}")
        if not 0 < self.decay_at <= 1:
            raise ArgumentError(f"MakemoreConfig: decay_at is a fraction of the steps in (0, 1], got {self.decay_at!r}")

    @property
    def decay_step(self) -> int:
        """The step at which the learning rate first decays."""
        return max(1, round(self.decay_at * self.steps))


def encode(name: str) -> list[int]:
    """The vocabulary indices of the letters of ``name``.

    >>> encode("ada")
    [1, 4, 1]
    """
    try:
        return [_INDEX[character] for character in name]
    except KeyError as error:
        raise ArgumentError(
            f"encode: {name!r} has the character {error.args[0]!r}, which is not in the vocabulary "
            f"{VOCABULARY!r}; lowercase the name and keep only the letters a-z."
        ) from None


def decode(indices: Sequence[int]) -> str:
    """The characters at ``indices``: the inverse of :func:`encode`.

    >>> decode([1, 4, 1])
    'ada'
    """
    return "".join(VOCABULARY[int(index)] for index in indices)


def split_names(names: Sequence[str], seed: int) -> tuple[list[str], list[str], list[str]]:
    """Train, validation and test names: 80%, 10%, 10% of ``names`` after a shuffle seeded by ``seed``.

    The split is by name, not by example, so no name is both trained and
    validated on.
    """
    order = np.random.default_rng(seed).permutation(len(names))
    shuffled = [names[i] for i in order]
    first, second = int(0.8 * len(shuffled)), int(0.9 * len(shuffled))
    return shuffled[:first], shuffled[first:second], shuffled[second:]


def build_dataset(names: Sequence[str], block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (context, next character) pair of ``names``: ``contexts (N, block_size)``, ``targets (N,)``.

    A name of ``k`` letters gives ``k + 1`` examples: each letter and then the
    end mark ``.``, each predicted from the ``block_size`` characters before
    it, padded on the left with ``.``.

    >>> contexts, targets = build_dataset(["ab"], block_size=3)
    >>> [decode(c) + " -> " + decode([t]) for c, t in zip(contexts, targets)]
    ['... -> a', '..a -> b', '.ab -> .']
    """
    contexts, targets = [], []
    for name in names:
        context = [0] * block_size
        for index in [*encode(name), 0]:
            contexts.append(context)
            targets.append(index)
            context = [*context[1:], index]
    return np.array(contexts, dtype=np.int64).reshape(-1, block_size), np.array(targets, dtype=np.int64)


def make_model(config: MakemoreConfig, generator: np.random.Generator) -> nn.Sequential:
    """``Embedding -> Flatten -> Linear (no bias) -> BatchNorm1d -> Tanh -> Linear``, PyTorch's default init.

    Batch norm divides the batch variance by ``n - 1`` (Bessel's correction),
    as the classic text does, so training and evaluation normalise by the
    same, unbiased estimate of the variance. The last layer's weights are
    scaled by 0.1 after initialisation, so the first predictions
    are close to uniform and the initial loss is near ``log 27 = 3.30`` instead
    of a confident, wrong and much higher value.
    """
    model = nn.Sequential(
        nn.Embedding(VOCABULARY_SIZE, config.embedding_dim, generator=generator),
        nn.Flatten(),
        nn.Linear(config.block_size * config.embedding_dim, config.hidden, bias=False, generator=generator),
        nn.BatchNorm1d(config.hidden, correction=1),
        nn.Tanh(),
        nn.Linear(config.hidden, VOCABULARY_SIZE, generator=generator),
    )
    with no_grad():
        model[-1].weight.mul_(0.1)
    return model


StepCallback = Callable[[int, nn.Module, float, float], None]
"""Called after each optimiser step with ``(step, model, loss, learning_rate)``."""


def train(
    model: nn.Module,
    contexts: np.ndarray,
    targets: np.ndarray,
    config: MakemoreConfig,
    generator: np.random.Generator,
    on_step: StepCallback | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minibatch SGD for ``config.steps`` steps; returns the loss and the learning rate of every step.

    Each step draws ``batch_size`` examples with replacement, computes the
    cross-entropy, backpropagates, takes an SGD step and advances the
    learning-rate schedule.
    """
    optimizer = SGD(model.parameters(), lr=config.learning_rate)
    scheduler = StepLR(optimizer, step_size=config.decay_step, gamma=config.decay_factor)
    losses = np.empty(config.steps)
    learning_rates = np.empty(config.steps)
    model.train()
    for step in range(config.steps):
        batch_contexts, batch_targets = sample_batch(
            contexts, targets, batch_size=config.batch_size, generator=generator
        )
        loss = F.cross_entropy(model(batch_contexts), batch_targets)
        optimizer.zero_grad()
        loss.backward()
        learning_rate = optimizer.param_groups[0]["lr"]
        optimizer.step()
        scheduler.step()
        losses[step] = loss.item()
        learning_rates[step] = learning_rate
        if on_step is not None:
            on_step(step, model, losses[step], learning_rate)
    return losses, learning_rates


def evaluate(model: nn.Module, contexts: np.ndarray, targets: np.ndarray) -> float:
    """The mean cross-entropy over a whole split, in eval mode (batch norm uses its running statistics).

    The split goes through in chunks, to bound memory; the model is left in
    the mode it was in.
    """
    was_training = model.training
    model.eval()
    total = 0.0
    with no_grad():
        for start in range(0, len(targets), _EVALUATION_CHUNK):
            chunk = slice(start, start + _EVALUATION_CHUNK)
            total += F.cross_entropy(model(contexts[chunk]), targets[chunk], reduction="sum").item()
    model.train(was_training)
    return total / len(targets)


def sample_names(model: nn.Module, count: int, block_size: int, generator: np.random.Generator) -> list[str]:
    """``count`` names drawn from the model one character at a time, in eval mode, until each draws ``.``."""
    was_training = model.training
    model.eval()
    names = []
    with no_grad():
        for _ in range(count):
            context, letters = [0] * block_size, []
            while True:
                logits = model(np.array([context], dtype=np.int64))
                probabilities = F.softmax(logits, dim=1).numpy()[0]
                index = int(generator.choice(VOCABULARY_SIZE, p=probabilities))
                if index == 0:
                    break
                letters.append(index)
                context = [*context[1:], index]
            names.append(decode(letters))
    model.train(was_training)
    return names


@dataclass
class MakemoreRun:
    """What a run produced: the trained model, its per-step history, the split losses and the samples."""

    config: MakemoreConfig
    model: nn.Sequential
    losses: np.ndarray
    learning_rates: np.ndarray
    train_loss: float
    val_loss: float
    samples: list[str]
    seconds: float
    update_ratios: UpdateRatioTracker

    def summary(self) -> dict:
        """The numbers of the run as plain Python values (what ``wengert makemore`` writes to ``metrics.json``)."""
        return {
            "config": dataclasses.asdict(self.config),
            "train_loss": self.train_loss,
            "val_loss": self.val_loss,
            "final_learning_rate": float(self.learning_rates[-1]),
            "seconds": self.seconds,
            "steps_per_second": self.config.steps / self.seconds,
            "samples": self.samples,
        }


def run_makemore(
    config: MakemoreConfig = MakemoreConfig(),  # noqa: B008 (frozen, so one shared default is safe)
    names: Sequence[str] | None = None,
    on_step: StepCallback | None = None,
) -> MakemoreRun:
    """Split the names, build the examples, train, evaluate train and validation loss, and sample names.

    ``names`` defaults to :func:`wengert.apps.datasets.load_names`. The
    update-to-data ratio of every parameter is recorded every
    ``config.update_ratio_every`` steps (``log10 std(lr * grad) / std(data)``).
    """
    names = load_names() if names is None else list(names)
    train_names, val_names, _ = split_names(names, config.seed)
    train_contexts, train_targets = build_dataset(train_names, config.block_size)
    val_contexts, val_targets = build_dataset(val_names, config.block_size)
    generator = np.random.default_rng(config.seed)
    model = make_model(config, generator)
    update_ratios = UpdateRatioTracker()

    def record(step: int, model: nn.Module, loss: float, learning_rate: float) -> None:
        if step % config.update_ratio_every == 0:
            update_ratios.record(step, model, learning_rate)
        if on_step is not None:
            on_step(step, model, loss, learning_rate)

    start = time.perf_counter()
    losses, learning_rates = train(model, train_contexts, train_targets, config, generator, record)
    seconds = time.perf_counter() - start
    return MakemoreRun(
        config=config,
        model=model,
        losses=losses,
        learning_rates=learning_rates,
        train_loss=evaluate(model, train_contexts, train_targets),
        val_loss=evaluate(model, val_contexts, val_targets),
        samples=sample_names(model, config.samples, config.block_size, generator),
        seconds=seconds,
        update_ratios=update_ratios,
    )


def diagnose(model: nn.Sequential, contexts: np.ndarray, targets: np.ndarray) -> dict:
    """The tanh activations of the model on ``contexts``, and the gradients of the loss there.

    Runs in eval mode, so the model uses (and leaves unchanged) the batch-norm
    running statistics it was trained to. Returns ``activations`` (the tanh
    outputs by layer name, each with its ``.grad``) and ``weights`` (the
    2-D parameters, labelled with their layer, each with its ``.grad``), ready for the
    :mod:`wengert.viz.training_statistics` statistics and :mod:`wengert.viz` pictures. The gradients of this
    pass stay in ``.grad``.
    """
    was_training = model.training
    model.eval()
    outputs = layer_outputs(model, contexts)
    logits = outputs.pop("output")
    model.zero_grad()
    F.cross_entropy(logits, targets).backward()
    model.train(was_training)
    labels = parameter_labels(model)
    weights = {labels[name]: parameter for name, parameter in model.named_parameters() if parameter.ndim == 2}
    return {"activations": outputs, "weights": weights}


class _Progress:
    """Training progress: a tqdm bar when tqdm is installed, else a plain line at every tenth of the run."""

    def __init__(self, total: int, stream: TextIO):
        self.total, self.stream = total, stream
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar = None
            print("(tqdm is not installed: plain progress lines; pip install tqdm for a bar)", file=stream)
        else:
            self.bar = tqdm(total=total, unit="step", desc="training", dynamic_ncols=True, mininterval=0.5)
        self.every = max(1, total // 10)
        self.start = time.perf_counter()

    def __call__(self, step: int, model: nn.Module, loss: float, learning_rate: float) -> None:
        done = step + 1
        if self.bar is not None:
            self.bar.update(1)
            if step % 100 == 0 or done == self.total:
                self.bar.set_postfix(loss=f"{loss:.4f}", lr=f"{learning_rate:g}", refresh=False)
        elif done % self.every == 0 or done == self.total:
            rate = done / (time.perf_counter() - self.start)
            print(
                f"step {done:>{len(str(self.total))}}/{self.total}  loss {loss:.4f}  lr {learning_rate:g}  "
                f"{rate:.0f} steps/s",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def plotting_available() -> bool:
    """Whether matplotlib (the ``plot`` extra) can be imported, so the pictures can be drawn."""
    return importlib.util.find_spec("matplotlib") is not None


def makemore_report(config: MakemoreConfig, out_dir: str | os.PathLike, stream: TextIO | None = None) -> MakemoreRun:
    """What ``wengert makemore`` does: train with progress, print the losses and samples, write the files.

    Into ``out_dir`` (created if missing) go ``model.npz`` (the state dict,
    for ``model.load_state_dict(wengert.load(path))``), ``samples.txt``,
    ``metrics.json`` and, with matplotlib, ``loss.png``,
    ``activations.png``, ``activation_gradients.png``, ``weight_gradients.png``
    and ``update_ratios.png``.
    """
    stream = sys.stdout if stream is None else stream
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = load_names()
    train_names, val_names, test_names = split_names(names, config.seed)
    print(
        f"makemore: {len(names)} US first names (SSA data), split {len(train_names)} train / "
        f"{len(val_names)} validation / {len(test_names)} test",
        file=stream,
    )
    decay = config.learning_rate * config.decay_factor
    print(
        f"training {config.steps} steps of minibatch SGD, batch {config.batch_size}, learning rate "
        f"{config.learning_rate:g} then {decay:g} from step {config.decay_step}, seed {config.seed}",
        file=stream,
        flush=True,
    )
    progress = _Progress(config.steps, stream)
    try:
        run = run_makemore(config, names, on_step=progress)
    finally:
        progress.close()
    parameter_count = sum(parameter.numel() for parameter in run.model.parameters())
    print(
        f"trained {parameter_count} parameters in {run.seconds:.1f} s ({config.steps / run.seconds:.0f} steps/s)",
        file=stream,
    )
    print(f"train loss {run.train_loss:.4f}", file=stream)
    print(f"val loss   {run.val_loss:.4f}", file=stream)

    train_contexts, train_targets = build_dataset(train_names, config.block_size)
    rows = np.random.default_rng(config.seed).integers(0, len(train_targets), DIAGNOSTIC_EXAMPLES)
    diagnostics = diagnose(run.model, train_contexts[rows], train_targets[rows])
    print(f"tanh activations on {DIAGNOSTIC_EXAMPLES} training examples (eval mode):", file=stream)
    for line in format_statistics(activation_statistics(diagnostics["activations"])):
        print(f"  {line}", file=stream)

    written = [out / "model.npz", out / "samples.txt", out / "metrics.json"]
    save(run.model.state_dict(), written[0])
    written[1].write_text("".join(f"{name}\n" for name in run.samples), encoding="ascii")
    metrics = {
        **run.summary(),
        "parameters": parameter_count,
        "activation_statistics": activation_statistics(diagnostics["activations"]),
        "activation_gradient_statistics": gradient_statistics(diagnostics["activations"]),
        "weight_gradient_statistics": gradient_statistics(diagnostics["weights"]),
    }
    written[2].write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    if plotting_available():
        from wengert.viz import (
            plot_activation_histograms,
            plot_gradient_histograms,
            plot_loss_curve,
            plot_update_ratios,
        )

        pictures = {
            "loss.png": lambda path: plot_loss_curve(
                run.losses,
                path,
                window=max(1, config.steps // 50),
                val_loss=run.val_loss,
                decay_step=config.decay_step,
                ylabel="cross-entropy loss",
            ),
            "activations.png": lambda path: plot_activation_histograms(diagnostics["activations"], path),
            "activation_gradients.png": lambda path: plot_gradient_histograms(
                diagnostics["activations"], path, title="tanh output gradient"
            ),
            "weight_gradients.png": lambda path: plot_gradient_histograms(
                diagnostics["weights"], path, title="weight gradient"
            ),
            "update_ratios.png": lambda path: plot_update_ratios(
                run.update_ratios, path, labels=parameter_labels(run.model)
            ),
        }
        for filename, draw in pictures.items():
            draw(out / filename)
            written.append(out / filename)
    else:
        print('(matplotlib is not installed: no pictures; pip install "wengert[plot]" to draw them)', file=stream)
    print(f"{len(run.samples)} names sampled from the model:", file=stream)
    for name in run.samples:
        print(f"  {name}", file=stream)
    print("wrote " + ", ".join(str(path) for path in written), file=stream)
    return run
