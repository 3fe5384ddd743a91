"""The workspace's Python code, indexed for the prompts and kept current from editor events.

One index per project: opened in a worker thread (from the user cache when it was indexed before),
updated from the editor's buffer on open, change and save, and from disk when files change outside
the editor or a buffer is closed. Jobs read it through `WorkspaceCode.context_for`.
"""

from __future__ import annotations

from pathlib import Path

import anyio
from lsprotocol import types
from pygls.uris import to_fs_path

from atlas_lsp.features.messages import log
from atlas_lsp.server import AtlasServer

WATCHER_ID = "atlas-python-files"


def register(server: AtlasServer) -> None:
    # The buffers' own events (open, change, close) come through `documents`, which calls
    # `from_buffer` and `buffer_closed`: pygls takes one handler per method.
    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def files_changed(ls: AtlasServer, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            path = to_fs_path(change.uri)
            if path and change.uri not in ls.workspace.text_documents:
                ls.workspace_code.file_changed(Path(path))


async def open_workspace_folders(server: AtlasServer) -> None:
    """Index every workspace folder now, so that the first job does not wait for it."""
    await _watch_python_files(server)
    if not server.settings.workspace_context:
        return
    for folder in server.workspace.folders.values():
        path = to_fs_path(folder.uri)
        if not path:
            continue
        started = anyio.current_time()
        index = await anyio.to_thread.run_sync(server.workspace_code.open_folder, Path(path), server.settings)
        for uri in tuple(server.workspace.text_documents):  # buffers opened or edited while it was indexing
            from_buffer(server, uri)
        stats, seconds = index.stats, anyio.current_time() - started
        log(server, f"indexed {path}: {stats.files} files, {stats.definitions} definitions in {seconds:.1f} s")


def from_buffer(server: AtlasServer, uri: str) -> None:
    """An opened or edited buffer: its text counts over the file on disk."""
    document = server.workspace.get_text_document(uri)
    if document.path:
        server.workspace_code.file_changed(Path(document.path), document.source)


def buffer_closed(server: AtlasServer, uri: str) -> None:
    path = to_fs_path(uri)
    if path:  # an unsaved buffer is gone with the editor's window: the file on disk counts again
        server.workspace_code.file_changed(Path(path))


async def _watch_python_files(server: AtlasServer) -> None:
    """Ask the client to report changes to Python files made outside the editor, if it can."""
    workspace = server.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[types.FileSystemWatcher(glob_pattern="**/*.py")])
    registration = types.Registration(
        id=WATCHER_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
    )
    try:
        await server.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as error:  # without the watcher the index still follows the editor's buffers
        log(server, f"could not watch Python files: {error}", types.MessageType.Warning)
