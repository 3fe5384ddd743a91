"""atlas-lsp: a self-hosted coding assistant served as a language server."""

__version__ = "0.1.0"
