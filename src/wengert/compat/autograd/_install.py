"""``install()``: make ``import autograd`` (and its submodules) give ``wengert.compat.autograd`` in this process.

Like ``pymysql.install_as_MySQLdb()``: every module of the compat package is
entered in ``sys.modules`` under its ``autograd`` name, so ``import
autograd.numpy as np`` in any library returns wengert's module, and a finder at
the front of ``sys.meta_path`` answers every other ``autograd.*`` name with an
``ImportError`` that says the compat package lacks it (the real autograd's
modules, if installed, are never mixed in).

Limits: modules that imported the real autograd before ``install()`` keep the
objects they hold (call it first, before importing the library that uses
autograd); it changes this process only, not subprocesses.
"""

from __future__ import annotations

import importlib
import importlib.abc
import pkgutil
import sys

from wengert.errors import MissingDependencyError

ALIAS = "autograd"
TARGET = "wengert.compat.autograd"

_saved: dict = {}


class AutogradAliasFinder(importlib.abc.MetaPathFinder):
    """Refuses the ``autograd.*`` modules the compat package does not provide, with an explanation."""

    def find_spec(self, fullname, path, target=None):
        if fullname == ALIAS or fullname.startswith(ALIAS + "."):
            raise MissingDependencyError(
                f"No module named {fullname!r}: autograd is installed as wengert.compat.autograd "
                "(wengert.compat.autograd.install()), which does not provide this module yet "
                "(see docs/autograd_migration.md). Call wengert.compat.autograd.uninstall() to use the "
                "real autograd."
            )
        return None


def compat_modules() -> dict:
    """Every public module of the compat package, imported, by its ``autograd`` name."""
    package = importlib.import_module(TARGET)
    modules = {ALIAS: package}
    for info in pkgutil.walk_packages(package.__path__, TARGET + "."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        modules[ALIAS + info.name[len(TARGET) :]] = importlib.import_module(info.name)
    return modules


def is_installed() -> bool:
    """Whether ``import autograd`` gives ``wengert.compat.autograd`` now."""
    return sys.modules.get(ALIAS) is sys.modules.get(TARGET) is not None


def install() -> None:
    """Make ``import autograd`` and ``import autograd.<submodule>`` give the compat package's modules.

    Any real autograd modules already imported are set aside (``uninstall`` puts them back).

    >>> import wengert.compat.autograd as wag
    >>> wag.install()
    >>> import autograd.numpy
    >>> autograd.numpy.sin is wag.numpy.sin
    True
    >>> wag.uninstall()
    """
    if is_installed():
        return
    for name in [name for name in sys.modules if name == ALIAS or name.startswith(ALIAS + ".")]:
        _saved[name] = sys.modules.pop(name)
    sys.modules.update(compat_modules())
    if not any(isinstance(finder, AutogradAliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, AutogradAliasFinder())


def uninstall() -> None:
    """Undo :func:`install`: ``autograd`` names the real autograd again (if it is installed)."""
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, AutogradAliasFinder)]
    for name in [name for name in sys.modules if name == ALIAS or name.startswith(ALIAS + ".")]:
        module = sys.modules[name]
        if getattr(module, "__name__", "").startswith(TARGET):
            del sys.modules[name]
    sys.modules.update(_saved)
    _saved.clear()
