"""The client's live jobs: their latest state, the task following each, and who listens.

:class:`Tracker` is where a job's changes go (``publish``): recorded through the
``record`` callback (the job store), then handed to every :meth:`~Tracker.listen` queue.
It runs one task per job and knows when a job is final. It keeps no provider knowledge;
the :class:`~hailuo_nb.client.Client` decides what a task does.

Example:
    >>> import asyncio
    >>> from hailuo_nb.models import Job
    >>> async def main():
    ...     tracker = Tracker(record=lambda job: None)
    ...     job = Job(id="a", provider="p", model="m")
    ...     tracker.jobs["a"] = job
    ...     queue = tracker.listen("a")
    ...     tracker.publish(Job(id="a", provider="p", model="m", status="completed"))
    ...     return (await queue.get()).status, tracker.is_final("a")
    >>> asyncio.run(main())
    ('completed', True)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .models import Job

__all__ = ["Tracker"]


class Tracker:
    """Live jobs by id, one follow task each, their final events and their listeners.

    ``record(job)`` is called for every change (the client saves it in the store).

    Example: see the module.
    """

    def __init__(self, record: Callable[[Job], None]) -> None:
        self.record = record
        self.jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._final: dict[str, asyncio.Event] = {}
        self._listeners: dict[str, list[asyncio.Queue[Job | None]]] = {}

    def publish(self, job: Job) -> None:
        """A job changed: keep it, record it, tell the listeners (no-op when unchanged).

        Example: see the module.
        """
        if self.jobs.get(job.id) == job:
            return
        self.jobs[job.id] = job
        self.record(job)
        if job.done:
            self.final(job.id).set()
        for queue in self._listeners.get(job.id, []):
            queue.put_nowait(job)

    def final(self, job_id: str) -> asyncio.Event:
        """The event set once the job's follow task has nothing more to do.

        Example: see the module.
        """
        return self._final.setdefault(job_id, asyncio.Event())

    def is_final(self, job_id: str) -> bool:
        """Whether :meth:`final` is set.

        Example: see the module.
        """
        return self.final(job_id).is_set()

    def start(self, job_id: str, run: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run ``run()`` as the job's follow task; listeners end when it ends.

        Example (inside a coroutine)::

            tracker.start(job.id, partial(follower.follow, job.id))
        """
        self.final(job_id)
        task = asyncio.get_running_loop().create_task(self._guard(job_id, run))
        self._tasks[job_id] = task
        return task

    def running(self, job_id: str) -> asyncio.Task[None] | None:
        """The job's follow task while it runs, else None.

        Example: see the module.
        """
        task = self._tasks.get(job_id)
        return task if task is not None and not task.done() else None

    def listen(self, job_id: str) -> asyncio.Queue[Job | None]:
        """A queue that receives every change of the job, then None when following ends.

        Example: see the module.
        """
        queue: asyncio.Queue[Job | None] = asyncio.Queue()
        self._listeners.setdefault(job_id, []).append(queue)
        return queue

    def unlisten(self, job_id: str, queue: asyncio.Queue[Job | None]) -> None:
        """Stop sending changes to ``queue``.

        Example: see the module.
        """
        self._listeners[job_id].remove(queue)

    async def aclose(self) -> None:
        """Cancel every follow task and wait for them to end (the jobs stay resumable).

        Example (inside a coroutine)::

            await tracker.aclose()
        """
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _guard(self, job_id: str, run: Callable[[], Awaitable[None]]) -> None:
        try:
            await run()
        finally:
            # Let every listener end, whatever happened.
            for queue in self._listeners.get(job_id, []):
                queue.put_nowait(None)
            self.final(job_id).set()
