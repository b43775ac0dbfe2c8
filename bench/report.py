"""What the backfill benchmark prints and writes: machine facts, result tables, JSON and chart."""

import math
import os
import platform
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import orjson  # noqa: E402
import psutil  # noqa: E402

MB = 1024 * 1024
TOOLS = ("connector", "rest_api")


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, load and the versions that decide the figures."""
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
        "cpu_yardstick_s": round(cpu_yardstick_s(), 3),
        "python": platform.python_version(),
        **{name: version(name) for name in ("dlt", "duckdb", "pyarrow", "httpx", "orjson")},
    }


def cpu_yardstick_s(rounds: int = 3) -> float:
    """Seconds of a fixed one-core workload (best of `rounds`), to compare hosts between runs.

    The same commit ran 2.5-3x faster on one day's host than on another's; the model name
    ("AMD EPYC") did not tell them apart. JSON pages through orjson and a Python loop: the
    kind of work the connector, the simulator and rest_api do.
    """
    page = [{"Id": f"{i:032x}", "Number": str(i), "Count": i % 7} for i in range(1000)]
    best = math.inf
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(1000):
            records = orjson.loads(orjson.dumps(page))
            sum(len(record["Id"]) + record["Count"] for record in records)
        best = min(best, time.perf_counter() - started)
    return best


def describe_machine(facts: dict[str, Any]) -> str:
    return (
        f"machine: {facts['cpu']}, {facts['cores']} cores, {facts['ram_gb']} GB RAM, "
        f"CPU yardstick {facts['cpu_yardstick_s']:.3f} s (lower is faster), "
        f"load {facts['load_avg_1m_at_start']} at start; Python {facts['python']}, "
        f"dlt {facts['dlt']}, duckdb {facts['duckdb']}, pyarrow {facts['pyarrow']}, "
        f"httpx {facts['httpx']}, orjson {facts['orjson']}"
    )


def results_table(results: Sequence[dict[str, Any]]) -> str:
    """One Markdown row per run: tool, regime, N, wall, rows/s, requests, 429s, peak RSS."""
    lines = [
        "| tool | regime | N | history d | wall s | after last request s | rows/s | requests "
        "| 429s | loads | peak RSS MB | load | steal % | check |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['tool']} | {r['regime']} | {r['n']:,} | {r['history_days']} "
            f"| {r['wall_s']:.1f} | {_one_decimal(r['after_last_request_s'])} "
            f"| {r['rows_per_s']:,.0f} | {_count(r['requests'])} "
            f"| {_count(r['responses_429'])} | {_count(r['connector_reported'].get('loads'))} "
            f"| {r['peak_rss_mb']:,.0f} | {r['load_1m_before']:.1f} "
            f"| {_one_decimal(r.get('cpu_steal_pct'))} | {r['check']} |"
        )
    return "\n".join(lines)


def speed_ratios(results: Sequence[dict[str, Any]]) -> list[str]:
    """connector / rest_api rows/s at every N both tools ran in regime (a)."""
    by_n: dict[int, dict[str, float]] = {}
    for r in results:
        if r["regime"] == "a":
            by_n.setdefault(r["n"], {})[r["tool"]] = r["rows_per_s"]
    return [
        f"(a) N={n:,}: connector {t['connector']:,.0f} rows/s vs rest_api "
        f"{t['rest_api']:,.0f} rows/s = {t['connector'] / t['rest_api']:.1f}x"
        for n, t in sorted(by_n.items())
        if set(TOOLS) <= set(t) and t["rest_api"] > 0
    ]


def throttled_lines(results: Sequence[dict[str, Any]]) -> list[str]:
    """(b): wall time against requests / rate and against the minimum number of pages."""
    lines = []
    for r in results:
        if r["regime"] != "b":
            continue
        lines.append(
            f"(b) N={r['n']:,}: wall {r['wall_s']:.1f} s; ideal {r['ideal_s']:.1f} s "
            f"({_count(r['requests'])} requests at {r['rate_per_s']:.2f}/s) -> "
            f"{r['wall_s'] / r['ideal_s']:.2f}x; pages_min {r['pages_min_s']:.1f} s "
            f"(ceil({r['rows']:,}/1000) pages) -> {r['wall_s'] / r['pages_min_s']:.2f}x; "
            f"429s {_count(r['responses_429'])}"
        )
    return lines


def memory_lines(results: Sequence[dict[str, Any]]) -> list[str]:
    """(c): the connector's peak RSS at the sizes tagged for it."""
    return [
        f"(c) connector N={r['n']:,}: peak RSS {r['peak_rss_mb']:,.0f} MB "
        f"({r['peak_rss_mb'] * MB / max(r['rows'], 1):,.0f} bytes per row)"
        for r in results
        if r["tool"] == "connector" and "c" in r["tags"]
    ]


def quiet_lines(results: Sequence[dict[str, Any]]) -> list[str]:
    """(d): the wall of a run that finds nothing new, connector against rest_api."""
    walls = {r["tool"]: r for r in results if r["regime"] == "d"}
    if not set(TOOLS) <= set(walls):
        return []
    ours, theirs = walls["connector"], walls["rest_api"]
    return [
        f"(d) N={ours['n']:,}, nothing new: connector {ours['wall_s']:.1f} s "
        f"({_count(ours['requests'])} requests) vs rest_api {theirs['wall_s']:.1f} s "
        f"({_count(theirs['requests'])} requests) = {ours['wall_s'] / theirs['wall_s']:.2f}x"
    ]


def chart(results: Sequence[dict[str, Any]], path: Path) -> None:
    """rows/s and peak RSS against N per tool (regime a), and (b) wall time against ideal."""
    fig, (speed, memory, throttled) = plt.subplots(1, 3, figsize=(15, 4.5))
    for tool, marker in zip(TOOLS, ("o", "s"), strict=True):
        points = sorted((r["n"], r) for r in results if r["regime"] == "a" and r["tool"] == tool)
        if not points:
            continue
        sizes = [n for n, _ in points]
        speed.plot(sizes, [r["rows_per_s"] for _, r in points], marker=marker, label=tool)
        memory.plot(sizes, [r["peak_rss_mb"] for _, r in points], marker=marker, label=tool)
    for axis, title, unit in (
        (speed, "(a) unthrottled: rows/s end to end", "rows/s"),
        (memory, "(a) peak RSS of the process tree", "MB"),
    ):
        axis.set(xscale="log", xlabel="reservations (N)", ylabel=unit, title=title)
        axis.grid(True, alpha=0.3)
        axis.legend()
    _throttled_bars(throttled, [r for r in results if r["regime"] == "b"])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _throttled_bars(axis: Any, runs: Sequence[dict[str, Any]]) -> None:
    labels, values = [], []
    for r in runs:
        labels += [f"wall\nN={r['n']:,}", "ideal\nrequests/rate", "pages_min\nceil(N/1000)/rate"]
        values += [r["wall_s"], r["ideal_s"], r["pages_min_s"]]
    axis.bar(range(len(values)), values, color=["C0", "C2", "C7"])
    axis.set_xticks(range(len(labels)), labels, fontsize=8)
    axis.set(ylabel="seconds", title="(b) rate-limited backfill: connector vs ideal")
    axis.grid(True, axis="y", alpha=0.3)


def pages_min_s(rows: int, rate_per_s: float) -> float:
    """Seconds to fetch the fewest possible full pages at the allowed rate."""
    return math.ceil(rows / 1000) / rate_per_s


def _one_decimal(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _count(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"
