"""The job registry: one job per target, each cancellable, all stoppable at shutdown."""

from __future__ import annotations

import asyncio

import pytest

from atlas_lsp.jobs import AlreadyRunning, JobKey, JobRegistry

KEY = JobKey("file:///a.py", "add")


async def test_second_job_for_the_same_target_is_refused() -> None:
    jobs = JobRegistry()
    release = asyncio.Event()
    jobs.start(KEY, release.wait)
    with pytest.raises(AlreadyRunning):
        jobs.start(KEY, release.wait)
    release.set()


async def test_jobs_for_different_targets_run_together() -> None:
    jobs = JobRegistry()
    release = asyncio.Event()
    first = jobs.start(KEY, release.wait)
    second = jobs.start(JobKey("file:///a.py", "sub"), release.wait)
    release.set()
    await asyncio.gather(first, second)


async def test_target_is_free_again_once_its_job_ends() -> None:
    async def quick() -> None:
        return None

    jobs = JobRegistry()
    await jobs.start(KEY, quick)
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    assert not jobs.is_running(KEY)


async def test_target_is_free_again_once_its_job_is_cancelled() -> None:
    jobs = JobRegistry()
    task = jobs.start(KEY, asyncio.Event().wait)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert not jobs.is_running(KEY)


async def test_cancel_all_stops_every_job() -> None:
    jobs = JobRegistry()
    tasks = [jobs.start(JobKey("file:///a.py", name), asyncio.Event().wait) for name in ("f", "g")]
    await jobs.cancel_all()
    assert all(task.cancelled() for task in tasks)


async def test_cancel_on_a_progress_token_cancels_the_job_bound_to_it() -> None:
    jobs = JobRegistry()
    job = asyncio.get_running_loop().create_task(asyncio.Event().wait())
    with jobs.cancellable_by("atlas-1", job):
        jobs.cancel_by_progress_token("atlas-1")
    with pytest.raises(asyncio.CancelledError):
        await job


async def test_cancel_on_a_token_of_no_running_job_is_ignored() -> None:
    jobs = JobRegistry()
    job = asyncio.get_running_loop().create_task(asyncio.Event().wait())
    with jobs.cancellable_by("atlas-1", job):
        pass
    jobs.cancel_by_progress_token("atlas-1")
    jobs.cancel_by_progress_token("atlas-unknown")
    await asyncio.sleep(0)
    assert not job.cancelled()
    job.cancel()


async def test_cancel_while_the_job_waits_on_the_user_is_answered_instead() -> None:
    jobs = JobRegistry()
    answers: list[str] = []
    waiting, release = asyncio.Event(), asyncio.Event()

    async def reviewed() -> None:
        with jobs.answering_cancel_with(lambda: answers.append("too late")):
            waiting.set()
            await release.wait()

    job = jobs.start(KEY, reviewed)
    with jobs.cancellable_by("atlas-1", job):
        await waiting.wait()
        jobs.cancel_by_progress_token("atlas-1")
        release.set()
        await job
        assert answers == ["too late"]
