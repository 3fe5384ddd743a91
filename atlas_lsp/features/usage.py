"""What a job cost, as one output-log line: tokens per stage and where the engine's time went.

The line is for people reading the output log and for tools measuring the server from outside
(benchmarks/editor_latency.py): `<job title>: usage <JSON object>`. Its numbers are the engine's own
(`Answer.usage` and `Engine.counters`), so a client needs no access to the server's process.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from atlas_lsp.features.actions import Edit, Verdict
from engine.counters import EngineCounters

USAGE_MARKER = ": usage "


def usage_message(title: str, outcome: Edit | Verdict, work: EngineCounters, engine_seconds: float) -> str:
    """`work` is the engine's work while the job ran (jobs running beside it are counted in)."""
    return f"{title}{USAGE_MARKER}{json.dumps(usage_of(outcome, work, engine_seconds), sort_keys=True)}"


def usage_of(outcome: Edit | Verdict, work: EngineCounters, engine_seconds: float) -> dict[str, Any]:
    usage: dict[str, Any] = {"engine_seconds": round(engine_seconds, 3)}
    usage.update({name: _rounded(value) for name, value in asdict(work).items()})
    if isinstance(outcome, Edit):
        answer = outcome.answer
        usage["tokens_in"] = answer.tokens_in
        usage["tokens_out"] = answer.tokens_out
        usage["stages"] = {stage: _rounded_all(asdict(stage_usage)) for stage, stage_usage in answer.usage.items()}
    return usage


def _rounded_all(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _rounded(value) for name, value in values.items()}


def _rounded(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else value
