"""The workspace code around a function, turned into what its task needs.

A task gets three things from the workspace: the code the function works with, for the prompt
(helpers it calls, their classes, its tests and callers, closest first, under a token budget); the
literal asserts of the tests that call it, as examples to check candidates and repairs against;
and the project folder, importable (read-only) when candidates run. The server keeps one index per
workspace folder current from editor events; headless commands open the index of the file's project.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from atlas_lsp.functions import FunctionSite
from atlas_lsp.settings import Settings
from engine.examples import examples_in_test_file
from engine.task import Example

if TYPE_CHECKING:  # the index pulls in its ranking library: imported when the first index opens
    from engine.context import WorkspaceIndex

ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


@dataclass(frozen=True)
class FunctionContext:
    text: str = ""
    """Workspace code for the prompt; empty when there is no index (the file's own helpers are used)."""
    test_examples: tuple[Example, ...] = ()
    project_root: str | None = None
    unusable_tests: tuple[str, ...] = ()
    """Why test files that name the function were not used (e.g. "tests/test_x.py does not parse: ...")."""


def project_root_of(path: Path) -> Path | None:
    """The nearest folder above `path` that marks a project (pyproject.toml, setup.py, setup.cfg, .git)."""
    for folder in path.resolve().parents:
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return None


def function_context(index: WorkspaceIndex, path: Path, site: FunctionSite, budget_tokens: int) -> FunctionContext:
    from engine.context import ContextRequest, gather_context

    request = ContextRequest(
        path=path, qualname=site.qualified_name, source=site.source, docstring=site.docstring or ""
    )
    gathered = gather_context(index, request, budget_tokens)
    examples: dict[str, Example] = {}
    for test in index.tests_of(path, site.qualified_name):
        for example in examples_in_test_file(test.source, site.name):
            examples.setdefault(example.input, example)
    unusable = tuple(
        f"{relative} {why}"
        for relative, why in index.unparsable_tests()
        if site.name in _text_or_empty(index.root / relative)
    )
    return FunctionContext(gathered.text, tuple(examples.values()), str(index.root), unusable)


def _text_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class WorkspaceCode:
    """The indexes of the projects the editor has open, one per workspace folder.

    Folders are opened in worker threads while the event loop reads: readers take a snapshot of the
    folders, never iterate the live dict.
    """

    def __init__(self) -> None:
        self._indexes: dict[Path, WorkspaceIndex] = {}
        self._opening = threading.Lock()

    def open_folder(self, root: Path, settings: Settings) -> WorkspaceIndex:
        """The index of `root`, opened on first use (blocking: call from a worker thread)."""
        from engine.context import IndexSettings, WorkspaceIndex

        with self._opening:
            if root not in self._indexes:
                self._indexes[root] = WorkspaceIndex.open(root, IndexSettings(exclude=settings.context_exclude))
            return self._indexes[root]

    def index_for(self, path: Path, settings: Settings) -> WorkspaceIndex | None:
        """The index of the workspace folder, or else the project, holding `path` (blocking)."""
        root = self._root_of(path) or project_root_of(path)
        return self.open_folder(root, settings) if root else None

    async def context_for(self, path: Path, site: FunctionSite, settings: Settings) -> FunctionContext:
        if not settings.workspace_context:
            return FunctionContext()

        def gather() -> FunctionContext:
            index = self.index_for(path, settings)
            return (
                function_context(index, path, site, settings.workspace_context_tokens) if index else FunctionContext()
            )

        return await anyio.to_thread.run_sync(gather)

    def file_changed(self, path: Path, text: str | None = None) -> None:
        """`text` is the editor's buffer; None reads the file (or drops it, when it is gone)."""
        root = self._root_of(path)
        if root is not None and path.suffix == ".py":
            self._indexes[root].update(path, text)

    def save_all(self) -> None:
        for index in tuple(self._indexes.values()):
            index.save()

    def _root_of(self, path: Path) -> Path | None:
        roots = [root for root in tuple(self._indexes) if path.is_relative_to(root)]
        return max(roots, key=lambda root: len(root.parts), default=None)
