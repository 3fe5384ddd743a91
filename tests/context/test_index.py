"""The workspace index: modules, imports and definitions read from the AST, bounded and cached."""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine.context import IndexSettings, WorkspaceIndex
from engine.context.cache import FORMAT_VERSION, cache_file


def test_module_names_follow_the_folders(project_index: WorkspaceIndex) -> None:
    assert project_index.module("pkg").path == "pkg/__init__.py"
    assert project_index.module("pkg.sub.core").path == "pkg/sub/core.py"
    assert project_index.module("tests.test_core").path == "tests/test_core.py"


def test_modules_under_a_src_folder_are_named_from_it(write_files, open_index) -> None:
    root = write_files({"src/app/main.py": "def run():\n    pass\n", "scripts/tool.py": "X = 1\n"})
    index = open_index(root)
    assert index.module("app.main").path == "src/app/main.py"
    assert index.module("scripts.tool").path == "scripts/tool.py"


def test_from_import_alias_is_resolved_to_its_dotted_target(project_index: WorkspaceIndex) -> None:
    assert project_index.module("pkg.sub.core").imports["make_slug"] == "pkg.helpers.slugify"


def test_module_alias_import_is_resolved(project_index: WorkspaceIndex) -> None:
    assert project_index.module("pkg.sub.core").imports["u"] == "pkg.util"


def test_relative_import_is_resolved_against_the_package(project_index: WorkspaceIndex) -> None:
    assert project_index.module("pkg.sub.core").imports["shout"] == "pkg.helpers.shout"
    assert project_index.module("pkg").imports["slugify"] == "pkg.helpers.slugify"


def test_plain_dotted_import_binds_its_top_package(write_files, open_index) -> None:
    index = open_index(write_files({"a.py": "import os.path\n"}))
    assert index.module("a").imports["os"] == "os"


def test_definitions_cover_functions_classes_methods_and_constants(project_index: WorkspaceIndex) -> None:
    kinds = {(d.module, d.qualname): d.kind for d in project_index.definitions()}
    assert kinds[("pkg.helpers", "slugify")] == "function"
    assert kinds[("pkg.helpers", "SEPARATOR")] == "constant"
    assert kinds[("pkg.util", "Registry")] == "class"
    assert kinds[("pkg.util", "Registry.add")] == "method"


def test_definition_keeps_signature_docstring_exact_source_and_line(project_index: WorkspaceIndex) -> None:
    add = project_index.definition("pkg.util", "Registry.add")
    assert add.signature == "def add(self, name, thing):"
    assert add.docstring == "Add a thing under a name."
    assert add.source.startswith("    def add(self, name, thing):\n")
    assert add.source.endswith("self.entries[name] = thing")
    assert add.line == 15
    assert add.path == "pkg/util.py"


def test_multi_line_signature_with_decorator_is_kept_as_written(write_files, open_index) -> None:
    text = (
        "@cache\ndef area(\n    width: int,  # in metres: whole ones\n    height: int = 2,\n) -> int:\n"
        "    return width * height\n"
    )
    area = open_index(write_files({"shapes.py": text})).definition("shapes", "area")
    assert area.signature == "def area(\n    width: int,  # in metres: whole ones\n    height: int = 2,\n) -> int:"
    assert area.source == text.rstrip("\n")
    assert area.line == 1


def test_documented_constant_keeps_its_docstring(write_files, open_index) -> None:
    index = open_index(write_files({"config.py": 'LIMIT = 3\n"""At most this many retries."""\n'}))
    assert index.definition("config", "LIMIT").docstring == "At most this many retries."


def test_attribute_calls_record_every_attribute_name(write_files, open_index) -> None:
    text = "class A:\n    def tidy(self):\n        return self.text.normalize()\n"
    tidy = open_index(write_files({"a.py": text})).definition("a", "A.tidy")
    assert {"self", "text", "normalize"} <= tidy.uses
    assert "self.text.normalize" in tidy.references


def test_virtual_environments_are_skipped(write_files, open_index) -> None:
    root = write_files(
        {
            "app.py": "X = 1\n",
            ".venv/lib/site.py": "Y = 1\n",
            "tools/pyvenv.cfg": "home = /usr/bin\n",
            "tools/lib/thing.py": "Z = 1\n",
        }
    )
    assert [d.path for d in open_index(root).definitions()] == ["app.py"]


def test_build_output_and_tool_caches_are_skipped(write_files, open_index) -> None:
    root = write_files({"app.py": "X = 1\n", "build/lib/app.py": "X = 1\n", "thing.egg-info/x.py": "Y = 1\n"})
    assert open_index(root).stats.files == 1


def test_gitignored_files_are_skipped(write_files, open_index) -> None:
    root = write_files({".gitignore": "generated/\nsecret_*.py\n", "app.py": "X = 1\n", "generated/a.py": "Y = 1\n"})
    write_files({"lib/secret_keys.py": "Z = 1\n"})
    assert [d.path for d in open_index(root).definitions()] == ["app.py"]


def test_nested_gitignore_applies_below_its_folder(write_files, open_index) -> None:
    root = write_files({"lib/.gitignore": "scratch.py\n", "lib/scratch.py": "X = 1\n", "scratch.py": "Y = 1\n"})
    assert [d.path for d in open_index(root).definitions()] == ["scratch.py"]


def test_user_exclude_globs_are_skipped(write_files, open_index) -> None:
    root = write_files({"app.py": "X = 1\n", "fixtures/big.py": "Y = 1\n"})
    index = open_index(root, IndexSettings(exclude=("fixtures/",)))
    assert [d.path for d in index.definitions()] == ["app.py"]


def test_file_over_the_size_limit_is_skipped(write_files, open_index) -> None:
    root = write_files({"small.py": "X = 1\n", "large.py": "Y = 1\n" * 100})
    stats = open_index(root, IndexSettings(max_file_bytes=100)).stats
    assert (stats.files, stats.skipped) == (1, 1)


def test_file_limit_bounds_the_index(write_files, open_index) -> None:
    root = write_files({f"m{number}.py": "X = 1\n" for number in range(5)})
    stats = open_index(root, IndexSettings(max_files=3)).stats
    assert (stats.files, stats.skipped) == (3, 2)


def test_unparsable_file_is_recorded_as_skipped(write_files, open_index) -> None:
    root = write_files({"good.py": "X = 1\n", "broken.py": "def broken(:\n"})
    stats = open_index(root).stats
    assert (stats.files, stats.skipped) == (1, 1)


def test_a_file_skipped_before_is_read_again_on_reopen(write_files, open_index) -> None:
    root = write_files({"a.py": "x = (\n"})
    assert open_index(root).module("a") is None
    stat = (root / "a.py").stat()
    (root / "a.py").write_text("x = 1\n")  # same size and mtime: only a re-read can see it
    os.utime(root / "a.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert open_index(root).definition("a", "x") is not None


def test_stats_count_files_lines_and_definitions(write_files, open_index) -> None:
    stats = open_index(write_files({"a.py": "X = 1\n\n\ndef f():\n    pass\n"})).stats
    assert (stats.files, stats.lines, stats.definitions) == (1, 5, 2)


def test_second_open_parses_only_changed_files(project: Path, open_index) -> None:
    assert open_index(project).stats.parsed == 6
    helpers = project / "pkg" / "helpers.py"
    helpers.write_text(helpers.read_text() + "\n\ndef whisper(text):\n    return text.lower()\n")
    reopened = open_index(project)
    assert reopened.stats.parsed == 1
    assert reopened.definition("pkg.helpers", "whisper") is not None


def test_deleted_file_is_dropped_on_reopen(project: Path, open_index) -> None:
    open_index(project)
    (project / "pkg" / "util.py").unlink()
    assert open_index(project).module("pkg.util") is None


def test_corrupt_cache_is_ignored_and_rebuilt(project: Path, open_index, cache_dir: Path) -> None:
    open_index(project)
    cache_file(project, cache_dir).write_text('{"version": 1, "files": [{"path": ')
    reopened = open_index(project)
    assert (reopened.stats.files, reopened.stats.parsed) == (6, 6)


def test_cache_with_wrong_entries_is_ignored_and_rebuilt(project: Path, open_index, cache_dir: Path) -> None:
    open_index(project)
    path = cache_file(project, cache_dir)
    data = json.loads(path.read_text())
    data["files"][0]["module"]["definitions"] = [{"qualname": "only a name"}]
    path.write_text(json.dumps(data))
    assert open_index(project).stats.parsed == 6


def test_cache_of_another_format_version_is_ignored(project: Path, open_index, cache_dir: Path) -> None:
    open_index(project)
    path = cache_file(project, cache_dir)
    path.write_text(path.read_text().replace(f'"version":{FORMAT_VERSION}', f'"version":{FORMAT_VERSION - 1}', 1))
    assert open_index(project).stats.parsed == 6


def test_cache_lives_in_xdg_cache_home(project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    WorkspaceIndex.open(project)
    written = list((tmp_path / "xdg" / "atlas-lsp" / "workspaces").glob("*/index.json"))
    assert len(written) == 1 and len(written[0].parent.name) == 16


def test_unwritable_cache_folder_still_gives_an_index(project: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    assert WorkspaceIndex.open(project, cache_dir=blocker).stats.files == 6


def test_update_with_buffer_text_replaces_the_files_definitions(project: Path, project_index: WorkspaceIndex) -> None:
    project_index.update(project / "pkg" / "helpers.py", "def whisper(text):\n    return text.lower()\n")
    qualnames = {d.qualname for d in project_index.definitions() if d.module == "pkg.helpers"}
    assert qualnames == {"whisper"}


def test_a_buffer_that_does_not_parse_mid_edit_keeps_the_last_version_that_did(
    project: Path, project_index: WorkspaceIndex
) -> None:
    project_index.update(project / "pkg" / "helpers.py", "def whisper(text):\n    return text.lower(\n")
    assert project_index.definition("pkg.helpers", "slugify") is not None
    assert project_index.definition("pkg.helpers", "whisper") is None


def test_update_without_text_reads_the_file(project: Path, project_index: WorkspaceIndex) -> None:
    (project / "pkg" / "extra.py").write_text("def added():\n    pass\n")
    project_index.update(project / "pkg" / "extra.py")
    assert project_index.definition("pkg.extra", "added") is not None


def test_buffer_text_is_not_trusted_from_the_cache_on_reopen(project: Path, project_index, open_index) -> None:
    project_index.update(project / "pkg" / "helpers.py", "def unsaved():\n    pass\n")
    project_index.save()
    reopened = open_index(project)
    assert reopened.definition("pkg.helpers", "unsaved") is None
    assert reopened.definition("pkg.helpers", "slugify") is not None


def test_update_of_a_missing_file_removes_it(project: Path, project_index: WorkspaceIndex) -> None:
    (project / "pkg" / "util.py").unlink()
    project_index.update(project / "pkg" / "util.py")
    assert project_index.module("pkg.util") is None


def test_remove_drops_the_files_definitions(project: Path, project_index: WorkspaceIndex) -> None:
    project_index.remove(project / "pkg" / "util.py")
    assert not [d for d in project_index.definitions() if d.module == "pkg.util"]


def test_update_of_an_excluded_file_is_ignored(project: Path, project_index: WorkspaceIndex) -> None:
    project_index.update(project / ".venv" / "lib" / "x.py", "X = 1\n")
    project_index.update(project.parent / "elsewhere.py", "Y = 1\n")
    assert project_index.stats.files == 6


def test_saved_cache_is_valid_json_keyed_by_mtime_and_size(project: Path, project_index, cache_dir: Path) -> None:
    data = json.loads(cache_file(project, cache_dir).read_text())
    entry = next(entry for entry in data["files"] if entry["path"] == "pkg/util.py")
    stat = os.stat(project / "pkg" / "util.py")
    assert (entry["mtime_ns"], entry["size"]) == (stat.st_mtime_ns, stat.st_size)
