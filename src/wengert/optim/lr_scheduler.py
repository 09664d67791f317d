"""Learning-rate decay with PyTorch's names and semantics: StepLR, ExponentialLR, CosineAnnealingLR, LambdaLR.

A scheduler sets ``group["lr"]`` of every parameter group of an optimiser.
Creating it records each group's ``initial_lr`` (the *base* rate) and counts
epoch 0; each ``scheduler.step()``, called after ``optimizer.step()``, moves
to the next epoch ``t`` and sets the rate for it:

* ``StepLR``:          ``lr_t = base * gamma^floor(t / step_size)``
* ``ExponentialLR``:   ``lr_t = base * gamma^t``
* ``CosineAnnealingLR``: ``lr_t = eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2``
* ``LambdaLR``:        ``lr_t = base * lr_lambda(t)``

Like PyTorch, the first three update the current rate step by step
(``lr_t`` from ``lr_{t-1}``), so a rate changed by hand between steps is
carried on, and the floating-point sequence equals PyTorch's.
``get_last_lr()`` is the list of rates the last step set.

>>> import wengert
>>> from wengert import tensor
>>> w = tensor([1.0], requires_grad=True)
>>> optimizer = wengert.optim.SGD([w], lr=1.0)
>>> scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     optimizer.step()
...     rates.append(scheduler.get_last_lr()[0])
...     scheduler.step()
>>> rates
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

import math
import warnings
from collections.abc import Callable

from wengert.errors import ArgumentError, StateDictError

from .optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "StepLR"]


class LRScheduler:
    """Base of the schedulers: keeps the epoch count and writes each group's new rate.

    Subclasses implement :meth:`get_lr`, the rates for epoch ``self.last_epoch``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise ArgumentError(
                f"{type(self).__name__}: expected a wengert.optim optimizer, got {type(optimizer).__name__}."
            )
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ArgumentError(
                        f"{type(self).__name__}: param_groups[{index}] has no 'initial_lr', needed to resume at "
                        f"last_epoch={last_epoch}; load the optimiser's state_dict first, or start at last_epoch=-1."
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial = True
        self.step()
        self._initial = False

    def get_lr(self) -> list[float]:
        """The rate of each group for epoch ``self.last_epoch``."""
        raise NotImplementedError(
            f"{type(self).__name__} does not define get_lr(); an LRScheduler subclass defines it to return "
            "the rate of each parameter group for epoch self.last_epoch."
        )

    def get_last_lr(self) -> list[float]:
        """The rates set by the last :meth:`step` (or by creating the scheduler)."""
        return self._last_lr

    def step(self) -> None:
        """Move to the next epoch and set each group's rate for it. Call it after ``optimizer.step()``."""
        if not self._initial and self.optimizer.step_count == 0:
            warnings.warn(
                "lr_scheduler.step() was called before optimizer.step(); the first learning rate of the schedule "
                "is skipped. Call optimizer.step() first, then scheduler.step().",
                UserWarning,
                stacklevel=2,
            )
        self.last_epoch += 1
        rates = self.get_lr()
        for group, rate in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = rate
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        """Everything but the optimiser (and, for ``LambdaLR``, the functions), for saving."""
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        unknown = set(state_dict) - set(self.state_dict())
        if unknown:
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: unexpected keys {sorted(unknown)}; "
                "pass the state_dict() of the same kind of scheduler."
            )
        self.__dict__.update(state_dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


def _current_rates(optimizer: Optimizer) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if step_size < 1:
            raise ArgumentError(f"StepLR: step_size must be a positive number of epochs, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _current_rates(self.optimizer)
        return [rate * self.gamma for rate in _current_rates(self.optimizer)]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return _current_rates(self.optimizer)
        return [rate * self.gamma for rate in _current_rates(self.optimizer)]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base rate down to ``eta_min`` over ``T_max`` epochs (then back up).

    Each step multiplies ``lr - eta_min`` by ``(1 + cos(pi t / T)) / (1 + cos(pi (t - 1) / T))``,
    PyTorch's recursive form of the cosine (SGDR without restarts).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        if T_max < 1:
            raise ArgumentError(f"CosineAnnealingLR: T_max must be a positive number of epochs, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, period, low = self.last_epoch, self.T_max, self.eta_min
        rates = _current_rates(self.optimizer)
        if self._initial and t == 0:
            return rates
        if self._initial:
            return [low + (base - low) * (1 + math.cos(t * math.pi / period)) / 2 for base in self.base_lrs]
        if (t - 1 - period) % (2 * period) == 0:
            return [
                rate + (base - low) * (1 - math.cos(math.pi / period)) / 2
                for base, rate in zip(self.base_lrs, rates, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (rate - low) + low for rate in rates]


class LambdaLR(LRScheduler):
    """Set the rate to ``base * lr_lambda(epoch)``; ``lr_lambda`` is one function or one per group.

    >>> import wengert
    >>> from wengert import tensor
    >>> optimizer = wengert.optim.SGD([tensor([0.0], requires_grad=True)], lr=0.1)
    >>> scheduler = LambdaLR(optimizer, lambda epoch: 1.0 if epoch < 1 else 0.1)
    >>> optimizer.step(); scheduler.step()
    >>> scheduler.get_last_lr()
    [0.010000000000000002]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ):
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ArgumentError(
                    f"LambdaLR: got {len(lr_lambda)} functions for {groups} parameter groups; pass one function "
                    "for all groups or one per group."
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * scale(self.last_epoch) for base, scale in zip(self.base_lrs, self.lr_lambdas, strict=True)]
