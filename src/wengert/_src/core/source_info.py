"""Finding the user's line: the innermost stack frame outside wengert itself."""

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def user_frame_summary() -> str:
    """``'file.py:12 (function)'`` for the innermost caller outside wengert, or ``''``."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            return f"{filename}:{frame.f_lineno} (in {frame.f_code.co_name})"
        frame = frame.f_back
    return ""
