"""httpx.MockTransport adapter over the same handler, for unit tests without sockets."""

from __future__ import annotations

import httpx

from mews_simulator.delivery import body_chunks, content_length
from mews_simulator.dispatch import process
from mews_simulator.state import SimulatorState


def transport(sim_state: SimulatorState) -> httpx.MockTransport:
    """A MockTransport answering like the loopback server (faults included).

    A dropped connection raises httpx.RemoteProtocolError; a truncated body arrives cut to
    invalid JSON; endless, trickling and huge bodies stream as the loopback server sends them.
    """

    def handler(request: httpx.Request) -> httpx.Response:
        outcome = process(sim_state, request.method, request.url.path, request.content)
        response = outcome.response
        if response is None:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        headers = dict(response.headers)
        length = content_length(outcome)
        if length is not None:
            headers["Content-Length"] = str(length)
        return httpx.Response(response.status, headers=headers, content=body_chunks(outcome))

    return httpx.MockTransport(handler)
