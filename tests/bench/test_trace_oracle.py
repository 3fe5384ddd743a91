"""The oracle ceiling of a traced run: every candidate it wrote, read back from the trace."""

from __future__ import annotations

from pathlib import Path

from fakes import FakeRuntime, FakeSandbox

from benchmarks.trace_oracle import oracle, repair_oracle, traced_candidates
from engine.config import EngineConfig, PipelineConfig
from engine.service import Engine
from engine.task import Example, Task
from sandbox.worker import encode_value

LCB_ROWS = Path(__file__).resolve().parent.parent / "fixtures" / "sandbox" / "lcb_rows.jsonl"
REPAIR_ROWS = Path(__file__).resolve().parent.parent / "fixtures" / "repair" / "humanevalpack_rows.jsonl"
TASK = Task("Mbpp/1", "call", "Return twice x.", "def f(x):\n", "f", (Example("[3]", encode_value(6)),))


async def test_every_candidate_a_traced_solve_writes_is_read_back_once(tmp_path: Path) -> None:
    config = EngineConfig(pipeline=PipelineConfig(router=False, lens=False, candidates=4), trace_dir=str(tmp_path))
    exploration = await Engine(FakeRuntime(), FakeSandbox(), config).explore(TASK)  # type: ignore[arg-type]
    written = list(dict.fromkeys(candidate.code for candidate in exploration.candidates))
    assert traced_candidates(tmp_path) == {"Mbpp/1": written}


def test_a_trace_without_candidate_events_gives_no_problem(tmp_path: Path) -> None:
    (tmp_path / "Mbpp_1.jsonl").write_text('{"kind": "prompt", "task": "Mbpp/1"}\n', encoding="utf-8")
    assert traced_candidates(tmp_path) == {}


async def test_a_problem_counts_when_any_of_its_candidates_passes_its_hidden_tests() -> None:
    read = "a, b = map(int, input().split())\n"
    wrong, right = read + "print(a - b)\n", read + "print(a + b)\n"
    report = await oracle(str(LCB_ROWS), {"fx_sum": [wrong, right], "fx_echo": ["print('nothing')\n"]})
    assert report["oracle_passed"] == 1
    assert report["passing_candidates"] == {"fx_sum": 1, "fx_echo": 0}


async def test_a_repair_task_counts_when_any_candidate_put_into_its_file_passes_the_hidden_check() -> None:
    wrong, right = "def add_one(x):\n    return x + 2\n", "def add_one(x):\n    return x + 1\n"
    report = await repair_oracle(str(REPAIR_ROWS), {"Fixture/0": [wrong, right], "Fixture/1": ["not python ("]})
    assert report["oracle_passed"] == 1
    assert report["passing_candidates"] == {"Fixture/0": 1, "Fixture/1": 0}
