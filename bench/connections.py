"""Several access tokens in one run: together against one after another (`--sequential`).

One simulator process holds `--tokens` enterprises, each with its own AccessToken and so its
own rate budget; the connector runs as `python pipelines/mews.py --resources reservations`
with one connection per token, into a fresh DuckDB file, alternately together and
sequential, so a drift of the machine hits both alike:

    .venv/bin/python bench/connections.py                     # 5 tokens, the real limit
    .venv/bin/python bench/connections.py --per-token 400000  # >= 400 requests a token
    .venv/bin/python bench/connections.py --unthrottled --per-token 200000 --single 1000000

Throttled, each run is compared with the ideal of its largest token: that token's requests /
(limit / window), what the run would take if nothing but the budget held it back. With
`--single N` a run of one token over N reservations follows, for rows/s against the group's.
Every loaded dataset is checked id by id against the simulator's truth; the script exits
non-zero when one differs, a run fails, or a throttled run saw a 429.
"""

import argparse
import os
import resource
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from backfill import CLEARED_PREFIXES, CONNECTOR_ARGV, DATASET, UNLIMITED
from harness import (
    REPO,
    SimulatorProcess,
    SimulatorSpec,
    loaded_ids,
    run_measured,
    stats_delta,
    summary_rows,
)
from report import MB, describe_machine, machine


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=5)
    parser.add_argument("--per-token", type=int, default=100_000, help="reservations a token")
    parser.add_argument("--history-days", type=int, default=1825)
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--modes", default="together,sequential", help="in this order")
    parser.add_argument("--unthrottled", action="store_true", help="no limit, no latency")
    parser.add_argument("--single", type=int, default=0, help="then one token over N")
    parser.add_argument("--out", type=Path, help="keep each run's output here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    throttled = not args.unthrottled
    spec = SimulatorSpec(
        reservations=args.tokens * args.per_token, history_days=args.history_days,
        rate_limit=200 if throttled else UNLIMITED, rate_window_s=30.0 if throttled else 1.0,
        latency_per_item_s=0.001 if throttled else 0.0, enterprises=args.tokens,
    )  # fmt: skip
    print(describe_machine(machine()), flush=True)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-connections-"))
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with SimulatorProcess(spec, out / "simulator.log") as sim:
        truth = set(sim.truth_ids())
        for pair in range(args.pairs):
            modes = args.modes.split(",")
            modes = modes if pair % 2 == 0 else modes[::-1]
            rows += [measure(sim, mode, truth, out / f"{pair}-{mode}") for mode in modes]
    if args.single:
        single = replace(spec, reservations=args.single, enterprises=1)
        with SimulatorProcess(single, out / "single-simulator.log") as sim:
            rows.append(measure(sim, "one token", set(sim.truth_ids()), out / "single"))
    print(table(rows, spec))
    failed = [r for r in rows if r["check"] != "ok"]
    return 1 if failed else 0


def measure(sim: SimulatorProcess, mode: str, truth: set[str], work: Path) -> dict[str, Any]:
    """One connector run with a connection per enterprise token of `sim`."""
    work.mkdir(parents=True)
    sim.wait_for_whole_budget()
    before = sim.stats()
    sim_cpu, own_cpu = sim.cpu_s(), children_cpu_s()
    run = run_measured(connector_argv(mode), connector_env(sim, work), REPO)
    counts = stats_delta(before, sim.stats())
    sim_cpu, own_cpu = sim.cpu_s() - sim_cpu, children_cpu_s() - own_cpu
    (work / "stdout").write_text(run.stdout)
    (work / "stderr").write_text(run.stderr)
    ids = loaded_ids(work / "mews.duckdb", DATASET)
    per_token = connection_requests(run.stdout)
    rate = sim.spec.rate_limit / sim.spec.rate_window_s
    ideal = max(per_token.values(), default=0) / rate if sim.spec.rate_limit < UNLIMITED else None
    check = "ok"
    if run.returncode != 0:
        check = f"exit {run.returncode}"
    elif len(ids) != len(truth) or set(ids) != truth:
        check = f"rows {len(ids):,} != truth {len(truth):,}"
    elif ideal is not None and counts.get("responses_429"):
        check = f"{counts['responses_429']} x 429"
    return {
        "mode": mode, "tokens": len(per_token), "rows": len(ids), "wall_s": run.wall_s,
        "requests": counts.get("requests"), "largest_token": max(per_token.values(), default=0),
        "ideal_s": ideal, "responses_429": counts.get("responses_429"),
        "peak_rss_mb": run.peak_rss_bytes / MB, "check": check,
        "connector_cpu_s": own_cpu, "simulator_cpu_s": sim_cpu,
    }  # fmt: skip


def children_cpu_s() -> float:
    """CPU seconds (user + system) of every child process this one has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def connector_argv(mode: str) -> list[str]:
    return [sys.executable, *CONNECTOR_ARGV, *(["--sequential"] if mode == "sequential" else [])]


def connector_env(sim: SimulatorProcess, work: Path) -> dict[str, str]:
    """Only this run's settings: one connection per enterprise token, nothing inherited."""
    tokens = sim.info["enterprise_tokens"]
    connections = [
        {"name": f"hotel_{i}", "access_token": tokens[enterprise]}
        for i, enterprise in enumerate(sim.info["enterprise_ids"])
    ]
    start = datetime.now(UTC) - timedelta(days=sim.spec.history_days + 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_PREFIXES)}
    return env | {
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(work / "dlt"),
        "DESTINATION__DUCKDB__CREDENTIALS": str(work / "mews.duckdb"),
        "SOURCES__MEWS__PLATFORM_URL": sim.url,
        "SOURCES__MEWS__CLIENT_TOKEN": sim.info["client_token"],
        "SOURCES__MEWS__CONNECTIONS": orjson.dumps(connections).decode(),
        "SOURCES__MEWS__START_DATE": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SOURCES__MEWS__RATE_LIMIT_REQUESTS": str(sim.spec.rate_limit),
        "SOURCES__MEWS__RATE_LIMIT_WINDOW_S": str(sim.spec.rate_window_s),
    }


def connection_requests(stdout: str) -> dict[str, int]:
    """Requests per connection, from the connector's summary table."""
    return {fields[0]: int(fields[1]) for fields in summary_rows(stdout)}


def table(rows: Sequence[dict[str, Any]], spec: SimulatorSpec) -> str:
    limit = "unthrottled" if spec.rate_limit >= UNLIMITED else f"{spec.rate_limit}/30 s, ~1 s pages"
    lines = [
        f"{spec.enterprises} tokens x {spec.reservations // spec.enterprises:,} reservations, "
        f"{spec.history_days} days, {limit}",
        "| mode | tokens | rows | wall s | rows/s | requests | largest token | ideal s "
        "| wall / ideal | 429s | peak RSS MB | connector CPU s | simulator CPU s | check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ideal = r["ideal_s"]
        ratio = f"{r['wall_s'] / ideal:.2f}" if ideal else "n/a"
        lines.append(
            f"| {r['mode']} | {r['tokens']} | {r['rows']:,} | {r['wall_s']:.1f} "
            f"| {r['rows'] / r['wall_s']:,.0f} | {r['requests']:,} | {r['largest_token']:,} "
            f"| {f'{ideal:.1f}' if ideal else 'n/a'} | {ratio} | {r['responses_429']} "
            f"| {r['peak_rss_mb']:,.0f} | {r['connector_cpu_s']:.1f} "
            f"| {r['simulator_cpu_s']:.1f} | {r['check']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
