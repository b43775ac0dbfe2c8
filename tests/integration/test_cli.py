"""`python pipelines/mews.py` as a scheduler runs it: exit codes, one-line errors, no tokens."""

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from mews_simulator import SimulatorConfig, running_simulator
from tests.integration.test_service_orders import days_ago
from tests.support import (
    REPO,
    SCRIPT,
    assert_equal_to_truth,
    cli_env,
    run_cli,
    start_remote_simulator,
)


def dataset_fingerprint(db_path: Path) -> str:
    """A hash of every row of every table in mews_raw, to prove a failed run changed nothing."""
    digest = hashlib.sha256()
    with duckdb.connect(str(db_path), read_only=True) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'mews_raw' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            rows = con.execute(f"SELECT * FROM mews_raw.{table} ORDER BY ALL").fetchall()
            digest.update(f"{table}:{rows!r}".encode())
    return digest.hexdigest()


@pytest.fixture
def small_sim():
    config = SimulatorConfig(seed=3, enterprise_count=2, reservation_count=3_000,
                             product_service_order_count=600, history_days=200)  # fmt: skip
    with running_simulator(config) as sim:
        yield sim


def test_cli_loads_and_prints_a_summary(small_sim, tmp_path: Path):
    db = tmp_path / "mews.duckdb"
    env = cli_env(small_sim.url, small_sim.client_token, small_sim.portfolio_token, db,
                  days_ago(201))  # fmt: skip

    done = run_cli([], env)

    assert done.returncode == 0, done.stderr
    assert "reservations" in done.stdout and "requests" in done.stdout
    assert_equal_to_truth(db, small_sim)


def test_wrong_access_token_fails_in_one_line_and_leaves_dataset_unchanged(
    small_sim, tmp_path: Path
):
    db = tmp_path / "mews.duckdb"
    good = cli_env(small_sim.url, small_sim.client_token, small_sim.portfolio_token, db,
                   days_ago(201))  # fmt: skip
    assert run_cli([], good).returncode == 0
    before = dataset_fingerprint(db)
    small_sim.data.mutate(fraction=0.1, create=10, seed=1)
    wrong_token = "WRONG0TOKEN0" + small_sim.portfolio_token[12:]
    bad = {**good, "SOURCES__MEWS__ACCESS_TOKEN": wrong_token}

    done = run_cli([], bad)

    assert done.returncode != 0
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("mews: error")]
    assert len(error_lines) == 1 and "401" in error_lines[0] and "RequestId" in error_lines[0]
    for secret in (wrong_token, small_sim.portfolio_token, small_sim.client_token):
        assert secret not in done.stdout + done.stderr
    assert dataset_fingerprint(db) == before


@pytest.mark.parametrize("kill_after_requests", [3, 12], ids=["early", "late"])
def test_sigkill_mid_run_then_rerun_loses_and_duplicates_nothing(
    tmp_path: Path, kill_after_requests: int
):
    sim = start_remote_simulator(
        "--reservations", "20000", "--orders", "3000", "--history-days", "400",
        "--latency", "0.15", "--seed", "9",
    )  # fmt: skip
    try:
        db = tmp_path / "mews.duckdb"
        env = cli_env(sim.url, sim.client_token, sim.portfolio_token, db, days_ago(401))
        env["SOURCES__MEWS__CONCURRENCY"] = "2"
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT)], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while sim.stats()["requests"] < kill_after_requests and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

        done = run_cli([], env)

        assert done.returncode == 0, done.stderr
        assert_equal_to_truth(db, sim)
    finally:
        sim.stop()
