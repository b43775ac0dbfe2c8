"""Loopback HTTP/1.1 adapter over the pure handler; applies the socket-level faults."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mews_simulator.delivery import body_chunks, closes_connection, content_length
from mews_simulator.dispatch import Outcome, process
from mews_simulator.state import SimulatorState


class SimulatorServer(ThreadingHTTPServer):
    """ThreadingHTTPServer bound to 127.0.0.1 that carries the simulator state."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, state: SimulatorState, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="mews-simulator", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx clients expect
    disable_nagle_algorithm = True  # else small responses wait for delayed ACKs (~40 ms)
    server: SimulatorServer

    def do_POST(self) -> None:
        self._answer("POST")

    def do_GET(self) -> None:
        self._answer("GET")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        outcome = process(self.server.state, method, self.path, body)
        response = outcome.response
        if response is None:  # dropped connection: close without a response
            self.close_connection = True
            return
        # send_response would add a second Date, from this machine's clock; ours is the
        # simulator's (see dispatch).
        self.send_response_only(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self._send_body(outcome)

    def _send_body(self, outcome: Outcome) -> None:
        """Declare the length (or go chunked) and write the body as the fault shapes it."""
        length = content_length(outcome)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.close_connection = closes_connection(outcome)
        try:
            for chunk in body_chunks(outcome):
                self.wfile.write(chunk if length is not None else _framed(chunk))
        except OSError:  # the client hung up, as one with a size cap or a deadline does
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request bodies carry tokens, and tests read stats instead of logs."""


def _framed(chunk: bytes) -> bytes:
    """One chunk of a chunked body; the endless body never sends the closing empty chunk."""
    return b"%x\r\n%s\r\n" % (len(chunk), chunk)
