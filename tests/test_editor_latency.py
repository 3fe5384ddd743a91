"""The editor latency benchmark without a model: its fixtures are sound, its summaries add up.

Every solve stub fails its hidden checks and a reference solution passes them (and the stub's own
doctests); every repair fixture fails its hidden checks and the failing doctest or neighbouring
test it is meant to show, and the reference fix passes all of them. The references and fixes live
in the manifest only to be checked here; the benchmark never sends them to the server.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lsprotocol import types

from atlas_lsp.features.actions import Action
from atlas_lsp.functions import parse_module
from benchmarks.editor_latency import (
    CheckOutcome,
    Fixture,
    JobRecord,
    Run,
    TimeSplit,
    apply_text_edits,
    def_line,
    load_fixtures,
    markdown_of,
    percentile,
    report_of,
    run_checks,
    select_fixtures,
    server_settings,
    summarize,
    time_split_of,
)
from engine.examples import docstring_examples, examples_in_test_file

FIXTURES = load_fixtures()
SOLVE = [fixture for fixture in FIXTURES if fixture.action == "solve"]
REPAIR = [fixture for fixture in FIXTURES if fixture.action == "repair"]
BAD_INPUT = {fixture.id: fixture for fixture in FIXTURES if fixture.action == "bad-input"}


def ids(fixtures: list[Fixture]) -> list[str]:
    return [fixture.id for fixture in fixtures]


def docstring_of(source: str, function: str) -> str:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return ast.get_docstring(node) or ""
    raise AssertionError(f"no function {function}")


def doctests_pass(code: str, docstring: str, folder: Path) -> CheckOutcome:
    """Run `docstring`'s examples against `code` (so a stub's doctests can be run on a reference)."""
    runner = (
        "import doctest, sys\n"
        f"_test = doctest.DocTestParser().get_doctest({docstring!r}, dict(globals()), 'doctests', None, 0)\n"
        "_runner = doctest.DocTestRunner()\n"
        "_runner.run(_test)\n"
        "sys.exit(1 if _runner.failures else 0)\n"
    )
    return run_checks(code, runner, folder)


def neighbour_tests_pass(folder: Path) -> CheckOutcome:
    """Call every test function of the test files beside the fixture's file, as pytest would."""
    runner = (
        "import importlib, pathlib\n"
        "for path in sorted(pathlib.Path('.').glob('test_*.py')):\n"
        "    module = importlib.import_module(path.stem)\n"
        "    for name, test in vars(module).items():\n"
        "        if name.startswith('test_'):\n"
        "            test()\n"
    )
    return run_checks("", runner, folder)


def test_the_manifest_holds_enough_fixtures_of_each_kind() -> None:
    assert len(SOLVE) >= 20
    assert len(REPAIR) >= 20
    shown_by = [fixture.bug_shows_in for fixture in REPAIR]
    assert shown_by.count("doctest") >= 5 and shown_by.count("test") >= 5
    assert BAD_INPUT


def test_every_workspace_folder_belongs_to_a_fixture() -> None:
    folders = {path.name for path in (FIXTURES[0].workspace.parent).iterdir() if path.is_dir()}
    assert folders == {fixture.id for fixture in FIXTURES}


def test_limit_takes_the_first_fixtures_of_each_action() -> None:
    chosen = select_fixtures(FIXTURES, None, 1)
    assert [fixture.action for fixture in chosen] == ["solve", "repair", "bad-input"]
    assert chosen[0] is SOLVE[0] and chosen[1] is REPAIR[0]
    assert select_fixtures(FIXTURES, "repair", None) == REPAIR


@pytest.mark.parametrize("fixture", SOLVE, ids=ids(SOLVE))
def test_solve_stub_is_offered_solve_fails_its_checks_and_the_reference_passes(
    fixture: Fixture, tmp_path: Path
) -> None:
    source = fixture.source()
    site = parse_module(source).function_named(fixture.function)
    assert site is not None and Action.SOLVE.offered_for(site)
    assert docstring_examples(site.docstring or "", fixture.function).examples, "the server reads no doctest"
    folder = fixture.materialize(tmp_path).parent

    assert not run_checks(source, fixture.checks, folder).passed
    with_reference = f"{source}\n\n{fixture.reference}"
    assert run_checks(with_reference, fixture.checks, folder) == CheckOutcome(True)
    assert doctests_pass(with_reference, docstring_of(source, fixture.function), folder) == CheckOutcome(True)


@pytest.mark.parametrize("fixture", REPAIR, ids=ids(REPAIR))
def test_repair_bug_shows_where_the_fixture_says_and_the_fix_passes_everything(
    fixture: Fixture, tmp_path: Path
) -> None:
    buggy, fixed = fixture.source(), fixture.fixed_source()
    site = parse_module(buggy).function_named(fixture.function)
    assert site is not None and Action.REPAIR.offered_for(site)
    path = fixture.materialize(tmp_path)
    folder, docstring = path.parent, docstring_of(buggy, fixture.function)

    assert not run_checks(buggy, fixture.checks, folder).passed
    if fixture.bug_shows_in == "doctest":
        assert not doctests_pass(buggy, docstring, folder).passed
    else:
        assert doctests_pass(buggy, docstring, folder).passed, "the bug should show only in the test file"
        assert not neighbour_tests_pass(folder).passed
        test_sources = [test.read_text() for test in folder.glob("test_*.py")]
        assert any(examples_in_test_file(text, fixture.function) for text in test_sources), "the server reads no assert"

    path.write_text(fixed)
    assert run_checks(fixed, fixture.checks, folder) == CheckOutcome(True)
    assert doctests_pass(fixed, docstring, folder) == CheckOutcome(True)
    assert neighbour_tests_pass(folder) == CheckOutcome(True)


def test_bad_input_with_a_test_file_that_does_not_parse(tmp_path: Path) -> None:
    fixture = BAD_INPUT["average_speed"]
    folder = fixture.materialize(tmp_path).parent
    with pytest.raises(SyntaxError):
        ast.parse((folder / "test_speeds.py").read_text())
    assert run_checks(fixture.source(), fixture.checks, folder) == CheckOutcome(True)


def test_bad_input_with_a_test_that_hangs(tmp_path: Path) -> None:
    fixture = BAD_INPUT["collatz_steps"]
    folder = fixture.materialize(tmp_path).parent
    assert neighbour_tests_pass_within(folder, 2.0) == CheckOutcome(False, "timed out after 2 s")
    assert run_checks(fixture.source(), fixture.checks, folder) == CheckOutcome(True)


def neighbour_tests_pass_within(folder: Path, seconds: float) -> CheckOutcome:
    runner = "import test_collatz\ntest_collatz.test_one_takes_no_steps()\ntest_collatz.test_zero_takes_no_steps()\n"
    return run_checks("", runner, folder, timeout=seconds)


def test_the_materialized_copy_is_a_project_of_its_own_readable_by_the_sandbox(tmp_path: Path) -> None:
    path = REPAIR[0].materialize(tmp_path)
    assert (path.parent / "pyproject.toml").is_file()
    assert path.read_text() == REPAIR[0].source()
    assert oct(path.parent.stat().st_mode & 0o777) == oct(0o755)


def test_def_line_is_where_the_cursor_asks_for_actions() -> None:
    assert def_line("import os\n\n\ndef f():\n    pass\n", "f") == 3


def test_edits_apply_as_an_editor_applies_them() -> None:
    text = "def f():\n    ...\n\nx = 1\n"
    edit = types.TextEdit(types.Range(types.Position(0, 0), types.Position(2, 0)), "def f():\n    return 2\n")
    assert apply_text_edits(text, [edit]) == "def f():\n    return 2\n\nx = 1\n"


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(value) for value in range(1, 11)]
    assert percentile(values, 0.9) == pytest.approx(9.1)
    assert percentile(values, 0.5) == pytest.approx(5.5)
    assert percentile([4.0], 0.9) == 4.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def record(seconds: float, passed: bool, split: TimeSplit | None, tokens: tuple[int, int] = (100, 20)) -> JobRecord:
    return JobRecord(
        "f", "solve", seconds, passed, passed, "Applied", tokens_in=tokens[0], tokens_out=tokens[1], time_split=split
    )


def test_summary_counts_success_and_splits_the_time() -> None:
    records = [
        record(10.0, True, TimeSplit(2.0, 5.0, 1.0, 2.0)),
        record(30.0, False, TimeSplit(4.0, 20.0, 3.0, 3.0), (300, 60)),
        record(20.0, True, None, (200, 40)),
    ]
    summary = summarize("solve", records)
    assert (summary.jobs, summary.succeeded, summary.success_rate) == (3, 2, 0.667)
    assert (summary.median_seconds, summary.p90_seconds, summary.max_seconds) == (20.0, 28.0, 30.0)
    assert (summary.tokens_in_median, summary.tokens_out_total) == (200, 120)
    # Shares are of the jobs that reported a split (10 s + 30 s).
    assert summary.time_split_seconds == {"prefill": 6.0, "decode": 25.0, "sandbox": 4.0, "other": 5.0}
    assert summary.time_split_share == {"prefill": 0.15, "decode": 0.625, "sandbox": 0.1, "other": 0.125}


def test_a_backend_that_does_not_time_decoding_leaves_prefill_and_decode_unknown() -> None:
    split = time_split_of(12.0, {"sandbox_seconds": 2.0, "prefill_seconds": None, "decode_seconds": None})
    assert split == TimeSplit(None, None, 2.0, 10.0)
    summary = summarize("repair", [record(12.0, True, split)])
    assert summary.time_split_seconds["prefill"] is None and summary.time_split_share["sandbox"] == pytest.approx(0.167)


def test_overlapping_parts_never_make_other_negative() -> None:
    usage = {"sandbox_seconds": 3.0, "prefill_seconds": 2.0, "decode_seconds": 6.0}
    assert time_split_of(10.0, usage) == TimeSplit(2.0, 6.0, 3.0, 0.0)
    assert time_split_of(10.0, None) is None


def test_the_report_renders_as_markdown() -> None:
    run = Run("small", {"model": "small"}, list(BAD_INPUT.values()), 900.0)
    run.records = [
        record(10.0, True, TimeSplit(2.0, 5.0, 1.0, 2.0)),
        JobRecord("average_speed", "bad-input", 1.5, False, False, "Nothing to change", shown=("nothing | to change",)),
    ]
    load = {"cpus": 2, "load_average_at_start": [1.0, 1, 1], "load_average_at_end": [2.0, 2, 2]}
    report = report_of(
        run,
        "python benchmarks/editor_latency.py",
        datetime(2026, 1, 1, tzinfo=UTC),
        {**load, "other_load_cores": 0.0, "shared": False},
        True,
    )
    text = markdown_of(report)
    assert "# Editor latency: small model (partial run)" in text
    assert "| solve | 1/1 (100%) | 10.0 | 10.0 | 10.0 | 100 | 20 | 20% | 50% | 10% | 20% |" in text
    assert "nothing \\| to change" in text
    assert report["bad_input"][0]["changed_the_file"] is False


def test_the_report_names_the_llama_cpp_build_the_server_loads() -> None:
    run = Run("small", {"model": "small"}, [], 900.0)
    load = {"cpus": 2, "load_average_at_start": [1.0, 1, 1], "load_average_at_end": [2.0, 2, 2]}
    report = report_of(
        run, "cmd", datetime(2026, 1, 1, tzinfo=UTC), {**load, "other_load_cores": 0.0, "shared": False}, False
    )
    assert report["runtime_build"].startswith("llama-cpp-python ") and "CPU" in report["runtime_build"]
    assert f"Runtime: {report['runtime_build']}." in markdown_of(report)


def test_a_trace_folder_reaches_the_server_as_its_trace_dir_setting(tmp_path: Path) -> None:
    assert server_settings("small", None) == {"model": "small"}
    assert server_settings("small", tmp_path / "traces") == {"model": "small", "traceDir": str(tmp_path / "traces")}
