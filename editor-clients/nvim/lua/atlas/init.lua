--- ATLAS for Neovim 0.11+: runs atlas-lsp for Python buffers, runs its code actions by name
--- (:AtlasSolve, :AtlasVerify, :AtlasRepair, :AtlasCancel) and shows its jobs' progress.
local M = {}

local NAME = "atlas"

---@class atlas.Options
---@field cmd? string[] How to start the server; default `atlas-lsp` from PATH.
---@field settings? table<string, any> Server settings: model, budget, candidates, maxTokens, testSeconds, lens, traceDir, workspaceContext, contextTokens, contextExclude, gpuLayers.
---@field root_markers? (string|string[])[] Files that mark a project root.
local defaults = {
  cmd = { "atlas-lsp" },
  settings = {},
  root_markers = { "pyproject.toml", "setup.py", "setup.cfg", ".git" },
}

--- Titles of the jobs running now, by client id and progress token: the `end` report does not repeat the title.
---@type table<integer, table<string|integer, string>>
local running = {}

local function tell(message, level)
  vim.notify("ATLAS: " .. message, level or vim.log.levels.INFO)
end

local function client_of(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = NAME })[1]
end

--- Runs the code action titled `ATLAS: {action}` on the function under the cursor.
---@param action "Solve"|"Verify"|"Repair"
function M.run(action)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_of(bufnr)
  if not client then
    tell("the atlas language server is not attached to this buffer (see :checkhealth vim.lsp).", vim.log.levels.WARN)
    return
  end
  local title = "ATLAS: " .. action
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = {}, only = { "refactor.rewrite" } }
  client:request("textDocument/codeAction", params, function(err, actions)
    if err then
      tell(("code actions failed: %s"):format(err.message), vim.log.levels.ERROR)
      return
    end
    for _, candidate in ipairs(actions or {}) do
      if candidate.title == title then
        -- A server may answer with a bare Command instead of a CodeAction carrying one.
        local command = type(candidate.command) == "table" and candidate.command or candidate
        client:exec_cmd(command, { bufnr = bufnr })
        return
      end
    end
    tell(("%s is not offered here: Solve works on a stub, Verify and Repair on written code."):format(action), vim.log.levels.WARN)
  end, bufnr)
end

--- Asks the server to stop every ATLAS job running for the current buffer's client.
function M.cancel()
  local client = client_of(vim.api.nvim_get_current_buf())
  local jobs = client and running[client.id] or {}
  if next(jobs) == nil then
    tell("no job is running.")
    return
  end
  for token in pairs(jobs) do
    client:notify("window/workDoneProgress/cancel", { token = token })
  end
end

--- Reports go to the message area as they come; the outcome is a notification that stays in :messages.
local function show_progress(event)
  local client = vim.lsp.get_client_by_id(event.data.client_id)
  if not client or client.name ~= NAME then
    return
  end
  local token, value = event.data.params.token, event.data.params.value
  running[client.id] = running[client.id] or {}
  local jobs = running[client.id]
  if value.kind == "begin" then
    jobs[token] = value.title
  end
  local title = jobs[token] or "ATLAS"
  if value.kind == "end" then
    jobs[token] = nil
    vim.notify(("%s: %s"):format(title, value.message or "done"), vim.log.levels.INFO)
    return
  end
  local percentage = value.percentage and ("%3d%% "):format(value.percentage) or ""
  vim.api.nvim_echo({ { ("%s: %s%s"):format(title, percentage, value.message or "") } }, false, {})
end

---@param opts? atlas.Options
function M.setup(opts)
  opts = vim.tbl_deep_extend("force", defaults, opts or {})
  if vim.fn.executable(opts.cmd[1]) == 0 then
    tell(
      ("cannot start the language server: `%s` is not an executable. Fix: install atlas-lsp "
        .. "(scripts/install.sh in a checkout) and pass its path, e.g. "
        .. 'require("atlas").setup({ cmd = { "/path/to/atlas-lsp/.venv/bin/atlas-lsp" } }).'):format(opts.cmd[1]),
      vim.log.levels.ERROR
    )
    return
  end
  -- An empty Lua table would go out as a JSON array, which the server rejects as settings.
  local settings = next(opts.settings) and opts.settings or vim.empty_dict()
  vim.lsp.config(NAME, {
    cmd = opts.cmd,
    filetypes = { "python" },
    root_markers = opts.root_markers,
    init_options = settings,
    -- The client answers the server's workspace/configuration request for the section from here.
    settings = { [NAME] = settings },
  })
  vim.lsp.enable(NAME)

  for _, action in ipairs({ "Solve", "Verify", "Repair" }) do
    vim.api.nvim_create_user_command("Atlas" .. action, function()
      M.run(action)
    end, { desc = ("ATLAS: %s the function under the cursor"):format(action:lower()) })
  end
  vim.api.nvim_create_user_command("AtlasCancel", M.cancel, { desc = "ATLAS: cancel the running jobs" })
  vim.api.nvim_create_autocmd("LspProgress", {
    group = vim.api.nvim_create_augroup("atlas.progress", {}),
    callback = show_progress,
  })
end

return M
