"""Settings from `initializationOptions`, `workspace/configuration` and `didChangeConfiguration`.

The workspace configuration (section `atlas`) overrides the initialization options key by key;
a change notification carrying the section is used as is, one without it makes the server ask.
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

    @server.feature(types.INITIALIZED)
    async def initialized(ls: AtlasServer, params: types.InitializedParams) -> None:
        await _pull_workspace_settings(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: AtlasServer, params: types.DidChangeConfigurationParams) -> None:
        if isinstance(params.settings, Mapping) and SECTION in params.settings:
            ls.workspace_settings = params.settings[SECTION]
            _apply(ls)
        else:
            await _pull_workspace_settings(ls)


async def _pull_workspace_settings(server: AtlasServer) -> None:
    workspace = server.client_capabilities.workspace
    if not (workspace and workspace.configuration):
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
