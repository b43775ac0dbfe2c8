"""GitHub workflows: valid against the workflow schema, and wired to the connector's contract.

The schema is the copy vendored in check-jsonschema, so validation works offline.
"""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
LOAD = WORKFLOWS / "load.yml"
CI = WORKFLOWS / "ci.yml"

SECRET_ENV = {
    "SOURCES__MEWS__CLIENT_TOKEN": "${{ secrets.MEWS_CLIENT_TOKEN }}",
    "SOURCES__MEWS__ACCESS_TOKEN": "${{ secrets.MEWS_ACCESS_TOKEN }}",
    "SOURCES__MEWS__CONNECTIONS": "${{ secrets.MEWS_CONNECTIONS }}",
    "DESTINATION__POSTGRES__CREDENTIALS__HOST": "${{ secrets.MEWS_PG_HOST }}",
    "DESTINATION__POSTGRES__CREDENTIALS__USERNAME": "${{ secrets.MEWS_PG_USER }}",
    "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD": "${{ secrets.MEWS_PG_PASSWORD }}",
    "DESTINATION__POSTGRES__CREDENTIALS__DATABASE": "${{ secrets.MEWS_PG_DATABASE }}",
    "MEWS_PG_PASSWORD": "${{ secrets.MEWS_PG_PASSWORD }}",
    "DESTINATION__SNOWFLAKE__CREDENTIALS": "${{ secrets.DESTINATION__SNOWFLAKE__CREDENTIALS }}",
}
CONFIG_ENV = {
    "SOURCES__MEWS__PLATFORM_URL": "${{ vars.MEWS_PLATFORM_URL }}",
    "SOURCES__MEWS__START_DATE": "${{ vars.MEWS_START_DATE }}",
    "SOURCES__MEWS__SERVICE_IDS": "${{ vars.MEWS_SERVICE_IDS }}",
    "SOURCES__MEWS__ENTERPRISE_IDS": "${{ vars.MEWS_ENTERPRISE_IDS }}",
}
# Mews tokens look like 32 hex digits, a dash, then more hex digits.
TOKEN_SHAPE = re.compile(r"[0-9A-Fa-f]{32}-[0-9A-Fa-f]{16,}")


def read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema"]
    command += ["vendor.github-workflows", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def load_job() -> dict[str, Any]:
    return read(LOAD)["jobs"]["load"]


def step(name: str) -> dict[str, Any]:
    return next(s for s in load_job()["steps"] if s.get("name") == name)


@pytest.mark.parametrize("path", [LOAD, CI], ids=["load", "ci"])
def test_workflow_matches_the_github_workflow_schema(path: Path) -> None:
    result = validate(path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_job_without_runs_on(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(LOAD.read_text().replace("runs-on: ubuntu-latest", "runs_on: ubuntu"))

    assert validate(broken).returncode != 0


def test_load_runs_hourly_and_on_demand_with_inputs() -> None:
    triggers = read(LOAD)["on"]

    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    minute, *rest = cron.split()
    assert minute.isdigit() and rest == ["*", "*", "*", "*"]
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"resources", "start_date", "refresh"}
    assert inputs["refresh"]["type"] == "boolean"


def test_load_runs_never_overlap() -> None:
    concurrency = read(LOAD)["concurrency"]

    assert concurrency["group"] and concurrency["cancel-in-progress"] is False


def test_load_maps_secrets_and_variables_to_the_dlt_env_names() -> None:
    env = load_job()["env"]

    assert {k: env.get(k) for k in SECRET_ENV} == SECRET_ENV
    assert {k: env.get(k) for k in CONFIG_ENV} == CONFIG_ENV
    assert "vars.MEWS_DESTINATION" in env["MEWS_DESTINATION"]
    assert env["MEWS_DESTINATION"].endswith("|| 'postgres' }}")


def test_load_sets_credentials_only_from_expressions() -> None:
    env = load_job()["env"]

    literal = [
        k for k in env if k.startswith(("SOURCES__", "DESTINATION__")) and "${{" not in env[k]
    ]
    assert not literal


def test_no_token_literal_in_any_workflow() -> None:
    examples = tomllib.loads((REPO / ".dlt" / "example.secrets.toml").read_text())
    known = examples["sources"]["mews"].values()
    for path in (LOAD, CI):
        text = path.read_text()
        assert not TOKEN_SHAPE.search(text), path.name
        assert not [token for token in known if token in text], path.name


def test_state_comes_from_the_destination_not_a_cache() -> None:
    uses = [s.get("uses", "") for s in load_job()["steps"]]

    assert not [u for u in uses if u.startswith("actions/cache")]
    assert "runner.temp" in step("Load")["env"]["DLT_DATA_DIR"]


def test_load_installs_the_project_then_loads_then_builds_dbt() -> None:
    names = [s.get("name") for s in load_job()["steps"]]
    python = next(
        s for s in load_job()["steps"] if s.get("uses", "").startswith("actions/setup-py")
    )

    assert python["with"]["python-version"] == "3.11"
    assert "pip install -e '.[postgres,dbt]'" in step("Install")["run"]
    assert names.index("Install") < names.index("Load") < names.index("dbt build")
    assert "dbt build --project-dir mews_dbt --profiles-dir mews_dbt" in step("dbt build")["run"]


def test_inputs_reach_scripts_only_through_env() -> None:
    # `${{ inputs.x }}` inside `run:` would be pasted into the script before bash sees it.
    scripts = [s.get("run", "") for s in load_job()["steps"]]

    assert not [s for s in scripts if "${{" in s]


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({}, []),
        (
            {"INPUT_RESOURCES": "reservations", "INPUT_START_DATE": "2024-05-01T00:00:00Z"},
            ["--resources", "reservations", "--start-date", "2024-05-01T00:00:00Z"],
        ),
        ({"INPUT_REFRESH": "true"}, ["--refresh"]),
        ({"INPUT_REFRESH": "false"}, []),
    ],
    ids=["scheduled", "dispatch-with-resources-and-start", "dispatch-refresh", "no-refresh"],
)
def test_load_script_builds_the_cli_call(
    inputs: dict[str, str], expected: list[str], tmp_path: Path
) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\nenv | grep -E "^SOURCES__" | sort\n')
    fake_python.chmod(0o755)
    env = {
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "MEWS_DESTINATION": "postgres",
        "MEWS_DATASET": "mews_raw",
        "SOURCES__MEWS__CLIENT_TOKEN": "client",
        "SOURCES__MEWS__CONNECTIONS": "",
        **inputs,
    }

    result = subprocess.run(
        ["bash", "-e", "-c", step("Load")["run"]], env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    base = ["pipelines/mews.py", "--destination", "postgres", "--dataset", "mews_raw"]
    assert lines == [*base, *expected, "SOURCES__MEWS__CLIENT_TOKEN=client"]


def test_ci_runs_the_project_script_on_push_and_pull_request() -> None:
    workflow = read(CI)
    scripts = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]

    assert {"push", "pull_request"} <= set(workflow["on"])
    assert [s for s in scripts if s.endswith("bash .ci/run")]
