-- The config `vim.lsp.enable("atlas")` starts (Neovim 0.11+ reads lsp/<name>.lua from the runtime
-- path). Change it with vim.lsp.config("atlas", { settings = { atlas = { model = "small" } } }).
-- Older Neovim never reads this file; loading it anyway only builds a table.
return require("atlas.config").lsp_config()
