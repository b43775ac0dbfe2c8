"""Two runs of one pipeline at once: one loads, the other fails fast or waits; never twice.

And a load package a killed run left pending is never finished over newer loads.
"""

import multiprocessing
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import dlt
import pytest

from mews_source.runner import make_pipeline
from tests.integration.test_service_orders import days_ago
from tests.support import (
    RemoteSimulator,
    assert_equal_to_truth,
    assert_snapshot_equal,
    cli_env,
    has_pending_package,
    loaded_postgres,
    mews_lines,
    popen_cli,
    remote_simulator,
    run_cli,
    truth,
    wait_until,
)

HOLDER = re.compile(r"pid (\d+) on \S+ since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def slow_sim() -> Iterator[RemoteSimulator]:
    """A backfill that takes several seconds: long enough for a second run to meet the first."""
    with remote_simulator(
        "--reservations", "8000", "--orders", "1500", "--history-days", "400",
        "--latency", "0.1", "--seed", "13",
    ) as sim:  # fmt: skip
        yield sim


def sim_env(sim: RemoteSimulator, db: Path, data_dir: Path) -> dict[str, str]:
    env = cli_env(sim.url, sim.client_token, sim.portfolio_token, db, days_ago(401))
    env["SOURCES__MEWS__CONCURRENCY"] = "2"
    env["DLT_DATA_DIR"] = str(data_dir)
    return env


def started_requests(sim: RemoteSimulator, at_least: int) -> None:
    wait_until(lambda: sim.stats()["requests"] >= at_least)


class Outcome(NamedTuple):
    pid: int
    code: int
    stderr: str
    seconds: float  # from `started` to the process's exit


def finish_all(processes: list[subprocess.Popen[str]], started: float) -> list[Outcome]:
    """Wait for every process at once, noting when each one exited."""
    outcomes: dict[int, Outcome] = {}

    def wait_for(process: subprocess.Popen[str]) -> None:
        _, stderr = process.communicate(timeout=300)
        ended = time.monotonic() - started
        outcomes[process.pid] = Outcome(process.pid, process.returncode, stderr, ended)

    waiters = [threading.Thread(target=wait_for, args=(p,)) for p in processes]
    for waiter in waiters:
        waiter.start()
    for waiter in waiters:
        waiter.join()
    return [outcomes[p.pid] for p in processes]


def one_loaded_one_refused(outcomes: list[Outcome]) -> tuple[Outcome, Outcome]:
    """The run that loaded and the run that was refused; fails unless exactly that happened."""
    assert sorted(o.code for o in outcomes) == [0, 1], [o.stderr[-2000:] for o in outcomes]
    loaded = next(o for o in outcomes if o.code == 0)
    refused = next(o for o in outcomes if o.code == 1)
    return loaded, refused


def assert_names_holder(stderr: str, holder_pid: int, where: str) -> None:
    lines = mews_lines(stderr)
    assert len(lines) == 1, stderr
    assert lines[0].startswith("mews: error: pipeline mews (dataset "), lines[0]
    assert where in lines[0] and "--wait" in lines[0], lines[0]
    found = HOLDER.search(lines[0])
    assert found and int(found.group(1)) == holder_pid, lines[0]


def test_two_first_backfills_at_once_into_one_duckdb_file_load_once(
    slow_sim: RemoteSimulator, tmp_path: Path
):
    db = tmp_path / "mews.duckdb"
    env = sim_env(slow_sim, db, tmp_path / "dlt")  # one machine, one data dir: a cron overlap

    started = time.monotonic()
    outcomes = finish_all([popen_cli([], env), popen_cli([], env)], started)

    loaded, refused = one_loaded_one_refused(outcomes)

    assert_names_holder(refused.stderr, loaded.pid, str(db))
    print(f"refused after {refused.seconds:.1f} s, loaded after {loaded.seconds:.1f} s")
    assert refused.seconds < loaded.seconds
    assert_equal_to_truth(db, slow_sim)


def _make_after(barrier: Any, directory: str, answers: Any) -> None:
    """Make the pipeline in `directory` once every process is ready; report what happened."""
    wipe = dlt.Pipeline._wipe_working_folder

    def slow_wipe(pipeline: dlt.Pipeline) -> None:  # the gap a loaded machine opens by chance
        wipe(pipeline)
        time.sleep(0.05)

    dlt.Pipeline._wipe_working_folder = slow_wipe  # type: ignore[method-assign]
    barrier.wait()
    try:
        pipeline = make_pipeline(dlt.destinations.duckdb(f"{directory}/x.duckdb"), "d", directory)
        pipeline.set_local_state_val("probe", 1)
        answers.put("ok")
    except Exception as exc:  # noqa: BLE001 - the answer is what the test checks
        answers.put(f"{type(exc).__name__}: {exc}")


def test_pipelines_made_at_once_in_one_new_dir_all_attach(tmp_path: Path):
    """dlt wipes and recreates a working dir without a state file: two cron jobs starting on
    a fresh machine in the same instant once failed with "File exists" before the run lock."""
    context = multiprocessing.get_context("spawn")
    for trial in range(3):
        directory = tmp_path / str(trial)
        barrier, answers = context.Barrier(3), context.Queue()
        makers = [context.Process(target=_make_after, args=(barrier, str(directory), answers))
                  for _ in range(3)]  # fmt: skip
        for maker in makers:
            maker.start()
        got = [answers.get(timeout=120) for _ in makers]
        for maker in makers:
            maker.join()
        assert got == ["ok"] * 3, got


def test_a_second_run_with_wait_waits_for_the_first_then_loads(
    slow_sim: RemoteSimulator, tmp_path: Path
):
    db = tmp_path / "mews.duckdb"
    env = sim_env(slow_sim, db, tmp_path / "dlt")
    started = time.monotonic()
    first = popen_cli([], env)
    started_requests(slow_sim, 2)
    second = popen_cli(["--wait", "240"], env)

    first_run, second_run = finish_all([first, second], started)

    assert first_run.code == 0, first_run.stderr[-2000:]
    assert second_run.code == 0, second_run.stderr[-2000:]
    assert "waiting up to 240 s" in second_run.stderr
    assert f"pid {first.pid} on" in second_run.stderr and not mews_lines(second_run.stderr)
    print(f"first ended after {first_run.seconds:.1f} s, second after {second_run.seconds:.1f} s")
    assert second_run.seconds > first_run.seconds
    assert_equal_to_truth(db, slow_sim)


def test_a_sigkilled_holder_does_not_block_the_next_run(slow_sim: RemoteSimulator, tmp_path: Path):
    db = tmp_path / "mews.duckdb"
    env = sim_env(slow_sim, db, tmp_path / "dlt")
    holder = popen_cli([], env)
    started_requests(slow_sim, 3)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert f"pid {holder.pid} on" in (db.parent / "mews.duckdb.lock").read_text()

    started = time.monotonic()
    done = run_cli([], env)

    assert done.returncode == 0, done.stderr[-2000:]
    print(f"rerun after SIGKILL took {time.monotonic() - started:.1f} s")
    assert_equal_to_truth(db, slow_sim)


@pytest.mark.parametrize(
    ("loaded_before", "between"),
    [(False, ["--resources", "reservations,product_service_orders,services"]),
     (True, ["--resources", "services"])],
    ids=["backfill-pending-then-newer-load-of-everything",
         "incremental-pending-then-newer-load-of-services-only"],
)  # fmt: skip
def test_a_stale_pending_package_is_dropped_and_never_loaded_over_newer_loads(
    slow_sim: RemoteSimulator, tmp_path: Path, loaded_before: bool, between: list[str]
):
    """A's package appends (backfill) or merges (incremental); B's load came later.

    Finished late, the first would load its rows twice. In the second, B's load leaves the
    state's version where it was, so dlt's own sync would keep the state A's package
    carried: dropping the package but not that state would lose A's changed rows.
    """
    db = tmp_path / "mews.duckdb"
    machine_a = sim_env(slow_sim, db, tmp_path / "a")
    machine_a["SOURCES__MEWS__OVERLAP_MINUTES"] = "0"  # no re-read hides a state gone wrong
    if loaded_before:
        assert run_cli([], machine_a).returncode == 0
        slow_sim.data.mutate(fraction=0.2, create=100, seed=3)
    killed = killed_while_loading(machine_a, tmp_path / "a")
    assert has_pending_package(tmp_path / "a", db), f"{killed} with no package pending"
    slow_sim.data.mutate(fraction=0.1, create=40, seed=4)

    # Another machine, state restored from the destination, loads while A's package waits.
    machine_b = {**machine_a, "DLT_DATA_DIR": str(tmp_path / "b")}
    loaded_b = run_cli(between, machine_b)
    assert loaded_b.returncode == 0, loaded_b.stderr[-2000:]
    slow_sim.data.mutate(fraction=0.05, create=20, seed=5)

    rerun_a = run_cli([], machine_a)

    assert rerun_a.returncode == 0, rerun_a.stderr[-2000:]
    assert_equal_to_truth(db, slow_sim)
    assert "dropping load package" in rerun_a.stderr, rerun_a.stderr[-2000:]
    assert not has_pending_package(tmp_path / "a", db)


def killed_while_loading(env: dict[str, str], data_dir: Path) -> str:
    """Start a run and SIGKILL it as soon as its first load job has started."""
    process = popen_cli([], env)
    started_jobs = data_dir / "pipelines" / "mews" / "load" / "normalized" / "*" / "started_jobs"
    pattern = str(started_jobs.relative_to(data_dir) / "*")
    wait_until(lambda: process.poll() is not None or any(data_dir.glob(pattern)), poll=0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return f"run A exited {process.returncode}"


@pytest.mark.postgres
def test_two_runners_on_two_machines_into_postgres_load_once(
    postgres_url: str, slow_sim: RemoteSimulator, tmp_path: Path
):
    dataset = f"mews_lock_{uuid.uuid4().hex[:8]}"
    envs = []
    for machine in ("a", "b"):
        env = sim_env(slow_sim, tmp_path / "unused.duckdb", tmp_path / machine)
        env["DESTINATION__POSTGRES__CREDENTIALS"] = postgres_url
        envs.append(env)
    args = ["--destination", "postgres", "--dataset", dataset]

    started = time.monotonic()
    outcomes = finish_all([popen_cli(args, env) for env in envs], started)

    try:
        loaded, refused = one_loaded_one_refused(outcomes)
        database = postgres_url.rsplit("/", 1)[-1]
        assert_names_holder(refused.stderr, loaded.pid, f"postgres database {database}")
        print(f"refused after {refused.seconds:.1f} s, loaded after {loaded.seconds:.1f} s")
        assert_snapshot_equal(loaded_postgres(postgres_url, dataset), truth(slow_sim))
    finally:
        drop_schema(postgres_url, dataset)


def drop_schema(url: str, dataset: str) -> None:
    import psycopg2

    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {dataset} CASCADE")
