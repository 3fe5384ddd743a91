"""What the user is told (`window/showMessage`) and what goes to the output log (`window/logMessage`).

An exception inside a handler would reach the user as a bare JSON-RPC error, or not at all; every
expected failure is therefore said here, with what to do about it, and the server carries on.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.lsp.server import LanguageServer


def tell(server: LanguageServer, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
    server.window_show_message(types.ShowMessageParams(type=kind, message=message))


def log(server: LanguageServer, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
    server.window_log_message(types.LogMessageParams(type=kind, message=message))
