"""The CLI as a newcomer runs it: from a fresh copy of the repository, with a bare environment.

Nothing but PATH, HOME and the `SOURCES__MEWS__*` of a running simulator is set, so the
committed `.dlt/config.toml` and every default (DuckDB file, pipelines folder) are what a
first run meets. Two checkouts on one machine must keep their data and state apart.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mews_simulator import SimulatorConfig, running_simulator
from tests.integration.test_service_orders import days_ago
from tests.reliability.harness import fingerprint
from tests.support import REPO, assert_equal_to_truth

HISTORY_DAYS = 200


def copy_checkout(target: Path) -> Path:
    """The files git would commit (tracked, or new and not ignored), as a clone lays them out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def bare_env(sim, home: Path) -> dict[str, str]:
    """PATH, HOME and the simulator's address and tokens: nothing else a newcomer would set."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "SOURCES__MEWS__PLATFORM_URL": sim.url,
        "SOURCES__MEWS__CLIENT_TOKEN": sim.client_token,
        "SOURCES__MEWS__ACCESS_TOKEN": sim.portfolio_token,
        "SOURCES__MEWS__START_DATE": days_ago(HISTORY_DAYS + 1),
    }


def run_checkout(checkout: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "pipelines/mews.py"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def sim():
    config = SimulatorConfig(
        seed=23,
        enterprise_count=2,
        reservation_count=2_000,
        product_service_order_count=400,
        history_days=HISTORY_DAYS,
    )
    with running_simulator(config) as simulator:
        yield simulator


def test_a_fresh_checkout_loads_into_its_own_mews_duckdb(sim, tmp_path: Path):
    checkout = copy_checkout(tmp_path / "clone")

    done = run_checkout(checkout, bare_env(sim, tmp_path / "home"))

    assert done.returncode == 0, done.stderr
    assert_equal_to_truth(checkout / "mews.duckdb", sim)
    assert (checkout / ".dlt" / ".var" / "pipelines" / "mews").is_dir()


def test_a_second_checkout_keeps_its_data_and_state_apart(sim, tmp_path: Path):
    home = tmp_path / "home"  # one user, one machine: dlt's per-user folder is shared
    first = copy_checkout(tmp_path / "first")
    second = copy_checkout(tmp_path / "second")
    assert run_checkout(first, bare_env(sim, home)).returncode == 0
    first_before = fingerprint(first / "mews.duckdb")

    done = run_checkout(second, bare_env(sim, home))

    assert done.returncode == 0, done.stderr
    assert_equal_to_truth(second / "mews.duckdb", sim)  # a full backfill, not the first's state
    assert fingerprint(first / "mews.duckdb") == first_before
    assert not (home / ".dlt").exists()
