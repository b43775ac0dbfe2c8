"""dags/mews_dag.py: one task group per connection, then dbt build; a real run on the simulator.

Airflow is heavy, so it lives in its own venv (.venv-airflow); elsewhere the Airflow tests skip.
AIRFLOW_HOME and the SQLite metadata DB live in a temporary directory (see conftest.py).
"""

import importlib.util
import json
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import httpx
import pytest

from mews_simulator import SimulatorConfig, running_simulator
from mews_source import RESOURCE_NAMES, mews_source
from tests.support import assert_equal_to_truth

REPO = Path(__file__).resolve().parents[2]
DAG_FILE = REPO / "dags" / "mews_dag.py"
CONNECTIONS = ["prague", "vienna-1", "Brno"]
GROUPS = ["mews_prague", "mews_vienna_1", "mews_brno"]

# dlt's Airflow config provider calls APIs that Airflow 3 deprecates; not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Using Variable.get from `airflow.models`"),
    pytest.mark.filterwarnings("ignore:The `airflow.operators.python.get_current_context`"),
]
needs_airflow = pytest.mark.skipif(
    importlib.util.find_spec("airflow") is None,
    reason="apache-airflow is not installed in this interpreter (CI runs it in .venv-airflow)",
)


@pytest.fixture
def airflow_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Undo what dlt's helper writes to os.environ, and keep its data dirs under tmp_path."""
    for name in ("DLT_DATA_DIR", "DLT_PROJECT_DIR", "DLT_LOCAL_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("SOURCES__MEWS__CLIENT_TOKEN", "client-token")
    monkeypatch.setenv("SOURCES__MEWS__START_DATE", "2024-01-01T00:00:00Z")
    monkeypatch.setenv("MEWS_DESTINATION", "duckdb")
    monkeypatch.setenv("MEWS_DUCKDB_PATH", str(tmp_path / "mews.duckdb"))
    yield tmp_path


def parse_dag() -> ModuleType:
    """Import the DAG file the way Airflow does: as a fresh module from its path."""
    spec = importlib.util.spec_from_file_location("mews_dag_under_test", DAG_FILE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def three_connections(monkeypatch: pytest.MonkeyPatch, tokens: list[str] | None = None) -> None:
    tokens = tokens or ["token-a", "token-b", "token-c"]
    entries = [{"name": n, "access_token": t} for n, t in zip(CONNECTIONS, tokens, strict=True)]
    monkeypatch.setenv("SOURCES__MEWS__CONNECTIONS", json.dumps(entries))


def upstream(dag: Any) -> dict[str, set[str]]:
    return {task.task_id: set(task.upstream_task_ids) for task in dag.tasks}


def test_building_the_source_sends_no_request() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(500)

    source = mews_source(
        platform_url="http://127.0.0.1:9",
        client_token="client",
        access_token="token",
        start_date="2024-01-01T00:00:00Z",
        transport=httpx.MockTransport(handler),
    )

    assert set(source.resources) == set(RESOURCE_NAMES)
    assert {"reservations", "product_service_orders", "enterprises", "rates"} <= set(RESOURCE_NAMES)
    assert requests == []


@needs_airflow
def test_three_connections_load_in_parallel_groups_then_dbt_builds(
    airflow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_connections(monkeypatch)

    dag = parse_dag().dag

    loads = {f"{group}.{group}" for group in GROUPS}
    assert [g for g in dag.task_group.children if g != "dbt_build"] == GROUPS
    assert upstream(dag) == {**{task: set() for task in loads}, "dbt_build": loads}
    assert dag.max_active_runs == 1 and not dag.catchup


@needs_airflow
@pytest.mark.parametrize(
    "env",
    [{"SOURCES__MEWS__ACCESS_TOKEN": "token"}, {}, {"SOURCES__MEWS__CONNECTIONS": "[not json"}],
    ids=["single-token", "nothing-configured", "broken-connections"],
)
def test_single_or_missing_config_schedules_the_cli_pipeline(
    env: dict[str, str], airflow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    dag = parse_dag().dag

    assert upstream(dag) == {"mews.mews": set(), "dbt_build": {"mews.mews"}}


@needs_airflow
def test_destination_without_dbt_target_gets_no_dbt_task(
    airflow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_connections(monkeypatch)
    monkeypatch.setenv("MEWS_DESTINATION", "bigquery")

    dag = parse_dag().dag

    assert "dbt_build" not in dag.task_ids
    assert len(dag.task_ids) == 3


@needs_airflow
def test_parsing_opens_no_network_connection(
    airflow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_connections(monkeypatch)
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("no network while parsing")

    monkeypatch.setattr(socket.socket, "connect", refuse)

    parse_dag()

    assert attempts == []


@needs_airflow
def test_dag_run_loads_every_connection_from_the_simulator_and_builds_dbt(
    airflow_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = SimulatorConfig(
        reservation_count=2000, product_service_order_count=300, history_days=120
    )
    with running_simulator(config) as sim:
        # One single-enterprise token per property, as a hotel group configures it.
        three_connections(monkeypatch, [sim.enterprise_tokens[e] for e in sim.enterprise_ids])
        monkeypatch.setenv("SOURCES__MEWS__PLATFORM_URL", sim.url)
        monkeypatch.setenv("SOURCES__MEWS__CLIENT_TOKEN", sim.client_token)
        monkeypatch.setenv("SOURCES__MEWS__START_DATE", "2020-01-01T00:00:00Z")
        monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")  # dbt

        run = parse_dag().dag.test()

        assert run.state == "success"
        db = airflow_env / "mews.duckdb"
        assert_equal_to_truth(db, sim)
    with duckdb.connect(str(db), read_only=True) as con:
        states = con.execute("SELECT DISTINCT pipeline_name FROM mews_raw._dlt_pipeline_state")
        pipelines = sorted(row[0] for row in states.fetchall())
        marts = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'mews_analytics'"
        )
        [(mart_count,)] = marts.fetchall()
    assert pipelines == sorted(GROUPS)
    assert mart_count > 0
