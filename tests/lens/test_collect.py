"""Collection through the engine's real explore/read path, with a fake model and sandbox: by --lens-collect,
and by a bench recording what it solves (--lens-records)."""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path

from fakes import FakeRuntime, FakeSandbox

from atlas_lsp.bench.collect import CollectSettings, collect
from atlas_lsp.bench.runner import RESULTS_FILE, BenchProblem, RunSettings, read_results, run_problems, solving
from engine.config import EngineConfig, PipelineConfig
from engine.service import Engine
from engine.task import Example, Task
from lens.records import RECORDS_FILE, read_records
from sandbox.testcases import TestCase, TestKind
from sandbox.worker import encode_value

CANARY = "CANARY-3f9a-hidden"
# Greedy plus four samples (one per fixed program): three right, two wrong.
CONFIG = EngineConfig(
    pipeline=PipelineConfig(
        candidates=4, wave=0, self_tests_always=True, plan=False, router=False, repair=False, lens=False
    )
)


def problem(problem_id: str) -> BenchProblem:
    task = Task(problem_id, "call", "Return twice x.", "def f(x):\n", "f", (Example("[3]", encode_value(6)),))
    hidden = (
        TestCase(TestKind.CALL, "[7]", encode_value(14)),
        TestCase(TestKind.CALL, f'["{CANARY}"]', encode_value(CANARY * 2)),
    )
    return BenchProblem(task, "easy", "synthetic", "", hidden, "full", title=f"slug-{problem_id}")


def settings(out: Path) -> CollectSettings:
    return CollectSettings(out, "synthetic.jsonl", "a" * 64, "v1")


async def test_every_candidate_is_recorded_with_the_label_the_hidden_tests_give(tmp_path: Path) -> None:
    engine = Engine(FakeRuntime(), FakeSandbox(), CONFIG)
    await collect([problem("p1")], engine, FakeSandbox(), settings(tmp_path), lambda *_: None)
    records = read_records([tmp_path])
    assert [r.origin for r in records] == ["greedy", "sample", "sample", "sample", "sample"]
    assert [r.label for r in records] == [True, True, True, False, False]
    assert {r.title for r in records} == {"slug-p1"} and {r.judge for r in records} == {"full"}


async def test_collection_resumes_without_duplicating_problems(tmp_path: Path) -> None:
    engine = Engine(FakeRuntime(), FakeSandbox(), CONFIG)
    await collect([problem("p1")], engine, FakeSandbox(), settings(tmp_path), lambda *_: None)
    redone: list[str] = []
    await collect(
        [problem("p1"), problem("p2")],
        engine,
        FakeSandbox(),
        settings(tmp_path),
        lambda done, _: redone.append(done.task.task_id),
    )
    assert redone == ["p2"]
    ids = [r.problem_id for r in read_records([tmp_path])]
    assert ids.count("p1") == ids.count("p2") == 5


async def test_hidden_tests_reach_the_judge_and_nothing_the_engine_or_the_records_see(tmp_path: Path) -> None:
    runtime, engine_sandbox, judge = FakeRuntime(), FakeSandbox(), FakeSandbox()
    await collect([problem("p1")], Engine(runtime, engine_sandbox, CONFIG), judge, settings(tmp_path), lambda *_: None)
    assert any(CANARY in seen for seen in judge.seen)
    assert not any(CANARY in seen for seen in runtime.seen + engine_sandbox.seen)
    assert CANARY not in (tmp_path / RECORDS_FILE).read_text()


def test_the_inference_path_takes_only_the_task() -> None:
    for method in (Engine.solve, Engine.solve_exploring, Engine.explore, Engine.read_candidates):
        annotations = {name: p.annotation for name, p in inspect.signature(method).parameters.items()}
        assert annotations["task"] == "Task"
        assert not {"hidden_tests", "problem", "tests"} & annotations.keys()


async def bench(out: Path, problems: list[BenchProblem], engine: Engine, judge: FakeSandbox | None = None) -> None:
    run = RunSettings(out / "run", 1, True, settings(out / "records"))
    await run_problems(problems, solving(engine, judge or FakeSandbox(), run.records), run, lambda row: None)


async def test_records_made_without_reading_hold_no_embedding_and_cost_no_model_reading(tmp_path: Path) -> None:
    runtime = FakeRuntime()
    run = RunSettings(tmp_path / "run", 1, True, replace(settings(tmp_path / "records"), read=False))
    engine = Engine(runtime, FakeSandbox(), CONFIG)
    await run_problems([problem("p1")], solving(engine, FakeSandbox(), run.records), run, lambda row: None)
    records = read_records([tmp_path / "records"])
    assert len(records) == 5 and {r.embedding_dim for r in records} == {0}
    assert runtime.embedded == []


async def test_a_bench_records_its_candidates_labelled_by_the_hidden_tests(tmp_path: Path) -> None:
    await bench(tmp_path, [problem("p1")], Engine(FakeRuntime(), FakeSandbox(), CONFIG))
    records = read_records([tmp_path / "records"])
    assert [(r.origin, r.label) for r in records] == [
        ("greedy", True),
        ("sample", True),
        ("sample", True),
        ("sample", False),
        ("sample", False),
    ]
    assert [row["question_id"] for row in read_results(tmp_path / "run")] == ["p1"]


async def test_a_bench_records_no_hidden_test(tmp_path: Path) -> None:
    runtime, engine_sandbox, judge = FakeRuntime(), FakeSandbox(), FakeSandbox()
    await bench(tmp_path, [problem("p1")], Engine(runtime, engine_sandbox, CONFIG), judge)
    assert any(CANARY in seen for seen in judge.seen)
    assert not any(CANARY in seen for seen in runtime.seen + engine_sandbox.seen)
    assert CANARY not in (tmp_path / "records" / RECORDS_FILE).read_text()


async def test_a_bench_records_the_one_candidate_of_a_problem_its_first_attempt_settled(tmp_path: Path) -> None:
    routed = replace(CONFIG, pipeline=replace(CONFIG.pipeline, router=True))
    await bench(tmp_path, [problem("p1")], Engine(FakeRuntime(), FakeSandbox(), routed))
    assert [r.origin for r in read_records([tmp_path / "records"])] == ["greedy"]
    assert [row["question_id"] for row in read_results(tmp_path / "run")] == ["p1"]


async def test_a_problem_redone_after_a_crash_between_its_two_writes_is_recorded_once(tmp_path: Path) -> None:
    engine = Engine(FakeRuntime(), FakeSandbox(), CONFIG)
    await bench(tmp_path, [problem("p1")], engine)
    (tmp_path / "run" / RESULTS_FILE).unlink()  # records written, result row not
    await bench(tmp_path, [problem("p1")], engine)
    assert [r.problem_id for r in read_records([tmp_path / "records"])] == ["p1"] * 5
    assert [row["question_id"] for row in read_results(tmp_path / "run")] == ["p1"]
