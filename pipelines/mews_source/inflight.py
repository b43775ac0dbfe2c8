"""How many requests to keep in flight: enough to hide the server's latency, and no more.

A request waiting for its answer costs nothing here; one being read, parsed and shaped
competes for the cores (and the GIL) with every other. Against the real API a page takes
about a second to come back, and `concurrency` requests in flight are what keeps the rate
budget used. Against a server that answers within milliseconds (a fast link, the loopback
simulator) the same ten requests only make ten threads fight over two cores: a 200k
backfill on a 2-core machine took 13.5 s with 10 in flight and 11.2 s with 2 (median of 3).

Little's law gives the number that keeps every core busy and no more:
cores x (wait + work) / work, where `wait` is the time until the answer's headers arrive
and `work` the time from there to a parsed page. Both are smoothed over recent requests.
"""

import os
import threading

SMOOTHING = 0.2  # weight of the newest request in the running averages


class InFlightTarget:
    """Suggests how many requests to keep in flight, from how the recent ones spent their time."""

    def __init__(self, ceiling: int, cores: int | None = None) -> None:
        self.ceiling = max(1, ceiling)
        self.cores = max(1, cores or usable_cores())
        self._wait_s: float | None = None
        self._work_s: float | None = None
        self._lock = threading.Lock()

    def record(self, wait_s: float, work_s: float) -> None:
        """One answered request: seconds until its headers, seconds from there to a page."""
        with self._lock:
            self._wait_s = _smoothed(self._wait_s, max(0.0, wait_s))
            self._work_s = _smoothed(self._work_s, max(0.0, work_s))

    def __call__(self) -> int:
        """The ceiling until requests were measured, then enough to keep the cores busy."""
        wait_s, work_s = self._wait_s, self._work_s
        if wait_s is None or not work_s:
            return self.ceiling
        wanted = round(self.cores * (wait_s + work_s) / work_s)
        return max(1, min(self.ceiling, wanted))


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _smoothed(average: float | None, sample: float) -> float:
    return sample if average is None else average + SMOOTHING * (sample - average)
