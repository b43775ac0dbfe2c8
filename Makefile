# The same commands run locally and in CI. `make demo` and `make test` each install first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AIRFLOW_VENV := .venv-airflow
WAREHOUSES_VENV := .venv-warehouses

.PHONY: install demo test test-airflow lint format dbt dbt-parse report bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres,dbt,bench]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python pipelines/mews.py --demo

test: $(STAMP)
	$(BIN)/python -m pytest

# Airflow pins many packages, so its DAG tests get their own venv.
$(AIRFLOW_VENV)/.installed: pyproject.toml requirements/airflow.txt
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install --quiet --upgrade pip
	$(AIRFLOW_VENV)/bin/pip install --quiet -e '.[dev,postgres,dbt]' -r requirements/airflow.txt
	touch $@

test-airflow: $(AIRFLOW_VENV)/.installed
	$(AIRFLOW_VENV)/bin/python -m pytest tests/scheduling

dbt: $(STAMP)
	MEWS_DUCKDB_PATH=$${MEWS_DUCKDB_PATH:-mews.duckdb} $(BIN)/dbt build --project-dir mews_dbt --profiles-dir mews_dbt --target duckdb

# dbt-bigquery and dbt-snowflake in their own venv: mews_dbt parses for both targets without
# credentials (parsing connects to nothing).
$(WAREHOUSES_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(WAREHOUSES_VENV)
	$(WAREHOUSES_VENV)/bin/pip install --quiet --upgrade pip
	$(WAREHOUSES_VENV)/bin/pip install --quiet -e '.[warehouses]'
	touch $@

dbt-parse: $(WAREHOUSES_VENV)/.installed
	$(WAREHOUSES_VENV)/bin/dbt parse --project-dir mews_dbt --profiles-dir mews_dbt --target bigquery
	$(WAREHOUSES_VENV)/bin/dbt parse --project-dir mews_dbt --profiles-dir mews_dbt --target snowflake

# One HTML page of the marts `make dbt` built, charts drawn as inline SVG: open it from disk.
report: $(STAMP)
	$(BIN)/python pipelines/render_report.py --duckdb $${MEWS_DUCKDB_PATH:-mews.duckdb} --out reports/mews.html

bench: $(STAMP)
	$(BIN)/python bench/backfill.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy pipelines bench

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) $(WAREHOUSES_VENV) mews.duckdb reports .pytest_cache .ruff_cache .mypy_cache
