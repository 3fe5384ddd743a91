"""What a job learns from the workspace around its function: the project's helpers for the prompt,
the asserts of tests in other files as examples, and the editor's unsaved buffers over the disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from atlas_lsp.context import WorkspaceCode, project_root_of
from atlas_lsp.functions import FunctionSite, parse_module
from atlas_lsp.settings import Settings

SHOP = Path(__file__).parent.parent / "fixtures" / "shop_workspace"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return Path(shutil.copytree(SHOP, tmp_path / "shop"))


@pytest.fixture
def code(shop: Path) -> WorkspaceCode:
    workspace = WorkspaceCode()
    workspace.open_folder(shop, Settings())
    return workspace


def site_of(path: Path, name: str) -> FunctionSite:
    return next(site for site in parse_module(path.read_text()).functions if site.name == name)


async def test_a_stub_gets_the_project_helper_it_has_to_call(shop: Path, code: WorkspaceCode) -> None:
    orders = shop / "shop" / "orders.py"
    context = await code.context_for(orders, site_of(orders, "price_tag"), Settings())
    assert "def cents_to_str(cents):" in context.text
    assert context.project_root == str(shop.resolve())


async def test_asserts_of_a_test_in_another_file_become_examples(shop: Path, code: WorkspaceCode) -> None:
    invoice = shop / "shop" / "invoice.py"
    context = await code.context_for(invoice, site_of(invoice, "bulk_discount_percent"), Settings())
    assert [(example.input, example.output) for example in context.test_examples] == [
        ("[3]", "0"),
        ("[10]", "5"),
        ("[50]", "12"),
    ]


async def test_an_unsaved_test_buffer_is_read_over_the_file_on_disk(shop: Path, code: WorkspaceCode) -> None:
    invoice, tests = shop / "shop" / "invoice.py", shop / "tests" / "test_invoice.py"
    buffer = tests.read_text() + "\n\ndef test_hundred_items():\n    assert bulk_discount_percent(100) == 12\n"
    code.file_changed(tests, buffer)
    context = await code.context_for(invoice, site_of(invoice, "bulk_discount_percent"), Settings())
    assert ("[100]", "12") in [(example.input, example.output) for example in context.test_examples]


async def test_a_closed_buffer_gives_way_to_the_file_on_disk(shop: Path, code: WorkspaceCode) -> None:
    invoice, tests = shop / "shop" / "invoice.py", shop / "tests" / "test_invoice.py"
    code.file_changed(tests, tests.read_text() + "\n\ndef test_more():\n    assert bulk_discount_percent(100) == 12\n")
    code.file_changed(tests)
    context = await code.context_for(invoice, site_of(invoice, "bulk_discount_percent"), Settings())
    assert len(context.test_examples) == 3


async def test_switched_off_workspace_context_gives_nothing(shop: Path, code: WorkspaceCode) -> None:
    orders = shop / "shop" / "orders.py"
    context = await code.context_for(orders, site_of(orders, "price_tag"), Settings(workspace_context=False))
    assert context.text == "" and context.test_examples == () and context.project_root is None


def test_the_project_root_is_the_nearest_folder_with_a_project_marker(shop: Path) -> None:
    assert project_root_of(shop / "shop" / "orders.py") == shop.resolve()


async def test_a_test_file_that_does_not_parse_is_named_as_unused(shop: Path) -> None:
    tests = shop / "tests" / "test_invoice.py"
    tests.write_text(tests.read_text().replace("def test_", "def test_broken(\ndef test_", 1))
    workspace = WorkspaceCode()
    workspace.open_folder(shop, Settings())
    invoice = shop / "shop" / "invoice.py"
    context = await workspace.context_for(invoice, site_of(invoice, "bulk_discount_percent"), Settings())
    (why,) = context.unusable_tests
    assert why.startswith("tests/test_invoice.py does not parse")
    assert context.test_examples == ()


async def test_a_broken_test_file_of_another_function_is_not_named(shop: Path) -> None:
    (shop / "tests" / "test_other.py").write_text("def test_other(\n    assert 1\n")
    workspace = WorkspaceCode()
    workspace.open_folder(shop, Settings())
    invoice = shop / "shop" / "invoice.py"
    context = await workspace.context_for(invoice, site_of(invoice, "bulk_discount_percent"), Settings())
    assert context.unusable_tests == ()
