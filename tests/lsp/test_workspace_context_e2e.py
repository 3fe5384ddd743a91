"""Workspace context through the real server and small model: a stub that has to call the project's
helpers is solved against the test that the workspace holds for it, and a function whose failing
test lives in another file is repaired against it. The checks that decide come from this file."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from sandbox import Sandbox, TestCase, TestKind, Verdict
from tests.lsp.conftest import E2E_SETTINGS, SERVER_COMMAND, AtlasTestClient, apply_text_edits, edits_of, make_client

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

FIXTURES = Path(__file__).parent.parent / "fixtures"
CHECKS = json.loads((FIXTURES / "shop_checks.json").read_text())
PRICE_TAG_TEST = """from shop.orders import price_tag


def test_price_tag_shows_euros_and_cents():
    assert price_tag(1250) == "EUR 12.50"
"""
CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    shutil.copytree(FIXTURES / "shop_workspace", root, dirs_exist_ok=True)
    (root / "tests" / "test_orders.py").write_text(PRICE_TAG_TEST)
    root.chmod(0o755)  # pytest makes its folders private; the sandbox reads the project as another user
    return root


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: AtlasTestClient, shop: Path) -> AsyncIterator[None]:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options=E2E_SETTINGS,
            root_uri=shop.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=shop.as_uri(), name="shop")],
        )
    )
    yield
    await lsp_client.shutdown_session()


async def run_action_on(client: AtlasTestClient, path: Path, function: str, title: str) -> str:
    """Run `title` on `function` and return the file's text with the applied edit."""
    text = path.read_text()
    uri = await client.open_document(path)
    line = next(number for number, line in enumerate(text.splitlines()) if line.startswith(f"def {function}("))
    token = await client.start_action(uri, line, title)
    end = await client.job_end(token)
    edits = [params for params in client.applied_edits if params.label and function in params.label]
    assert edits, f"no edit ({end.message}); messages: {[m.message for m in client.messages]}"
    return apply_text_edits(text, edits_of(edits[-1])[1])


async def passes_checks(shop: Path, code: str, function: str, checks: list) -> bool:
    tests = [TestCase(TestKind.CALL, json.dumps(arguments), json.dumps(expected)) for arguments, expected in checks]
    result = await Sandbox(jobs=1).run(code, tests, entry_point=function, project_root=shop)
    return all(test.verdict is Verdict.PASSED for test in result.tests)


async def test_stub_that_needs_a_project_helper_is_solved_with_the_workspace_context(
    client: AtlasTestClient, shop: Path
) -> None:
    code = await run_action_on(client, shop / "shop" / "orders.py", "price_tag", "ATLAS: Solve")
    # Negative amounts and single cents are in no test the solver sees: the project's helper gets them right.
    assert await passes_checks(shop, code, "price_tag", CHECKS["price_tag"]), code


async def test_repair_is_held_to_the_failing_test_in_another_file(client: AtlasTestClient, shop: Path) -> None:
    code = await run_action_on(client, shop / "shop" / "invoice.py", "bulk_discount_percent", "ATLAS: Repair")
    checks = [[[3], 0], [[10], 5], [[50], 12]]  # tests/test_invoice.py of the workspace
    assert await passes_checks(shop, code, "bulk_discount_percent", checks), code
