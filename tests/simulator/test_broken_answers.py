"""Broken 200 answers: endless, trickling, huge, HTML and empty bodies, from both adapters."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import orjson
import pytest

from mews_simulator import FaultConfig, transport
from tests.simulator.helpers import Api

LIMIT = {"Limitation": {"Count": 2}}
MIB = 1024 * 1024


def _request(api: Api) -> dict[str, Any]:
    return {"url": api.paths["services"], "json": api.envelope(**LIMIT)}


def _normal_page(api: Api) -> dict[str, Any]:
    api.sim.set_faults(None)
    return dict(api.post("services", **LIMIT).json())


def _read_up_to(response: httpx.Response, limit: int) -> bytes:
    """The first `limit` bytes of the body (all of a shorter one), then stop reading."""
    body = b""
    for chunk in response.iter_raw():
        body += chunk
        if len(body) >= limit:
            break
    return body[:limit]


def _handler_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "process_request_thread" in t.name}


def test_endless_body_streams_until_the_client_hangs_up_then_its_thread_ends(
    fresh_api: Api,
) -> None:
    fresh_api.sim.set_faults(FaultConfig(p_endless=1.0, broken_max_s=20.0))
    before = _handler_threads()
    with httpx.Client(base_url=fresh_api.sim.url) as client:
        with client.stream("POST", **_request(fresh_api)) as response:
            serving = _handler_threads() - before
            assert response.status_code == 200
            assert "Content-Length" not in response.headers
            assert response.headers["Transfer-Encoding"] == "chunked"
            body = _read_up_to(response, 4 * MIB)
    assert body.startswith(b'{"Reservations": [{"Id": ') and len(body) == 4 * MIB
    for thread in serving:
        thread.join(timeout=5)
    assert serving and not any(t.is_alive() for t in serving), "the server kept writing"
    assert fresh_api.sim.stats()["by_fault"] == {"endless": 1}


def test_trickle_sends_the_real_body_a_byte_at_a_time(fresh_api: Api) -> None:
    page = _normal_page(fresh_api)
    fresh_api.sim.set_faults(FaultConfig(p_trickle=1.0, trickle_byte_s=0.001))
    started = time.perf_counter()
    response = fresh_api.post("services", **LIMIT)
    elapsed = time.perf_counter() - started
    assert response.json() == page
    assert elapsed >= 0.001 * len(response.content)


def test_trickle_stops_after_broken_max_s(fresh_api: Api) -> None:
    fresh_api.sim.set_faults(FaultConfig(p_trickle=1.0, trickle_byte_s=0.01, broken_max_s=0.3))
    started = time.perf_counter()
    with pytest.raises(httpx.RemoteProtocolError):
        fresh_api.post("services", **LIMIT)
    assert time.perf_counter() - started < 5.0


def test_huge_body_is_the_real_page_padded_to_huge_bytes(fresh_api: Api) -> None:
    page = _normal_page(fresh_api)
    fresh_api.sim.set_faults(FaultConfig(p_huge=1.0, huge_bytes=2 * MIB))
    response = fresh_api.post("services", **LIMIT)
    assert response.headers["Content-Length"] == str(2 * MIB) and len(response.content) == 2 * MIB
    assert orjson.loads(response.content) == page


@pytest.mark.parametrize(
    ("fault", "content_type", "start"),
    [
        ({"p_html": 1.0}, "text/html; charset=utf-8", b"<!DOCTYPE html>"),
        ({"p_empty": 1.0}, "application/json; charset=utf-8", b""),
    ],
    ids=["html", "empty"],
)
def test_html_and_empty_answers_are_200s_that_are_not_json(
    fresh_api: Api, fault: dict[str, float], content_type: str, start: bytes
) -> None:
    fresh_api.sim.set_faults(FaultConfig(**fault))  # type: ignore[arg-type]
    response = fresh_api.post("services", **LIMIT)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.content.startswith(start) and (start or response.content == b"")
    assert fresh_api.sim.request_log()[-1].status == 200


BROKEN = [
    pytest.param({"p_trickle": 1.0, "trickle_byte_s": 0.0}, id="trickle"),
    pytest.param({"p_huge": 1.0, "huge_bytes": MIB}, id="huge"),
    pytest.param({"p_html": 1.0}, id="html"),
    pytest.param({"p_empty": 1.0}, id="empty"),
    pytest.param({"p_endless": 1.0}, id="endless"),
]


@pytest.mark.parametrize("fault", BROKEN)
def test_mock_transport_sends_the_same_broken_answer(fresh_api: Api, fault: dict[str, Any]) -> None:
    def answer(client: httpx.Client) -> tuple[int, str | None, bytes]:
        fresh_api.sim.set_faults(FaultConfig(**fault))
        with client.stream("POST", **_request(fresh_api)) as response:
            head = _read_up_to(response, 2 * MIB)
            return response.status_code, response.headers.get("Content-Length"), head

    with httpx.Client(base_url=fresh_api.sim.url) as loopback:
        over_socket = answer(loopback)
    mock = transport(fresh_api.sim.state)
    with httpx.Client(base_url="https://api.mews-demo.com", transport=mock) as in_process:
        in_memory = answer(in_process)
    assert in_memory == over_socket
