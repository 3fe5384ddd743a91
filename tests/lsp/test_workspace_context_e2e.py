"""Workspace context through the real server and small model: a stub that has to call the project's
helpers is solved against the test that the workspace holds for it, and a function whose failing
test lives in another file is verified and repaired against that test. The checks that decide the
solve come from this file."""

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
    assert price_tag(-300) == "EUR -3.00"
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


async def run_action_on(client: AtlasTestClient, path: Path, function: str, title: str) -> tuple[str, list[str]]:
    """Run `title` on `function`; returns the file's text with every edit applied to the function
    (each edit on the text as it was), and the messages the job showed or asked."""
    text = path.read_text()
    uri = await client.open_document(path)
    line = next(number for number, line in enumerate(text.splitlines()) if line.startswith(f"def {function}("))
    shown, asked = len(client.messages), len(client.message_requests)
    await client.job_end(await client.start_action(uri, line, title))
    edited = [
        apply_text_edits(text, edits_of(params)[1])
        for params in client.applied_edits
        if params.label and function in params.label
    ]
    # Code that still fails an example comes as a question (apply anyway?) rather than a message.
    told = [*client.messages[shown:], *client.message_requests[asked:]]
    return (edited[-1] if edited else text), [message.message for message in told]


async def passes_checks(shop: Path, code: str, function: str, checks: list) -> bool:
    tests = [TestCase(TestKind.CALL, json.dumps(arguments), json.dumps(expected)) for arguments, expected in checks]
    result = await Sandbox(jobs=1).run(code, tests, entry_point=function, project_root=shop)
    return all(test.verdict is Verdict.PASSED for test in result.tests)


INVOICE_TEST_CHECKS = [[[3], 0], [[10], 5], [[50], 12]]  # the asserts of tests/test_invoice.py in the workspace


async def test_stub_that_needs_a_project_helper_is_solved_with_the_workspace_context(
    client: AtlasTestClient, shop: Path
) -> None:
    code, messages = await run_action_on(client, shop / "shop" / "orders.py", "price_tag", "ATLAS: Solve")
    # Single cents are in no test the solver sees: the project's helper gets them right.
    assert await passes_checks(shop, code, "price_tag", CHECKS["price_tag"]), (code, messages)


async def test_verify_reports_the_failing_assert_of_a_test_in_another_file(client: AtlasTestClient, shop: Path) -> None:
    invoice = shop / "shop" / "invoice.py"
    await run_action_on(client, invoice, "bulk_discount_percent", "ATLAS: Verify")
    messages = [diagnostic.message for diagnostic in client.diagnostics[invoice.as_uri()]]
    assert any(message.startswith("bulk_discount_percent(10) returned 0, expected 5") for message in messages), messages


async def test_repair_is_held_to_the_failing_test_in_another_file(client: AtlasTestClient, shop: Path) -> None:
    invoice = shop / "shop" / "invoice.py"
    code, messages = await run_action_on(client, invoice, "bulk_discount_percent", "ATLAS: Repair")
    # The small model does not always find the fix; whatever it does, the other file's asserts judge it.
    assert any("of 3 examples" in message for message in messages), messages
    if code != invoice.read_text():
        assert await passes_checks(shop, code, "bulk_discount_percent", INVOICE_TEST_CHECKS), code
