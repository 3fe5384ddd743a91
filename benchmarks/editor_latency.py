"""Editor latency: how long Solve and Repair keep a user waiting, measured through the real server.

The benchmark is an editor: it starts `atlas-lsp` on stdio, initializes it with the settings as
initialization options (and answers `workspace/configuration` with the same), opens each fixture's
file, asks for code actions at its `def` line, executes the Solve or Repair command, follows the
job's `$/progress`, answers the server's `workspace/applyEdit` with applied=true and applies the
edit to its own copy of the document (then tells the server with `didChange`, as editors do). A
job's time runs from sending `workspace/executeCommand` to receiving the edit (or to the progress
`end`, when no edit comes). The edited file then runs the fixture's hidden checks in a fresh
interpreter; the server never sees them.

Where the time went comes from the server's output log: each job logs a `usage` line with the
engine's own figures (tokens per stage; prefill and decode seconds from the embedded decoder;
sandbox wall seconds). What they leave of the job's time is `other` (protocol, workspace context,
prompt building, tokenizing, waiting between stages).

Fixtures: benchmarks/fixtures/editor_latency (manifest.toml and one workspace folder each). Before
the fixtures, one tiny Solve loads the model, so no fixture pays for loading it.

    python benchmarks/editor_latency.py [--model small|default] [--only solve|repair|bad-input]
                                        [--limit N] [--out DIR] [--job-timeout SECONDS]

writes DIR/editor_latency-<model>.json and .md (DIR defaults to benchmarks/results).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import collections
import contextlib
import hashlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.protocol import default_converter

from atlas_lsp.features.commands import APPLY_ANYWAY
from atlas_lsp.features.usage import USAGE_MARKER
from engine.runtime.embedded import llama_build

REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURES = REPOSITORY / "benchmarks" / "fixtures" / "editor_latency"
MANIFEST = FIXTURES / "manifest.toml"
RESULTS = REPOSITORY / "benchmarks" / "results"
ACTIONS = ("solve", "repair", "bad-input")
COMMAND_TITLES = {"solve": "ATLAS: Solve", "repair": "ATLAS: Repair", "bad-input": "ATLAS: Repair"}
CHECK_SECONDS = 10.0
"""Wall-time limit of one fixture's hidden checks: every check is a handful of small calls."""
PROJECT_MARKER = "pyproject.toml"
"""Written into each fixture's copy, so the server takes the folder for the function's project (its
index, its neighbouring tests) as it does for a file opened outside any workspace folder."""
WARMUP_STUB = '''def double(n: int) -> int:
    """Return twice n.

    >>> double(4)
    8
    """
'''
STARTING_SECONDS = 30.0
"""How long a command may take to show its job's progress, and a cancelled job to end."""
SHARED_MACHINE_CORES = 0.2
"""Other processes' CPU use, in cores, above which the machine counts as shared during the run."""


# ---------------------------------------------------------------- fixtures


class FixtureError(ValueError):
    """The manifest or a workspace folder is not what the benchmark needs; the message says where."""


@dataclass(frozen=True)
class Fix:
    """The replacement that undoes a repair fixture's planted bug: `find` occurs once in its file."""

    find: str
    replace: str


@dataclass(frozen=True)
class Fixture:
    id: str
    action: str
    file: str
    function: str
    checks: str
    reference: str = ""
    fix: Fix | None = None
    bug_shows_in: str | None = None
    problem: str = ""
    extra_files: dict[str, str] = field(default_factory=dict)

    @property
    def workspace(self) -> Path:
        return FIXTURES / "workspace" / self.id

    @property
    def command_title(self) -> str:
        return COMMAND_TITLES[self.action]

    def source(self) -> str:
        """The file the server is asked about, as the fixture gives it (the stub, the buggy function)."""
        return (self.workspace / self.file).read_text()

    def fixed_source(self) -> str:
        """A repair fixture's file with its planted bug undone."""
        if self.fix is None:
            raise FixtureError(f"{self.id}: only repair fixtures have a fix")
        source = self.source()
        if source.count(self.fix.find) != 1:
            raise FixtureError(f"{self.id}: the fix's find text occurs {source.count(self.fix.find)} times, not once")
        return source.replace(self.fix.find, self.fix.replace)

    def materialize(self, root: Path) -> Path:
        """Copy the workspace (and extra files) into root/<id> as a project of its own; returns the file."""
        project = root / self.id
        shutil.copytree(self.workspace, project)
        for name, text in self.extra_files.items():
            (project / name).write_text(text)
        (project / PROJECT_MARKER).write_text(f'[project]\nname = "{self.id.replace("_", "-")}"\n')
        # The sandbox reads the project as another user.
        for path in (project, *project.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        return project / self.file


def load_fixtures(manifest: Path = MANIFEST) -> list[Fixture]:
    with manifest.open("rb") as file:
        entries = tomllib.load(file).get("fixture", [])
    fixtures = [_fixture_of(entry) for entry in entries]
    ids = [fixture.id for fixture in fixtures]
    if duplicates := sorted({name for name in ids if ids.count(name) > 1}):
        raise FixtureError(f"fixture ids used twice: {', '.join(duplicates)}")
    return fixtures


def _fixture_of(entry: dict[str, Any]) -> Fixture:
    name = entry.get("id", "<no id>")
    try:
        fix = entry.get("fix")
        fixture = Fixture(
            id=entry["id"],
            action=entry["action"],
            file=entry["file"],
            function=entry["function"],
            checks=entry["checks"],
            reference=entry.get("reference", ""),
            fix=Fix(fix["find"], fix["replace"]) if fix else None,
            bug_shows_in=entry.get("bug_shows_in"),
            problem=entry.get("problem", ""),
            extra_files=dict(entry.get("extra_files", {})),
        )
    except (KeyError, TypeError) as error:
        raise FixtureError(f"{name}: missing or malformed field {error}") from error
    if fixture.action not in ACTIONS:
        raise FixtureError(f"{name}: action {fixture.action!r} is not one of {', '.join(ACTIONS)}")
    if fixture.action == "solve" and not fixture.reference.strip():
        raise FixtureError(f"{name}: a solve fixture needs a reference solution")
    if fixture.action == "repair" and (fixture.fix is None or fixture.bug_shows_in not in ("doctest", "test")):
        raise FixtureError(f"{name}: a repair fixture needs a fix and bug_shows_in = 'doctest' or 'test'")
    if fixture.action == "bad-input" and not fixture.problem:
        raise FixtureError(f"{name}: a bad-input fixture says what its problem is")
    if not (fixture.workspace / fixture.file).is_file():
        raise FixtureError(f"{name}: {fixture.workspace / fixture.file} does not exist")
    return fixture


def select_fixtures(fixtures: Sequence[Fixture], only: str | None, limit: int | None) -> list[Fixture]:
    """The fixtures of `only` (every action when None), at most `limit` of each action, in manifest order."""
    chosen: list[Fixture] = []
    for action in ACTIONS if only is None else (only,):
        of_action = [fixture for fixture in fixtures if fixture.action == action]
        chosen += of_action if limit is None else of_action[:limit]
    return chosen


def def_line(source: str, function: str) -> int:
    """The 0-based line of `def function(`: where an editor's cursor sits to ask for actions."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            return node.lineno - 1
    raise FixtureError(f"no function {function} in the source")


# ---------------------------------------------------------------- hidden checks


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    detail: str = ""
    """Why not: the last line of the error, or the time limit."""


def run_checks(code: str, checks: str, folder: Path, timeout: float = CHECK_SECONDS) -> CheckOutcome:
    """Run `code` then `checks` in a fresh interpreter in `folder` (its modules importable)."""
    try:
        run = subprocess.run(
            [sys.executable, "-c", f"{code}\n\n{checks}\n"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return CheckOutcome(False, f"timed out after {timeout:g} s")
    if run.returncode == 0:
        return CheckOutcome(True)
    lines = run.stderr.strip().splitlines()
    return CheckOutcome(False, lines[-1] if lines else f"exit status {run.returncode}")


# ---------------------------------------------------------------- the editor


@dataclass
class Document:
    text: str
    version: int


@dataclass
class JobWatch:
    """What the editor saw of one job, with the monotonic time of each milestone."""

    title: str
    started: float
    token: str | None = None
    progress_at: float | None = None
    edit_at: float | None = None
    ended_at: float | None = None
    end_message: str = ""
    reports: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    """Questions the server put before applying (code that fails an example), each answered "Apply anyway"."""
    logged: list[str] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    timed_out: bool = False
    has_token: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


def _converter():
    converter = default_converter()

    # lsprotocol reads any code action carrying a command as a bare Command; a CodeAction's command is
    # an object, a Command's is the command id.
    def command_or_code_action(value: dict, _: type) -> types.Command | types.CodeAction:
        if isinstance(value.get("command"), str):
            return converter.structure(value, types.Command)
        return converter.structure(value, types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], command_or_code_action)  # noqa: UP007
    return converter


class EditorClient(LanguageClient):
    """The editor side of the protocol, holding its own copy of each open document."""

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__("atlas-editor-latency", "1", converter_factory=_converter)
        self.settings = settings
        self.documents: dict[str, Document] = {}
        self.watch: JobWatch | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        handlers: dict[str, Callable[[Any], Any]] = {
            types.WINDOW_WORK_DONE_PROGRESS_CREATE: self._create_progress,
            types.PROGRESS: self._progress,
            types.WORKSPACE_APPLY_EDIT: self._apply_edit,
            types.WORKSPACE_CONFIGURATION: self._configuration,
            types.WINDOW_SHOW_MESSAGE: self._show_message,
            types.WINDOW_SHOW_MESSAGE_REQUEST: self._show_message_request,
            types.WINDOW_LOG_MESSAGE: self._log_message,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: lambda params: None,
            types.CLIENT_REGISTER_CAPABILITY: lambda params: None,
        }
        for method, handler in handlers.items():
            self.feature(method)(_as_function(handler))

    async def start(self, command: Sequence[str], cwd: Path) -> None:
        await self.start_io(*command, cwd=cwd)
        assert self._server is not None and self._server.stderr is not None
        # Nobody else reads the server's stderr; a full pipe would stop the server mid-job.
        self._async_tasks.append(asyncio.create_task(self._drain(self._server.stderr)))
        await self.initialize_async(
            types.InitializeParams(
                capabilities=editor_capabilities(),
                client_info=types.ClientInfo(name="atlas-editor-latency"),
                initialization_options=self.settings,
                process_id=os.getpid(),
            )
        )
        self.initialized(types.InitializedParams())

    async def close(self) -> None:
        await self.shutdown_async(None)
        self.exit(None)
        await self.stop()

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.stderr_tail.append(line.decode(errors="replace").rstrip())

    # What the editor does

    def open(self, path: Path) -> str:
        uri = path.as_uri()
        self.documents[uri] = Document(path.read_text(), 1)
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, self.documents[uri].text))
        )
        return uri

    def close_document(self, uri: str) -> None:
        self.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        del self.documents[uri]

    async def action_titled(self, uri: str, line: int, title: str) -> types.CodeAction | None:
        position = types.Position(line, 0)
        actions = await self.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri),
                range=types.Range(position, position),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        return next((a for a in actions or [] if isinstance(a, types.CodeAction) and a.title == title), None)

    async def run_command(self, action: types.CodeAction, timeout: float) -> JobWatch:
        """Execute the action's command and follow its job to the end (cancelling it after `timeout`)."""
        assert action.command is not None
        watch = self.watch = JobWatch(title=action.title, started=time.monotonic())
        await self.workspace_execute_command_async(
            types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
        )
        try:
            # A command that starts no job (the file does not parse, a job already runs) only shows a message.
            await asyncio.wait_for(watch.has_token.wait(), STARTING_SECONDS)
            await asyncio.wait_for(watch.ended.wait(), timeout)
        except TimeoutError:
            watch.timed_out = True
            if watch.token is not None:
                self.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=watch.token))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(watch.ended.wait(), STARTING_SECONDS)
        self.watch = None
        return watch

    # What the server asks of the editor

    def _create_progress(self, params: types.WorkDoneProgressCreateParams) -> None:
        if self.watch is not None and self.watch.token is None:
            self.watch.token = str(params.token)
            self.watch.has_token.set()

    def _progress(self, params: types.ProgressParams) -> None:
        watch = self.watch
        if watch is None or str(params.token) != watch.token:
            return
        kind, message = _progress_field(params.value, "kind"), _progress_field(params.value, "message") or ""
        if watch.progress_at is None:
            watch.progress_at = time.monotonic()
        if kind == "report" and message:
            watch.reports.append(message)
        if kind == "end":
            watch.ended_at = time.monotonic()
            watch.end_message = message
            watch.ended.set()

    def _apply_edit(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        arrived = time.monotonic()
        for uri, version, edits in _text_edits_of(params.edit):
            document = self.documents.get(uri)
            if document is None or (version is not None and version != document.version):
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="the document changed")
            document.text = apply_text_edits(document.text, edits)
            document.version += 1
            self.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=document.version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=document.text)],
                )
            )
        if self.watch is not None and self.watch.edit_at is None:
            self.watch.edit_at = arrived
        return types.ApplyWorkspaceEditResult(applied=True)

    def _configuration(self, params: types.ConfigurationParams) -> list[Any]:
        return [self.settings if item.section == "atlas" else None for item in params.items]

    def _show_message(self, params: types.ShowMessageParams) -> None:
        if self.watch is not None:
            self.watch.shown.append(params.message)

    def _show_message_request(self, params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        # A user who asked for the edit takes it to look at it; the hidden checks then judge it.
        if self.watch is not None:
            self.watch.asked.append(params.message)
        return next((a for a in params.actions or [] if a.title == APPLY_ANYWAY), None)

    def _log_message(self, params: types.LogMessageParams) -> None:
        watch = self.watch
        if watch is None:
            return
        prefix, marker, usage = params.message.partition(USAGE_MARKER)
        if marker and prefix.startswith(watch.title):
            watch.usage = json.loads(usage)
        else:
            watch.logged.append(params.message)


def _as_function(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # pygls marks each handler with attributes, which a bound method cannot carry.
    def handle(params: Any) -> Any:
        return handler(params)

    return handle


def _progress_field(value: Any, name: str) -> Any:
    """A field of a progress value, which arrives as JSON (a dict) or as an lsprotocol object."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def editor_capabilities() -> types.ClientCapabilities:
    """What VS Code and Neovim declare that this server reads: versioned edits, work-done progress,
    pulled configuration, code action literals."""
    kinds = [types.CodeActionKind.QuickFix, types.CodeActionKind.Refactor, types.CodeActionKind.RefactorRewrite]
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
            configuration=True,
            did_change_configuration=types.DidChangeConfigurationClientCapabilities(dynamic_registration=False),
        ),
        window=types.WindowClientCapabilities(work_done_progress=True),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=kinds)
                )
            ),
        ),
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
    )


def _text_edits_of(edit: types.WorkspaceEdit) -> list[tuple[str, int | None, list[types.TextEdit]]]:
    found = [
        (
            change.text_document.uri,
            change.text_document.version,
            [e for e in change.edits if isinstance(e, types.TextEdit)],
        )
        for change in edit.document_changes or []
        if isinstance(change, types.TextDocumentEdit)
    ]
    return found + [(uri, None, list(edits)) for uri, edits in (edit.changes or {}).items()]


def apply_text_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions) to `text`, last first, as an editor does."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        before = sum(len(line) for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        return before + len(line.encode("utf-16-le")[: position.character * 2].decode("utf-16-le"))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


# ---------------------------------------------------------------- one job


@dataclass(frozen=True)
class TimeSplit:
    """A job's seconds by where they went; `other` is what the engine's figures leave of the job's
    time. prefill and decode are None when the backend does not time them (an OpenAI server)."""

    prefill: float | None
    decode: float | None
    sandbox: float
    other: float


@dataclass(frozen=True)
class JobRecord:
    fixture: str
    action: str
    seconds: float | None
    """From sending executeCommand to receiving the edit, or to the progress end when no edit came."""
    edited: bool
    passed: bool
    """The hidden checks pass on the edited file (never for a job that changed nothing)."""
    end_message: str
    check_detail: str = ""
    seconds_to_progress: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    time_split: TimeSplit | None = None
    shown: tuple[str, ...] = ()
    usage: dict[str, Any] | None = None
    timed_out: bool = False
    asked: tuple[str, ...] = ()
    """The server asked before applying (the code fails an example); the benchmark answered "Apply anyway"."""


def time_split_of(seconds: float, usage: dict[str, Any] | None) -> TimeSplit | None:
    if usage is None:
        return None
    prefill, decode = usage.get("prefill_seconds"), usage.get("decode_seconds")
    sandbox = float(usage.get("sandbox_seconds") or 0.0)
    accounted = sandbox + (prefill or 0.0) + (decode or 0.0)
    # The sandbox can run while the decoder works on another call, so the parts may overlap a little.
    return TimeSplit(prefill, decode, sandbox, max(0.0, seconds - accounted))


async def run_fixture(client: EditorClient, fixture: Fixture, root: Path, timeout: float) -> JobRecord:
    path = fixture.materialize(root)
    uri = client.open(path)
    try:
        action = await client.action_titled(uri, def_line(path.read_text(), fixture.function), fixture.command_title)
        if action is None:
            return JobRecord(fixture.id, fixture.action, None, False, False, f"{fixture.command_title} not offered")
        watch = await client.run_command(action, timeout)
        edited_text = client.documents[uri].text
    finally:
        client.close_document(uri)
    return _record_of(fixture, path, watch, edited_text)


def _record_of(fixture: Fixture, path: Path, watch: JobWatch, edited_text: str) -> JobRecord:
    finished = watch.edit_at if watch.edit_at is not None else watch.ended_at
    seconds = finished - watch.started if finished is not None else None
    edited = watch.edit_at is not None
    check = run_checks(edited_text, fixture.checks, path.parent) if edited else CheckOutcome(False, "no edit")
    usage = watch.usage
    return JobRecord(
        fixture=fixture.id,
        action=fixture.action,
        seconds=_round(seconds),
        edited=edited,
        passed=check.passed,
        end_message=watch.end_message,
        check_detail=check.detail,
        seconds_to_progress=_round(watch.progress_at - watch.started if watch.progress_at else None),
        tokens_in=usage.get("tokens_in") if usage else None,
        tokens_out=usage.get("tokens_out") if usage else None,
        time_split=time_split_of(seconds, usage) if seconds is not None else None,
        shown=tuple(watch.shown),
        usage=usage,
        timed_out=watch.timed_out,
        asked=tuple(watch.asked),
    )


def outcome_of(record: JobRecord) -> str:
    outcome = outcome_text(record.action, record.edited, record.passed, record.check_detail)
    return f"{outcome} (applied when asked)" if record.asked else outcome


def outcome_text(action: str, edited: bool, passed: bool, check_detail: str) -> str:
    """What a job came to, in a few words: for bad input, whether it changed the file at all."""
    if action == "bad-input":
        return "changed the file" if edited else "file unchanged"
    return "passes" if passed else f"fails: {check_detail}"


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


# ---------------------------------------------------------------- summaries


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile by linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    below = int(rank)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


@dataclass(frozen=True)
class ActionSummary:
    action: str
    jobs: int
    succeeded: int
    success_rate: float
    median_seconds: float | None
    p90_seconds: float | None
    max_seconds: float | None
    tokens_in_median: float | None
    tokens_out_median: float | None
    tokens_in_total: int
    tokens_out_total: int
    time_split_seconds: dict[str, float | None]
    """Seconds per part over the jobs that reported usage."""
    time_split_share: dict[str, float | None]
    """Each part's share of those jobs' seconds."""


def summarize(action: str, records: Sequence[JobRecord]) -> ActionSummary:
    timed = [record.seconds for record in records if record.seconds is not None]
    tokens_in = [record.tokens_in for record in records if record.tokens_in is not None]
    tokens_out = [record.tokens_out for record in records if record.tokens_out is not None]
    succeeded = sum(record.passed for record in records)
    split_seconds, split_share = _time_split_totals(records)
    return ActionSummary(
        action=action,
        jobs=len(records),
        succeeded=succeeded,
        success_rate=round(succeeded / len(records), 3) if records else 0.0,
        median_seconds=_round(statistics.median(timed)) if timed else None,
        p90_seconds=_round(percentile(timed, 0.9)) if timed else None,
        max_seconds=_round(max(timed)) if timed else None,
        tokens_in_median=statistics.median(tokens_in) if tokens_in else None,
        tokens_out_median=statistics.median(tokens_out) if tokens_out else None,
        tokens_in_total=sum(tokens_in),
        tokens_out_total=sum(tokens_out),
        time_split_seconds=split_seconds,
        time_split_share=split_share,
    )


def _time_split_totals(records: Sequence[JobRecord]) -> tuple[dict[str, float | None], dict[str, float | None]]:
    split = [(record.seconds, record.time_split) for record in records if record.time_split and record.seconds]
    parts = ("prefill", "decode", "sandbox", "other")
    total_seconds = sum(seconds for seconds, _ in split)
    totals: dict[str, float | None] = {}
    for part in parts:
        values = [getattr(time_split, part) for _, time_split in split]
        totals[part] = None if not values or None in values else round(sum(values), 3)
    shares = {
        part: round(value / total_seconds, 3) if value is not None and total_seconds else None
        for part, value in totals.items()
    }
    return totals, shares


# ---------------------------------------------------------------- the machine and the run


@dataclass(frozen=True)
class CpuSample:
    """Busy CPU seconds of the whole machine and of this process with its finished children."""

    at: float
    machine_busy: float
    own: float


def sample_cpu() -> CpuSample:
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal: idle and iowait are not work.
    busy = sum(fields[:8]) - fields[3] - fields[4]
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    return CpuSample(time.monotonic(), busy / ticks, own)


def other_load(start: CpuSample, end: CpuSample) -> float:
    """Cores used on average by processes other than the benchmark, the server and their children
    (once they have exited, so take `end` after the server stopped)."""
    wall = end.at - start.at
    others = (end.machine_busy - start.machine_busy) - (end.own - start.own)
    return max(0.0, others / wall) if wall > 0 else 0.0


def machine_load(load_at_start: tuple[float, float, float], cpu_at_start: CpuSample) -> dict[str, Any]:
    """The machine during a run that began with these readings: whether other work shared it."""
    cores = other_load(cpu_at_start, sample_cpu())
    return {
        "cpus": os.cpu_count(),
        "load_average_at_start": list(load_at_start),
        "load_average_at_end": list(os.getloadavg()),
        "other_load_cores": round(cores, 2),
        "shared": cores > SHARED_MACHINE_CORES,
    }


def git(*arguments: str) -> str:
    try:
        return subprocess.run(["git", *arguments], cwd=REPOSITORY, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def fixtures_digest() -> str:
    """sha256 over the manifest and every workspace file: runs to compare must show the same one."""
    digest = hashlib.sha256()
    for path in sorted([MANIFEST, *(FIXTURES / "workspace").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(FIXTURES).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def server_command() -> list[str]:
    """`atlas-lsp` beside this interpreter (the venv's), else the module it runs."""
    script = Path(sys.executable).with_name("atlas-lsp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "atlas_lsp.cli"]


@dataclass
class Run:
    model: str
    settings: dict[str, Any]
    fixtures: list[Fixture]
    job_timeout: float
    records: list[JobRecord] = field(default_factory=list)
    warmup: JobRecord | None = None
    server_stderr_tail: list[str] = field(default_factory=list)


async def run_benchmark(run: Run, root: Path, log: Callable[[str], None]) -> None:
    client = EditorClient(run.settings)
    await client.start(server_command(), root)
    try:
        run.warmup = await _warm_up(client, root, run.job_timeout)
        log(f"warm-up (loads the model): {run.warmup.seconds} s, {run.warmup.end_message}")
        for number, fixture in enumerate(run.fixtures, 1):
            record = await run_fixture(client, fixture, root, run.job_timeout)
            run.records.append(record)
            log(
                f"[{number}/{len(run.fixtures)}] {fixture.action} {fixture.id}: {record.seconds} s, "
                f"{outcome_of(record)}; {record.end_message}"
            )
    finally:
        run.server_stderr_tail = list(client.stderr_tail)
        await client.close()


async def _warm_up(client: EditorClient, root: Path, timeout: float) -> JobRecord:
    warmup = Fixture("warmup", "solve", "warmup.py", "double", "assert double(4) == 8", reference="-")
    folder = root / "warmup"
    folder.mkdir()
    (folder / warmup.file).write_text(WARMUP_STUB)
    (folder / PROJECT_MARKER).write_text('[project]\nname = "warmup"\n')
    for path in (folder, *folder.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    uri = client.open(folder / warmup.file)
    try:
        action = await client.action_titled(uri, 0, warmup.command_title)
        if action is None:
            raise RuntimeError("the server offers no Solve on the warm-up stub")
        watch = await client.run_command(action, timeout)
        edited = client.documents[uri].text
    finally:
        client.close_document(uri)
    return _record_of(warmup, folder / warmup.file, watch, edited)


# ---------------------------------------------------------------- reports


def report_of(run: Run, command: str, started: datetime, load: dict[str, Any], partial: bool) -> dict[str, Any]:
    measured = [action for action in ("solve", "repair") if any(r.action == action for r in run.records)]
    return {
        "what": "Seconds from workspace/executeCommand to the applied edit (or to the progress end when no edit "
        "came) for Solve and Repair through the real server over stdio; success = the fixture's hidden checks pass "
        "on the edited file. Time split from the engine's usage log line of each job.",
        "command": command,
        "started": started.isoformat(timespec="seconds"),
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--", "atlas_lsp", "engine", "sandbox", "lens")),
        "fixtures_commit": git("log", "-1", "--format=%H", "--", str(FIXTURES.relative_to(REPOSITORY))),
        "fixtures_sha256": fixtures_digest(),
        # The server runs in this environment, so it loads this llama.cpp build.
        "runtime_build": llama_build(),
        "partial": partial,
        "model": run.model,
        "settings": run.settings,
        "machine": load,
        "warmup": _plain(run.warmup),
        "actions": {
            action: _plain(summarize(action, [r for r in run.records if r.action == action])) for action in measured
        },
        "bad_input": [_bad_input_row(record, run) for record in run.records if record.action == "bad-input"],
        "jobs": [_plain(record) for record in run.records],
        "server_stderr_tail": run.server_stderr_tail if any(r.seconds is None for r in run.records) else [],
    }


def _bad_input_row(record: JobRecord, run: Run) -> dict[str, Any]:
    fixture = next(fixture for fixture in run.fixtures if fixture.id == record.fixture)
    return {
        "fixture": record.fixture,
        "problem": fixture.problem,
        "changed_the_file": record.edited,
        "seconds": record.seconds,
        "end_message": record.end_message,
        "told": list(record.shown),
    }


def _plain(value: Any) -> Any:
    return asdict(value) if value is not None else None


SPLIT_PARTS = ("prefill", "decode", "sandbox", "other")


def markdown_of(report: dict[str, Any]) -> str:
    lines = [*_header_lines(report), *_action_lines(report["actions"])]
    if report["bad_input"]:
        lines += _bad_input_lines(report["bad_input"])
    lines += _job_lines(report["jobs"])
    return "\n".join(lines) + "\n"


def _header_lines(report: dict[str, Any]) -> list[str]:
    machine = report["machine"]
    changes = " with uncommitted changes" if report["uncommitted_changes"] else ""
    load_start, load_end = machine["load_average_at_start"][0], machine["load_average_at_end"][0]
    return [
        f"# Editor latency: {report['model']} model" + (" (partial run)" if report["partial"] else ""),
        "",
        f"`{report['command']}`",
        "",
        f"Commit {report['commit'][:12]}{changes}, fixtures {report['fixtures_sha256'][:12]}, "
        f"started {report['started']}.",
        f"Machine: {machine['cpus']} CPUs; shared: {'yes' if machine['shared'] else 'no'} (other processes used "
        f"{machine['other_load_cores']:.2f} cores on average; load average {load_start:.2f} at start, "
        f"{load_end:.2f} at end).",
        *([f"Runtime: {report['runtime_build']}."] if report.get("runtime_build") else []),
        f"Settings: `{json.dumps(report['settings'])}`; the warm-up Solve (model load) took "
        f"{_cell((report['warmup'] or {}).get('seconds'))} s.",
        "",
        "Seconds run from `workspace/executeCommand` to the edit (or to the progress end when none came); the last "
        "four columns are each part's share of them.",
        "",
    ]


def _action_lines(actions: dict[str, Any]) -> list[str]:
    lines = [
        "| action | success | median s | p90 s | max s | tokens in (median) | tokens out (median) | "
        + " | ".join(SPLIT_PARTS)
        + " |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for action, summary in actions.items():
        cells = [
            action,
            f"{summary['succeeded']}/{summary['jobs']} ({summary['success_rate']:.0%})",
            *(_cell(summary[key]) for key in ("median_seconds", "p90_seconds", "max_seconds")),
            _cell(summary["tokens_in_median"]),
            _cell(summary["tokens_out_median"]),
            *(_percent(summary["time_split_share"][part]) for part in SPLIT_PARTS),
        ]
        lines.append(_row(cells))
    return lines


def _bad_input_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["", "## Bad input", "", "| fixture | problem | file changed | s | what the user was told |"]
    lines.append("|---|---|---|---|---|")
    for row in rows:
        told = "; ".join([*row["told"], f"progress: {row['end_message']}"])
        changed = "yes" if row["changed_the_file"] else "no"
        lines.append(_row([row["fixture"], row["problem"], changed, _cell(row["seconds"]), told]))
    return lines


def _job_lines(jobs: list[dict[str, Any]]) -> list[str]:
    lines = ["", "## Jobs", "", "| fixture | action | s | outcome | tokens in/out | " + "/".join(SPLIT_PARTS) + " s |"]
    lines[-1] += " progress end |"
    lines.append("|---|---|---|---|---|---|---|")
    for job in jobs:
        split = job["time_split"]
        parts = "/".join(_cell(split[part]) for part in SPLIT_PARTS) if split else "-"
        passes = outcome_text(job["action"], job["edited"], job["passed"], job["check_detail"])
        tokens = f"{_cell(job['tokens_in'])}/{_cell(job['tokens_out'])}"
        lines.append(
            _row([job["fixture"], job["action"], _cell(job["seconds"]), passes, tokens, parts, job["end_message"]])
        )
    return lines


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_escape(cell) for cell in cells) + " |"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# ---------------------------------------------------------------- command line


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("small", "default"), default="small")
    parser.add_argument("--only", choices=ACTIONS, help="one action's fixtures (default: all of them)")
    parser.add_argument("--limit", type=int, help="at most N fixtures of each action")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for editor_latency-<model>.json/.md")
    parser.add_argument("--job-timeout", type=float, default=900.0, help="seconds before a job is cancelled")
    parser.add_argument("--trace", type=Path, help="folder for the server's traces (every prompt and completion)")
    return parser.parse_args(argv)


def server_settings(model: str, trace: Path | None) -> dict[str, Any]:
    """The editor settings the run's client sends: the model, and the trace folder when asked for one."""
    settings: dict[str, Any] = {"model": model}
    if trace is not None:
        settings["traceDir"] = str(trace.resolve())
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    fixtures = select_fixtures(load_fixtures(), arguments.only, arguments.limit)
    run = Run(arguments.model, server_settings(arguments.model, arguments.trace), fixtures, arguments.job_timeout)
    command = shlex.join(["python", *sys.argv]) if argv is None else shlex.join(["python", __file__, *argv])
    started = datetime.now(UTC)
    load_at_start, cpu_at_start = os.getloadavg(), sample_cpu()
    root = Path(tempfile.gettempdir()) / f"atlas-editor-latency-{arguments.model}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(mode=0o755)
    asyncio.run(run_benchmark(run, root, lambda line: print(line, flush=True)))
    load = machine_load(load_at_start, cpu_at_start)
    partial = arguments.only is not None or arguments.limit is not None
    report = report_of(run, command, started, load, partial)
    arguments.out.mkdir(parents=True, exist_ok=True)
    stem = arguments.out / f"editor_latency-{arguments.model}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    stem.with_suffix(".md").write_text(markdown_of(report))
    print(f"wrote {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
