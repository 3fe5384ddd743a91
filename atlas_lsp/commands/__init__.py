"""One module per headless mode of the `atlas-lsp` command."""
