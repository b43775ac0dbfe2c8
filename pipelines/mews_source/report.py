"""Turn a run's result or failure into what a person reads: a summary, or one line."""

import inspect
from collections import Counter

from mews_source import configured_run
from mews_source.errors import ConfigError, exception_chain, find_mews_error
from mews_source.explain import explain_config, explain_duckdb, explain_file
from mews_source.runner import RunResult

MAX_MESSAGE = 400


def describe_error(exc: BaseException) -> tuple[str, bool]:
    """One secret-free line for `exc`, and whether it was bad input (config or usage)."""
    mews_error = find_mews_error(exc)
    if mews_error is not None:
        return _one_line(str(mews_error)), isinstance(mews_error, ConfigError)
    source_fields = list(inspect.signature(configured_run).parameters)
    for candidate in exception_chain(exc):
        config = explain_config(candidate, source_fields)
        if config is not None:
            return _one_line(config), True
        failure = explain_duckdb(candidate) or explain_file(candidate)
        if failure is not None:
            return _one_line(failure), False
    innermost = list(exception_chain(exc))[-1]
    return _one_line(f"{type(innermost).__name__}: {innermost}"), False


def format_summary(result: RunResult) -> str:
    """A short table: per connection requests, retries and loads, per table rows loaded."""
    lines = [f"mews: {len(result.connections)} connection(s) in {result.duration_s:.1f} s"]
    lines.append(
        f"{'connection':<16}{'requests':>9}{'retries':>9}{'429s':>6}{'windows':>9}"
        f"{'pages':>7}{'loads':>7}{'waited s':>10}  status"
    )
    rows: Counter[str] = Counter()
    for c in result.connections:
        status = "failed" if c.error else "ok"
        lines.append(
            f"{c.name:<16}{c.requests:>9}{c.retries:>9}{c.responses_429:>6}"
            f"{sum(c.windows.values()):>9}{c.pages:>7}{c.loads:>7}{c.throttled_s:>10.1f}  {status}"
        )
        rows.update(c.rows)
    if not rows:
        lines.append("nothing new: no row to load")
        return "\n".join(lines)
    lines.append(f"{'table':<32}{'rows read':>12}  (before merging duplicates by key)")
    lines.extend(f"{table:<32}{count:>12,}" for table, count in sorted(rows.items()))
    return "\n".join(lines)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 3] + "..."
