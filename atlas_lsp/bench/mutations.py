"""Single planted bugs: every one-place `ast` mutation of a function's body, written back as a minimal text edit.

Six kinds, the ones issue 22 lists:
- `operator`: an arithmetic, bitwise or boolean operator swapped for a near one (`+`/`-`, `//`/`/`, `and`/`or`);
- `comparison`: a comparison moved across its boundary or negated (`<`/`<=`, `==`/`!=`, `in`/`not in`);
- `off_by_one`: an integer constant, a `range` bound, an index or a slice bound moved by one;
- `wrong_variable`: a variable read replaced by another one the function has bound on an earlier line;
- `missing_case`: an `elif` branch, an `if` guard, an early `return`, a comprehension's filter, a branch
  of `a if c else b` or one operand of `and`/`or` dropped;
- `swapped_arguments`: two neighbouring positional arguments of a call swapped.

The edit touches only the changed text: an operator token, a number, a name, two arguments' places, the
lines of a dropped statement; comments, quotes and layout elsewhere stay as they were, so nothing but the
bug tells the mutant from the original. Each mutant is parsed back and its tree must be exactly the
mutated tree (otherwise the edit is retried in parentheses, then given up), so its description says
exactly what changed. Whether a mutant is a bug, i.e. fails the tests, is for the caller to find out.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

BugKind = Literal["operator", "comparison", "off_by_one", "wrong_variable", "missing_case", "swapped_arguments"]
BUG_KINDS: tuple[BugKind, ...] = (
    "operator",
    "comparison",
    "off_by_one",
    "wrong_variable",
    "missing_case",
    "swapped_arguments",
)
DESCRIBED_CHARS = 60

# The slip a programmer makes, not a random operator: the nearest wrong one. Each operator is found in
# the text between its operands by its pattern (so `*` never matches inside `**`).
_BINARY: dict[type[ast.operator], tuple[str, str]] = {
    ast.Add: (r"\+", "+"),
    ast.Sub: (r"-", "-"),
    ast.Mult: (r"(?<!\*)\*(?!\*)", "*"),
    ast.Div: (r"(?<!/)/(?!/)", "/"),
    ast.FloorDiv: (r"//", "//"),
    ast.Mod: (r"%", "%"),
    ast.Pow: (r"\*\*", "**"),
    ast.BitAnd: (r"&", "&"),
    ast.BitOr: (r"\|", "|"),
    ast.BitXor: (r"\^", "^"),
    ast.LShift: (r"<<", "<<"),
    ast.RShift: (r">>", ">>"),
}
_BINARY_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Add,
    ast.Div: ast.FloorDiv,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitOr,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
_COMPARISON: dict[type[ast.cmpop], tuple[str, str]] = {
    ast.Lt: (r"<(?!=)", "<"),
    ast.LtE: (r"<=", "<="),
    ast.Gt: (r">(?!=)", ">"),
    ast.GtE: (r">=", ">="),
    ast.Eq: (r"==", "=="),
    ast.NotEq: (r"!=", "!="),
    ast.In: (r"\bin\b", "in"),
    ast.NotIn: (r"\bnot\s+in\b", "not in"),
    ast.Is: (r"\bis\b", "is"),
    ast.IsNot: (r"\bis\s+not\b", "is not"),
}
_COMPARISON_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
# Operands that need no parentheses before ` + 1`: atoms, and arithmetic that binds as tightly as `+` or
# more (`a - b + 1` is `(a - b) + 1`).
_ATOMS = (ast.Name, ast.Call, ast.Attribute, ast.Subscript, ast.Constant, ast.UnaryOp)
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)


@dataclass(frozen=True)
class Mutant:
    kind: BugKind
    description: str
    """What changed, e.g. "line 4: `i < n` became `i <= n`" (lines of the mutated source)."""
    line: int
    source: str
    """The whole source with the bug; identical to the original outside the edited span."""


class _Source:
    """The original text, addressed by character offsets (ast columns count UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0]
        for line in text.splitlines(keepends=True):
            self._line_starts.append(self._line_starts[-1] + len(line))
        self._lines = text.splitlines(keepends=True)

    def offset(self, line: int, col: int) -> int:
        if line > len(self._lines):  # the end of the last line
            return len(self.text)
        prefix = self._lines[line - 1].encode("utf-8")[:col].decode("utf-8", errors="ignore")
        return self._line_starts[line - 1] + len(prefix)

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def segment(self, node: ast.AST) -> str:
        return self.text[self.start(node) : self.end(node)]

    def line_start(self, line: int) -> int:
        return self._line_starts[line - 1] if line <= len(self._lines) else len(self.text)


@dataclass(frozen=True)
class _Edit:
    """Text from `start` to `end` (offsets in the original) becomes `text`; `wrapped`, if given, is the same
    edit in parentheses, tried when the plain one parses to another tree (`a - (b + c)`)."""

    start: int
    end: int
    text: str
    description: str
    wrapped: bool = True


# A proposal mutates the node it is given (in a private copy of the tree) and says how the text changes.
_Apply = Callable[[ast.AST, dict[ast.AST, ast.AST], _Source], "_Edit | None"]


@dataclass(frozen=True)
class _Proposal:
    kind: BugKind
    index: int
    """The node's position in `_body_nodes` order, the same in every copy of the tree."""
    apply: _Apply


def mutants(source: str, function_name: str) -> list[Mutant]:
    """Every single-bug variant of the module-level function `function_name` of `source`, in source order
    of the node each one changes; only its body changes (never its docstring or its own asserts)."""
    tree = ast.parse(source)
    function = _function(tree, function_name)
    text = _Source(source)
    found: list[Mutant] = []
    seen: set[str] = set()
    for proposal in _proposals(function, _bound_names(function)):
        mutant = _realise(text, tree, function_name, proposal)
        if mutant is not None and mutant.source not in seen:
            seen.add(mutant.source)
            found.append(mutant)
    return found


def _function(tree: ast.Module, name: str) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise ValueError(f"no module-level function `{name}`")


def _body_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    """The nodes a bug may touch, in a fixed order: the body's, minus its docstring, its `assert`
    statements (contracts, not logic) and the inside of f-strings (whose positions Python 3.11 misreports)."""
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    nodes: list[ast.AST] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Assert):
            return
        nodes.append(node)
        if not isinstance(node, ast.JoinedStr):
            for child in ast.iter_child_nodes(node):
                visit(child)

    for statement in body:
        visit(statement)
    return nodes


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def _realise(source: _Source, tree: ast.Module, function_name: str, proposal: _Proposal) -> Mutant | None:
    work = copy.deepcopy(tree)
    node = _body_nodes(_function(work, function_name))[proposal.index]
    edit = proposal.apply(node, _parents(work), source)
    if edit is None:
        return None
    expected = ast.dump(work)
    texts = [edit.text, f"({edit.text})"] if edit.wrapped else [edit.text]
    for text in texts:
        mutated = source.text[: edit.start] + text + source.text[edit.end :]
        try:
            if ast.dump(ast.parse(mutated)) != expected:
                continue
        except SyntaxError:
            continue
        line = source.text.count("\n", 0, edit.start) + 1
        return Mutant(proposal.kind, f"line {line}: {edit.description}", line, mutated)
    return None


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DESCRIBED_CHARS else text[: DESCRIBED_CHARS - 3] + "..."


# ---------------------------------------------------------------- where bugs can go


def _proposals(function: ast.FunctionDef, local_names: dict[str, int]) -> Iterator[_Proposal]:
    nodes = _body_nodes(function)
    # The `1` of `-1` moves as part of `-1`: on its own it would give `-0`, and `-2` a second time.
    negated = {id(node.operand) for node in nodes if isinstance(node, ast.UnaryOp) and _integer(node) is not None}
    for index, node in enumerate(nodes):
        if id(node) not in negated:
            for kind, apply in _node_proposals(node, local_names, function.name):
                yield _Proposal(kind, index, apply)


def _node_proposals(node: ast.AST, local_names: dict[str, int], function_name: str) -> Iterator[tuple[BugKind, _Apply]]:
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_SWAPS and not _builds_text(node):
        yield "operator", _swap_binary_operator
    if isinstance(node, ast.AugAssign) and type(node.op) in _BINARY_SWAPS:
        yield "operator", _swap_augmented_operator
    if isinstance(node, ast.BoolOp):
        yield "operator", _swap_boolean_operator
        for position in range(len(node.values)):
            yield "missing_case", _drop_operand(position)
    if isinstance(node, ast.Compare):
        for position in range(len(node.ops)):
            yield "comparison", _swap_comparison(position)
    if _integer(node) is not None:
        yield "off_by_one", _shift_constant(+1)
        yield "off_by_one", _shift_constant(-1)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        for position in _range_bounds(node):
            yield "off_by_one", _shift_range_bound(position, +1)
            yield "off_by_one", _shift_range_bound(position, -1)
    if isinstance(node, ast.Subscript):
        for part in _index_parts(node):
            yield "off_by_one", _shift_index(part, +1)
            yield "off_by_one", _shift_index(part, -1)
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in local_names:
        for other in sorted(local_names):
            if other not in (node.id, function_name) and local_names[other] < node.lineno:
                yield "wrong_variable", _rename(other)
    if isinstance(node, ast.Call):
        for position in range(len(node.args) - 1):
            first, second = node.args[position : position + 2]
            if not isinstance(first, ast.Starred) and not isinstance(second, ast.Starred):
                if ast.dump(first) != ast.dump(second):
                    yield "swapped_arguments", _swap_arguments(position)
    if isinstance(node, _COMPREHENSIONS):
        for generator, comprehension in enumerate(node.generators):
            for position in range(len(comprehension.ifs)):
                yield "missing_case", _drop_filter(generator, position)
    if isinstance(node, ast.IfExp):
        yield "missing_case", _keep_one_branch("body")
        yield "missing_case", _keep_one_branch("orelse")
    if isinstance(node, ast.If):
        yield "missing_case", _drop_elif_branch
        yield "missing_case", _drop_guard
    if isinstance(node, ast.Return):
        yield "missing_case", _drop_return


def _builds_text(node: ast.BinOp) -> bool:
    """`"%d" % n`, `"a" + s`: an operator swap there makes only a TypeError."""
    return isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)


def _integer(node: ast.AST) -> int | None:
    """An integer literal, negative ones (`-1`) included; bools are not integers here."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _plus_minus_constant(node: ast.AST) -> bool:
    """`n + 1`, `i - 2`: a bound whose constant `_shift_constant` moves already."""
    return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and _integer(node.right) is not None


def _shiftable(node: ast.AST | None) -> bool:
    return node is not None and _integer(node) is None and not _plus_minus_constant(node)


def _range_bounds(call: ast.Call) -> list[int]:
    """The positions of a `range` call's start and stop arguments worth moving by one."""
    if call.keywords or any(isinstance(argument, ast.Starred) for argument in call.args):
        return []
    positions = [0] if len(call.args) == 1 else [0, 1] if len(call.args) in (2, 3) else []
    return [position for position in positions if _shiftable(call.args[position])]


def _index_parts(node: ast.Subscript) -> list[str]:
    """Which parts of a subscript may move by one: the index itself, or a slice's lower or upper bound.
    Constants move on their own; tuples and string keys are not positions."""
    if isinstance(node.slice, ast.Slice):
        return [part for part in ("lower", "upper") if _shiftable(getattr(node.slice, part))]
    if isinstance(node.slice, (ast.Tuple, ast.Constant)) or not _shiftable(node.slice):
        return []
    return ["index"]


def _bound_names(function: ast.FunctionDef) -> dict[str, int]:
    """Variables of the function and the first line each is bound on (parameters: the `def` line);
    names bound only inside comprehensions are left out (they are not in scope elsewhere)."""
    arguments = function.args
    parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    bound = {parameter.arg: function.lineno for parameter in parameters if parameter is not None}
    comprehension_targets = {
        id(name) for node in ast.walk(function) if isinstance(node, ast.comprehension) for name in ast.walk(node.target)
    }
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and id(node) not in comprehension_targets:
            bound[node.id] = min(bound.get(node.id, node.lineno), node.lineno)
    return bound


# ---------------------------------------------------------------- applying a proposal


def _replace(node: ast.AST, new: ast.AST, parents: dict[ast.AST, ast.AST]) -> None:
    """Put `new` where `node` is in its parent (in the private copy of the tree)."""
    parent = parents[node]
    for field, value in ast.iter_fields(parent):
        if value is node:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                if item is node:
                    value[index] = new
                    return
    raise ValueError("node not found in its parent")


def _rewritten(source: _Source, node: ast.AST, changes: list[tuple[int, int, str]]) -> str:
    """The node's text with the spans `changes` (offsets in the original, in order) replaced."""
    text, position = "", source.start(node)
    for change_start, change_end, replacement in changes:
        text += source.text[position:change_start] + replacement
        position = change_end
    return text + source.text[position : source.end(node)]


def _node_edit(source: _Source, node: ast.AST, text: str, description: str = "") -> _Edit:
    described = description or f"`{_shown(source.segment(node))}` became `{_shown(text)}`"
    return _Edit(source.start(node), source.end(node), text, described)


def _token_swap(source: _Source, start: int, end: int, pattern: str, replacement: str) -> tuple[int, int, str] | None:
    """The span between two operands with its operator token replaced; None when the token is not there."""
    between = source.text[start:end]
    changed, count = re.subn(pattern, replacement, between, count=1)
    return (start, end, changed) if count else None


def _swap_binary_operator(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit | None:
    assert isinstance(node, ast.BinOp)
    new_op = _BINARY_SWAPS[type(node.op)]
    change = _token_swap(
        source, source.end(node.left), source.start(node.right), _BINARY[type(node.op)][0], _BINARY[new_op][1]
    )
    if change is None:
        return None
    node.op = new_op()
    return _node_edit(source, node, _rewritten(source, node, [change]))


def _swap_augmented_operator(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit | None:
    assert isinstance(node, ast.AugAssign)
    new_op = _BINARY_SWAPS[type(node.op)]
    pattern = _BINARY[type(node.op)][0] + "="
    change = _token_swap(source, source.end(node.target), source.start(node.value), pattern, _BINARY[new_op][1] + "=")
    if change is None:
        return None
    node.op = new_op()
    edit = _node_edit(source, node, _rewritten(source, node, [change]))
    return _Edit(edit.start, edit.end, edit.text, edit.description, wrapped=False)


def _swap_boolean_operator(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit | None:
    assert isinstance(node, ast.BoolOp)
    old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
    changes = []
    for left, right in zip(node.values, node.values[1:], strict=False):
        change = _token_swap(source, source.end(left), source.start(right), rf"\b{old}\b", new)
        if change is None:
            return None
        changes.append(change)
    node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    return _node_edit(source, node, _rewritten(source, node, changes))


def _drop_operand(position: int) -> _Apply:
    def apply(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit:
        assert isinstance(node, ast.BoolOp)
        values = node.values
        dropped = source.segment(values[position])
        # The operand goes with the operator next to it: the one before it, or after it for the first.
        if position == 0:
            span = (source.start(values[0]), source.start(values[1]), "")
        else:
            span = (source.end(values[position - 1]), source.end(values[position]), "")
        text = _rewritten(source, node, [span])
        kept = [value for index, value in enumerate(values) if index != position]
        if len(kept) == 1:
            _replace(node, kept[0], parents)
        else:
            node.values = kept
        return _node_edit(
            source, node, text, f"the case `{_shown(dropped)}` of `{_shown(source.segment(node))}` was dropped"
        )

    return apply


def _swap_comparison(position: int) -> _Apply:
    def apply(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit | None:
        assert isinstance(node, ast.Compare)
        left = node.left if position == 0 else node.comparators[position - 1]
        old = type(node.ops[position])
        new = _COMPARISON_SWAPS[old]
        change = _token_swap(
            source, source.end(left), source.start(node.comparators[position]), _COMPARISON[old][0], _COMPARISON[new][1]
        )
        if change is None:
            return None
        node.ops[position] = new()
        return _node_edit(source, node, _rewritten(source, node, [change]))

    return apply


def _shift_constant(delta: int) -> _Apply:
    def apply(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit:
        value = _integer(node)
        assert value is not None
        shifted = value + delta
        new: ast.expr = ast.Constant(shifted) if shifted >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-shifted))
        _replace(node, new, parents)
        return _node_edit(source, node, str(shifted))

    return apply


def _moved(source: _Source, expression: ast.expr, delta: int) -> tuple[ast.expr, str]:
    """`expression + 1` (or `- 1`): the new node and its text, the expression's own text kept."""
    text = source.segment(expression)
    if not isinstance(expression, _ATOMS) and not (
        isinstance(expression, ast.BinOp) and isinstance(expression.op, _ARITHMETIC)
    ):
        text = f"({text})"
    operator, symbol = (ast.Add(), "+") if delta > 0 else (ast.Sub(), "-")
    return ast.BinOp(expression, operator, ast.Constant(abs(delta))), f"{text} {symbol} {abs(delta)}"


def _shift_range_bound(position: int, delta: int) -> _Apply:
    def apply(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit:
        assert isinstance(node, ast.Call)
        bound = node.args[position]
        new, text = _moved(source, bound, delta)
        _replace(bound, new, parents)
        return _node_edit(
            source, bound, text, f"the bound `{_shown(source.segment(bound))}` of `range` became `{text}`"
        )

    return apply


def _shift_index(part: str, delta: int) -> _Apply:
    def apply(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit:
        assert isinstance(node, ast.Subscript)
        bound = node.slice if part == "index" else getattr(node.slice, part)
        new, text = _moved(source, bound, delta)
        _replace(bound, new, parents)
        what = "index" if part == "index" else f"slice's {part} bound"
        return _node_edit(source, bound, text, f"the {what} `{_shown(source.segment(bound))}` became `{text}`")

    return apply


def _rename(other: str) -> _Apply:
    def apply(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit | None:
        assert isinstance(node, ast.Name)
        parent = parents[node]
        if isinstance(parent, ast.Call) and parent.func is node:
            return None  # a call of a local function: renaming it is a crash, not a wrong variable
        _replace(node, ast.Name(other, ast.Load()), parents)
        return _node_edit(source, node, other)

    return apply


def _swap_arguments(position: int) -> _Apply:
    def apply(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit:
        assert isinstance(node, ast.Call)
        first, second = node.args[position], node.args[position + 1]
        between = source.text[source.end(first) : source.start(second)]
        text = source.segment(second) + between + source.segment(first)
        node.args[position], node.args[position + 1] = second, first
        callee, one, other = (_shown(source.segment(part)) for part in (node.func, first, second))
        description = f"the arguments `{one}` and `{other}` of `{callee}` swapped"
        return _Edit(source.start(first), source.end(second), text, description, wrapped=False)

    return apply


def _drop_filter(generator: int, position: int) -> _Apply:
    def apply(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit:
        assert isinstance(node, _COMPREHENSIONS)
        comprehension = node.generators[generator]
        before = comprehension.iter if position == 0 else comprehension.ifs[position - 1]
        dropped = comprehension.ifs.pop(position)
        description = f"the filter `if {_shown(source.segment(dropped))}` was dropped"
        return _Edit(source.end(before), source.end(dropped), "", description, wrapped=False)

    return apply


def _keep_one_branch(kept: str) -> _Apply:
    """`a if c else b` reduced to `a` (the case `not c` lost) or to `b` (the case `c` lost)."""

    def apply(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit:
        assert isinstance(node, ast.IfExp)
        branch = getattr(node, kept)
        _replace(node, branch, parents)
        return _node_edit(source, node, source.segment(branch))

    return apply


def _statement_list(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> list[ast.stmt] | None:
    """The block (a list of statements) holding `node`, if any."""
    parent = parents.get(node)
    for _, value in ast.iter_fields(parent) if parent is not None else ():
        if isinstance(value, list) and any(item is node for item in value):
            return value
    return None


def _lines_dropped(source: _Source, first_line: int, last_line: int, description: str) -> _Edit:
    """Lines first_line..last_line removed whole."""
    return _Edit(source.line_start(first_line), source.line_start(last_line + 1), "", description, wrapped=False)


def _drop_elif_branch(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit | None:
    assert isinstance(node, ast.If)
    parent = parents.get(node)
    # An `elif` is an If alone in its parent If's `orelse`, starting below the parent's body.
    if not (isinstance(parent, ast.If) and len(parent.orelse) == 1 and parent.orelse[0] is node):
        return None
    if node.lineno <= parent.body[-1].end_lineno:  # type: ignore[operator]
        return None
    description = f"the branch `elif {_shown(source.segment(node.test))}:` was dropped"
    last = node.body[-1].end_lineno
    parent.orelse = node.orelse
    return _lines_dropped(source, node.lineno, last, description)  # type: ignore[arg-type]


def _drop_guard(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit | None:
    assert isinstance(node, ast.If)
    block = _statement_list(node, parents)
    if node.orelse or block is None or len(block) < 2:
        return None
    block.remove(node)
    description = f"the case `if {_shown(source.segment(node.test))}:` was dropped"
    return _lines_dropped(source, node.lineno, node.end_lineno, description)  # type: ignore[arg-type]


def _drop_return(node: ast.AST, parents: dict[ast.AST, ast.AST], source: _Source) -> _Edit | None:
    assert isinstance(node, ast.Return)
    block = _statement_list(node, parents)
    if block is None or len(block) < 2:
        return None
    if isinstance(parents.get(node), ast.FunctionDef) and block[-1] is node:
        return None  # the function's last return: dropping it only makes the function return None
    block.remove(node)
    description = f"the early `{_shown(source.segment(node))}` was dropped"
    return _lines_dropped(source, node.lineno, node.end_lineno, description)  # type: ignore[arg-type]
