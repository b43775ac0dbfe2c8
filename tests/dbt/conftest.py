"""Fixtures: the raw tables in each warehouse, and one `dbt build` of mews_dbt per warehouse."""

import pytest

from tests.dbt.warehouses import (
    DbtBuild,
    Warehouse,
    duckdb_warehouse,
    postgres_warehouse,
    run_dbt_build,
)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("duckdb", id="duckdb"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def warehouse(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Warehouse:
    """The raw tables in DuckDB or PostgreSQL."""
    if request.param == "duckdb":
        return duckdb_warehouse(tmp_path_factory.mktemp("duckdb"))
    return postgres_warehouse()


@pytest.fixture(scope="module")
def dbt_build(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    """One `dbt build` of mews_dbt on the warehouse, shared by the tests that inspect it."""
    return run_dbt_build(warehouse, tmp_path_factory.mktemp(f"dbt-{warehouse.target}"))
