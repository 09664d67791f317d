"""Adam and AdamW: steps scaled by running moment estimates, with bias correction (PyTorch's formulas).

With gradient ``g`` at step ``t`` (counting from 1), one step is

    g <- g + weight_decay p               (Adam: L2 penalty in the gradient)
    p <- p (1 - lr weight_decay)          (AdamW: decoupled weight decay, before the update)
    m <- m + (1 - beta1) (g - m)          (first moment; a lerp, as PyTorch writes it)
    v <- beta2 v + (1 - beta2) g^2        (second moment)
    v_max <- max(v_max, v)                (amsgrad only; then v_max replaces v below)
    p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

in PyTorch's order of operations, so that the two agree to rounding.
"""

from collections.abc import Iterable

from wengert._src.backend import xp
from wengert.errors import ArgumentError

from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


def _lerp_(start, end, weight: float) -> None:
    """``start <- start + weight (end - start)`` in place, computed as PyTorch's ``lerp_`` does."""
    difference = end - start
    if abs(weight) < 0.5:
        start += weight * difference
    else:
        start[...] = end - difference * (1 - weight)


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), with optional amsgrad and L2 or decoupled weight decay.

    >>> from wengert import tensor
    >>> w = tensor([1.0], requires_grad=True)
    >>> optimizer = Adam([w], lr=0.1)
    >>> (w * 3.0).sum().backward(); optimizer.step()
    >>> round(w.item(), 6)   # the first step moves each entry by about lr
    0.9
    """

    decoupled_default = False

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool | None = None,
    ):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ArgumentError(
                f"{type(self).__name__}: lr, eps and weight_decay must be non-negative, got lr={lr}, eps={eps}, "
                f"weight_decay={weight_decay}"
            )
        if not all(0 <= beta < 1 for beta in betas):
            raise ArgumentError(f"{type(self).__name__}: betas must lie in [0, 1), got {betas}")
        if decoupled_weight_decay is None:
            decoupled_weight_decay = self.decoupled_default
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def update_group(self, group: dict) -> None:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        for param, grad in self.gradients(group):
            state = self.state.get(param)
            if state is None:
                zeros = xp.zeros(param.shape, dtype=param.dtype)
                state = self.state[param] = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros.copy()}
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = zeros.copy()
            state["step"] += 1
            step = state["step"]
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad + weight_decay * param.detach().numpy()
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            _lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * grad * grad
            second_moment = exp_avg_sq
            if group["amsgrad"]:
                second_moment = xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            step_size = lr / (1 - beta1**step)
            denominator = xp.sqrt(second_moment) / (1 - beta2**step) ** 0.5 + eps
            param.addcdiv_(exp_avg, denominator, value=-step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019): ``p <- p (1 - lr wd)`` before each step.

    Its ``weight_decay`` defaults to ``1e-2``, as in PyTorch.
    """

    decoupled_default = True

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
