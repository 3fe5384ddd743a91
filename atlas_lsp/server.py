"""The atlas language server: its state and the features it serves.

All state lives on the server instance built by `create_server()`; the feature modules register
their handlers on it and read the state from the `ls` argument pygls passes them.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from atlas_lsp import __version__
from atlas_lsp.context import WorkspaceCode
from atlas_lsp.features.diagnostics import Findings
from atlas_lsp.features.engine_session import EngineSession
from atlas_lsp.features.evidence import EvidenceLens
from atlas_lsp.features.function_records import FunctionRecords
from atlas_lsp.jobs import JobRegistry
from atlas_lsp.settings import Settings


class AtlasServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("atlas-lsp", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.initialization_options: Any = None
        self.workspace_settings: Any = None
        """The `atlas` section as the client last gave it; merged over the initialization options."""
        self.engine = EngineSession()
        self.jobs = JobRegistry()
        self.findings = Findings()
        self.evidence_lenses = FunctionRecords[EvidenceLens]()
        """What the last Solve, Repair or Verify of each function checked, shown as its code lens."""
        self.workspace_code = WorkspaceCode()


def create_server() -> AtlasServer:
    # Imported here: the feature modules import AtlasServer, whose type pygls reads from command
    # handlers' annotations at run time.
    from atlas_lsp.features import (
        code_actions,
        code_lens,
        commands,
        configuration,
        documents,
        lifecycle,
        workspace_code,
    )

    server = AtlasServer()
    for feature in (configuration, code_actions, code_lens, commands, documents, lifecycle, workspace_code):
        feature.register(server)
    return server
