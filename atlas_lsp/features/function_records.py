"""What a job found out about a function, kept per document and target for as long as it holds.

A record remembers the function's text it was made for. When the document changes, the records
of functions whose text is no longer that text (or that are gone) are dropped, and the others
follow their function to the line it now starts on: what is shown beside the code is never about
code that is no longer there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, Self, TypeVar

from lsprotocol import types

from atlas_lsp.features.targets import Target, source_of, target_named
from atlas_lsp.functions import FunctionSite, ModuleSource, split_lines


class FunctionRecord(Protocol):
    @property
    def source(self) -> str:
        """The function's text the record holds for (`source_of` its target)."""
        ...

    @property
    def range(self) -> types.Range:
        """Where the record is shown: the first line of its function."""
        ...

    def moved_to(self, where: types.Range) -> Self: ...


Record = TypeVar("Record", bound=FunctionRecord)


class FunctionRecords(Generic[Record]):
    def __init__(self) -> None:
        self._by_document: dict[str, dict[str, Record]] = {}

    def record(self, uri: str, target: str, record: Record) -> None:
        self._by_document.setdefault(uri, {})[target] = record

    def forget(self, uri: str, target: str) -> None:
        self._by_document.get(uri, {}).pop(target, None)

    def get(self, uri: str, target: str) -> Record | None:
        return self._by_document.get(uri, {}).get(target)

    def of_document(self, uri: str) -> dict[str, Record]:
        """The document's records by target, in the order they were made."""
        return dict(self._by_document.get(uri, {}))

    def forget_changed(self, uri: str, module: ModuleSource) -> bool:
        """Drop the records of functions that are gone from `module` or whose text differs from the
        text they were made for; whether any was dropped."""
        records = self._by_document.get(uri, {})
        changed = [target for target, record in records.items() if _current_source(module, target) != record.source]
        for target in changed:
            del records[target]
        return bool(changed)

    def follow_moves(self, uri: str, module: ModuleSource, units: Callable[[str], int]) -> bool:
        """Move each record to the first line of its function in `module` (the new text of the
        document; code above it may have grown or shrunk); whether any moved."""
        records = self._by_document.get(uri, {})
        moved = False
        for name, record in records.items():
            target = target_named(module, name)
            if target is None:
                continue
            where = first_line_range(target, module.text, units)
            if where != record.range:
                records[name] = record.moved_to(where)
                moved = True
        return moved

    def forget_document(self, uri: str) -> bool:
        """Drop every record of the document; whether it had any."""
        return bool(self._by_document.pop(uri, None))


def first_line_range(target: Target, text: str, units: Callable[[str], int]) -> types.Range:
    """The target's first line (its `def`, or the file's first line for a program) from its first
    character to its end. `units` counts a string's length in the client's position encoding."""
    line_number = target.def_line if isinstance(target, FunctionSite) else 0
    line = split_lines(text)[line_number] if text else ""
    start = len(target.indent) if isinstance(target, FunctionSite) else 0
    return types.Range(
        start=types.Position(line_number, units(line[:start])),
        end=types.Position(line_number, units(line)),
    )


def _current_source(module: ModuleSource, target_name: str) -> str | None:
    target = target_named(module, target_name)
    return source_of(target) if target else None
