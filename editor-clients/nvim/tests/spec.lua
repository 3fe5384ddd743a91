-- What every spec of the Neovim client shares: `it` runs one named test and counts it, `wait_for` polls
-- until a probe holds, `finish` prints the count and exits with its status. Load with dofile().
local spec = { passed = 0, failed = 0 }

function spec.it(name, test)
  local started = vim.uv.hrtime()
  local ok, err = xpcall(test, debug.traceback)
  local seconds = (vim.uv.hrtime() - started) / 1e9
  if ok then
    spec.passed = spec.passed + 1
    print(("ok - %s (%.1f s)"):format(name, seconds))
  else
    spec.failed = spec.failed + 1
    print(("not ok - %s (%.1f s)\n%s"):format(name, seconds, err))
  end
end

function spec.wait_for(what, timeout_ms, probe)
  assert(vim.wait(timeout_ms, probe, 50), ("no %s within %d s"):format(what, timeout_ms / 1000))
end

function spec.finish()
  print(("%d passed, %d failed"):format(spec.passed, spec.failed))
  os.exit(spec.failed == 0 and 0 or 1)
end

return spec
