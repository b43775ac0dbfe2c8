"""Ways a scheduled CLI run can fail, each run once and shared by test_bad_input and test_secrets.

Every scenario starts from the same loaded dataset (copied), against a simulator whose data
changed since that load, so a run that wrongly succeeded would change the fingerprint.
"""

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mews_simulator import FaultConfig
from tests.reliability.front import Rewrite, drop_field, reject_reservations, running_front
from tests.reliability.harness import fingerprint
from tests.support import run_cli

MESSAGE_400 = "Invalid ServiceIds: at most 1000 items allowed."
MESSAGE_403 = "EnterpriseIds outside the scope of the AccessToken."
SOURCE_TABLE = "[sources.mews]\n"
PG_PASSWORD = "pg-secret-in-config"  # must not be quoted back
COMMITTED_CONFIG = Path(__file__).resolve().parents[2] / ".dlt" / "config.toml"
ISOLATION_PREFIXES = ("SOURCES__", "DESTINATION__", "MEWS__", "RUNTIME__", "DLT_")
MIXED_FAULTS = FaultConfig(
    seed=21, p_408=0.02, p_500=0.02, p_503=0.02, p_429=0.02, p_429_no_retry_after=0.02,
    p_drop=0.02, p_truncate=0.02, p_slow=0.01, slow_s=0.3, retry_after_s=1,
)  # fmt: skip


@dataclass(frozen=True)
class CliScenario:
    """One failing run: what is wrong with it and what its error line must name."""

    name: str
    expect: tuple[str, ...]
    injected: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str | None] = field(default_factory=dict)  # None: unset; {dir}: run dir
    rewrite: Callable[[Any], Rewrite] | None = None  # given the access token
    faults: FaultConfig | None = None
    exit_code: int = 1
    fails: bool = True
    config: str = ""  # appended to a copy of .dlt/config.toml; the run starts beside it


def _token_echo(token: str) -> Rewrite:
    return reject_reservations(400, f"Invalid AccessToken {token}.", "rid-400-echo")


SCENARIOS = (
    CliScenario("unparseable-start-date", ("start_date", "not an ISO 8601"),
                "--start-date 'last tuesday'", args=("--start-date", "last tuesday"),
                exit_code=2),
    CliScenario("future-start-date", ("start_date", "in the future"),
                "--start-date 2999-01-01", args=("--start-date", "2999-01-01T00:00:00Z"),
                exit_code=2),
    CliScenario("unknown-resource", ("unknown resource nope",), "--resources nope",
                args=("--resources", "nope"), exit_code=2),
    CliScenario("empty-access-token", ("access_token",), "SOURCES__MEWS__ACCESS_TOKEN=''",
                env={"SOURCES__MEWS__ACCESS_TOKEN": ""}, exit_code=2),
    CliScenario("missing-access-token", ("access_token",), "no access token configured",
                env={"SOURCES__MEWS__ACCESS_TOKEN": None}, exit_code=2),
    CliScenario("missing-client-token", ("client_token",), "no client token configured",
                env={"SOURCES__MEWS__CLIENT_TOKEN": None}, exit_code=2),
    CliScenario("unreachable-platform", ("127.0.0.1", "after 2 attempts"),
                "platform_url on a closed loopback port",
                env={"SOURCES__MEWS__PLATFORM_URL": "http://127.0.0.1:9"}),
    CliScenario("non-http-platform", ("platform_url", "ftp://x"), "platform_url ftp://x",
                env={"SOURCES__MEWS__PLATFORM_URL": "ftp://x"}, exit_code=2),
    CliScenario("destination-dir-missing", ("missing/mews.duckdb",),
                "DuckDB path in a directory that does not exist",
                env={"DESTINATION__DUCKDB__CREDENTIALS": "{dir}/missing/mews.duckdb"}),
    CliScenario("destination-is-a-directory", ("is a directory",), "DuckDB path is a directory",
                env={"DESTINATION__DUCKDB__CREDENTIALS": "{dir}"}),
    CliScenario("api-400", ("400", MESSAGE_400, "RequestId rid-400-reliability"),
                "400 with a Mews error body on reservations",
                rewrite=lambda _: reject_reservations(400, MESSAGE_400, "rid-400-reliability")),
    CliScenario("api-403", ("403", MESSAGE_403, "RequestId rid-403-reliability"),
                "403 with a Mews error body on reservations",
                rewrite=lambda _: reject_reservations(403, MESSAGE_403, "rid-403-reliability")),
    CliScenario("api-400-echoing-token", ("400", "Invalid AccessToken ***", "rid-400-echo"),
                "400 whose Message quotes the access token", rewrite=_token_echo),
    CliScenario("record-without-id", ("no Id",), "a reservation without Id",
                rewrite=lambda _: drop_field("Id")),
    CliScenario("record-without-updated-utc", ("no UpdatedUtc",),
                "a reservation without UpdatedUtc", rewrite=lambda _: drop_field("UpdatedUtc")),
    CliScenario("secret-in-config-toml", ("destination.postgres.credentials", "secrets.toml"),
                "PostgreSQL credentials in .dlt/config.toml", args=("--destination", "postgres"),
                config=f'[destination.postgres]\ncredentials = "postgresql://u:{PG_PASSWORD}@x/db"\n',
                exit_code=2),
    CliScenario("token-in-config-toml", ("client_token", "secrets.toml"),
                "client_token in .dlt/config.toml, not in secrets", config='[sources.mews]\n'
                'client_token = "in-the-wrong-file"\n', env={"SOURCES__MEWS__CLIENT_TOKEN": None},
                exit_code=2),
    CliScenario("missing-destination-credentials",
                ("destination.postgres.credentials", "DESTINATION__POSTGRES__CREDENTIALS"),
                "--destination postgres with no credentials", args=("--destination", "postgres"),
                exit_code=2),
    CliScenario("value-of-wrong-type", ("sources.mews.concurrency", "int"),
                "SOURCES__MEWS__CONCURRENCY=many", env={"SOURCES__MEWS__CONCURRENCY": "many"},
                exit_code=2),
    CliScenario("connections-not-json", ("sources.mews.connections", "list"),
                "SOURCES__MEWS__CONNECTIONS cut short after a token",
                env={"SOURCES__MEWS__CONNECTIONS": '[{"name": "a", "access_token": "{token}"'},
                exit_code=2),
)  # fmt: skip
FAULT_SCENARIOS = (
    CliScenario("faults-recovered", (), "15 % mixed faults, 6 attempts", faults=MIXED_FAULTS,
                env={"SOURCES__MEWS__MAX_ATTEMPTS": "6"}, fails=False),
    CliScenario("faults-exhausted", ("after 2 attempts",), "every request answered 503",
                faults=FaultConfig(seed=1, p_503=1.0)),
)  # fmt: skip


@dataclass(frozen=True)
class CliOutcome:
    """What one scenario's CLI run left behind."""

    done: subprocess.CompletedProcess[str]
    db: Path
    dlt_dir: Path
    before: str
    after: str
    secrets: tuple[str, ...]


def run_scenario(world: Any, scenario: CliScenario, root: Path) -> CliOutcome:
    """Copy the loaded dataset, break one thing, run the CLI at DEBUG and keep what it left."""
    root.mkdir(parents=True)
    db = root / "mews.duckdb"
    shutil.copy(world.baseline_db, db)
    before = fingerprint(db)
    sim = world.sim
    env = scenario_env(sim.url, sim.client_token, sim.portfolio_token, db, world.start, root)
    for key, value in scenario.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value.replace("{dir}", str(root)).replace("{token}", sim.portfolio_token)
    cwd = _config_dir(root, scenario.config)
    args = ["--log-level", "DEBUG", *scenario.args]
    sim.set_faults(scenario.faults)
    try:
        if scenario.rewrite is None:
            done = run_cli(args, env, timeout=120, cwd=cwd)
        else:
            with running_front(sim.state, scenario.rewrite(sim.portfolio_token)) as front:
                front_env = {**env, "SOURCES__MEWS__PLATFORM_URL": front.url}
                done = run_cli(args, front_env, timeout=120, cwd=cwd)
    finally:
        sim.set_faults(None)
    secrets = (sim.client_token, sim.portfolio_token, PG_PASSWORD)
    return CliOutcome(done, db, root / "dlt", before, fingerprint(db), secrets)


def _config_dir(root: Path, extra: str) -> Path | None:
    """A folder whose .dlt/config.toml is the committed one with `extra`; None: the repo's."""
    if not extra:
        return None
    (root / ".dlt").mkdir()
    text = COMMITTED_CONFIG.read_text()
    if extra.startswith(SOURCE_TABLE):  # keys of the source's table go into the one there is
        text = text.replace(SOURCE_TABLE, extra, 1)
    else:
        text += "\n" + extra
    (root / ".dlt" / "config.toml").write_text(text)
    return root


def scenario_env(
    url: str, client_token: str, access_token: str, db: Path, start: str, root: Path
) -> dict[str, str]:
    """A clean environment: nothing inherited that could point the run elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATION_PREFIXES)}
    env.update(
        {
            "DLT_DATA_DIR": str(root / "dlt"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "SOURCES__MEWS__PLATFORM_URL": url,
            "SOURCES__MEWS__CLIENT_TOKEN": client_token,
            "SOURCES__MEWS__ACCESS_TOKEN": access_token,
            "SOURCES__MEWS__START_DATE": start,
            "SOURCES__MEWS__MAX_ATTEMPTS": "2",
            "SOURCES__MEWS__BACKOFF_BASE_S": "0.01",
            "DESTINATION__DUCKDB__CREDENTIALS": str(db),
        }
    )
    return env
