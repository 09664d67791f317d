"""The optimiser base class: parameter groups, ``zero_grad``, ``step`` and state dicts, as in PyTorch.

An optimiser holds *parameter groups*, each a dict with ``"params"`` (a list
of leaf Tensors) and its hyperparameters (``"lr"``, ...), filled in from the
optimiser's defaults. ``step()`` updates every parameter that has a
gradient, in place and outside the tape; a subclass writes the update of one
group in :meth:`Optimizer.update_group`. Its per-parameter state (momentum
buffers, moment estimates) lives in ``optimizer.state[param]`` as NumPy
arrays, so that ``state_dict()`` can be saved with ``wengert.save``.
"""

from collections.abc import Callable, Iterable

from wengert._src.backend import xp
from wengert._tensor.api import Tensor, clear_gradients, enable_grad, no_grad
from wengert._tensor.tensor import array_of
from wengert.errors import ArgumentError, StateDictError

__all__ = ["Optimizer"]


class Optimizer:
    """Base of the optimisers: ``params`` is an iterable of Tensors or of dicts (parameter groups).

    ``defaults`` holds each hyperparameter's default; a group given as a dict
    may override any of them.
    """

    def __init__(self, params: Iterable, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        self.step_count = 0
        if isinstance(params, Tensor):
            raise ArgumentError(
                f"{type(self).__name__}: params must be an iterable of Tensors or of dicts, got a single Tensor; "
                "pass [tensor] or module.parameters()."
            )
        groups = list(params)
        if not groups:
            raise ArgumentError(f"{type(self).__name__}: got an empty parameter list; pass module.parameters().")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (``{"params": [...], "lr": ...}``); missing hyperparameters take the defaults."""
        group = dict(param_group)
        params = group.get("params")
        group["params"] = [params] if isinstance(params, Tensor) else list(params or ())
        for index, param in enumerate(group["params"]):
            if not isinstance(param, Tensor):
                raise ArgumentError(
                    f"{type(self).__name__}: parameter {index} of group {len(self.param_groups)} is a "
                    f"{type(param).__name__}, not a Tensor; optimisers update wengert.Tensor leaves in place."
                )
            if not param.is_leaf:
                raise ArgumentError(
                    f"{type(self).__name__}: parameter {index} of group {len(self.param_groups)} is not a leaf "
                    "Tensor (it was computed from others); optimise the leaves, e.g. module.parameters()."
                )
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(param) for existing in self.param_groups for param in existing["params"]}
        if any(id(param) in seen for param in group["params"]):
            raise ArgumentError(f"{type(self).__name__}: some parameters appear in more than one parameter group.")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: ``None`` (the default, as in PyTorch) or zeros."""
        clear_gradients((param for group in self.param_groups for param in group["params"]), set_to_none)

    def step(self, closure: Callable | None = None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss when given one.

        ``closure`` re-evaluates the model and returns the loss (with gradients
        enabled), for optimisers that need it; the update itself records nothing.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self.update_group(group)
        self.step_count += 1
        return loss

    def update_group(self, group: dict) -> None:
        """Update the parameters of one group in place (a subclass's rule)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not define update_group(group); an Optimizer subclass defines it to "
            "update the parameters of one group in place."
        )

    @staticmethod
    def gradients(group: dict):
        """``(param, grad)`` for each parameter of ``group`` that has a gradient, ``grad`` a NumPy array.

        With ``maximize`` the gradient is negated, so a subclass's rule always descends.
        """
        maximize = group["maximize"]
        for param in group["params"]:
            grad = param.grad
            if grad is not None:
                grad = array_of(grad)
                yield param, (-grad if maximize else grad)

    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``, as PyTorch lays it out.

        Parameters are named by their position across the groups, so the dict
        can be loaded into an optimiser over a fresh copy of the same model.
        """
        index_of: dict = {}
        groups = []
        for group in self.param_groups:
            indices = []
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
                indices.append(index_of[id(param)])
            groups.append({**{key: value for key, value in group.items() if key != "params"}, "params": indices})
        state = {index_of[id(param)]: dict(values) for param, values in self._state_items()}
        return {"state": state, "param_groups": groups}

    def _state_items(self):
        for group in self.param_groups:
            for param in group["params"]:
                if param in self.state:
                    yield param, self.state[param]

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state from :meth:`state_dict`, checking that the groups fit."""
        if set(state_dict) != {"state", "param_groups"}:
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: expected the keys 'state' and 'param_groups', got "
                f"{sorted(state_dict)}; pass what optimizer.state_dict() returned."
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: the number of parameter groups differs: the state dict "
                f"has {len(saved_groups)}, this optimiser {len(self.param_groups)}."
            )
        params_by_index = {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise StateDictError(
                    f"{type(self).__name__}.load_state_dict: parameter group {number} has {len(saved['params'])} "
                    f"parameters in the state dict and {len(group['params'])} here."
                )
            params_by_index.update(zip(saved["params"], group["params"]))
        new_state = {}
        for index, values in state_dict["state"].items():
            if index not in params_by_index:
                raise StateDictError(
                    f"{type(self).__name__}.load_state_dict: state for parameter {index!r}, which no group names."
                )
            param = params_by_index[index]
            new_state[param] = {key: self._restore(value, param, index, key) for key, value in values.items()}
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({key: value for key, value in saved.items() if key != "params"})
        self.state = new_state

    def _restore(self, value, param, index, key: str):
        """A saved state entry as an array fitting ``param`` (or a number as it is)."""
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, xp.generic):
            return value.item()
        array = xp.array(value.numpy() if isinstance(value, Tensor) else value)
        if array.ndim == 0 and not param.shape:
            return array.astype(param.dtype)
        if array.shape != tuple(param.shape):
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: state {key!r} of parameter {index} has shape "
                f"{array.shape}, the parameter {tuple(param.shape)}."
            )
        return array.astype(param.dtype, copy=False)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)
