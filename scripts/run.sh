#!/usr/bin/env bash
# The main job: set up, check the installation, and run a short benchmark on the embedded default model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/atlas-lsp --doctor --model default
.venv/bin/atlas-lsp --bench examples/problems.jsonl --mode pipeline --model default --out runs/example "$@"
