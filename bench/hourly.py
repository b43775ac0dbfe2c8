"""Requests of a typical hourly run for a portfolio of 1, 10 and 100 properties.

For each size, one portfolio token over N properties (`python -m mews_simulator
--enterprises N`): a backfill of every resource, then an hour's changes (`/_sim/mutate`: 0.5 %
of reservations and orders updated, 3 of each created per property) and the hourly run that
loads them, then the next run at once, which finds nothing new but whose overlap re-reads the
hour's changes (an hour later it would not). The simulator counts every request by path;
each run's tables are checked against its truth. The limit is lifted so that the runs are
quick: only the request counts matter, and at 200 / 30 s each request costs 0.15 s of budget.

    .venv/bin/python bench/hourly.py            # 1, 10 and 100 properties, ~5-10 min
    .venv/bin/python bench/hourly.py --quick    # 1 and 3 properties (CI)
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from catalogue import check, environment, tables
from harness import REPO, SimulatorProcess, SimulatorSpec, run_measured

RESERVATIONS_PER_PROPERTY = 500
HISTORY_DAYS = 60
BUDGET_PER_S = 200 / 30.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 3 properties")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "hourly")
    return parser.parse_args(argv)


def spec(properties: int) -> SimulatorSpec:
    reservations = RESERVATIONS_PER_PROPERTY * properties
    return SimulatorSpec(
        reservations, HISTORY_DAYS, 100_000, 1.0, enterprises=properties, orders=reservations // 5
    )


def measure(properties: int, out: Path) -> dict[str, Any]:
    """Requests of the backfill, the hourly run after changes and the quiet run of one size."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Any] = {"properties": properties}
    with SimulatorProcess(spec(properties), out / "simulator.log") as sim:
        env = environment(sim, argparse.Namespace(out=out))
        for run in ("backfill", "hourly", "quiet"):
            if run == "hourly":
                sim.mutate(fraction=0.005, create=3 * properties, seed=properties)
            before = sim.stats() or {}
            done = run_measured([sys.executable, "pipelines/mews.py"], env, REPO)
            if done.returncode != 0:
                raise RuntimeError(f"{run} run failed: {done.stderr.strip()[-500:]}")
            after = sim.stats() or {}
            counts[run] = after["requests"] - before.get("requests", 0)
            counts[f"{run}_by_path"] = _by_path(before, after)
            counts[f"{run}_wall_s"] = done.wall_s
        database = out / "catalogue.duckdb"
        checks = [check(sim, database, table) for table in tables()]
        counts["exact"] = all(got == want for got, want in checks)
    return counts


def _by_path(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    old = before.get("by_path", {})
    return {
        path: count - old.get(path, 0)
        for path, count in after["by_path"].items()
        if count - old.get(path, 0) and not path.startswith("/_sim/")
    }


def print_report(results: list[dict[str, Any]]) -> None:
    print(f"one portfolio token, every resource, {RESERVATIONS_PER_PROPERTY} reservations")
    print(f"per property over {HISTORY_DAYS} days; requests counted by the simulator")
    print("| properties | backfill | hourly run after changes | next run at once |", end="")
    print(" hourly budget s at 200 / 30 s | exact |")
    print("|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['properties']} | {r['backfill']:,} | {r['hourly']:,} | {r['quiet']:,} | "
            f"{r['hourly'] / BUDGET_PER_S:.1f} | {'ok' if r['exact'] else 'DIFFERS'} |"
        )
    largest = results[-1]
    print(f"requests of the hourly run at {largest['properties']} properties, by path:")
    for path, count in sorted(largest["hourly_by_path"].items()):
        print(f"  {count:4d} {path}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = (1, 3) if args.quick else (1, 10, 100)
    results = [measure(n, args.out / f"p{n}") for n in sizes]
    print_report(results)
    return 0 if all(r["exact"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
