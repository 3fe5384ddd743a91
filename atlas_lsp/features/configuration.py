"""Settings from `initializationOptions`, `workspace/configuration` and `didChangeConfiguration`.

The workspace configuration (section `atlas`) overrides the initialization options key by key.
A change notification makes the server ask for the section again; the settings it carries are
used only by a client that cannot be asked (they may hold the client's own keys, such as VS Code's
`atlas.serverPath`, which its answer to `workspace/configuration` leaves out).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lsprotocol import types

from atlas_lsp.features.messages import log, tell
from atlas_lsp.server import AtlasServer
from atlas_lsp.settings import SECTION, merge_settings


def register(server: AtlasServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: AtlasServer, params: types.InitializeParams) -> None:
        ls.initialization_options = params.initialization_options
        _apply(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: AtlasServer, params: types.DidChangeConfigurationParams) -> None:
        if _can_ask(ls):
            await pull_workspace_settings(ls)
        elif isinstance(params.settings, Mapping) and SECTION in params.settings:
            ls.workspace_settings = params.settings[SECTION]
            _apply(ls)


def _can_ask(server: AtlasServer) -> bool:
    workspace = server.client_capabilities.workspace
    return bool(workspace and workspace.configuration)


async def pull_workspace_settings(server: AtlasServer) -> None:
    if not _can_ask(server):
        return
    try:
        (section,) = await server.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
    except Exception as error:  # a client that fails this request still gets a working server
        log(server, f"workspace/configuration failed: {error}", types.MessageType.Warning)
        return
    server.workspace_settings = section
    _apply(server)


def _apply(server: AtlasServer) -> None:
    settings, problems = merge_settings(_as_settings(server.initialization_options), server.workspace_settings)
    for problem in problems:
        tell(server, f"ATLAS: {problem.describe()}", types.MessageType.Warning)
    if settings != server.settings:
        log(server, f"settings: {settings}")
    server.settings = settings


def _as_settings(options: Any) -> Any:
    """Initialization options may hold the settings directly or under the `atlas` key."""
    if isinstance(options, Mapping) and isinstance(options.get(SECTION), Mapping):
        return options[SECTION]
    return options
