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
from atlas_lsp.functions import MODULE_TARGET, parse_module
from engine.task import Task


def editor_task(statement: str) -> Task | None:
    """The Task the server builds for a file whose docstring is `statement` (None if it sees no problem)."""
    escaped = statement.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    module = parse_module(f'"""\n{escaped}\n"""\n')
    target = target_named(module, MODULE_TARGET)
    return None if target is None else build_task(module, target, "problem.py")


def differences(headless: Task, editor: Task | None) -> list[str]:
    if editor is None:
        return ["the server sees no problem statement in the docstring"]
    found = []
    if editor.statement != headless.statement:
        found.append("statement" + (" (line endings only)" if editor.statement == _unix(headless.statement) else ""))
    if editor.examples != headless.examples:
        trimmed = tuple((e.input, e.output.rstrip("\n")) for e in headless.examples)
        same_but_newline = tuple((e.input, e.output) for e in editor.examples) == trimmed
        found.append("examples" + (" (final newline of outputs only)" if same_but_newline else ""))
    return found


def _unix(text: str) -> str:
    """`text` as an editor holds a pasted docstring: \\n line breaks, no trailing blank lines."""
    return "\n".join(line.rstrip("\r") for line in text.replace("\r\n", "\n").split("\n")).strip("\n")


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
        "differences": {key: sum(1 for found in rows.values() if key in found) for key in sorted({d for f in rows.values() for d in f})},
        "problems": rows,
    }
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(json.dumps({key: report[key] for key in ("stdin_problems", "same_task", "differences")}, indent=2))


if __name__ == "__main__":
    main()
