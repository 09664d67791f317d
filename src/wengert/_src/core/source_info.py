"""Finding the user's line: the innermost stack frame outside wengert, NumPy and SciPy."""

import dis
import importlib.util
import os
import sys

from ..backend import xp

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _library_dirs() -> tuple[str, ...]:
    """wengert's, NumPy's and (if installed, found without importing it) SciPy's folders.

    SciPy's frames are skipped too: ``scipy.integrate.quad(f, ...)`` converts what the user's
    ``f`` returns from inside SciPy, and the line to point at is the user's call of ``quad``.
    """
    dirs = [_PACKAGE_DIR, os.path.dirname(os.path.abspath(xp.__file__))]
    scipy_spec = importlib.util.find_spec("scipy")
    if scipy_spec is not None and scipy_spec.origin:
        dirs.append(os.path.dirname(os.path.abspath(scipy_spec.origin)))
    return tuple(dirs)


_LIBRARY_DIRS = _library_dirs()


def user_frame_summary() -> str:
    """``'file.py:12 (in function)'`` for the innermost caller outside wengert, NumPy and SciPy, or ``''``."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_LIBRARY_DIRS):
            return f"{filename}:{frame.f_lineno} (in {frame.f_code.co_name})"
        frame = frame.f_back
    return ""


_STORE_SUBSCR = dis.opmap["STORE_SUBSCR"]


def is_storing_into_a_container(depth: int) -> bool:
    """Whether the Python frame ``depth`` calls above the caller is running ``container[...] = value``.

    ``y[0] = x[1]`` with ``y`` a NumPy array makes NumPy convert ``x[1]`` with
    ``float()`` (``int()`` for an integer array) from inside that statement: NumPy's C
    code has no frame, so the frame above ``__float__`` is the user's, at a subscript store.
    """
    frame = sys._getframe(depth + 1)
    return frame.f_code.co_code[frame.f_lasti] == _STORE_SUBSCR
