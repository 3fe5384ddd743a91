"""Benchmark datasets turned into engine tasks (public fields only) plus the judge's hidden tests."""

from __future__ import annotations

import gzip
import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from atlas_lsp.bench.evalplus import load_evalplus
from atlas_lsp.bench.runner import BenchProblem, JudgeKind
from engine.task import Example, Task, TaskKind
from sandbox.dataset import Dataset, DatasetError, Problem, load_dataset, parse_rows
from sandbox.executor import Sandbox
from sandbox.judge import PUBLIC_AND_HIDDEN, select_tests


@dataclass(frozen=True)
class LoadedBench:
    problems: tuple[BenchProblem, ...]
    row_errors: tuple[str, ...]
    judge: str


def task_of(problem: Problem) -> Task:
    """The solver's view of a LiveCodeBench problem: statement, starter code, public examples."""
    kind: TaskKind = "functional" if problem.func_name else "stdin"
    return Task(
        task_id=problem.question_id,
        kind=kind,
        # As a problem file in the editor holds it (a docstring, read with inspect.cleandoc): both
        # paths then give the engine the same task. Statements on the hub carry \r\n line breaks.
        statement=inspect.cleandoc(problem.content.replace("\r\n", "\n")),
        starter_code=problem.starter_code,
        entry_point=problem.func_name,
        examples=tuple(Example(test.input, test.expected or "") for test in problem.public_tests),
    )


HUB_DATASET = "livecodebench/code_generation_lite"
HUB_PREFIX = "lcb:"
"""`--bench lcb:release_v5` reads the official dataset through the `datasets` library."""


async def load_bench(spec: str, judge: Sandbox, ids: set[str] | None, limit: int | None) -> LoadedBench:
    """A benchmark by its command-line name: `lcb:RELEASE` from the hub, an evalplus file (MBPP+,
    HumanEval+), or a LiveCodeBench-layout JSONL file."""
    path = Path(spec)
    if spec.startswith(HUB_PREFIX):
        return load_livecodebench_hub(spec.removeprefix(HUB_PREFIX))
    if is_evalplus(path):
        # Computing expected outputs costs a sandbox run per problem: only for the chosen ones.
        problems, errors = await load_evalplus(path, judge, ids, limit)
        return LoadedBench(tuple(problems), tuple(errors), "full")
    return load_livecodebench(path)


def is_evalplus(path: Path) -> bool:
    """An evalplus file (MBPP+, HumanEval+, and sets made from them), known by its name as evalplus names them."""
    return "mbpp" in path.name.lower() or "humaneval" in path.name.lower()


def read_names(path: Path) -> set[str]:
    """Problem names listed in `path`: one id or title per line, or a dataset (.jsonl / .jsonl.gz), which
    names each problem by its title, or by its id when it has none. Ids of different datasets collide
    (the same number is another problem elsewhere); a title names the same LeetCode problem everywhere."""
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        names = (row.get("question_title") or row.get("question_id") or row.get("task_id") for row in rows)
        return {str(name) for name in names if name}
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def load_livecodebench(path: Path) -> LoadedBench:
    return _livecodebench_bench(load_dataset(path))


def load_livecodebench_hub(version: str) -> LoadedBench:
    """The official `code_generation_lite` release `version` (release_v5, release_v6, ...) from the
    Hugging Face hub; same rows as a local JSONL file, so the same reader checks them."""
    try:
        import datasets
    except ImportError:
        raise DatasetError(
            f"reading {HUB_DATASET} from the hub needs the `datasets` package: `pip install datasets`, "
            "or pass a local JSONL file"
        ) from None
    try:
        rows = datasets.load_dataset(HUB_DATASET, version_tag=version, split="test", trust_remote_code=True)
    except Exception as error:  # the hub, the network and the dataset script each fail their own way
        raise DatasetError(
            f"could not load {HUB_DATASET} {version} from the hub ({type(error).__name__}: {error}); "
            "on a machine without access to huggingface.co pass a local JSONL file instead"
        ) from None
    return _livecodebench_bench(parse_rows((json.dumps(row) for row in rows), source=f"{HUB_DATASET}:{version}"))


def _livecodebench_bench(dataset: Dataset) -> LoadedBench:
    problems = []
    judges: set[JudgeKind] = set()
    for problem in dataset.problems:
        # As LiveCodeBench grades: public and private tests together, unless the row is marked public-only.
        selection = select_tests(problem, dataset.hidden_tests.get(problem.question_id, ()), public_only=False)
        judge: JudgeKind = "full" if selection.name == PUBLIC_AND_HIDDEN else "public-only"
        judges.add(judge)
        problems.append(
            BenchProblem(
                task=task_of(problem),
                difficulty=problem.difficulty,
                platform=problem.platform,
                contest_date=problem.contest_date,
                hidden_tests=selection.tests,
                judge=judge,
                title=problem.title,
                examples_unread=int(bool(problem.public_tests_unread)),
            )
        )
    return LoadedBench(tuple(problems), tuple(str(e) for e in dataset.row_errors), _overall(judges))


def select_problems(
    problems: Sequence[BenchProblem],
    ids: set[str] | None,
    since: str | None,
    until: str | None,
    limit: int | None,
) -> list[BenchProblem]:
    chosen = [
        p
        for p in problems
        if (ids is None or p.task.task_id in ids or p.title in ids)
        and (not since or p.contest_date[:10] >= since)
        and (not until or p.contest_date[:10] <= until)
    ]
    return chosen[:limit] if limit else chosen


def _overall(judges: set[JudgeKind]) -> str:
    if judges == {"full"}:
        return "full"
    return "public-only" if judges == {"public-only"} else "mixed"
