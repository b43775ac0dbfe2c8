"""Backfill benchmark: this connector against dlt's generic `rest_api` source on the same data.

Each scenario starts `python -m mews_simulator` in its own process; each tool runs as its own
subprocess into a fresh DuckDB file. Regimes: (a) unthrottled, (b) the real rate limit
(200 requests / 30 s) with ~1 s per full page, (c) the connector's peak RSS (from (a) runs),
(d) a run that finds nothing new: each tool's second run after its own backfill.

    .venv/bin/python bench/backfill.py            # full run, 6-25 min on 2 cores, by host
    .venv/bin/python bench/backfill.py --quick    # tiny sizes, under ~2 min (CI)
    .venv/bin/python bench/backfill.py --only b --out /tmp/bench

Exits non-zero when a run fails, the loaded rows differ from the simulator's truth, or the
rate-limited run saw a 429.
"""

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psutil
import report
from harness import (
    REPO,
    LastRequestClock,
    Measured,
    SimulatorProcess,
    SimulatorSpec,
    cpu_steal_pct,
    loaded_ids,
    run_measured,
    stats_delta,
    summary_rows,
)

UNLIMITED = 1_000_000  # requests per 1 s window: never reached
DATASET = "mews_raw"
CONNECTOR_ARGV = ("pipelines/mews.py", "--resources", "reservations")
BASELINE = REPO / "bench" / "rest_api_baseline.py"
# Variables of an outer dlt project must not leak into the measured runs.
CLEARED_PREFIXES = ("SOURCES__", "DESTINATION__", "DLT_", "DATA_WRITER__", "NORMALIZE__",
                    "EXTRACT__", "LOAD__", "RUNTIME__", "MEWS_")  # fmt: skip


QUIET = (("connector", frozenset("d")), ("rest_api", frozenset("d")))


@dataclass(frozen=True)
class Scenario:
    """One simulator process and the tool runs against it, each tagged with its regimes."""

    name: str
    regime: str
    spec: SimulatorSpec
    runs: tuple[tuple[str, frozenset[str]], ...]


def plan(quick: bool) -> list[Scenario]:
    """(a) at two or three sizes (both tools where rest_api can read it), then (b)."""
    both_ac = (("connector", frozenset("ac")), ("rest_api", frozenset("a")))
    both_a = (("connector", frozenset("a")), ("rest_api", frozenset("a")))
    if quick:
        return [
            Scenario("a-5k", "a", SimulatorSpec(5_000, 85, UNLIMITED, 1.0), both_ac),
            Scenario("a-20k", "a", SimulatorSpec(20_000, 85, UNLIMITED, 1.0), both_ac),
            # 200 / 30 s scaled down to 10 / 1.5 s: the same 6.67 requests/s, a burst of 10
            Scenario(
                "b-20k", "b", SimulatorSpec(20_000, 730, 10, 1.5, latency_per_item_s=0.001),
                (("connector", frozenset("b")),),
            ),
            Scenario("d-5k", "d", SimulatorSpec(5_000, 85, UNLIMITED, 1.0), QUIET),
        ]  # fmt: skip
    return [
        Scenario("a-100k", "a", SimulatorSpec(100_000, 85, UNLIMITED, 1.0), both_ac),
        Scenario("a-200k", "a", SimulatorSpec(200_000, 85, UNLIMITED, 1.0), both_a),
        Scenario(
            "a-1M", "a", SimulatorSpec(1_000_000, 1825, UNLIMITED, 1.0),
            (("connector", frozenset("ac")),),
        ),
        Scenario(
            "b-1M", "b", SimulatorSpec(1_000_000, 1825, 200, 30.0, latency_per_item_s=0.001),
            (("connector", frozenset("b")),),
        ),
        # at the real latency (~1 s a full page) and budget: what an hourly run meets
        Scenario(
            "d-100k", "d", SimulatorSpec(100_000, 85, 200, 30.0, latency_per_item_s=0.001),
            QUIET,
        ),
    ]  # fmt: skip


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes for CI (~2 min)")
    parser.add_argument("--only", choices=("a", "b", "c", "d"), help="run one regime")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out", help="output dir")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    shutil.rmtree(out / "work", ignore_errors=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    facts = report.machine()
    _say(report.describe_machine(facts))
    results: list[dict[str, Any]] = []
    for scenario in plan(args.quick):
        runs = [(tool, tags) for tool, tags in scenario.runs if not args.only or args.only in tags]
        if runs:
            results.extend(run_scenario(scenario, runs, out))
    facts["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    document = {"machine": facts, "quick": args.quick, "only": args.only, "results": results}
    (out / "backfill.json").write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    report.chart(results, out / "backfill.png")
    print(report.describe_machine(facts))
    print(report.results_table(results))
    for line in [
        *report.speed_ratios(results),
        *report.throttled_lines(results),
        *report.memory_lines(results),
        *report.quiet_lines(results),
    ]:
        print(line)
    print(f"wrote {out / 'backfill.json'} and {out / 'backfill.png'}")
    failed = [r for r in results if r["check"] != "ok"]
    return 1 if failed or not results else 0


def run_scenario(
    scenario: Scenario, runs: Sequence[tuple[str, frozenset[str]]], out: Path
) -> list[dict[str, Any]]:
    """Start the scenario's simulator, run each tool against it, then check against truth."""
    spec = scenario.spec
    _say(f"{scenario.name}: starting the simulator ({spec.reservations:,} reservations)")
    measured: list[tuple[str, frozenset[str], Measured, dict[str, float | None], Path]] = []
    with SimulatorProcess(spec, out / "logs" / f"{scenario.name}-simulator.log") as sim:
        _say(f"{scenario.name}: simulator up after {sim.startup_s:.0f} s at {sim.url}")
        for tool, tags in runs:
            work = out / "work" / f"{scenario.name}-{tool}"
            work.mkdir(parents=True)
            if scenario.regime == "d":  # the backfill; the quiet run after it is measured
                run_tool(tool, sim, work, lambda: None)
            before = sim.stats()
            load = os.getloadavg()[0]  # the box is shared: busy neighbours slow every figure
            clock = LastRequestClock(sim)
            cpu_before = psutil.cpu_times()
            run = run_tool(tool, sim, work, clock.tick)
            steal = cpu_steal_pct(cpu_before, psutil.cpu_times())
            counts: dict[str, float | None] = {**stats_delta(before, sim.stats())}
            counts |= {"load": load, "steal": steal}
            if clock.last_change is not None:
                counts["fetch_s"] = clock.last_change - run.started
            _keep_logs(out / "logs" / f"{scenario.name}-{tool}", run)
            _say(f"{scenario.name}: {tool} exit {run.returncode} after {run.wall_s:.1f} s")
            measured.append((tool, tags, run, counts, work))
        truth = sim.truth_ids()
    return [
        _result(scenario, tool, tags, run, counts, work, truth)
        for tool, tags, run, counts, work in measured
    ]


def run_tool(tool: str, sim: SimulatorProcess, work: Path, tick: Callable[[], None]) -> Measured:
    """One measured run of `tool` against `sim`, loading into `work`/<tool>.duckdb."""
    spec = sim.spec
    now = datetime.now(UTC).replace(microsecond=0)
    start = _iso(now - timedelta(days=spec.history_days + 1))
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_PREFIXES)}
    env |= {
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(work / "dlt"),
        "DESTINATION__DUCKDB__CREDENTIALS": str(work / f"{tool}.duckdb"),
    }
    if tool == "connector":
        env |= {
            "SOURCES__MEWS__PLATFORM_URL": sim.url,
            "SOURCES__MEWS__CLIENT_TOKEN": sim.info["client_token"],
            "SOURCES__MEWS__ACCESS_TOKEN": sim.info["portfolio_token"],
            "SOURCES__MEWS__START_DATE": start,
            "SOURCES__MEWS__RATE_LIMIT_REQUESTS": str(spec.rate_limit),
            "SOURCES__MEWS__RATE_LIMIT_WINDOW_S": str(spec.rate_window_s),
        }
        return run_measured([sys.executable, *CONNECTOR_ARGV], env, REPO, tick)
    env["DATA_WRITER__DISABLE_COMPRESSION"] = "true"  # as tuned as the connector's config
    env["DATA_WRITER__COMPRESSION"] = "none"
    argv = [
        *(sys.executable, str(BASELINE), "--url", sim.url),
        *("--client-token", sim.info["client_token"]),
        *("--access-token", sim.info["portfolio_token"]),
        *("--start", start, "--end", _iso(now + timedelta(hours=1))),
    ]
    return run_measured(argv, env, work, tick)  # no project .dlt/: a plain dlt user's setup


def _result(
    scenario: Scenario,
    tool: str,
    tags: frozenset[str],
    run: Measured,
    counts: dict[str, float | None],
    work: Path,
    truth: list[str],
) -> dict[str, Any]:
    spec = scenario.spec
    ids = loaded_ids(work / f"{tool}.duckdb", DATASET)
    client = _connector_counts(run.stdout) if tool == "connector" else {}
    fetch_s = counts.get("fetch_s")
    result: dict[str, Any] = {
        "scenario": scenario.name, "tool": tool, "regime": scenario.regime,
        "tags": sorted(tags), "n": spec.reservations, "history_days": spec.history_days,
        "rate_limit": f"{spec.rate_limit}/{spec.rate_window_s:g}s",
        "latency_per_item_s": spec.latency_per_item_s, "returncode": run.returncode,
        "wall_s": round(run.wall_s, 2), "rows": len(ids), "truth_rows": len(truth),
        "rows_per_s": round(len(ids) / run.wall_s, 1),
        "requests": counts.get("requests", client.get("requests")),
        "reservation_requests": counts.get("reservation_requests"),
        "responses_429": counts.get("responses_429", client.get("responses_429")),
        "counted_by": "simulator" if "requests" in counts else "connector" if client else "nobody",
        "connector_reported": client,
        "peak_rss_mb": round(run.peak_rss_bytes / report.MB, 1),
        "load_1m_before": round(counts["load"] or 0.0, 2),
        "cpu_steal_pct": _rounded(counts["steal"]),
        # ~1 s resolution: from launch to the last API request seen, and the rest (load)
        "until_last_request_s": _rounded(fetch_s),
        "after_last_request_s": _rounded(None if fetch_s is None else run.wall_s - fetch_s),
    }  # fmt: skip
    if scenario.regime == "b":
        rate = spec.rate_limit / spec.rate_window_s
        result["rate_per_s"] = rate
        result["ideal_s"] = round((result["requests"] or 0) / rate, 2)
        result["pages_min_s"] = round(report.pages_min_s(len(truth), rate), 2)
    result["check"] = _check(run, ids, truth, result)
    return result


def _check(run: Measured, ids: list[str], truth: list[str], result: dict[str, Any]) -> str:
    """ "ok", or what went wrong."""
    if run.returncode != 0:
        return f"exit {run.returncode}"
    if len(ids) != len(truth) or set(ids) != set(truth):
        return f"rows {len(ids):,} != truth {len(truth):,}"
    if result["regime"] == "b" and result["responses_429"]:
        return f"{result['responses_429']} x 429"
    return "ok"


def _connector_counts(stdout: str) -> dict[str, int]:
    """Requests, 429s and loads from the connector's own summary (the per-connection rows)."""
    rows = summary_rows(stdout)
    if not rows:
        return {}
    return {
        "requests": sum(int(fields[1]) for fields in rows),
        "responses_429": sum(int(fields[3]) for fields in rows),
        "loads": sum(int(fields[6]) for fields in rows),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _keep_logs(prefix: Path, run: Measured) -> None:
    Path(f"{prefix}.stdout").write_text(run.stdout)
    Path(f"{prefix}.stderr").write_text(run.stderr)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _say(message: str) -> None:
    """Progress on stderr, so stdout holds only the results."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
