"""SIGTERM (a scheduler cancelling) and SIGINT (Ctrl-C): a prompt stop, one line, nothing lost."""

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.test_service_orders import days_ago
from tests.support import (
    RemoteSimulator,
    assert_equal_to_truth,
    cli_env,
    mews_lines,
    popen_cli,
    remote_simulator,
    run_cli,
    wait_until,
)

STOP_BOUND_S = 15  # liveness, not a benchmark: a stop that hangs would take the HTTP timeout
SIGNALS = pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)


@pytest.fixture
def latent_sim() -> Iterator[RemoteSimulator]:
    with remote_simulator(
        "--reservations", "20000", "--orders", "3000", "--history-days", "400",
        "--latency", "0.15", "--seed", "9",
    ) as sim:  # fmt: skip
        yield sim


def stopped(env: dict[str, str], signum: int, ready: Callable[[], bool]) -> tuple[int, str, float]:
    """Start a run, send `signum` once `ready()`, and return exit code, stderr, seconds to exit."""
    process = popen_cli([], env)
    wait_until(lambda: process.poll() is not None or ready(), poll=0.002)
    assert process.poll() is None, "the run ended before the signal"
    sent = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr, time.monotonic() - sent


def assert_one_stop_line(stderr: str, signum: int) -> None:
    lines = mews_lines(stderr)
    assert len(lines) == 1, stderr[-3000:]
    name = signal.Signals(signum).name
    assert lines[0] == f"mews: stopped by {name}: the next run resumes from the last completed load"


@SIGNALS
def test_a_signal_mid_fetch_stops_within_seconds_and_the_rerun_loses_nothing(
    latent_sim: RemoteSimulator, tmp_path: Path, signum: int, code: int
):
    db = tmp_path / "mews.duckdb"
    env = cli_env(latent_sim.url, latent_sim.client_token, latent_sim.portfolio_token, db,
                  days_ago(401))  # fmt: skip
    env["SOURCES__MEWS__CONCURRENCY"] = "4"

    exit_code, stderr, seconds = stopped(env, signum, lambda: latent_sim.stats()["requests"] >= 8)

    assert exit_code == code, stderr[-3000:]
    print(f"{signal.Signals(signum).name} to exit: {seconds:.2f} s")
    assert seconds < STOP_BOUND_S
    assert_one_stop_line(stderr, signum)
    rerun = run_cli([], env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert_equal_to_truth(db, latent_sim)


@SIGNALS
def test_a_signal_while_loading_stops_and_the_rerun_finishes_the_package(
    latent_sim: RemoteSimulator, tmp_path: Path, signum: int, code: int
):
    db = tmp_path / "mews.duckdb"
    env = cli_env(latent_sim.url, latent_sim.client_token, latent_sim.portfolio_token, db,
                  days_ago(401))  # fmt: skip
    env["SOURCES__MEWS__CONCURRENCY"] = "4"
    env["DLT_DATA_DIR"] = str(tmp_path / "dlt")
    normalized = tmp_path / "dlt" / "pipelines" / "mews" / "load" / "normalized"

    exit_code, stderr, seconds = stopped(env, signum, lambda: any(normalized.glob("*")))

    assert exit_code == code, stderr[-3000:]
    print(f"{signal.Signals(signum).name} while loading to exit: {seconds:.2f} s")
    assert seconds < STOP_BOUND_S
    assert_one_stop_line(stderr, signum)
    rerun = run_cli([], env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert_equal_to_truth(db, latent_sim)
