"""Warehouses holding the raw Mews tables, and a runner for `dbt build` of mews_dbt on them.

DuckDB is always tested: on the small dataset in raw_tables.py, or on a copy of real loader output
when MEWS_TEST_DUCKDB_PATH names a DuckDB file. PostgreSQL is tested when MEWS_TEST_POSTGRES_URL
is set (see .ci/start-postgres.sh); without it the test is skipped locally and fails in CI.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
import psycopg2
import psycopg2.extras
import pytest

from tests.dbt.raw_tables import DATASET, load_tables, replace_rows

PROJECT_DIR = Path(__file__).resolve().parents[2] / "mews_dbt"
DBT = Path(sys.executable).with_name("dbt")
# Far from UTC on purpose: nights and days must follow UTC dates whatever the session time zone.
SESSION_TIME_ZONE = "Pacific/Auckland"


@dataclass
class Warehouse:
    """A database with the raw tables, the dbt target to build it and a way to query it."""

    target: str
    dbt_env: dict[str, str]
    fetch: Callable[[str], list[dict[str, Any]]]
    holds_sample_data: bool
    replace_rows: Callable[[str, list[dict[str, Any]]], None]


@dataclass
class DbtBuild:
    """Outcome of `dbt build`: exit code, console output and status per node unique_id."""

    returncode: int
    output: str
    statuses: dict[str, str]


def _fetch_duckdb(path: Path) -> Callable[[str], list[dict[str, Any]]]:
    def fetch(sql: str) -> list[dict[str, Any]]:
        with duckdb.connect(str(path), read_only=True) as connection:
            cursor = connection.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return fetch


def _fetch_postgres(url: str) -> Callable[[str], list[dict[str, Any]]]:
    def fetch(sql: str) -> list[dict[str, Any]]:
        with (
            closing(psycopg2.connect(url)) as connection,
            connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor,
        ):
            cursor.execute(sql)
            return [dict(row) for row in cursor.fetchall()]

    return fetch


def _replace_duckdb_rows(path: Path) -> Callable[[str, list[dict[str, Any]]], None]:
    def replace(table: str, rows: list[dict[str, Any]]) -> None:
        with duckdb.connect(str(path)) as connection:
            replace_rows(connection.execute, "?", table, rows)

    return replace


def _replace_postgres_rows(url: str) -> Callable[[str, list[dict[str, Any]]], None]:
    def replace(table: str, rows: list[dict[str, Any]]) -> None:
        with (
            closing(psycopg2.connect(url)) as connection,
            connection,
            connection.cursor() as cursor,
        ):
            replace_rows(cursor.execute, "%s", table, rows)

    return replace


def duckdb_warehouse(directory: Path) -> Warehouse:
    """The raw tables in a DuckDB file under directory."""
    path = directory / "mews.duckdb"
    real_output = os.environ.get("MEWS_TEST_DUCKDB_PATH")
    if real_output:
        shutil.copyfile(real_output, path)
    else:
        with duckdb.connect(str(path)) as connection:
            load_tables(connection.execute, "?")
    env = {"MEWS_DUCKDB_PATH": str(path)}
    return Warehouse(
        "duckdb", env, _fetch_duckdb(path), not real_output, _replace_duckdb_rows(path)
    )


def simulated_warehouse(path: Path) -> Warehouse:
    """The pipeline's own DuckDB file, loaded from the simulator (no sample rows in it)."""
    env = {"MEWS_DUCKDB_PATH": str(path)}
    return Warehouse("duckdb", env, _fetch_duckdb(path), False, _replace_duckdb_rows(path))


def postgres_url() -> str:
    """MEWS_TEST_POSTGRES_URL; without it the test is skipped locally and fails in CI."""
    url = os.environ.get("MEWS_TEST_POSTGRES_URL")
    if not url:
        reason = 'MEWS_TEST_POSTGRES_URL is not set; run: eval "$(.ci/start-postgres.sh | tail -1)"'
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


def _postgres(url: str, holds_sample_data: bool) -> Warehouse:
    parts = urlsplit(url)
    env = {
        "MEWS_PG_HOST": parts.hostname or "127.0.0.1",
        "MEWS_PG_PORT": str(parts.port or 5432),
        "MEWS_PG_USER": unquote(parts.username or "postgres"),
        "MEWS_PG_PASSWORD": unquote(parts.password or ""),
        "MEWS_PG_DATABASE": parts.path.lstrip("/"),
        "PGTZ": SESSION_TIME_ZONE,
    }
    fetch, replace = _fetch_postgres(url), _replace_postgres_rows(url)
    return Warehouse("postgres", env, fetch, holds_sample_data, replace)


def _drop_schemas(url: str, *schemas: str) -> None:
    with closing(psycopg2.connect(url)) as connection, connection, connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f"drop schema if exists {schema} cascade")


def postgres_warehouse() -> Warehouse:
    """The raw tables in the PostgreSQL database at MEWS_TEST_POSTGRES_URL."""
    url = postgres_url()
    # The snapshot in mews_analytics would keep versions from an earlier test's data.
    _drop_schemas(url, "mews_analytics")
    with closing(psycopg2.connect(url)) as connection, connection, connection.cursor() as cursor:
        load_tables(cursor.execute, "%s")
    return _postgres(url, holds_sample_data=True)


def simulated_postgres_warehouse() -> Warehouse:
    """An empty PostgreSQL dataset for the pipeline to load from the simulator."""
    url = postgres_url()
    _drop_schemas(url, "mews_analytics", DATASET, f"{DATASET}_staging")
    return _postgres(url, holds_sample_data=False)


def run_dbt_build(warehouse: Warehouse, work_dir: Path, select: str | None = None) -> DbtBuild:
    """Run `dbt build` (of the nodes select names, else all) with target/ and logs/ in work_dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEWS_", "DBT_"))}
    env |= warehouse.dbt_env | {
        "MEWS_DATASET": DATASET,
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "TZ": SESSION_TIME_ZONE,
    }
    target_path = work_dir / "target"
    command = [
        str(DBT), "build", "--no-use-colors",
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
        "--target", warehouse.target, "--target-path", str(target_path),
    ]  # fmt: skip
    if select:
        # cautious: no tests that also read models left out, such as relationships tests.
        command += ["--select", select, "--indirect-selection", "cautious"]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    results_file = target_path / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    statuses = {result["unique_id"]: result["status"] for result in results}
    return DbtBuild(completed.returncode, completed.stdout + completed.stderr, statuses)
