"""Figures for docs/RELIABILITY.md: each scenario appends one JSON line when asked to.

Set `MEWS_RELIABILITY_REPORT=/path/figures.jsonl` and run the suite; `report.py` turns the
file into the Markdown table. Without the variable nothing is written.
"""

import json
import os
import threading
from pathlib import Path
from typing import Any

REPORT_ENV = "MEWS_RELIABILITY_REPORT"
_lock = threading.Lock()


def record(
    scenario: str,
    injected: str,
    *,
    runs: int = 0,
    lost: int | None = None,
    duplicated: int | None = None,
    leaks: int | None = None,
    outcome: str = "",
) -> None:
    """Append one scenario's figures (None: not measured by this test)."""
    target = os.environ.get(REPORT_ENV)
    if not target:
        return
    line: dict[str, Any] = {
        "scenario": scenario,
        "injected": injected,
        "runs": runs,
        "lost": lost,
        "duplicated": duplicated,
        "leaks": leaks,
        "outcome": outcome,
    }
    with _lock, Path(target).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
