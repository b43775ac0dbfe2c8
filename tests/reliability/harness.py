"""Shared tools of the reliability suite: small simulators, fast runs, loss and leak counts."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import duckdb

from mews_simulator import SimulatorConfig
from mews_source.runner import RunResult, make_pipeline, run
from tests.support import ORDER_RESOURCES, Snapshot, loaded, sim_source_args, snapshot_of, truth

DATASET = "mews_raw"
# Retries and backoff shrunk so a fault-heavy run takes seconds, not minutes.
FAST = {"backoff_base_s": 0.01, "max_attempts": 6}
HISTORY_DAYS = 800  # ~10 UpdatedUtc windows per resource: enough requests for faults to land


def small_config(seed: int = 5, reservations: int = 3_000) -> SimulatorConfig:
    """A few thousand records over two years and two enterprises."""
    return SimulatorConfig(
        seed=seed,
        enterprise_count=2,
        reservation_count=reservations,
        product_service_order_count=reservations // 5,
        history_days=HISTORY_DAYS,
    )


def load(
    db: Path,
    sim: Any,
    start: str,
    resources: list[str] | None = None,
    pipelines_dir: str | None = None,
    **extra: Any,
) -> RunResult:
    """One in-process run of the real pipeline into the DuckDB file `db`: the order
    operations unless `resources` names others."""
    pipeline = make_pipeline(dlt.destinations.duckdb(str(db)), DATASET, pipelines_dir)
    chosen = resources or list(ORDER_RESOURCES)
    return run(pipeline, ["default"], chosen, False, **sim_source_args(sim, start, **extra))


@dataclass(frozen=True)
class Damage:
    """How far a dataset is from the source: rows missing or stale, and rows beyond one per key."""

    lost: int
    duplicated: int


DUPLICATE_QUERIES = (
    "SELECT count(*) - count(DISTINCT id) FROM {d}.reservations",
    "SELECT count(*) - count(DISTINCT id) FROM {d}.product_service_orders",
    "SELECT count(*) - count(DISTINCT (reservation_id, age_category_id))"
    " FROM {d}.reservations__person_counts",
)


def damage(db: Path, sim: Any) -> Damage:
    """Rows of the source missing or different in the dataset, and duplicated rows."""
    want = truth(sim)
    if not db.exists() or not tables(db):
        return Damage(len(want.reservations) + len(want.orders) + len(want.person_counts), 0)
    got = loaded(db)
    lost = sum(1 for k, v in want.reservations.items() if got.reservations.get(k) != v)
    lost += sum(1 for k, v in want.orders.items() if got.orders.get(k) != v)
    lost += len(want.person_counts - got.person_counts)
    with duckdb.connect(str(db), read_only=True) as con:
        duplicated = sum(con.execute(q.format(d=DATASET)).fetchone()[0] for q in DUPLICATE_QUERIES)
    return Damage(lost, duplicated)


def loaded_reservations(db: Path) -> Snapshot:
    """Reservations and person counts of a dataset loaded without product service orders."""
    with duckdb.connect(str(db), read_only=True) as con:

        def fetch(sql: str) -> list[tuple[Any, ...]]:
            return [] if "product_service_orders" in sql else con.execute(sql).fetchall()

        return snapshot_of(fetch, DATASET)


def tables(db: Path) -> list[str]:
    """The tables of the dataset in `db` (none when the file or the dataset is absent)."""
    if not db.exists():
        return []
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
            [DATASET],
        ).fetchall()
    return [name for (name,) in rows]


def fingerprint(db: Path) -> str:
    """A hash of every row of every dataset table; the same for a missing file and no tables."""
    digest = hashlib.sha256()
    if db.exists():
        with duckdb.connect(str(db), read_only=True) as con:
            for table in tables(db):
                rows = con.execute(f"SELECT * FROM {DATASET}.{table} ORDER BY ALL").fetchall()
                digest.update(f"{table}:{rows!r}".encode())
    return digest.hexdigest()


def find_leaks(secrets: Iterable[str], texts: Iterable[str], dirs: Iterable[Path]) -> list[str]:
    """Where a secret appears: "text N" for the Nth text, else the path of each file holding it."""
    needles = [s for s in secrets if s]
    found = [f"text {i}" for i, text in enumerate(texts) if any(n in text for n in needles)]
    raw = [n.encode() for n in needles]
    for directory in dirs:
        if not directory.exists():
            continue
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            content = path.read_bytes()
            if any(n in content for n in raw):
                found.append(str(path))
    return found


def one_error_line(text: str) -> str:
    """The single `mews: error:` line of a CLI's stderr (asserts there is exactly one)."""
    lines = [line for line in text.splitlines() if line.startswith("mews: error:")]
    assert len(lines) == 1, f"expected one error line, got {lines!r}"
    return lines[0]
