"""scripts/run_autograd_suite.py counts as it says: a module that fails to import fails all its tests."""

import collections
import importlib.util
import pathlib

SCRIPT = pathlib.Path(__file__).parent.parent / "scripts" / "run_autograd_suite.py"

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="test_core" name="test_add" />
  <testcase classname="test_core" name="test_sub"><failure message="ValueError: bad 3">x</failure></testcase>
  <testcase classname="test_core" name="test_skip"><skipped message="no" /></testcase>
  <testcase classname="" name="test_scipy"><error message="collection failure">ImportError</error></testcase>
</testsuite></testsuites>
"""


def _script():
    spec = importlib.util.spec_from_file_location("run_autograd_suite", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_module_that_fails_to_import_counts_all_its_tests_as_failed(tmp_path, capsys):
    report = tmp_path / "report.xml"
    report.write_text(REPORT)
    failed = _script().summarize(report, collections.Counter({"test_core": 3, "test_scipy": 5}))
    out = capsys.readouterr().out
    assert failed == 6
    assert "1 of 7 passed (14.3%), 1 skipped" in out
    assert "test_scipy (all 5 tests)" in out
    assert "ValueError: bad #" in out
