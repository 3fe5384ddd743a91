"""The code around a function in the user's workspace, indexed and picked for its prompt.

Pure Python over the standard `ast`: no language server, no model.
"""

from engine.context.definitions import Definition, ModuleInfo
from engine.context.index import IndexSettings, IndexStats, WorkspaceIndex
from engine.context.pack import ContextItem, estimate_tokens
from engine.context.retrieve import ContextRequest, WorkspaceContext, gather_context

__all__ = [
    "ContextItem",
    "ContextRequest",
    "Definition",
    "IndexSettings",
    "IndexStats",
    "ModuleInfo",
    "WorkspaceContext",
    "WorkspaceIndex",
    "estimate_tokens",
    "gather_context",
]
