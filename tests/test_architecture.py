"""The import graph keeps the layers (docs/architecture.md): no import cycle anywhere, and no arrow up from the engine.

Read from the source with ``ast``: every import counts, at the top of a module or
inside a function (a lazy import is still a dependency). The engine is
``wengert._src``: backend, core, primitives, transforms, compile. It may import
the one exceptions module, ``wengert.errors``, and nothing else public; the
faces (``wengert.numpy``, ``wengert.scipy``, the Tensor face ``wengert._tensor``,
``nn``, ``optim``), the tools and the applications import it, never the other
way round. At the top, the applications (``wengert.apps``) are imported by no
tool, face or engine module.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src"

KNOWN_UPWARD_IMPORTS = {
    ("wengert._src.core.ir", "wengert.viz"): (
        "Program._repr_svg_ (the picture Jupyter shows) calls wengert.viz.draw, imported lazily"
    ),
    ("wengert._src.transforms.random_states", "wengert.random"): (
        "the default generator (wengert.manual_seed) lives in wengert.random, a leaf that imports only the backend"
    ),
}
"""Arrows from the engine to a public module that remain, each with why (docs/architecture.md lists them)."""

KNOWN_CYCLE_EDGES = {
    ("wengert._src.core.ir", "wengert.viz"): (
        "a Program's picture for Jupyter (_repr_svg_) is drawn by the tool that draws every graph, which reads "
        "Programs; imported lazily, when Jupyter asks for the picture, never while importing"
    ),
    ("wengert.scalar", "wengert.viz"): (
        "a teaching Value's picture (_repr_svg_, draw) is drawn by the same tool, which also draws Values; "
        "imported lazily, when the picture is asked for"
    ),
}
"""Imports that close a cycle and stay, each with why (docs/architecture.md lists them): the cycle check
leaves these edges out, and fails for any other cycle."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(SOURCE.joinpath("wengert").rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The wengert modules that ``name`` imports.

    ``from package import module`` names the module only: Python runs the
    package's ``__init__`` first, but as the parent of every module in it, not
    as a dependency of this one.
    """
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & modules.keys()
            if target in modules and len(submodules) < len(node.names):
                found.add(target)  # a name defined by the module itself, not one of its submodules
            found.update(submodules)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports."""
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (each holds a cycle), by Tarjan's algorithm."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in graph[module]:
            if target not in graph:
                continue
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in order:
            visit(module)
    return cycles


def _engine(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {name: targets for name, targets in graph.items() if name.startswith("wengert._src")}


def test_the_engine_has_no_import_cycle():
    assert import_cycles(_engine(import_graph())) == []


def test_no_module_takes_part_in_an_import_cycle():
    """Lazy imports count: a cycle through a function-level import is still two modules that need each other."""
    graph = import_graph()
    for source, target in KNOWN_CYCLE_EDGES:
        assert target in graph[source], f"{source} no longer imports {target}: remove it from KNOWN_CYCLE_EDGES"
        graph[source] = graph[source] - {target}
    assert import_cycles(graph) == [], (
        "modules that import each other (directly or around a loop): move the shared code down into a module "
        "both import, or hand the lower module what it needs (as numpy/_methods.install takes the namespace)"
    )


def test_the_known_cycle_edges_would_close_cycles():
    """Each allowed edge is there because it closes a cycle; one that no longer does is no exception."""
    graph = import_graph()
    for source, target in KNOWN_CYCLE_EDGES:
        assert any(source in component for component in import_cycles(graph)), (
            f"{source} -> {target} closes no cycle any more: remove it from KNOWN_CYCLE_EDGES"
        )


def test_the_engine_imports_no_public_module_but_the_exceptions():
    upward = {
        (name, target)
        for name, targets in _engine(import_graph()).items()
        for target in targets
        if not target.startswith("wengert._src") and target != "wengert.errors"
    }
    assert upward == set(KNOWN_UPWARD_IMPORTS), (
        "an engine module (wengert._src) imports a face, tool or application: route it through the engine's own "
        f"modules, or move the code up. New: {sorted(upward - set(KNOWN_UPWARD_IMPORTS))}; "
        f"gone (remove from KNOWN_UPWARD_IMPORTS): {sorted(set(KNOWN_UPWARD_IMPORTS) - upward)}"
    )


KNOWN_IMPORTS_OF_APPLICATIONS = {
    ("wengert.data", "wengert.apps.data"): (
        "a PyTorch user finds data utilities beside nn and optim (torch.utils.data); the code lives with the "
        "application that needs it"
    ),
}
"""Modules outside ``wengert.apps`` that import an application, each with why (docs/architecture.md)."""


def test_only_the_applications_import_an_application():
    """The applications (``wengert.apps``) sit on top: a tool (``viz``, ``check``, ...), a face or the engine
    reads none of them; what a tool needs from one moves down into the tool."""
    importing = {
        (name, target)
        for name, targets in import_graph().items()
        for target in targets
        if target.startswith("wengert.apps") and not name.startswith("wengert.apps")
    }
    assert importing == set(KNOWN_IMPORTS_OF_APPLICATIONS), (
        f"New: {sorted(importing - set(KNOWN_IMPORTS_OF_APPLICATIONS))}; "
        f"gone (remove from KNOWN_IMPORTS_OF_APPLICATIONS): {sorted(set(KNOWN_IMPORTS_OF_APPLICATIONS) - importing)}"
    )


def test_no_module_imports_another_modules_private_names():
    """``from module import _name`` only for a private module of one's own package (``from . import _math``)."""
    modules = _modules()
    reaching = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
                continue
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and not (target == package and f"{target}.{alias.name}" in modules):
                    reaching.append(f"{name}: from {target} import {alias.name}")
    assert reaching == [], "make the name public (with a docstring) or move the code that uses it"


def test_from_a_package_import_a_submodule_depends_on_the_submodule_only():
    graph = import_graph()
    assert "wengert.nn.functional" in graph["wengert.nn.layers"]  # from . import functional as F
    assert "wengert.nn" not in graph["wengert.nn.layers"]


def test_a_lazy_import_counts():
    assert "wengert.viz" in import_graph()["wengert._src.core.ir"]  # inside Program._repr_svg_


def test_the_cycle_finder_finds_a_cycle():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
