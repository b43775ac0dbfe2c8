"""How an answer's body goes over the wire: whole, cut short, endless, trickling or huge.

Both adapters declare `content_length` (None: send chunked) and send what `body_chunks`
yields, so the loopback server and the MockTransport misbehave alike. Every loop here is
bounded in bytes and time, so a client that never hangs up cannot keep a thread forever.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from mews_simulator.dispatch import Outcome

CHUNK = 64 * 1024
ENDLESS_MAX_CHUNKS = 16 * 1024  # 1 GiB: an endless body ends there even if read on
# Looks like the start of a page of records, so a reader cannot tell early that it is junk.
ENDLESS_HEAD = b'{"Reservations": ['
ENDLESS_ITEM = b'{"Id": "00000000-0000-0000-0000-000000000000"},'
ENDLESS_FILLER = ENDLESS_ITEM * (CHUNK // len(ENDLESS_ITEM))
CLOSING = frozenset({"truncate", "endless", "trickle", "huge"})


def content_length(outcome: Outcome) -> int | None:
    """The Content-Length to declare: the full body's (even when cut), None when endless."""
    assert outcome.response is not None
    body, fault = outcome.response.body, outcome.fault
    if fault is not None and fault.kind == "endless":
        return None
    if fault is not None and fault.kind == "huge":
        return max(fault.size, len(body))
    return len(body)


def closes_connection(outcome: Outcome) -> bool:
    """True when the body may stop short of what was declared, so keep-alive cannot go on."""
    return outcome.fault is not None and outcome.fault.kind in CLOSING


def body_chunks(outcome: Outcome) -> Iterator[bytes]:
    """The body as it should arrive, chunk by chunk (sleeping between trickled bytes)."""
    assert outcome.response is not None
    body, fault = outcome.response.body, outcome.fault
    if fault is None or fault.kind not in CLOSING:
        yield body
    elif fault.kind == "truncate":
        yield body[: len(body) // 2]
    elif fault.kind == "endless":
        yield from _endless(fault.max_s)
    elif fault.kind == "trickle":
        yield from _trickle(body, fault.byte_s, fault.max_s)
    else:
        yield body
        yield from _padding(fault.size - len(body))


def _endless(max_s: float) -> Iterator[bytes]:
    stop = time.monotonic() + max_s
    yield ENDLESS_HEAD
    for _ in range(ENDLESS_MAX_CHUNKS):
        if time.monotonic() > stop:
            return
        yield ENDLESS_FILLER


def _trickle(body: bytes, byte_s: float, max_s: float) -> Iterator[bytes]:
    stop = time.monotonic() + max_s
    for index in range(len(body)):
        if time.monotonic() > stop:
            return
        time.sleep(byte_s)
        yield body[index : index + 1]


def _padding(size: int) -> Iterator[bytes]:
    """Whitespace after the page: still valid JSON, only far too big."""
    for start in range(0, max(0, size), CHUNK):
        yield b" " * min(CHUNK, size - start)
