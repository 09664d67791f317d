"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch's ``SGD``).

With gradient ``g``, parameter ``p``, learning rate ``lr``, one step is

    g <- g + weight_decay p                          (L2 penalty, when weight_decay != 0)
    b <- g                      on the first step,   (momentum buffer, when momentum != 0)
    b <- momentum b + (1 - dampening) g   afterwards
    g <- g + momentum b   (nesterov)   or   g <- b
    p <- p - lr g

exactly PyTorch's order of operations, so that the two agree to rounding.
"""

from collections.abc import Iterable

from wengert._src.backend import xp
from wengert._tensor.inplace import foreach_add_
from wengert.errors import ArgumentError

from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent, ``p <- p - lr g``, with optional (Nesterov) momentum and weight decay.

    >>> from wengert import tensor
    >>> w = tensor([1.0, -2.0], requires_grad=True)
    >>> optimizer = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     optimizer.zero_grad()
    ...     (w * w).sum().backward()         # gradient 2w
    ...     optimizer.step()
    >>> w.detach().numpy().round(6).tolist()   # 1 -> 0.8 -> 0.8 - 0.1 (1.6 + 0.9 * 2) = 0.46
    [0.46, -0.92]
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ArgumentError(
                f"SGD: lr, momentum and weight_decay must be non-negative, got lr={lr}, momentum={momentum}, "
                f"weight_decay={weight_decay}"
            )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ArgumentError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0.")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def update_group(self, group: dict) -> None:
        momentum, dampening, weight_decay = group["momentum"], group["dampening"], group["weight_decay"]
        params, steps = [], []
        for param, grad in self.gradients(group):
            if weight_decay != 0:
                grad = grad + weight_decay * param.detach().numpy()
            if momentum != 0:
                state = self.state.setdefault(param, {})
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = state["momentum_buffer"] = xp.array(grad)
                else:
                    buffer *= momentum
                    buffer += (1 - dampening) * grad
                grad = grad + momentum * buffer if group["nesterov"] else buffer
            params.append(param)
            steps.append(grad)
        foreach_add_(params, steps, alpha=-group["lr"])
