-- The Neovim client against the real server with the small model, set up as the README says.
-- Run: nvim --headless --clean -l editor-clients/nvim/tests/solve_spec.lua
-- ($ATLAS_VENV, default the repository's .venv, provides atlas-lsp and python.)
local here = vim.fs.dirname(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p"))
local plugin = vim.fs.dirname(here)
local repo = vim.fs.dirname(vim.fs.dirname(plugin))
local venv = vim.env.ATLAS_VENV or ".venv"
if not vim.startswith(venv, "/") then
  venv = vim.fs.joinpath(repo, venv)
end
local python = vim.fs.joinpath(venv, "bin", "python")

local SOLVE_TIMEOUT_MS = 10 * 60 * 1000
local STUB = 'def add(a, b):\n    """Return the sum of a and b.\n    >>> add(2, 3)\n    5\n    """\n    ...\n'
local CHECKS = "assert add(2, 3) == 5\nassert add(-4, 4) == 0\nassert add(10, 32) == 42"
local SLOW_STUB = 'def mul(a, b):\n    """Return the product of a and b.\n    >>> mul(2, 3)\n    6\n    """\n    ...\n'

vim.opt.runtimepath:prepend(plugin)
-- The documented setup starts `atlas-lsp` from PATH.
vim.env.PATH = vim.fs.joinpath(venv, "bin") .. ":" .. vim.env.PATH

-- What the plugin shows, recorded alongside being shown.
local notified, echoed = {}, {}
local notify, echo = vim.notify, vim.api.nvim_echo
vim.notify = function(message, level, opts)
  table.insert(notified, message)
  return notify(message, level, opts)
end
vim.api.nvim_echo = function(chunks, history, opts)
  table.insert(echoed, chunks[1][1])
  return echo(chunks, history, opts)
end

local spec = dofile(vim.fs.joinpath(here, "spec.lua"))
local it, wait_for = spec.it, spec.wait_for

--- The block of README.md after the `nvim-setup` marker.
local function documented_setup()
  local docs = table.concat(vim.fn.readfile(vim.fs.joinpath(repo, "README.md")), "\n")
  local marker = assert(docs:find("<!-- nvim-setup:", 1, true), "README.md has no nvim-setup marker")
  return assert(docs:sub(marker):match("```lua\n(.-)```"), "no lua block after the nvim-setup marker")
end

local function atlas_client()
  return vim.lsp.get_clients({ bufnr = 0, name = "atlas" })[1]
end

--- Fails at once, rather than after a timeout, when an earlier test could not start the server.
local function requires_server()
  assert(#vim.lsp.get_clients({ name = "atlas" }) > 0, "the atlas server is not running")
end

local function buffer_text()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n") .. "\n"
end

local function notifications_since(first, pattern)
  for index = first + 1, #notified do
    if notified[index]:find(pattern) then
      return notified[index]
    end
  end
end

--- The server's standard error since the test began, which Neovim writes to its LSP log in pieces.
local log_start = math.max(vim.fn.getfsize(vim.lsp.get_log_path()), 0)
local function server_stderr()
  local log = assert(io.open(vim.lsp.get_log_path()))
  log:seek("set", log_start)
  local pieces = {}
  for line in log:lines() do
    -- Each piece is quoted by vim.inspect: in double quotes, or single ones when it holds a double quote.
    local piece = line:match('"atlas%-lsp"\t"stderr"\t[\'"](.*)[\'"]$')
    if piece then
      table.insert(pieces, (piece:gsub("\\n", "\n"):gsub('\\"', '"')))
    end
  end
  log:close()
  return table.concat(pieces):sub(-3000)
end

--- Opens a new file holding `text` with the cursor on its first line, and waits for atlas to attach.
local function open(dir, name, text)
  local path = vim.fs.joinpath(dir, name)
  vim.fn.writefile(vim.split(text, "\n", { trimempty = true }), path)
  local first = #notified
  vim.cmd.edit(path)
  wait_for("atlas client", 60000, function()
    local client = atlas_client()
    return (client ~= nil and client.initialized) or notifications_since(first, "Client atlas quit") ~= nil
  end)
  assert(atlas_client(), "the server quit; its standard error:\n" .. server_stderr())
  return path
end

local workdir = vim.fn.tempname()
vim.fn.mkdir(workdir, "p")
local solved_path

it("the documented setup attaches atlas to a Python buffer", function()
  assert(load(documented_setup(), "README.md"))()
  solved_path = open(workdir, "add.py", STUB)
  assert(vim.bo.filetype == "python", vim.bo.filetype)
end)

it(":AtlasVerify on a stub says it is not offered there", function()
  requires_server()
  local first = #notified
  vim.cmd("AtlasVerify")
  wait_for("answer", 10000, function()
    return notifications_since(first, "not offered") ~= nil
  end)
end)

it(":AtlasSolve replaces the stub with a working implementation", function()
  requires_server()
  local first = #notified
  local started = vim.uv.hrtime()
  vim.cmd("AtlasSolve")
  wait_for("edit", SOLVE_TIMEOUT_MS, function()
    return buffer_text() ~= STUB or notifications_since(first, "^ATLAS: Solve add:") ~= nil
  end)
  print(("# solve took %.1f s"):format((vim.uv.hrtime() - started) / 1e9))
  local solved = buffer_text()
  assert(solved ~= STUB, "no edit; notifications: " .. vim.inspect(vim.list_slice(notified, first + 1)))
  vim.cmd.write()
  local run = vim.system({ python, "-c", solved .. "\n" .. CHECKS }, { text = true }):wait(30000)
  assert(run.code == 0, solved .. run.stderr)
end)

it("progress shows stage and percentage while the job runs, then the outcome", function()
  requires_server()
  wait_for("outcome", 30000, function()
    return notifications_since(0, "^ATLAS: Solve add: Applied") ~= nil
  end)
  local reports = vim.tbl_filter(function(line)
    return line:find("^ATLAS: Solve add: +%d+%% ") ~= nil
  end, echoed)
  assert(#reports > 0, "no progress reports: " .. vim.inspect(echoed))
end)

it("the solved function shows what was checked as a code lens on its def line", function()
  requires_server()
  local lens
  wait_for("code lens", 30000, function()
    lens = vim.lsp.codelens.get(0)[1]
    return lens ~= nil and lens.command ~= nil
  end)
  assert(lens.range.start.line == 0, vim.inspect(lens))
  assert(lens.command.title:find("^atlas: passes %d+/%d+ examples"), lens.command.title)
end)

it(":AtlasCancel stops a running job and leaves the file alone", function()
  requires_server()
  open(workdir, "mul.py", SLOW_STUB)
  local first = #notified
  vim.cmd("AtlasSolve")
  wait_for("job start", 30000, function()
    return #vim.tbl_filter(function(line)
      return line:find("^ATLAS: Solve mul:") ~= nil
    end, echoed) > 0
  end)
  vim.cmd("AtlasCancel")
  wait_for("cancellation", 10000, function()
    return notifications_since(first, "^ATLAS: Solve mul: Cancelled") ~= nil
  end)
  assert(buffer_text() == SLOW_STUB, buffer_text())
end)

-- Stop the server before leaving, so no model process outlives the test.
for _, client in ipairs(vim.lsp.get_clients({ name = "atlas" })) do
  client:stop()
end
vim.wait(30000, function()
  return #vim.lsp.get_clients({ name = "atlas" }) == 0
end, 100)
vim.fn.delete(workdir, "rf")

spec.finish()
