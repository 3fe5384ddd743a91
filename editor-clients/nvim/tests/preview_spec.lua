-- The preview of an edit (the `preview` setting) in the Neovim client, against the real server. The
-- model is tests/fake_model_server.py, which answers with a right `add`, so a job takes a second or two.
-- vim.ui.select is played by the test: it records the question and the diff shown, and answers.
-- Run: nvim --headless --clean -l editor-clients/nvim/tests/preview_spec.lua
-- ($ATLAS_VENV, default the repository's .venv, provides atlas-lsp and python.)
local here = vim.fs.dirname(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p"))
local plugin = vim.fs.dirname(here)
local repo = vim.fs.dirname(vim.fs.dirname(plugin))
local venv = vim.env.ATLAS_VENV or ".venv"
if not vim.startswith(venv, "/") then
  venv = vim.fs.joinpath(repo, venv)
end

local JOB_TIMEOUT_MS = 120 * 1000
local STUB = 'def add(a, b):\n    """Return the sum of a and b.\n    >>> add(2, 3)\n    5\n    """\n    ...\n'
local SOLVED = 'def add(a, b):\n    """Return the sum of a and b.\n    >>> add(2, 3)\n    5\n    """\n    return a + b\n'

vim.opt.runtimepath:prepend(plugin)

-- What the user is told, recorded alongside being shown: the plugin notifies, Neovim echoes server messages.
local notified = {}
local notify, echo = vim.notify, vim.api.nvim_echo
vim.notify = function(message, level, opts)
  table.insert(notified, message)
  return notify(message, level, opts)
end
vim.api.nvim_echo = function(chunks, history, opts)
  table.insert(notified, table.concat(vim.tbl_map(function(chunk)
    return chunk[1]
  end, chunks)))
  return echo(chunks, history, opts)
end

--- The user at the preview: what they were asked and shown (each floating window's text, title and
--- footer), what they do meanwhile, and what they answer.
local user = { answer = nil, meanwhile = nil, questions = {}, shown = {} }
vim.ui.select = function(items, opts, on_choice)
  table.insert(user.questions, { prompt = opts.prompt, items = items })
  for _, window in ipairs(vim.api.nvim_list_wins()) do
    local config = vim.api.nvim_win_get_config(window)
    if config.relative ~= "" then
      local lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(window), 0, -1, false)
      table.insert(user.shown, { text = table.concat(lines, "\n"), title = config.title, footer = config.footer })
    end
  end
  if user.meanwhile then
    user.meanwhile()
  end
  on_choice(user.answer)
end

local spec = dofile(vim.fs.joinpath(here, "spec.lua"))
local it, wait_for = spec.it, spec.wait_for

local function buffer_text()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n") .. "\n"
end

local function notification_since(first, pattern)
  for index = first + 1, #notified do
    if notified[index]:find(pattern) then
      return notified[index]
    end
  end
end

--- Progress ends of ATLAS jobs, counted: a job's own messages begin with its title too.
local jobs_ended = 0
vim.api.nvim_create_autocmd("LspProgress", {
  callback = function(event)
    jobs_ended = jobs_ended + (event.data.params.value.kind == "end" and 1 or 0)
  end,
})

--- Times the server asked for the settings.
local settings_asked = 0
local answer_configuration = vim.lsp.handlers["workspace/configuration"]
vim.lsp.handlers["workspace/configuration"] = function(...)
  settings_asked = settings_asked + 1
  return answer_configuration(...)
end

local function floating_windows()
  return vim.tbl_filter(function(window)
    return vim.api.nvim_win_get_config(window).relative ~= ""
  end, vim.api.nvim_list_wins())
end

--- The fake model server, started the way its module says; its URL is the first line it prints.
local model_url
local model_server = vim.system(
  { vim.fs.joinpath(venv, "bin", "python"), "-m", "tests.fake_model_server" },
  { cwd = repo, stdin = true, stdout = function(_, data)
    model_url = model_url or (data and data:match("^(%S+)"))
  end }
)
assert(vim.wait(30000, function()
  return model_url ~= nil
end, 50), "the fake model server did not start")

require("atlas").setup({
  cmd = { vim.fs.joinpath(venv, "bin", "atlas-lsp") },
  settings = { model = model_url, candidates = 1, lens = false, workspaceContext = false, preview = true },
})

local workdir = vim.fn.tempname()
vim.fn.mkdir(workdir, "p")

--- Opens a new file holding the stub and waits for atlas to attach.
local function open(name)
  vim.fn.writefile(vim.split(STUB, "\n", { trimempty = true }), vim.fs.joinpath(workdir, name))
  vim.cmd.edit(vim.fs.joinpath(workdir, name))
  wait_for("atlas client", 60000, function()
    local client = vim.lsp.get_clients({ bufnr = 0, name = "atlas" })[1]
    return client ~= nil and client.initialized
  end)
end

--- Runs :AtlasSolve in the current buffer and waits for the job's end; returns the index of the first
--- notification the job may have caused.
local function solve()
  local first, ended = #notified, jobs_ended
  vim.cmd("AtlasSolve")
  wait_for("the job's end", JOB_TIMEOUT_MS, function()
    return jobs_ended > ended
  end)
  return first
end

it("accepting the preview applies the edit, and one undo takes the edit back", function()
  open("accept.py")
  -- A change of the user's own before the job, closed as typing closes an undo step (:help undo-break):
  -- the undo must take back the whole edit and nothing before it.
  vim.api.nvim_buf_set_lines(0, -1, -1, false, { "# mine" })
  vim.cmd("let &undolevels = &undolevels")
  user.answer = "Accept"
  local first = solve()
  assert(#user.questions == 1, "the edit was applied without a question")
  assert(notification_since(first, "^ATLAS: Solve add: Applied"), vim.inspect(vim.list_slice(notified, first + 1)))
  assert(buffer_text() == SOLVED .. "# mine\n", buffer_text())
  vim.cmd.undo()
  assert(buffer_text() == STUB .. "# mine\n", buffer_text())
end)

it("the preview asks about the job's edit and shows its diff with what was checked", function()
  local question = user.questions[#user.questions]
  assert(question.prompt == "ATLAS: Solve add: apply this edit?", question.prompt)
  assert(vim.deep_equal(question.items, { "Accept", "Discard" }), vim.inspect(question.items))
  local preview = user.shown[#user.shown]
  assert(preview.text:find("\n-    ...\n+    return a + b", 1, true), preview.text)
  assert(preview.title[1][1] == " ATLAS: Solve add ", vim.inspect(preview.title))
  assert(preview.footer[1][1] == " atlas: passes 1/1 examples ", vim.inspect(preview.footer))
  assert(#floating_windows() == 0, "the preview is still open")
end)

it("discarding the preview leaves the file as it was and the server says so", function()
  open("discard.py")
  user.answer = "Discard"
  local first = solve()
  assert(notification_since(first, "the edit was not applied: you discarded it"), vim.inspect(vim.list_slice(notified, first + 1)))
  assert(notification_since(first, "^ATLAS: Solve add: Not applied"), vim.inspect(vim.list_slice(notified, first + 1)))
  assert(buffer_text() == STUB, buffer_text())
  assert(#floating_windows() == 0, "the preview is still open")
end)

it("an edit accepted after the file changed during the preview is not applied, and the server says so", function()
  open("typed.py")
  user.answer = "Accept"
  user.meanwhile = function()
    vim.api.nvim_buf_set_lines(0, -1, -1, false, { "# typed" })
  end
  local first = solve()
  user.meanwhile = nil
  local said = notification_since(first, "the edit was not applied: typed.py changed since the job read it")
  assert(said, vim.inspect(vim.list_slice(notified, first + 1)))
  assert(buffer_text() == STUB .. "# typed\n", buffer_text())
end)

it("with preview off the edit is applied without a question", function()
  local client = vim.lsp.get_clients({ name = "atlas" })[1]
  client.settings.atlas.preview = false
  local asked_before = settings_asked
  client:notify("workspace/didChangeConfiguration", { settings = vim.NIL })
  wait_for("the server to read the settings", 10000, function()
    return settings_asked > asked_before
  end)
  local asked = #user.questions
  user.answer = nil
  open("direct.py")
  local first = solve()
  assert(notification_since(first, "^ATLAS: Solve add: Applied"), vim.inspect(vim.list_slice(notified, first + 1)))
  assert(buffer_text() == SOLVED, buffer_text())
  assert(#user.questions == asked, vim.inspect(user.questions[#user.questions]))
end)

for _, client in ipairs(vim.lsp.get_clients({ name = "atlas" })) do
  client:stop()
end
vim.wait(30000, function()
  return #vim.lsp.get_clients({ name = "atlas" }) == 0
end, 100)
model_server:write(nil) -- closes its standard input, which ends it
model_server:wait(10000)
vim.fn.delete(workdir, "rf")

spec.finish()
