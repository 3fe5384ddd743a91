"""Solve the shop workspace's stubs with and without the workspace context, and count what passes.

Each stub of tests/fixtures/shop_workspace/shop/orders.py only works by calling the project's helpers
(formats, rounding rules, constants that its docstring names but does not spell out). Every stub is
solved the way the editor's Solve action does it (same task, engine and edit), once with the
workspace context and once without, on a fresh copy of the workspace; the edited file is then run
in the sandbox, with the project importable, against the checks in tests/fixtures/shop_checks.json,
which the solver never sees.

    .venv/bin/python scripts/eval_workspace_context.py [--model small] [--candidates 4]

Results are appended to docs/results/workspace_context.jsonl as each solve ends (a rerun skips the
pairs already there); the pass counts are printed and written to docs/results/workspace_context.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import anyio

from atlas_lsp.context import FunctionContext, WorkspaceCode
from atlas_lsp.features.actions import Action, Edit, run_action
from atlas_lsp.features.rewrite import UnusableAnswer
from atlas_lsp.functions import parse_module
from atlas_lsp.settings import Settings
from engine.service import Engine
from sandbox import Sandbox, TestCase, TestKind, Verdict

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
STUBS = Path("shop") / "orders.py"
RESULTS = REPO / "docs" / "results" / "workspace_context.jsonl"
SUMMARY = REPO / "docs" / "results" / "workspace_context.json"
CONDITIONS = {"with_context": True, "without_context": False}


def fresh_workspace(parent: Path) -> Path:
    root = Path(tempfile.mkdtemp(dir=parent))
    shutil.copytree(FIXTURES / "shop_workspace", root, dirs_exist_ok=True)
    root.chmod(0o755)  # the sandbox reads the project as another user
    return root


async def solve_one(engine: Engine, settings: Settings, root: Path, function: str) -> tuple[str, FunctionContext]:
    path = root / STUBS
    text = path.read_text()
    module = parse_module(text)
    target = module.function_named(function)
    assert target is not None, function
    workspace = await WorkspaceCode().context_for(path, target, settings)
    outcome = await run_action(engine, Action.SOLVE, module, target, str(path), workspace=workspace)
    assert isinstance(outcome, Edit)
    return outcome.rewrite.apply(text), workspace


async def passes(sandbox: Sandbox, root: Path, code: str, function: str, checks: list) -> bool:
    tests = [TestCase(TestKind.CALL, json.dumps(arguments), json.dumps(expected)) for arguments, expected in checks]
    result = await sandbox.run(code, tests, entry_point=function, project_root=root)
    return all(test.verdict is Verdict.PASSED for test in result.tests)


async def main(model: str, candidates: int) -> None:
    checks = json.loads((FIXTURES / "shop_checks.json").read_text())
    done = (
        {(row["function"], row["condition"]) for row in map(json.loads, RESULTS.read_text().splitlines())}
        if RESULTS.exists()
        else set()
    )
    base = Settings(model=model, candidates=candidates)
    engine = await Engine.open(base.engine_config())
    sandbox = Sandbox(jobs=1)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for function, cases in checks.items():
                for condition, with_context in CONDITIONS.items():
                    if (function, condition) in done:
                        continue
                    settings = Settings(model=model, candidates=candidates, workspace_context=with_context)
                    root = fresh_workspace(Path(scratch))
                    started = time.monotonic()
                    try:
                        code, workspace = await solve_one(engine, settings, root, function)
                        passed = await passes(sandbox, root, code, function, cases)
                        note = ""
                    except UnusableAnswer as error:
                        code, workspace, passed, note = "", FunctionContext(), False, str(error)
                    row = {
                        "function": function,
                        "condition": condition,
                        "passed": passed,
                        "seconds": round(time.monotonic() - started, 1),
                        "context_chars": len(workspace.text),
                        "test_examples": len(workspace.test_examples),
                        "note": note,
                        "code": code,
                    }
                    with RESULTS.open("a") as out:
                        out.write(json.dumps(row) + "\n")
                    print(function, condition, "passed" if passed else "failed", f"{row['seconds']} s", flush=True)
    finally:
        await engine.aclose()
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines()]
    summary = {
        "model": model,
        "candidates": candidates,
        "stubs": len(checks),
        **{condition: sum(row["passed"] for row in rows if row["condition"] == condition) for condition in CONDITIONS},
        "command": f".venv/bin/python scripts/eval_workspace_context.py --model {model} --candidates {candidates}",
    }
    SUMMARY.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="small")
    parser.add_argument("--candidates", type=int, default=4)
    args = parser.parse_args()
    anyio.run(main, args.model, args.candidates)
