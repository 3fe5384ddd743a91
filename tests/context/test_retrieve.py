"""Retrieval for one function: what it uses, its tests, its callers and BM25 matches, under a budget."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from engine.context import ContextRequest, WorkspaceContext, WorkspaceIndex, estimate_tokens, gather_context

LARGE_BUDGET = 10_000


def gather(index: WorkspaceIndex, relative: str, qualname: str, budget: int = LARGE_BUDGET) -> WorkspaceContext:
    path = index.root / relative
    definition = index.definition(index.module_name_of(path), qualname)
    return gather_context(index, ContextRequest(path, qualname, definition.source, definition.docstring), budget)


def reasons(context: WorkspaceContext) -> dict[str, str]:
    return {item.definition.qualname: item.reason for item in context.items}


def test_referenced_helper_is_resolved_through_relative_from_import(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/sub/core.py", "make_title")
    assert reasons(context)["shout"] == "referenced"


def test_referenced_helper_is_resolved_through_an_aliased_from_import(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/sub/core.py", "page_path")
    assert reasons(context)["slugify"] == "referenced"


def test_module_alias_attribute_is_resolved(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/sub/core.py", "make_title")
    assert reasons(context)["normalize"] == "referenced"


def test_definition_in_the_same_file_is_referenced(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/sub/core.py", "page_path")
    assert reasons(context)["make_title"] == "referenced"


def test_constant_used_by_the_function_is_referenced(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/helpers.py", "slugify")
    assert reasons(context)["SEPARATOR"] == "referenced"


def test_reexported_name_is_followed_to_its_definition(write_files, open_index) -> None:
    root = write_files(
        {
            "lib/__init__.py": "from lib.impl import helper\n",
            "lib/impl.py": "def helper():\n    return 1\n",
            "app.py": "from lib import helper\n\n\ndef run():\n    return helper()\n",
        }
    )
    assert reasons(gather(open_index(root), "app.py", "run"))["helper"] == "referenced"


def test_star_import_is_followed_to_its_definition(write_files, open_index) -> None:
    root = write_files(
        {
            "lib.py": "def helper():\n    return 1\n",
            "app.py": "from lib import *\n\n\ndef run():\n    return helper()\n",
        }
    )
    assert reasons(gather(open_index(root), "app.py", "run"))["helper"] == "referenced"


def test_class_used_through_a_module_alias_is_referenced(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/sub/core.py", "register_page")
    assert reasons(context)["Registry"] == "referenced"


def test_method_gets_its_class_outline_and_the_methods_it_calls_through_self(write_files, open_index) -> None:
    text = (
        "class Cart:\n"
        '    """A shopping cart."""\n\n'
        "    def add(self, item):\n        self.items.append(item)\n\n"
        "    def add_all(self, items):\n        for item in items:\n            self.add(item)\n"
    )
    context = gather(open_index(write_files({"cart.py": text})), "cart.py", "Cart.add_all")
    assert [(item.definition.qualname, item.reason, item.outlined) for item in context.items] == [
        ("Cart", "enclosing class", True),
        ("Cart.add", "referenced", False),
    ]
    assert "for item in items" not in context.text


def test_tests_in_another_file_are_found(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/sub/core.py", "make_title")
    assert reasons(context)["test_make_title_shouts"] == "test"
    assert "test_arithmetic" not in reasons(context)


def test_tests_of_a_function_are_listed_by_the_index(project_index: WorkspaceIndex) -> None:
    tests = project_index.tests_of(project_index.root / "pkg/sub/core.py", "make_title")
    assert [test.qualname for test in tests] == ["test_make_title_shouts"]


def test_callers_are_found(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/helpers.py", "shout")
    assert reasons(context)["make_title"] == "caller"


def test_caller_of_a_same_named_function_elsewhere_is_not_a_caller(write_files, open_index) -> None:
    root = write_files(
        {
            "a.py": "def parse(text):\n    return text\n",
            "b.py": "def parse(text):\n    return text.split()\n",
            "c.py": "from b import parse\n\n\ndef run():\n    return parse('x')\n",
        }
    )
    index = open_index(root)
    assert index.callers_of(root / "a.py", "parse") == ()
    assert [caller.qualname for caller in index.callers_of(root / "b.py", "parse")] == ["run"]


def test_bm25_finds_a_helper_by_docstring_words(project_index: WorkspaceIndex) -> None:
    stub = 'def boiling_point():\n    """The boiling point of water, a temperature in fahrenheit."""\n    ...\n'
    request = ContextRequest(project_index.root / "pkg/sub/core.py", "boiling_point", stub)
    context = gather_context(project_index, request, LARGE_BUDGET)
    assert reasons(context)["fahrenheit_from_celsius"] == "related"


def test_bm25_sees_definitions_added_after_its_first_use(project: Path, project_index: WorkspaceIndex) -> None:
    request = ContextRequest(project / "app.py", "orbit", 'def orbit():\n    """The orbit period of a satellite."""\n')
    assert gather_context(project_index, request, LARGE_BUDGET).items == ()
    project_index.update(project / "space.py", 'def satellite_period(height):\n    """Orbit period."""\n    return 1\n')
    assert reasons(gather_context(project_index, request, LARGE_BUDGET)) == {"satellite_period": "related"}


def test_matches_the_stubs_file_imports_come_before_other_matches(write_files, open_index) -> None:
    root = write_files(
        {
            "todo.py": 'from money import price_text\n\n\ndef price_label(cents):\n    """A price label."""\n    ...\n',
            "money.py": 'def price_text(cents):\n    """A price as text."""\n    return str(cents)\n',
            "labels.py": (
                'def price_label_text(cents):\n    """A price label as label text."""\n    return str(cents)\n'
            ),
        }
    )
    context = gather(open_index(root), "todo.py", "price_label")
    assert [(item.definition.qualname, item.reason) for item in context.items] == [
        ("price_text", "imported"),
        ("price_label_text", "related"),
    ]


def test_stubs_are_not_offered_as_related(write_files, open_index) -> None:
    root = write_files(
        {
            "todo.py": 'def price_label(cents):\n    """A price label."""\n    ...\n\n\n'
            'def price_total(cents):\n    """A price total."""\n    raise NotImplementedError\n',
            "money.py": 'def price_text(cents):\n    """A price as text."""\n    return str(cents)\n',
        }
    )
    context = gather(open_index(root), "todo.py", "price_label")
    assert reasons(context) == {"price_text": "related"}


def test_target_itself_is_never_included(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/util.py", "normalize")
    assert ("pkg.util", "normalize") not in {
        (item.definition.module, item.definition.qualname) for item in context.items
    }


def test_a_parameter_is_not_a_reference_to_a_module_level_name(write_files, open_index) -> None:
    root = write_files({"app.py": "items = [1, 2]\n\n\ndef total(items):\n    return sum(items)\n"})
    index = open_index(root)
    assert "items" not in index.definition("app", "total").references
    assert index.callers_of(root / "app.py", "items") == ()


def test_each_definition_appears_once(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/sub/core.py", "page_path")
    keys = [(item.definition.module, item.definition.qualname) for item in context.items]
    assert len(keys) == len(set(keys))


def test_items_come_closest_first(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/sub/core.py", "make_title")
    order = [item.reason for item in context.items]
    assert order == sorted(order, key=["referenced", "test", "caller", "imported", "related"].index)
    assert order[:4] == ["referenced", "referenced", "test", "caller"]


def test_budget_is_respected(project_index: WorkspaceIndex) -> None:
    for budget in (0, 30, 60, 120, 250):
        context = gather(project_index, "pkg/sub/core.py", "page_path", budget)
        assert context.tokens == estimate_tokens(context.text) <= budget
        assert sum(item.tokens for item in context.items) <= budget


def test_small_budget_keeps_the_closest_items(project_index: WorkspaceIndex) -> None:
    full = gather(project_index, "pkg/sub/core.py", "make_title")
    small = gather(project_index, "pkg/sub/core.py", "make_title", full.items[0].tokens + full.items[1].tokens)
    assert [item.definition for item in small.items] == [item.definition for item in full.items[:2]]


def test_item_is_rendered_with_its_path_line_and_reason(project_index: WorkspaceIndex) -> None:
    context = gather(project_index, "pkg/sub/core.py", "make_title")
    shout = next(item for item in context.items if item.definition.qualname == "shout")
    assert shout.text == (
        "# pkg/helpers.py:11 (referenced)\n"
        'def shout(text):\n    """The text in capitals with an exclamation mark."""\n    return text.upper() + "!"\n'
    )


def test_big_class_falls_back_to_its_outline(write_files, open_index) -> None:
    methods = "".join(
        f"    def step_{number}(self, amount: int) -> int:\n"
        f'        """Step {number}."""\n' + "        amount += 1\n" * 20 + "        return amount\n\n"
        for number in range(10)
    )
    text = (
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Machine:\n"
        f'    """A machine with many steps."""\n\n    speed: int = 1\n\n{methods}'
    )
    root = write_files(
        {"machine.py": text, "run.py": "from machine import Machine\n\n\ndef run():\n    return Machine()\n"}
    )
    context = gather(open_index(root), "run.py", "run", budget=300)
    [item] = context.items
    assert item.outlined and item.reason == "referenced"
    assert item.text.startswith(
        '# machine.py:4 (referenced)\n@dataclass\nclass Machine:\n    """A machine with many steps."""\n'
    )
    assert "    speed: int = 1\n" in item.text
    assert '    def step_9(self, amount: int) -> int:\n        """Step 9."""\n' in item.text
    assert "amount += 1" not in item.text


def test_item_that_does_not_fit_is_skipped_and_smaller_ones_still_come(write_files, open_index) -> None:
    methods = "".join(f"    def step_{number}(self):\n        return {number}\n\n" for number in range(30))
    root = write_files(
        {
            "machine.py": f"class Machine:\n{methods}\n\ndef small():\n    return 1\n",
            "app.py": "from machine import Machine, small\n\n\ndef run():\n    return Machine(), small()\n",
        }
    )
    context = gather(open_index(root), "app.py", "run", budget=60)
    assert [(item.definition.qualname, item.outlined) for item in context.items] == [("small", False)]


def test_unparsable_request_source_falls_back_to_the_indexed_definition(project_index: WorkspaceIndex) -> None:
    path = project_index.root / "pkg/sub/core.py"
    request = ContextRequest(path, "make_title", "def make_title(text):\n    return shout(u.normalize(")
    assert reasons(gather_context(project_index, request, LARGE_BUDGET))["normalize"] == "referenced"


def test_function_outside_the_workspace_gets_related_code_only(project_index: WorkspaceIndex, tmp_path: Path) -> None:
    request = ContextRequest(tmp_path / "loose.py", "convert", 'def convert(c):\n    """Celsius to fahrenheit."""\n')
    assert set(reasons(gather_context(project_index, request, LARGE_BUDGET)).values()) == {"related"}


def test_updates_while_retrieving_from_another_thread_do_not_interfere(project: Path, project_index) -> None:
    errors: list[BaseException] = []

    def retrieve() -> None:
        try:
            for _ in range(30):
                gather(project_index, "pkg/sub/core.py", "make_title")
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=retrieve)
    worker.start()
    for number in range(60):
        project_index.update(project / "pkg" / "helpers.py", f"def shout(text):\n    return text * {number}\n")
    worker.join()
    assert errors == []


def test_package_loads_neither_the_language_server_nor_the_model_runtime() -> None:
    code = (
        "import sys, engine.context\n"
        "loaded = [m for m in ('pygls', 'lsprotocol', 'llama_cpp', 'torch', 'engine.runtime', 'engine.models') "
        "if m in sys.modules]\n"
        "print(loaded)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
