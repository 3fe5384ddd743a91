"""MBPP+ as the editor's Solve sees a function to write: the HumanEval layout of each problem.

    python scripts/mbpp_stubs.py ../shared/data/MbppPlus.jsonl.gz benchmarks/data/mbpp_plus_stubs.jsonl.gz

MBPP+'s `prompt` is a docstring alone; a user's stub is a function's header with its docstring. Here
each problem's `prompt` becomes the canonical solution's imports and `def` line with the statement and
its `assert` line as the docstring (read exactly as MBPP+ writes it); every other field is kept, so the
public example, the hidden tests and the judge are MBPP+'s own. A problem is left out, and counted,
when its solution defines helpers before the function (the stub would give them away), puts the body
on the `def` line, or does not end with the function. Prompt sets that treat a header differently
(v4 starts the reply after it) are compared on this set.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from scripts.plant_bugs import (
    Skip,
    _check_docstring,
    docstring_block,
    read_raw_rows,
    split_function,
    statement_lines,
    write_rows,
)


def stub_row(raw: dict[str, Any]) -> dict[str, Any]:
    """The row with its prompt written as the function's header and docstring (Skip when it cannot be)."""
    head, body, indent = split_function(raw["canonical_solution"].lstrip("\n"), raw["entry_point"])
    before_function = ast.parse(head + f"{indent}pass\n").body[:-1]
    if not all(isinstance(node, ast.Import | ast.ImportFrom) for node in before_function):
        raise Skip("the solution defines more than imports before the function")
    prompt = head + docstring_block(statement_lines(raw["prompt"]), indent)
    _check_docstring(prompt + body, raw["entry_point"], raw["prompt"])
    return raw | {"prompt": prompt}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    source, out = Path(argv[0]), Path(argv[1])
    rows: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for raw in read_raw_rows(source).values():
        try:
            rows.append(stub_row(raw))
        except Skip as reason:
            skipped[str(reason)] += 1
    write_rows(out, rows)
    print(f"{len(rows)} stubs -> {out}; left out: {dict(skipped) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
