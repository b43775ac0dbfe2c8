"""Turn the suite's figures (JSON lines from MEWS_RELIABILITY_REPORT) into a Markdown table.

    MEWS_RELIABILITY_REPORT=/tmp/figures.jsonl .venv/bin/python -m pytest tests/reliability
    .venv/bin/python tests/reliability/report.py /tmp/figures.jsonl > table.md

Lines of the same scenario (e.g. test_bad_input's outcome and test_secrets' leak scan of the
same CLI run) are merged: figures add up, and "—" means no test measured that figure.
"""

import json
import re
import sys
from pathlib import Path
from typing import Any

FIGURES = ("runs", "lost", "duplicated", "leaks")
TEMP_DIR = re.compile(r"/\S*/cli_scenarios\d*/")  # pytest's temp dirs differ per run


def merge(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One row per scenario, in first-seen order."""
    rows: dict[str, dict[str, Any]] = {}
    for line in lines:
        row = rows.setdefault(
            line["scenario"],
            {"injected": line["injected"], "outcome": [], **dict.fromkeys(FIGURES)},
        )
        for key in FIGURES:
            if line.get(key) is not None:
                row[key] = (row[key] or 0) + line[key]
        if line.get("outcome"):
            row["outcome"].append(line["outcome"])
    return rows


def table(rows: dict[str, dict[str, Any]]) -> str:
    """The Markdown table, sorted by scenario name."""
    out = [
        "| scenario | injected | runs | rows lost | rows duplicated | token leaks | outcome |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for name, row in sorted(rows.items()):
        cells = ["—" if row[k] is None else str(row[k]) for k in FIGURES]
        outcome = TEMP_DIR.sub("<tmp>/", "; ".join(row["outcome"])).replace("|", "\\|")
        out.append(f"| {name} | {row['injected']} | {' | '.join(cells)} | {outcome} |")
    totals = {k: sum(r[k] or 0 for r in rows.values()) for k in FIGURES}
    out.append(
        f"| **total ({len(rows)} scenarios)** | | {totals['runs']} | {totals['lost']} | "
        f"{totals['duplicated']} | {totals['leaks']} | |"
    )
    return "\n".join(out)


def main(path: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    print(table(merge(lines)))


if __name__ == "__main__":
    main(sys.argv[1])
