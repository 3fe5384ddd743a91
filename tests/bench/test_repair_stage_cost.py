"""The repair-stage ablation derived from a recorded run: which stage wrote each answer, and the time to it."""

from __future__ import annotations

from benchmarks.repair_stage_cost import task_record


def row(origin: str, passed: bool, seconds: float) -> dict:
    return {
        "question_id": "T/1",
        "passed": passed,
        "public_after": passed,
        "evidence": {"origin": origin},
        "seconds": seconds,
    }


def prompt(time: float, key: str, n: int) -> dict:
    return {"kind": "prompt", "time": time, "key": key, "n": n}


TRACE = [
    prompt(100.5, "repair.direct", 1),
    prompt(103.0, "repair.direct", 2),
    prompt(107.0, "repair.direct", 2),
    prompt(111.0, "repair.analysis", 2),
    {"kind": "answer", "time": 150.0},
]


def test_an_answer_of_the_analysed_rounds_is_written_by_the_last_stage() -> None:
    assert task_record(row("repair:2", True, 50.0), TRACE).answer_stage == 2


def test_stopping_before_a_stage_saves_the_time_from_its_first_prompt_to_the_answer() -> None:
    record = task_record(row("repair:2", True, 50.0), TRACE)
    assert record.seconds_before == (0.5, 3.0, 11.0)


def test_the_unchanged_original_is_written_by_no_stage() -> None:
    assert task_record(row("original", False, 50.0), TRACE).answer_stage == -1
