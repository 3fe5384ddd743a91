"""Running engine work in the background: at most one job per target, each cancellable on its own.

A job is an asyncio task on the server's event loop. The engine is async throughout (the model
decodes in its own thread, the sandbox in child processes), so a job never blocks the loop and
other requests stay fast while it runs; cancelling the task stops the engine call it awaits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobKey:
    """A target in a document: its qualified function name, or `<module>` for the file's problem."""

    uri: str
    target: str


class AlreadyRunning(Exception):
    pass


class JobRegistry:
    def __init__(self) -> None:
        self._running: dict[JobKey, asyncio.Task[None]] = {}
        self._by_progress_token: dict[str, asyncio.Task[Any]] = {}
        self._cancel_answers: dict[asyncio.Task[Any], Callable[[], None]] = {}

    def start(self, key: JobKey, job: Callable[[], Coroutine[Any, Any, None]]) -> asyncio.Task[None]:
        """Run `job()` as a task; raises AlreadyRunning while another job holds `key`.

        Takes a factory rather than a coroutine so that a refused job is never created.
        """
        if key in self._running:
            raise AlreadyRunning(key)
        task = asyncio.get_running_loop().create_task(job(), name=f"atlas job {key.target} in {key.uri}")
        self._running[key] = task
        task.add_done_callback(lambda finished: self._finished(key, finished))
        return task

    def is_running(self, key: JobKey) -> bool:
        return key in self._running

    @contextmanager
    def cancellable_by(self, token: str, task: asyncio.Task[Any]) -> Iterator[None]:
        """While the block runs, a Cancel pressed on progress `token` cancels `task`."""
        self._by_progress_token[token] = task
        try:
            yield
        finally:
            del self._by_progress_token[token]

    @contextmanager
    def answering_cancel_with(self, answer: Callable[[], None]) -> Iterator[None]:
        """While the block runs, a Cancel pressed on the progress of the job running it calls `answer`
        instead of cancelling the job: for a wait that only the user can end, such as an edit the editor
        holds for review (cancelling the job would not take the edit back)."""
        job = asyncio.current_task()
        assert job is not None
        self._cancel_answers[job] = answer
        try:
            yield
        finally:
            del self._cancel_answers[job]

    def cancel_by_progress_token(self, token: str) -> None:
        """The Cancel button of a progress: a token of no running job (already ended) is ignored."""
        task = self._by_progress_token.get(token)
        if task is None:
            return
        answer = self._cancel_answers.get(task)
        if answer is None:
            task.cancel()
        else:
            answer()

    async def cancel_all(self) -> None:
        """Cancel every job and wait until each has stopped."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(self, key: JobKey, task: asyncio.Task[None]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled() and task.exception() is not None:
            # Jobs report their own failures; this is the last resort for a bug in that reporting.
            logger.error("job %s failed", key, exc_info=task.exception())
