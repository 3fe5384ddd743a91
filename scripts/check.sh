#!/usr/bin/env bash
# Static checks: ruff's lint and format check, then mypy (strict) over the four packages. Run alone, or
# before every commit: ln -s ../../scripts/check.sh .git/hooks/pre-commit
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${ATLAS_VENV:-.venv}
status=0
echo "== ruff check"
"$VENV/bin/ruff" check . || status=1
echo "== ruff format --check"
"$VENV/bin/ruff" format --check . || status=1
echo "== mypy"
"$VENV/bin/mypy" || status=1
exit $status
