"""The decoder thread wakes the request's caller without ever waiting on the caller's event loop."""

from __future__ import annotations

import asyncio
import threading

import anyio

from engine.runtime.embedded import waker


def _waker_made_on(loop: asyncio.AbstractEventLoop) -> tuple[anyio.Event, object]:
    async def make() -> tuple[anyio.Event, object]:
        done = anyio.Event()
        return done, waker(done)

    return loop.run_until_complete(make())


def _returns_within(call, seconds: float) -> bool:
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


def test_waking_sets_the_event_on_the_running_loop() -> None:
    async def wait_for_a_wake_from_another_thread() -> bool:
        done = anyio.Event()
        threading.Thread(target=waker(done)).start()
        with anyio.move_on_after(5):
            await done.wait()
        return done.is_set()

    assert asyncio.run(wait_for_a_wake_from_another_thread())


def test_waking_a_caller_whose_loop_has_stopped_returns_at_once() -> None:
    loop = asyncio.new_event_loop()
    try:
        _, wake = _waker_made_on(loop)
        assert _returns_within(wake, 5)
    finally:
        loop.close()


def test_waking_a_caller_whose_loop_is_closed_returns_at_once() -> None:
    loop = asyncio.new_event_loop()
    _, wake = _waker_made_on(loop)
    loop.close()
    assert _returns_within(wake, 5)
