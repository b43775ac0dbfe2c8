"""Airflow DAG: every Mews connection loads in its own task group, in parallel; then dbt build.

Each connection (one access token, e.g. one property of a hotel group) is its own dlt pipeline,
`mews` for a single token and `mews_<connection>` for each entry of `connections`, so tasks that
run at the same time never overwrite each other's state. A task starts in an empty working dir
(wiped afterwards) and dlt restores that pipeline's state from the destination.

Parsing only reads config: the source is built inside the task, and even building it sends no
request (service discovery runs on first use). Mews settings and destination credentials are
dlt's own (environment variables or the Airflow variable `dlt_secrets_toml`); dlt's helper reads
`.dlt/` under the dags folder, which links to the repository's `.dlt/`. This DAG also reads
`MEWS_DESTINATION` (default postgres), `MEWS_DATASET` and, for DuckDB, `MEWS_DUCKDB_PATH`,
which dbt reads too; dbt's PostgreSQL login comes from `MEWS_PG_*` (see mews_dbt/README.md).
"""

import logging
import os
import re
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import dlt
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.helpers.airflow_helper import PipelineTasksGroup

from mews_source import ConfigError, connection_names, mews_source
from mews_source.runner import DATASET_NAME, PIPELINE_NAME, loader_file_format

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_TARGETS = ("duckdb", "postgres")  # the outputs of mews_dbt/profiles.yml
# target/ and logs/ go to a temporary dir: the checkout may be read-only on workers.
DBT_BUILD = (
    'tmp="$(mktemp -d)" && trap \'rm -rf "$tmp"\' EXIT && DBT_LOG_PATH="$tmp/logs" dbt build '
    '--project-dir mews_dbt --profiles-dir mews_dbt --target {target} --target-path "$tmp/target"'
)


def scheduled_connections() -> list[str]:
    """Configured connection names; one "default" group when config is missing or broken."""
    try:
        return connection_names()
    except (ConfigError, ConfigurationException) as exc:
        # Keep the DAG parseable: the task then fails at run time with the same one-line reason.
        logger.warning("mews: scheduling one default connection: %s", exc)
        return ["default"]


def pipeline_name_for(connection: str, connections: list[str]) -> str:
    """`mews` for the single-token config (the CLI's state), else one pipeline per connection."""
    if connections == ["default"]:
        return PIPELINE_NAME
    return f"{PIPELINE_NAME}_{re.sub(r'[^0-9a-z]+', '_', connection.lower()).strip('_')}"


def duckdb_path() -> Path:
    """The DuckDB file shared by the load and dbt; relative paths start at the repository."""
    return PROJECT_DIR / os.environ.get("MEWS_DUCKDB_PATH", "mews.duckdb")


def destination(name: str) -> Any:
    """The dlt destination for `name`, with the DuckDB file made absolute."""
    # The helper points dlt's local dir at the wiped working dir, so a relative DuckDB file
    # would be deleted after the task: give it an absolute path.
    return dlt.destinations.duckdb(str(duckdb_path())) if name == "duckdb" else name


def add_connection_group(
    connection: str, pipeline_name: str, dest: str, dataset: str
) -> PipelineTasksGroup:
    """One task group that loads `connection` with its own pipeline."""
    # The group picks a fresh data dir; the pipeline must be created after it.
    group = PipelineTasksGroup(pipeline_name, use_data_folder=False, wipe_local_data=True)
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name, destination=destination(dest), dataset_name=dataset
    )
    group.add_run(
        pipeline,
        # The helper runs the pipeline once per task: one load, not the CLI's parts.
        partial(mews_source, connection=connection, load_every_s=0),
        decompose="none",
        loader_file_format=loader_file_format(pipeline),
    )
    return group


def dbt_build_task(target: str, dataset: str) -> BashOperator:
    """`dbt build` of mews_dbt on the warehouse just loaded."""
    return BashOperator(
        task_id="dbt_build",
        bash_command=DBT_BUILD.format(target=target),
        cwd=str(PROJECT_DIR),
        env={"MEWS_DATASET": dataset, "MEWS_DUCKDB_PATH": str(duckdb_path())},
        append_env=True,
    )


def build_dag() -> DAG:
    """The `mews` DAG for the connections configured now."""
    dest = os.environ.get("MEWS_DESTINATION", "postgres")
    dataset = os.environ.get("MEWS_DATASET", DATASET_NAME)
    connections = scheduled_connections()
    with DAG(
        dag_id="mews",
        description="Mews Connector API -> dlt -> dbt",
        schedule="17 * * * *",
        start_date=datetime(2024, 1, 1, tzinfo=UTC),
        catchup=False,
        max_active_runs=1,  # two runs of one pipeline must not write its state at once
        default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
        tags=["mews", "dlt"],
    ) as dag:
        groups = [
            add_connection_group(name, pipeline_name_for(name, connections), dest, dataset)
            for name in connections
        ]
        if dest in DBT_TARGETS:
            groups >> dbt_build_task(dest, dataset)
        else:
            logger.info("mews: no dbt target for %s in mews_dbt/profiles.yml", dest)
    return dag


dag = build_dag()
