--- ATLAS for Neovim 0.11+: runs atlas-lsp for Python buffers, runs its code actions by name
--- (:AtlasSolve, :AtlasVerify, :AtlasRepair, :AtlasCancel) and shows its jobs' progress.
--- `vim.lsp.enable("atlas")` needs no setup: lsp/atlas.lua holds the config and plugin/atlas.lua
--- defines the commands; `setup()` is the same config with options, for setups without lsp/ configs.
local M = {}

local config = require("atlas.config")
local NAME = config.name

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
    tell("the atlas language server is not attached to this buffer (see :checkhealth atlas).", vim.log.levels.WARN)
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
    -- A job's end is when its evidence lens changes; Neovim 0.11 has no handler for the server's
    -- workspace/codeLens/refresh, so the plugin asks for the lenses itself.
    for bufnr in pairs(client.attached_buffers) do
      vim.lsp.codelens.refresh({ bufnr = bufnr })
    end
    vim.notify(("%s: %s"):format(title, value.message or "done"), vim.log.levels.INFO)
    return
  end
  local percentage = value.percentage and ("%3d%% "):format(value.percentage) or ""
  vim.api.nvim_echo({ { ("%s: %s%s"):format(title, percentage, value.message or "") } }, false, {})
end

--- Neovim draws a buffer's code lenses only when it asks for them, and 0.11 never asks on its own. The
--- lenses carry each edit's evidence, so every buffer atlas attaches to asks at once, again when the user
--- comes back to it or leaves insert mode, and whenever an ATLAS job ends (see show_progress).
local function show_code_lenses(event)
  local client = vim.lsp.get_client_by_id(event.data.client_id)
  if not client or client.name ~= NAME or not client:supports_method("textDocument/codeLens", event.buf) then
    return
  end
  local bufnr = event.buf
  local function refresh()
    vim.lsp.codelens.refresh({ bufnr = bufnr })
  end
  refresh()
  vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave" }, {
    group = vim.api.nvim_create_augroup(("atlas.codelens.%d"):format(bufnr), {}),
    buffer = bufnr,
    callback = refresh,
  })
end

--- Defines :AtlasSolve, :AtlasVerify, :AtlasRepair, :AtlasCancel, the progress display and the code
--- lenses; running it again replaces them.
function M.commands()
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
  vim.api.nvim_create_autocmd("LspAttach", {
    group = vim.api.nvim_create_augroup("atlas.codelens", {}),
    callback = show_code_lenses,
  })
end

--- Configures and enables the server: `vim.lsp.config("atlas", ...)` with `opts` over the defaults
--- of atlas.config, then `vim.lsp.enable("atlas")`.
---@param opts? atlas.Options
function M.setup(opts)
  local lsp_config = config.lsp_config(opts)
  if vim.fn.executable(lsp_config.cmd[1]) == 0 then
    tell(
      ("cannot start the language server: `%s` is not an executable. Fix: install atlas-lsp "
        .. "(scripts/install.sh in a checkout) and pass its path, e.g. "
        .. 'require("atlas").setup({ cmd = { "/path/to/atlas-lsp/.venv/bin/atlas-lsp" } }).'):format(lsp_config.cmd[1]),
      vim.log.levels.ERROR
    )
    return
  end
  vim.lsp.config(NAME, lsp_config)
  vim.lsp.enable(NAME)
  M.commands()
end

return M
