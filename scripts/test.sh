#!/usr/bin/env bash
# Set up the test environment (small model, test tools) and run the static checks, then the whole test
# suite: the Python tests, then the VS Code and Neovim clients driving the real server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
status=0
bash scripts/check.sh || status=1
.venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
if [[ $status -eq 5 ]]; then
    echo "error: pytest collected no tests" >&2
    status=1
fi
ATLAS_VENV=.venv bash editor-clients/test.sh || status=1
exit $status
