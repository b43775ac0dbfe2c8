"""Process plumbing for the backfill benchmark: the simulator process, measured tool runs, truth.

Every tool runs in its own subprocess so its peak RSS (whole process tree, sampled every 0.1 s)
is its own; request and 429 counts come from the simulator's `/_sim/stats`, not from the tool.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import psutil

REPO = Path(__file__).resolve().parent.parent
PIPELINES = REPO / "pipelines"
RESERVATIONS_PATH = "/api/connector/v1/reservations/getAll/2023-06-06"
SAMPLE_S = 0.1
TICK_S = 1.0
START_TIMEOUT_S = 900.0  # 1M reservations took ~270 s to generate on a busy 2-core box
RUN_TIMEOUT_S = 3600.0
# Every reservation document starts with its Id, and nested objects carry no "Id" key.
TRUTH_ID = re.compile(rb'\{"Id":"([^"]{1,64})"')
TRUTH_TAIL = 128


@dataclass(frozen=True)
class SimulatorSpec:
    """Arguments of one `python -m mews_simulator` process."""

    reservations: int
    history_days: int
    rate_limit: int
    rate_window_s: float
    latency_per_item_s: float = 0.0
    enterprises: int = 3
    orders: int = 10
    seed: int = 42

    def argv(self) -> list[str]:
        return [
            *("--port", "0", "--seed", str(self.seed), "--enterprises", str(self.enterprises)),
            *("--reservations", str(self.reservations), "--orders", str(self.orders)),
            *("--history-days", str(self.history_days), "--latency", "0"),
            *("--latency-per-item", str(self.latency_per_item_s)),
            *("--rate-limit", str(self.rate_limit), "--rate-window", str(self.rate_window_s)),
        ]


@dataclass(frozen=True)
class Measured:
    """One tool run: exit code, wall time, peak RSS of its process tree and its output."""

    returncode: int
    started: float  # time.monotonic() at launch
    wall_s: float
    peak_rss_bytes: int
    stdout: str
    stderr: str


class SimulatorProcess:
    """A running simulator subprocess: its URL and tokens, stats and ground truth."""

    def __init__(self, spec: SimulatorSpec, log_path: Path) -> None:
        self.spec = spec
        self._log = log_path.open("wb")
        started = time.monotonic()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "mews_simulator", *spec.argv()],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(PIPELINES)},
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        try:
            self.info = _first_line(self._proc, START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - started
        self.url: str = self.info["url"]
        self._http = httpx.Client(base_url=self.url, timeout=600.0)

    def wait_for_whole_budget(self) -> None:
        """Sleep out one rate window, so the next run starts with each token's whole budget.

        A new process cannot know what the run before it spent of a token's budget: run back
        to back at 200 / 30 s, the second met 2-4 x 429 in its first 30 s (an hourly run
        starts with the budget whole).
        """
        time.sleep(self.spec.rate_window_s + 1.0)

    def stats(self) -> dict[str, Any] | None:
        """Request counts by path and status, or None when the admin route fails."""
        try:
            response = self._http.get("/_sim/stats")
            response.raise_for_status()
            return dict(response.json())
        except httpx.HTTPError:
            return None

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the simulator process has used so far."""
        times = psutil.Process(self._proc.pid).cpu_times()
        return float(times.user + times.system)

    def mutate(self, **args: Any) -> dict[str, Any]:
        """Change records now, as `/_sim/mutate` does (fraction, create, seed)."""
        response = self._http.post("/_sim/mutate", json=args)
        response.raise_for_status()
        return dict(response.json())

    def truth(self, kind: str) -> list[dict[str, Any]]:
        """Every record of `kind` (a table name) the simulator holds, as JSON documents."""
        response = self._http.get(f"/_sim/truth/{kind}")
        response.raise_for_status()
        return list(response.json())

    def truth_ids(self) -> list[str]:
        """Ids of every reservation the simulator holds, read from a streamed truth dump."""
        ids: list[str] = []
        tail = b""
        with self._http.stream("GET", "/_sim/truth/reservations") as response:
            response.raise_for_status()
            for chunk in response.iter_bytes(1 << 20):
                buffer = tail + chunk
                # A match starting before the cutoff is complete (an id is far shorter than the
                # tail); one starting later is kept in the tail and found in the next buffer.
                cutoff = max(0, len(buffer) - TRUTH_TAIL)
                ids.extend(
                    m.group(1).decode() for m in TRUTH_ID.finditer(buffer) if m.start() < cutoff
                )
                tail = buffer[cutoff:]
        ids.extend(m.group(1).decode() for m in TRUTH_ID.finditer(tail))
        return ids

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if hasattr(self, "_http"):
            self._http.close()
        self._log.close()

    def __enter__(self) -> "SimulatorProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LastRequestClock:
    """Polled once a second: when the simulator's request count last moved.

    The time after the last request is what a tool spends normalizing and loading at the end.
    """

    def __init__(self, sim: SimulatorProcess) -> None:
        self._sim = sim
        self._count: int | None = None
        self.last_change: float | None = None

    def tick(self) -> None:
        stats = self._sim.stats()
        if stats is not None and stats["requests"] != self._count:
            self._count = stats["requests"]
            self.last_change = time.monotonic()


def _first_line(proc: subprocess.Popen[bytes], timeout_s: float) -> dict[str, Any]:
    """The simulator's JSON info line, waiting at most `timeout_s`."""
    assert proc.stdout is not None
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout_s)
    if not result or not result[0].strip():
        raise RuntimeError(f"simulator did not start (exit code {proc.poll()}); see its log")
    return dict(orjson.loads(result[0]))


def run_measured(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    tick: Callable[[], None] | None = None,
    timeout_s: float = RUN_TIMEOUT_S,
) -> Measured:
    """Run `argv` to completion, sampling the RSS of its process tree every 0.1 s.

    `tick`, when given, is called about once a second while the child runs.
    """
    # Files, not pipes: a chatty child could fill a pipe and block while we only sample.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdout=out, stderr=err)
        peak = 0
        tree = psutil.Process(proc.pid)
        next_tick = started
        while proc.poll() is None:
            peak = max(peak, _tree_rss(tree))
            now = time.monotonic()
            if tick is not None and now >= next_tick:
                tick()
                next_tick = now + TICK_S
            if now - started > timeout_s:
                proc.kill()
            time.sleep(SAMPLE_S)
        wall = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode, started, wall, peak, out.read().decode(), err.read().decode()
        )


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total


def summary_rows(stdout: str) -> list[list[str]]:
    """The per-connection rows of the connector's summary table, split into fields."""
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("connection") and "requests" in line:
            rows = []
            for row in lines[index + 1 :]:
                fields = row.split()
                if len(fields) < 8 or not fields[1].isdigit():
                    break
                rows.append(fields)
            return rows
    return []


def loaded_ids(database: Path, dataset: str) -> list[str]:
    """Reservation ids in a tool's DuckDB file (empty when the table is missing)."""
    if not database.exists():
        return []
    with duckdb.connect(str(database), read_only=True) as connection:
        try:
            rows = connection.sql(f"select id from {dataset}.reservations").fetchall()
        except duckdb.CatalogException:
            return []
    return [row[0] for row in rows]


def stats_delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, int]:
    """API requests, reservation pages and 429s between two `/_sim/stats` snapshots."""
    if before is None or after is None:
        return {}

    def diff(key: str, name: str) -> int:
        return int(after[key].get(name, 0)) - int(before[key].get(name, 0))

    return {
        "requests": int(after["requests"]) - int(before["requests"]),
        "reservation_requests": diff("by_path", RESERVATIONS_PATH),
        "responses_429": diff("by_status", "429"),
    }


def cpu_steal_pct(before: Any, after: Any) -> float | None:
    """Share of CPU time (%) the hypervisor gave to other guests between two `cpu_times()`.

    A shared host slows every figure; this says when it did. None where not reported.
    """
    if not hasattr(after, "steal"):
        return None
    spent = sum(after) - sum(before)
    for counted_twice in ("guest", "guest_nice"):  # already inside user and nice
        spent -= getattr(after, counted_twice, 0) - getattr(before, counted_twice, 0)
    return 100.0 * (after.steal - before.steal) / spent if spent > 0 else 0.0
