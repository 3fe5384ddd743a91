--- The atlas client's answer to workspace/applyEdit, with the preview of an edit.
---
--- Neovim 0.11 applies every edit as it comes: it neither declares change annotations nor acts on an
--- annotation's `needsConfirmation`. The plugin declares both for the atlas client (`capabilities`) and
--- honours them here: an edit the server asks to confirm (its `preview` setting) is shown as a diff, and
--- the user accepts it, which Neovim's own handler applies as one undo step, or discards it, which
--- answers `applied = false` and leaves the buffer as it was.
local M = {}

M.ACCEPT = "Accept"
M.DISCARD = "Discard"

local APPLY_EDIT = "workspace/applyEdit"

--- What the atlas client declares beyond Neovim's defaults: versioned edits, which Neovim applies but
--- does not declare, since change annotations come only with them.
M.capabilities = {
  workspace = {
    workspaceEdit = { documentChanges = true, changeAnnotationSupport = { groupsOnLabel = false } },
  },
}

---@param edit lsp.WorkspaceEdit
---@return lsp.ChangeAnnotation?
local function annotation_to_confirm(edit)
  for _, annotation in pairs(edit.changeAnnotations or {}) do
    if annotation.needsConfirmation then
      return annotation
    end
  end
end

---@param edit lsp.WorkspaceEdit
---@return lsp.TextDocumentEdit[]
local function text_document_edits(edit)
  return vim.tbl_filter(function(change)
    return change.textDocument ~= nil
  end, edit.documentChanges or {})
end

--- The first document the edit was made for an older version of (the user typed since), if any.
---@param edit lsp.WorkspaceEdit
---@return string?
local function outdated_document(edit)
  for _, change in ipairs(text_document_edits(edit)) do
    local version = change.textDocument.version
    local bufnr = vim.uri_to_bufnr(change.textDocument.uri)
    if version ~= nil and vim.lsp.util.buf_versions[bufnr] > version then
      return vim.fn.fnamemodify(vim.uri_to_fname(change.textDocument.uri), ":t")
    end
  end
end

--- The edit of one document as a unified diff. The new text comes from Neovim's own edit code run on a
--- scratch copy, so the diff shows exactly what accepting it does.
---@param change lsp.TextDocumentEdit
---@param encoding string
---@return string
local function diff_of(change, encoding)
  local bufnr = vim.uri_to_bufnr(change.textDocument.uri)
  vim.fn.bufload(bufnr)
  local before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local copy = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(copy, 0, -1, false, before)
  vim.lsp.util.apply_text_edits(change.edits, copy, encoding)
  local after = vim.api.nvim_buf_get_lines(copy, 0, -1, false)
  vim.api.nvim_buf_delete(copy, { force = true })
  local name = vim.fn.fnamemodify(vim.uri_to_fname(change.textDocument.uri), ":~:.")
  local hunks = vim.diff(table.concat(before, "\n") .. "\n", table.concat(after, "\n") .. "\n", { ctxlen = 3 })
  ---@cast hunks string
  return ("--- %s\n+++ %s\n%s"):format(name, name, hunks)
end

--- Shows the diff in a floating window titled with the annotation (the job, and what it checked).
---@param diff string
---@param annotation lsp.ChangeAnnotation
---@return integer window
local function show(diff, annotation)
  local lines = vim.split(diff, "\n", { trimempty = true })
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].filetype = "diff"
  vim.bo[buf].modifiable = false
  vim.bo[buf].bufhidden = "wipe"
  local width = math.min(vim.o.columns - 4, math.max(60, unpack(vim.tbl_map(vim.api.nvim_strwidth, lines))))
  local height = math.min(vim.o.lines - 6, #lines)
  return vim.api.nvim_open_win(buf, false, {
    relative = "editor",
    row = 1,
    col = math.floor((vim.o.columns - width) / 2),
    width = width,
    height = height,
    border = "rounded",
    title = " " .. annotation.label .. " ",
    footer = annotation.description and (" " .. annotation.description .. " ") or nil,
    style = "minimal",
  })
end

--- Asks whether to apply the edit. Neovim runs a server request's handler in a coroutine, which waits
--- here for the answer, so any vim.ui.select (a blocking or a deferred one) can ask.
---@param label string
---@return string?
local function ask(label)
  local handler = assert(coroutine.running(), "workspace/applyEdit is handled in a coroutine")
  vim.ui.select({ M.ACCEPT, M.DISCARD }, { prompt = label .. ": apply this edit?", kind = "atlas.preview" }, function(choice)
    -- Scheduled: the default vim.ui.select answers at once, before this coroutine has yielded.
    vim.schedule(function()
      coroutine.resume(handler, choice)
    end)
  end)
  return coroutine.yield()
end

--- Shows the edit, asks, and closes the diff again; true when the user accepts.
---@param edit lsp.WorkspaceEdit
---@param annotation lsp.ChangeAnnotation
---@param encoding string
---@return boolean
local function accepted(edit, annotation, encoding)
  local diffs = vim.tbl_map(function(change)
    return diff_of(change, encoding)
  end, text_document_edits(edit))
  local window = show(table.concat(diffs, "\n"), annotation)
  vim.cmd.redraw() -- a blocking vim.ui.select (the default) would otherwise ask before the diff is drawn
  local choice = ask(annotation.label)
  if vim.api.nvim_win_is_valid(window) then
    vim.api.nvim_win_close(window, true)
  end
  return choice == M.ACCEPT
end

--- The handler of workspace/applyEdit for the atlas client.
---@param err lsp.ResponseError?
---@param params lsp.ApplyWorkspaceEditParams
---@param ctx lsp.HandlerContext
---@return lsp.ApplyWorkspaceEditResult
function M.apply_edit(err, params, ctx)
  local annotation = annotation_to_confirm(params.edit)
  if annotation then
    local client = assert(vim.lsp.get_client_by_id(ctx.client_id))
    if not accepted(params.edit, annotation, client.offset_encoding) then
      return { applied = false, failureReason = "you discarded it" }
    end
  end
  -- Neovim skips an edit made for an older version of a buffer, yet answers that it applied it.
  local outdated = outdated_document(params.edit)
  if outdated then
    return { applied = false, failureReason = ("%s changed since the job read it; run it again"):format(outdated) }
  end
  return vim.lsp.handlers[APPLY_EDIT](err, params, ctx)
end

return M
