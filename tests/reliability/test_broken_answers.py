"""Broken 200 answers over loopback: endless, trickling, huge, HTML and empty bodies.

A run with some of them equals the source or fails in one line and changes nothing; with
every answer broken it fails in one line within a bounded time; memory stays bounded.
"""

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from mews_simulator import FaultConfig, running_simulator
from mews_source import operations
from tests.integration.test_service_orders import days_ago
from tests.reliability.figures import record
from tests.reliability.harness import (
    FAST,
    HISTORY_DAYS,
    Damage,
    damage,
    find_leaks,
    fingerprint,
    load,
    small_config,
)
from tests.support import assert_equal_to_truth

START = days_ago(HISTORY_DAYS + 1)
MIB = 1024 * 1024
# A small cap and a short deadline keep each broken answer cheap; real pages stay far below.
LIMITS = {"max_body_bytes": MIB, "request_deadline_s": 1.0}
# A byte every 50 ms: even the smallest answer (~30 bytes) outlasts the 1 s deadline, so every
# trickle is a broken answer (at 1 ms a byte, small ones finished in time and were not retried).
SHAPES = {"trickle_byte_s": 0.05, "huge_bytes": MIB + 256 * 1024, "broken_max_s": 10.0}
KINDS = ["endless", "trickle", "huge", "html", "empty"]
REASONS = {
    "endless": "response body over 1 MiB",
    "trickle": "no complete answer within 1 s",
    "huge": "response body over 1 MiB",
    "html": "a 200 with an HTML body, not JSON",
    "empty": "a 200 with an empty body, not JSON",
}


def broken(kind: str, probability: float, seed: int = 3) -> FaultConfig:
    return FaultConfig(seed=seed, **{f"p_{kind}": probability}, **SHAPES)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    with running_simulator(small_config(seed=11, reservations=1_500)) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def no_faults_afterwards(sim: Any) -> Iterator[None]:
    sim.reset_stats()
    yield
    sim.set_faults(None)


def _leaks(sim: Any, texts: list[str]) -> list[str]:
    dirs = [Path(os.environ["DLT_DATA_DIR"])]
    return find_leaks((sim.client_token, sim.portfolio_token), texts, dirs)


@pytest.mark.parametrize("kind", KINDS)
def test_some_broken_answers_equal_the_source_or_fail_cleanly_then_rerun_equals(
    sim: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
):
    db = tmp_path / "mews.duckdb"
    before = fingerprint(db)
    sim.set_faults(broken(kind, 0.2))

    with caplog.at_level(logging.DEBUG):
        first = load(db, sim, START, **LIMITS, **FAST)

    fired = sim.stats()["by_fault"].get(kind, 0)
    assert fired, "no broken answer was sent: pick another seed"
    connection = first.connections[0]
    if first.failed:
        assert connection.error and "\n" not in connection.error
        assert fingerprint(db) == before
    else:
        assert_equal_to_truth(db, sim)
        assert connection.retries >= fired
    sim.set_faults(None)
    second = load(db, sim, START, **LIMITS, **FAST)

    assert not second.failed, second.failed
    assert_equal_to_truth(db, sim)
    result = damage(db, sim)
    leaks = _leaks(sim, [connection.error or "", caplog.text])
    record(
        f"broken answers: 20 % {kind}",
        f"{fired} {kind} answers in {connection.requests} requests",
        runs=2, lost=result.lost, duplicated=result.duplicated, leaks=len(leaks),
        outcome=("first run failed: " + (connection.error or "")) if first.failed
        else f"first run ok with {connection.retries} retries",
    )  # fmt: skip
    assert result == Damage(0, 0)
    assert not leaks, leaks


@pytest.mark.parametrize("kind", KINDS)
def test_every_answer_broken_fails_in_one_line_within_bounded_time(
    sim: Any, tmp_path: Path, kind: str
):
    db = tmp_path / "mews.duckdb"
    sim.set_faults(broken(kind, 1.0))
    started = time.monotonic()

    result = load(db, sim, START, **LIMITS, **FAST)

    elapsed = time.monotonic() - started
    [connection] = result.failed
    expected = (
        f"{operations.SERVICES.path} still failing after {FAST['max_attempts']} attempts:"
        f" {REASONS[kind]}"
    )
    assert connection.error == expected
    assert fingerprint(db) == fingerprint(tmp_path / "absent.duckdb")
    assert sim.stats()["by_fault"] == {kind: FAST["max_attempts"]}
    # Generous: six attempts of at most ~2 deadlines each, plus a cold start. Not a timing test.
    assert elapsed < 60.0, f"took {elapsed:.1f} s"
    leaks = _leaks(sim, [connection.error])
    record(
        f"broken answers: every answer {kind}",
        f"{FAST['max_attempts']} × {kind} on services/getAll",
        runs=1, lost=0, duplicated=0, leaks=len(leaks),
        outcome=f"failed in {elapsed:.1f} s: {connection.error}",
    )  # fmt: skip
    assert not leaks, leaks


class PeakRss:
    """Samples this process's RSS every 10 ms in a thread; `growth` is peak minus start."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._start = self._peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self._peak - self._start

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self._peak = max(self._peak, self._process.memory_info().rss)


def test_endless_answers_keep_memory_bounded_by_the_cap(sim: Any, tmp_path: Path):
    cap = 16 * MIB
    warm = load(tmp_path / "warm.duckdb", sim, START, **FAST)  # imports, first-run caches
    assert not warm.failed, warm.failed
    sim.set_faults(FaultConfig(p_endless=1.0, broken_max_s=5.0))

    with PeakRss() as rss:
        result = load(tmp_path / "mews.duckdb", sim, START, max_body_bytes=cap, **FAST)

    [connection] = result.failed
    assert "response body over 16 MiB" in (connection.error or "")
    # A sanity bound, not a measurement: without the cap the body grows by ~1 GB/s here.
    assert rss.growth < 4 * cap, f"RSS grew by {rss.growth / MIB:.0f} MiB"
    record(
        "broken answers: every answer endless, 16 MiB cap, peak RSS",
        f"{FAST['max_attempts']} endless bodies",
        runs=1, lost=0, duplicated=0,
        outcome=f"failed in one line; peak RSS grew {rss.growth / MIB:.0f} MiB",
    )  # fmt: skip
