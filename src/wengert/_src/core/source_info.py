"""Finding the user's line: the innermost stack frame outside wengert and NumPy."""

import os
import sys

from ..backend import xp

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LIBRARY_DIRS = (_PACKAGE_DIR, os.path.dirname(os.path.abspath(xp.__file__)))


def user_frame_summary() -> str:
    """``'file.py:12 (in function)'`` for the innermost caller outside wengert and NumPy, or ``''``."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_LIBRARY_DIRS):
            return f"{filename}:{frame.f_lineno} (in {frame.f_code.co_name})"
        frame = frame.f_back
    return ""
