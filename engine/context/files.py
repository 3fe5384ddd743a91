"""Which of the workspace's files are its own Python code.

Left out: virtual environments (a folder holding `pyvenv.cfg`, or named like one), build output and
tool caches, whatever a `.gitignore` ignores (the root's and nested ones, each relative to its
folder, read once when the index opens) and the user's `exclude` globs (gitignore syntax too).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from pathspec import GitIgnoreSpec

SKIPPED_FOLDERS = frozenset(
    {
        ".venv",
        "venv",
        "env",
        ".env",
        "site-packages",
        "build",
        "dist",
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "node_modules",
        ".eggs",
    }
)


class WorkspaceFilter:
    def __init__(self, root: Path, exclude: tuple[str, ...]) -> None:
        self.root = root
        self._exclude = GitIgnoreSpec.from_lines(exclude)
        self._gitignores: dict[PurePosixPath, GitIgnoreSpec | None] = {}

    def python_files(self) -> list[PurePosixPath]:
        """Every Python file that is the workspace's own, relative to the root, in a stable order."""
        found: list[PurePosixPath] = []
        for folder, subfolders, files in os.walk(self.root):
            relative_folder = PurePosixPath(Path(folder).relative_to(self.root).as_posix())
            subfolders[:] = sorted(
                name for name in subfolders if self._folder_is_code(Path(folder) / name, relative_folder / name)
            )
            found += (
                relative_folder / name
                for name in sorted(files)
                if name.endswith(".py") and not self._ignored(relative_folder / name, is_folder=False)
            )
        return found

    def allows(self, relative_path: PurePosixPath) -> bool:
        """Whether a single file (say, one the editor reports) is the workspace's own Python code."""
        if relative_path.suffix != ".py":
            return False
        folders = list(reversed(relative_path.parents))[1:]  # outermost first, without "."
        return all(self._folder_is_code(self.root / folder, folder) for folder in folders) and not self._ignored(
            relative_path, is_folder=False
        )

    def _folder_is_code(self, folder: Path, relative_folder: PurePosixPath) -> bool:
        name = relative_folder.name
        if name in SKIPPED_FOLDERS or name.endswith(".egg-info") or (folder / "pyvenv.cfg").exists():
            return False
        return not self._ignored(relative_folder, is_folder=True)

    def _ignored(self, relative_path: PurePosixPath, is_folder: bool) -> bool:
        suffix = "/" if is_folder else ""  # gitignore patterns ending in "/" match folders only
        if self._exclude.match_file(relative_path.as_posix() + suffix):
            return True
        for base in [PurePosixPath("."), *reversed(relative_path.parents[:-1])]:
            spec = self._gitignore(base)
            if spec is not None and spec.match_file(relative_path.relative_to(base).as_posix() + suffix):
                return True
        return False

    def _gitignore(self, folder: PurePosixPath) -> GitIgnoreSpec | None:
        if folder not in self._gitignores:
            try:
                lines = (self.root / folder / ".gitignore").read_text(errors="replace").splitlines()
            except OSError:
                lines = []
            self._gitignores[folder] = GitIgnoreSpec.from_lines(lines) if lines else None
        return self._gitignores[folder]
