"""Backfill of every operation of one hotel at the real rate limit, against its ideal.

One 200-room hotel over 5 years (~110k reservations at 75 % occupancy and 2.5-night stays,
their order items, bills, payments and customers, and the hotel's inventory), served by
`python -m mews_simulator` at 200 requests / 30 s with ~1 s per full page. The connector
(`python pipelines/mews.py`, every resource) loads it into a fresh DuckDB file; the wall time
is set against the ideal for the requests the simulator counted (requests / (200 / 30 s)),
and every table's ids against the simulator's truth.

    .venv/bin/python bench/catalogue.py            # the hotel: ~15-20 min on 2 cores
    .venv/bin/python bench/catalogue.py --quick    # 5,000 reservations over a year, fast limit
"""

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import REPO, SimulatorProcess, SimulatorSpec, run_measured  # noqa: E402

sys.path.insert(0, str(REPO / "pipelines"))
from mews_source import RESOURCE_NAMES  # noqa: E402

CLEARED_PREFIXES = ("SOURCES__", "DESTINATION__", "DLT_", "DATA_WRITER__", "NORMALIZE__")
# Tables whose truth the simulator serves under the same name (resources = every table).
NOT_IN_TRUTH = {"services"}
LAZY_TABLES = ("payments", "customers", "resource_category_assignments")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small hotel and a fast limit")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "catalogue")
    return parser.parse_args(argv)


def spec(quick: bool) -> SimulatorSpec:
    if quick:
        return SimulatorSpec(5_000, 365, 20, 3.0, 0.001, enterprises=1, orders=1_000)
    return SimulatorSpec(110_000, 5 * 365, 200, 30.0, 0.001, enterprises=1, orders=20_000)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    chosen = spec(args.quick)
    with SimulatorProcess(chosen, args.out / "simulator.log") as sim:
        print(f"simulator up after {sim.startup_s:.0f} s", file=sys.stderr)
        # The simulator derives order items, bills and payments (and customers) on first
        # use, holding the GIL for seconds; asking for them now keeps that stall (and the
        # late, bunched arrivals it causes) out of the measured run.
        for table in LAZY_TABLES:
            sim.truth(table)
        before = sim.stats() or {}
        run = run_measured([sys.executable, "pipelines/mews.py"], environment(sim, args), REPO)
        after = sim.stats() or {}
        (args.out / "connector.stderr").write_text(run.stderr)
        (args.out / "connector.stdout").write_text(run.stdout)
        if run.returncode != 0:
            print(run.stderr[-2000:], file=sys.stderr)
            return 1
        checks = {table: check(sim, args.out / "catalogue.duckdb", table) for table in tables()}
    requests = after["requests"] - before.get("requests", 0)
    status_429 = after["by_status"].get("429", 0) - before.get("by_status", {}).get("429", 0)
    ideal = requests / (chosen.rate_limit / chosen.rate_window_s)
    print_report(chosen, run.wall_s, run.peak_rss_bytes, requests, status_429, ideal, checks)
    ok = status_429 == 0 and all(got == want for got, want in checks.values())
    return 0 if ok else 1


def environment(sim: SimulatorProcess, args: argparse.Namespace) -> dict[str, str]:
    start = datetime.now(UTC) - timedelta(days=sim.spec.history_days + 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_PREFIXES)}
    return env | {
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(args.out / "dlt"),
        "DESTINATION__DUCKDB__CREDENTIALS": str(args.out / "catalogue.duckdb"),
        "SOURCES__MEWS__PLATFORM_URL": sim.url,
        "SOURCES__MEWS__CLIENT_TOKEN": sim.info["client_token"],
        "SOURCES__MEWS__ACCESS_TOKEN": sim.info["portfolio_token"],
        "SOURCES__MEWS__START_DATE": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SOURCES__MEWS__RATE_LIMIT_REQUESTS": str(sim.spec.rate_limit),
        "SOURCES__MEWS__RATE_LIMIT_WINDOW_S": str(sim.spec.rate_window_s),
    }


def tables() -> list[str]:
    return [name for name in RESOURCE_NAMES if name not in NOT_IN_TRUTH]


def check(sim: SimulatorProcess, database: Path, table: str) -> tuple[int, int]:
    """(distinct ids loaded, ids in the simulator's truth) of one table."""
    truth = sim.truth(table)
    with duckdb.connect(str(database), read_only=True) as con:
        [(loaded,)] = con.execute(f"SELECT count(DISTINCT id) FROM mews_raw.{table}").fetchall()
    return int(loaded), len({record["Id"] for record in truth})


def print_report(
    chosen: SimulatorSpec,
    wall_s: float,
    peak_rss: int,
    requests: int,
    status_429: int,
    ideal_s: float,
    checks: dict[str, tuple[int, int]],
) -> None:
    limit = f"{chosen.rate_limit} / {chosen.rate_window_s:g} s"
    print(f"hotel: {chosen.reservations:,} reservations, {chosen.orders:,} product orders, ")
    print(f"{chosen.history_days} days, {limit}, ~1 s a full page")
    print("| wall s | ideal s | wall / ideal | requests | 429s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {wall_s:.1f} | {ideal_s:.1f} | {wall_s / ideal_s:.3f} | {requests:,} | "
        f"{status_429} | {peak_rss / 2**20:.0f} |"
    )
    print("| table | rows (distinct ids) | truth | check |")
    print("|---|---:|---:|---|")
    for table, (got, want) in checks.items():
        print(f"| {table} | {got:,} | {want:,} | {'ok' if got == want else 'DIFFERS'} |")


if __name__ == "__main__":
    sys.exit(main())
