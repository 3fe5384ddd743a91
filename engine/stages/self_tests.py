"""Self-generated test inputs, validated before any candidate runs on them.

The model writes inputs (and, for functions, the result it predicts). Its predictions are not
trusted on their own: selection weighs them together with how candidates agree with each other.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from engine.calls import TaskCalls
from engine.candidates import GeneratedTest, statement_of
from engine.stages import Sampling
from engine.task import Task
from sandbox.worker import encode_value

MAX_INPUT_CHARS = 20_000
_MISSING = object()
"""An argument the call does not give."""
TEXT_BLOCK = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.DOTALL)


async def generate_tests(
    calls: TaskCalls, task: Task, count: int, seed: int, sampling: Sampling
) -> list[GeneratedTest]:
    params = [sampling.params(seed, 0)]
    if task.kind == "stdin":
        (reply,) = await calls.ask(
            "self_tests", "self_tests.stdin", params, statement=statement_of(calls.prompts, task), count=str(count)
        )
        tests = parse_stdin_inputs(reply.text)
    else:
        assert task.entry_point
        (reply,) = await calls.ask(
            "self_tests",
            "self_tests.call",
            params,
            statement=statement_of(calls.prompts, task),
            starter_code=task.starter_code,
            count=str(count),
            entry_point=task.entry_point,
        )
        tests = parse_assertions(reply.text, task)
    known = {example.input for example in task.examples}
    unique = list({test.input: test for test in tests if test.input not in known}.values())
    return unique[:count]


def parse_stdin_inputs(reply: str) -> list[GeneratedTest]:
    blocks = TEXT_BLOCK.findall(reply)
    return [
        GeneratedTest(block.strip("\n") + "\n") for block in blocks if block.strip() and len(block) <= MAX_INPUT_CHARS
    ]


def parse_assertions(reply: str, task: Task) -> list[GeneratedTest]:
    """Read `assert f(args) == value` lines; keep the calls whose arguments are literals that fit the signature."""
    parameters = signature_parameters(task.starter_code, task.entry_point or "") or parameters_of_examples(task)
    if parameters is None:
        return []
    source = "\n".join(TEXT_BLOCK.findall(reply + "\n```")) or reply
    tests = []
    for line in source.splitlines():
        test = _parse_assertion(line.strip(), task, parameters)
        if test:
            tests.append(test)
    return tests


def _parse_assertion(line: str, task: Task, parameters: list[str]) -> GeneratedTest | None:
    if not line.startswith("assert "):
        return None
    try:
        node = ast.parse(line).body[0]
    except SyntaxError:
        return None
    test = node.test if isinstance(node, ast.Assert) else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        call, expected_node = test.left, test.comparators[0]
    elif isinstance(test, ast.Call):
        call, expected_node = test, None
    else:
        return None
    arguments = _call_arguments(call, task.entry_point or "", parameters)
    if arguments is None:
        return None
    if task.kind == "functional":
        try:  # LeetCode problems take JSON arguments, one per line
            encoded = "\n".join(json.dumps(a) for a in arguments)
        except (TypeError, ValueError):  # tuples become lists, but sets and bytes have no JSON form
            return None
    else:
        encoded = encode_value(arguments)
    if len(encoded) > MAX_INPUT_CHARS:
        return None
    if expected_node is None:
        return GeneratedTest(encoded)
    try:
        return GeneratedTest(encoded, ast.literal_eval(expected_node))
    except (ValueError, SyntaxError, TypeError):
        return GeneratedTest(encoded)


def _call_arguments(call: ast.expr, entry_point: str, parameters: list[str]) -> list[Any] | None:
    if not isinstance(call, ast.Call):
        return None
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
    if name != entry_point:
        return None
    try:
        positional = [ast.literal_eval(arg) for arg in call.args]
        named = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
    except (ValueError, SyntaxError, TypeError):
        return None
    if len(positional) > len(parameters) or any(key not in parameters for key in named):
        return None
    values = positional + [named.get(name, _MISSING) for name in parameters[len(positional) :]]
    if any(value is _MISSING for value in values):
        return None
    return values


def parameters_of_examples(task: Task) -> list[str] | None:
    """Placeholder names for positional parameters, when the statement shows calls but no signature
    (MBPP prompts): as many as every public example passes; None when they disagree or there are none."""
    if task.kind != "call":
        return None
    try:
        arities = {len(json.loads(example.input)) for example in task.examples}
    except (ValueError, TypeError):
        return None
    return [f"argument_{position}" for position in range(arities.pop())] if len(arities) == 1 else None


def signature_parameters(starter_code: str, entry_point: str) -> list[str] | None:
    """Positional parameter names of `entry_point` in the starter code, without `self`."""
    try:
        tree = ast.parse(starter_code + ("\n        pass" if starter_code.rstrip().endswith(":") else ""))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry_point:
            names = [arg.arg for arg in node.args.posonlyargs + node.args.args]
            return names[1:] if names[:1] == ["self"] else names
    return None
