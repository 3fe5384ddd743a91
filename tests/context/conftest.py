"""A small workspace written into tmp_path, and an index cache that never touches the user's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.context import IndexSettings, WorkspaceIndex

SMALL_PROJECT = {
    "pkg/__init__.py": '"""The package."""\n\nfrom .helpers import slugify\n',
    "pkg/helpers.py": '''"""Text helpers."""

SEPARATOR = "-"


def slugify(title):
    """A URL slug: the lower-case words of the title joined by dashes."""
    return SEPARATOR.join(title.lower().split())


def shout(text):
    """The text in capitals with an exclamation mark."""
    return text.upper() + "!"


def fahrenheit_from_celsius(degrees):
    """Convert a temperature reading from celsius degrees to fahrenheit."""
    return degrees * 9 / 5 + 32
''',
    "pkg/util.py": '''"""Utilities."""


def normalize(text):
    """Collapse runs of whitespace into single spaces."""
    return " ".join(text.split())


class Registry:
    """Named things, in the order they were added."""

    def __init__(self):
        self.entries = {}

    def add(self, name, thing):
        """Add a thing under a name."""
        self.entries[name] = thing

    def get(self, name):
        return self.entries[name]
''',
    "pkg/sub/__init__.py": "",
    "pkg/sub/core.py": '''"""Titles and pages."""

from ..helpers import shout
from pkg.helpers import slugify as make_slug
import pkg.util as u


def make_title(text):
    """A shouted, normalized title."""
    return shout(u.normalize(text))


def page_path(title):
    """The path of a page."""
    return "/" + make_slug(make_title(title))


def register_page(name):
    registry = u.Registry()
    registry.add(name, page_path(name))
    return registry
''',
    "tests/test_core.py": """from pkg.sub.core import make_title


def test_make_title_shouts():
    assert make_title("a  b") == "A B!"


def test_arithmetic():
    assert 1 + 1 == 2
""",
}

WriteFiles = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_files(tmp_path: Path) -> WriteFiles:
    """Write {relative path: text} under the workspace root and return the root."""
    root = tmp_path / "workspace"

    def write(files: dict[str, str]) -> Path:
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return root

    root.mkdir()
    return write


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def open_index(cache_dir: Path) -> Callable[..., WorkspaceIndex]:
    def open_(root: Path, settings: IndexSettings = IndexSettings()) -> WorkspaceIndex:
        return WorkspaceIndex.open(root, settings, cache_dir=cache_dir)

    return open_


@pytest.fixture
def project(write_files: WriteFiles) -> Path:
    return write_files(SMALL_PROJECT)


@pytest.fixture
def project_index(project: Path, open_index) -> WorkspaceIndex:
    return open_index(project)
