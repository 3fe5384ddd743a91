"""`shutdown`: stop every job and close the engine, so no model thread or sandbox process outlives
the server."""

from __future__ import annotations

from lsprotocol import types

from atlas_lsp.server import AtlasServer


def register(server: AtlasServer) -> None:
    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: AtlasServer, params: None) -> None:
        await ls.jobs.cancel_all()
        await ls.engine.aclose()
