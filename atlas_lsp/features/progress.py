"""Server-initiated work-done progress for a job: begin, reports from engine events, end.

A command never receives the client's `workDoneToken`, so each job creates its own token. The
token's Cancel button is wired to the job's task (`JobRegistry.cancellable_by`): pressing it cancels
the engine call.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from engine.task import Event

if TYPE_CHECKING:
    from atlas_lsp.server import AtlasServer

logger = logging.getLogger(__name__)


class JobProgress:
    """Reports of one job's progress; safe to call from any thread (engine callbacks may come from one)."""

    def __init__(self, server: LanguageServer, token: str | None, loop: asyncio.AbstractEventLoop) -> None:
        self._server = server
        self._token = token
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._percentage = 0
        self.final_message = "Done"
        """What the end notification says; the job sets it to its outcome."""

    def on_event(self, event: Event) -> None:
        done = int(100 * event.done / event.total) if event.total else 0
        # Stages restart their own counts (repair after solve); a progress bar must not move back.
        self._percentage = max(self._percentage, min(done, 100))
        detail = f": {event.message}" if event.message else ""
        tokens = f" ({event.tokens} tokens)" if event.tokens else ""
        self.report(f"{event.stage}{detail}{tokens}", self._percentage)

    def on_model_bytes(self, done: int, total: int) -> None:
        self.report(f"preparing the model: {done / total:.0%}" if total else "preparing the model")

    def report(self, message: str, percentage: int | None = None) -> None:
        if self._token is None:
            return
        value = types.WorkDoneProgressReport(message=message, percentage=percentage, cancellable=True)
        if threading.get_ident() == self._loop_thread:
            self._server.work_done_progress.report(self._token, value)
        else:
            self._loop.call_soon_threadsafe(self._server.work_done_progress.report, self._token, value)


@asynccontextmanager
async def job_progress(server: AtlasServer, title: str) -> AsyncIterator[JobProgress]:
    """Progress for the job running this block; without client support the reports go nowhere."""
    loop = asyncio.get_running_loop()
    job = asyncio.current_task()
    assert job is not None
    token = f"atlas-{uuid.uuid4()}"
    # Bound before the client hears of the token: a Cancel pressed at once, before the client's
    # answer to the create request is read, still finds the job.
    with server.jobs.cancellable_by(token, job):
        if not await _create_token(server, token):
            yield JobProgress(server, None, loop)
            return
        progress = JobProgress(server, token, loop)
        server.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=True, message="starting", percentage=0)
        )
        try:
            yield progress
        except asyncio.CancelledError:
            progress.final_message = "Cancelled"
            raise
        finally:
            server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=progress.final_message))
            del server.work_done_progress.tokens[token]


async def _create_token(server: LanguageServer, token: str) -> bool:
    capabilities = server.client_capabilities.window
    if not (capabilities and capabilities.work_done_progress):
        return False
    try:
        await server.work_done_progress.create_async(token)
    except Exception as error:  # the client may refuse; the job still runs, without a progress bar
        logger.warning("the client refused a progress token: %s", error)
        return False
    return True
