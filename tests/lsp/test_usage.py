"""The output-log line that says what a job cost, which the editor latency benchmark reads."""

from __future__ import annotations

import json

from atlas_lsp.features.actions import Edit, Verdict
from atlas_lsp.features.rewrite import Rewrite
from atlas_lsp.features.usage import USAGE_MARKER, usage_message
from engine.counters import EngineCounters
from engine.task import Answer, Evidence, StageUsage, VerifyReport

WORK = EngineCounters(0.41234, 1.2, 3.4, 250, 60, 45)


def test_an_edit_reports_tokens_per_stage_and_where_the_time_went() -> None:
    usage = {
        "generate": StageUsage(tokens_in=200, tokens_out=40, seconds=4.5678),
        "execute": StageUsage(seconds=0.4, candidates=1, sandbox_runs=1),
    }
    answer = Answer("def f(): ...", 0.6, Evidence(1, 1, 1), usage)
    line = usage_message("ATLAS: Solve f", Edit(Rewrite(()), answer), WORK, 5.25)
    title, marker, payload = line.partition(USAGE_MARKER)
    assert (title, marker) == ("ATLAS: Solve f", USAGE_MARKER)
    reported = json.loads(payload)
    assert reported["engine_seconds"] == 5.25
    assert (reported["tokens_in"], reported["tokens_out"]) == (200, 40)
    assert reported["sandbox_seconds"] == 0.412 and reported["prefill_seconds"] == 1.2
    assert reported["prompt_tokens_reused"] == 60
    assert reported["stages"]["generate"] == {
        "tokens_in": 200,
        "tokens_out": 40,
        "seconds": 4.568,
        "candidates": 0,
        "sandbox_runs": 0,
    }


def test_a_verdict_has_no_answer_tokens_but_still_the_engines_work() -> None:
    line = usage_message("ATLAS: Verify f", Verdict(VerifyReport(())), EngineCounters(0.5), 1.0)
    reported = json.loads(line.partition(USAGE_MARKER)[2])
    assert "tokens_in" not in reported
    assert reported["sandbox_seconds"] == 0.5 and reported["decode_seconds"] is None
