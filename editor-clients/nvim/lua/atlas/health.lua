--- :checkhealth atlas: the Neovim side, the server executable and its version, then what
--- `atlas-lsp --doctor` finds for the configured model (installed, loads, generates), the sandbox's
--- isolation and its verdict. Every failure is reported with its fix; nothing here raises.
local M = {}

local config = require("atlas.config")
local health = vim.health

local VERSION_TIMEOUT_MS = 30 * 1000
-- The doctor loads the model and generates a few tokens: 10-30 s, more on a busy machine.
local DOCTOR_TIMEOUT_MS = 180 * 1000
local INSTALL_FIX = "install the server: scripts/install.sh in a checkout of atlas-lsp gives .venv/bin/atlas-lsp"
local CMD_FIX = 'point `cmd` at it: vim.lsp.config("atlas", { cmd = { "/path/to/atlas-lsp/.venv/bin/atlas-lsp" } }) '
  .. 'or require("atlas").setup({ cmd = { ... } })'

--- The config the client starts the server with: lsp/atlas.lua with the user's vim.lsp.config()
--- and setup() over it; before Neovim 0.11, the plugin's defaults.
local function resolved_config()
  if vim.lsp.config then
    local ok, resolved = pcall(function()
      return vim.lsp.config[config.name]
    end)
    if ok and type(resolved) == "table" then
      return resolved
    end
  end
  return config.lsp_config()
end

--- A server setting as the server sees it: the workspace configuration over the initialization options.
local function setting(resolved, key)
  local section = type(resolved.settings) == "table" and resolved.settings[config.name] or nil
  if type(section) == "table" and section[key] ~= nil then
    return section[key]
  end
  local options = resolved.init_options
  if type(options) == "table" then
    if type(options[config.name]) == "table" then
      options = options[config.name]
    end
    return options[key]
  end
end

--- Runs `argv` to the end or the timeout; never raises. Returns the vim.system result, or nil and why.
local function run(argv, timeout_ms)
  local ok, process = pcall(vim.system, argv, { text = true })
  if not ok then
    return nil, tostring(process)
  end
  local result = process:wait(timeout_ms)
  if result.code == 124 and result.signal ~= 0 then
    return nil, ("did not finish within %d s"):format(timeout_ms / 1000)
  end
  return result
end

local function tail(text, lines)
  local all = vim.split(vim.trim(text or ""), "\n")
  return table.concat(vim.list_slice(all, math.max(#all - lines + 1, 1)), "\n")
end

--- A doctor's problem as the message and its fix: the doctor writes the fix after `Fix:` (a model's
--- problems) or inside the message (the sandbox's, e.g. "install bubblewrap ...").
local function report_problem(text)
  local problem, fix = text:match("^(.-)%s*Fix:%s*(.+)$")
  if problem then
    health.error(problem, { fix })
  else
    health.error(text)
  end
end

--- The doctor's output, in its sections: the header lines, one per model, the sandbox, the verdict.
---@return { title: string, lines: string[], problems: string[] }[], string?
local function parse_doctor(output)
  local sections = { { title = "installation", lines = {}, problems = {} } }
  local verdict
  local last_problem
  for _, line in ipairs(vim.split(output, "\n")) do
    local current = sections[#sections]
    local problem = line:match("^%s*PROBLEM: (.*)$")
    if problem then
      table.insert(current.problems, problem)
      last_problem = #current.problems
    elseif line:match("^model .+:$") or line == "sandbox:" then
      table.insert(sections, { title = line:sub(1, -2), lines = {}, problems = {} })
      last_problem = nil
    elseif line:match("^%d+ problem%(s%) found%.$") or line == "Everything works." then
      verdict = line
    elseif vim.trim(line) == "" then
      last_problem = nil
    elseif last_problem and not line:match("^  ") then
      -- A problem that spans lines (a runtime error's message, then its "Fix: ...").
      current.problems[last_problem] = current.problems[last_problem] .. " " .. vim.trim(line)
    else
      table.insert(current.lines, vim.trim(line))
    end
  end
  return sections, verdict
end

local function check_neovim()
  health.start("atlas: Neovim client")
  local version = vim.version()
  local shown = ("%d.%d.%d"):format(version.major, version.minor, version.patch)
  if vim.fn.has("nvim-0.11") == 1 then
    health.ok(("Neovim %s (0.11 or later: lsp/atlas.lua and vim.lsp.enable)"):format(shown))
  else
    health.error(("Neovim %s is too old: the plugin needs 0.11 or later"):format(shown), {
      "upgrade Neovim to 0.11 or later (https://github.com/neovim/neovim/releases)",
    })
  end
  if vim.lsp.is_enabled and vim.lsp.is_enabled(config.name) then
    local attached = #vim.lsp.get_clients({ name = config.name })
    health.ok(("atlas is enabled; %d client(s) running"):format(attached))
  elseif vim.lsp.is_enabled then
    health.warn("atlas is not enabled, so no Python buffer starts the server", {
      'add vim.lsp.enable("atlas") (or require("atlas").setup()) to init.lua',
    })
  end
end

--- The executable and its version; returns the command to run the doctor with, or nil.
local function check_server(resolved)
  health.start("atlas: server")
  local cmd = resolved.cmd
  if type(cmd) ~= "table" or type(cmd[1]) ~= "string" then
    health.warn("`cmd` is not a list of strings, so the server cannot be checked from here", {
      "set cmd = { \"/path/to/atlas-lsp\" } (the default is { \"atlas-lsp\" } from PATH)",
    })
    return nil
  end
  local path = vim.fn.exepath(cmd[1])
  if path == "" then
    health.error(("`%s` is not an executable (cmd = %s)"):format(cmd[1], vim.inspect(cmd)), {
      INSTALL_FIX,
      CMD_FIX,
    })
    return nil
  end
  local argv = vim.list_extend(vim.deepcopy(cmd), { "--version" })
  local result, why = run(argv, VERSION_TIMEOUT_MS)
  if not result or result.code ~= 0 then
    local detail = why or ("exit status %d: %s"):format(result.code, tail(result.stderr, 5))
    health.error(("`%s` does not run (%s)"):format(table.concat(argv, " "), detail), {
      "reinstall the server: scripts/install.sh in its checkout",
      CMD_FIX,
    })
    return nil
  end
  health.ok(("%s (%s)"):format(vim.trim(result.stdout), path))
  return cmd
end

local function check_sandbox(sandbox)
  health.start("atlas: sandbox")
  for _, line in ipairs(sandbox.lines) do
    local isolation = line:match("^isolation: (.*)$")
    if isolation and vim.startswith(isolation, "bubblewrap") then
      health.ok("isolation: " .. isolation)
    elseif isolation then
      health.warn("isolation: " .. isolation)
    elseif line:match(": passed in ") or line:match(": ran in ") then
      health.ok(line)
    else
      health.info(line)
    end
  end
  for _, problem in ipairs(sandbox.problems) do
    report_problem(problem)
  end
end

local function check_doctor(cmd, resolved)
  local model = setting(resolved, "model")
  if type(model) ~= "string" or model == "" then
    model = "default"
  end
  local argv = vim.list_extend(vim.deepcopy(cmd), { "--doctor", "--model", model })
  local gpu_layers = setting(resolved, "gpuLayers")
  if gpu_layers ~= nil then
    vim.list_extend(argv, { "--gpu-layers", tostring(gpu_layers) })
  end
  local shown = table.concat(argv, " ")

  local started = vim.uv.hrtime()
  local result, why = run(argv, DOCTOR_TIMEOUT_MS)
  local seconds = (vim.uv.hrtime() - started) / 1e9
  if not result then
    health.error(("`%s` %s"):format(shown, why), { "run it in a terminal to see where it stops" })
    return
  end
  health.info(("`%s` ran in %.0f s (it loads the model and generates a few tokens: 10-30 s)"):format(shown, seconds))
  local sections, verdict = parse_doctor(result.stdout or "")
  local installation, sandbox = sections[1], nil
  for _, line in ipairs(installation.lines) do
    health.info(line)
  end
  for _, problem in ipairs(installation.problems) do
    report_problem(problem)
  end

  for index = 2, #sections do
    local section = sections[index]
    if section.title == "sandbox" then
      sandbox = section
    else
      health.start("atlas: " .. section.title)
      if #section.problems == 0 then
        health.ok("installed and working: " .. table.concat(section.lines, "; "))
      else
        for _, line in ipairs(section.lines) do
          health.info(line)
        end
      end
      for _, problem in ipairs(section.problems) do
        report_problem(problem)
      end
    end
  end

  if sandbox then
    check_sandbox(sandbox)
  end

  health.start("atlas: doctor's verdict")
  if verdict == "Everything works." and result.code == 0 then
    health.ok(("`%s`: everything works"):format(shown))
  elseif verdict then
    health.error(("`%s`: %s"):format(shown, verdict), { "apply the fix given with each error above" })
  else
    local stderr = tail(result.stderr, 8)
    health.error(("`%s` stopped with exit status %d before its verdict: %s"):format(shown, result.code, stderr), {
      "run it in a terminal for the whole output",
      "reinstall the server if it fails to start: scripts/install.sh in its checkout",
    })
  end
end

function M.check()
  local ok, err = xpcall(function()
    check_neovim()
    local resolved = resolved_config()
    local cmd = check_server(resolved)
    if cmd then
      check_doctor(cmd, resolved)
    else
      health.start("atlas: model")
      health.warn("not checked: the server does not run (see above)")
    end
  end, debug.traceback)
  if not ok then
    health.error("the health check itself failed: " .. tostring(err), {
      "please report this at the atlas-lsp repository, with the message above",
    })
  end
end

return M
