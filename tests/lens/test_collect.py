"""Collection through the engine's real explore/read path, with a fake model and sandbox."""

from __future__ import annotations

import inspect
from pathlib import Path

from atlas_lsp.bench.collect import CollectSettings, collect
from atlas_lsp.bench.runner import BenchProblem
from engine.config import EngineConfig, PipelineConfig
from engine.service import Engine
from engine.task import Example, Task
from lens.records import RECORDS_FILE, read_records
from fakes import FakeRuntime, FakeSandbox
from sandbox.testcases import TestCase, TestKind
from sandbox.worker import encode_value

CANARY = "CANARY-3f9a-hidden"
# Greedy plus four samples (one per fixed program): three right, two wrong.
CONFIG = EngineConfig(pipeline=PipelineConfig(candidates=4, plan=False, router=False, repair=False, lens=False))


def problem(problem_id: str) -> BenchProblem:
    task = Task(problem_id, "call", "Return twice x.", "def f(x):\n", "f", (Example("[3]", encode_value(6)),))
    hidden = (TestCase(TestKind.CALL, "[7]", encode_value(14)), TestCase(TestKind.CALL, f'["{CANARY}"]', encode_value(CANARY * 2)))
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
    await collect([problem("p1"), problem("p2")], engine, FakeSandbox(), settings(tmp_path),
                  lambda done, _: redone.append(done.task.task_id))
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
    for method in (Engine.solve, Engine.explore, Engine.read_candidates):
        annotations = {name: p.annotation for name, p in inspect.signature(method).parameters.items()}
        assert annotations["task"] == "Task"
        assert not {"hidden_tests", "problem", "tests"} & annotations.keys()
