"""Airflow's home for the scheduling tests: set before anything imports Airflow.

dlt imports Airflow on its first config lookup wherever Airflow is installed, so even tests that
never touch the DAG would otherwise create ~/airflow.
"""

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="session", autouse=True)
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """A private AIRFLOW_HOME with a migrated SQLite DB, where Airflow is installed."""
    if importlib.util.find_spec("airflow") is None:
        yield None
        return
    home = tmp_path_factory.mktemp("airflow_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_HOME", str(home))
        patch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
        patch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "false")
        migrate = [sys.executable, "-m", "airflow", "db", "migrate"]
        result = subprocess.run(migrate, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        yield home
