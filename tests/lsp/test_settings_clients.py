"""Every server setting is offered by both editor clients, under the key the server reads, with the server's
range and the server's default."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from atlas_lsp.settings import RULES, SECTION, merge_settings
from engine.config import BUDGETS

CLIENTS = Path(__file__).resolve().parents[2] / "editor-clients"


def vscode_settings() -> dict[str, dict[str, Any]]:
    properties = json.loads((CLIENTS / "vscode/package.json").read_text())["contributes"]["configuration"]["properties"]
    return {name.removeprefix(f"{SECTION}."): schema for name, schema in properties.items()}


def accepted(key: str, value: object) -> bool:
    _, problems = merge_settings({key: value})
    return not problems


def test_every_setting_is_declared_in_the_vscode_manifest() -> None:
    manifest = json.loads((CLIENTS / "vscode/package.json").read_text())
    declared = {key.removeprefix(f"{SECTION}.") for key in manifest["contributes"]["configuration"]["properties"]}
    assert set(RULES) <= declared


def test_every_setting_is_sent_by_the_vscode_client() -> None:
    launch = (CLIENTS / "vscode/src/launch.ts").read_text()
    keys = re.search(r"const SERVER_KEYS = \[(.*?)\] as const", launch, re.S)
    assert keys is not None
    assert set(re.findall(r'"(\w+)"', keys.group(1))) == set(RULES)


def test_every_setting_is_listed_in_the_neovim_options() -> None:
    plugin = (CLIENTS / "nvim/lua/atlas/config.lua").read_text()
    listed = re.search(r"---@field settings\? table<string, any> Server settings: (.*)\.\n", plugin)
    assert listed is not None
    assert set(listed.group(1).split(", ")) == set(RULES)


def test_the_vscode_paths_to_programs_and_models_are_machine_settings() -> None:
    # A path names something on one machine: settings sync must not carry it to another.
    properties = json.loads((CLIENTS / "vscode/package.json").read_text())["contributes"]["configuration"]["properties"]
    for key in ("serverPath", "pythonPath", "model", "traceDir"):
        assert properties[f"{SECTION}.{key}"]["scope"] == "machine-overridable", key


def test_the_vscode_server_name_and_key_are_machine_settings_like_the_server_url() -> None:
    # The key belongs to the server `model` names on this machine: not synced to others, nor sent to their servers.
    properties = json.loads((CLIENTS / "vscode/package.json").read_text())["contributes"]["configuration"]["properties"]
    for key in ("servedModel", "apiKey"):
        assert properties[f"{SECTION}.{key}"]["scope"] == "machine-overridable", key


def test_the_vscode_settings_leave_every_default_to_the_server() -> None:
    # A default written in the manifest would be a second one, free to drift from Settings.
    declared = vscode_settings()
    assert {key: declared[key]["default"] for key in RULES} == dict.fromkeys(RULES)


def test_the_neovim_plugin_leaves_every_default_to_the_server() -> None:
    plugin = (CLIENTS / "nvim/lua/atlas/config.lua").read_text()
    defaults = re.search(r"^M\.defaults = \{\n(.*?)^\}", plugin, re.S | re.M)
    assert defaults is not None
    assert re.search(r"^  settings = \{\},$", defaults.group(1), re.M)


@pytest.mark.parametrize(
    ("key", "bound"),
    [
        (key, bound)
        for key, schema in vscode_settings().items()
        if key in RULES
        for bound in ("minimum", "exclusiveMinimum", "maximum")
        if bound in schema
    ],
)
def test_the_vscode_ranges_are_the_servers(key: str, bound: str) -> None:
    limit = vscode_settings()[key][bound]
    step = 1 if "integer" in vscode_settings()[key]["type"] else 0.5
    inside, outside = {
        "minimum": (limit, limit - step),
        "exclusiveMinimum": (limit + step, limit),
        "maximum": (limit, limit + step),
    }[bound]
    assert accepted(key, inside)
    assert not accepted(key, outside)


def test_the_vscode_budget_choices_are_the_servers() -> None:
    assert set(vscode_settings()["budget"]["enum"]) - {None} == set(BUDGETS)


def test_an_untrusted_vscode_workspace_cannot_choose_the_program_or_the_model_server() -> None:
    # The model may be a URL: a workspace that chose it would receive the user's API key.
    manifest = json.loads((CLIENTS / "vscode/package.json").read_text())
    restricted = manifest["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"]
    assert {f"{SECTION}.{key}" for key in ("serverPath", "pythonPath", "model")} <= set(restricted)
