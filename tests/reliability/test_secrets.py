"""No token anywhere a failure leaves text: stdout, stderr at DEBUG, exceptions, dlt's files."""

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import dlt
import httpx
import pytest

from mews_source import mews_source
from mews_source.runner import make_pipeline, run
from tests.reliability.cli_scenarios import FAULT_SCENARIOS, SCENARIOS, CliScenario
from tests.reliability.conftest import CliWorld
from tests.reliability.figures import record
from tests.reliability.harness import DATASET, find_leaks

CLIENT_TOKEN = "CLIENT0SECRET0TOKEN0E0D439EE522F44368DC78E1BFB03710C"
ACCESS_TOKEN = "ACCESS0SECRET0TOKEN0C66EF7B239D24632943D115EDE9CB810"
ALL_CLI = [pytest.param(s, id=s.name) for s in (*SCENARIOS, *FAULT_SCENARIOS)]


@pytest.mark.parametrize("scenario", ALL_CLI)
def test_cli_failure_leaves_no_token_in_output_or_dlt_files(
    cli_world: CliWorld, scenario: CliScenario
):
    outcome = cli_world.outcome(scenario)

    leaks = find_leaks(
        outcome.secrets, [outcome.done.stdout, outcome.done.stderr], [outcome.dlt_dir]
    )

    where = ", ".join(sorted({Path(leak).name for leak in leaks}))
    record(f"cli: {scenario.name}", scenario.injected, leaks=len(leaks), outcome=where)
    assert not leaks, leaks


def _answer_400_quoting_tokens(request: httpx.Request) -> httpx.Response:
    message = f"Invalid ClientToken {CLIENT_TOKEN} for AccessToken {ACCESS_TOKEN}"
    return httpx.Response(400, json={"Message": message, "RequestId": "rid-echo"})


def _drop_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"refused while sending {request.content[:200]!r}")


def _answer_truncated_json(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b'{"Services": [{"Id": "')


IN_PROCESS_FAILURES: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "400-quoting-both-tokens": _answer_400_quoting_tokens,
    "connection-error-quoting-the-body": _drop_connection,
    "truncated-json-until-attempts-run-out": _answer_truncated_json,
}


@pytest.mark.parametrize("handler", IN_PROCESS_FAILURES.values(), ids=IN_PROCESS_FAILURES.keys())
def test_in_process_failure_keeps_tokens_out_of_errors_logs_and_files(
    handler: Callable[[httpx.Request], httpx.Response],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
):
    pipeline = make_pipeline(dlt.destinations.duckdb(str(tmp_path / "mews.duckdb")), DATASET)
    args = {
        "platform_url": "http://mews.invalid", "client_token": CLIENT_TOKEN,
        "access_token": ACCESS_TOKEN, "start_date": "2024-01-01T00:00:00Z",
        "transport": httpx.MockTransport(handler), "max_attempts": 2, "backoff_base_s": 0.01,
    }  # fmt: skip
    texts: list[str] = []
    failed = True
    with caplog.at_level(logging.DEBUG):
        try:
            result = run(pipeline, ["default"], None, False, **args)
            texts.extend(c.error or "" for c in result.connections)
            failed = bool(result.failed)
        except Exception as exc:  # not expected, but its text must be clean too
            texts.extend([str(exc), repr(exc), traceback.format_exc()])
        try:
            list(mews_source(**args).with_resources("services").resources["services"])
        except Exception:
            texts.append(traceback.format_exc())
    texts.append(caplog.text)

    leaks = find_leaks((CLIENT_TOKEN, ACCESS_TOKEN), texts, [tmp_path])

    outcome = "failed in one line" if failed else "did not fail"
    record(f"in-process: {handler.__name__.strip('_')}", "MockTransport answer", runs=1,
           leaks=len(leaks), outcome=outcome)  # fmt: skip
    assert failed
    assert not leaks, leaks
