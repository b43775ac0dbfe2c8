"""Ground-truth comparisons between a loaded dataset and the simulator's current records."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb

from mews_source.runner import RunResult, make_pipeline, run

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "pipelines" / "mews.py"


def utc(value: str) -> datetime:
    """An API datetime as an aware UTC datetime at microsecond precision."""
    text = value.replace("Z", "+00:00")
    head, _, tail = text.partition(".")
    if tail:
        digits = "".join(c for c in tail if c.isdigit())
        text = f"{head}.{digits[:6]}{tail[len(digits) :]}"
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True)
class Snapshot:
    """The comparable content of one dataset (or of the simulator)."""

    reservations: dict[str, tuple[Any, ...]]
    person_counts: set[tuple[str, str, int]]
    orders: dict[str, tuple[Any, ...]]
    reservation_rows: int = 0
    order_rows: int = 0
    person_count_rows: int = 0


def truth(sim: Any) -> Snapshot:
    """What the simulator holds now."""
    data = sim.data

    def enterprise(record: Mapping[str, Any]) -> str:
        return str(record.get("EnterpriseId") or data.enterprise_of_service(record["ServiceId"]))

    reservations = data.reservations()
    orders = data.product_service_orders()
    return Snapshot(
        {r["Id"]: (r["State"], utc(r["UpdatedUtc"]), enterprise(r)) for r in reservations},
        {
            (r["Id"], p["AgeCategoryId"], int(p["Count"]))
            for r in reservations
            for p in r.get("PersonCounts") or []
        },
        {o["Id"]: (o["State"], utc(o["UpdatedUtc"]), enterprise(o)) for o in orders},
        len(reservations),
        len(orders),
    )


SNAPSHOT_QUERIES = (
    "SELECT id, state, updated_utc, enterprise_id FROM {dataset}.reservations",
    "SELECT reservation_id, age_category_id, count FROM {dataset}.reservations__person_counts",
    "SELECT id, state, updated_utc, enterprise_id FROM {dataset}.product_service_orders",
)


def snapshot_of(fetch: Callable[[str], list[tuple[Any, ...]]], dataset: str) -> Snapshot:
    """A snapshot from any SQL connection, given a function that runs a query."""
    reservations, counts, orders = (fetch(q.format(dataset=dataset)) for q in SNAPSHOT_QUERIES)
    return Snapshot(
        {r[0]: (r[1], r[2].astimezone(UTC), r[3]) for r in reservations},
        {(c[0], c[1], int(c[2])) for c in counts},
        {o[0]: (o[1], o[2].astimezone(UTC), o[3]) for o in orders},
        len(reservations),
        len(orders),
        len(counts),
    )


def loaded(db_path: Path, dataset: str = "mews_raw") -> Snapshot:
    """What a DuckDB file holds."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return snapshot_of(lambda sql: con.execute(sql).fetchall(), dataset)


def loaded_postgres(url: str, dataset: str) -> Snapshot:
    """What a PostgreSQL schema holds."""
    import psycopg2

    with psycopg2.connect(url) as con, con.cursor() as cursor:

        def fetch(sql: str) -> list[tuple[Any, ...]]:
            cursor.execute(sql)
            return list(cursor.fetchall())

        return snapshot_of(fetch, dataset)


def assert_snapshot_equal(got: Snapshot, want: Snapshot) -> None:
    """Exact equality of ids, state, updated_utc, enterprise_id and person counts; no dupes."""
    assert got.reservation_rows == len(got.reservations), "duplicate reservation ids"
    assert got.order_rows == len(got.orders), "duplicate product service order ids"
    assert got.person_count_rows == len(got.person_counts), "duplicate person count rows"
    _assert_same("reservations", got.reservations, want.reservations)
    _assert_same("product_service_orders", got.orders, want.orders)
    missing = want.person_counts - got.person_counts
    extra = got.person_counts - want.person_counts
    assert not missing and not extra, f"person counts: {len(missing)} missing, {len(extra)} extra"


def assert_equal_to_truth(db_path: Path, sim: Any) -> Snapshot:
    """The DuckDB dataset equals the simulator's current records exactly."""
    got = loaded(db_path)
    assert_snapshot_equal(got, truth(sim))
    return got


def _assert_same(what: str, got: dict[str, Any], want: dict[str, Any]) -> None:
    missing = want.keys() - got.keys()
    extra = got.keys() - want.keys()
    assert not missing and not extra, f"{what}: {len(missing)} missing ids, {len(extra)} extra"
    differing = [k for k in want if got[k] != want[k]]
    assert not differing, (
        f"{what}: {len(differing)} differ, e.g. {got[differing[0]]} != {want[differing[0]]}"
    )


def reservation_marks(db_path: Path, dataset: str = "mews_raw") -> dict[str, datetime]:
    """The reservations resource's "scanned until" per service, as the pipeline keeps it."""
    pipeline = make_pipeline(dlt.destinations.duckdb(str(db_path)), dataset)
    resources = pipeline.state.get("sources", {}).get("mews", {}).get("resources", {})
    marks = resources.get("reservations", {}).get("scanned_until", {}).get("default", {})
    return {service_id: datetime.fromisoformat(mark) for service_id, mark in marks.items()}


def rows_behind_state(db_path: Path, sim: Any) -> tuple[int, list[str]]:
    """Source reservations the saved state says were read, and those of them not loaded."""
    marks = reservation_marks(db_path)
    present = set(loaded(db_path).reservations) if marks else set()
    behind = [
        r["Id"]
        for r in sim.data.reservations()
        if r["ServiceId"] in marks and utc(r["UpdatedUtc"]) < marks[r["ServiceId"]]
    ]
    return len(behind), [rid for rid in behind if rid not in present]


def sim_source_args(sim: Any, start_date: str, **extra: Any) -> dict[str, Any]:
    """Source arguments that point the connector at a running simulator."""
    return {
        "platform_url": sim.url,
        "client_token": sim.client_token,
        "access_token": sim.portfolio_token,
        "start_date": start_date,
        **extra,
    }


# What most tests load: the order operations their assertions are about. The rest of the
# catalogue has its own tests (tests/integration/test_inventory.py); loading it everywhere
# would multiply every rate-limited and fault-injected run's requests.
ORDER_RESOURCES = ("reservations", "product_service_orders", "services", "age_categories")


def load_in_process(
    db_path: Path,
    sim: Any,
    start_date: str,
    names: Sequence[str] = ("default",),
    resources: Sequence[str] | None = ORDER_RESOURCES,
    **extra: Any,
) -> RunResult:
    """One run of the real pipeline into a DuckDB file, in this process (`resources`: None
    loads every operation)."""
    pipeline = make_pipeline(dlt.destinations.duckdb(str(db_path)), "mews_raw")
    chosen = list(resources) if resources is not None else None
    return run(pipeline, list(names), chosen, False, **sim_source_args(sim, start_date, **extra))


def cli_env(
    sim_url: str, client_token: str, access_token: str, db_path: Path, start: str
) -> dict[str, str]:
    """Environment for `python pipelines/mews.py` against a simulator, into `db_path`."""
    env = dict(os.environ)
    env.update(
        {
            "SOURCES__MEWS__PLATFORM_URL": sim_url,
            "SOURCES__MEWS__CLIENT_TOKEN": client_token,
            "SOURCES__MEWS__ACCESS_TOKEN": access_token,
            "SOURCES__MEWS__START_DATE": start,
            "DESTINATION__DUCKDB__CREDENTIALS": str(db_path),
        }
    )
    return env


def run_cli(
    args: Sequence[str], env: Mapping[str, str], timeout: float = 300, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI as a scheduler runs it, from the repository root (or `cwd`)."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=cwd or REPO,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def popen_cli(args: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """The CLI started in the background, stdout and stderr captured."""
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), *args],
        cwd=REPO,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], timeout: float = 120, poll: float = 0.02) -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(poll)


def has_pending_package(data_dir: Path, db_path: Path) -> bool:
    """Whether the pipeline under DLT data dir `data_dir` holds a load package not loaded yet."""
    pipeline = make_pipeline(dlt.destinations.duckdb(str(db_path)), "mews_raw",
                             str(data_dir / "pipelines"))  # fmt: skip
    return bool(pipeline.has_pending_data)


def mews_lines(stderr: str) -> list[str]:
    """The lines the CLI itself printed to stderr (log lines have a timestamp first)."""
    return [line for line in stderr.splitlines() if line.startswith("mews: ")]


class RemoteData:
    """`sim.data` of a simulator in another process, read through its admin routes."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._service_enterprises: dict[str, str] | None = None

    def _truth(self, kind: str) -> list[dict[str, Any]]:
        import httpx

        response = httpx.get(f"{self._url}/_sim/truth/{kind}", timeout=120)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def reservations(self) -> list[dict[str, Any]]:
        return self._truth("reservations")

    def mutate(self, **change: Any) -> dict[str, Any]:
        import httpx

        response = httpx.post(f"{self._url}/_sim/mutate", json=change, timeout=120)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def product_service_orders(self) -> list[dict[str, Any]]:
        return self._truth("product_service_orders")

    def enterprise_of_service(self, service_id: str) -> str:
        if self._service_enterprises is None:  # services do not change: read them once
            self._service_enterprises = {
                s["Id"]: s["EnterpriseId"] for s in self._truth("services")
            }
        return str(self._service_enterprises[service_id])


@dataclass
class RemoteSimulator:
    """A simulator started as `python -m mews_simulator`, as the demo or a benchmark would."""

    process: subprocess.Popen[str]
    url: str
    client_token: str
    portfolio_token: str
    data: RemoteData

    def stats(self) -> dict[str, Any]:
        import httpx

        result: dict[str, Any] = httpx.get(f"{self.url}/_sim/stats", timeout=30).json()
        return result

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@contextmanager
def remote_simulator(*args: str) -> Iterator[RemoteSimulator]:
    """`start_remote_simulator` for a `with` block (or a fixture): stopped afterwards."""
    sim = start_remote_simulator(*args)
    try:
        yield sim
    finally:
        sim.stop()


def start_remote_simulator(*args: str) -> RemoteSimulator:
    """Start the simulator in its own process and read its connection line."""
    import json

    process = subprocess.Popen(
        [sys.executable, "-m", "mews_simulator", "--port", "0", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "pipelines")},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    info = json.loads(process.stdout.readline())
    return RemoteSimulator(
        process, info["url"], info["client_token"], info["portfolio_token"], RemoteData(info["url"])
    )
