"""The index of a workspace, kept between runs in the user cache as JSON.

One file per workspace: `<cache>/atlas-lsp/workspaces/<16 hex of sha256(resolved root)>/index.json`,
where `<cache>` is $XDG_CACHE_HOME or ~/.cache. Each file's entry is trusted while the file's
mtime_ns and size are unchanged. A file that cannot be read, or was written by another format
version, is treated as absent: the index is then built from scratch.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from engine.context.definitions import Definition, ModuleInfo

FORMAT_VERSION = 2


@dataclass(frozen=True)
class FileRecord:
    """What the index knows of one file: its module, or why it was skipped."""

    path: str
    mtime_ns: int | None
    """None when it was read from an editor buffer, which the file on disk may not match."""
    size: int
    module: ModuleInfo | None = None
    skipped: str = ""

    def matches(self, stat: os.stat_result) -> bool:
        return self.mtime_ns == stat.st_mtime_ns and self.size == stat.st_size


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "atlas-lsp" / "workspaces"


def cache_file(root: Path, cache_dir: Path | None) -> Path:
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return (cache_dir or default_cache_dir()) / digest / "index.json"


def load_records(path: Path, root: Path) -> dict[str, FileRecord]:
    """The records cached for `root`; empty when there is no usable cache file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != FORMAT_VERSION or data.get("root") != str(root):
            return {}
        return {entry["path"]: _record_from_json(entry) for entry in data["files"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save_records(path: Path, root: Path, records: list[FileRecord]) -> None:
    """Written to a temporary file first, so that a crash mid-write leaves the previous cache whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": FORMAT_VERSION, "root": str(root), "files": [_record_to_json(record) for record in records]}
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as file:
        json.dump(data, file, separators=(",", ":"))
    os.replace(file.name, path)


def _record_to_json(record: FileRecord) -> dict[str, Any]:
    module = record.module
    return {
        "path": record.path,
        "mtime_ns": record.mtime_ns,
        "size": record.size,
        "skipped": record.skipped,
        "module": None
        if module is None
        else {
            "name": module.name,
            "is_package": module.is_package,
            "lines": module.lines,
            "imports": module.imports,
            "star_imports": list(module.star_imports),
            "definitions": [_definition_to_json(definition) for definition in module.definitions.values()],
        },
    }


def _definition_to_json(definition: Definition) -> dict[str, Any]:
    data = {field.name: getattr(definition, field.name) for field in fields(Definition)}
    data["uses"], data["references"] = sorted(definition.uses), list(definition.references)
    del data["module"], data["path"]  # the module's own
    return data


def _record_from_json(entry: dict[str, Any]) -> FileRecord:
    module_data = entry["module"]
    module = None
    if module_data is not None:
        definitions = [
            Definition(
                **{**item, "uses": frozenset(item["uses"]), "references": tuple(item["references"])},
                module=module_data["name"],
                path=entry["path"],
            )
            for item in module_data["definitions"]
        ]
        module = ModuleInfo(
            name=module_data["name"],
            path=entry["path"],
            is_package=module_data["is_package"],
            lines=module_data["lines"],
            imports=dict(module_data["imports"]),
            star_imports=tuple(module_data["star_imports"]),
            definitions={definition.qualname: definition for definition in definitions},
        )
    return FileRecord(entry["path"], entry["mtime_ns"], entry["size"], module, entry["skipped"])
