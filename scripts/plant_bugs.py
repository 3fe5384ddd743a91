"""Plant one bug in each MBPP+ canonical solution: the repair development set, in HumanEvalPack's Python layout.

    python scripts/plant_bugs.py ../shared/data/MbppPlus.jsonl.gz benchmarks/data/mbpp_plus_fix.jsonl.gz \
        [--seed 22] [--tries 4] [--jobs 1] [--limit N]

For each MBPP+ problem:
1. The canonical solution is split at its function's header into `declaration` (imports, helpers, the
   `def` line) and `canonical_solution` (the body); `prompt` is the declaration with the problem
   statement and its `assert` line as the docstring, the way HumanEvalFix shows a function.
2. `example_test` is `def check(<entry_point>):` holding that `assert` line (the public example the
   bench reads), then `check(<entry_point>)`, as HumanEvalPack writes it. `test` has the same shape,
   one assert per MBPP+ input (base, then plus) whose expected value comes from running the canonical
   solution in the sandbox, compared as evalplus compares (sets, float tolerance), up to a size cap.
3. The canonical solution must pass both checks, the hidden one within CANONICAL_SECONDS.
4. Mutants come from atlas_lsp/bench/mutations.py. Each problem's order of bug kinds is fixed from the
   mutants alone before anything runs (`kind_orders`: balanced across the set); within a kind, a seeded
   shuffle of its mutants, `--tries` of them. The first mutant that fails the public check and the
   hidden check (a wrong answer, or else an error; never a timeout: a judge run must stay fast and not
   depend on the machine's load) is the task's bug.

The same seed gives the same file (gzip without a timestamp). Next to the output, `<name>.plant.json`
records the command, the seed, the source's sha256, the counts per bug kind and why each skipped
problem was skipped.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import gzip
import hashlib
import io
import json
import math
import random
import sys
import time
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from atlas_lsp.bench.evalplus import EvalplusRow, expected_problems, read_evalplus_rows
from atlas_lsp.bench.mutations import BUG_KINDS, BugKind, Mutant, mutants
from atlas_lsp.bench.repair_judge import CheckOutcome, CheckVerdict, run_check
from atlas_lsp.bench.runner import BenchProblem
from sandbox.executor import Sandbox
from sandbox.limits import Limits
from sandbox.testcases import TestCase
from sandbox.worker import OpaqueValue, decode_value, encode_value

JUDGE_LIMITS = Limits(wall_seconds=6.0)
# A mutant that needs longer than this is rejected as a timeout (an infinite loop, mostly).
MUTANT_LIMITS = Limits(wall_seconds=3.0)
CANONICAL_SECONDS = 2.0
# A committed file stays small: asserts past these sizes are left out of `test`.
MAX_ASSERT_CHARS = 3_000
MAX_TEST_CHARS = 20_000
TASK_PREFIX = "MbppFix/"
# Evalplus grades these three on presence only (`not_none`), which a plain assert does not say well.
SKIPPED_MATCH = "not_none"

CLOSE_HELPER = '''

def _close(returned, expected, atol):
    """evalplus's comparison: equal, or of the same type and within atol + 1e-7 * |expected|, item by item."""
    if returned == expected:
        return True
    return type(returned) is type(expected) and _near(returned, expected, atol)


def _near(returned, expected, atol):
    if isinstance(returned, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(returned) == len(expected) and all(_near(a, e, atol) for a, e in zip(returned, expected))
    if not (isinstance(returned, (int, float)) and isinstance(expected, (int, float))):
        return False
    if math.isnan(returned) or math.isnan(expected):
        return math.isnan(returned) and math.isnan(expected)
    if math.isinf(returned) or math.isinf(expected):
        return returned == expected
    return abs(returned - expected) <= atol + 1e-7 * abs(expected)

'''


class Skip(Exception):
    """A problem that cannot become a task; the message says why (recorded in the plant report)."""


@dataclass(frozen=True)
class Layout:
    """One problem's HumanEvalPack fields before a bug is planted."""

    task_id: str
    entry_point: str
    prompt: str
    declaration: str
    canonical_solution: str
    example_test: str
    test: str
    tests_written: int
    tests_available: int

    @property
    def reference(self) -> str:
        return self.prompt + self.canonical_solution


@dataclass(frozen=True)
class Planted:
    layout: Layout
    mutant: Mutant
    example_failure: CheckVerdict
    hidden_failure: CheckVerdict
    tried: int

    def row(self) -> dict[str, Any]:
        layout = self.layout
        return {
            "task_id": layout.task_id,
            "prompt": layout.prompt,
            "declaration": layout.declaration,
            "canonical_solution": layout.canonical_solution,
            "buggy_solution": self.mutant.source[len(layout.prompt) :],
            "bug_kind": self.mutant.kind,
            "bug_description": self.mutant.description,
            "entry_point": layout.entry_point,
            "example_test": layout.example_test,
            "test": layout.test,
        }


# ---------------------------------------------------------------- the layout of one problem


def split_function(source: str, entry_point: str) -> tuple[str, str, str]:
    """(everything up to the end of the function's `def` header, its body, the body's indentation).
    The function must be the module's last statement, so the body runs to the end of the text."""
    tree = ast.parse(source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == entry_point]
    if len(functions) != 1 or tree.body[-1] is not functions[0]:
        raise Skip(f"`{entry_point}` is not the solution's last statement")
    function = functions[0]
    header_end = _header_end_line(source, function)
    lines = source.splitlines(keepends=True)
    first_body_line = lines[function.body[0].lineno - 1]
    indent = first_body_line[: len(first_body_line) - len(first_body_line.lstrip())]
    if function.body[0].lineno <= header_end or not indent:
        raise Skip("the body starts on the `def` line")
    return "".join(lines[:header_end]), "".join(lines[header_end:]), indent


def _header_end_line(source: str, function: ast.FunctionDef) -> int:
    """The line of the `:` that ends the `def` header (brackets in annotations and defaults skipped)."""
    depth = 0
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        if token.start[0] < function.lineno:
            continue
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif token.type == tokenize.OP and token.string == ":" and depth == 0:
            return token.start[0]
    raise Skip("no end of the `def` header")


def statement_lines(prompt: str) -> list[str]:
    """The lines of an MBPP+ prompt's docstring as written in the source (escapes kept as they are)."""
    lines = prompt.strip().splitlines()
    if len(lines) < 3 or lines[0] != '"""' or lines[-1] != '"""':
        raise Skip("the prompt is not a plain triple-quoted docstring")
    return lines[1:-1]


def docstring_block(lines: list[str], indent: str) -> str:
    body = "".join(f"{indent}{line}\n" if line.strip() else "\n" for line in lines)
    return f'{indent}"""\n{body}{indent}"""\n'


def public_assert(lines: list[str], entry_point: str) -> str:
    found = [line.strip() for line in lines if line.strip().startswith("assert ") and entry_point in line]
    if len(found) != 1:
        raise Skip(f"the statement shows {len(found)} assert lines, not one")
    return found[0]


def check_source(imports: list[str], entry_point: str, asserts: list[str], helper: str = "") -> str:
    """`def check(<entry_point>):` with the asserts, then its call: HumanEvalPack's shape."""
    head = "".join(f"import {name}\n" for name in imports)
    head = head + "\n\n" if head and not helper else head
    body = "".join(f"    {line}\n" for line in asserts)
    return f"{head}{helper}def check({entry_point}):\n{body}check({entry_point})\n"


def modules_used(statement: str, entry_point: str) -> list[str]:
    """Standard modules an assert names (`math.isclose`, `sys.getsizeof`): the check imports them."""
    names = {node.id for node in ast.walk(ast.parse(statement)) if isinstance(node, ast.Name)}
    unknown = sorted(names - set(dir(builtins)) - {entry_point})
    outside = [name for name in unknown if name not in sys.stdlib_module_names]
    if outside:
        raise Skip(f"the public assert names {outside}, which no import provides")
    return unknown


def python_literal(value: object) -> str:
    """Python source that evaluates to `value` with its types (tuples, sets, inf and nan included)."""
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({repr(value)!r})"
    if isinstance(value, complex):
        return f"complex({python_literal(value.real)}, {python_literal(value.imag)})"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    if isinstance(value, tuple):
        items = [python_literal(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, (set, frozenset)):
        # A set's order follows string hashing, which differs between processes: sorted, the same set is
        # written the same way. (A dict keeps its order: a function can see it, and JSON kept it.)
        written = ", ".join(sorted(python_literal(item) for item in value))
        text = "{" + written + "}" if written else "set()"
        return f"frozenset({text})" if isinstance(value, frozenset) else text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    raise ValueError(f"no literal for a {type(value).__name__}")


_LITERAL_NAMES = {"float": float, "complex": complex, "set": set, "frozenset": frozenset}


def written_exactly(value: object, text: str) -> bool:
    """Whether `text` gives back `value` with the same types all the way down (1 for 1, not 1.0 or True)."""
    rebuilt = eval(text, {"__builtins__": _LITERAL_NAMES})  # text written by python_literal, from data
    return _same(rebuilt, value)


def _same(one: object, other: object) -> bool:
    if type(one) is not type(other):
        return False
    if isinstance(one, (list, tuple)) and isinstance(other, (list, tuple)):
        return len(one) == len(other) and all(_same(a, b) for a, b in zip(one, other, strict=False))
    if isinstance(one, dict) and isinstance(other, dict):
        return one.keys() == other.keys() and all(_same(one[key], other[key]) for key in one)
    if isinstance(one, float) and isinstance(other, float) and math.isnan(one):
        return math.isnan(other)
    if isinstance(one, (set, frozenset)) and isinstance(other, (set, frozenset)):
        # Items of a set are hashable literals; their types are checked through their sorted encodings.
        return sorted(map(encode_value, one)) == sorted(map(encode_value, other))
    return one == other


def hidden_asserts(entry_point: str, tests: tuple[TestCase, ...]) -> tuple[list[str], bool]:
    """One assert per test that can be written exactly, within the size caps; and whether `_close` is used."""
    asserts: list[str] = []
    uses_close = False
    total = 0
    for test in tests:
        try:
            arguments, expected = decode_value(test.input), decode_value(test.expected or "null")
            if not isinstance(arguments, list) or isinstance(expected, OpaqueValue):
                continue
            argument_texts = [python_literal(argument) for argument in arguments]
            if test.match == "as_sets" and isinstance(expected, (list, tuple)):
                # Compared as a set: the order, often a set's (see python_literal), does not count.
                expected = type(expected)(sorted(expected, key=python_literal))
            expected_text = python_literal(expected)
        except ValueError:
            continue
        if not all(written_exactly(a, t) for a, t in zip(arguments, argument_texts, strict=True)):
            continue
        if not written_exactly(expected, expected_text):
            continue
        call = f"{entry_point}({', '.join(argument_texts)})"
        atol = test.atol or (1e-6 if _is_floats(expected) else 0.0)
        if test.match == "as_sets":
            line = f"assert set({call}) == set({expected_text})"
        elif atol:
            line, uses_close = f"assert _close({call}, {expected_text}, {atol!r})", True
        else:
            line = f"assert {call} == {expected_text}"
        if len(line) > MAX_ASSERT_CHARS:
            continue
        if total + len(line) > MAX_TEST_CHARS:
            break
        asserts.append(line)
        total += len(line)
    return asserts, uses_close


def _is_floats(value: object) -> bool:
    # The rule of sandbox/compare.py: a tolerance applies to a float or a list/tuple of floats.
    if isinstance(value, float):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(item, float) for item in value)


def layout_of(raw: dict[str, Any], row: EvalplusRow, problem: BenchProblem) -> Layout:
    entry_point = row.task.entry_point or ""
    if entry_point == "check":
        raise Skip("the function is called `check`, the name of the test's own function")
    if row.match == SKIPPED_MATCH:
        raise Skip("evalplus grades it on whether a value is returned (not_none)")
    head, body, indent = split_function(raw["canonical_solution"].lstrip("\n"), entry_point)
    lines = statement_lines(raw["prompt"])
    prompt = head + docstring_block(lines, indent)
    _check_docstring(prompt + body, entry_point, raw["prompt"])
    example = public_assert(lines, entry_point)
    example_test = check_source(modules_used(example, entry_point), entry_point, [example])
    asserts, uses_close = hidden_asserts(entry_point, problem.hidden_tests)
    if not asserts:
        raise Skip("no hidden test could be written")
    test = check_source(["math"] if uses_close else [], entry_point, asserts, CLOSE_HELPER if uses_close else "")
    return Layout(
        TASK_PREFIX + raw["task_id"].partition("/")[2],
        entry_point,
        prompt,
        head,
        body,
        example_test,
        test,
        len(asserts),
        len(row.inputs),
    )


def _check_docstring(function_source: str, entry_point: str, original_prompt: str) -> None:
    """The function's docstring must read exactly as the MBPP+ statement does."""
    tree = ast.parse(function_source)
    function = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == entry_point)
    if ast.get_docstring(function) != ast.get_docstring(ast.parse(original_prompt)):
        raise Skip("the statement does not read the same as a function docstring")


# ---------------------------------------------------------------- planting


def kind_orders(candidates: dict[str, list[Mutant]], seed: int) -> dict[str, list[BugKind]]:
    """Per problem, the order its bug kinds are tried in, fixed before anything runs: first the kind put
    first least often so far (ties in a seeded order), so the set stays balanced. It is computed from the
    mutants alone, so a problem whose outcome changes (a mutant timing out on a loaded machine) changes
    no other problem's bug."""
    firsts: Counter[str] = Counter()
    orders: dict[str, list[BugKind]] = {}
    for task_id, found in candidates.items():
        rng = random.Random(f"{seed}:{task_id}")
        available = [kind for kind in BUG_KINDS if any(mutant.kind == kind for mutant in found)]
        order = sorted(available, key=lambda kind: (firsts[kind], rng.random()))
        firsts[order[0]] += 1
        orders[task_id] = order
    return orders


@dataclass
class Planter:
    sandbox: Sandbox
    seed: int
    tries: int

    async def plant(self, layout: Layout, candidates: list[Mutant], kinds: list[BugKind]) -> Planted:
        """The first mutant, kind by kind in `kinds`, that fails both checks."""
        await self._check_canonical(layout)
        tried = 0
        for kind in kinds:
            of_kind = [mutant for mutant in candidates if mutant.kind == kind]
            random.Random(f"{self.seed}:{layout.task_id}:{kind}").shuffle(of_kind)
            crashing: Planted | None = None
            for mutant in of_kind[: self.tries]:
                tried += 1
                failures = await self._failures(layout, mutant)
                if failures is None:
                    continue
                found = Planted(layout, mutant, *failures, tried)
                # A wrong answer is the subtler bug; a crash is kept only when no tried mutant of the kind
                # gives one.
                if failures[1].outcome is CheckOutcome.WRONG_ANSWER:
                    return found
                crashing = crashing or found
            if crashing is not None:
                return crashing
        raise Skip(f"none of {tried} mutants (of {len(candidates)}) fails both checks without a timeout")

    async def _check_canonical(self, layout: Layout) -> None:
        hidden = await run_check(layout.reference, layout.test, layout.entry_point, self.sandbox, JUDGE_LIMITS)
        if not hidden.passed:
            raise Skip(f"the canonical solution fails the written test: {hidden.describe(layout.test)}")
        if hidden.seconds > CANONICAL_SECONDS:
            raise Skip(f"the canonical solution needs {hidden.seconds:.1f} s on the test")
        public = await run_check(layout.reference, layout.example_test, layout.entry_point, self.sandbox)
        if not public.passed:
            raise Skip(f"the canonical solution fails its public example: {public.describe(layout.example_test)}")

    async def _failures(self, layout: Layout, mutant: Mutant) -> tuple[CheckVerdict, CheckVerdict] | None:
        if not mutant.source.startswith(layout.prompt):
            return None  # the bug must sit in the body
        public = await run_check(mutant.source, layout.example_test, layout.entry_point, self.sandbox, MUTANT_LIMITS)
        if public.outcome in (CheckOutcome.PASSED, CheckOutcome.TIMEOUT):
            return None
        hidden = await run_check(mutant.source, layout.test, layout.entry_point, self.sandbox, MUTANT_LIMITS)
        if hidden.outcome in (CheckOutcome.PASSED, CheckOutcome.TIMEOUT):
            return None
        return public, hidden


def read_raw_rows(path: Path) -> dict[str, dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return {row["task_id"]: row for row in rows}


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """JSON lines, gzipped without a timestamp when the name ends in .gz, so a rerun gives the same bytes."""
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle:
            handle.write(text)
    else:
        path.write_bytes(text)


async def plant_all(arguments: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    with Sandbox(JUDGE_LIMITS, jobs=arguments.jobs) as sandbox:
        report = await _plant_with(sandbox, arguments)
    report["seconds"] = round(time.monotonic() - started, 1)
    report_path = arguments.out.with_name(arguments.out.name.split(".")[0] + ".plant.json")
    report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


async def _plant_with(sandbox: Sandbox, arguments: argparse.Namespace) -> dict[str, Any]:
    raw_rows = read_raw_rows(arguments.source)
    rows, unreadable = read_evalplus_rows(arguments.source, limit=arguments.limit)
    print(f"{len(rows)} MBPP+ problems: running the canonical solutions for the expected values", flush=True)
    problems = await expected_problems(rows, sandbox)
    skipped: dict[str, str] = {}
    layouts: dict[str, Layout] = {}
    candidates: dict[str, list[Mutant]] = {}
    for row, problem in zip(rows, problems, strict=True):
        task_id = row.task.task_id
        try:
            layout = layout_of(raw_rows[task_id], row, problem)
            found = mutants(layout.reference, layout.entry_point)
            if not found:
                raise Skip("the body has no place for a bug of any kind (no operator, comparison, number, ...)")
        except Skip as skip:
            skipped[task_id] = str(skip)
            continue
        layouts[task_id], candidates[task_id] = layout, found
    orders = kind_orders(candidates, arguments.seed)
    planter = Planter(sandbox, arguments.seed, arguments.tries)
    planted: list[Planted] = []
    for task_id, layout in layouts.items():
        try:
            result = await planter.plant(layout, candidates[task_id], orders[task_id])
        except Skip as skip:
            skipped[task_id] = str(skip)
            print(f"{task_id}: skipped: {skip}", flush=True)
            continue
        planted.append(result)
        print(f"{task_id}: {result.mutant.kind}: {result.mutant.description}", flush=True)
    order = {row.task.task_id: index for index, row in enumerate(rows)}
    skipped = dict(sorted(skipped.items(), key=lambda item: order[item[0]]))
    kinds = Counter(result.mutant.kind for result in planted)
    write_rows(arguments.out, [result.row() for result in planted])
    return {
        "command": "python scripts/plant_bugs.py " + " ".join(sys.argv[1:]),
        "source": str(arguments.source),
        "source_sha256": hashlib.sha256(arguments.source.read_bytes()).hexdigest(),
        "seed": arguments.seed,
        "tries_per_kind": arguments.tries,
        "problems": len(rows),
        "unreadable_rows": unreadable,
        "tasks": len(planted),
        "bug_kinds": {kind: kinds[kind] for kind in BUG_KINDS},
        "mutants_tried": sum(result.tried for result in planted),
        "example_failures": dict(Counter(result.example_failure.outcome.value for result in planted)),
        "hidden_failures": dict(Counter(result.hidden_failure.outcome.value for result in planted)),
        "hidden_asserts_written": sum(result.layout.tests_written for result in planted),
        "hidden_inputs_available": sum(result.layout.tests_available for result in planted),
        "skipped": skipped,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="MbppPlus.jsonl(.gz)")
    parser.add_argument("out", type=Path, help="the development set to write (.jsonl or .jsonl.gz)")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--tries", type=int, default=4, help="mutants tried per bug kind and problem")
    parser.add_argument("--jobs", type=int, default=1, help="sandbox workers at once (this is a 2-core machine)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N problems")
    report = anyio.run(plant_all, parser.parse_args(argv))
    print(
        f"{report['tasks']} tasks from {report['problems']} problems; per kind {report['bug_kinds']}; "
        f"{len(report['skipped'])} skipped; {report['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
