"""The one bridge from synchronous code (the magic, widgets) to the async core.

A private asyncio event loop runs in a daemon thread, as IPython's ``%%script --bg`` does.
Synchronous callers hand it coroutines with :meth:`Runner.submit` and get a
``concurrent.futures.Future`` back; :meth:`Runner.wait` blocks on one and turns
Interrupt Kernel (``KeyboardInterrupt``) into :class:`StoppedWaiting`, leaving the work
running. Because the loop is ours, it behaves the same in ipykernel (whose own loop is
already running a cell) and in terminal IPython (which has none between cells), and no
``nest_asyncio`` patching of the kernel's loop is needed.

Example:
    >>> import asyncio
    >>> runner = Runner()
    >>> async def add(a: int, b: int) -> int:
    ...     await asyncio.sleep(0)
    ...     return a + b
    >>> runner.wait(runner.submit(add(1, 2)))
    3
    >>> runner.close()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import threading
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any, TypeVar

from .errors import StoppedWaiting

T = TypeVar("T")

__all__ = ["Runner", "StoppedWaiting", "get_runner"]


class Runner:
    """A private event loop in a daemon thread, plus shared async resources living on it.

    The thread starts on first use. :meth:`resource` keeps one object per key (one
    ``Client`` per settings), created and closed on the loop.

    Example:
        >>> runner = Runner()
        >>> runner.call(lambda: 41 + 1)
        42
        >>> runner.close()
    """

    def __init__(self, name: str = "hailuo-runner") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._resources: dict[Hashable, Any] = {}
        self._closers: dict[Hashable, Callable[[Any], Coroutine[Any, Any, None]]] = {}

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop (started on first access).

        Example:
            >>> r = Runner(); r.loop.is_running(); r.close()
            True
        """
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._start()
            assert self._loop is not None
            return self._loop

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        # A thread created with threading.Thread starts with an empty contextvars context,
        # so ipykernel 7 attributes what we publish (widget updates, display updates) to the
        # cell running *now*, not to the cell that started the job: headless executors such
        # as nbclient only keep messages parented to the cell they are executing.
        self._thread = threading.Thread(target=run, name=self._name, daemon=True)
        self._thread.start()
        ready.wait()
        self._loop = loop

    def in_loop_thread(self) -> bool:
        """True when called from the runner's own thread (where blocking would deadlock).

        Example:
            >>> Runner().in_loop_thread()
            False
        """
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; returns at once with a thread-safe future.

        Example:
            >>> r = Runner(); f = r.submit(asyncio.sleep(0, "done")); f.result(5); r.close()
            'done'
        """
        loop = self.loop
        future: _Handle[T] = _Handle()

        def start() -> None:
            task = loop.create_task(coro)
            future.task = task

            def done(t: asyncio.Task[T]) -> None:
                if future.cancelled():
                    return
                if t.cancelled():
                    future.cancel()
                elif (exc := t.exception()) is not None:
                    future.set_exception(exc)
                else:
                    future.set_result(t.result())

            task.add_done_callback(done)
            # Cancelling the future from the caller's thread cancels the task.
            future.add_done_callback(
                lambda f: loop.call_soon_threadsafe(task.cancel) if f.cancelled() else None
            )

        # A fresh context, not a copy of the caller's: see the note in _start.
        loop.call_soon_threadsafe(start, context=contextvars.Context())
        return future

    def interrupt(self, future: concurrent.futures.Future[Any]) -> None:
        """Cancel the task behind ``future`` but keep the future for its outcome.

        Unlike ``future.cancel()``, whatever the task does with its cancellation (a submit
        waits for its answer and records it) still reaches ``future``.

        Example:
            >>> r = Runner()
            >>> async def stubborn() -> str:
            ...     try:
            ...         await asyncio.sleep(10)
            ...     except asyncio.CancelledError:
            ...         return "recorded"
            ...     return "slept"
            >>> f = r.submit(stubborn()); import time; time.sleep(0.05)
            >>> r.interrupt(f); r.wait(f, timeout=5)
            'recorded'
            >>> r.close()
        """
        task = getattr(future, "task", None)
        if task is not None:
            self.loop.call_soon_threadsafe(task.cancel)

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the loop thread and return its result.

        Example:
            >>> r = Runner(); r.call(lambda: "hi"); r.close()
            'hi'
        """

        async def wrapper() -> T:
            return fn()

        return self.wait(self.submit(wrapper()))

    def wait(self, future: concurrent.futures.Future[T], timeout: float | None = None) -> T:
        """Block until ``future`` is done; Interrupt Kernel raises :class:`StoppedWaiting`.

        The future is *not* cancelled on interrupt: the job it stands for goes on, and its
        live view keeps updating. ``TimeoutError`` when ``timeout`` passes.

        Example:
            >>> r = Runner(); r.wait(r.submit(asyncio.sleep(0.01, 7))); r.close()
            7
        """
        if self.in_loop_thread():
            raise RuntimeError("Runner.wait() called from the runner's own thread")
        deadline = None if timeout is None else self.loop.time() + timeout
        try:
            while True:
                # Short slices keep the main thread responsive to SIGINT on every platform.
                try:
                    return future.result(timeout=0.1)
                except concurrent.futures.TimeoutError:
                    if deadline is not None and self.loop.time() >= deadline:
                        raise TimeoutError("timed out waiting") from None
        except KeyboardInterrupt:
            raise StoppedWaiting() from None

    def resource(
        self,
        key: Hashable,
        factory: Callable[[], Awaitable[T]],
        closer: Callable[[T], Coroutine[Any, Any, None]],
    ) -> T:
        """The object kept under ``key``, created on the loop by ``factory`` on first use.

        ``closer`` runs on the loop at :meth:`close`. Used for one shared ``Client`` per
        settings, so that all cells share its request budget and concurrency limit.

        Example:
            >>> r = Runner()
            >>> async def make() -> list[int]:
            ...     return []
            >>> async def close(x: list[int]) -> None:
            ...     pass
            >>> r.resource("k", make, close) is r.resource("k", make, close)
            True
            >>> r.close()
        """
        with self._lock:
            if key in self._resources:
                return self._resources[key]  # type: ignore[no-any-return]

        async def create() -> T:
            return await factory()

        value = self.wait(self.submit(create()))
        with self._lock:
            if key in self._resources:  # another thread won the race: keep theirs
                self.submit(closer(value))
                return self._resources[key]  # type: ignore[no-any-return]
            self._resources[key] = value
            self._closers[key] = closer
        return value

    def resources(self) -> list[Any]:
        """The shared resources created so far.

        Example:
            >>> Runner().resources()
            []
        """
        with self._lock:
            return list(self._resources.values())

    def close(self, timeout: float = 5.0) -> None:
        """Close the shared resources, cancel what is left and stop the thread.

        Example:
            >>> r = Runner(); r.call(lambda: None); r.close(); r.close()
        """
        with self._lock:
            loop, thread = self._loop, self._thread
            items = [(self._resources[k], self._closers[k]) for k in self._resources]
            self._resources.clear()
            self._closers.clear()
            self._loop = self._thread = None
        if loop is None or loop.is_closed():
            return

        async def shutdown() -> None:
            for value, closer in items:
                # Closing must go on for the others whatever one of them raises.
                with contextlib.suppress(Exception):
                    await closer(value)
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        # A stuck closer must not block the kernel's shutdown.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout)
        if not loop.is_running():
            loop.close()


class _Handle(concurrent.futures.Future[T]):
    """A thread-safe future that knows its task (for :meth:`Runner.interrupt`)."""

    task: asyncio.Task[T] | None = None


_default: Runner | None = None
_default_lock = threading.Lock()


def get_runner() -> Runner:
    """The process-wide runner shared by the magic and the widgets.

    Example:
        >>> get_runner() is get_runner()
        True
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = Runner()
        return _default
