"""A caller's project folder is importable from sandboxed code, and nothing in it can be changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import Sandbox, TestCase, TestKind, Verdict
from tests.sandbox.conftest import assert_no_sandbox_process_remains


@pytest.fixture
def project(tmp_path: Path) -> Path:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "prices.py").write_text("def with_tax(amount):\n    return round(amount * 1.2, 2)\n")
    tmp_path.chmod(0o755)  # pytest makes its folders private; a checkout is readable by other users
    return tmp_path


async def test_code_imports_a_module_of_the_project(sandbox: Sandbox, project: Path) -> None:
    code = "from shop.prices import with_tax\n\ndef total(amounts):\n    return sum(with_tax(a) for a in amounts)\n"
    result = await sandbox.run(
        code, [TestCase(TestKind.CALL, "[[10, 5]]", "18.0")], entry_point="total", project_root=project
    )
    assert result.tests[0].verdict is Verdict.PASSED


async def test_without_the_project_its_modules_cannot_be_imported(sandbox: Sandbox, project: Path) -> None:
    code = "from shop.prices import with_tax\n"
    result = await sandbox.run(code, [TestCase(TestKind.STDIN, "", "")])
    assert result.tests[0].verdict is Verdict.RUNTIME_ERROR


async def test_project_files_cannot_be_changed_or_added(sandbox: Sandbox, isolation, project: Path) -> None:
    if not isolation.fully_isolated:
        pytest.skip("without bubblewrap the project is only put on the path, not mounted read-only")
    code = (
        "import os, shop\n"
        "folder = os.path.dirname(shop.__file__)\n"
        "for name in ('prices.py', 'new.py'):\n"
        "    try:\n"
        "        with open(os.path.join(folder, name), 'a') as handle:\n"
        "            handle.write('# changed')\n"
        "        print('written')\n"
        "    except OSError:\n"
        "        print('refused')\n"
    )
    result = await sandbox.run(code, [TestCase(TestKind.STDIN, "", "refused\nrefused\n")], project_root=project)
    assert result.tests[0].verdict is Verdict.PASSED
    assert (project / "shop" / "prices.py").read_text().endswith("2)\n")
    assert not (project / "shop" / "new.py").exists()
    assert_no_sandbox_process_remains()
