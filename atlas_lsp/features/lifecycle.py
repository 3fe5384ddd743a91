"""`initialized`: read the settings, then index the workspace; `shutdown`: stop every job, close
the engine and keep the workspace index, so no model thread or sandbox process outlives the server."""

from __future__ import annotations

from lsprotocol import types

from atlas_lsp.features.configuration import pull_workspace_settings
from atlas_lsp.features.workspace_code import open_workspace_folders
from atlas_lsp.server import AtlasServer


def register(server: AtlasServer) -> None:
    @server.feature(types.INITIALIZED)
    async def initialized(ls: AtlasServer, params: types.InitializedParams) -> None:
        await pull_workspace_settings(ls)
        await open_workspace_folders(ls)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: AtlasServer, params: None) -> None:
        await ls.jobs.cancel_all()
        await ls.engine.aclose()
        ls.workspace_code.save_all()
