-- Loaded at startup from the runtime path: the :Atlas* commands and the progress display, so that
-- they work after vim.lsp.enable("atlas") as well as after require("atlas").setup().
if vim.g.loaded_atlas or vim.fn.has("nvim-0.11") == 0 then
  return
end
vim.g.loaded_atlas = true
require("atlas").commands()
