"""What a code action acts on, and the engine `Task` and program that stand for it."""

from __future__ import annotations

from pathlib import Path

from atlas_lsp.context import FunctionContext
from atlas_lsp.functions import FunctionSite, ModuleProblem, ModuleSource
from engine.task import Example, Task

Target = FunctionSite | ModuleProblem


def target_at(module: ModuleSource, line: int) -> Target | None:
    """The function around `line`; outside every function, the file's problem if it states one."""
    return module.function_at(line) or module.problem


def target_named(module: ModuleSource, qualified_name: str) -> Target | None:
    """`Class.method`, `function`, or `<module>` for the file's problem."""
    if module.problem and qualified_name == module.problem.qualified_name:
        return module.problem
    return module.function_named(qualified_name)


def source_of(target: Target) -> str:
    """The target's own text: the function from its `def` line on, or the whole file for a program.
    What is shown about a target holds while this text stays the same."""
    return target.program if isinstance(target, ModuleProblem) else target.source


def runs_in_sandbox(target: Target) -> bool:
    """Whether the sandbox can call the target: a stdin program or a module-level function.

    A method needs an instance the sandbox cannot build, so it is only ever written (solve).
    """
    return isinstance(target, ModuleProblem) or not target.is_method


def build_task(module: ModuleSource, target: Target, path: str, workspace: FunctionContext = FunctionContext()) -> Task:
    """The task for `target`; `workspace` adds the code around it, its tests' asserts and its project."""
    task_id = f"{Path(path).stem}::{target.qualified_name}"
    if isinstance(target, ModuleProblem):
        return Task(
            task_id=task_id,
            kind="stdin",
            statement=target.statement,
            examples=tuple(Example(given, expected) for given, expected in target.samples),
        )
    imports = "\n".join(module.imports)
    calls = {example.input: example for example in (*target.doctests, *workspace.test_examples)}
    return Task(
        task_id=task_id,
        kind="call",
        statement=f"{imports}\n\n{target.starter_code}" if imports else target.starter_code,
        starter_code=target.starter_code,
        entry_point=target.name,
        examples=tuple(calls.values()),
        context=workspace.text or "\n".join(module.helpers_of(target)),
        project_root=workspace.project_root,
        imports=module.imports,
    )


def program_of(module: ModuleSource, target: Target) -> str:
    """The program verify and repair run: a function with the imports and helpers it uses, or the file."""
    if isinstance(target, ModuleProblem):
        return target.program
    parts = ["\n".join(module.imports) + "\n"] if module.imports else []
    parts += module.helpers_of(target)
    parts.append(target.source)
    return "\n\n".join(part.rstrip("\n") for part in parts) + "\n"
