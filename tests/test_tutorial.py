"""The tutorial docs/viz.md runs: its code blocks, in order, in one namespace (the delta rule check included)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).parent.parent / "docs" / "viz.md"


def test_the_tutorial_runs_and_its_checks_hold(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("WENGERT_TUTORIAL_OUT", str(tmp_path))
    blocks = re.findall(r"```python\n(.*?)```", TUTORIAL.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 6
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(TUTORIAL), "exec"), namespace)
    for picture in ("fd_error.png", "e_graph.svg", "landscape.png"):
        assert (tmp_path / picture).stat().st_size > 1000, picture
