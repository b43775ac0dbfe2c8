"""Isolation for every test, and a running simulator over loopback for those that need one."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mews_source.ratelimit import reset_shared_limiters

# Nothing a test forgets to configure may reach a real Mews host: point the default at a
# closed loopback port before dlt reads any configuration.
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A clean dlt environment per test: its own data dir, no inherited Mews or dest config."""
    for key in list(os.environ):
        if key.startswith(("SOURCES__", "DESTINATION__", "MEWS__", "RUNTIME__")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("SOURCES__MEWS__PLATFORM_URL", UNREACHABLE)
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    yield tmp_path


@pytest.fixture(autouse=True)
def whole_rate_budgets() -> None:
    """Every test starts with the whole rate budget of every token.

    The process keeps one limiter per token and budget (`ratelimit.shared_limiter`): without
    this, a test would sleep out a window that an earlier test spent, on a simulator that
    may be gone.
    """
    reset_shared_limiters()
