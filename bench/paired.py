"""Paired, interleaved backfills of two checkouts of the connector against one simulator.

Whether a mechanism pays is decided by running the code with it (A) and without it (B) on
the same data, alternating which goes first, so drift of the machine hits both alike:

    .venv/bin/python bench/paired.py --a . --b /path/to/other/checkout --sizes 200000,1000000

Each run is `python pipelines/mews.py --resources reservations` from that checkout into a fresh
DuckDB file; every loaded dataset is checked against the simulator's ground truth. Prints one
row per size: median wall of A and B, B / A, and every pair.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backfill import CLEARED_PREFIXES, CONNECTOR_ARGV, DATASET, UNLIMITED
from harness import Measured, SimulatorProcess, SimulatorSpec, loaded_ids, run_measured


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", type=Path, required=True, help="checkout A (e.g. with it)")
    parser.add_argument("--b", type=Path, required=True, help="checkout B (e.g. without it)")
    parser.add_argument("--sizes", default="200000,1000000", help="reservations, comma-separated")
    parser.add_argument("--pairs", type=int, default=5)
    return parser.parse_args(argv)


def spec_for(size: int) -> SimulatorSpec:
    """Unthrottled, as bench/backfill.py's regime (a): about 5 years for a million."""
    return SimulatorSpec(size, 85 if size <= 200_000 else 1825, UNLIMITED, 1.0)


def run_checkout(checkout: Path, sim: SimulatorProcess, work: Path) -> Measured:
    """One backfill from `checkout` into `work`, with the checkout's own code and config."""
    start = datetime.now(UTC) - timedelta(days=sim.spec.history_days + 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_PREFIXES)}
    env |= {
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(work / "dlt"),
        "DESTINATION__DUCKDB__CREDENTIALS": str(work / "mews.duckdb"),
        "SOURCES__MEWS__PLATFORM_URL": sim.url,
        "SOURCES__MEWS__CLIENT_TOKEN": sim.info["client_token"],
        "SOURCES__MEWS__ACCESS_TOKEN": sim.info["portfolio_token"],
        "SOURCES__MEWS__START_DATE": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SOURCES__MEWS__RATE_LIMIT_REQUESTS": str(UNLIMITED),
        "SOURCES__MEWS__RATE_LIMIT_WINDOW_S": "1",
    }
    return run_measured([sys.executable, *CONNECTOR_ARGV], env, checkout.resolve())


def measure(
    size: int, checkouts: dict[str, Path], pairs: int, root: Path
) -> dict[str, list[float]]:
    """Wall seconds of each checkout's runs, alternating which of the pair goes first."""
    walls: dict[str, list[float]] = {name: [] for name in checkouts}
    with SimulatorProcess(spec_for(size), root / f"sim-{size}.log") as sim:
        truth = set(sim.truth_ids())
        for pair in range(pairs):
            order = list(checkouts) if pair % 2 == 0 else list(reversed(checkouts))
            for name in order:
                work = root / f"{size}-{pair}-{name}"
                work.mkdir()
                run = run_checkout(checkouts[name], sim, work)
                if run.returncode != 0:
                    raise SystemExit(f"{name} failed at {size}: {run.stderr[-500:]}")
                if set(loaded_ids(work / "mews.duckdb", DATASET)) != truth:
                    raise SystemExit(f"{name} at {size}: the loaded ids differ from the truth")
                walls[name].append(run.wall_s)
                shutil.rmtree(work)
    return walls


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    checkouts = {"A": args.a, "B": args.b}
    print(f"A = {args.a.resolve()}\nB = {args.b.resolve()}")
    print(f"{'reservations':>12}{'A median s':>12}{'B median s':>12}{'B / A':>8}  pairs (A, B)")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            walls = measure(size, checkouts, args.pairs, Path(tmp))
            a, b = statistics.median(walls["A"]), statistics.median(walls["B"])
            pairs = " ".join(
                f"({x:.1f}, {y:.1f})" for x, y in zip(walls["A"], walls["B"], strict=True)
            )
            print(f"{size:>12,}{a:>12.2f}{b:>12.2f}{b / a:>8.2f}  {pairs}", flush=True)


if __name__ == "__main__":
    main()
