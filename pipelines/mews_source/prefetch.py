"""Fetch planned windows in the background and hand their pages out load by load.

dlt extracts, normalizes and loads one step after the other, so a backfill loaded in one
piece leaves the API idle while DuckDB merges it all at the end. The runner loads a long
backfill in parts instead; between two parts this fetcher keeps its requests in flight
(up to a bounded buffer), so the rate budget is used while the previous part loads and
only the last part's load remains after the last request.

It also says which planned windows are wholly handed out, so a part's state can advance
over exactly those, whatever order the pages arrived in, and how far each window was surely
settled: the server may still stamp changes after the moment its time had surely reached
when the window was first requested, so state never moves past that (`settled`).

Closing does not wait for requests in flight: one may take the client's whole timeout, and
a stopped run (SIGTERM, Ctrl-C) must end within seconds. Their answers are dropped.
"""

import queue
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from mews_source.clock import ServerClock
from mews_source.fetching import Shape, fetch_task
from mews_source.paging import Post
from mews_source.windows import Outcome, WindowTask, next_tasks

BUFFER_PAGES = 10  # pages fetched ahead of the consumer: ~1-2 MB of Arrow each
PUT_POLL_S = 0.1


@dataclass(frozen=True)
class WindowDone:
    """Every page of planned window `root` precedes this marker in the queue."""

    root: int


@dataclass(frozen=True)
class Failed:
    """The fetch stopped on this error; the consumer raises it."""

    error: BaseException


END = object()


class _Workers:
    """Daemon threads that run submitted fetches; unlike `ThreadPoolExecutor`'s, an abandoned
    request in flight never holds the process at exit."""

    def __init__(self, count: int) -> None:
        self._calls: queue.SimpleQueue[tuple[Future[Outcome], Callable[[], Outcome]] | None]
        self._calls = queue.SimpleQueue()
        self._count = count
        for n in range(count):
            threading.Thread(target=self._work, name=f"mews-fetch_{n}", daemon=True).start()

    def submit(self, call: Callable[[], Outcome]) -> "Future[Outcome]":
        future: Future[Outcome] = Future()
        self._calls.put((future, call))
        return future

    def stop(self) -> None:
        """Each thread ends after its current call; calls not started are cancelled."""
        for _ in range(self._count):
            self._calls.put(None)

    def _work(self) -> None:
        while (entry := self._calls.get()) is not None:
            future, call = entry
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as exc:  # the dispatcher raises it from future.result()
                future.set_exception(exc)


class WindowFetcher:
    """Runs `tasks` (and their follow-ups) on a thread pool from the moment it is built."""

    def __init__(
        self,
        post: Post,
        result_key: str,
        tasks: list[WindowTask],
        shape: Shape,
        concurrency: int,
        buffer_pages: int = BUFFER_PAGES,
        clock: ServerClock | None = None,
    ) -> None:
        self.tasks = [replace(task, root=index) for index, task in enumerate(tasks)]
        self.window_done = [False] * len(self.tasks)  # every page of the window handed out
        # Per window, the whole second the server's time had surely reached at its first request.
        self.settled: list[datetime | None] = [None] * len(self.tasks)
        self.done = False  # every window handed out
        self.stopped = False  # done, or stopped by an error
        self._post = post
        self._result_key = result_key
        self._shape = shape
        self._concurrency = max(1, concurrency)
        self._clock = clock or ServerClock()  # on which `settled` is judged
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, buffer_pages))
        self._held: Any = None
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._dispatch, name="mews-dispatch", daemon=True)
        self._thread.start()

    def take(self, enough: Callable[[], bool] | None = None) -> Iterator[Any]:
        """Shaped items as pages arrive, until the end or until `enough()` after a page."""
        while not self.stopped:
            entry = self._next()
            if isinstance(entry, list):
                yield from entry
                if enough is not None and enough():
                    break
        self._note_ready_markers()

    def ready(self) -> bool:
        """Whether a page (or the end) is fetched and waiting to be taken."""
        return self.stopped or self._held is not None or not self._queue.empty()

    def close(self) -> None:
        """Stop fetching: cancel what is queued, let requests in flight end, free the buffer."""
        self._closing.set()
        while self._thread.is_alive():
            self._drain()
            self._thread.join(timeout=PUT_POLL_S)
        self._drain()

    def _next(self) -> Any:
        """The next entry, held or queued; notes markers and the end, raises the fetch's error."""
        entry = self._held if self._held is not None else self._queue.get()
        self._held = None
        if isinstance(entry, WindowDone):
            self.window_done[entry.root] = True
        elif isinstance(entry, Failed):
            self.stopped = True
            raise entry.error
        elif entry is END:
            self.done = self.stopped = True
        return entry

    def _note_ready_markers(self) -> None:
        """Take markers already queued behind the last page, so state covers their windows."""
        while self._held is None and not self.stopped:
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(entry, WindowDone):
                self.window_done[entry.root] = True
            elif entry is END:
                self.done = self.stopped = True
            else:
                self._held = entry  # a page or a failure: the next part's first entry

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def _put(self, entry: Any) -> bool:
        """Queue an entry, waiting while the buffer is full; False once closing."""
        while not self._closing.is_set():
            try:
                self._queue.put(entry, timeout=PUT_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _dispatch(self) -> None:
        workers = _Workers(self._concurrency)
        try:
            self._run(workers)
            self._put(END)
        except BaseException as exc:  # handed to the consumer's thread, raised there
            self._put(Failed(exc))
        finally:
            workers.stop()

    def _run(self, workers: _Workers) -> None:
        """Keep `concurrency` requests in flight; a window's follow-ups go before new windows."""
        backlog = deque(self.tasks)
        open_tasks = Counter(task.root for task in self.tasks)
        running: dict[Future[Outcome], WindowTask] = {}
        while (backlog or running) and not self._closing.is_set():
            limit = self._concurrency
            while backlog and len(running) < limit:
                task = backlog.popleft()
                if self.settled[task.root] is None:
                    self.settled[task.root] = self._clock.earliest().replace(microsecond=0)
                call = partial(fetch_task, self._post, self._result_key, task, self._shape)
                running[workers.submit(call)] = task
            # Wake now and then: closing must not wait for an answer.
            answered, _ = wait(running, timeout=PUT_POLL_S, return_when=FIRST_COMPLETED)
            for future in answered:
                task = running.pop(future)
                outcome = future.result()
                # The freed slot goes to this task's own follow-up; only the rest are spare.
                spare = limit - len(running) - len(backlog) - 1
                follow = [*outcome.retry_as, *next_tasks(task, outcome, spare)]
                backlog.extendleft(reversed(follow))
                open_tasks[task.root] += len(follow) - 1
                if outcome.items and not self._put(outcome.items):
                    return
                if open_tasks[task.root] == 0 and not self._put(WindowDone(task.root)):
                    return
