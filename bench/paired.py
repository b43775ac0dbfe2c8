"""Paired, interleaved backfills of two checkouts of the connector against one simulator.

Whether a mechanism pays is decided by running the code with it (A) and without it (B) on
the same data, alternating which goes first, so drift of the machine hits both alike:

    .venv/bin/python bench/paired.py --a . --b /path/to/other/checkout --sizes 200000,1000000

Production-like: ~1 s per full page of 1000 (`--latency-per-item-s 0.001`), unthrottled or at
the real budget (`--rate-limit 200 --rate-window-s 30`), over a short history so a run stays
at a few hundred requests (`--history-days 30`).

Each run is `python pipelines/mews.py --resources reservations` from that checkout into a fresh
DuckDB file; every loaded dataset is checked against the simulator's ground truth. Prints one
row per size: median wall of A and B, B / A, the median requests of a run (from the
simulator's stats; both checkouts should make about as many), the 429s each checkout met over
all its runs, and every pair.
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
from harness import (
    Measured,
    SimulatorProcess,
    SimulatorSpec,
    loaded_ids,
    run_measured,
    stats_delta,
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", type=Path, required=True, help="checkout A (e.g. with it)")
    parser.add_argument("--b", type=Path, required=True, help="checkout B (e.g. without it)")
    parser.add_argument("--sizes", default="200000,1000000", help="reservations, comma-separated")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument(
        "--latency-per-item-s",
        type=float,
        default=0.0,
        help="the simulator's latency per returned item (0.001: ~1 s per page of 1000)",
    )
    parser.add_argument(
        "--history-days",
        type=int,
        help="days of history (default: 85 up to 200k reservations, else 1825)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=UNLIMITED,
        help="requests per window, for the simulator and the connector (default: unthrottled)",
    )
    parser.add_argument("--rate-window-s", type=float, default=1.0, help="the rate window")
    return parser.parse_args(argv)


def spec_for(
    size: int,
    latency_per_item_s: float = 0.0,
    history_days: int | None = None,
    rate_limit: int = UNLIMITED,
    rate_window_s: float = 1.0,
) -> SimulatorSpec:
    """By default unthrottled, as bench/backfill.py's regime (a): about 5 years for a million."""
    days = history_days or (85 if size <= 200_000 else 1825)
    return SimulatorSpec(size, days, rate_limit, rate_window_s, latency_per_item_s)


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
        # The connector's budget is the simulator's, as against the real API.
        "SOURCES__MEWS__RATE_LIMIT_REQUESTS": str(sim.spec.rate_limit),
        "SOURCES__MEWS__RATE_LIMIT_WINDOW_S": str(sim.spec.rate_window_s),
    }
    return run_measured([sys.executable, *CONNECTOR_ARGV], env, checkout.resolve())


def measure(
    spec: SimulatorSpec, checkouts: dict[str, Path], pairs: int, root: Path
) -> tuple[dict[str, list[float]], list[int], dict[str, int]]:
    """Wall seconds of each checkout's runs, alternating which of the pair goes first.

    Also the API requests of every run and each checkout's 429s, as the simulator counted.
    """
    size = spec.reservations
    walls: dict[str, list[float]] = {name: [] for name in checkouts}
    requests: list[int] = []
    throttled = dict.fromkeys(checkouts, 0)
    with SimulatorProcess(spec, root / f"sim-{size}.log") as sim:
        truth = set(sim.truth_ids())
        for pair in range(pairs):
            order = list(checkouts) if pair % 2 == 0 else list(reversed(checkouts))
            for name in order:
                work = root / f"{size}-{pair}-{name}"
                work.mkdir()
                sim.wait_for_whole_budget()
                before = sim.stats()
                run = run_checkout(checkouts[name], sim, work)
                counts = stats_delta(before, sim.stats())
                requests.append(counts.get("requests", -1))
                throttled[name] += counts.get("responses_429", 0)
                if run.returncode != 0:
                    raise SystemExit(f"{name} failed at {size}: {run.stderr[-500:]}")
                if set(loaded_ids(work / "mews.duckdb", DATASET)) != truth:
                    raise SystemExit(f"{name} at {size}: the loaded ids differ from the truth")
                walls[name].append(run.wall_s)
                shutil.rmtree(work)
    return walls, requests, throttled


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    checkouts = {"A": args.a, "B": args.b}
    print(f"A = {args.a.resolve()}\nB = {args.b.resolve()}")
    budget = "unthrottled" if args.rate_limit >= UNLIMITED else f"{args.rate_limit} requests"
    if args.rate_limit < UNLIMITED:
        budget += f" / {args.rate_window_s:g} s"
    print(f"latency per item {args.latency_per_item_s:g} s, {budget}")
    print(
        f"{'reservations':>12}{'A median s':>12}{'B median s':>12}{'B / A':>8}"
        f"{'requests':>10}{'429s A, B':>11}  pairs (A, B)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            spec = spec_for(
                size,
                args.latency_per_item_s,
                args.history_days,
                args.rate_limit,
                args.rate_window_s,
            )
            walls, requests, throttled = measure(spec, checkouts, args.pairs, Path(tmp))
            a, b = statistics.median(walls["A"]), statistics.median(walls["B"])
            pairs = " ".join(
                f"({x:.1f}, {y:.1f})" for x, y in zip(walls["A"], walls["B"], strict=True)
            )
            print(
                f"{size:>12,}{a:>12.2f}{b:>12.2f}{b / a:>8.2f}"
                f"{statistics.median(requests):>10.0f}"
                f"{throttled['A']:>6}, {throttled['B']:<3}  {pairs}",
                flush=True,
            )


if __name__ == "__main__":
    main()
