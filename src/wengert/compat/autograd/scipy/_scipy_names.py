"""Fill a compat module with SciPy's other names, as autograd's modules have them (plain arrays only)."""

import importlib


def add_scipy_names(namespace: dict, scipy_module: str, covered) -> None:
    """Put each public name of ``scipy_module`` that ``covered`` lacks into ``namespace``.

    Those run on plain arrays only: a traced value passed to one raises ``TracerError``.
    Nothing happens without SciPy (it is optional).
    """
    try:
        module = importlib.import_module(scipy_module)
    except ImportError:
        return
    for name in dir(module):
        if not name.startswith("_") and name not in covered:
            namespace.setdefault(name, getattr(module, name))
