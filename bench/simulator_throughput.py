"""Throughput of the Mews simulator: start it with 1M reservations in its own process and page
through everything (Count 1000, 3-month UpdatedUtc windows) with httpx + orjson.

    .venv/bin/python bench/simulator_throughput.py --reservations 1000000
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/connector/v1/reservations/getAll/2023-06-06"


class PeakRss:
    """Samples a process's resident memory in a thread and keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            time.sleep(0.2)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def start_simulator(
    reservations: int, seed: int
) -> tuple[subprocess.Popen[bytes], PeakRss, dict[str, Any], float]:
    """Launch `python -m mews_simulator`; return it, its RSS sampler, info line and startup s."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "pipelines")}
    command = [
        sys.executable, "-m", "mews_simulator", "--port", "0", "--reservations", str(reservations),
        "--orders", "1000", "--enterprises", "3", "--seed", str(seed), "--rate-limit", "1000000",
    ]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    rss = PeakRss(proc.pid)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("simulator exited before printing its connection line")
    return proc, rss, orjson.loads(line), time.perf_counter() - started


def windows(history_days: int) -> list[tuple[str, str]]:
    """Contiguous [start, end) UpdatedUtc windows of 3 months covering the whole history."""
    end = datetime.now(UTC) + timedelta(seconds=1)
    start = end - timedelta(days=history_days + 1)
    bounds = []
    while start < end:
        stop = min(_add_3_months(start), end)
        bounds.append((start.isoformat().replace("+00:00", "Z"), stop.isoformat()))
        start = stop
    return bounds


def _add_3_months(moment: datetime) -> datetime:
    month = moment.month + 3
    year, month = moment.year + (month - 1) // 12, (month - 1) % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def page_through(info: dict[str, Any], history_days: int) -> tuple[int, int, int, float]:
    """Walk every window page by page; return (pages, items, bytes, seconds)."""
    auth = {
        "ClientToken": info["client_token"],
        "AccessToken": info["portfolio_token"],
        "Client": "simulator-bench 1.0",
    }
    pages = items = size = 0
    started = time.perf_counter()
    with httpx.Client(base_url=info["url"], timeout=60) as client:
        for start, end in windows(history_days):
            cursor = None
            while True:
                body = {**auth, "UpdatedUtc": {"StartUtc": start, "EndUtc": end},
                        "Limitation": {"Count": 1000, "Cursor": cursor}}  # fmt: skip
                response = client.post(PATH, content=orjson.dumps(body))
                response.raise_for_status()
                page = orjson.loads(response.content)
                pages += 1
                items += len(page["Reservations"])
                size += len(response.content)
                cursor = page["Cursor"]
                if cursor is None:
                    break
    return pages, items, size, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reservations", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    proc, rss, info, startup = start_simulator(args.reservations, args.seed)
    try:
        pages, items, size, seconds = page_through(info, history_days=730)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        peak = rss.stop()
    if items != args.reservations:
        raise SystemExit(f"expected {args.reservations} reservations, paged {items}")
    rows = [
        ("reservations", f"{items:,}"),
        ("startup (s)", f"{startup:.1f}"),
        ("pages", f"{pages:,}"),
        ("paging time (s)", f"{seconds:.1f}"),
        ("pages/s", f"{pages / seconds:.1f}"),
        ("reservations/s", f"{items / seconds:,.0f}"),
        ("MB/s", f"{size / seconds / 1e6:.1f}"),
        ("simulator peak RSS (MB)", f"{peak / 1e6:,.0f}"),
    ]
    for name, value in rows:
        print(f"{name:<26}{value:>14}")


if __name__ == "__main__":
    main()
