"""``Sequential`` chains modules, ``ModuleList`` holds them in a list; both index, slice and count like lists."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator

from wengert.errors import ArgumentError

from .module import Module

__all__ = ["ModuleList", "Sequential"]


class Sequential(Module):
    """``Sequential(a, b, c)(x) == c(b(a(x)))``; children are named ``"0"``, ``"1"``, ...

    ``model[i]`` is the i-th module (negative indices count from the end),
    ``model[i:j]`` a ``Sequential`` of a slice sharing the same modules,
    ``len(model)`` the number of modules; ``append`` adds one at the end.
    A single ``dict`` argument names the children instead.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for module in modules:
                self.append(module)

    def append(self, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise ArgumentError(f"Sequential: {type(module).__name__} is not a Module")
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"Sequential index {index} is out of range for {len(modules)} modules")
        return modules[index]

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(Module):
    """A list of modules registered as children ``"0"``, ``"1"``, ..., so every Module method sees them.

    It indexes, slices (a slice is a ``ModuleList`` sharing the same modules),
    iterates and grows like a Python list: ``append``, ``extend``, ``insert``,
    ``pop``, ``+=``, ``list[i] = module`` and ``del list[i]``, renumbering the
    children so their names stay ``"0"`` to ``"len - 1"`` in order. It has no
    ``forward``: a model iterates over it in its own ``forward``.

    >>> from wengert import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2, generator=i) for i in range(2)])
    >>> layers.append(nn.Tanh())
    ModuleList(
      (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)
      (2): Tanh()
    )
    >>> [name for name, _ in layers.named_parameters()]
    ['0.weight', '0.bias', '1.weight', '1.bias']
    """

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _renumber(self, modules: list[Module]) -> None:
        """Make ``modules`` the children, in order, named ``"0"``, ``"1"``, ..."""
        self._modules.clear()
        for module in modules:
            self.add_module(str(len(self._modules)), module)

    def _position(self, index) -> int:
        """``index`` as a position in ``[0, len)``; negative indices count from the end, as in a list."""
        index = operator.index(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f"ModuleList index {index} is out of range for {len(self)} modules")
        return index % len(self)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), _checked(module, "append"))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each module of the iterable ``modules`` at the end, in order."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"ModuleList.extend needs an iterable of modules, got a {type(modules).__name__}")
        for module in [_checked(module, "extend") for module in modules]:
            self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index`` (clamped to the list, negative from the end, as ``list.insert``)."""
        modules = list(self)
        modules.insert(operator.index(index), _checked(module, "insert"))
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        """Remove the module at ``index`` (the last by default) and return it."""
        module = self[index]
        del self[index]
        return module

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self)[index])
        return self._modules[str(self._position(index))]

    def __setitem__(self, index: int, module: Module) -> None:
        modules = list(self)
        modules[self._position(index)] = _checked(module, "__setitem__")
        self._renumber(modules)

    def __delitem__(self, index) -> None:
        modules = list(self)
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[self._position(index)]
        self._renumber(modules)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleList has no forward(): it only holds modules. Iterate over it in your module's forward "
            "(for layer in self.layers: x = layer(x)), or use nn.Sequential to chain the modules."
        )

    def __repr__(self) -> str:
        """PyTorch's repr: a run of identical modules prints once, as ``(0-2): 3 x Linear(...)``."""
        runs: list[list] = []
        for position, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = position
            else:
                runs.append([position, position, text])
        if not runs:
            return "ModuleList()"
        lines = [
            (f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}")
            for first, last, text in runs
        ]
        return "ModuleList(\n  " + "\n  ".join(line.replace("\n", "\n  ") for line in lines) + "\n)"


def _checked(module, method: str) -> Module:
    """``module``, if it is a Module; anything else is refused with a TypeError, as PyTorch refuses it."""
    if not isinstance(module, Module):
        raise TypeError(
            f"ModuleList.{method}: {type(module).__name__} is not a Module; a ModuleList holds only nn.Module "
            "instances (wrap a plain function in a Module subclass)."
        )
    return module
