-- Neovim's conventions against the real server: lsp/atlas.lua for vim.lsp.enable("atlas") without
-- setup(), and :checkhealth atlas for a working and a broken install.
-- Run: nvim --headless --clean -l editor-clients/nvim/tests/conventions_spec.lua
-- ($ATLAS_VENV, default the repository's .venv, provides atlas-lsp with the small model.)
local here = vim.fs.dirname(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p"))
local plugin = vim.fs.dirname(here)
local repo = vim.fs.dirname(vim.fs.dirname(plugin))
local venv = vim.env.ATLAS_VENV or ".venv"
if not vim.startswith(venv, "/") then
  venv = vim.fs.joinpath(repo, venv)
end

local STUB = 'def add(a, b):\n    """Return the sum of a and b.\n    >>> add(2, 3)\n    5\n    """\n    ...\n'

-- What an init.lua that puts the plugin on the runtime path gets at startup: Neovim sources each
-- runtime path entry's plugin/ files after init.lua.
vim.opt.runtimepath:prepend(plugin)
vim.cmd.runtime({ "plugin/atlas.lua", bang = true })
vim.env.PATH = vim.fs.joinpath(venv, "bin") .. ":" .. vim.env.PATH

local spec = dofile(vim.fs.joinpath(here, "spec.lua"))
local it, wait_for = spec.it, spec.wait_for

--- The block of README.md after the `nvim-enable` marker.
local function documented_enable()
  local docs = table.concat(vim.fn.readfile(vim.fs.joinpath(repo, "README.md")), "\n")
  local marker = assert(docs:find("<!-- nvim-enable:", 1, true), "README.md has no nvim-enable marker")
  return assert(docs:sub(marker):match("```lua\n(.-)```"), "no lua block after the nvim-enable marker")
end

--- The report of `:checkhealth atlas`, as its buffer shows it.
local function checkhealth()
  vim.cmd("checkhealth atlas")
  local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  vim.cmd("bwipeout!")
  assert(not report:find("stack traceback", 1, true), report)
  assert(not report:find("health check itself failed", 1, true), report)
  return report
end

local function stop_servers()
  for _, client in ipairs(vim.lsp.get_clients({ name = "atlas" })) do
    client:stop()
  end
  vim.wait(30000, function()
    return #vim.lsp.get_clients({ name = "atlas" }) == 0
  end, 100)
end

local workdir = vim.fn.tempname()
vim.fn.mkdir(workdir, "p")

it("lsp/atlas.lua returns the plugin's defaults, the same ones setup() uses", function()
  local files = vim.api.nvim_get_runtime_file("lsp/atlas.lua", true)
  assert(#files == 1, vim.inspect(files))
  local config = dofile(files[1])
  assert(vim.deep_equal(config, require("atlas.config").lsp_config()), vim.inspect(config))
  assert(vim.deep_equal(config.cmd, { "atlas-lsp" }), vim.inspect(config.cmd))
  assert(vim.deep_equal(config.filetypes, { "python" }), vim.inspect(config.filetypes))
  assert(vim.tbl_contains(config.root_markers, "pyproject.toml"), vim.inspect(config.root_markers))
  -- The server's defaults: objects, not the empty arrays a plain {} would be sent as.
  assert(vim.json.encode(config.settings) == '{"atlas":{}}', vim.json.encode(config.settings))
  assert(vim.json.encode(config.init_options) == "{}", vim.json.encode(config.init_options))
end)

it('vim.lsp.enable("atlas") attaches the real server to a Python buffer without setup()', function()
  assert(vim.fn.has("nvim-0.11") == 1, "vim.lsp.enable needs Neovim 0.11")
  local atlas = require("atlas")
  local setup = atlas.setup
  atlas.setup = function()
    error("the documented vim.lsp.enable block called setup()")
  end
  local ok, err = pcall(assert(load(documented_enable(), "README.md")))
  atlas.setup = setup
  assert(ok, err)

  vim.fn.writefile(vim.split(STUB, "\n", { trimempty = true }), vim.fs.joinpath(workdir, "add.py"))
  vim.cmd.edit(vim.fs.joinpath(workdir, "add.py"))
  wait_for("atlas client", 60000, function()
    local client = vim.lsp.get_clients({ bufnr = 0, name = "atlas" })[1]
    return client ~= nil and client.initialized
  end)
  local client = vim.lsp.get_clients({ bufnr = 0, name = "atlas" })[1]
  assert(client.settings.atlas.model == "small", vim.inspect(client.settings))
  assert(vim.fn.exists(":AtlasSolve") == 2, "plugin/atlas.lua did not define :AtlasSolve")

  -- The server answers for this buffer: it offers Solve on the stub.
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = {}, only = { "refactor.rewrite" } }
  local answer = assert(client:request_sync("textDocument/codeAction", params, 10000, 0), "no code actions")
  assert(not answer.err, vim.inspect(answer.err))
  local titles = vim.tbl_map(function(action)
    return action.title
  end, answer.result or {})
  assert(vim.tbl_contains(titles, "ATLAS: Solve"), vim.inspect(titles))
end)

-- The doctor loads the model itself: no server needs to run beside it.
stop_servers()

it(":checkhealth atlas reports OK for the working install", function()
  local report = checkhealth()
  assert(not report:find("ERROR", 1, true), report)
  assert(report:find("OK atlas%-lsp %d+%.%d+"), report)
  assert(report:find("OK installed and working: file: ", 1, true), report)
  assert(report:find("OK isolation: ", 1, true), report)
  assert(report:find("OK `atlas-lsp --doctor --model small`: everything works", 1, true), report)
end)

it(":checkhealth atlas reports a missing executable as an error with its fix", function()
  local cmd = vim.lsp.config.atlas.cmd
  vim.lsp.config("atlas", { cmd = { vim.fs.joinpath(workdir, "no-such-atlas-lsp") } })
  local ok, report = pcall(checkhealth)
  vim.lsp.config("atlas", { cmd = cmd })
  assert(ok, report)
  assert(report:find("ERROR `[^`]*no%-such%-atlas%-lsp` is not an executable"), report)
  assert(report:find("ADVICE:", 1, true), report)
  assert(report:find("scripts/install.sh", 1, true), report)
  assert(report:find('vim.lsp.config("atlas", { cmd = ', 1, true), report)
end)

it(":checkhealth atlas reports a model that is not there as an error with its fix", function()
  local missing = vim.fs.joinpath(workdir, "missing.gguf")
  vim.lsp.config("atlas", { settings = { atlas = { model = missing } } })
  local ok, report = pcall(checkhealth)
  vim.lsp.config("atlas", { settings = { atlas = { model = "small" } } })
  assert(ok, report)
  assert(report:find(("ERROR Model file %s does not exist."):format(missing), 1, true), report)
  assert(report:find("check the path in the `model` setting", 1, true), report)
  assert(report:find("problem(s) found", 1, true), report)
end)

stop_servers()
vim.fn.delete(workdir, "rf")

spec.finish()
