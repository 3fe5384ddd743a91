--- The plugin's defaults, in one place: `lsp/atlas.lua` (for `vim.lsp.enable("atlas")`), `setup()`
--- and `:checkhealth atlas` all build their config from here.
local preview = require("atlas.preview")

local M = {}

M.name = "atlas"

---@class atlas.Options
---@field cmd? string[] How to start the server; default `atlas-lsp` from PATH.
---@field settings? table<string, any> Server settings: model, budget, candidates, maxTokens, testSeconds, lens, traceDir, workspaceContext, contextTokens, contextExclude, gpuLayers, repairAnalysis, servedModel, apiKey, requestTimeout, threads, contextSize, preview.
---@field root_markers? (string|string[])[] Files that mark a project root.
M.defaults = {
  cmd = { "atlas-lsp" },
  -- Empty: the server's own defaults (docs/editors.md, Settings).
  settings = {},
  root_markers = { "pyproject.toml", "setup.py", "setup.cfg", ".git" },
}

--- An empty Lua table would go out as a JSON array, which the server rejects as settings.
local function as_object(settings)
  return next(settings) and settings or vim.empty_dict()
end

--- The `vim.lsp` config for `setup()`'s options (the defaults where `opts` leaves one out).
---@param opts? atlas.Options
---@return table
function M.lsp_config(opts)
  opts = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  return {
    cmd = opts.cmd,
    filetypes = { "python" },
    root_markers = opts.root_markers,
    init_options = as_object(vim.deepcopy(opts.settings)),
    -- The client answers the server's workspace/configuration request for the section from here.
    settings = { [M.name] = as_object(opts.settings) },
    -- The preview of an edit (the `preview` setting), which Neovim's own client does not offer.
    capabilities = vim.deepcopy(preview.capabilities),
    handlers = { ["workspace/applyEdit"] = preview.apply_edit },
  }
end

return M
