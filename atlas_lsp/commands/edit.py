"""`atlas-lsp --solve/--verify/--repair FILE::FUNCTION`: a code action without an editor.

Solve and repair print the edit as a unified diff (or write it with `--write`); verify prints the
failing cases. The task, the engine call and the edit are built by the same code as the server's
code actions (`atlas_lsp.features.actions`). `FILE` alone, or `FILE::<module>`, names the problem
in the file's module docstring.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

import anyio

from atlas_lsp.commands.engine_start import prompt_set_exists
from atlas_lsp.context import FunctionContext, WorkspaceCode
from atlas_lsp.features.actions import Action, Edit, Verdict, describe_case, run_action
from atlas_lsp.features.rewrite import UnusableAnswer
from atlas_lsp.features.targets import Target, target_named
from atlas_lsp.functions import MODULE_TARGET, FunctionSite, ModuleSource, parse_module
from atlas_lsp.settings import Settings
from atlas_lsp.terminal import ProgressBar
from engine.models import ModelError
from engine.task import Event


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("--solve, --verify, --repair")
    group.add_argument("--write", action="store_true", help="apply the edit to the file instead of printing it")
    group.add_argument(
        "--no-context",
        dest="workspace_context",
        action="store_false",
        help="leave out the workspace code around the function (helpers, tests, callers)",
    )


def run(args: argparse.Namespace) -> int:
    action, reference = _chosen_action(args)
    file_name, _, target_name = reference.partition("::")
    path = Path(file_name)
    try:
        text = path.read_text(encoding="utf-8")
        module = parse_module(text)
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"cannot read {path}: {error}")
    except SyntaxError as error:
        return _fail(f"{path} does not parse (line {error.lineno}: {error.msg})")
    target = target_named(module, target_name or MODULE_TARGET)
    if target is None:
        where = f"no function {target_name}" if target_name else "no problem statement in the module docstring"
        return _fail(f"{path} has {where}")
    if not action.offered_for(target):
        return _fail(f"{action.value} does not apply to {target.qualified_name}: {_why_not(action)}")

    settings = Settings().with_flags(args)
    if not prompt_set_exists(settings.prompt_set):
        return 2
    bar = ProgressBar(f"{action.value} {target.qualified_name}")
    try:
        outcome = anyio.run(_run, action, settings, module, target, path, bar)
    except ModelError as error:
        return _fail(f"{error.problem}\nFix: {error.fix}")
    except UnusableAnswer as error:
        return _fail(f"no change made: {error}")

    if isinstance(outcome, Verdict):
        for case in outcome.report.failing:
            print(describe_case(case, target))
        print(f"{len(outcome.report.failing)} of {len(outcome.report.cases)} tests fail", file=sys.stderr)
        return 0 if outcome.report.passed else 1
    return _deliver(outcome, path, text, args.write)


async def _run(
    action: Action,
    settings: Settings,
    module: ModuleSource,
    target: Target,
    path: Path,
    bar: ProgressBar,
) -> Edit | Verdict:
    from engine.service import Engine

    workspace = FunctionContext()
    if isinstance(target, FunctionSite):
        code = WorkspaceCode()
        workspace = await code.context_for(path, target, settings)
        code.save_all()

    def show(event: Event) -> None:
        bar.update(event.done, event.total, event.stage)

    engine = await Engine.open(settings.engine_config())
    try:
        return await run_action(
            engine, action, module, target, str(path), on_event=show, workspace=workspace, warn=_warn
        )
    finally:
        await engine.aclose()


def _deliver(edit: Edit, path: Path, text: str, write: bool) -> int:
    new_text = edit.rewrite.apply(text)
    evidence = edit.answer.evidence
    print(
        f"passes {evidence.examples_passed} of {evidence.examples_total} examples, "
        f"confidence {edit.answer.confidence:.0%}",
        file=sys.stderr,
    )
    if write:
        path.write_text(new_text, encoding="utf-8")
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(
            text.splitlines(keepends=True), new_text.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
    return 0


def _chosen_action(args: argparse.Namespace) -> tuple[Action, str]:
    (chosen,) = [(action, getattr(args, action.value)) for action in Action if getattr(args, action.value)]
    return chosen


def _why_not(action: Action) -> str:
    if action is Action.SOLVE:
        return "solve writes functions whose body is a stub (..., pass, raise NotImplementedError)"
    return f"{action.value} needs written code the sandbox can call (a module-level function or a program)"


def _warn(message: str) -> None:
    print(f"atlas-lsp: {message}", file=sys.stderr)


def _fail(message: str) -> int:
    print(f"atlas-lsp: {message}", file=sys.stderr)
    return 2
