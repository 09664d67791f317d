"""The README's tour runs as written, so the README stays true."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_every_python_block_of_the_readme_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "the README should show Python code"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


def test_the_readme_quickstart_test_command_is_what_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text()
    assert 'pip install ".[test]" && python -m pytest' in README.read_text()
    assert 'pip install -q ".[test]" && python -m pytest' in ci
