"""httpx.MockTransport adapter over the same handler, for unit tests without sockets."""

from __future__ import annotations

import httpx

from mews_simulator.dispatch import process
from mews_simulator.state import SimulatorState


def transport(sim_state: SimulatorState) -> httpx.MockTransport:
    """A MockTransport answering like the loopback server (faults included).

    A dropped connection raises httpx.RemoteProtocolError; a truncated body arrives cut to
    invalid JSON with a matching Content-Length.
    """

    def handler(request: httpx.Request) -> httpx.Response:
        outcome = process(sim_state, request.method, request.url.path, request.content)
        response = outcome.response
        if response is None:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        body = response.body[: len(response.body) // 2] if outcome.truncate else response.body
        return httpx.Response(response.status, headers=response.headers, content=body)

    return httpx.MockTransport(handler)
