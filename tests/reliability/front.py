"""A loopback HTTP front over the simulator core that can rewrite answers, for CLI runs.

The CLI runs in its own process, so `transport=` cannot reach it; this tiny stdlib server
answers like the simulator (through `mews_simulator.transport`) except where a test's
`Rewrite` says otherwise: an API error with a Mews body, or a page with a field removed.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson

from mews_simulator import transport
from mews_source import operations

Answer = tuple[int, dict[str, str], bytes]
Rewrite = Callable[[str, bytes, Callable[[], Answer]], Answer]
HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


def mews_error(status: int, message: str, request_id: str) -> Answer:
    """An error answer shaped like the Connector API's: Message and RequestId."""
    body = orjson.dumps({"Message": message, "RequestId": request_id})
    return status, {"Content-Type": "application/json", "Request-Id": request_id}, body


def reject_reservations(status: int, message: str, request_id: str) -> Rewrite:
    """Answer every reservations request with an API error; pass everything else through."""

    def rewrite(path: str, body: bytes, upstream: Callable[[], Answer]) -> Answer:
        if path == operations.RESERVATIONS.path:
            return mews_error(status, message, request_id)
        return upstream()

    return rewrite


def drop_field(field: str) -> Rewrite:
    """Remove `field` from the first record of every non-empty reservations page."""

    def rewrite(path: str, body: bytes, upstream: Callable[[], Answer]) -> Answer:
        status, headers, content = upstream()
        if path != operations.RESERVATIONS.path or status != 200:
            return status, headers, content
        page = orjson.loads(content)
        records = page.get(operations.RESERVATIONS.result_key) or []
        if records:
            records[0].pop(field, None)
        return status, headers, orjson.dumps(page)

    return rewrite


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: "FrontServer"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, content = self.server.answer(self.path, body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request bodies carry tokens."""


class FrontServer(ThreadingHTTPServer):
    """Serves the simulator's state on 127.0.0.1, passing each answer through `rewrite`."""

    daemon_threads = True

    def __init__(self, sim_state: Any, rewrite: Rewrite) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self._upstream = transport(sim_state)
        self._rewrite = rewrite

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, path: str, body: bytes) -> Answer:
        def upstream() -> Answer:
            request = httpx.Request("POST", f"http://simulator{path}", content=body)
            response = self._upstream.handle_request(request)
            response.read()
            headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS}
            return response.status_code, headers, response.content

        return self._rewrite(path, body, upstream)


@contextmanager
def running_front(sim_state: Any, rewrite: Rewrite) -> Iterator[FrontServer]:
    """A FrontServer for the `with` block."""
    server = FrontServer(sim_state, rewrite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
