"""``Sequential``: modules applied one after another, indexable like a list."""

from __future__ import annotations

from collections.abc import Iterator

from wengert.errors import ArgumentError

from .module import Module

__all__ = ["Sequential"]


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
