"""Would the editor hand the engine the same task as `--bench`? A check for stdin problems, no model.

    python scripts/editor_task_fidelity.py DATASET [--ids FILE] [--out FILE.json]

In the editor a competitive-programming problem is a file whose module docstring holds the
statement; the server builds the engine's `Task` from that file (statement from the docstring,
examples parsed from its "Sample Input/Output" blocks). For each stdin problem this writes the
statement into such a docstring, builds the editor's Task with the server's own code, and compares
it with the Task `--bench` builds from the dataset row. The engine's prompts depend only on the
Task, so problems whose Tasks are equal get the same answer on both paths.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from atlas_lsp.bench.problems import load_livecodebench, read_names, select_problems
from atlas_lsp.features.targets import build_task, target_named
from atlas_lsp.functions import MODULE_TARGET, parse_module, problem_file
from engine.task import Task


def editor_task(statement: str) -> Task | None:
    """The Task the server builds for a problem file of `statement` (None if it sees no problem there)."""
    module = parse_module(problem_file(statement))
    target = target_named(module, MODULE_TARGET)
    return None if target is None else build_task(module, target, "problem.py")


def differences(headless: Task, editor: Task | None) -> list[str]:
    if editor is None:
        return ["no problem statement seen in the docstring"]
    return [name for name in ("statement", "examples") if getattr(editor, name) != getattr(headless, name)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--ids", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    loaded = load_livecodebench(args.dataset)
    ids = read_names(args.ids) if args.ids else None
    stdin = [p for p in select_problems(loaded.problems, ids, None, None, None) if p.task.kind == "stdin"]
    rows = {p.task.task_id: differences(p.task, editor_task(p.task.statement)) for p in stdin}
    report = {
        "dataset": args.dataset.name,
        "stdin_problems": len(rows),
        "same_task": sum(1 for found in rows.values() if not found),
        "differences": {
            key: sum(1 for found in rows.values() if key in found)
            for key in sorted({d for f in rows.values() for d in f})
        },
        "problems": rows,
    }
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(json.dumps({key: report[key] for key in ("stdin_problems", "same_task", "differences")}, indent=2))


if __name__ == "__main__":
    main()
