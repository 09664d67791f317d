"""``Module``, the base of every layer, and ``Parameter``, the Tensors a module trains (PyTorch's design).

A module keeps three ordered registries, filled by plain attribute assignment:
its parameters (``self.weight = Parameter(...)``), its buffers (state that is
saved but not trained, such as BatchNorm's running mean:
``self.register_buffer("running_mean", t)``) and its children (``self.fc =
Linear(...)``). Everything else follows from walking them: ``parameters()``,
``named_parameters()`` with dotted names (``"0.weight"``), ``modules()``,
``train()``/``eval()``, ``zero_grad()``, ``state_dict()`` and
``load_state_dict()``, and a repr that prints the tree.

>>> import wengert
>>> from wengert import nn
>>> model = nn.Sequential(nn.Linear(3, 4, generator=0), nn.Tanh())
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias']
>>> model
Sequential(
  (0): Linear(in_features=3, out_features=4, bias=True)
  (1): Tanh()
)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NamedTuple

from wengert._src.backend import xp
from wengert._tensor.api import Tensor, clear_gradients, no_grad
from wengert._tensor.methods import check_device, requested_dtype
from wengert.errors import ArgumentError, StateDictError

__all__ = ["IncompatibleKeys", "Module", "Parameter", "functional_call"]


class Parameter(Tensor):
    """A Tensor that a module registers as trainable when assigned to one of its attributes.

    ``Parameter(t)`` shares the array of a Tensor ``t`` (other data is copied,
    as ``wengert.tensor`` copies it) and requires gradients unless told otherwise.
    """

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped: names the module lacks a value for, and names it lacks."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers and models: subclass it, register parts in ``__init__``, compute in ``forward``.

    ``module(x)`` calls ``forward(x)``. ``training`` is ``True`` until
    ``eval()``; layers such as BatchNorm and Dropout behave differently in
    evaluation.
    """

    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        """The computation of this module; every subclass defines it."""
        raise NotImplementedError(
            f"{type(self).__name__} does not define forward(); define forward(self, ...) in the subclass to say "
            "what calling the module computes."
        )

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --- registering parts -------------------------------------------------------------------
    def _registries(self) -> tuple[dict, dict, dict]:
        try:
            return self.__dict__["_parameters"], self.__dict__["_buffers"], self.__dict__["_modules"]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__}: assign parameters, buffers and modules only after calling "
                "super().__init__() in __init__."
            ) from None

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise ArgumentError(
                    f"{type(self).__name__}.{name} is a parameter; assign a nn.Parameter (or None), "
                    f"not a {type(value).__name__}. To change its values, use .data.copy_(...) under no_grad()."
                )
            self._parameters[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise ArgumentError(
                    f"{type(self).__name__}.{name} is a buffer; assign a Tensor or None, not a {type(value).__name__}."
                )
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        registries = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in registries and name in registries[registry]:
                return registries[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _claim(self, name: str, kind: str) -> None:
        """Check ``name`` is usable for a new part, and free it from the other registries."""
        if not isinstance(name, str) or not name or "." in name:
            raise ArgumentError(
                f"{type(self).__name__}: {kind} names must be non-empty strings without '.', got {name!r}"
            )
        parameters, buffers, modules = self._registries()
        if name in self.__dict__:
            raise ArgumentError(f"{type(self).__name__}: attribute {name!r} already exists and is not a {kind}.")
        for registry in (parameters, buffers, modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a :class:`Parameter`, or ``None`` for an absent one) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise ArgumentError(
                f"{type(self).__name__}.register_parameter({name!r}): expected a nn.Parameter or None, got a "
                f"{type(param).__name__}; wrap it as nn.Parameter(value)."
            )
        self._claim(name, "parameter")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register ``tensor`` as a buffer: saved in the state dict (unless not ``persistent``), never trained."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise ArgumentError(
                f"{type(self).__name__}.register_buffer({name!r}): expected a Tensor or None, got a "
                f"{type(tensor).__name__}; wrap it with wengert.tensor(value)."
            )
        self._claim(name, "buffer")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise ArgumentError(f"{type(self).__name__}.add_module({name!r}): {type(module).__name__} is not a Module")
        self._claim(name, "module")
        self._modules[name] = module

    register_module = add_module

    # --- walking the tree --------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for each direct child."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "", _seen: set | None = None) -> Iterator[tuple[str, Module]]:
        """``(dotted name, module)`` for this module (name ``""``) and every descendant, each once."""
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def _named_members(self, registry: str, recurse: bool, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        seen = set()
        owners = self.named_modules(prefix) if recurse else [(prefix, self)]
        for owner_name, owner in owners:
            for name, value in getattr(owner, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{owner_name}.{name}" if owner_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` for every parameter, each once even if shared."""
        return self._named_members("_parameters", recurse, prefix)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", recurse, prefix)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every descendant, then on this module (for custom initialisation)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- modes and gradients -----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=False``: evaluation) on this module and its descendants."""
        if not isinstance(mode, bool):
            raise ArgumentError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: BatchNorm uses its running statistics, Dropout does nothing."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn gradient tracking of every parameter on or off (to freeze a part of a model)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: ``None`` (the default, as in PyTorch) or zeros."""
        clear_gradients(self.parameters(), set_to_none)

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False) -> Module:
        """Convert the floating-point parameters, their gradients and buffers, in place; returns ``self``.

        PyTorch's forms: ``to(dtype)``, ``to("cpu")``, ``to("cpu", dtype)``,
        ``to(tensor)`` (its dtype), ``to(device=, dtype=)``. The device must be
        the CPU (a no-op). Each parameter keeps its identity (its array is
        replaced, as PyTorch replaces ``param.data``), so an optimizer made
        before still updates it. Integer buffers (``num_batches_tracked``) keep
        their dtype.
        """
        dtype = requested_dtype(args, dtype, device, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise ArgumentError(f"{type(self).__name__}.to: dtype must be a floating-point dtype, got {dtype}")
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for value in registry.values():
                    if value is None or value.dtype.kind != "f" or value.dtype == dtype:
                        continue
                    value.data = value.detach().numpy().astype(dtype)
                    if value.grad is not None:
                        value.grad = value.grad.detach().numpy().astype(dtype)
        return self

    def cpu(self) -> Module:
        """``self``: wengert's modules live on the CPU."""
        return self

    def cuda(self, device=None) -> Module:
        """Refused: wengert computes with NumPy on the CPU."""
        check_device("cuda", f"{type(self).__name__}.cuda")

    def double(self) -> Module:
        """``to(float64)``."""
        return self.to(xp.float64)

    def float(self) -> Module:
        """``to(float32)``."""
        return self.to(xp.float32)

    def half(self) -> Module:
        """``to(float16)``."""
        return self.to(xp.float16)

    # --- state dicts ---------------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> dict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, as Tensors sharing the module's storage.

        With ``keep_vars`` the parameters themselves; otherwise detached views
        of them, which ``wengert.save`` writes and ``load_state_dict`` reads.
        """
        state = {}
        for owner_name, owner in self.named_modules(prefix):
            dotted = f"{owner_name}." if owner_name else ""
            for name, param in owner._parameters.items():
                if param is not None:
                    state[dotted + name] = param if keep_vars else param.detach()
            for name, buffer in owner._buffers.items():
                if buffer is not None and name not in owner._non_persistent_buffers:
                    state[dotted + name] = buffer if keep_vars else buffer.detach()
        return state

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers, checking them first.

        Every name must match (with ``strict``, the default), and every value
        must have its parameter's shape and dtype; otherwise nothing is
        changed and a :class:`~wengert.errors.StateDictError` lists each
        problem: missing and unexpected names, and each shape or dtype that
        differs, naming the key and both shapes or dtypes.
        """
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys (in the module, not in the state dict): {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys (in the state dict, not in the module): {unexpected}")
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.detach().numpy() if isinstance(value, Tensor) else xp.asarray(value)
            if array.shape != tuple(target.shape):
                problems.append(
                    f"shape mismatch for {key!r}: the state dict has shape {array.shape}, "
                    f"the module {tuple(target.shape)}"
                )
            elif array.dtype != target.dtype:
                problems.append(
                    f"dtype mismatch for {key!r}: the state dict has {array.dtype}, the module {target.dtype}; "
                    f"convert the module (or the value) so the two agree"
                )
            else:
                updates.append((target, array))
        if problems:
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: the state dict does not fit the module; nothing was "
                "loaded:\n  " + "\n  ".join(problems)
            )
        with no_grad():
            for target, array in updates:
                target.copy_(array)
        return IncompatibleKeys(missing, unexpected)

    # --- printing ------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown between the parentheses of this module's repr (none by default)."""
        return ""

    def __repr__(self) -> str:
        children = [(name, module) for name, module in self._modules.items() if module is not None]
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [extra] if extra else []
        for name, module in children:
            lines.append(f"({name}): " + repr(module).replace("\n", "\n  "))
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


@contextlib.contextmanager
def _swapped(module: Module, values: dict):
    """Within the block, ``module``'s parameters and buffers named in ``values`` are those values."""
    owners = dict(module.named_modules())
    saved = []
    try:
        for key, value in values.items():
            owner_name, _, name = key.rpartition(".")
            owner = owners.get(owner_name)
            registry = None
            if owner is not None:
                registry = owner._parameters if name in owner._parameters else owner._buffers
            if registry is None or name not in registry:
                raise StateDictError(
                    f"functional_call: {type(module).__name__} has no parameter or buffer {key!r}; "
                    "use the names of module.named_parameters() / named_buffers()."
                )
            saved.append((registry, name, registry[name]))
            registry[name] = value
        yield
    finally:
        for registry, name, original in reversed(saved):
            registry[name] = original


def functional_call(module: Module, parameters_and_buffers: dict, args=(), kwargs=None):
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced by the given values.

    The values may be arrays or traced values, so a module becomes a pure
    function of its parameters for the functional transforms, as with
    ``torch.func.functional_call``:

    >>> import wengert, numpy as np
    >>> from wengert import nn
    >>> layer = nn.Linear(2, 1, generator=0)
    >>> params = {"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])}
    >>> loss = lambda p: functional_call(layer, p, (np.array([[3.0, 4.0]]),)).sum()
    >>> wengert.grad(loss)(params)["weight"].tolist()
    [[3.0, 4.0]]
    """
    if not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, parameters_and_buffers):
        return module(*args, **(kwargs or {}))
