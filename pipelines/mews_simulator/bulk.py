"""Generates large reservation sets in chunks, in worker processes when there are many.

Workers are plain `python -m mews_simulator.bulk` subprocesses (not multiprocessing), so callers
need no `if __name__ == "__main__"` guard and no fork happens in a threaded process.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from mews_simulator.build import Catalog, Job, reservation_chunk
from mews_simulator.config import SimulatorConfig
from mews_simulator.store import Packed, Rec

CHUNK = 25_000
PARALLEL_FROM = 100_000  # below this, starting worker processes costs more than it saves
MAX_WORKERS = 4


def reservation_recs(config: SimulatorConfig, catalog: Catalog, now: int) -> Iterator[Rec]:
    """All seeded reservations, identical whether generated in one process or several."""
    total = config.reservation_count
    jobs = [
        (config, catalog, now, first, min(total, first + CHUNK)) for first in range(0, total, CHUNK)
    ]
    workers = worker_count(len(jobs))
    if total < PARALLEL_FROM or workers < 2:
        for job in jobs:
            yield from map(Rec.unpack, reservation_chunk(job))
        return
    procs = [_start_worker(jobs[w::workers]) for w in range(workers)]
    try:
        for index in range(len(jobs)):
            yield from map(Rec.unpack, _read_chunk(procs[index % workers]))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def worker_count(jobs: int) -> int:
    return min(MAX_WORKERS, os.cpu_count() or 1, jobs)


def _start_worker(jobs: list[Job]) -> subprocess.Popen[bytes]:
    package_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_root, sys.path[0] or "."])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mews_simulator.bulk_worker"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdin is not None
    pickle.dump(jobs, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
    proc.stdin.close()
    return proc


def _read_chunk(proc: subprocess.Popen[bytes]) -> list[Packed]:
    assert proc.stdout is not None
    header = _read_exactly(proc.stdout, 8)
    return pickle.loads(_read_exactly(proc.stdout, int.from_bytes(header, "big")))  # type: ignore[no-any-return]


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise RuntimeError("a data generator process ended early (see its stderr)")
    return data
