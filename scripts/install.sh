#!/usr/bin/env bash
# Set up atlas-lsp in ./.venv: llama.cpp built once for this CPU family, the package, its models.
#
#   scripts/install.sh            runtime + the default (1.5B) and small (0.5B) models
#   scripts/install.sh --test     runtime + test tools + the small model (what the tests use)
#
# Environment:
#   PYTHON                  interpreter to build the venv from (default: python3)
#   ATLAS_VENV              venv folder (default: .venv)
#   ATLAS_LLAMA_CMAKE_ARGS  llama.cpp build flags, e.g. "-DGGML_CUDA=on" or "-DGGML_METAL=on"
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${ATLAS_VENV:-.venv}
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/atlas-lsp"
LLAMA_VERSION=0.3.36
TORCH_VERSION=2.13.0

extras="small,default,bench"
model_names="small default"
if [[ "${1:-}" == "--test" ]]; then
    extras="small,test,bench"
    model_names="small"
fi

if [[ -z "${ATLAS_LLAMA_CMAKE_ARGS:-}" && "$(uname -m)" == "x86_64" ]]; then
    # llama.cpp's default -march=native turns on AMX tile kernels, which crash with "Illegal
    # instruction" on VMs that advertise AMX but do not grant it. So the kernels are named one by one:
    # AVX2, which any x86-64 CPU of the last decade has, and AVX-512 where this CPU has it, which
    # evaluates prompts about 1.5x and decodes 1.1-1.2x faster (benchmarks/results/llama_build_flags.json).
    # The wheel then runs only on CPUs like this one; it is cached on this machine only.
    cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2 || true) "
    has() { [[ "$cpu_flags" == *" $1 "* ]]; }
    ATLAS_LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
    if has avx512f && has avx512cd && has avx512vl && has avx512dq && has avx512bw; then
        ATLAS_LLAMA_CMAKE_ARGS+=" -DGGML_AVX512=ON"
        if has avx512vbmi; then ATLAS_LLAMA_CMAKE_ARGS+=" -DGGML_AVX512_VBMI=ON"; fi
        if has avx512_vnni; then ATLAS_LLAMA_CMAKE_ARGS+=" -DGGML_AVX512_VNNI=ON"; fi
        if has avx512_bf16; then ATLAS_LLAMA_CMAKE_ARGS+=" -DGGML_AVX512_BF16=ON"; fi
    fi
fi
LLAMA_CMAKE_ARGS=${ATLAS_LLAMA_CMAKE_ARGS:-}

step() { printf '\n== %s\n' "$*"; }

if [[ ! -x "$VENV/bin/python" ]]; then
    step "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
pip=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install --upgrade pip

step "torch $TORCH_VERSION (CPU)"
# An exact pin: a looser requirement resolves to a multi-GB CUDA build of a newer release.
"${pip[@]}" install "torch==$TORCH_VERSION"

# The wheel is cached per build-flag set, so each machine compiles llama.cpp once (5-8 minutes).
flags_key=$(printf '%s' "$LLAMA_VERSION $LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)
wheel_dir="$CACHE/wheels/llama-$flags_key"
wheel=$(ls "$wheel_dir"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)
if [[ -z "$wheel" ]]; then
    step "building llama-cpp-python $LLAMA_VERSION (flags: ${LLAMA_CMAKE_ARGS:-default}); this takes a few minutes"
    mkdir -p "$wheel_dir"
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" "${pip[@]}" wheel --no-deps --no-cache-dir -w "$wheel_dir" \
        "llama-cpp-python==$LLAMA_VERSION"
    wheel=$(ls "$wheel_dir"/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n1)
fi
step "installing $(basename "$wheel")"
"${pip[@]}" install --no-deps --force-reinstall "$wheel"

step "atlas-lsp with extras [$extras]"
"${pip[@]}" install -e ".[$extras]"

if ! command -v bwrap >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        step "installing bubblewrap (sandbox isolation)"
        apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null
    else
        echo "warning: bubblewrap is not installed; generated code will run without network and" \
            "filesystem isolation. Install it: sudo apt-get install bubblewrap (or your distribution's package)." >&2
    fi
fi

for name in $model_names; do
    step "model: $name"
    "$VENV/bin/atlas-lsp" --install-model "$name"
done
step "done: $VENV/bin/atlas-lsp is ready"
