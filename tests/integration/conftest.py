"""Fixtures shared by the integration tests."""

import os

import pytest


@pytest.fixture
def postgres_url() -> str:
    """MEWS_TEST_POSTGRES_URL; the test is skipped without it (failed in CI)."""
    url = os.environ.get("MEWS_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("MEWS_TEST_POSTGRES_URL is not set in CI: .ci/start-postgres.sh failed?")
        pytest.skip("no PostgreSQL: run .ci/start-postgres.sh and export MEWS_TEST_POSTGRES_URL")
    return url
