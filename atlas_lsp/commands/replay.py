"""`atlas-lsp --replay DIR...`: score selection and budget rules on a run's recorded candidates, no model.

When every candidate was read (`--lens-records`, or `--lens-read` after the run), the Lens rules join
the table: each problem is scored by a Lens trained on the other folds of problems (`--folds`, 5 by
default), never on itself.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path

DEFAULT_FOLDS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--replay is a mode flag of the CLI; its report goes to --out."""


def run(args: argparse.Namespace) -> int:
    from atlas_lsp.bench.replay import (
        default_rules,
        lens_rules,
        read_pools,
        replay,
        replay_markdown,
        replay_report,
    )
    from atlas_lsp.bench.runner import UnreadableResults
    from lens.records import RECORDS_FILE, UnreadableRecords

    folders = [Path(folder) for folder in args.replay]
    missing = [str(folder) for folder in folders if not (folder / RECORDS_FILE).exists()]
    if missing:
        print(
            f"error: no {RECORDS_FILE} in {', '.join(missing)}: record candidates with --bench ... --record DIR",
            file=sys.stderr,
        )
        return 2
    try:
        pools = read_pools(folders)
    except (UnreadableRecords, UnreadableResults) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not pools:
        print(f"error: no recorded problem in {', '.join(map(str, folders))}", file=sys.stderr)
        return 2
    pool_size = max(len(p.records) for p in pools)
    rules = default_rules(pool_size)
    folds = args.folds or DEFAULT_FOLDS
    compared_with: dict[str, str] = {}
    if all(pool.read for pool in pools):
        from lens.train import fold_lenses

        try:
            lenses = fold_lenses([record for pool in pools for record in pool.records], folds)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        pools = [replace(pool, lens=lenses[pool.records[0].split_key]) for pool in pools]
        with_lens, compared_with = lens_rules(pool_size)
        rules |= with_lens
    elif args.folds:
        print("error: --folds trains the Lens for the replay, and these records hold no readings", file=sys.stderr)
        return 2
    report = replay_report(pools, replay(pools, rules), args.replay, compared_with)
    if pools[0].lens is not None:
        report["lens"] = f"{folds}-fold cross-validation by problem: each problem scored by a Lens trained without it"
    out = Path(args.out or "runs/replay")
    out.mkdir(parents=True, exist_ok=True)
    command = "atlas-lsp " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    (out / "replay.json").write_text(json.dumps({**report, "command": command}, indent=2) + "\n", encoding="utf-8")
    markdown = replay_markdown(report, command)
    (out / "replay.md").write_text(markdown, encoding="utf-8")
    print(markdown, end="")
    print(f"wrote {out}/replay.json and replay.md")
    return 0
