"""An index of a workspace's Python code: its modules, their imports and their definitions.

Opened from the user cache when the workspace was indexed before (only files whose mtime or size
changed are parsed again), then kept current one file at a time from editor buffers or disk.
Module names are dotted paths from the workspace root; when the root has a `src` folder, modules
under it are named from there (`src/pkg/mod.py` is `pkg.mod`) and the others still from the root.

One caller may update the index while others read it from other threads: a lock guards every read
and write of the records, and files are parsed outside it.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from engine.context.cache import FileRecord, cache_file, load_records, save_records
from engine.context.definitions import Definition, ModuleInfo, module_name, parse_module
from engine.context.files import WorkspaceFilter
from engine.context.references import Usage, resolve, usage_of
from engine.context.search import DefinitionSearch

UNPARSABLE = "does not parse"


@dataclass(frozen=True)
class IndexSettings:
    max_files: int = 5000
    max_file_bytes: int = 512 * 1024
    exclude: tuple[str, ...] = ()
    """Globs in gitignore syntax, relative to the workspace root."""


@dataclass(frozen=True)
class IndexStats:
    files: int
    """Files indexed (parsed, or taken from the cache)."""
    lines: int
    definitions: int
    skipped: int
    """Python files left out for their size, their syntax or the file limit."""
    parsed: int
    """Files parsed since the index opened; the rest of `files` came from the cache."""


def is_test_file(path: str) -> bool:
    relative = PurePosixPath(path)
    name = relative.name
    return name.startswith("test_") or name.endswith("_test.py") or "tests" in relative.parts[:-1]


def is_test(definition: Definition) -> bool:
    return (
        definition.kind in ("function", "method")
        and definition.name.startswith("test_")
        and is_test_file(definition.path)
    )


class WorkspaceIndex:
    """Build one with `WorkspaceIndex.open`."""

    def __init__(self, root: Path, settings: IndexSettings, cache_path: Path) -> None:
        self.root = root
        self.settings = settings
        self._cache_path = cache_path
        self._filter = WorkspaceFilter(root, settings.exclude)
        self._src_layout = (root / "src").is_dir()
        self._lock = threading.Lock()
        self._records: dict[str, FileRecord] = {}
        self._modules: dict[str, ModuleInfo] = {}
        self._definitions: tuple[Definition, ...] = ()
        self._version = 0
        self._parsed = 0
        self._search_lock = threading.Lock()
        self._search: tuple[int, DefinitionSearch] | None = None

    @classmethod
    def open(
        cls, root: Path, settings: IndexSettings = IndexSettings(), cache_dir: Path | None = None
    ) -> WorkspaceIndex:
        root = root.resolve()
        index = cls(root, settings, cache_file(root, cache_dir))
        cached = load_records(index._cache_path, root)
        records: dict[str, FileRecord] = {}
        for position, relative in enumerate(index._filter.python_files()):
            path = relative.as_posix()
            if position >= settings.max_files:
                records[path] = FileRecord(path, None, 0, skipped=f"over the limit of {settings.max_files} files")
                continue
            try:
                stat = (root / relative).stat()
            except OSError:
                continue  # gone since the folder was listed
            previous = cached.get(path)
            # A skipped file is read again: what made it unreadable (permissions, Python version) may be gone.
            if (
                previous is not None
                and previous.module is not None
                and previous.matches(stat)
                and index._same_module_name(previous)
            ):
                records[path] = previous
            else:
                records[path] = index._read(path, stat)
        with index._lock:
            index._records = records
            index._refresh()
        if index._parsed or records.keys() != cached.keys():
            index.save()
        return index

    @property
    def stats(self) -> IndexStats:
        with self._lock:
            modules = [record.module for record in self._records.values() if record.module is not None]
            return IndexStats(
                files=len(modules),
                lines=sum(module.lines for module in modules),
                definitions=len(self._definitions),
                skipped=len(self._records) - len(modules),
                parsed=self._parsed,
            )

    def update(self, path: Path, text: str | None = None) -> None:
        """Index one file again: from `text`, the editor's buffer, or else from disk (gone: removed)."""
        relative = self._relative(path)
        if relative is None or not self._filter.allows(PurePosixPath(relative)):
            return
        if text is None:
            try:
                stat = (self.root / relative).stat()
            except OSError:
                self.remove(path)
                return
            with self._lock:
                current = self._records.get(relative)
            if current is not None and current.matches(stat):
                return
            record = self._read(relative, stat)
        else:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            record = self._record_from_text(relative, text, mtime_ns=None, size=len(text.encode()))
        with self._lock:
            previous = self._records.get(relative)
            if record.skipped.startswith(UNPARSABLE) and previous is not None and previous.module is not None:
                return  # mid-edit: the last version that parsed stands until this one parses
            if relative not in self._records and len(self._records) >= self.settings.max_files:
                record = FileRecord(relative, None, 0, skipped=f"over the limit of {self.settings.max_files} files")
            self._records[relative] = record
            self._refresh()

    def remove(self, path: Path) -> None:
        relative = self._relative(path)
        with self._lock:
            if relative is not None and self._records.pop(relative, None) is not None:
                self._refresh()

    def save(self) -> bool:
        """False when the cache cannot be written: the index then works on, it is just rebuilt next time."""
        with self._lock:
            records = list(self._records.values())
        try:
            save_records(self._cache_path, self.root, records)
        except OSError:
            return False
        return True

    def module(self, name: str) -> ModuleInfo | None:
        with self._lock:
            return self._modules.get(name)

    def module_name_of(self, path: Path) -> str | None:
        """The dotted name of the module at `path`, indexed or not; None outside the workspace."""
        relative = self._relative(path)
        return module_name(PurePosixPath(relative), self._src_layout) if relative else None

    def definition(self, module: str, qualname: str) -> Definition | None:
        with self._lock:
            found = self._modules.get(module)
            return found.definitions.get(qualname) if found else None

    def definitions(self) -> tuple[Definition, ...]:
        with self._lock:
            return self._definitions

    def resolve(self, module: str, reference: str, enclosing_class: str | None = None) -> Definition | None:
        """The definition that `reference` (a name or `a.b.c`) used in `module` stands for."""
        with self._lock:
            found = self._modules.get(module)
            return resolve(self._modules, found, reference, enclosing_class) if found else None

    def tests_of(self, path: Path, qualname: str) -> tuple[Definition, ...]:
        """The test functions that use the function `qualname` of the file at `path`, surest first."""
        return self._users_of(path, qualname, tests=True)

    def unparsable_tests(self) -> tuple[tuple[str, str], ...]:
        """Test files that do not parse (relative path, why): none of their tests reaches a task."""
        with self._lock:
            return tuple(
                (record.path, record.skipped)
                for record in self._records.values()
                if record.skipped.startswith(UNPARSABLE) and is_test_file(record.path)
            )

    def callers_of(self, path: Path, qualname: str) -> tuple[Definition, ...]:
        """The functions, methods and constants (tests aside) that use it, surest first."""
        return self._users_of(path, qualname, tests=False)

    def search(self) -> DefinitionSearch:
        """BM25 over every definition, rebuilt on first use after the index changed."""
        with self._search_lock:
            with self._lock:
                version, definitions = self._version, self._definitions
            if self._search is None or self._search[0] != version:
                self._search = (version, DefinitionSearch(definitions, self._search[1] if self._search else None))
            return self._search[1]

    def _users_of(self, path: Path, qualname: str, tests: bool) -> tuple[Definition, ...]:
        target_module = self.module_name_of(path)
        if target_module is None:
            return ()
        surest: dict[Usage, list[Definition]] = {"exact": [], "likely": []}
        with self._lock:
            for user in self._definitions:
                if user.kind == "class" or is_test(user) != tests:
                    continue
                if user.module == target_module and user.qualname == qualname:
                    continue
                usage = usage_of(self._modules, user, target_module, qualname)
                if usage is not None:
                    surest[usage].append(user)
        return (*surest["exact"], *surest["likely"])

    def _relative(self, path: Path) -> str | None:
        absolute = path if path.is_absolute() else self.root / path
        try:
            return absolute.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def _same_module_name(self, record: FileRecord) -> bool:
        # A `src` folder created or deleted since the cache was written renames modules.
        return record.module is None or record.module.name == module_name(PurePosixPath(record.path), self._src_layout)

    def _read(self, relative: str, stat: os.stat_result) -> FileRecord:
        if stat.st_size > self.settings.max_file_bytes:
            return FileRecord(relative, stat.st_mtime_ns, stat.st_size, skipped="larger than max_file_bytes")
        try:
            text = importlib.util.decode_source((self.root / relative).read_bytes())
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            return FileRecord(relative, stat.st_mtime_ns, stat.st_size, skipped=f"unreadable: {error}")
        return self._record_from_text(relative, text, stat.st_mtime_ns, stat.st_size)

    def _record_from_text(self, relative: str, text: str, mtime_ns: int | None, size: int) -> FileRecord:
        if size > self.settings.max_file_bytes:
            return FileRecord(relative, mtime_ns, size, skipped="larger than max_file_bytes")
        relative_path = PurePosixPath(relative)
        name = module_name(relative_path, self._src_layout)
        with self._lock:
            self._parsed += 1
        try:
            module = parse_module(text, name, relative, is_package=relative_path.name == "__init__.py")
        except (SyntaxError, ValueError) as error:
            return FileRecord(relative, mtime_ns, size, skipped=f"{UNPARSABLE}: {error}")
        return FileRecord(relative, mtime_ns, size, module)

    def _refresh(self) -> None:
        """Derive the lookups from the records; called with the lock held."""
        modules: dict[str, ModuleInfo] = {}
        for path in sorted(self._records):  # when two files claim one module name, the same one always wins
            module = self._records[path].module
            if module is not None:
                modules.setdefault(module.name, module)
        self._modules = modules
        self._definitions = tuple(
            definition for module in modules.values() for definition in module.definitions.values()
        )
        self._version += 1
